"""The authorisation matrix: every route of the app × every role × own scope / another township /
another county, and anonymous, checked against the policy (qingfeng.web.policy).

The routes come from the app's own route table, so a route added without a policy entry fails
`test_every_route_has_a_policy` by name. Each cell is one real request through the real app
(SQLite store, signed-in sessions); the door's answers carry `X-Policy`, which tells them from
the route's own (a form refused for a missing field is the route's business, not the door's).

One world for the module: a county (522701) with two townships, another county (522702); a
warning in the first township, dispatched to the county, with a file, a complaint and a
disclosure; one user per role in the county, in the second township and in the other county.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from string import Formatter
from unittest.mock import patch

import pytest
from argon2 import PasswordHasher
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.portal.models import Complaint, ComplaintAttachment
from qingfeng.portal.publishing import StaffUser, VersionSpec, create_publication
from qingfeng.settings import load_settings
from qingfeng.store import users as store_users
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Attachment, AuditLog, SavedFilter, User
from qingfeng.store.users import create_org, create_user
from qingfeng.web.app import create_app
from qingfeng.web.authz import POLICY_HEADER
from qingfeng.web.policy import POLICY, Rule, Scope, rule_for
from qingfeng.web.roles import Area, Role, allows
from web_helpers import PASSWORD, _template_workspace, add_warning, csrf_from

COUNTY, TOWN_1, TOWN_2, OTHER_COUNTY = "522701", "522701001", "522701002", "522702"
PLACES = {"own": COUNTY, "other_township": TOWN_2, "other_county": OTHER_COUNTY}
# Scopes the door checks against an object named in the path (the others are the route's).
OBJECT_SCOPES = frozenset(
    {
        Scope.WARNING,
        Scope.ATTACHMENT,
        Scope.COMPLAINT,
        Scope.PUBLICATION,
        Scope.VERSION,
        Scope.COUNTY,
        Scope.USER,
    }
)


@dataclass(frozen=True)
class Principal:
    role: str
    place: str

    @property
    def username(self) -> str:
        return f"{self.role}_{self.place}"


PRINCIPALS = [Principal(r.value, place) for r in Role for place in PLACES]


def app_routes() -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, from its route table."""
    app = create_app(load_settings(_template_workspace(), secret_key="x" * 32))
    out = []
    for rc in iter_route_contexts(app.routes):
        for method in sorted(getattr(rc, "methods", None) or ()):
            if method != "HEAD":
                out.append((method, rc.path))
    return out


ROUTES = app_routes()


def test_every_route_has_a_policy() -> None:
    missing = [f"{m} {p}" for m, p in ROUTES if rule_for(m, p) is None]
    assert not missing, (
        "routes without an authorisation policy — add a line for each to "
        "qingfeng.web.policy.POLICY (permission and scope): " + ", ".join(missing)
    )
    stale = sorted(set(POLICY) - set(ROUTES))
    assert not stale, f"policy entries for routes the app does not serve: {stale}"


@dataclass
class World:
    app: TestClient
    clients: dict[str, TestClient]
    csrf: dict[str, str]
    params: dict[str, str]
    filters: dict[str, int]
    factory: sessionmaker[Session]


