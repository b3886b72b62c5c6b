"""The /api/v1 closed-loop API through FastAPI's TestClient, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from qingfeng import audit
from qingfeng.settings import load_settings
from qingfeng.store.models import AuditLog, Warning
from qingfeng.web.app import create_app
from store_helpers import (
    BACKENDS,
    add_user,
    make_warning,
    migrated_factory,
    org_tree,
    shared_store_url,
    tx,
)

PASSWORD = "correct horse"
_models = count(1)


@dataclass
class Api:
    client: TestClient
    factory: object
    orgs: dict
    ids: dict[str, int]
    workspace: Path
    model: str = ""

    @property
    def mine(self) -> dict[str, list[str]]:
        """Query parameters restricting a list to this test's warnings."""
        return {"model_id": [self.model, self.model + "x"]}

    def as_(self, username: str) -> dict[str, str]:
        token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def get(self, user: str, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.as_(user), **kw)

    def post(self, user: str, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.post(url, headers=self.as_(user), **kw)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One store, app and set of users per backend; each test makes its own warnings."""
    gen = shared_store_url(request.param, tmp_path_factory.mktemp("api"))
    url = next(gen)
    factory = migrated_factory(url)
    with org_tree(factory) as orgs:
        add_user(factory, "sup_a", "supervisor", orgs["county_a"])
        add_user(factory, "sup_b", "supervisor", orgs["county_b"])
        add_user(factory, "ver_t", "verifier", orgs["township"])
        add_user(factory, "leader", "leader", orgs["city"])
        add_user(factory, "data", "data_officer", orgs["county_a"])
    workspace = tmp_path_factory.mktemp("ws")
    settings = load_settings(workspace, store_url=url, secret_key="k" * 32)
    with TestClient(create_app(settings)) as client:
        yield Api(client, factory, orgs, {}, workspace)
    factory.kw["bind"].dispose()
    next(gen, None)


@pytest.fixture
def api(world: Api) -> Api:
    """Three fresh warnings of a model only this test uses: a1, a2 in county A, b1 in B."""
    model = f"m{next(_models)}"
    with tx(world.factory) as s:  # type: ignore[arg-type]
        ids = {
            "a1": make_warning(s, "522701001002", severity="red", model_id=model).id,
            "a2": make_warning(s, "522701002003", severity="yellow", model_id=model + "x").id,
            "b1": make_warning(s, "522702003004", model_id=model).id,
        }
    return Api(world.client, world.factory, world.orgs, ids, world.workspace, model)


def test_openapi_document_lists_the_api(api: Api) -> None:
    doc = api.client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/v1/warnings",
        "/api/v1/warnings/{warning_id}",
        "/api/v1/warnings/{warning_id}/actions/{action}",
        "/api/v1/warnings/bulk-dispatch",
        "/api/v1/warnings/export",
        "/api/v1/outcomes",
        "/api/v1/digest",
        "/api/v1/filters",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/warnings/{warning_id}/actions/{action}"]["post"]["responses"]


def test_sign_in_is_required_and_checked(api: Api) -> None:
    assert api.client.get("/api/v1/warnings").status_code == 401
    bad = {"Authorization": "Basic " + base64.b64encode(b"sup_a:wrong").decode()}
    r = api.client.get("/api/v1/warnings", headers=bad)
    assert r.status_code == 401 and "www-authenticate" not in r.headers
    assert api.get("data", "/api/v1/warnings").status_code == 403


def test_list_is_scoped_and_masked(api: Api) -> None:
    r = api.get("sup_a", "/api/v1/warnings", params={"with_total": True, **api.mine})
    assert r.status_code == 200
    body = r.json()
    assert {w["id"] for w in body["items"]} == {api.ids["a1"], api.ids["a2"]}
    assert body["total"] == 2 and body["has_more"] is False
    item = body["items"][0]
    assert "*" in item["subject_id"] and item["subject_name"] == "王*明"
    r = api.get(
        "sup_a", "/api/v1/warnings", params={"severity": ["yellow"], "sort": "-amount", **api.mine}
    )
    assert [w["id"] for w in r.json()["items"]] == [api.ids["a2"]]
    leader = api.get("leader", "/api/v1/warnings", params=api.mine).json()["items"]
    assert len(leader) == 3
    r = api.get("sup_a", "/api/v1/warnings", params={"severity": ["purple"]})
    assert r.status_code == 422 and "purple" in r.text
    r = api.get("sup_a", "/api/v1/warnings", params={"nonsense": 1})
    assert r.status_code == 422


def test_other_countys_warning_is_not_found_by_id(api: Api) -> None:
    b1 = api.ids["b1"]
    assert api.get("sup_a", f"/api/v1/warnings/{b1}").status_code == 404
    r = api.post("sup_a", f"/api/v1/warnings/{b1}/actions/dispatch", json={"org_id": 1})
    assert r.status_code == 404
    assert api.get("sup_a", f"/api/v1/warnings/{b1}/timeline").status_code == 404
    assert (
        api.post("sup_a", f"/api/v1/warnings/{b1}/comments", json={"body": "x"}).status_code == 404
    )
    assert api.get("sup_b", f"/api/v1/warnings/{b1}").status_code == 200


def test_reveal_needs_role_and_purpose_and_is_audited(api: Api) -> None:
    a1 = api.ids["a1"]
    masked = api.get("sup_a", f"/api/v1/warnings/{a1}").json()
    assert masked["revealed"] is False and "*" in masked["evidence"]["id_no"]
    assert api.get("sup_a", f"/api/v1/warnings/{a1}", params={"reveal": True}).status_code == 422
    assert (
        api.get("leader", f"/api/v1/warnings/{a1}", params={"reveal": True, "purpose": "核查"})
    ).status_code == 403
    full = api.get("sup_a", f"/api/v1/warnings/{a1}", params={"reveal": True, "purpose": "核查"})
    assert full.status_code == 200 and "*" not in full.json()["subject_id"]
    with tx(api.factory) as s:  # type: ignore[arg-type]
        row = s.scalar(select(AuditLog).where(AuditLog.action == "warning.reveal"))
        assert row is not None and row.actor == "sup_a" and row.detail == {"purpose": "核查"}


def test_the_loop_through_the_api(api: Api) -> None:
    a1 = api.ids["a1"]
    town = api.orgs["township"].id
    url = f"/api/v1/warnings/{a1}/actions"
    r = api.post("sup_a", f"{url}/dispatch", json={"org_id": town, "version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched" and r.json()["due_at"]
    assert "accept" in r.json()["allowed_actions"]
    r = api.post("ver_t", f"{url}/accept", json={"version": 2})
    assert r.json()["status"] == "verifying" and r.json()["assignee_id"] is not None
    r = api.post(
        "ver_t",
        f"{url}/dispose",
        json={
            "version": 3,
            "finding": "confirmed",
            "measures": ["funds_recovered"],
            "funds_recovered": "3600.50",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["funds_recovered"] == "3600.50"
    # forbidden transition: a disposed warning cannot be accepted again
    r = api.post("ver_t", f"{url}/accept", json={})
    assert r.status_code == 409 and r.json()["error"] == "transition_not_allowed"
    # stale version: someone saw version 3 and acts now
    r = api.post("ver_t", f"{url}/feedback", json={"version": 3, "report": "已整改"})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    # missing field
    r = api.post("ver_t", f"{url}/feedback", json={"version": 4})
    assert r.status_code == 422 and "report" in r.json()["detail"]
    # role: a verifier may not dispatch
    r = api.post(
        "ver_t", f"/api/v1/warnings/{api.ids['a2']}/actions/dispatch", json={"org_id": town}
    )
    assert r.status_code in (403, 404)
    timeline = api.get("sup_a", f"/api/v1/warnings/{a1}/timeline").json()
    assert [e["action"] for e in timeline] == ["dispatch", "accept", "dispose"]
    outcomes = api.get("sup_a", "/api/v1/outcomes").json()
    dead = next(o for o in outcomes if o["model_id"] == api.model)
    assert (
        dead["verified"] == 1 and dead["precision"] == 1.0 and dead["funds_recovered"] == "3600.50"
    )
    with tx(api.factory) as s:  # type: ignore[arg-type]
        assert audit.verify(s).ok


def test_comments_and_attachments(api: Api) -> None:
    a1 = api.ids["a1"]
    r = api.post("sup_a", f"/api/v1/warnings/{a1}/comments", json={"body": "请尽快核查"})
    assert r.status_code == 201
    assert (
        api.post("sup_a", f"/api/v1/warnings/{a1}/comments", json={"body": ""}).status_code == 422
    )
    assert [c["body"] for c in api.get("leader", f"/api/v1/warnings/{a1}/comments").json()] == [
        "请尽快核查"
    ]
    pdf = b"%PDF-1.4\n% test\n"
    r = api.post(
        "sup_a",
        f"/api/v1/warnings/{a1}/attachments",
        files={"file": ("核查报告.pdf", pdf, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    att = r.json()
    import hashlib

    assert att["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert (api.workspace / "attachments" / att["sha256"]).read_bytes() == pdf
    r = api.post(
        "sup_a",
        f"/api/v1/warnings/{a1}/attachments",
        files={"file": ("virus.exe", b"MZ...", "application/octet-stream")},
    )
    assert r.status_code == 422 and ".exe" in r.json()["detail"]
    r = api.post(
        "sup_a",
        f"/api/v1/warnings/{a1}/attachments",
        files={"file": ("fake.pdf", b"MZ not a pdf", "application/pdf")},
    )
    assert r.status_code == 422 and "does not look like" in r.json()["detail"]
    got = api.get("sup_a", f"/api/v1/attachments/{att['id']}")
    assert got.status_code == 200 and got.content == pdf
    assert api.get("sup_b", f"/api/v1/attachments/{att['id']}").status_code == 404


def test_bulk_dispatch_routes_by_division_and_is_all_or_nothing(api: Api) -> None:
    ids = [api.ids["a1"], api.ids["a2"]]
    r = api.post("sup_a", "/api/v1/warnings/bulk-dispatch", json={"ids": [*ids, api.ids["b1"]]})
    assert r.status_code == 404 and str(api.ids["b1"]) in r.json()["detail"]
    with tx(api.factory) as s:  # type: ignore[arg-type]
        states = s.scalars(select(Warning.status).where(Warning.id.in_(api.ids.values())))
        assert set(states) == {"new"}
    r = api.post("sup_a", "/api/v1/warnings/bulk-dispatch", json={"ids": ids})
    assert r.status_code == 200, r.text
    town, county = api.orgs["township"].id, api.orgs["county_a"].id
    # 522701001002 lies in the township's area, 522701002003 only in the county's
    assert r.json() == {"dispatched": 2, "by_org": {str(town): 1, str(county): 1}}
    r = api.post("sup_a", "/api/v1/warnings/bulk-dispatch", json={"ids": ids})
    assert r.status_code == 422 and "dispatched" in r.json()["detail"]


def test_export_is_audited_and_masked_by_default(api: Api) -> None:
    r = api.get("sup_a", "/api/v1/warnings/export", params={"format": "csv", **api.mine})
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][1].startswith("模型编号") and len(rows) == 3
    assert all("*" in row[4] for row in rows[1:])
    r = api.get(
        "sup_a", "/api/v1/warnings/export", params={"format": "jsonl", "masked": False, **api.mine}
    )
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert {line["id"] for line in lines} == {api.ids["a1"], api.ids["a2"]}
    assert all("*" not in line["subject_id"] for line in lines)
    assert lines[0]["evidence"]["payments"] == 3
    r = api.get("leader", "/api/v1/warnings/export", params={"format": "csv", "masked": False})
    assert r.status_code == 403
    r = api.get("sup_a", "/api/v1/warnings/export", params={"format": "xlsx", **api.mine})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    with tx(api.factory) as s:  # type: ignore[arg-type]
        exports = list(s.scalars(select(AuditLog).where(AuditLog.action == "warning.export")))
    exports = [e for e in exports if e.detail["filter"].get("model_id") == api.mine["model_id"]]
    assert [(e.object_id, e.detail["rows"], e.detail["masked"]) for e in exports] == [
        ("csv", 2, True),
        ("jsonl", 2, False),
        ("xlsx", 2, True),
    ]


def test_saved_filters_and_digest(api: Api) -> None:
    r = api.post("sup_a", "/api/v1/filters", json={"name": "红色", "query": {"severity": ["red"]}})
    assert r.status_code == 201
    r = api.post("sup_a", "/api/v1/filters", json={"name": "红色", "query": {"severity": ["red"]}})
    assert r.status_code == 201
    bad = api.post("sup_a", "/api/v1/filters", json={"name": "x", "query": {"severity": ["pink"]}})
    assert bad.status_code == 422 and "severity" in bad.json()["detail"]
    saved = api.get("sup_a", "/api/v1/filters").json()
    assert [f["name"] for f in saved] == ["红色"]
    assert api.get("sup_b", "/api/v1/filters").json() == []
    assert (
        api.client.delete(f"/api/v1/filters/{saved[0]['id']}", headers=api.as_("sup_b")).status_code
        == 404
    )
    digest = api.get("sup_a", "/api/v1/digest")
    assert digest.status_code == 200 and "daily digest" in digest.text
    assert "王" not in digest.text  # no personal data in the digest
    r = api.get("sup_a", "/api/v1/digest", params={"org_id": api.orgs["county_b"].id})
    assert r.status_code == 404


def _big_pdf(n: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * n


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "says"),
    [
        (
            "post",
            "/actions/dispatch",
            {"content": b"not json", "headers": {"content-type": "application/json"}},
            422,
            "",
        ),
        (
            "post",
            "/actions/dispose",
            {"json": {"finding": "confirmed", "funds_recovered": "abc"}},
            422,
            "funds_recovered",
        ),
        ("post", "/actions/dispose", {"json": {"funds_recovered": "-5"}}, 422, "greater than 0"),
        ("post", "/actions/dispose", {"json": {"funds_recovered": "1.234"}}, 422, "decimal places"),
        ("post", "/actions/dispose", {"json": {"funds_recovered": "1" * 20}}, 422, "digits"),
        ("post", "/actions/open_case", {"json": {"case_no": "x" * 61}}, 422, "case_no"),
        ("post", "/actions/fly", {"json": {}}, 422, "unknown action"),
        ("post", "/actions/dispatch", {"json": {"org_id": 999999}}, 422, "does not exist"),
        ("post", "/actions/dispatch", {"json": {"org_id": 99999999999}}, 422, "org_id"),
        ("post", "/actions/dispatch", {"json": {"org_id": "county"}}, 422, "org_id"),
        ("post", "/actions/dispatch", {"json": {"version": "one"}}, 422, "version"),
        ("post", "/comments", {"json": {"body": "长" * 10_001}}, 422, "body"),
        ("post", "/comments", {"json": {}}, 422, "body"),
        (
            "post",
            "/attachments",
            {"files": {"file": ("empty.pdf", b"", "application/pdf")}},
            422,
            "empty",
        ),
        (
            "post",
            "/attachments",
            {"files": {"file": ("a" * 300 + ".pdf", b"%PDF-", "application/pdf")}},
            422,
            "255",
        ),
        (
            "post",
            "/attachments",
            {"files": {"file": ("big.pdf", _big_pdf(21 * 1024 * 1024), "application/pdf")}},
            422,
            "limit",
        ),
        (
            "post",
            "/attachments",
            {"files": {"file": ("notes.txt", "说明".encode("gbk"), "text/plain")}},
            422,
            "UTF-8",
        ),
        ("post", "/attachments", {}, 422, "file"),
    ],
)
def test_malformed_requests_are_refused_clearly(  # type: ignore[no-untyped-def]
    api: Api, method, path, kwargs, status, says
) -> None:
    a1 = api.ids["a1"]
    with tx(api.factory) as s:  # type: ignore[arg-type]
        before = s.get_one(Warning, a1).version
    headers = {**api.as_("sup_a"), **kwargs.pop("headers", {})}
    r = getattr(api.client, method)(f"/api/v1/warnings/{a1}{path}", headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert says in r.text
    with tx(api.factory) as s:  # type: ignore[arg-type]
        assert s.get_one(Warning, a1).version == before  # nothing written
        assert audit.verify(s).ok


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/api/v1/warnings/abc", "warning_id"),
        ("/api/v1/warnings?limit=0", "limit"),
        ("/api/v1/warnings?limit=100000", "limit"),
        ("/api/v1/warnings?offset=-1", "offset"),
        ("/api/v1/warnings?sort=name", "unknown sort"),
        ("/api/v1/warnings?status=closed", "unknown status"),
        ("/api/v1/warnings?due=tomorrow", "due"),
        ("/api/v1/warnings?division_code=52a", "division_code"),
        ("/api/v1/warnings?created_from=yesterday", "created_from"),
        ("/api/v1/warnings/export?format=pdf", "format"),
        ("/api/v1/warnings/99999999999", "warning_id"),
        ("/api/v1/warnings/424242", "not found"),
        ("/api/v1/attachments/99999999999", "attachment_id"),
        ("/api/v1/warnings?org_id=99999999999", "org_id"),
        ("/api/v1/digest?org_id=99999999999", "org_id"),
    ],
)
def test_malformed_queries_are_refused_clearly(api: Api, url: str, says: str) -> None:
    r = api.get("sup_a", url)
    assert r.status_code in (404, 422), r.text
    assert says in r.text


def test_bulk_dispatch_malformed(api: Api) -> None:
    for body, says in (
        ({"ids": []}, "ids"),
        ({"ids": ["x"]}, "ids"),
        ({"ids": [api.ids["a1"]], "org_id": 999999}, "does not exist"),
        ({}, "ids"),
    ):
        r = api.post("sup_a", "/api/v1/warnings/bulk-dispatch", json=body)
        assert r.status_code == 422 and says in r.text, r.text
