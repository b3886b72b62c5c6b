"""Queues in the back office (TestClient): the sidebar badges, the ranked list, bulk dispatch
from the list, attachments on actions and comments (checked, scoped, audited), the supervised
unit's account from the command line."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.risk import recompute_risk
from qingfeng.store.models import Attachment, AuditLog, Warning, WarningEvent
from web_helpers import add_warning, client_for, csrf_from, make_world, sign_in

PDF = b"%PDF-1.4\n%%EOF\n"


def test_supervisor_lands_on_the_queue_with_badges_and_a_ranked_list(tmp_path):
    world = make_world(tmp_path)
    with world.factory() as s, s.begin():
        big = add_warning(s, "522701001003", "赵大", amount="1000000.00").id
        recompute_risk(s, LoopConfig())
    sup = sign_in(client_for(world), "sup_a")
    home = sup.get("/")
    assert home.headers["location"] == "/warnings?queue=to_dispatch"
    page = sup.get("/warnings?queue=to_dispatch").text
    assert re.search(r'data-testid="badge-to_dispatch">4<', page)
    assert "待审核" in page and "超期" in page  # the supervisor's queues in the sidebar
    # ranked by risk: the largest amount first, its parts in the tooltip
    first = re.search(r'href="/warnings/(\d+)"', page)
    assert first and int(first.group(1)) == big
    assert "涉及金额 15.0/15" in page
    bad = sup.get("/warnings?queue=mine")
    assert bad.status_code == 400 and "queue" in bad.text
    # a verifier sees nothing undispatched, and has no 待分办 queue
    ver = sign_in(client_for(world), "ver_a")
    text = ver.get("/warnings").text
    assert "共 0 条预警" in text and "待分办" not in text and "待签收" in text


def test_bulk_dispatch_from_the_list(tmp_path):
    world = make_world(tmp_path)
    ids = world.warnings["county_a"]
    sup = sign_in(client_for(world), "sup_a")
    page = sup.get("/warnings?queue=to_dispatch").text
    token = csrf_from(page)
    assert 'data-select-all="ids"' in page and 'form="bulk-dispatch"' in page
    none = sup.post(
        "/warnings/bulk-dispatch", data={"csrf_token": token, "back": "queue=to_dispatch"}
    )
    assert none.status_code == 422 and "勾选" in none.text
    bad = sup.post(
        "/warnings/bulk-dispatch",
        data={"csrf_token": token, "ids": [str(ids[0])], "days": "0"},
    )
    assert bad.status_code == 422 and "days" in bad.text
    r = sup.post(
        "/warnings/bulk-dispatch",
        data={
            "csrf_token": token,
            "ids": [str(i) for i in ids[:2]],
            "days": "7",
            "instructions": "请七个工作日内核实",
            "back": "queue=to_dispatch",
        },
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/warnings?queue=to_dispatch&dispatched=2"
    with world.factory() as s:
        rows = s.scalars(select(Warning).where(Warning.id.in_(ids[:2]))).all()
        assert {w.status for w in rows} == {"dispatched"}
        # routed by division code: the township of 522701001
        assert {w.org_id for w in rows} == {world.orgs["township"].id}
        assert all(w.requested_due_at is not None for w in rows)
        events = s.scalars(select(WarningEvent).where(WarningEvent.warning_id == ids[0])).all()
        assert events[-1].payload["instructions"] == "请七个工作日内核实"
    assert "已分办 2 条预警" in sup.get(r.headers["location"]).text
    # another county's warning in the batch: nothing is dispatched
    other = world.warnings["county_b"][0]
    r = sup.post(
        "/warnings/bulk-dispatch",
        data={"csrf_token": token, "ids": [str(ids[2]), str(other)]},
    )
    assert r.status_code == 404
    with world.factory() as s:
        assert s.get_one(Warning, ids[2]).status == "new"


def test_attachments_on_actions_and_comments_are_checked_scoped_and_audited(tmp_path):
    world = make_world(tmp_path)
    wid = world.warnings["county_a"][0]
    sup = sign_in(client_for(world), "sup_a")
    token = csrf_from(sup.get(f"/warnings/{wid}").text)
    refused = sup.post(
        f"/warnings/{wid}/actions/dispatch",
        data={"csrf_token": token, "org_id": str(world.orgs["township"].id)},
        files=[("files", ("程序.exe", b"MZ\x90\x00", "application/octet-stream"))],
    )
    assert refused.status_code == 422 and "程序.exe" in refused.text
    with world.factory() as s:
        assert s.get_one(Warning, wid).status == "new"  # the action went with the file
    r = sup.post(
        f"/warnings/{wid}/actions/dispatch",
        data={"csrf_token": token, "org_id": str(world.orgs["township"].id), "days": "5"},
        files=[("files", ("督办函.pdf", PDF, "application/pdf"))],
    )
    assert r.status_code == 303
    r = sup.post(
        f"/warnings/{wid}/comments",
        data={"csrf_token": token, "body": "附上名单"},
        files=[("files", ("名单.txt", "王小明\n".encode(), "text/plain"))],
    )
    assert r.status_code == 303
    with world.factory() as s:
        rows = s.scalars(select(Attachment).where(Attachment.warning_id == wid)).all()
        kinds = {a.filename: s.get_one(WarningEvent, a.event_id).action for a in rows}
        assert kinds == {"督办函.pdf": "dispatch", "名单.txt": "comment"}
        pdf_id = next(a.id for a in rows if a.filename == "督办函.pdf")
    detail = sup.get(f"/warnings/{wid}").text
    assert f"/warnings/attachments/{pdf_id}" in detail
    got = sup.get(f"/warnings/attachments/{pdf_id}")
    assert got.status_code == 200 and got.content == PDF
    # another county's supervisor gets nothing, and that is not a download
    other = sign_in(client_for(world), "sup_b")
    assert other.get(f"/warnings/attachments/{pdf_id}").status_code == 404
    with world.factory() as s:
        downloads = s.scalars(
            select(AuditLog).where(AuditLog.action == "attachment.download")
        ).all()
        assert [(a.actor, a.object_id) for a in downloads] == [("sup_a", str(pdf_id))]


def test_users_add_supervised_unit_from_the_command_line(tmp_path):
    world = make_world(tmp_path)
    ws = str(world.settings.workspace)
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["orgs", "add", "广惠街道办事处", "--kind", "department", "--parent", "522701", "-w", ws],
    )
    assert made.exit_code == 0, made.output
    coded = runner.invoke(
        app,
        ["orgs", "add", "某局", "--kind", "department", "--code", "522701001",
         "--parent", "522701", "-w", ws],
    )  # fmt: skip
    assert coded.exit_code != 0 and "no division code" in coded.output
    added = runner.invoke(
        app,
        ["users", "add", "beijiandu", "--role", "supervised_unit", "--org", "广惠街道办事处",
         "--password-stdin", "-w", ws],
        input="unit-pass-2026\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    unit = sign_in(client_for(world), "beijiandu", "unit-pass-2026")
    assert unit.get("/").headers["location"] == "/warnings?queue=to_accept"
    assert "共 0 条预警" in unit.get("/warnings").text  # nothing dispatched to it yet
    assert unit.get("/dashboard").status_code == 403
    with world.factory() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_bulk_dispatch_with_files_links_them_to_every_warning(tmp_path):
    """The files go with the dispatch of every ticked warning: checked once (a refused file
    refuses the whole dispatch), stored once under their sha256, each warning's attachment
    linked to its own dispatch event, on its timeline and audited; downloads stay in scope."""
    world = make_world(tmp_path)
    ids = world.warnings["county_a"][:3]
    sup = sign_in(client_for(world), "sup_a")
    token = csrf_from(sup.get("/warnings?queue=to_dispatch").text)
    form = {"csrf_token": token, "ids": [str(i) for i in ids], "instructions": "附核查提纲"}
    # a file whose content is not its type: nothing dispatched, nothing stored
    fake = sup.post(
        "/warnings/bulk-dispatch",
        data=form,
        files=[("files", ("提纲.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))],
    )
    assert fake.status_code == 422 and "提纲.pdf" in fake.text
    exe = sup.post(
        "/warnings/bulk-dispatch",
        data=form,
        files=[("files", ("run.exe", b"MZ", "application/octet-stream"))],
    )
    assert exe.status_code == 422 and ".exe" in exe.text
    with world.factory() as s:
        assert set(s.scalars(select(Warning.status).where(Warning.id.in_(ids)))) == {"new"}
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
    assert not (world.settings.attachments_dir).exists() or not any(
        world.settings.attachments_dir.iterdir()
    )
    r = sup.post(
        "/warnings/bulk-dispatch",
        data=form,
        files=[
            ("files", ("核查提纲.pdf", PDF, "application/pdf")),
            ("files", ("说明.txt", "请核实发放记录".encode(), "text/plain")),
        ],
    )
    assert r.status_code == 303, r.text
    with world.factory() as s:
        rows = s.scalars(select(Attachment).where(Attachment.warning_id.in_(ids))).all()
        assert len(rows) == 6 and {a.filename for a in rows} == {"核查提纲.pdf", "说明.txt"}
        dispatch_of = {
            e.warning_id: e.id
            for e in s.scalars(select(WarningEvent).where(WarningEvent.action == "dispatch"))
        }
        assert all(a.event_id == dispatch_of[a.warning_id] for a in rows)
        attach_events = s.scalars(select(WarningEvent).where(WarningEvent.action == "attach")).all()
        assert len(attach_events) == 6
        audited = s.scalars(select(AuditLog).where(AuditLog.action == "warning.attach")).all()
        assert sorted(int(a.object_id) for a in audited) == sorted(ids * 2)
        pdf_id = next(a.id for a in rows if a.warning_id == ids[1] and a.filename.endswith(".pdf"))
    stored = list(world.settings.attachments_dir.iterdir())
    assert len(stored) == 2  # each file once, whatever the number of warnings
    detail = sup.get(f"/warnings/{ids[1]}").text
    assert f"/warnings/attachments/{pdf_id}" in detail and "核查提纲.pdf" in detail
    got = sup.get(f"/warnings/attachments/{pdf_id}")
    assert got.status_code == 200 and got.content == PDF
    other = sign_in(client_for(world), "sup_b")
    assert other.get(f"/warnings/attachments/{pdf_id}").status_code == 404
    with world.factory() as s:
        downloads = s.scalars(select(AuditLog).where(AuditLog.action == "attachment.download"))
        assert [(a.actor, a.object_id) for a in downloads] == [("sup_a", str(pdf_id))]
