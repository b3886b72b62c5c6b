"""Shared builders for the portal tests: a workspace on a given store, a real DuckDB 'lake' with
the standard dataset names, and a FastAPI app that includes the portal's routers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from qingfeng.portal.api import build_backoffice_router
from qingfeng.portal.config import PortalConfig
from qingfeng.portal.deps import current_staff_user
from qingfeng.portal.models import PortalDivision
from qingfeng.portal.publishing import StaffUser
from qingfeng.portal.router import build_portal_router
from qingfeng.settings import Settings, load_settings
from qingfeng.store.db import make_engine, session_factory, upgrade_store
from qingfeng.store.users import create_org
from store_helpers import quick_user

COUNTY = "522723"
TOWN = "522723101000"
VILLAGE_A = "522723101201"
VILLAGE_B = "522723101202"


def make_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")  # it ignores the last character


# Three people in village A, one in B; 王小明 has two payments.
WANG = {"id_no": make_id("52272319500101123"), "name": "王小明", "account": "6217001234567890"}
LI = {"id_no": make_id("52272319620202456"), "name": "李四", "account": "6217009999888877"}
OUYANG = {"id_no": make_id("52272319480303789"), "name": "欧阳春花", "account": "6217005555444433"}
ZHAO = {"id_no": make_id("52272319550404321"), "name": "赵六", "account": "6217001111222233"}

SUBSIDY_ROWS = [
    ("P001", WANG, "高龄补贴", "2026-09", "2026-09-10", "100.00", VILLAGE_A),
    ("P002", WANG, "高龄补贴", "2026-10", "2026-10-10", "100.00", VILLAGE_A),
    ("P003", LI, "高龄补贴", "2026-10", "2026-10-10", "100.00", VILLAGE_A),
    ("P004", OUYANG, "残疾人两项补贴", "2026-10", "2026-10-11", "180.50", VILLAGE_A),
    ("P005", ZHAO, "高龄补贴", "2026-10", "2026-10-10", "100.00", VILLAGE_B),
]


def build_lake(path: Path) -> Path:
    """A DuckDB file with the standard datasets the portal reads (subsidy_payments, village_ledgers,
    tenders, bids), shaped as docs/architecture.md says."""
    con = duckdb.connect(str(path))
    con.execute(
        """CREATE TABLE subsidy_payments (payment_no VARCHAR, id_no VARCHAR, name VARCHAR,
        subsidy_type VARCHAR, period VARCHAR, pay_date DATE, amount DECIMAL(18,2),
        account_no VARCHAR, division_code VARCHAR, approver_id_no VARCHAR,
        machine_serial VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO subsidy_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [
            (no, p["id_no"], p["name"], t, per, d, amt, p["account"], div)
            for no, p, t, per, d, amt, div in SUBSIDY_ROWS
        ],
    )
    con.execute(
        """CREATE TABLE village_ledgers (voucher_no VARCHAR, division_code VARCHAR, entry_date DATE,
        payee_id_no VARCHAR, payee_name VARCHAR, amount DECIMAL(18,2), pay_method VARCHAR,
        purpose VARCHAR, decision_no VARCHAR)"""
    )
    con.execute(
        f"""INSERT INTO village_ledgers VALUES
        ('V1', '{VILLAGE_A}', DATE '2026-08-01', '{LI["id_no"]}', '李四', 3200.00, '转账',
         '道路维修劳务费', 'JY2026-07'),
        ('V2', '{VILLAGE_A}', DATE '2026-08-15', NULL, '村委办公用品店', 560.00, '现金',
         '办公用品', NULL)"""
    )
    con.execute(
        """CREATE TABLE tenders (tender_no VARCHAR, project_name VARCHAR, buyer_uscc VARCHAR,
        buyer_name VARCHAR, budget DECIMAL(18,2), method VARCHAR, announce_date DATE,
        deadline_date DATE, award_date DATE, winner_uscc VARCHAR, winning_price DECIMAL(18,2))"""
    )
    con.execute(
        """INSERT INTO tenders VALUES ('T2026-01', '村道硬化工程', '11522723MB1234567X',
        '某镇人民政府', 800000, '公开招标', DATE '2026-05-01', DATE '2026-05-20',
        DATE '2026-05-25', '91522723MA6ABCDE1X', 765000)"""
    )
    con.execute(
        """CREATE TABLE bids (tender_no VARCHAR, bidder_uscc VARCHAR, bidder_name VARCHAR,
        bid_price DECIMAL(18,2))"""
    )
    con.execute(
        """INSERT INTO bids VALUES ('T2026-01', '91522723MA6ABCDE1X', '黔南路桥建设有限公司',
        765000), ('T2026-01', '91522723MA6ZZZZZ2Y', '另一建筑公司', 790000)"""
    )
    con.close()
    return path


