"""The public side inside the closed loop: a complaint filed on the portal is handled through the
loop's service (dispatch → accept → dispose), its reply reaches the citizen's tracking page in the
same transaction, a reopened case takes it off again, duplicates merged into another warning follow
the survivor; every publication step and every staff read of a complaint is audited, and the
audit chain stays intact — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from portal_support import (
    COUNTY,
    OFFICER_A,
    OFFICER_B,
    OTHER_SUPERVISOR,
    SUPERVISOR,
    VILLAGE_A,
    VILLAGE_B,
    make_env,
    publish_subsidy_roll,
    solve,
)
from qingfeng import audit
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.machine import ActionRequest
from qingfeng.loop.service import act, actor_for, bulk_dispatch
from qingfeng.portal.models import Complaint
from qingfeng.store.models import AuditLog, Organisation, User, Warning
from store_helpers import make_warning

CONFIG = LoopConfig()
REPLY = "经核查，反映问题属实，已追回多领资金1200元，并对相关人员批评教育。"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def env(tmp_path, store_url):  # type: ignore[no-untyped-def]
    return make_env(tmp_path, store_url)


def file(client: TestClient, **over: str) -> tuple[str, str]:
    """File a complaint through the public form; return (complaint number, tracking code)."""
    page = client.get("/public/complaints/new")
    data = {
        "division_code": VILLAGE_A,
        "category": "livelihood_funds",
        "title": "高龄补贴被冒领",
        "content": "我父亲去年已去世，但村里仍有人在领取他的高龄补贴，请核查。",
        "target_name": "张某",
        "target_org": "某镇甲村村委会",
        "anonymous": "named",
        "complainant_name": "王五",
        "complainant_phone": "13800138000",
        **over,
        **solve(page.text),
    }
    r = client.post(
        "/public/complaints", data=data, files=[("attachments", ("现场.png", PNG, "image/png"))]
    )
    assert r.status_code == 200, r.text
    m = re.search(r'id="tracking-code">([A-Z0-9-]+)<', r.text)
    assert m
    code = m.group(1)
    with client.app.state.portal_factory() as s:  # type: ignore[attr-defined]
        no = s.scalars(select(Complaint.complaint_no).order_by(Complaint.id.desc())).first()
    assert no
    return no, code


def client_for(env):  # type: ignore[no-untyped-def]
    app = env.app()
    app.state.portal_factory = env.factory
    return TestClient(app)


def warning_of(env, no: str) -> int:  # type: ignore[no-untyped-def]
    with env.factory() as s:
        wid = s.scalar(select(Complaint.warning_id).where(Complaint.complaint_no == no))
    assert wid is not None
    return wid


def loop(env, wid: int, action: str, who: str = "sup-1", **req: object) -> Warning:  # type: ignore[no-untyped-def]
    """One action through the closed loop's service, as the CLI and the web app do it."""
    with env.factory() as s, s.begin():
        user = s.scalars(select(User).where(User.username == who)).one()
        return act(actor_for(s, user, CONFIG), wid, action, ActionRequest(**req))


def county_id(env) -> int:  # type: ignore[no-untyped-def]
    with env.factory() as s:
        org = s.scalars(select(Organisation).where(Organisation.division_code == COUNTY)).one()
        return org.id


def track(client: TestClient, code: str) -> str:
    r = client.post("/public/track", data={"code": code})
    assert r.status_code == 200
    return r.text


def audit_rows(env, action: str, object_id: str | None = None) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with env.factory() as s:
        stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.seq)
        if object_id is not None:
            stmt = stmt.where(AuditLog.object_id == object_id)
        rows = list(s.scalars(stmt))
        s.expunge_all()
        return rows


def chain_ok(env) -> int:  # type: ignore[no-untyped-def]
    with env.factory() as s:
        report = audit.verify(s)
    assert report.ok, report.reason
    return report.rows


def test_reply_reaches_tracking_page_through_the_loop_and_leaves_on_reopen(env) -> None:  # type: ignore[no-untyped-def]
    client = client_for(env)
    no, code = file(client)
    wid = warning_of(env, no)
    assert "已受理" in track(client, code)
    r = client.put(f"/api/v1/complaints/{no}/reply", json={"reply": REPLY}, headers=SUPERVISOR)
    assert r.status_code == 200 and r.json()["replies"] == []
    loop(env, wid, "dispatch", org_id=county_id(env))
    assert "正在核查办理" in track(client, code)
    loop(env, wid, "accept")
    assert REPLY not in track(client, code)
    # Disposing is the moment the reply goes public — in the loop's own transaction.
    loop(env, wid, "dispose", finding="unfounded", note="经查不属实")
    page = track(client, code)
    assert "已办结" in page and REPLY in page
    (published,) = audit_rows(env, "complaint.reply_publish", no)
    assert published.actor == "sup-1" and published.detail["warning_status"] == "disposed"
    loop(env, wid, "archive", note="答复已公开")
    assert REPLY in track(client, code)
    # Reopened: off the page until disposed again; then back, not duplicated.
    loop(env, wid, "reopen", reason="当事人提供新线索")
    page = track(client, code)
    assert REPLY not in page and "正在核查办理" in page
    (withdrawn,) = audit_rows(env, "complaint.reply_withdraw", no)
    assert withdrawn.actor == "sup-1" and withdrawn.detail["warning_status"] == "verifying"
    loop(
        env,
        wid,
        "dispose",
        finding="confirmed",
        measures=["funds_recovered"],
        funds_recovered=Decimal("1200"),
    )
    assert REPLY in track(client, code)
    with env.factory() as s:
        c = s.scalars(select(Complaint).where(Complaint.complaint_no == no)).one()
        assert [r.body for r in c.replies] == [REPLY]
    assert len(audit_rows(env, "complaint.reply_publish", no)) == 2
    chain_ok(env)


