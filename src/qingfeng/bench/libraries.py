"""Benchmark: build every subject and relationship library for a 1,000,000-person county.

Target: under 60 s on 2 cores. The county is generated in DuckDB first (not timed);
the build is timed end to end, including the Parquet writes and the Splink linkage.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from qingfeng.bench.county import generate_county
from qingfeng.subject_library import attach_libraries, build_libraries
from qingfeng.subject_library.trace import trace_payment

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
    trace_s, trace_steps = _time_trace(con)
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
    console.print(
        f"  4-hop trace from the busiest account's first receipt: {trace_s * 1000:.0f} ms, "
        f"{trace_steps} transfers carrying a share (proportional rule, 365-day window)"
    )
    verdict = "[green]OK[/]" if report.seconds < TARGET_SECONDS else "[red]SLOW[/]"
    load = os.getloadavg()[0]
    console.print(
        f"  build: {report.seconds:.1f} s wall (target < {TARGET_SECONDS:.0f} s) {verdict}; "
        f"{report.cpu_seconds:.1f} s CPU over {threads} threads; Parquet {size / 1e6:.0f} MB; "
        f"load average {load:.1f} (a busy machine stretches the wall time, not the CPU time)"
    )


def _time_trace(con: duckdb.DuckDBPyConnection) -> tuple[float, int]:
    """One 4-hop trace (qingfeng.subject_library.trace) of 10,000 yuan arriving just before the
    first
    transfer out of the account with the most transfers out, over a 365-day window (the bench
    county's transfers are spread over years): a wide start, not an average one."""
    row = con.execute(
        """WITH busiest AS (
             SELECT account_no FROM bank_transactions
             WHERE counterparty_account IS NOT NULL AND direction = 'out'
             GROUP BY account_no ORDER BY count(*) DESC, account_no LIMIT 1)
           SELECT b.account_no, min(CAST(b.txn_time AS TIMESTAMP))
           FROM bank_transactions b JOIN busiest USING (account_no)
           WHERE b.direction = 'out' GROUP BY b.account_no"""
    ).fetchall()
    if not row:
        return 0.0, 0
    account, first = row[0]
    t0 = time.perf_counter()
    steps = trace_payment(
        con, account, 10_000.0, first - timedelta(seconds=1), hops=4, window_days=365
    )
    return time.perf_counter() - t0, len(steps)
