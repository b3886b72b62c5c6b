"""Complaints linked to people, organisations and other warnings (scoped, audited); complaint
trends for the dashboard; the back office's sign-in mapped to the portal's staff user — on SQLite
and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal_support import (
    LI,
    OFFICER_A,
    OTHER_SUPERVISOR,
    SUPERVISOR,
    VILLAGE_A,
    VILLAGE_B,
    make_env,
)
from qingfeng import audit
from qingfeng.portal import analytics
from qingfeng.portal import api as portal_api
from qingfeng.portal.analytics import month_back
from qingfeng.portal.api import build_backoffice_router
from qingfeng.portal.complaints import ComplaintForm, file_complaint
from qingfeng.portal.deps import current_staff_user
from qingfeng.portal.models import Complaint, ComplaintLink
from qingfeng.store.models import AuditLog
from qingfeng.web.portal_mount import web_staff_user
from store_helpers import PASSWORD, make_warning

USCC = "91522723MA6ABCDE1X"


@pytest.fixture
def env(tmp_path, store_url):  # type: ignore[no-untyped-def]
    return make_env(tmp_path, store_url)


def add_complaint(
    env, *, division: str = VILLAGE_A, category: str = "livelihood_funds", when=None
) -> str:  # type: ignore[no-untyped-def]
    form = ComplaintForm(
        division_code=division,
        category=category,
        title="村干部优亲厚友",
        content="低保名额给了村干部的亲戚，真正困难的人家没有评上。",
        target_name="张某",
    )
    with env.factory() as s, s.begin():
        c, _ = file_complaint(s, form, [], env.settings.attachments_dir, now=when)
        return c.complaint_no


def test_links_to_person_organisation_and_warning(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    no = add_complaint(env)
    with env.factory() as s, s.begin():
        model_warning = make_warning(s, division_code=VILLAGE_A).id
        far_warning = make_warning(s, division_code="522702001001").id  # another county
        own = s.scalar(select(Complaint.warning_id).where(Complaint.complaint_no == no))
    url = f"/api/v1/complaints/{no}/links"
    person = client.post(
        url,
        json={"target_type": "person", "target_id": LI["id_no"].lower(), "target_name": "李四"},
        headers=SUPERVISOR,
    )
    assert person.status_code == 201, person.text
    assert person.json()["target_id"] == LI["id_no"]  # normalised (upper-case X)
    org = client.post(
        url, json={"target_type": "organisation", "target_id": USCC}, headers=SUPERVISOR
    )
    assert org.status_code == 201, org.text
    warn = client.post(
        url,
        json={"target_type": "warning", "target_id": str(model_warning), "note": "同一人"},
        headers=SUPERVISOR,
    )
    assert warn.status_code == 201, warn.text
    assert warn.json()["warning"]["model_id"] == "dead_still_paid"
    listed = client.get(url, headers=SUPERVISOR).json()
    assert [(x["target_type"], x["target_id"]) for x in listed] == [
        ("person", LI["id_no"]),
        ("organisation", USCC),
        ("warning", str(model_warning)),
    ]
    # Refused, each naming the field: bad checksums, unknown type, duplicates, own warning,
    # a warning outside the user's scope (looks the same as a missing one).
    for body, status, text in (
        ({"target_type": "person", "target_id": LI["id_no"][:-1] + "0"}, 400, "身份号码"),
        ({"target_type": "organisation", "target_id": USCC[:-1] + "0"}, 400, "信用代码"),
        ({"target_type": "vehicle", "target_id": "黔J12345"}, 400, "target_type"),
        ({"target_type": "warning", "target_id": "abc"}, 400, "数字"),
        ({"target_type": "warning", "target_id": str(own)}, 400, "自身"),
        ({"target_type": "warning", "target_id": str(far_warning)}, 400, "不在您的范围内"),
        ({"target_type": "person", "target_id": LI["id_no"]}, 409, "已关联"),
    ):
        r = client.post(url, json=body, headers=SUPERVISOR)
        assert r.status_code == status, (body, r.text)
        assert text in r.json()["detail"]["message"]
        if status == 400:
            assert r.json()["detail"]["field"] in ("target_id", "target_type")
    # Who is linked to this person? (e.g. from a person's page)
    found = client.get(
        "/api/v1/complaints/linked",
        params={"target_type": "person", "target_id": LI["id_no"]},
        headers=SUPERVISOR,
    ).json()
    assert [f["complaint_no"] for f in found] == [no]
    # Removing one.
    gone = client.delete(f"{url}/{org.json()['id']}", headers=SUPERVISOR)
    assert gone.status_code == 204
    assert client.delete(f"{url}/{org.json()['id']}", headers=SUPERVISOR).status_code == 404
    with env.factory() as s:
        assert (
            s.scalar(select(ComplaintLink.id).where(ComplaintLink.target_type == "organisation"))
            is None
        )
        rows = s.scalars(
            select(AuditLog).where(AuditLog.action.like("complaint.link%")).order_by(AuditLog.seq)
        ).all()
        assert [r.action for r in rows] == [
            "complaint.link_add",
            "complaint.link_add",
            "complaint.link_add",
            "complaint.link_search",
            "complaint.link_remove",
        ]
        assert all(r.actor == "sup-1" for r in rows)
        # The audit detail masks the ID number; the full one is only in the link row.
        assert rows[0].detail["target"] == LI["id_no"][:4] + "*" * 10 + LI["id_no"][-4:]
        assert LI["id_no"] not in repr([r.detail for r in rows])
        assert audit.verify(s).ok


def test_links_are_scoped_and_role_checked(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    no = add_complaint(env)
    url = f"/api/v1/complaints/{no}/links"
    body = {"target_type": "organisation", "target_id": USCC}
    assert client.post(url, json=body, headers=SUPERVISOR).status_code == 201
    # Another county's supervisor: the complaint does not exist for them.
    assert client.get(url, headers=OTHER_SUPERVISOR).status_code == 404
    assert client.post(url, json=body, headers=OTHER_SUPERVISOR).status_code == 404
    found = client.get(
        "/api/v1/complaints/linked",
        params={"target_type": "organisation", "target_id": USCC},
        headers=OTHER_SUPERVISOR,
    )
    assert found.status_code == 200 and found.json() == []
    # A data officer handles publications, not complaints; nobody signed in gets 401.
    assert client.get(url, headers=OFFICER_A).status_code == 403
    assert client.get(url).status_code == 401
    assert (
        client.post("/api/v1/complaints/TS000/links", json=body, headers=SUPERVISOR).status_code
        == 404
    )
    r = client.post(url, json={"target_type": "person"}, headers=SUPERVISOR)
    assert r.status_code == 422 and "target_id" in r.text


def test_trends_for_the_dashboard(env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # One instant for the test and the server: a month or a day that ends while the test runs
    # must not move the windows the figures are counted in.
    now = datetime.now(UTC)
    monkeypatch.setattr(portal_api, "utcnow", lambda: now)
    monkeypatch.setattr(analytics, "utcnow", lambda: now)
    this_month, last_month = month_back(now, 1), month_back(now, 2)
    earlier = datetime(int(last_month[:4]), int(last_month[5:]), 15, tzinfo=UTC)
    add_complaint(env, when=now)
    add_complaint(env, category="procurement", when=now)
    add_complaint(env, division=VILLAGE_B, when=earlier)
    add_complaint(env, division=VILLAGE_B, when=datetime(2020, 1, 5, tzinfo=UTC))  # too old
    client = TestClient(env.app())
    r = client.get("/api/v1/complaints/trends", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["since_month"] == month_back(now, 12)
    assert data["months"] == [last_month, this_month] and data["total"] == 3
    cats = {c["key"]: c for c in data["categories"]}
    assert cats["livelihood_funds"]["counts"] == [1, 1]
    assert cats["livelihood_funds"]["label"] == "民生资金"
    assert cats["procurement"]["counts"] == [0, 1] and cats["procurement"]["replied"] == [0, 0]
    places = {p["code"]: (p["name"], p["count"]) for p in data["places"]}
    assert places == {VILLAGE_A: ("某镇甲村", 2), VILLAGE_B: ("某镇乙村", 1)}
    assert sum(row["count"] for row in data["rows"]) == 3
    every = client.get(
        "/api/v1/complaints/trends", params={"since_month": "2019-12"}, headers=SUPERVISOR
    ).json()
    assert every["total"] == 4 and every["months"][0] == "2020-01"
    # Scoped: another county sees none of these; a leader may chart them; bad input is named.
    assert client.get("/api/v1/complaints/trends", headers=OTHER_SUPERVISOR).json()["total"] == 0
    # Unresolved for longer than the gap to `earlier` (14 to 45 days, by today's date): the
    # default 30 days would make the count depend on the day of the month the test runs.
    days = (now - earlier).days - 1
    mine = client.get(
        "/api/v1/complaints/analytics", params={"days": days}, headers=SUPERVISOR
    ).json()
    assert len(mine["trends"]) == 4
    assert sorted(t["count"] for t in mine["repeated_targets"]) == [2, 2]  # per place
    assert len(mine["long_unresolved"]) == 2 and mine["near_duplicates"]
    theirs = client.get("/api/v1/complaints/analytics", headers=OTHER_SUPERVISOR).json()
    assert theirs["trends"] == theirs["repeated_targets"] == theirs["long_unresolved"] == []
    assert theirs["near_duplicates"] == [] and theirs["replies"]["fast"] == []
    leader = {"X-Test-User": "sup-1", "X-Test-Roles": "leader"}
    assert client.get("/api/v1/complaints/trends", headers=leader).status_code == 200
    assert client.get("/api/v1/complaints/trends", headers=OFFICER_A).status_code == 403
    bad = client.get(
        "/api/v1/complaints/trends", params={"since_month": "2026-13"}, headers=SUPERVISOR
    )
    assert bad.status_code == 422 and "since_month" in bad.text
    bad = client.get("/api/v1/complaints/trends", params={"months": 0}, headers=SUPERVISOR)
    assert bad.status_code == 422 and "months" in bad.text


def test_month_back() -> None:
    assert month_back(datetime(2026, 11, 23), 12) == "2025-12"
    assert month_back(datetime(2026, 1, 1), 1) == "2026-01"
    assert month_back(datetime(2026, 1, 1), 2) == "2025-12"


def test_web_staff_user_maps_the_back_office_sign_in(env) -> None:  # type: ignore[no-untyped-def]
    """The one line the back office needs: the API's signed-in user (HTTP Basic here; the session
    cookie goes through the same function) becomes the portal's StaffUser with its scope."""
    no = add_complaint(env)
    app = FastAPI()
    app.state.settings = env.settings
    app.state.sessions = env.factory
    app.include_router(build_backoffice_router(env.settings, factory=env.factory))
    app.dependency_overrides[current_staff_user] = web_staff_user
    client = TestClient(app)

    def basic(user: str, password: str = PASSWORD) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    r = client.get(f"/api/v1/complaints/{no}", headers=basic("sup-1"))
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/complaints/{no}", headers=basic("sup-other")).status_code == 404
    assert (
        client.get(f"/api/v1/complaints/{no}", headers=basic("sup-1", "wrong")).status_code == 401
    )
    assert client.get(f"/api/v1/complaints/{no}").status_code == 401
    with env.factory() as s:
        (view,) = s.scalars(select(AuditLog).where(AuditLog.action == "complaint.view")).all()
        assert (view.actor, view.object_id) == ("sup-1", no)
