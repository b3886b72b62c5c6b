"""The one masking rule (qingfeng.masking) and the attack it has to stop: rebuilding a masked ID
number from what the pages show beside it (a birth date) or from searches by its prefix.

The ID 522701 19500101 0011 masks as 5227**********0011: the hidden middle is the county and the
birth date. A page that showed the birth date beside the mask, or a search that answered
prefixes, would give the number back without the audited reveal.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest
from sqlalchemy import select

from qingfeng.masking import (
    birth_year,
    mask_evidence,
    mask_id,
    mask_id_sql,
    mask_name,
    mask_text,
)
from qingfeng.store.models import AuditLog, Warning
from qingfeng.web.queries.quarantine import _mask_original
from web_helpers import add_warning, client_for, make_world, sign_in

ID = "522701195001010011"


def test_one_rule_for_ids_names_and_text() -> None:
    assert mask_id(ID) == "5227**********0011"
    assert mask_id("52272319500101123x") == "5227**********123X"
    assert mask_id("12345678") == "********"  # short codes hide everything
    assert mask_id(None) is None
    assert mask_name("王小明") == "王*明" and mask_name("李四") == "李*" and mask_name("王") == "*"
    text = f"身份证{ID}，电话13812345678，账号6217001234567890123"
    assert mask_text(text) == "身份证5227**********0011，电话138****5678，账号***************0123"
    assert mask_text("区划522701001002，金额1200.00元") == "区划522701001002，金额1200.00元"
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (?), ('1234'), (NULL)) v(x)", [ID])
    got = [r[0] for r in con.execute(f"SELECT {mask_id_sql('x')} FROM t").fetchall()]
    assert got == [mask_id(ID), "****", None]


@pytest.mark.parametrize(
    ("value", "year"),
    [("1950-01-01", "1950"), ("1950/1/1", "1950"), ("1950年1月1日", "1950"), ("", ""),
     ("19500101", "1950"), ("not a date", "****")],
)  # fmt: skip
def test_birth_dates_show_the_year_only(value: str, year: str) -> None:
    assert birth_year(value) == year


def test_evidence_keeps_its_shape_and_hides_what_rebuilds_an_id() -> None:
    evidence = {
        "person": {
            "id_no": ID, "name": "王小明", "birth_date": "1950-01-01", "phone": "13812345678"
        },
        "rows": [{"出生日期": "1950-01-01", "amount": 12.5}],
        "note": f"此人{ID}已死亡",
    }  # fmt: skip
    masked = mask_evidence(evidence)
    assert masked["person"] == {
        "id_no": "5227**********0011",
        "name": "王*明",
        "birth_date": "1950",
        "phone": "138****5678",
    }
    assert masked["rows"] == [{"出生日期": "1950", "amount": 12.5}]
    assert ID not in json.dumps(masked, ensure_ascii=False)


def test_quarantine_rows_show_birth_dates_as_the_year() -> None:
    shown = _mask_original(
        json.dumps(
            {"身份证号": ID, "姓名": "王小明", "出生日期": "1950-01-01", "死亡日期": "2024-13-40"}
        )
    )
    assert shown == {
        "身份证号": "5227**********0011",
        "姓名": "王*明",
        "出生日期": "1950",
        "死亡日期": "2024-13-40",  # a broken date is what the officer must fix: shown as written
    }


# ------------------------------------------------------------------ the attack, end to end
@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    with world.factory() as s, s.begin():
        org = world.orgs["county_a"]
        w = add_warning(s, "522701001002", "张三丰")
        w.org_id = org.id  # dispatched to the county: its verifier sees it too
        w.evidence = {"person": [{"id_no": w.subject_id, "birth_date": "1950-01-01"}]}
        world.warnings["target"] = [w.id]
    return world


def _target(world) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    wid = world.warnings["target"][0]
    with world.factory() as s:
        return wid, s.get(Warning, wid).subject_id


def _ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'href="/warnings/(\d+)"', html)}


@pytest.mark.parametrize("username", ["leader", "builder"])
def test_prefix_searches_do_not_rebuild_a_masked_id(world, username: str) -> None:  # type: ignore[no-untyped-def]
    wid, full = _target(world)
    client = sign_in(client_for(world), username)
    listed = client.get("/warnings").text
    assert full not in listed and mask_id(full) in listed
    # Each longer prefix would confirm one more digit: none of them finds anything.
    for n in range(4, 18):
        page = client.get(f"/warnings?q={full[:n]}")
        assert page.status_code == 200 and wid not in _ids(page.text), full[:n]
        api = client.get(f"/api/v1/warnings?subject_id={full[:n]}")
        assert wid not in {w["id"] for w in api.json()["items"]}
    # The whole number finds the person, and the search is in the audit log, masked.
    assert wid in _ids(client.get(f"/warnings?q={full}").text)
    with world.factory() as s:
        rows = s.scalars(
            select(AuditLog).where(
                AuditLog.action == "warning.search_subject", AuditLog.actor == username
            )
        ).all()
    assert any(r.object_id == mask_id(full) and r.detail.get("via") == "page" for r in rows)
    assert all(full[:n] not in r.object_id for r in rows for n in (11, 14))  # never in clear
    # Names are not guessed letter by letter either by roles that see them masked.
    assert wid not in _ids(client.get("/warnings?q=张").text)


@pytest.mark.parametrize("username", ["sup_a", "ver_a"])
def test_profile_and_warning_show_the_birth_year_beside_the_mask(world, username: str) -> None:  # type: ignore[no-untyped-def]
    wid, full = _target(world)
    client = sign_in(client_for(world), username)
    for url in (f"/people/w/{wid}", f"/warnings/{wid}", f"/api/v1/warnings/{wid}"):
        text = client.get(url).text
        assert full not in text and "1950-01-01" not in text and "19500101" not in text, url
        assert mask_id(full) in text and "1950" in text, url


def test_the_audited_reveal_shows_the_full_birth_date(world) -> None:  # type: ignore[no-untyped-def]
    wid, full = _target(world)
    client = sign_in(client_for(world), "sup_a")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/people").text).group(1)
    page = client.post(
        f"/people/w/{wid}", data={"unmask": "1", "reason": "核查身份信息", "csrf_token": csrf}
    )
    assert page.status_code == 200 and full in page.text and "1950-01-01" in page.text
    with world.factory() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "person.unmask")).one()
    assert row.detail["reason"] == "核查身份信息"


def test_exports_carry_no_birth_date_beside_a_mask(world) -> None:  # type: ignore[no-untyped-def]
    _wid, full = _target(world)
    client = sign_in(client_for(world), "leader")
    exported = client.get("/api/v1/warnings/export?format=jsonl").text
    assert full not in exported and "1950-01-01" not in exported and mask_id(full) in exported
    csv_page = client.get("/warnings/export.csv").text
    assert full not in csv_page and mask_id(full) in csv_page
