"""`run_models` and `qingfeng run`: runs record what they read and found, hits become warnings,
one failing model does not stop the others, and re-runs update instead of duplicating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from built_in_models import built_in_models
from qingfeng.cli.app import app
from qingfeng.engine import DuckDBEngine, load_models
from qingfeng.engine.dataspec_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.operations.model_runs import run_models
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import ModelRun, Warning, WarningLine
from qingfeng.workspace import init_workspace

FAILING = """\
id: always_fails
version: "1.0"
name: {zh: 总是失败}
field: 其他
description: 运行时类型转换失败的模型。
legal_basis: [{document: 无}]
inputs: [deaths]
logic:
  sql: SELECT id_no, name FROM deaths WHERE CAST(name AS INTEGER) > 0
subject: {type: person, id: id_no, name: name}
period: "'all'"
severity: [{level: blue}]
explanation: "{subject_name}"
"""


@pytest.fixture
def workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = init_workspace(tmp_path / "ws")
    (settings.models_dir / "always_fails.yaml").write_text(FAILING, encoding="utf-8")
    (settings.models_dir / "broken.yaml").write_text("id: broken\nversion: x\n", encoding="utf-8")
    return settings


def _engine_with(tables: dict[str, list[dict]]) -> DuckDBEngine:
    engine = DuckDBEngine()
    for name, rows in tables.items():
        engine.register_rows(name, column_types_for(name, rows, default_catalogue()), rows)
    return engine


def _case_tables() -> dict[str, list[dict]]:
    spec = built_in_models().get("subsidy_after_death")
    tables = dict(spec.tests[0].tables)
    for dataset in spec.inputs:  # inputs the case leaves out are present but empty
        tables.setdefault(dataset, [])
    return tables


def test_run_records_runs_and_warnings_and_isolates_failures(workspace) -> None:  # type: ignore[no-untyped-def]
    tables = _case_tables()
    seen = []
    summary = run_models(
        workspace,
        model_ids=["subsidy_after_death", "always_fails"],
        engine=_engine_with(tables),
        progress=lambda d, t, r: seen.append((d, t)),
    )
    by_id = {r.model_id: r for r in summary.results}
    assert set(by_id) == {"subsidy_after_death", "always_fails"}
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)

    good = by_id["subsidy_after_death"]
    assert good.error is None
    assert good.rows_read == sum(len(rows) for rows in tables.values())  # every input read
    # two months of one person: one lead with two evidence lines
    assert (good.hits, good.new, good.still_present, good.no_longer_present) == (2, 1, 0, 0)

    bad = by_id["always_fails"]
    assert bad.error and "Conversion Error" in bad.error
    assert len(summary.load_errors) == 1 and "broken.yaml" in summary.load_errors[0]

    factory = session_factory(make_engine(workspace.database_url))
    with factory() as session:
        runs = {r.model_id: r for r in session.scalars(select(ModelRun))}
        assert runs["always_fails"].error and runs["always_fails"].hits == 0
        assert runs["subsidy_after_death"].rows_read == good.rows_read
        assert runs["subsidy_after_death"].finished_at is not None
        lead = session.scalars(select(Warning)).one()
        lines = session.scalars(
            select(WarningLine)
            .where(WarningLine.warning_id == lead.id)
            .order_by(WarningLine.period)
        ).all()
        assert [(x.period, x.severity, str(x.amount)) for x in lines] == [
            ("2024-04", "orange", "200.00"),
            ("2024-05", "red", "1200.00"),
        ]
        assert (
            lines[0].explanation == "张三于2024-03-10死亡，其后仍于2024-04-05领取高龄补贴200.00元"
        )
        assert lines[0].evidence["payment_no"] == "P002"
        # the lead: the worst severity, the amounts summed, the latest line's period and sentence
        assert (lead.period, lead.severity, str(lead.amount)) == ("2024-05", "red", "1400.00")
        assert lead.explanation.startswith(lines[1].explanation)
        assert lead.division_code == "110101001001"

    # the report is written beside the other reports
    reports = list(workspace.reports_dir.glob("run-*.json"))
    assert len(reports) == 1
    assert json.loads(reports[0].read_text(encoding="utf-8"))["run_group"] == summary.run_group

    # re-run with the April payment gone: one still present, one no longer present
    tables["subsidy_payments"] = [
        p for p in tables["subsidy_payments"] if p["payment_no"] != "P002"
    ]
    again = run_models(workspace, model_ids=["subsidy_after_death"], engine=_engine_with(tables))
    result = again.results[0]
    assert (result.hits, result.new, result.still_present, result.no_longer_present) == (1, 0, 1, 0)
    with factory() as session:
        assert len(session.scalars(select(Warning)).all()) == 1
        gone = session.scalars(select(WarningLine).where(WarningLine.present.is_(False))).all()
        assert [x.period for x in gone] == ["2024-04"]


def test_a_failed_run_leaves_warnings_untouched(workspace) -> None:  # type: ignore[no-untyped-def]
    run_models(workspace, model_ids=["subsidy_after_death"], engine=_engine_with(_case_tables()))
    empty = DuckDBEngine()  # no tables at all: the model fails
    summary = run_models(workspace, model_ids=["subsidy_after_death"], engine=empty)
    assert "subsidy_payments" in (summary.results[0].error or "")
    factory = session_factory(make_engine(workspace.database_url))
    with factory() as session:
        assert all(w.present for w in session.scalars(select(Warning)))


def test_field_filter_and_unknown_model(workspace) -> None:  # type: ignore[no-untyped-def]
    engine = _engine_with(_case_tables())
    summary = run_models(workspace, field="公职人员", engine=engine)
    # the library grows: compare with its own list of 公职人员 models rather than a fixed one
    officials = [s.id for s in load_models(workspace.models_dir).select(None, "公职人员")]
    assert "official_resettlement_housing" in officials
    assert [r.model_id for r in summary.results] == officials
    assert all(r.error for r in summary.results)  # their tables are not in this engine
    with pytest.raises(KeyError, match="nope"):
        run_models(workspace, model_ids=["nope"], engine=engine)


def test_cli_model_test_list_and_explain(workspace) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    ws = str(workspace.workspace)
    result = runner.invoke(app, ["model", "test", "subsidy_after_death", "-w", ws])
    assert result.exit_code == 1  # the workspace holds a broken model file
    # every test case of the model passes (counted from the model itself, which may gain cases)
    cases = len(load_models(workspace.models_dir).get("subsidy_after_death").tests)
    assert cases >= 1 and f"{cases} passed, 0 failed" in result.output
    (workspace.models_dir / "broken.yaml").unlink()
    result = runner.invoke(app, ["model", "test", "-w", str(workspace.workspace)])
    assert "always_fails: 没有测试用例" in result.output
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["model", "list", "-w", str(workspace.workspace)])
    assert result.exit_code == 0 and "subsidy_after_death" in result.output
    result = runner.invoke(app, ["model", "explain", "subsidy_after_death"])
    assert result.exit_code == 0, result.output
    assert "SQL · duckdb" in result.output and "SQL · spark" in result.output
    assert "CAST(id_no AS STRING)" in result.output
    assert "HASH_JOIN" in result.output or "Hash Join" in result.output.replace("_", " ").title()


def test_cli_run_over_the_lake(workspace) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("qingfeng.lake")
    (workspace.models_dir / "broken.yaml").unlink()
    (workspace.models_dir / "always_fails.yaml").unlink()
    ws = str(workspace.workspace)
    # before the libraries are built, a model reading one fails and says which command builds it
    result = CliRunner().invoke(app, ["run", "-w", ws, "--model", "approval_for_relative"])
    assert result.exit_code != 0
    assert "relatives" in result.output and "qingfeng libraries build" in result.output
    assert CliRunner().invoke(app, ["libraries", "build", "-w", ws]).exit_code == 0
    result = CliRunner().invoke(app, ["run", "-w", ws])
    assert result.exit_code == 0, result.output
    assert "subsidy_after_death" in result.output and "0 failed" in result.output