def test_reply_written_after_disposal_goes_out_at_once(env) -> None:  # type: ignore[no-untyped-def]
    client = client_for(env)
    no, code = file(client)
    wid = warning_of(env, no)
    for action, req in (
        ("dispatch", {"org_id": county_id(env)}),
        ("accept", {}),
        ("dispose", {"finding": "cannot_verify"}),
    ):
        loop(env, wid, action, **req)
    assert "正在核查办理" in track(client, code)  # disposed, but nothing to publish yet
    r = client.put(f"/api/v1/complaints/{no}/reply", json={"reply": REPLY}, headers=SUPERVISOR)
    assert r.status_code == 200 and [x["body"] for x in r.json()["replies"]] == [REPLY]
    assert REPLY in track(client, code)
    (row,) = audit_rows(env, "complaint.reply_publish", no)
    assert row.actor == "sup-1"


def test_merged_duplicate_follows_the_surviving_complaint(env) -> None:  # type: ignore[no-untyped-def]
    client = client_for(env)
    first, first_code = file(client)
    dup, dup_code = file(client, content="村里有人冒领我去世父亲的高龄补贴，希望纪委核查处理。")
    keep, gone = warning_of(env, first), warning_of(env, dup)
    merged = loop(env, gone, "merge", target_id=keep)
    assert merged.status == "merged" and merged.merged_into_id == keep
    assert "已受理" in track(client, dup_code)
    client.put(f"/api/v1/complaints/{first}/reply", json={"reply": REPLY}, headers=SUPERVISOR)
    for action, req in (
        ("dispatch", {"org_id": county_id(env)}),
        ("accept", {}),
        ("dispose", {"finding": "unfounded"}),
    ):
        loop(env, keep, action, **req)
    # The duplicate's citizen reads the survivor's reply; both pages show it.
    assert REPLY in track(client, first_code) and REPLY in track(client, dup_code)
    assert {r.object_id for r in audit_rows(env, "complaint.reply_publish")} == {first, dup}
    # A reply of its own takes precedence for the duplicate.
    own = "您反映的问题已与同类投诉合并办理，经核查不属实，特此答复。"
    client.put(f"/api/v1/complaints/{dup}/reply", json={"reply": own}, headers=SUPERVISOR)
    page = track(client, dup_code)
    assert own in page and REPLY not in page
    # Reopening the survivor takes both replies off.
    loop(env, keep, "archive", note="归档")
    loop(env, keep, "reopen", reason="新线索")
    assert REPLY not in track(client, first_code) and own not in track(client, dup_code)
    chain_ok(env)


def test_complaint_merged_into_a_model_warning_and_merged_later(env) -> None:  # type: ignore[no-untyped-def]
    """A complaint about a finding the models already made is merged into that warning; the
    reply follows it, also along a chain (survivor merged again later)."""
    client = client_for(env)
    no, code = file(client)
    with env.factory() as s, s.begin():
        model_a = make_warning(s, division_code=VILLAGE_A).id
        model_b = make_warning(s, division_code=VILLAGE_B).id
    client.put(f"/api/v1/complaints/{no}/reply", json={"reply": REPLY}, headers=SUPERVISOR)
    loop(env, warning_of(env, no), "merge", target_id=model_a)
    loop(env, model_a, "merge", target_id=model_b)
    for action, req in (
        ("dispatch", {"org_id": county_id(env)}),
        ("accept", {}),
        ("dispose", {"finding": "unfounded"}),
    ):
        loop(env, model_b, action, **req)
    assert REPLY in track(client, code)


def test_bulk_dispatch_runs_the_hook(env) -> None:  # type: ignore[no-untyped-def]
    client = client_for(env)
    nos = [file(client)[0] for _ in range(2)]
    code = file(client)[1]
    with env.factory() as s, s.begin():
        user = s.scalars(select(User).where(User.username == "sup-1")).one()
        ids = list(s.scalars(select(Complaint.warning_id)))
        result = bulk_dispatch(actor_for(s, user, CONFIG), ids, county_id(env))
    assert result.dispatched == 3 and len(nos) == 2
    assert "正在核查办理" in track(client, code)
    chain_ok(env)


