"""`qingfeng libraries build` end to end: a workspace, a DuckDB file of standard tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.subject_library import LIBRARY_NAMES, attach_libraries
from qingfeng.workspace import init_workspace
from subject_library_data import create_county

runner = CliRunner()


def test_build_from_a_duckdb_file(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    db = tmp_path / "county.duckdb"
    with duckdb.connect(str(db)) as con:
        create_county(con)
    result = runner.invoke(
        app, ["libraries", "build", "-w", str(settings.workspace), "--from-duckdb", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "rel_kinship" in result.output
    for name in LIBRARY_NAMES:
        assert (settings.lake_dir / "_libraries" / f"{name}.parquet").is_file()
    report = json.loads((settings.reports_dir / "libraries.json").read_text("utf-8"))
    people = next(lib for lib in report["libraries"] if lib["name"] == "people")
    assert people["rows"] == 15 and people["skipped"] is False
    con = duckdb.connect()
    attach_libraries(con, settings.lake_dir)
    assert con.execute("SELECT count(*) FROM people").fetchone() == (15,)
    # no ID numbers or names on the console
    assert "330102" not in result.output and "张强" not in result.output


def test_bad_inputs_give_clear_errors(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    ws = str(settings.workspace)
    missing = runner.invoke(app, ["libraries", "build", "-w", ws, "--from-duckdb", "nope.duckdb"])
    assert missing.exit_code == 1 and "nope.duckdb" in missing.output
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database", "utf-8")
    bad = runner.invoke(app, ["libraries", "build", "-w", ws, "--from-duckdb", str(junk)])
    assert bad.exit_code == 1 and "junk.duckdb" in bad.output
    assert "Traceback" not in bad.output
    not_ws = runner.invoke(app, ["libraries", "build", "-w", str(tmp_path / "empty")])
    assert not_ws.exit_code == 1 and "qingfeng init" in not_ws.output
