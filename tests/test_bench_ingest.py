"""`make bench --only ingest` at a small size: its file is ingested with every row accounted for,
and the three sides it compares were all measured."""

from __future__ import annotations

from pathlib import Path

import duckdb

from qingfeng.bench import ingest


def test_the_ingest_bench_runs_end_to_end_and_reconciles(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QINGFENG_BENCH_REPEAT", "1")
    r = ingest.measure(5_000, tmp_path)
    assert r["loaded"] + r["quarantined"] + r["duplicates"] == 5_000
    # The generator plants empty ID numbers (i % 997 == 5): 5 and 1002, ... are quarantined.
    assert r["quarantined"] >= len(range(5, 5_000, 997))
    for side in ("bare_s", "ordered_s", "ingest_s"):
        assert 0 < r[side] < float("inf"), side
    assert r["ratio"] == r["ingest_s"] / r["bare_s"]
    written = tmp_path / "ordered.parquet"
    got = (
        duckdb.connect()
        .execute(f"SELECT count(*), min(source_row), max(source_row) FROM '{written}'")
        .fetchone()
    )
    assert got == (5_000, 2, 5_001)  # line 1 is the header
