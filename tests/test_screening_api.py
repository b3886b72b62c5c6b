"""`POST /api/v1/screen` through a real server on a free port: keys, idempotency, per-row
errors, oversize batches, hold and release, the current decision of a request id."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from qingfeng.screening import service
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import AuditLog, Comment, Warning
from qingfeng.store.users import create_org
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.workspace import init_workspace
from screening_support import publish, valid_id
from store_helpers import PASSWORD, quick_user

pytestmark = pytest.mark.filterwarnings("ignore:.*expression-based index")

ALIVE = valid_id("52270119400101001")
DEAD = valid_id("52270119410202002")


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("screen") / "ws"
    settings = init_workspace(folder, county_division_code="522701")
    toml = folder / "qingfeng.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[screening]\nmax_batch = 5\n", "utf-8")
    publish(settings.lake_dir, "household_registry", [
        {"id_no": ALIVE, "name": "甲老", "birth_date": dt.date(1940, 1, 1), "status": "active",
         "household_no": "H1", "division_code": "522701001001"},
        {"id_no": DEAD, "name": "乙故", "birth_date": dt.date(1941, 2, 2), "status": "active",
         "household_no": "H2", "division_code": "522701001001"},
    ])  # fmt: skip
    publish(settings.lake_dir, "deaths", [
        {"id_no": DEAD, "name": "乙故", "death_date": dt.date(2026, 9, 1), "source": "cremation"},
    ])  # fmt: skip
    factory = session_factory(make_engine(settings.database_url))
    with factory() as s, s.begin():
        county = create_org(s, "都匀市纪委监委", "county", "522701")
        quick_user(s, "jiandu", "supervisor", county.id)
        quick_user(s, "hecha", "verifier", county.id)
        key, token = service.create_key(s, "民政一卡通", ["subsidy_payments"], ["522701"], "test")
        _, revoked = service.create_key(s, "旧系统", ["subsidy_payments"], ["522701"], "test")
        service.revoke_key(s, revoked.split("_")[1], "test")
    app = create_app(settings)
    with running_server(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        yield {
            "client": client,
            "token": token,
            "prefix": key.prefix,
            "revoked": revoked,
            "factory": factory,
        }


def _pay(id_no: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id_no": id_no, "name": name, "subsidy_type": "高龄津贴", "amount": "200",
            "account_no": "6217009", "division_code": "522701001001", **extra}  # fmt: skip


def _post(live: dict[str, Any], body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"X-API-Key": token if token is not None else live["token"]}
    return live["client"].post("/api/v1/screen", json=body, headers=headers)


def test_unknown_missing_and_revoked_keys_are_refused(live: dict[str, Any]) -> None:
    body = {"request_id": "K-1", "candidate": _pay(ALIVE, "甲老")}
    client: httpx.Client = live["client"]
    assert client.post("/api/v1/screen", json=body).status_code == 401
    assert _post(live, body, "qfs_abc_def").status_code == 401
    wrong = live["token"][:-4] + "AAAA"
    assert _post(live, body, wrong).status_code == 401
    refused = _post(live, body, live["revoked"])
    assert refused.status_code == 401 and "revoked" in refused.text
    other = _post(live, {**body, "dataset": "dibao_households"})
    assert other.status_code == 403 and "dibao_households" in other.json()["detail"]


def test_a_payment_to_the_dead_is_stopped_held_in_the_loop_and_released(
    live: dict[str, Any],
) -> None:
    body = {"request_id": "MZ-1", "candidate": _pay(DEAD, "乙故", ref="row-9")}
    first = _post(live, body)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["decision"] == "block" and answer["replayed"] is False
    (result,) = answer["results"]
    assert (result["ref"], result["status"]) == ("row-9", "stopped")
    assert result["reasons"][0]["model_id"] == "subsidy_after_death"
    assert result["reasons"][0]["legal_basis"][0]["article"] == "第六十八条"
    snap = answer["snapshot"]
    assert snap["batches"] == 2 and snap["age_seconds"] >= 0 and snap["id"]
    # the same request again: the recorded answer, no second lead
    again = _post(live, body).json()
    assert again["replayed"] is True and again["results"][0]["decision"] == "block"
    with live["factory"]() as s:
        leads = s.scalars(select(Warning).where(Warning.model_id == "screening")).all()
        assert len(leads) == 1
        lead = leads[0]
        assert lead.status == "new" and lead.amount == Decimal("200.00")
        assert lead.division_code == "522701001001"
        assert "乙故于2026-09-01死亡" in lead.explanation
        audits = s.scalars(select(AuditLog).where(AuditLog.action == "screen.decision")).all()
        assert any(len(a.detail["inputs_sha256"]) == 64 for a in audits)
    # the same id for other candidates is refused
    clash = _post(live, {"request_id": "MZ-1", "candidate": _pay(ALIVE, "甲老")})
    assert clash.status_code == 409 and "MZ-1" in clash.json()["detail"]

    release = "/api/v1/screen/MZ-1/release"
    client: httpx.Client = live["client"]
    reason = {"index": 0, "reason": "经核实死亡登记有误，本人健在"}
    forbidden = client.post(release, json=reason, headers=_basic("hecha"))
    assert forbidden.status_code == 403
    assert client.post(release, json=reason).status_code == 401
    ok = client.post(release, json=reason, headers=_basic("jiandu"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "released" and ok.json()["released_by"] == "jiandu"
    twice = client.post(release, json=reason, headers=_basic("jiandu"))
    assert twice.status_code == 409
    with live["factory"]() as s:  # the lead says who released it and why
        (note,) = s.scalars(select(Comment).where(Comment.warning_id == lead.id)).all()
        assert "已放行（jiandu）" in note.body and reason["reason"] in note.body
        assert note.author_id is not None
    now = client.get("/api/v1/screen/MZ-1", headers={"X-API-Key": live["token"]}).json()
    assert now["results"][0]["status"] == "released"
    assert now["results"][0]["release_reason"] == reason["reason"]
    assert (
        client.get("/api/v1/screen/NOPE", headers={"X-API-Key": live["token"]}).status_code == 404
    )
    funds = client.get("/api/v1/screen-funds", headers=_basic("jiandu")).json()
    assert funds["released"]["amount"] == "200.00" and funds["released"]["candidates"] >= 1


def test_malformed_and_out_of_area_rows_are_answered_per_row(live: dict[str, Any]) -> None:
    rows: list[Any] = [
        _pay(ALIVE, "甲老", period="2026-11"),
        _pay(ALIVE[:-1] + ("0" if ALIVE[-1] != "0" else "1"), "甲老"),
        {**_pay(ALIVE, "甲老"), "amount": "两百元整?"},
        "not a row",
        _pay(ALIVE, "甲老", division_code="522702001001"),
    ]
    answer = _post(live, {"request_id": "MZ-2", "candidates": rows})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert results[0]["decision"] == "allow"
    assert [r["decision"] for r in results[1:]] == ["error"] * 4
    assert results[1]["errors"][0]["field"] == "id_no"
    assert results[2]["errors"][0]["field"] == "amount"
    assert results[3]["errors"][0]["code"] == "malformed"
    assert results[4]["errors"][0]["code"] == "out_of_scope"
    assert answer.json()["totals"]["decisions"]["error"] == 4


def test_an_oversize_batch_is_refused_naming_the_limit(live: dict[str, Any]) -> None:
    rows = [_pay(ALIVE, "甲老")] * 6
    answer = _post(live, {"request_id": "MZ-3", "candidates": rows})
    assert answer.status_code == 413
    assert "at most 5 candidates" in answer.json()["detail"]
    empty = _post(live, {"request_id": "MZ-4", "candidates": []})
    assert empty.status_code == 400


def test_a_rotated_key_replaces_the_old_one(live: dict[str, Any]) -> None:
    with live["factory"]() as s, s.begin():
        _, token = service.rotate_key(s, live["prefix"], "test")
    body = {"request_id": "MZ-5", "candidate": _pay(ALIVE, "甲老")}
    assert _post(live, body).status_code == 401
    assert _post(live, body, token).status_code == 200
    live["token"] = token


def test_the_openapi_schema_documents_screening_in_chinese(live: dict[str, Any]) -> None:
    schema = live["client"].get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/screen"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert examples["payment"]["summary"] == "补贴发放前筛查一笔"
    assert examples["dibao"]["value"]["candidate"]["dibao_members"][0]["name"] == "李四"
    assert "/api/v1/screen/{request_id}/release" in schema["paths"]
