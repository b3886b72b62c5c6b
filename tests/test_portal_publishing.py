"""Disclosures: masking rules, approval by a different user, snapshot on publish, versions,
withdrawal, and the store migration matching the models."""

from __future__ import annotations

import duckdb
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from portal_support import (
    LI,
    OFFICER_A,
    OFFICER_B,
    OUYANG,
    SUPERVISOR,
    TOWN,
    VILLAGE_A,
    WANG,
    ZHAO,
    make_env,
    publish_subsidy_roll,
)
from qingfeng.masking import (
    mask_account,
    mask_account_sql,
    mask_id,
    mask_id_sql,
    mask_name,
    mask_name_sql,
)
from qingfeng.portal.keys import derive_key, duckdb_hmac_sql, hmac_pads, keyed_hash
from qingfeng.portal.models import PublishedRow
from qingfeng.store.models import Base


def test_masking_rules() -> None:
    assert mask_name("张小明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳春花") == "欧**花"
    assert mask_name("王") == "*"
    assert mask_id("52272319500101123X") == "5227**********123X"
    assert mask_account("6217001234567890") == "************7890"


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="张王李欧阳春花明小a· X0", max_size=8), min_size=1, max_size=10))
def test_duckdb_masking_equals_python(values: list[str]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    got = con.execute(
        f"SELECT {mask_name_sql('v')}, {mask_id_sql('v')}, {mask_account_sql('v')} FROM t"
    ).fetchall()
    assert got == [(mask_name(v), mask_id(v), mask_account(v)) for v in values]


def test_duckdb_hmac_equals_python() -> None:
    key = derive_key("s3cret", "person")
    ip, op = hmac_pads(key)
    con = duckdb.connect()
    for msg in ("5227\x1f王小明", "", "x" * 200):
        sql = f"SELECT {duckdb_hmac_sql('$3', '$1', '$2')}"
        assert con.execute(sql, [ip, op, msg]).fetchone()[0] == keyed_hash(key, msg)


def test_migration_matches_models(store_url: str) -> None:
    from qingfeng.store.db import upgrade_store

    upgrade_store(store_url)
    engine = create_engine(store_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    portal_diff = [d for d in diff if "portal_" in repr(d)]
    assert portal_diff == []
    engine.dispose()


@pytest.fixture
def env(tmp_path, store_url):  # type: ignore[no-untyped-def]
    return make_env(tmp_path, store_url)


def test_disclosure_goes_through_approval_and_appears_masked(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    created = client.post(
        "/api/v1/publications",
        json={
            "kind": "subsidy_roll",
            "division_code": TOWN,
            "title": "某镇2026年高龄补贴发放名册",
            "filters": {"division_prefix": VILLAGE_A},
            "self_query": True,
            "verification": "account_last4",
        },
        headers=OFFICER_A,
    )
    assert created.status_code == 201, created.text
    vid, pid = created.json()["id"], created.json()["publication_id"]
    # Nothing public before publishing.
    assert client.get(f"/public/disclosures/{pid}").status_code == 404
    # Publishing a draft is refused; so is approving one's own draft.
    assert (
        client.post(f"/api/v1/publications/versions/{vid}/publish", headers=OFFICER_A).status_code
        == 409
    )
    own = client.post(f"/api/v1/publications/versions/{vid}/approve", headers=OFFICER_A)
    assert own.status_code == 403
    assert "审批人不能是起草人" in own.json()["detail"]["message"]
    # The approver previews masked rows.
    preview = client.get(f"/api/v1/publications/versions/{vid}/preview", headers=OFFICER_B).json()
    assert preview["total"] == 4
    assert {r["name"] for r in preview["rows"]} == {"王*明", "李*", "欧**花"}
    ok = client.post(f"/api/v1/publications/versions/{vid}/approve", headers=OFFICER_B)
    assert ok.json()["state"] == "approved" and ok.json()["approved_by"] == "officer-b"
    pub = client.post(f"/api/v1/publications/versions/{vid}/publish", headers=OFFICER_A).json()
    assert pub["state"] == "published" and pub["row_count"] == 4

    page = client.get(f"/public/disclosures/{pid}")
    assert page.status_code == 200
    html = page.text
    for person in (WANG, LI, OUYANG):
        assert person["name"] not in html
        assert person["id_no"] not in html
        assert person["account"] not in html
        assert mask_id(person["id_no"]) in html
    assert "王*明" in html and "李*" in html and "欧**花" in html
    assert "180.50" in html
    assert mask_name(ZHAO["name"]) not in html  # village B is outside the filter
    # The snapshot itself holds no clear names, IDs or accounts.
    with env.factory() as s:
        stored = repr(
            [(r.data, r.person_hash, r.verify_hash) for r in s.scalars(select(PublishedRow))]
        )
    for person in (WANG, LI, OUYANG):
        assert person["name"] not in stored and person["id_no"] not in stored
        assert person["account"] not in stored
    assert "某镇2026年高龄补贴发放名册" in client.get("/public/disclosures").text


def test_withdrawal_is_immediate_and_versions_supersede(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    v1 = publish_subsidy_roll(client)
    pid = v1["publication_id"]
    assert "王*明" in client.get(f"/public/disclosures/{pid}").text
    # Version 2 narrows to village B; publishing it supersedes version 1.
    r = client.post(
        f"/api/v1/publications/{pid}/versions",
        json={
            "title": "某镇2026年高龄补贴发放名册（更正）",
            "filters": {"division_prefix": "522723101202"},
        },
        headers=OFFICER_B,
    )
    v2 = r.json()
    assert v2["version_no"] == 2
    assert (
        client.post(
            f"/api/v1/publications/versions/{v2['id']}/approve", headers=OFFICER_A
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/publications/versions/{v2['id']}/publish", headers=OFFICER_B
        ).status_code
        == 200
    )
    html = client.get(f"/public/disclosures/{pid}").text
    assert "更正" in html and "赵*" in html and "王*明" not in html
    states = {
        v["version_no"]: v["state"]
        for v in client.get("/api/v1/publications", headers=OFFICER_A).json()[0]["versions"]
    }
    assert states == {1: "superseded", 2: "published"}
    # Withdraw needs a reason, then takes the page down at once.
    bad = client.post(
        f"/api/v1/publications/versions/{v2['id']}/withdraw",
        json={"reason": " "},
        headers=OFFICER_A,
    )
    assert bad.status_code == 400 and bad.json()["detail"]["field"] == "reason"
    w = client.post(
        f"/api/v1/publications/versions/{v2['id']}/withdraw",
        json={"reason": "数据有误"},
        headers=OFFICER_A,
    )
    assert w.json()["state"] == "withdrawn"
    assert client.get(f"/public/disclosures/{pid}").status_code == 404
    assert "高龄补贴发放名册" not in client.get("/public/disclosures").text
    assert client.get(f"/public/query/{pid}").status_code == 404


def test_bad_specs_and_roles_are_refused(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    body = {"kind": "subsidy_roll", "title": "x名册", "filters": {"division_prefix": "52'; DROP"}}
    r = client.post("/api/v1/publications", json=body, headers=OFFICER_A)
    assert r.status_code == 400 and "filters.division_prefix" in r.json()["detail"]["message"]
    r = client.post(
        "/api/v1/publications", json={**body, "filters": {"owner": "x"}}, headers=OFFICER_A
    )
    assert "不支持该筛选条件" in r.json()["detail"]["message"]
    r = client.post(
        "/api/v1/publications", json={**body, "kind": "secrets", "filters": {}}, headers=OFFICER_A
    )
    assert r.status_code == 400 and r.json()["detail"]["field"] == "kind"
    r = client.post(
        "/api/v1/publications",
        json={"kind": "tender", "title": "招标", "self_query": True},
        headers=OFFICER_A,
    )
    assert "不支持自助查询" in r.json()["detail"]["message"]
    assert client.post("/api/v1/publications", json=body).status_code == 401
    assert client.post("/api/v1/publications", json=body, headers=SUPERVISOR).status_code == 403
    assert (
        client.post("/api/v1/publications/versions/999/approve", headers=OFFICER_B).status_code
        == 404
    )


def test_tenders_ledgers_and_policies(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    ids = {}
    for kind, extra in (
        ("tender", {"filters": {"date_from": "2026-01-01"}}),
        ("village_ledger", {"filters": {"division_prefix": VILLAGE_A}}),
        (
            "policy",
            {
                "body": "年满80周岁的本县户籍老人<b>每月</b>100元。",
                "eligibility": "户籍在本县；年满80周岁。",
            },
        ),
    ):
        v = client.post(
            "/api/v1/publications",
            json={"kind": kind, "title": f"{kind}公开", **extra},
            headers=OFFICER_A,
        ).json()
        client.post(f"/api/v1/publications/versions/{v['id']}/approve", headers=OFFICER_B)
        r = client.post(f"/api/v1/publications/versions/{v['id']}/publish", headers=OFFICER_B)
        assert r.status_code == 200, r.text
        ids[kind] = v["publication_id"]
    tender = client.get(f"/public/disclosures/{ids['tender']}").text
    assert "黔南路桥建设有限公司" in tender and "765000.00" in tender
    ledger = client.get(f"/public/disclosures/{ids['village_ledger']}").text
    assert "李*" in ledger and "道路维修劳务费" in ledger and "李四" not in ledger
    policy = client.get(f"/public/disclosures/{ids['policy']}").text
    assert "&lt;b&gt;每月&lt;/b&gt;" in policy and "<b>每月" not in policy
    assert "年满80周岁。" in policy


def test_publish_fails_cleanly_when_the_lake_lacks_the_dataset(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    env.lake_path = empty
    client = TestClient(env.app())
    v = client.post(
        "/api/v1/publications",
        json={"kind": "subsidy_roll", "title": "某镇名册", "filters": {}},
        headers=OFFICER_A,
    ).json()
    client.post(f"/api/v1/publications/versions/{v['id']}/approve", headers=OFFICER_B)
    r = client.post(f"/api/v1/publications/versions/{v['id']}/publish", headers=OFFICER_A)
    assert r.status_code == 400
    assert "读取数据湖 subsidy_payments 失败" in r.json()["detail"]["message"]
    states = client.get("/api/v1/publications", headers=OFFICER_A).json()[0]["versions"]
    assert [x["state"] for x in states] == ["approved"]  # nothing half-written
    with env.factory() as s:
        assert s.scalars(select(PublishedRow)).all() == []