def _sign_in(app: object, username: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert r.status_code == 303, (username, r.status_code, r.text[:200])
    return client, csrf_from(client.get("/account/password").text)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("authz") / "ws"
    shutil.copytree(_template_workspace(), folder)
    settings = load_settings(folder, secret_key="authz-matrix-secret-0123456789")
    settings = settings.model_copy(update={"county_division_code": COUNTY})
    factory = session_factory(make_engine(settings.database_url))
    params: dict[str, str] = {
        "action": "pause",
        "batch_id": "no-such-batch",
        "token": "no-such-upload",
        "model_id": "dead_still_paid",
        "name": "portal.css",
        "link_id": "1",
        "view_id": "1",
        "filter_id": "1",
    }
    filters: dict[str, int] = {}
    # A real argon2id hash, cheap to check: two dozen sign-ins would otherwise take seconds.
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with (
        patch.object(store_users, "hash_password", lambda _p: cheap),
        factory() as s,
        s.begin(),
    ):
        prov = create_org(s, "省纪委监委", "province", "52")
        city = create_org(s, "州纪委监委", "city", "5227", prov)
        county = create_org(s, "县纪委监委", "county", COUNTY, city)
        town_1 = create_org(s, "一镇纪委", "township", TOWN_1, county)
        town_2 = create_org(s, "二镇纪委", "township", TOWN_2, county)
        other = create_org(s, "另一县纪委监委", "county", OTHER_COUNTY, city)
        orgs = {"own": county, "other_township": town_2, "other_county": other}
        for p in PRINCIPALS:
            user = create_user(s, p.username, PASSWORD, p.role, orgs[p.place].id)
            saved = SavedFilter(user_id=user.id, name="mine", query={})
            s.add(saved)
            s.flush()
            filters[p.username] = saved.id
        target = create_user(s, "target_town_1", PASSWORD, "supervisor", town_1.id)
        warning = add_warning(s, TOWN_1 + "001")
        warning.org_id = county.id  # dispatched to the county: its verifiers see it too
        data = b"evidence"
        digest = hashlib.sha256(data).hexdigest()
        settings.attachments_dir.mkdir(parents=True, exist_ok=True)
        (settings.attachments_dir / digest).write_bytes(data)
        att = Attachment(
            warning_id=warning.id, filename="a.txt", content_type="text/plain", size=8,
            sha256=digest,
        )  # fmt: skip
        complaint = Complaint(
            complaint_no="TS20260001", tracking_hash="0" * 64, division_code=TOWN_1 + "001",
            category="other", title="投诉", content="内容", warning_id=warning.id,
            created_month="2026-01",
        )  # fmt: skip
        s.add_all([att, complaint])
        s.flush()
        s.add(
            ComplaintAttachment(
                complaint_id=complaint.id, sha256=digest, original_name="a.txt",
                content_type="text/plain", size=8,
            )
        )  # fmt: skip
        officer = StaffUser(id="data_officer_own", name="x", roles=frozenset({"data_officer"}))
        version = create_publication(
            s,
            kind="policy",
            division_code=TOWN_1,
            spec=VersionSpec(title="政策", filters={}, body="说明"),
            user=officer,
        )
        params.update(
            warning_id=str(warning.id),
            attachment_id=str(att.id),
            complaint_no=complaint.complaint_no,
            sha256=digest,
            publication_id=str(version.publication_id),
            version_id=str(version.id),
            user_id=str(target.id),
            request_id="REQ-MATRIX-1",
            prefix="0123456789ab",
            report_id="0123456789abcdef",
            fmt="json",
        )
    app = create_app(settings)
    clients, csrf = {}, {}
    for p in PRINCIPALS:
        clients[p.username], csrf[p.username] = _sign_in(app, p.username)
    yield World(TestClient(app, follow_redirects=False), clients, csrf, params, filters, factory)


def expected(rule: Rule, who: Principal | None) -> str:
    """What the door should answer: pass | login | permission | scope."""
    if rule.scope is Scope.KEY:
        return "login"  # a paying system's key, never a session, opens these routes
    if rule.public:
        return "pass"
    if who is None:
        return "login"
    assert rule.permission is not None
    if not allows(who.role, rule.permission):
        return "permission"
    if rule.scope in OBJECT_SCOPES and who.place != "own":
        return "scope"
    return "pass"


def observed(path: str, status: int, headers: dict[str, str]) -> str:
    tag = headers.get(POLICY_HEADER.lower(), "")
    if tag == "missing":
        return "missing"
    if path.startswith(("/api/", "/staff/")) and status == 401:
        return "login"
    if status == 303 and headers.get("location", "").startswith("/login?next="):
        return "login"
    if tag == "permission" and status == 403:
        return "permission"
    if tag == "scope" and status == 404:
        return "scope"
    return "pass"


# Queries that keep a permitted request cheap (an export of nothing).
CHEAP_QUERIES = {("GET", "/api/v1/warnings/export"): "?format=jsonl&status=archived"}


def _request(world: World, method: str, path: str, who: Principal | None):  # type: ignore[no-untyped-def]
    """One cell. Unsafe page requests go without the form's CSRF token: the door runs before the
    CSRF check, so a permitted request stops right after the door and changes nothing (a sign-out
    would end the session the next cells use). The API needs the header to reach the door."""
    values = dict(world.params)
    if who is not None:
        own = str(world.filters[who.username])
        values.update(view_id=own, filter_id=own)
    unknown = [n for _, n, _, _ in Formatter().parse(path) if n and n not in values]
    assert not unknown, (
        f"{method} {path}: give the matrix a value for {unknown} (the `params` of the world "
        "fixture, an object of the own county's first township)"
    )
    url = path.format(**values) + CHEAP_QUERIES.get((method, path), "")
    client = world.clients[who.username] if who else world.app
    api = path.startswith(("/api/", "/staff/"))
    headers = {"X-CSRF-Token": world.csrf[who.username]} if who and api else {}
    return client.request(method, url, headers=headers)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_answers_each_role_and_scope_as_the_policy_says(
    world: World, method: str, path: str
) -> None:
    rule = rule_for(method, path)
    assert rule is not None, f"{method} {path} has no policy entry (qingfeng.web.policy)"
    wrong = []
    for who in [None, *PRINCIPALS]:
        response = _request(world, method, path, who)
        want, got = expected(rule, who), observed(path, response.status_code, response.headers)
        if want != got:
            name = who.username if who else "anonymous"
            wrong.append(f"{name}: expected {want}, got {got} ({response.status_code})")
    assert not wrong, f"{method} {path} ({rule.permission}, {rule.scope}): " + "; ".join(wrong)


def test_act_is_held_by_exactly_the_roles_the_state_machine_names() -> None:
    from qingfeng.loop.machine import TRANSITIONS

    named = set().union(*(t.roles for t in TRANSITIONS.values()))
    holders = {r.value for r in Role if allows(r.value, Area.ACT)}
    assert holders == named


def test_loop_export_roles_equal_the_export_and_unmask_permissions() -> None:
    from qingfeng.loop.export import EXPORT_ROLES, UNMASK_ROLES

    assert {r.value for r in Role if allows(r.value, Area.EXPORT)} == EXPORT_ROLES
    assert {
        r.value for r in Role if allows(r.value, Area.EXPORT) and allows(r.value, Area.UNMASK)
    } == UNMASK_ROLES


@pytest.mark.parametrize(
    ("page", "api"),
    [
        (("GET", "/warnings"), ("GET", "/api/v1/warnings")),
        (("GET", "/warnings/{warning_id}"), ("GET", "/api/v1/warnings/{warning_id}")),
        (("GET", "/warnings/export.csv"), ("GET", "/api/v1/warnings/export")),
        (
            ("POST", "/warnings/{warning_id}/actions/{action}"),
            ("POST", "/api/v1/warnings/{warning_id}/actions/{action}"),
        ),
        (("POST", "/warnings/bulk-dispatch"), ("POST", "/api/v1/warnings/bulk-dispatch")),
        (
            ("POST", "/warnings/{warning_id}/comments"),
            ("POST", "/api/v1/warnings/{warning_id}/comments"),
        ),
        (
            ("GET", "/warnings/attachments/{attachment_id}"),
            ("GET", "/api/v1/attachments/{attachment_id}"),
        ),
        (
            ("POST", "/warnings/{warning_id}/merge-related"),
            ("POST", "/api/v1/warnings/{warning_id}/merge-related"),
        ),
    ],
)
def test_page_and_api_doing_the_same_thing_need_the_same_permission(
    page: tuple[str, str], api: tuple[str, str]
) -> None:
    assert POLICY[page] == POLICY[api]


# ------------------------------------------------------------------ the findings, one by one
def _get(world: World, who: str, url: str):  # type: ignore[no-untyped-def]
    return world.clients[who].get(url, headers={"X-CSRF-Token": world.csrf[who]})


def test_reveal_on_the_api_needs_the_same_right_as_on_the_page(world: World) -> None:
    wid = world.params["warning_id"]
    revealed = f"/api/v1/warnings/{wid}?reveal=true&purpose=核查线索"
    assert _get(world, "administrator_own", revealed).status_code == 403
    assert (
        _get(world, "administrator_own", "/api/v1/warnings/export?masked=false").status_code == 403
    )
    assert _get(world, "supervisor_own", revealed).status_code == 200
    assert _get(world, "supervisor_own", "/api/v1/warnings/export?masked=false").status_code == 200
    # the page refuses the administrator the same way
    page = world.clients["administrator_own"].post(
        f"/warnings/{wid}/reveal",
        data={"reason": "核查线索", "csrf_token": world.csrf["administrator_own"]},
    )
    assert page.status_code == 403


def test_auditor_and_model_builder_are_refused_by_the_api_as_by_the_pages(world: World) -> None:
    wid, aid = world.params["warning_id"], world.params["attachment_id"]
    for url in (
        "/api/v1/warnings",
        f"/api/v1/warnings/{wid}",
        f"/api/v1/warnings/{wid}/timeline",
        f"/api/v1/warnings/{wid}/comments",
        f"/api/v1/warnings/{wid}/attachments",
        "/api/v1/warnings/export",
    ):
        assert _get(world, "auditor_own", url).status_code == 403, url
    assert world.clients["auditor_own"].get("/warnings").status_code == 403
    assert _get(world, "model_builder_own", f"/api/v1/attachments/{aid}").status_code == 403
    assert _get(world, "model_builder_own", f"/warnings/attachments/{aid}").status_code == 403
    assert _get(world, "supervisor_own", f"/api/v1/attachments/{aid}").content == b"evidence"


def _send(world: World, who: str, method: str, url: str, body: object = None):  # type: ignore[no-untyped-def]
    return world.clients[who].request(
        method, url, json=body, headers={"X-CSRF-Token": world.csrf[who]}
    )


def test_disclosures_are_scoped_like_warnings(world: World) -> None:
    vid = world.params["version_id"]
    listed = _send(world, "administrator_other_county", "GET", "/api/v1/publications")
    assert listed.status_code == 200 and listed.json() == []
    for step in ("approve", "publish"):
        r = _send(
            world,
            "administrator_other_county",
            "POST",
            f"/api/v1/publications/versions/{vid}/{step}",
        )
        assert r.status_code == 404, step
    r = _send(
        world,
        "data_officer_other_township",
        "POST",
        f"/api/v1/publications/versions/{vid}/withdraw",
        {"reason": "撤回"},
    )
    assert r.status_code == 404
    # creating one outside one's area is refused, inside it works
    body = {"kind": "policy", "title": "外县政策", "division_code": TOWN_1, "body": "x"}
    assert (
        _send(world, "data_officer_other_county", "POST", "/api/v1/publications", body).status_code
        == 403
    )
    assert _send(world, "data_officer_own", "POST", "/api/v1/publications", body).status_code == 201
    mine = _send(world, "data_officer_own", "GET", "/api/v1/publications").json()
    assert {p["division_code"] for p in mine} == {TOWN_1}


def test_portal_places_renamed_only_inside_ones_area_and_audited(world: World) -> None:
    place = [{"code": TOWN_1, "name": "改名镇", "level": "township"}]
    r = _send(world, "administrator_other_county", "PUT", "/api/v1/portal/divisions", place)
    assert r.status_code == 403
    r = _send(world, "data_officer_other_township", "PUT", "/api/v1/portal/divisions", place)
    assert r.status_code == 403
    assert (
        _send(world, "data_officer_own", "PUT", "/api/v1/portal/divisions", place).status_code
        == 200
    )
    with world.factory() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "portal.places")).one()
    assert row.actor == "data_officer_own"
    assert row.detail["changes"][0]["code"] == TOWN_1


