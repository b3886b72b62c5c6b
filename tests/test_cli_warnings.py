"""`qingfeng warnings ...` and `qingfeng orgs ...` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from typer.testing import CliRunner

from built_in_models import built_in_models
from qingfeng import audit
from qingfeng.cli import app
from qingfeng.store.models import AuditLog, Warning
from qingfeng.workspace import init_workspace
from store_helpers import make_warning, migrated_factory, quick_user, tx

runner = CliRunner()


def run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(ws)])
    assert result.exit_code == 0, result.output
    return result.output


def fails(ws: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(ws)])
    assert result.exit_code != 0, result.output
    return " ".join(result.output.split())  # messages wrapped by the terminal width, rejoined


@pytest.fixture
def ws(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QINGFENG_STORE_URL", store_url)
    monkeypatch.delenv("QINGFENG_USER", raising=False)
    folder = init_workspace(tmp_path / "ws").workspace
    run(folder, "orgs", "add", "都匀市纪委监委", "--kind", "county", "--code", "522701")
    run(folder, "orgs", "add", "广惠街道纪工委", "--kind", "township", "--code", "522701001",
        "--parent", "522701")  # fmt: skip
    run(folder, "orgs", "add", "福泉市纪委监委", "--kind", "county", "--code", "522702")
    factory = migrated_factory(store_url)
    with tx(factory) as s:
        quick_user(s, "sup", "supervisor", 1)
        quick_user(s, "lead", "leader", 1)
        for code, severity in [("522701001001", "red"), ("522701009001", "blue"),
                               ("522702001001", "red")]:  # fmt: skip
            make_warning(s, code, severity=severity)
    return folder


def test_orgs_tree_and_bad_parent(ws: Path) -> None:
    out = run(ws, "orgs", "list")
    assert "广惠街道纪工委" in out and "522701001" in out
    assert "outside its parent" in fails(
        ws, "orgs", "add", "x", "--kind", "township", "--code", "522702005", "--parent", "522701"
    )


def test_warnings_from_list_to_outcomes(ws: Path) -> None:
    assert "--as" in fails(ws, "warnings", "list")
    rows = [
        json.loads(x) for x in run(ws, "warnings", "list", "--as", "sup", "--json").splitlines()
    ]
    assert len(rows) == 2 and all("*" in r["subject_id"] for r in rows)  # county B not in scope
    out = run(ws, "warnings", "dispatch", "--all-new", "--as", "sup")
    assert "dispatched: 2" in out.replace("[bold]", "") or "2" in out
    assert "广惠街道纪工委: 1" in out and "都匀市纪委监委: 1" in out
    red = next(r["id"] for r in rows if r["severity"] == "red")
    run(ws, "warnings", "act", str(red), "accept", "--as", "sup")
    assert "funds_recovered" in fails(
        ws, "warnings", "act", str(red), "dispose", "--finding", "confirmed", "--measure",
        "funds_recovered", "--as", "sup",
    )  # fmt: skip
    run(ws, "warnings", "act", str(red), "dispose", "--finding", "confirmed", "--measure",
        "funds_recovered", "--funds", "1500", "--as", "sup")  # fmt: skip
    assert "cannot accept" in fails(ws, "warnings", "act", str(red), "accept", "--as", "sup")
    assert "role leader may not" in fails(
        ws, "warnings", "act", str(red), "feedback", "--report", "x", "--as", "lead"
    )
    out = run(ws, "warnings", "show", str(red), "--as", "sup")
    assert "dispose" in out and "王*明" in out and "1,500.00" in out
    revealed = run(ws, "warnings", "show", str(red), "--as", "sup", "--reveal", "--purpose", "核查")
    assert "王小明" in revealed
    assert "needs --purpose" in fails(ws, "warnings", "show", str(red), "--as", "sup", "--reveal")
    out = run(ws, "warnings", "outcomes", "--as", "sup")
    assert "100%" in out and "1,500.00" in out
    other = str(3)  # county B's warning: not found by id
    assert "not found" in fails(ws, "warnings", "show", other, "--as", "sup")
    assert "not found" in fails(ws, "warnings", "show", "99999999999", "--as", "sup")
    assert "no organisation" in fails(
        ws, "warnings", "dispatch", "1", "--org", "99999999999", "--as", "sup"
    )
    assert "--funds" in fails(
        ws, "warnings", "act", str(red), "dispose", "--finding", "confirmed", "--funds", "-3",
        "--measure", "funds_recovered", "--as", "sup",
    )  # fmt: skip


def test_exports_are_audited(ws: Path) -> None:
    for fmt in ("csv", "jsonl", "xlsx"):
        out_file = ws / f"out.{fmt}"
        run(ws, "warnings", "export", "--format", fmt, "-o", str(out_file), "--as", "sup")
        assert out_file.exists()
    lines = [json.loads(x) for x in (ws / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {x["model_id"] for x in lines} == {"dead_still_paid"}
    assert all("*" in x["subject_id"] and x["explanation"] for x in lines)
    assert all(set(x) >= {"model_name", "severity", "amount", "evidence"} for x in lines)
    sheet = CalamineWorkbook.from_path(str(ws / "out.xlsx")).get_sheet_by_index(0).to_python()
    assert sheet[0][0].startswith("预警编号") and len(sheet) == 3
    header = (ws / "out.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "模型名称 / model name" in header
    run(ws, "warnings", "export", "--format", "jsonl", "-o", str(ws / "clear.jsonl"),
        "--unmasked", "--as", "sup")  # fmt: skip
    clear = (ws / "clear.jsonl").read_text(encoding="utf-8")
    assert "522701195001" in clear
    assert "may not export unmasked" in fails(
        ws, "warnings", "export", "--format", "csv", "--unmasked", "--as", "lead"
    )
    assert "--format" in fails(ws, "warnings", "export", "--format", "pdf", "--as", "sup")
    digest = run(ws, "warnings", "export", "--format", "digest", "--as", "sup")
    assert "daily digest" in digest and "王" not in digest
    run(ws, "warnings", "digest")
    files = sorted((ws / "reports" / "digest").glob("*/*.md"))
    assert len(files) == 3
    from qingfeng.settings import load_settings
    from qingfeng.store.db import make_engine, session_factory

    engine = make_engine(load_settings(ws).database_url)
    with session_factory(engine)() as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == "warning.export")))
        assert [(r.object_id, r.detail["masked"]) for r in rows] == [
            ("csv", True), ("jsonl", True), ("xlsx", True), ("jsonl", False),
        ]  # fmt: skip
        assert audit.verify(s).ok
        assert s.scalar(select(Warning.status).where(Warning.id == 1)) == "new"
    engine.dispose()


def test_export_names_the_model_from_the_library(ws: Path, store_url: str) -> None:
    spec = next(iter(built_in_models().models.values()))
    with tx(migrated_factory(store_url)) as s:
        make_warning(s, "522701001001", model_id=spec.id)
    run(ws, "warnings", "export", "--format", "jsonl", "-o", str(ws / "m.jsonl"),
        "--model", spec.id, "--as", "sup")  # fmt: skip
    (row,) = [json.loads(x) for x in (ws / "m.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["model_id"] == spec.id and row["model_name"] == spec.name.zh
