"""Portal operations in the back office: places from the county's own data, disclosures drafted
from the lake with a masked preview and four-eyes approval, the complaints workbench, the
tracking page's stages, and one time zone everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from portal_ops_support import OTHER_VILLAGE, PEOPLE, VILLAGE, dispose, file, lake_world
from qingfeng.masking import mask_id, mask_name
from qingfeng.portal.models import PortalDivision, PublicationVersion
from qingfeng.portal.places import place_name
from qingfeng.settings import load_settings
from qingfeng.store.models import AuditLog, Comment
from web_helpers import client_for, csrf_from, sign_in


@pytest.fixture
def world(tmp_path, store_url):  # type: ignore[no-untyped-def]
    """On SQLite, and on PostgreSQL when QINGFENG_TEST_PG_URL names a server."""
    return lake_world(tmp_path, store_url)


def _signed(world, username):  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), username)
    token = csrf_from(client.get("/account/password").text)
    return client, token


def _audit(world, action):  # type: ignore[no-untyped-def]
    with world.factory() as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == action)))
        s.expunge_all()
        return rows


# ---------------------------------------------------------------- places


def test_place_name_drops_the_bodys_title() -> None:
    assert place_name("广惠街道纪工委") == "广惠街道"
    assert place_name("都匀市纪委监委") == "都匀市"
    assert place_name("某乡纪检监察办公室") == "某乡"
    assert place_name("城关镇") == "城关镇"  # no title: the whole name


def test_complaint_form_offers_the_countys_places_without_a_command(world) -> None:
    page = client_for(world).get("/public/complaints/new").text
    # The organisation tree gives the counties and the township; the registry the villages.
    assert ">都匀市<" in page and ">广惠街道<" in page
    assert f'value="{VILLAGE}"' in page and ">广惠街道甲村<" in page
    assert f'value="{OTHER_VILLAGE}"' in page and ">广惠街道乙村<" in page
    with world.factory() as s:
        town = s.get(PortalDivision, "522701001000")
        assert town is not None and town.level == "township"


def test_places_loaded_by_hand_keep_their_names(world) -> None:
    with world.factory() as s, s.begin():
        s.add(PortalDivision(code=VILLAGE, name="甲村（社区）", level="village"))
    page = client_for(world).get("/public/complaints/new").text
    assert ">甲村（社区）<" in page and ">广惠街道甲村<" not in page


# ---------------------------------------------------------------- disclosures


def _draft(client, token, **extra):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": token,
        "kind": "subsidy_roll",
        "title": "广惠街道2026年10月高龄补贴发放名册",
        "division_code": "",
        "filter_division_prefix": "522701001",
        "columns": ["name", "id_no", "subsidy_type", "amount"],
        **extra,
    }
    return client.post("/portal/publications", data=data)


def test_disclosure_drafted_previewed_approved_by_another_published_and_withdrawn(world) -> None:
    data, token = _signed(world, "data")
    form = data.get("/portal/publications/new?kind=subsidy_roll")
    assert form.status_code == 200 and "发放账号" in form.text  # every column offered
    assert form.text.count('name="columns"') == 7 == form.text.count("checked> ")  # all ticked
    assert f">广惠街道甲村（{VILLAGE}）<" in form.text  # the county's places, no command run
    r = _draft(data, token)
    assert r.status_code == 303, r.text
    detail_url = r.headers["location"]
    page = data.get(detail_url).text
    # The masked preview, read from the lake, with only the chosen columns.
    assert 'data-testid="preview-table"' in page
    for p in PEOPLE:
        assert mask_name(p["name"]) in page and mask_id(p["id_no"]) in page
        assert p["name"] not in page and p["id_no"] not in page
    assert "发放账号" not in page.split('data-testid="preview"')[1]
    # Four eyes: the drafter is offered no approval, and refused if they try.
    assert 'data-testid="four-eyes"' in page and 'data-testid="approve"' not in page
    with world.factory() as s:
        vid = s.scalars(select(PublicationVersion.id)).one()
    r = data.post(f"/portal/publications/versions/{vid}/approve", data={"csrf_token": token})
    assert r.status_code == 303
    assert "审批人不能是起草人本人" in data.get(r.headers["location"]).text
    admin, admin_token = _signed(world, "admin")
    for step in ("approve", "publish"):
        r = admin.post(
            f"/portal/publications/versions/{vid}/{step}", data={"csrf_token": admin_token}
        )
        assert r.status_code == 303 and "error=" not in r.headers["location"]
    pub_id = detail_url.rsplit("/", 1)[1]
    public = client_for(world).get(f"/public/disclosures/{pub_id}").text
    assert mask_name("欧阳春花") in public and "欧阳春花" not in public
    assert "金额（元）" in public and "发放账号" not in public and "所属期" not in public
    # Withdrawn: a reason is required, then the public page is gone at once.
    r = data.post(f"/portal/publications/versions/{vid}/withdraw", data={"csrf_token": token})
    assert "error=" in r.headers["location"]
    r = data.post(
        f"/portal/publications/versions/{vid}/withdraw",
        data={"csrf_token": token, "reason": "名册有误，核实后重新发布"},
    )
    assert r.status_code == 303 and "error=" not in r.headers["location"]
    assert client_for(world).get(f"/public/disclosures/{pub_id}").status_code == 404
    actions = [a.actor for a in _audit(world, "publication.draft")]
    assert actions == ["data"]
    assert [a.actor for a in _audit(world, "publication.approve")] == ["admin"]
    assert [a.actor for a in _audit(world, "publication.publish")] == ["admin"]
    (withdrawn,) = _audit(world, "publication.withdraw")
    assert withdrawn.detail["reason"] == "名册有误，核实后重新发布"


def test_correction_is_a_new_version_that_supersedes_on_publication(world) -> None:
    data, token = _signed(world, "data")
    admin, admin_token = _signed(world, "admin")
    pub_url = _draft(data, token).headers["location"]
    pub_id = int(pub_url.rsplit("/", 1)[1])

    def approve_and_publish(vid: int) -> None:
        for step in ("approve", "publish"):
            admin.post(
                f"/portal/publications/versions/{vid}/{step}", data={"csrf_token": admin_token}
            )

    with world.factory() as s:
        v1 = s.scalars(select(PublicationVersion.id)).one()
    approve_and_publish(v1)
    form = data.get(f"/portal/publications/{pub_id}/correct").text
    assert "广惠街道2026年10月高龄补贴发放名册" in form  # prefilled from the last version
    r = data.post(
        f"/portal/publications/{pub_id}/versions",
        data={
            "csrf_token": token,
            "title": "广惠街道2026年10月高龄补贴发放名册（更正）",
            "filter_division_prefix": VILLAGE,
            "columns": ["name", "amount"],
        },
    )
    assert r.status_code == 303
    # The published version stays public until the correction is published.
    assert "（更正）" not in client_for(world).get(f"/public/disclosures/{pub_id}").text
    with world.factory() as s:
        v2 = s.scalars(select(PublicationVersion.id).where(PublicationVersion.id != v1)).one()
    approve_and_publish(v2)
    public = client_for(world).get(f"/public/disclosures/{pub_id}").text
    assert "（更正）" in public and mask_name("赵六") not in public  # only village A now
    with world.factory() as s:
        assert s.get(PublicationVersion, v1).state == "superseded"
        assert s.get(PublicationVersion, v2).row_count == 2


def test_bad_drafts_are_refused_naming_the_field(world) -> None:
    data, token = _signed(world, "data")
    r = _draft(data, token, columns=["name", "bank_pin"])
    assert r.status_code == 422 and "columns" in r.text and "bank_pin" in r.text
    r = _draft(data, token, title="  ")
    assert r.status_code == 422 and "title" in r.text
    r = _draft(data, token, filter_period_from="2026/10")
    assert r.status_code == 422 and "filters.period_from" in r.text
    r = _draft(data, token, division_code="530102001000")  # another province: not theirs
    assert r.status_code == 422 and "division_code" in r.text
    with world.factory() as s:
        assert s.scalars(select(PublicationVersion)).all() == []


def test_publication_pages_are_for_data_officers_in_their_area(world) -> None:
    data, token = _signed(world, "data")
    pub_url = _draft(data, token).headers["location"]
    sup, _ = _signed(world, "sup_b")
    assert sup.get("/portal/publications").status_code == 403
    assert sup.get(pub_url).status_code == 403


# ---------------------------------------------------------------- complaints workbench


def test_workbench_reads_replies_and_reveals_contact_only_with_a_reason(world) -> None:
    no, code = file(world)
    sup, token = _signed(world, "sup_a")
    listing = sup.get("/portal/complaints").text
    assert no in listing and "高龄补贴被冒领" in listing and "李大民" not in listing
    page = sup.get(f"/portal/complaints/{no}").text
    assert "李大民" not in page and "13912345678" not in page
    assert mask_name("李大民") in page and "139****5678" in page
    # Without a reason the contact stays hidden; with one it shows and the reason is audited.
    r = sup.post(f"/portal/complaints/{no}/contact", data={"csrf_token": token})
    assert r.status_code == 303 and "李大民" not in sup.get(r.headers["location"]).text
    shown = sup.post(
        f"/portal/complaints/{no}/contact", data={"csrf_token": token, "reason": "电话核实线索"}
    )
    assert shown.status_code == 200 and "李大民" in shown.text and "13912345678" in shown.text
    (reveal,) = _audit(world, "complaint.contact_reveal")
    assert reveal.actor == "sup_a" and reveal.detail == {"reason": "电话核实线索"}
    assert {a.detail["via"] for a in _audit(world, "complaint.view")} >= {"page", "page.list"}
    # The attachment opens: its own bytes with its content type, as a download.
    link = f"/api/v1/complaints/{no}/attachments/"
    assert link in page
    sha = page.split(link)[1].split('"')[0]
    got = sup.get(link + sha)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content.startswith(b"\x89PNG") and "attachment" in got.headers["content-disposition"]
    # An internal reply goes on the warning's timeline, never to the citizen.
    r = sup.post(
        f"/portal/complaints/{no}/note", data={"csrf_token": token, "note": "请核对村委发放台账"}
    )
    assert r.status_code == 303
    with world.factory() as s:
        assert [c.body for c in s.scalars(select(Comment))] == ["请核对村委发放台账"]
    # The public reply waits for the disposal, then shows on the tracking page with the stages.
    reply = "经核查，反映问题属实，已追回多领资金1200元。"
    r = sup.post(f"/portal/complaints/{no}/reply", data={"csrf_token": token, "reply": reply})
    assert r.status_code == 303
    public = client_for(world)
    assert reply not in public.post("/public/track", data={"code": code}).text
    dispose(world, no)
    tracked = public.post("/public/track", data={"code": code}).text
    assert reply in tracked and "请核对村委发放台账" not in tracked
    for label in ("已受理", "开始核查办理", "办理完毕", "答复公开"):
        assert label in tracked
    staff_view = sup.get(f"/portal/complaints/{no}").text
    assert 'data-stage="replied"' in staff_view and reply in staff_view


def test_workbench_is_scoped_to_the_users_organisation(world) -> None:
    no, _code = file(world)
    other, token = _signed(world, "sup_b")
    assert no not in other.get("/portal/complaints").text
    assert other.get(f"/portal/complaints/{no}").status_code in (403, 404)
    r = other.post(
        f"/portal/complaints/{no}/reply", data={"csrf_token": token, "reply": "不应写入的答复"}
    )
    assert r.status_code in (403, 404)
    data, _ = _signed(world, "data")  # a data officer handles disclosures, not complaints
    assert data.get("/portal/complaints").status_code == 403


def test_a_short_reply_is_refused_with_the_reason(world) -> None:
    no, _code = file(world)
    sup, token = _signed(world, "sup_a")
    r = sup.post(f"/portal/complaints/{no}/reply", data={"csrf_token": token, "reply": "好"})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert "答复内容须为5至5000字" in sup.get(r.headers["location"]).text


# ---------------------------------------------------------------- one time zone


def test_tracking_page_and_back_office_show_the_same_local_time(world) -> None:
    no, code = file(world, when=datetime(2026, 3, 1, 3, 27, tzinfo=UTC))
    sup, _ = _signed(world, "sup_a")
    assert "2026-03-01 11:27" in sup.get(f"/portal/complaints/{no}").text
    assert "2026-03-01 11:27" in client_for(world).post("/public/track", data={"code": code}).text


def test_the_time_zone_setting_moves_every_page(world, monkeypatch) -> None:
    no, code = file(world, when=datetime(2026, 3, 1, 3, 27, tzinfo=UTC))
    monkeypatch.setenv("QINGFENG_TIMEZONE", "Europe/Berlin")
    world.settings = load_settings(world.settings.workspace, store_url=world.settings.store_url)
    assert world.settings.timezone == "Europe/Berlin"
    sup, _ = _signed(world, "sup_a")
    assert "2026-03-01 04:27" in sup.get(f"/portal/complaints/{no}").text
    assert "2026-03-01 04:27" in client_for(world).post("/public/track", data={"code": code}).text


def test_an_unknown_time_zone_is_refused_naming_the_setting(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"timezone.*Mars/Olympus"):
        load_settings(tmp_path, timezone="Mars/Olympus")


def test_warnings_export_shows_local_times(world) -> None:
    from qingfeng.store.models import Warning

    with world.factory() as s, s.begin():
        for w in s.scalars(select(Warning)):
            w.created_at = datetime(2026, 3, 1, 3, 27, 9, tzinfo=UTC)
    sup, _ = _signed(world, "sup_a")
    body = sup.get("/warnings/export.csv").text
    assert "2026-03-01 11:27:09" in body and "03:27:09" not in body


def test_every_state_and_stage_the_pages_show_has_both_languages() -> None:
    from qingfeng.portal.complaints import PUBLIC_STATUS
    from qingfeng.portal.models import VERSION_STATES
    from qingfeng.portal.stages import STAGE_LABELS
    from qingfeng.web.i18n import load_catalogue

    catalogue = load_catalogue()
    wanted = (
        [f"portalops.state.{s}" for s in VERSION_STATES]
        + [f"portalops.public.{s}" for s in PUBLIC_STATUS]
        + [f"portalops.stage.{s}" for s in STAGE_LABELS]
    )
    assert [k for k in wanted if k not in catalogue] == []


def test_api_export_gives_deadlines_in_local_time(world) -> None:
    import json

    from portal_ops_support import loop

    no, _code = file(world)
    loop(world, no, "dispatch", org_id=world.orgs["county_a"].id)
    sup, _ = _signed(world, "sup_a")
    r = sup.get("/api/v1/warnings/export?format=jsonl&model_id=complaint")
    assert r.status_code == 200, r.text
    (row,) = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert row["due_at"].endswith("+08:00")