def test_the_data_area_is_the_workspace_countys(world: World) -> None:
    for url in ("/data", "/data/quality", "/data/quarantine/any"):
        assert world.clients["data_officer_other_county"].get(url).status_code == 404, url
        assert world.clients["data_officer_other_township"].get(url).status_code == 404, url
    assert world.clients["data_officer_own"].get("/data").status_code == 200


def test_an_unknown_route_is_closed(world: World) -> None:
    """A route registered without a policy entry is refused at run time, not served."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/undecided")
    def undecided() -> dict[str, str]:
        return {"secret": "x"}

    app = world.app.app
    app.include_router(router)  # type: ignore[attr-defined]
    app.state.route_paths = None  # type: ignore[attr-defined]
    try:
        r = world.clients["administrator_own"].get("/undecided")
        assert r.status_code == 403 and r.headers[POLICY_HEADER] == "missing"
        assert "GET /undecided" in r.text
    finally:
        app.router.routes.pop()  # type: ignore[attr-defined]
        app.state.route_paths = None  # type: ignore[attr-defined]


def test_saved_views_of_others_are_out_of_scope(world: World) -> None:
    with world.factory() as s, s.begin():
        owner = s.scalar(select(User.id).where(User.username == "supervisor_other_county"))
        saved = SavedFilter(user_id=owner, name="theirs", query={})
        s.add(saved)
        s.flush()
        other = saved.id
    r = _send(world, "supervisor_own", "DELETE", f"/api/v1/filters/{other}")
    assert r.status_code == 404 and r.headers[POLICY_HEADER] == "scope"
    page = world.clients["supervisor_own"].post(
        f"/warnings/views/{other}/delete", data={"csrf_token": world.csrf["supervisor_own"]}
    )
    assert page.status_code == 404
    with world.factory() as s:
        assert s.get(SavedFilter, other) is not None
