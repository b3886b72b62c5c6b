"""Benchmark: build every subject and relationship library for a 1,000,000-person county.

Target: under 60 s on 2 cores. The county is generated in DuckDB first (not timed);
the build is timed end to end, including the Parquet writes and the Splink linkage.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from qingfeng.bench.county import generate_county
from qingfeng.entities import attach_libraries, build_libraries

PEOPLE = int(os.environ.get("QINGFENG_BENCH_PEOPLE", "1000000"))
TARGET_SECONDS = 60.0


def run(console: Console) -> None:
    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    console.print(f"[bold]libraries[/]: generating a county of {PEOPLE:,} people (not timed) ...")
    t0 = time.perf_counter()
    counts = generate_county(con, PEOPLE, truth=True)
    gen = time.perf_counter() - t0
    console.print(
        f"  generated {sum(counts.values()):,} rows in {len(counts)} standard tables "
        f"in {gen:.1f} s (DuckDB threads={threads})"
    )
    with tempfile.TemporaryDirectory(prefix="qf-bench-lib-") as tmp:
        report = build_libraries(con, Path(tmp) / "_libraries")
        size = sum(p.stat().st_size for p in (Path(tmp) / "_libraries").glob("*.parquet"))
        attach_libraries(con, Path(tmp))
        planted, linked, correct = con.execute(
            """SELECT count(*), count(l.linked_id_no),
                      count(*) FILTER (WHERE l.linked_id_no = t.id_no)
               FROM truth_village_payees t
               LEFT JOIN person_links l
                 ON l.source = 'village_ledgers' AND l.record_key = t.voucher_no"""
        ).fetchall()[0]
    table = Table(title=f"libraries for {PEOPLE:,} people")
    for col in ("library", "rows", "wall s", "CPU s"):
        table.add_column(col, justify="right" if col != "library" else "left")
    for r in report.results:
        table.add_row(r.name, f"{r.rows:,}", f"{r.seconds:.2f}", f"{r.cpu_seconds:.2f}")
    console.print(table)
    lk = report.linkage
    if lk is not None:
        console.print(
            f"  linkage: {lk.mentions:,} mentions, {lk.profiles:,} profiles, "
            f"{lk.pairs_scored:,} pairs scored; linked {lk.linked:,}, "
            f"ambiguous {lk.ambiguous:,}, unmatched {lk.unmatched:,}"
        )
        console.print(
            f"  planted ledger payees without ID: {planted:,}; linked {linked:,} "
            f"(precision {correct / max(linked, 1):.3f}, recall {correct / max(planted, 1):.3f})"
        )
    verdict = "[green]OK[/]" if report.seconds < TARGET_SECONDS else "[red]SLOW[/]"
    load = os.getloadavg()[0]
    console.print(
        f"  build: {report.seconds:.1f} s wall (target < {TARGET_SECONDS:.0f} s) {verdict}; "
        f"{report.cpu_seconds:.1f} s CPU over {threads} threads; Parquet {size / 1e6:.0f} MB; "
        f"load average {load:.1f} (a busy machine stretches the wall time, not the CPU time)"
    )
