"""Data quality over a small lake: every measure checked against hand-counted expectations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from ingest_helpers import A, B, C, make_id, registry_rows, write_csv
from qingfeng.cli import app
from qingfeng.ingest import ingest_path
from qingfeng.quality import assess
from qingfeng.workspace import init_workspace

D = make_id("522701", "19700707", 4)  # on the payroll, not in the registry


def test_quality_measures_and_cross_checks(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    src = tmp_path / "in"
    rows = registry_rows()  # 3 good rows (A active, B active, C deceased), 2 bad, 1 duplicate
    rows[1][-1] = rows[4][-1] = ""  # A (listed twice) has no phone
    write_csv(src / "户籍.csv", [*rows, ["", "", "", "", "", "", "", "", "", ""]])
    write_csv(
        src / "火化.csv",
        [
            ["身份证号码", "死者姓名", "死亡日期", "火化日期"],
            [A, "王小明", "2024-03-01", "2024-03-03"],
        ],
    )
    write_csv(
        src / "财政供养.csv",
        [["身份证号码", "姓名", "单位名称", "入职日期"], [B, "李秀英", "某局", "2001-01-01"],
         [D, "赵六", "某局", "2010-01-01"]],
    )  # fmt: skip
    report = ingest_path(ws, src, assume_yes=True)
    assert report.reconciled and report.ok, [s.message for s in report.sources]
    # A second registry batch repeats person B: a duplicate key across batches.
    write_csv(tmp_path / "户籍_2.csv", [rows[0], rows[2]])
    ingest_path(ws, tmp_path / "户籍_2.csv", assume_yes=True)

    q = assess(ws, as_of=dt.date(2024, 3, 11))
    by = {d.dataset: d for d in q.datasets}
    hr = by["household_registry"]
    assert (hr.rows, hr.batches, hr.duplicates_removed) == (4, 2, 1)
    assert hr.quarantined == 3  # bad check digit, empty ID + impossible date, the blank row
    assert (hr.key_duplicates, hr.uniqueness) == (1, 0.75)
    fields = {f.field: f for f in hr.fields}
    assert fields["phone"].filled == 0 and fields["phone"].completeness == 0.0
    assert fields["name"].completeness == 1.0
    assert (
        fields["id_no"].invalid == 1
    )  # the check digit (empty IDs are completeness, not validity)
    assert fields["birth_date"].invalid == 1 and fields["birth_date"].validity == 0.8
    assert [round(b.quarantine_rate, 2) for b in hr.trend] == [0.43, 0.0]
    deaths = by["deaths"]
    assert (deaths.latest, deaths.days_since_latest) == ("2024-03-03", 8)
    checks = {c.check: c for c in q.cross_checks}
    assert (
        checks["deaths_alive_in_registry"].count,
        checks["deaths_alive_in_registry"].checked,
    ) == (1, 1)
    assert checks["registry_deceased_without_death_record"].count == 1  # C
    assert (checks["payroll_not_in_registry"].count, checks["payroll_not_in_registry"].checked) == (
        1,
        2,
    )
    assert checks["subsidy_recipients_not_in_registry"].status == "skipped"

    result = CliRunner().invoke(app, ["quality", "-w", str(ws.workspace)])
    assert result.exit_code == 0, result.output
    assert "household_registry" in result.output and "财政供养人员不在户籍库中" in result.output
    written = sorted(ws.reports_dir.glob("quality-*.json"))[-1]
    data = json.loads(written.read_text(encoding="utf-8"))
    assert {d["dataset"] for d in data["datasets"]} == {
        "household_registry",
        "deaths",
        "public_payroll",
    }
    assert A not in written.read_text(encoding="utf-8")  # no personal data in the report
    assert C and B


def test_quality_of_an_empty_lake_and_bad_dataset(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    q = assess(ws)
    assert q.datasets == [] and all(c.status == "skipped" for c in q.cross_checks)
    bad = CliRunner().invoke(app, ["quality", "-d", "nope", "-w", str(ws.workspace)])
    assert bad.exit_code == 1 and "nope" in bad.output
