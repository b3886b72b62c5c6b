"""Benchmark: CSV ingest with full normalisation vs a bare DuckDB read_csv → Parquet.

Generates a subsidy-payments CSV (Chinese headers, mixed date formats, 15- and 18-digit IDs,
full-width digits, amounts with separators, a few invalid and duplicate rows) with DuckDB itself,
then times, in the same run, (a) `ingest_path` on it in a fresh workspace, (b) a bare
`COPY (SELECT * FROM read_csv(...)) TO parquet` of the same file, (c) an order-keeping copy (read
into a table, write it with row numbers) and (d) the same ingest staged in one pass
(QINGFENG_INGEST_ONE_PASS=1). Peak memory is measured by
ingesting a file of QINGFENG_BENCH_INGEST_MEMORY_ROWS rows and one ten times larger, each in
its own process (peak RSS from the kernel's accounting of that child).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

HEADERS = [
    "发放流水号", "证件号码", "领取人", "补贴项目", "发放年月", "发放日期",
    "发放金额（元）", "银行账号", "行政区划代码", "审批人",
]  # fmt: skip


def generate_csv(path: Path, rows: int) -> Path:
    """Write a realistic subsidy-payments CSV of `rows` data rows (vectorised in DuckDB)."""
    con = duckdb.connect()
    # 17-digit bodies from a birth date and a sequence; check digits computed by the same rule
    # as GB 11643 so that nearly every row is valid.
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    checksum = " + ".join(f"(ascii(body[{i + 1}]) - 48) * {w}" for i, w in enumerate(weights))
    sql = f"""
    COPY (
      WITH base AS (
        SELECT i,
          '5227' || lpad(CAST(1 + i % 30 AS VARCHAR), 2, '0')
            || strftime(DATE '1930-01-01' + CAST(i % 25000 AS INTEGER), '%Y%m%d')
            || lpad(CAST(i % 997 AS VARCHAR), 3, '0') AS body
        FROM range({int(rows)}) t(i)
      ), ids AS (
        SELECT i, body || substr('10X98765432', (({checksum}) % 11) + 1, 1) AS id18 FROM base
      )
      SELECT
        'P' || lpad(CAST(CASE WHEN i % 1000 = 999 THEN i - 1 ELSE i END AS VARCHAR), 9, '0')
          AS "发放流水号",
        CASE WHEN i % 50 = 1 THEN id18[1:6] || id18[9:17]
             WHEN i % 101 = 7 THEN translate(id18, '0123456789', '０１２３４５６７８９')
             WHEN i % 997 = 5 THEN ''
             ELSE lower(id18) END AS "证件号码",
        CASE WHEN i % 40 = 3 THEN '張 學友' ELSE '王小明' END AS "领取人",
        CASE WHEN i % 3 = 0 THEN '高龄补贴' ELSE '农机购置补贴' END AS "补贴项目",
        CASE WHEN i % 2 = 0 THEN '2024-05' ELSE '2024年5月' END AS "发放年月",
        CASE WHEN i % 4 = 0 THEN '2024/5/' || (1 + i % 28)
             WHEN i % 4 = 1 THEN '2024年5月' || (1 + i % 28) || '日'
             WHEN i % 4 = 2 THEN '202405' || lpad(CAST(1 + i % 28 AS VARCHAR), 2, '0')
             ELSE '2024-05-' || lpad(CAST(1 + i % 28 AS VARCHAR), 2, '0') END AS "发放日期",
        CASE WHEN i % 5 = 0 THEN '1,' || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') || '.50'
             ELSE CAST(100 + i % 900 AS VARCHAR) || '.00' END AS "发放金额（元）",
        '6228' || lpad(CAST(i AS VARCHAR), 15, '0') AS "银行账号",
        '522701' || lpad(CAST(100 + i % 20 AS VARCHAR), 3, '0') || '001' AS "行政区划代码",
        '李审批' AS "审批人"
      FROM ids
    ) TO '{str(path).replace("'", "''")}' (HEADER, DELIMITER ',')
    """
    con.execute(sql)
    con.close()
    return path


def bare_copy(csv_path: Path, out: Path) -> tuple[float, float]:
    """(seconds, CPU seconds) for DuckDB to read the CSV and write it to Parquet, no cleaning."""
    con = duckdb.connect()
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', header = true, all_varchar = true)) "
        f"TO '{out}' (FORMAT parquet)"
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    con.close()
    return seconds, cpu


def ordered_copy(csv_path: Path, out: Path) -> tuple[float, float]:
    """(seconds, CPU seconds) for a copy that records each row's number: read into a table,
    then write it with its row numbers. No cleaning, no checks.

    DuckDB's CSV reader gives no row numbers; a table's rowid is the file's order, and so is a
    parallel COPY's output order when no operator in it reorders rows (a join does).
    """
    con = duckdb.connect()
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(
        f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv('{csv_path}', header = true, "
        "all_varchar = true)"
    )
    con.execute(f"COPY (SELECT *, rowid + 2 AS source_row FROM raw) TO '{out}' (FORMAT parquet)")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    con.close()
    return seconds, cpu


def measure(rows: int, folder: Path) -> dict[str, float]:
    """Best of QINGFENG_BENCH_REPEAT (default 3) runs of each side, interleaved.

    Each ingest starts from a fresh workspace, so every run does the whole work.
    """
    from qingfeng.ingest import ingest_path
    from qingfeng.workspace import init_workspace

    csv_path = generate_csv(folder / "补贴发放_bench.csv", rows)
    repeat = int(os.environ.get("QINGFENG_BENCH_REPEAT", "3"))
    bare, bare_cpu, full, cpu, ordered, one, one_cpu = (float("inf"),) * 7

    def ingest(workspace: Path) -> tuple[float, float, Any]:
        settings = init_workspace(workspace)
        t0, c0 = time.perf_counter(), time.process_time()
        report = ingest_path(settings, csv_path, assume_yes=True)
        # process_time: every thread of this process
        seconds, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        src = report.sources[0]
        assert src.status == "loaded" and report.reconciled, src.message
        return seconds, cpu_s, src

    for i in range(repeat):
        b, bc = bare_copy(csv_path, folder / "bare.parquet")
        bare, bare_cpu = min(bare, b), min(bare_cpu, bc)
        ordered = min(ordered, ordered_copy(csv_path, folder / "ordered.parquet")[0])
        w, c, src = ingest(folder / f"ws{i}")
        full, cpu = min(full, w), min(cpu, c)
        # The same ingest staged in one pass (qingfeng.ingest.onepass), same outputs.
        os.environ["QINGFENG_INGEST_ONE_PASS"] = "1"
        try:
            w, c, one_src = ingest(folder / f"ws{i}-onepass")
        finally:
            del os.environ["QINGFENG_INGEST_ONE_PASS"]
        one, one_cpu = min(one, w), min(one_cpu, c)
        assert (one_src.rows_loaded, one_src.rows_quarantined, one_src.rows_duplicate) == (
            src.rows_loaded, src.rows_quarantined, src.rows_duplicate,
        )  # fmt: skip
    return {
        "rows": float(rows),
        "bare_s": bare,
        "bare_cpu_s": bare_cpu,
        "ingest_s": full,
        "ingest_cpu_s": cpu,
        "ingest_rows_per_s": rows / full,
        "bare_rows_per_s": rows / bare,
        "ratio": full / bare,
        "ordered_s": ordered,
        "ordered_ratio": full / ordered,
        "cpu_ratio": cpu / bare_cpu,
        "onepass_s": one,
        "onepass_cpu_s": one_cpu,
        "onepass_ratio": one / bare,
        "onepass_cpu_ratio": one_cpu / bare_cpu,
        "loaded": float(src.rows_loaded),
        "quarantined": float(src.rows_quarantined),
        "duplicates": float(src.rows_duplicate),
        "mb": csv_path.stat().st_size / 1e6,
    }


_CHILD = """
import sys
from pathlib import Path
from qingfeng.ingest import ingest_path
from qingfeng.workspace import init_workspace
report = ingest_path(init_workspace(Path(sys.argv[2])), Path(sys.argv[1]), assume_yes=True)
assert report.sources[0].status == "loaded" and report.reconciled
"""


def peak_rss_mb(csv_path: Path, workspace: Path) -> float:
    """Peak resident memory (MB) of a fresh process that ingests `csv_path`."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(csv_path), str(workspace)])
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"ingest child failed with exit code {proc.returncode}")
    return usage.ru_maxrss / 1024  # Linux reports kilobytes