def test_publication_steps_are_audited(env) -> None:  # type: ignore[no-untyped-def]
    client = client_for(env)
    v1 = publish_subsidy_roll(client)
    r = client.post(
        f"/api/v1/publications/{v1['publication_id']}/versions",
        json={"title": "某镇2026年高龄补贴发放名册（更正）", "filters": {}},
        headers=OFFICER_A,
    )
    v2 = r.json()["id"]
    client.post(f"/api/v1/publications/versions/{v2}/approve", headers=OFFICER_B)
    client.post(f"/api/v1/publications/versions/{v2}/publish", headers=OFFICER_B)
    r = client.post(
        f"/api/v1/publications/versions/{v2}/withdraw",
        json={"reason": "名单有误，核对后重新发布"},
        headers=OFFICER_A,
    )
    assert r.status_code == 200
    with env.factory() as s:
        rows = s.scalars(
            select(AuditLog)
            .where(AuditLog.object_type == "publication_version")
            .order_by(AuditLog.seq)
        ).all()
        got = [(r.actor, r.action, r.object_id) for r in rows]
        v1_id = str(v1["id"])
        assert got == [
            ("officer-a", "publication.draft", v1_id),
            ("officer-b", "publication.approve", v1_id),
            ("officer-a", "publication.publish", v1_id),
            ("officer-a", "publication.draft", str(v2)),
            ("officer-b", "publication.approve", str(v2)),
            ("officer-b", "publication.publish", str(v2)),
            ("officer-a", "publication.withdraw", str(v2)),
        ]
        assert rows[2].detail["row_count"] == 5 and rows[2].detail["kind"] == "subsidy_roll"
        assert rows[5].detail["superseded_version_ids"] == [v1["id"]]
        assert rows[6].detail["reason"] == "名单有误，核对后重新发布"
    # A refused step leaves no audit row.
    own = client.post(f"/api/v1/publications/versions/{v2}/approve", headers=OFFICER_A)
    assert own.status_code == 409
    assert len(audit_rows(env, "publication.approve")) == 2
    chain_ok(env)


def test_every_staff_read_of_a_complaint_is_audited_and_scoped(env) -> None:  # type: ignore[no-untyped-def]
    client = client_for(env)
    no, _ = file(client)
    sha = __import__("hashlib").sha256(PNG).hexdigest()
    assert client.get(f"/api/v1/complaints/{no}", headers=SUPERVISOR).json()["complainant_phone"]
    assert client.get(f"/staff/complaints/{no}", headers=SUPERVISOR).status_code == 200
    listed = client.get("/api/v1/complaints", headers=SUPERVISOR).json()
    assert [c["complaint_no"] for c in listed] == [no]
    got = client.get(f"/api/v1/complaints/{no}/attachments/{sha}", headers=SUPERVISOR)
    assert got.content == PNG
    views = audit_rows(env, "complaint.view", no)
    assert [(v.actor, v.detail["via"]) for v in views] == [
        ("sup-1", "api"),
        ("sup-1", "page"),
        ("sup-1", "api.list"),
        ("sup-1", "api.attachment"),
    ]
    assert all(v.detail["named"] for v in views)
    # The warning itself carries no contact data: that is read only through the audited view.
    with env.factory() as s:
        w = s.get(Warning, warning_of(env, no))
        assert w is not None and "13800138000" not in repr(w.evidence)
        assert "王五" not in repr(w.evidence) and w.evidence["anonymous"] is False
    # Another county's supervisor sees nothing, and nothing is logged as seen.
    other = OTHER_SUPERVISOR
    assert client.get(f"/api/v1/complaints/{no}", headers=other).status_code == 404
    assert client.get(f"/staff/complaints/{no}", headers=other).status_code == 404
    assert client.get(f"/api/v1/complaints/{no}/attachments/{sha}", headers=other).status_code == (
        404
    )
    assert client.get("/api/v1/complaints", headers=other).json() == []
    r = client.put(f"/api/v1/complaints/{no}/reply", json={"reply": REPLY}, headers=other)
    assert r.status_code == 404
    # A signed-in name without a store account gets no complaint at all.
    ghost = {"X-Test-User": "ghost", "X-Test-Roles": "supervisor"}
    assert client.get(f"/api/v1/complaints/{no}", headers=ghost).status_code == 403
    assert len(audit_rows(env, "complaint.view", no)) == 4
    chain_ok(env)


def test_cli_audit_verify_after_portal_work(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qingfeng.cli import app
    from qingfeng.workspace import init_workspace

    settings = init_workspace(tmp_path / "ws")
    env = make_env(tmp_path, settings.database_url)
    client = client_for(env)
    publish_subsidy_roll(client)
    no, code = file(client)
    client.get(f"/api/v1/complaints/{no}", headers=SUPERVISOR)
    client.put(f"/api/v1/complaints/{no}/reply", json={"reply": REPLY}, headers=SUPERVISOR)
    wid = warning_of(env, no)
    loop(env, wid, "dispatch", org_id=county_id(env))
    loop(env, wid, "accept")
    loop(env, wid, "dispose", finding="unfounded")
    assert REPLY in track(client, code)
    rows = chain_ok(env)
    out = CliRunner().invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert out.exit_code == 0, out.output
    assert "intact" in out.output and str(rows) in out.output
