"""Every row's `source_row` is the line a person sees in the file, when records span lines.

A department CSV with title lines above the header, blank lines between records and quoted
fields holding line breaks (a remark typed over two lines, a blank line inside a quote): each row
in the lake and in the quarantine must name the line where its record starts.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from qingfeng.bench.ingest import generate_csv
from qingfeng.ingest import ingest_path
from qingfeng.workspace import init_workspace


def _messy_copy(plain: Path, out: Path) -> Counter[tuple[str, int]]:
    """Rewrite the bench CSV with title lines, blank lines and multi-line remarks; return the
    (payment number, line) of every record as a person counts lines in an editor."""
    expected: Counter[tuple[str, int]] = Counter()
    lines = plain.read_text(encoding="utf-8").splitlines()
    text = ["补贴发放明细表", "填报单位：某县民政局", lines[0] + ",备注"]
    line = 4  # the line the next record starts on
    for i, row in enumerate(lines[1:]):
        if i % 997 == 3:
            text.append("")  # a blank line between records
            line += 1
        remark = ""
        if i % 101 == 0:
            remark = '"第一行\n第二行"'
        elif i % 1009 == 7:
            remark = '"含""引号"",\n\n空行之后"'
        expected[(row.split(",", 1)[0], line)] += 1
        text.append(f"{row},{remark}")
        line += 1 + remark.count("\n")
    text.extend(["", ""])  # blank lines at the end are no records
    out.write_text("\n".join(text), encoding="utf-8")
    return expected


def _observed(lake: Path) -> Counter[tuple[str, int]]:
    con = duckdb.connect()
    got: Counter[tuple[str, int]] = Counter()
    for no, row in con.execute(
        f"SELECT payment_no, _source_row FROM read_parquet('{lake}/subsidy_payments/**/*.parquet')"
    ).fetchall():
        got[(no, int(row))] += 1
    for original, row in con.execute(
        f"SELECT original, source_row FROM read_parquet('{lake}/_quarantine/**/*.parquet')"
    ).fetchall():
        got[(json.loads(original).get("发放流水号", "(malformed)"), int(row))] += 1
    return got


@pytest.mark.parametrize("one_pass", [False, True], ids=["staged", "one-pass"])
@pytest.mark.parametrize(
    "rows", [20_000, pytest.param(1_000_000, marks=pytest.mark.slow)], ids=["20k", "1M"]
)
def test_every_row_names_the_line_where_its_record_starts(
    tmp_path: Path, rows: int, one_pass: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if one_pass:
        monkeypatch.setenv("QINGFENG_INGEST_ONE_PASS", "1")
    plain = generate_csv(tmp_path / "plain.csv", rows)
    messy = tmp_path / "补贴发放_多行备注.csv"
    expected = _messy_copy(plain, messy)
    plain.unlink()
    settings = init_workspace(tmp_path / "ws")
    report = ingest_path(settings, messy, assume_yes=True)
    src = report.sources[0]
    assert src.status == "loaded", src.message
    assert report.reconciled
    assert src.rows_read == rows
    assert src.rows_duplicate == 0  # the bench file repeats keys, never whole rows
    observed = _observed(settings.lake_dir)
    assert sum(observed.values()) == rows
    assert observed == expected


@pytest.mark.parametrize("one_pass", [False, True], ids=["staged", "one-pass"])
def test_a_malformed_row_after_multi_line_records_keeps_every_line(
    tmp_path: Path, one_pass: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if one_pass:
        monkeypatch.setenv("QINGFENG_INGEST_ONE_PASS", "1")
    plain = generate_csv(tmp_path / "plain.csv", 40)
    messy = tmp_path / "补贴发放_坏行.csv"
    expected = _messy_copy(plain, messy)
    text = messy.read_text(encoding="utf-8").rstrip("\n").split("\n")
    # A row with two extra columns after the records with quoted line breaks, then one more.
    text[10:10] = ["P999999999,1,2,3,4,5,6,7,8,9,10,11,12"]
    messy.write_text("\n".join(text) + "\n", encoding="utf-8")
    settings = init_workspace(tmp_path / "ws")
    report = ingest_path(settings, messy, assume_yes=True)
    src = report.sources[0]
    assert src.status == "loaded", src.message
    assert report.reconciled and src.rows_read == 41
    con = duckdb.connect()
    bad = con.execute(
        "SELECT source_row, rules FROM "
        f"read_parquet('{settings.lake_dir}/_quarantine/**/*.parquet') "
        "WHERE rules = 'row:malformed_row'"
    ).fetchall()
    assert bad == [(11, "row:malformed_row")]
    observed = _observed(settings.lake_dir)
    del observed[("(malformed)", 11)]
    assert observed == Counter({(no, line + (line > 10)): n for (no, line), n in expected.items()})


def _outputs(lake: Path) -> dict[str, list[tuple]]:
    """Every published row, batch ids left out, conflict details parsed (their key order is
    not meaningful)."""
    con = duckdb.connect()
    out: dict[str, list[tuple]] = {}
    for name, glob in (
        ("lake", "subsidy_payments/**/*.parquet"),
        ("quarantine", "_quarantine/**/*.parquet"),
        ("duplicates", "_duplicates/**/*.parquet"),
    ):
        if not list(lake.glob(glob)):
            out[name] = []
            continue
        rows = con.execute(
            f"SELECT * EXCLUDE (_batch_id) FROM read_parquet('{lake}/{glob}', "
            "hive_partitioning = false) ORDER BY ALL"
        ).fetchall()
        out[name] = [
            tuple(json.loads(v) if isinstance(v, str) and v.startswith("{") else v for v in r)
            for r in rows
        ]
    return out


def test_one_pass_and_staged_ingest_publish_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Title lines, blank lines, multi-line remarks, traditional names, empty IDs, key
    conflicts, a malformed row and an exact duplicate: both paths give the same lake,
    quarantine, duplicates and report."""
    plain = generate_csv(tmp_path / "plain.csv", 3_000)
    messy = tmp_path / "补贴发放_两种.csv"
    _messy_copy(plain, messy)
    text = messy.read_text(encoding="utf-8").rstrip("\n").split("\n")
    text[20:20] = ["P999999999,1,2,3,4,5,6,7,8,9,10,11,12"]
    text.append(text[30])  # the same record again at the end: an exact duplicate
    messy.write_text("\n".join(text) + "\n", encoding="utf-8")
    got = {}
    for mode in ("staged", "one-pass"):
        if mode == "one-pass":
            monkeypatch.setenv("QINGFENG_INGEST_ONE_PASS", "1")
        settings = init_workspace(tmp_path / mode)
        report = ingest_path(settings, messy, assume_yes=True)
        src = report.sources[0]
        assert src.status == "loaded" and report.reconciled, src.message
        counts = (src.rows_read, src.rows_loaded, src.rows_quarantined, src.rows_duplicate)
        facts = (counts, src.rows_key_conflict, src.rules, src.unmatched_values)
        got[mode] = (facts, _outputs(settings.lake_dir))
    # 4 empty IDs, 2 key conflicts of 2 rows, 1 malformed row; 1 duplicate.
    assert got["staged"][0][0] == (3_002, 2_992, 9, 1)
    assert got["one-pass"] == got["staged"]
