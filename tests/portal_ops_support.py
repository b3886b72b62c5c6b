"""A back-office world for the portal's operation pages: the web app's organisation tree and
users (web_helpers), a real Parquet lake with a subsidy roll and a household registry, and a
complaint filed through the portal's own code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from portal_support import make_id
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.machine import ActionRequest
from qingfeng.loop.service import act, actor_for
from qingfeng.portal.attachments import Upload
from qingfeng.portal.complaints import ComplaintForm, file_complaint
from qingfeng.portal.models import Complaint
from qingfeng.store.models import User
from screening_support import publish
from web_helpers import World, make_world

TOWN = "522701001"  # 广惠街道 (web_helpers' township unit 广惠街道纪工委)
VILLAGE = "522701001201"
OTHER_VILLAGE = "522701001202"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64

PEOPLE = [
    {"id_no": make_id("52270119500101123"), "name": "王小明", "account": "6217001234567890"},
    {"id_no": make_id("52270119620202456"), "name": "欧阳春花", "account": "6217009999888877"},
    {"id_no": make_id("52270119550404321"), "name": "赵六", "account": "6217001111222233"},
]


def lake_world(tmp_path: Path, store_url: str | None = None) -> World:
    world = make_world(tmp_path, store_url)
    lake = world.settings.lake_dir
    publish(
        lake,
        "subsidy_payments",
        [
            {
                "payment_no": f"P{i:03d}",
                "id_no": p["id_no"],
                "name": p["name"],
                "subsidy_type": "高龄补贴",
                "period": "2026-10",
                "pay_date": "2026-10-10",
                "amount": "100.00",
                "account_no": p["account"],
                "division_code": VILLAGE if i < 2 else OTHER_VILLAGE,
            }
            for i, p in enumerate(PEOPLE)
        ],
    )
    publish(
        lake,
        "household_registry",
        [
            {"id_no": p["id_no"], "name": p["name"], "division_code": code, "village_name": name}
            for p, code, name in (
                (PEOPLE[0], VILLAGE, "甲村"),
                (PEOPLE[1], VILLAGE, "甲村"),
                (PEOPLE[2], OTHER_VILLAGE, "乙村"),
            )
        ],
    )
    return world


def file(
    world: World,
    *,
    named: bool = True,
    when: datetime | None = None,
    attachment: bool = True,
) -> tuple[str, str]:
    """A complaint filed as the public form does it; (complaint number, tracking code)."""
    from qingfeng.portal.models import PortalDivision

    world.settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    with world.factory() as s, s.begin():
        if s.get(PortalDivision, VILLAGE) is None:
            s.add(PortalDivision(code=VILLAGE, name="广惠街道甲村", level="village"))
            s.flush()
        c, code = file_complaint(
            s,
            ComplaintForm(
                division_code=VILLAGE,
                category="livelihood_funds",
                title="高龄补贴被冒领",
                content="我父亲去年已去世，村里仍有人在领取他的高龄补贴。",
                target_org="甲村村委会",
                anonymous=not named,
                complainant_name="李大民" if named else "",
                complainant_phone="13912345678" if named else "",
            ),
            [Upload("现场.png", PNG)] if attachment else [],
            world.settings.attachments_dir,
            now=when or datetime(2026, 3, 1, 3, 27, tzinfo=UTC),
        )
        return c.complaint_no, code


def loop(world: World, complaint_no: str, action: str, who: str = "sup_a", **req: object) -> None:
    """One closed-loop action on the complaint's warning, through the loop's service."""
    with world.factory() as s, s.begin():
        wid = s.scalar(select(Complaint.warning_id).where(Complaint.complaint_no == complaint_no))
        user = s.scalars(select(User).where(User.username == who)).one()
        act(actor_for(s, user, LoopConfig()), wid, action, ActionRequest(**req))


def dispose(world: World, complaint_no: str) -> None:
    loop(world, complaint_no, "dispatch", org_id=world.orgs["county_a"].id)
    loop(world, complaint_no, "accept")
    loop(world, complaint_no, "dispose", finding="confirmed", note="经查属实")
