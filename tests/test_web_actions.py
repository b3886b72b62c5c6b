"""Closed-loop actions from the detail page: exactly the allowed actions are offered, they go
through the loop's service, and forged ids or form fields are refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qingfeng.store.models import AuditLog, Warning
from web_helpers import client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path, store_url):
    """On SQLite and, when configured, PostgreSQL."""
    return make_world(tmp_path, None if store_url.startswith("sqlite") else store_url)


def actions_on(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def post_action(client, wid: int, action: str, **fields):  # type: ignore[no-untyped-def]
    page = client.get(f"/warnings/{wid}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    data = {"csrf_token": csrf_from(page.text), **fields}
    if version:
        data.setdefault("version", version.group(1))
    return client.post(f"/warnings/{wid}/actions/{action}", data=data)


def status_of(world, wid: int) -> str:
    with world.factory() as s:
        return s.get_one(Warning, wid).status


def test_roles_see_exactly_their_actions(world):
    wid = world.warnings["county_a"][0]
    assert set(actions_on(sign_in(client_for(world), "sup_a").get(f"/warnings/{wid}").text)) == {
        "dispatch",
        "merge",
    }
    assert actions_on(sign_in(client_for(world), "leader").get(f"/warnings/{wid}").text) == []
    assert actions_on(sign_in(client_for(world), "ver_a").get(f"/warnings/{wid}").text) == []


def test_dispatch_accept_dispose_through_the_loop(world):
    wid = world.warnings["county_a"][0]
    sup = sign_in(client_for(world), "sup_a")
    town = world.orgs["township"].id
    r = post_action(sup, wid, "dispatch", org_id=str(town))
    assert r.status_code == 303, r.text
    assert status_of(world, wid) == "dispatched"
    page = sup.get(r.headers["location"])
    assert "已分办" in page.text and "操作已完成" in page.text and "广惠街道纪工委" in page.text

    ver = sign_in(client_for(world), "ver_a")
    assert "accept" in actions_on(ver.get(f"/warnings/{wid}").text)
    assert post_action(ver, wid, "accept").status_code == 303
    r = post_action(
        ver, wid, "dispose", finding="confirmed", measures="funds_recovered",
        funds_recovered="1200.00", note="已追回",
    )  # fmt: skip
    assert r.status_code == 303, r.text
    with world.factory() as s:
        w = s.get_one(Warning, wid)
        assert (w.status, w.finding, str(w.funds_recovered)) == ("disposed", "confirmed", "1200.00")
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.seq))]
    assert {"warning.dispatch", "warning.accept", "warning.dispose"} <= set(actions)
    timeline = ver.get(f"/warnings/{wid}").text
    assert "签收核查" in timeline and "处置" in timeline and "已追回" in timeline


def test_forged_org_field_to_another_county_is_refused(world):
    wid = world.warnings["county_a"][0]
    sup = sign_in(client_for(world), "sup_a")
    r = post_action(sup, wid, "dispatch", org_id=str(world.orgs["county_b"].id))
    assert r.status_code == 403
    assert "不在您的管辖范围" in r.text
    assert status_of(world, wid) == "new"


def test_action_on_another_countys_warning_is_404(world):
    other = world.warnings["county_b"][0]
    sup = sign_in(client_for(world), "sup_a")
    token = csrf_from(sup.get("/warnings").text)
    r = sup.post(
        f"/warnings/{other}/actions/dispatch",
        data={"csrf_token": token, "org_id": str(world.orgs["county_a"].id)},
    )
    assert r.status_code == 404
    assert status_of(world, other) == "new"


def test_action_the_role_may_not_take_is_refused(world):
    new, wid = world.warnings["county_a"][:2]
    with world.factory() as s, s.begin():
        w = s.get_one(Warning, wid)
        w.status, w.org_id = "dispatched", world.orgs["township"].id
    ver = sign_in(client_for(world), "ver_a")
    token = csrf_from(ver.get(f"/warnings/{wid}").text)
    r = ver.post(
        f"/warnings/{wid}/actions/reassign",
        data={"csrf_token": token, "org_id": str(world.orgs["county_a"].id)},
    )
    assert r.status_code == 403 and status_of(world, wid) == "dispatched"
    # what was not dispatched is not the verifier's to see, let alone to dispatch
    r = ver.post(
        f"/warnings/{new}/actions/dispatch",
        data={"csrf_token": token, "org_id": str(world.orgs["township"].id)},
    )
    assert r.status_code == 404 and status_of(world, new) == "new"


def test_stale_version_is_a_conflict_and_nothing_changes(world):
    wid = world.warnings["county_a"][0]
    sup = sign_in(client_for(world), "sup_a")
    r = post_action(sup, wid, "dispatch", org_id=str(world.orgs["township"].id), version="99")
    assert r.status_code == 409 and "刷新后重试" in r.text
    assert status_of(world, wid) == "new"


def test_malformed_field_names_the_field(world):
    wid = world.warnings["county_a"][0]
    sup = sign_in(client_for(world), "sup_a")
    r = post_action(sup, wid, "dispatch", org_id="abc")
    assert r.status_code == 422 and "org_id" in r.text


def test_comment_is_added_and_needs_a_comment_role(world):
    wid = world.warnings["county_a"][0]
    sup = sign_in(client_for(world), "sup_a")
    token = csrf_from(sup.get(f"/warnings/{wid}").text)
    r = sup.post(f"/warnings/{wid}/comments", data={"csrf_token": token, "body": "请尽快核实"})
    assert r.status_code == 303
    assert "请尽快核实" in sup.get(f"/warnings/{wid}").text