def header_test_user(request: Request) -> StaffUser:
    """The acting staff member named by X-Test-User / X-Test-Roles headers: the portal's tests
    act as several people in one app without signing each of them in."""
    user = request.headers.get("x-test-user")
    if not user:
        raise HTTPException(401, "未登录 / not signed in (X-Test-User missing)")
    roles = request.headers.get("x-test-roles", "")
    return StaffUser(id=user, name=user, roles=frozenset(r for r in roles.split(",") if r))


@dataclass
class PortalEnv:
    settings: Settings
    factory: sessionmaker[Session]
    lake_path: Path
    config: PortalConfig

    def lake_connect(self, _settings: Settings) -> Any:
        return duckdb.connect(str(self.lake_path), read_only=True)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.include_router(
            build_portal_router(self.settings, config=self.config, factory=self.factory)
        )
        app.include_router(
            build_backoffice_router(
                self.settings, factory=self.factory, lake_connect=self.lake_connect
            )
        )
        app.dependency_overrides[current_staff_user] = header_test_user
        return app


def make_env(
    tmp_path: Path, store_url: str, trusted_proxies: tuple[str, ...] = (), **config: Any
) -> PortalEnv:
    settings = load_settings(
        tmp_path / "ws",
        secret_key="portal-test-secret",
        store_url=store_url,
        county_division_code=COUNTY,
        trusted_proxies=list(trusted_proxies),
    )
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    upgrade_store(store_url)
    factory = session_factory(make_engine(store_url))
    with factory() as s, s.begin():
        s.add_all(
            [
                PortalDivision(code=TOWN, name="某镇", level="township"),
                PortalDivision(code=VILLAGE_A, name="某镇甲村", level="village"),
                PortalDivision(code=VILLAGE_B, name="某镇乙村", level="village"),
            ]
        )
        # Staff see complaints through their organisation's scope: the county commission covers
        # both villages; another county's supervisor sees none of them.
        county = create_org(s, "某县纪委监委", "county", COUNTY)
        other = create_org(s, "另一县纪委监委", "county", "522702")
        quick_user(s, "sup-1", "supervisor", county.id)
        quick_user(s, "sup-other", "supervisor", other.id)
        # Disclosures are scoped like warnings: the officers work for the county.
        quick_user(s, "officer-a", "data_officer", county.id)
        quick_user(s, "officer-b", "data_officer", county.id)
    return PortalEnv(
        settings, factory, build_lake(tmp_path / "lake.duckdb"), PortalConfig(**config)
    )


OFFICER_A = {"X-Test-User": "officer-a", "X-Test-Roles": "data_officer"}
OFFICER_B = {"X-Test-User": "officer-b", "X-Test-Roles": "data_officer"}
SUPERVISOR = {"X-Test-User": "sup-1", "X-Test-Roles": "supervisor"}
OTHER_SUPERVISOR = {"X-Test-User": "sup-other", "X-Test-Roles": "supervisor"}

_QUESTION = re.compile(r"<label for=\"challenge\">(\d+) (加|减) (\d+) 等于多少？</label>")
_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def solve(html: str) -> dict[str, str]:
    """Answer the arithmetic challenge in a form page, as a person would."""
    m = _QUESTION.search(html)
    assert m, "no challenge in page"
    a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
    token = _TOKEN.search(html)
    assert token
    return {"challenge": str(a + b if op == "加" else a - b), "token": token.group(1)}


def publish_subsidy_roll(
    client: Any,
    *,
    self_query: bool = True,
    verification: str | None = "account_last4",
    filters: dict | None = None,
) -> dict:
    created = client.post(
        "/api/v1/publications",
        json={
            "kind": "subsidy_roll",
            "division_code": TOWN,
            "title": "某镇2026年高龄补贴发放名册",
            "filters": filters if filters is not None else {"division_prefix": "522723101"},
            "self_query": self_query,
            "verification": verification if self_query else None,
        },
        headers=OFFICER_A,
    )
    assert created.status_code == 201, created.text
    vid = created.json()["id"]
    r = client.post(f"/api/v1/publications/versions/{vid}/approve", headers=OFFICER_B)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/publications/versions/{vid}/publish", headers=OFFICER_A)
    assert r.status_code == 200, r.text
    return r.json()