def measure_memory(rows: int, folder: Path) -> dict[str, float]:
    """Peak RSS for a file of `rows` rows and for one ten times larger."""
    out: dict[str, float] = {}
    for factor in (1, 10):
        sub = folder / f"mem{factor}"
        sub.mkdir()
        csv_path = generate_csv(sub / "补贴发放_bench.csv", rows * factor)
        out[f"rss_{factor}x_mb"] = peak_rss_mb(csv_path, sub / "ws")
        csv_path.unlink()
    return out


class _TimedConnection:
    """A DuckDB connection that records the process CPU and wall time of each statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.log: list[tuple[float, float, str]] = []

    def execute(self, query: str, *args: Any) -> duckdb.DuckDBPyConnection:
        c0, t0 = time.process_time(), time.perf_counter()
        out = self._con.execute(query, *args)
        self.log.append((time.process_time() - c0, time.perf_counter() - t0, query))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def statement_profile(csv_path: Path, folder: Path, *, one_pass: bool) -> list[tuple]:
    """(CPU s, wall s, statement) of staging the bench file, costliest first."""
    from qingfeng.dataspec import get_dataset
    from qingfeng.ingest import readers
    from qingfeng.ingest.mapping import propose
    from qingfeng.ingest.pipeline import _connection
    from qingfeng.ingest.profile import profile_samples, read_sample
    from qingfeng.ingest.stage import run_stage

    con = _connection(folder)
    src = readers.read_csv_source(csv_path, folder)
    profiles = profile_samples(read_sample(con, src), con=con)
    mapping = propose(src.headers, src.name, None, profiles=profiles).mapping
    assert mapping is not None
    timed = _TimedConnection(con)
    if one_pass:
        os.environ["QINGFENG_INGEST_ONE_PASS"] = "1"
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        run_stage(timed, get_dataset(mapping.dataset), mapping, src, batch_id="b",  # type: ignore[arg-type]
                  staging=folder / ("one" if one_pass else "staged"))  # fmt: skip
        total = (time.process_time() - c0, time.perf_counter() - t0, "(all statements)")
    finally:
        os.environ.pop("QINGFENG_INGEST_ONE_PASS", None)
    con.close()
    return [total, *sorted(timed.log, key=lambda r: -r[0])]


def run(console: Console) -> None:
    rows = int(os.environ.get("QINGFENG_BENCH_INGEST_ROWS", "2000000"))
    mem_rows = int(os.environ.get("QINGFENG_BENCH_INGEST_MEMORY_ROWS", "200000"))
    with tempfile.TemporaryDirectory(prefix="qf-bench-ingest-") as tmp:
        r = measure(rows, Path(tmp))
    if mem_rows > 0:
        with tempfile.TemporaryDirectory(prefix="qf-bench-ingest-mem-") as tmp:
            m = measure_memory(mem_rows, Path(tmp))
        console.print(
            f"[bold]ingest memory[/] peak RSS {mem_rows:,} rows: {m['rss_1x_mb']:,.0f} MB; "
            f"{mem_rows * 10:,} rows: {m['rss_10x_mb']:,.0f} MB "
            f"(growth {m['rss_10x_mb'] / m['rss_1x_mb']:.1f}× for 10× the rows; "
            f"load average {os.getloadavg()[0]:.1f})"
        )
    console.print(
        f"[bold]ingest[/] CSV {int(r['rows']):,} rows ({r['mb']:.0f} MB): "
        f"full normalisation {r['ingest_s']:.2f}s = {r['ingest_rows_per_s']:,.0f} rows/s "
        f"({r['ingest_cpu_s']:.2f}s CPU); "
        f"bare read_csv→parquet {r['bare_s']:.2f}s = {r['bare_rows_per_s']:,.0f} rows/s "
        f"({r['bare_cpu_s']:.2f}s CPU); "
        f"ratio {r['ratio']:.2f}× wall, {r['cpu_ratio']:.2f}× CPU "
        "(target ≥1,000,000 rows/s and ≤2×; best of each side); "
        f"order-keeping copy (table, then Parquet with row numbers) {r['ordered_s']:.2f}s, "
        f"ratio {r['ordered_ratio']:.2f}×; "
        f"one pass (QINGFENG_INGEST_ONE_PASS=1) {r['onepass_s']:.2f}s "
        f"({r['onepass_cpu_s']:.2f}s CPU), ratio {r['onepass_ratio']:.2f}× wall, "
        f"{r['onepass_cpu_ratio']:.2f}× CPU; "
        f"loaded {int(r['loaded']):,}, quarantined {int(r['quarantined']):,}, "
        f"duplicates {int(r['duplicates']):,}; load average {os.getloadavg()[0]:.1f}"
    )
    if os.environ.get("QINGFENG_BENCH_INGEST_PROFILE") == "1":
        # Where the time goes: each statement of staging the file, for both paths.
        with tempfile.TemporaryDirectory(prefix="qf-bench-ingest-prof-") as tmp:
            folder = Path(tmp)
            csv_path = generate_csv(folder / "补贴发放_bench.csv", rows)
            for one_pass in (False, True):
                console.print(
                    "[bold]ingest statements[/] " + ("one pass" if one_pass else "staged")
                )
                for cpu_s, wall, sql in statement_profile(csv_path, folder, one_pass=one_pass)[:12]:
                    console.print(f"  {cpu_s:6.2f}s CPU {wall:6.2f}s  {' '.join(sql.split())[:90]}")
