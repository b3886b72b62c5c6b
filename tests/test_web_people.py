"""People profiles: scoped, identifiers never in URLs, unmasking needs role + reason, audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from qingfeng.store.models import AuditLog, Warning
from web_helpers import client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def subject_of(world, wid: int) -> str:
    with world.factory() as s:
        return s.get_one(Warning, wid).subject_id


def test_profile_from_a_warning_is_masked_and_audited(world):
    wid = world.warnings["county_a"][0]
    full = subject_of(world, wid)
    sup = sign_in(client_for(world), "sup_a")
    page = sup.get(f"/people/w/{wid}")
    assert page.status_code == 200
    assert full not in page.text and full[:4] + "**********" + full[-4:] in page.text
    assert "王小明" in page.text and "关系图谱" in page.text
    graph = json.loads(re.search(r'id="chart-graph">(.*?)</script>', page.text, re.S).group(1))
    assert graph["series"][0]["type"] == "graph" and len(graph["series"][0]["data"]) >= 2
    with world.factory() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "person.view"))
        assert row is not None and full not in json.dumps(row.detail)


def test_unmask_needs_a_reason_and_is_audited(world):
    wid = world.warnings["county_a"][0]
    full = subject_of(world, wid)
    sup = sign_in(client_for(world), "sup_a")
    token = csrf_from(sup.get(f"/people/w/{wid}").text)
    no_reason = sup.post(f"/people/w/{wid}", data={"csrf_token": token, "unmask": "1"})
    assert no_reason.status_code == 422 and full not in no_reason.text
    shown = sup.post(
        f"/people/w/{wid}", data={"csrf_token": token, "unmask": "1", "reason": "核查需要比对户籍"}
    )
    assert shown.status_code == 200 and full in shown.text
    with world.factory() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "person.unmask"))
        assert row is not None and row.detail["reason"] == "核查需要比对户籍"


def test_search_by_id_is_a_post_and_scoped(world):
    own = subject_of(world, world.warnings["county_a"][0])
    other = subject_of(world, world.warnings["county_b"][0])
    sup = sign_in(client_for(world), "sup_a")
    token = csrf_from(sup.get("/people").text)
    assert sup.post("/people", data={"csrf_token": token, "q": own}).status_code == 200
    r = sup.post("/people", data={"csrf_token": token, "q": other})
    assert r.status_code == 404 and other not in r.text
    bad = sup.post("/people", data={"csrf_token": token, "q": "12345"})
    assert bad.status_code == 400 and "18" in bad.text
    assert sup.get(f"/people/w/{world.warnings['county_b'][0]}").status_code == 404


def test_roles_without_people_access(world):
    leader = sign_in(client_for(world), "leader")
    assert leader.get("/people").status_code == 403
    assert leader.get(f"/people/w/{world.warnings['county_a'][0]}").status_code == 403
