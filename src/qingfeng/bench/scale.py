"""Where the line is: DuckDB against Spark at growing row counts
(`python -m qingfeng.bench --only scale`, `make bench ARGS='--only scale'`).

Two workloads, each the same SQL on both engines (written in DuckDB's dialect, rendered for Spark
as the libraries and models are: macros expanded, sqlglot's translation, the compiler's passes):

- **library**: the kinship library (`rel_kinship`, the real library SQL) over a household
  registry of N people in households of one to six;
- **ingest**: ingest-like normalisation of N raw rows: full-width digits, 15-digit ID numbers
  upgraded to 18 with their check character, dates in four spellings, amounts in 元 or 万元,
  every row checked (the shapes `ingest` meets; the rules here are written for the benchmark).

Each run reads the input Parquet and writes the result as Parquet (what a station does); the
Spark session is started once and warmed on a small run first, and its start-up is reported
apart. Sizes: QINGFENG_BENCH_SCALE_ROWS (default "100000,1000000"; add 10000000 on an idle
machine). Spark master: QINGFENG_BENCH_SCALE_MASTER (default local[2]; a `spark://` cluster
started as docs/deployment.md shows). Printed: the seconds, Spark's ratio to DuckDB, the per-row
cost fitted on the sizes measured, and the crossover (where Spark would overtake this machine's
DuckDB, if the fitted lines cross at all).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

ROWS = tuple(
    int(x) for x in os.environ.get("QINGFENG_BENCH_SCALE_ROWS", "100000,1000000").split(",") if x
)
MASTER = os.environ.get("QINGFENG_BENCH_SCALE_MASTER", "local[2]")
WARM_ROWS = 20_000

REGISTRY = """
SELECT printf('522701%04d%02d%02d%04d', 1940 + (i % 16800) // 336, (i % 336) // 28 + 1,
              i % 28 + 1, (i // 16800) % 10000) AS id_no,
       printf('H%010d', i // 4) AS household_no,
       ['户主', '配偶', '子', '女', '父亲', '母亲'][(i % 4) + 1 + CASE WHEN hash(i) % 5 = 0 THEN 2
                                                               ELSE 0 END] AS relation_to_head,
       CASE WHEN hash(i // 4) % 50 = 0 THEN '集体户' ELSE '家庭户' END AS household_type
FROM range($n) t(i)
"""

RAW = """
SELECT i AS source_row,
       CASE WHEN i % 7 = 0 THEN printf('５２２７０１%09d', i % 1000000000)
            WHEN i % 7 = 1 THEN printf('522701%09d', i % 1000000000)
            ELSE printf('522701%08d%04d', 19500101 + (i % 50) * 10000 + (i % 12) * 100
                        + i % 28, i % 10000) END AS id_raw,
       CASE i % 4 WHEN 0 THEN strftime(d, '%Y-%m-%d') WHEN 1 THEN strftime(d, '%Y年%m月%d日')
                  WHEN 2 THEN strftime(d, '%Y%m%d') ELSE strftime(d, '%Y/%m/%d') END AS date_raw,
       CAST((hash(i) % 100000) / 100.0 AS VARCHAR) AS amount_raw,
       CASE WHEN i % 9 = 0 THEN '万元' ELSE '元' END AS unit,
       '  居民' || (i % 99991) || '  ' AS name_raw
FROM (SELECT i, DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS d FROM range($n) t(i))
"""

# Ingest-like normalisation, one portable SELECT (DuckDB dialect; qf_ric_check_char expanded for
# Spark like the libraries' macros).
NORMALISE = """
WITH half AS (
  SELECT source_row,
         upper(translate(trim(id_raw), '０１２３４５６７８９ｘＸ', '0123456789XX')) AS id_s,
         trim(date_raw) AS date_s, trim(amount_raw) AS amount_s, unit,
         trim(name_raw) AS name
  FROM raw
), upgraded AS (
  SELECT *, CASE WHEN length(id_s) = 15
                 THEN substr(id_s, 1, 6) || '19' || substr(id_s, 7, 9)
                 ELSE substr(id_s, 1, 17) END AS id17
  FROM half
)
SELECT source_row,
       CASE WHEN length(id_s) IN (15, 18) AND regexp_full_match(id17, '[0-9]{17}')
            THEN id17 || qf_ric_check_char(id17) END AS id_no,
       CAST(coalesce(try_strptime(date_s, '%Y-%m-%d'), try_strptime(date_s, '%Y年%m月%d日'),
                     try_strptime(date_s, '%Y%m%d'), try_strptime(date_s, '%Y/%m/%d')) AS DATE)
         AS record_date,
       CAST(CAST(amount_s AS DECIMAL(18, 2)) * CASE WHEN unit = '万元' THEN 10000 ELSE 1 END
            AS DECIMAL(18, 2)) AS amount,
       name,
       length(id_s) = 18 AND substr(id_s, 18, 1) <> qf_ric_check_char(id17) AS bad_check
FROM upgraded
"""


def _library_sql() -> str:
    from qingfeng.subject_library.inputs import Inputs
    from qingfeng.subject_library.relations import rel_kinship

    cols = {"household_registry": {"id_no", "household_no", "relation_to_head", "household_type"}}
    return rel_kinship(Inputs(cols))


def _generate(folder: Path, n: int) -> dict[str, Path]:
    """The inputs of both workloads at n rows, as Parquet (not timed)."""
    con = duckdb.connect()
    out = {}
    for name, sql in (("household_registry", REGISTRY), ("raw", RAW)):
        path = folder / f"{name}-{n}.parquet"
        con.execute(f"COPY ({sql.replace('$n', str(n))}) TO '{path}' (FORMAT parquet)")
        out[name] = path
    con.close()
    return out


def _duckdb(workload: str, inputs: dict[str, Path], out: Path) -> float:
    from qingfeng.subject_library.kinship import load_kinship_tables
    from qingfeng.subject_library.macros import install_macros

    con = duckdb.connect()
    install_macros(con)
    load_kinship_tables(con)
    t0 = time.perf_counter()
    if workload == "library":
        con.execute(
            f"CREATE VIEW household_registry AS SELECT * FROM '{inputs['household_registry']}'"
        )
        sql = _library_sql()
    else:
        con.execute(f"CREATE VIEW raw AS SELECT * FROM '{inputs['raw']}'")
        sql = NORMALISE
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def _spark(spark: Any, workload: str, inputs: dict[str, Path], out: Path) -> float:
    from qingfeng.operations.library_spark import spark_sql

    t0 = time.perf_counter()
    if workload == "library":
        spark.read.parquet(str(inputs["household_registry"])).createOrReplaceTempView(
            "household_registry"
        )
        sql = _library_sql()
    else:
        spark.read.parquet(str(inputs["raw"])).createOrReplaceTempView("raw")
        sql = NORMALISE
    spark.sql(spark_sql(sql)).write.mode("overwrite").option("compression", "zstd").parquet(
        str(out)
    )
    return time.perf_counter() - t0


def _static_tables(spark: Any) -> None:
    from qingfeng.operations.library_spark import _to_spark
    from qingfeng.subject_library.kinship import load_kinship_tables

    con = duckdb.connect()
    load_kinship_tables(con)
    for table in ("qf_role_terms", "qf_pair_rules", "qf_inverse"):
        _to_spark(spark, con, table).createOrReplaceTempView(table)
    con.close()


def fit(sizes: list[int], seconds: list[float]) -> tuple[float, float]:
    """Least-squares t = a + b·n over the sizes measured: (fixed seconds, seconds per row)."""
    if len(sizes) == 1:
        return 0.0, seconds[0] / sizes[0]
    mean_n, mean_t = sum(sizes) / len(sizes), sum(seconds) / len(seconds)
    var = sum((n - mean_n) ** 2 for n in sizes)
    b = sum((n - mean_n) * (t - mean_t) for n, t in zip(sizes, seconds, strict=True)) / var
    return max(mean_t - b * mean_n, 0.0), max(b, 1e-12)


def crossover(duck: tuple[float, float], spark: tuple[float, float]) -> float | None:
    """Rows at which the fitted Spark line drops under DuckDB's (None: it never does)."""
    (a, b), (c, d) = duck, spark
    if d >= b:
        return None
    return max((c - a) / (b - d), 0.0)


def run(console: Console) -> dict[str, Any]:
    from qingfeng.engine.engines.spark_session import build_session
    from qingfeng.settings import SparkSettings

    threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchall()[0][0]
    console.print(
        f"[bold]scale[/]: DuckDB ({threads} threads) against Spark {MASTER} at "
        f"{', '.join(f'{n:,}' for n in ROWS)} rows; load average {os.getloadavg()[0]:.1f}"
    )
    t0 = time.perf_counter()
    spark = build_session(SparkSettings(master=MASTER))
    start_s = time.perf_counter() - t0
    _static_tables(spark)
    measured: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="qf-bench-scale-") as tmp:
        folder = Path(tmp)
        warm = _generate(folder, WARM_ROWS)
        for workload in ("library", "ingest"):  # JIT and the first job's planning, not timed
            _spark(spark, workload, warm, folder / f"warm-{workload}")
        table = Table(title=f"DuckDB against Spark {MASTER}")
        for col in ("workload", "rows", "DuckDB s", "Spark s", "Spark / DuckDB"):
            table.add_column(col, justify="left" if col == "workload" else "right")
        for n in ROWS:
            inputs = _generate(folder, n)
            for workload in ("library", "ingest"):
                got = {}
                for engine in ("duckdb", "spark"):
                    out = folder / f"{engine}-{workload}-{n}.parquet"
                    got[engine] = (
                        _duckdb(workload, inputs, out)
                        if engine == "duckdb"
                        else _spark(spark, workload, inputs, out)
                    )
                    if out.is_dir():
                        shutil.rmtree(out)
                    else:
                        out.unlink(missing_ok=True)
                    measured.setdefault(workload, {}).setdefault(engine, []).append(got[engine])
                console.print(
                    f"  {workload} {n:,}: DuckDB {got['duckdb']:.2f} s, Spark {got['spark']:.2f} s"
                )
                table.add_row(
                    workload, f"{n:,}", f"{got['duckdb']:.2f}", f"{got['spark']:.2f}",
                    f"{got['spark'] / max(got['duckdb'], 1e-9):.1f}×",
                )  # fmt: skip
            for path in inputs.values():
                path.unlink()
        console.print(table)
    spark.stop()
    console.print(f"  Spark session start-up: {start_s:.1f} s (once per run, not in the table)")
    result: dict[str, Any] = {"rows": list(ROWS), "master": MASTER, "workloads": {}}
    for workload, by_engine in measured.items():
        duck = fit(list(ROWS), by_engine["duckdb"])
        spk = fit(list(ROWS), by_engine["spark"])
        cross = crossover(duck, spk)
        at_1e8 = (duck[0] + duck[1] * 1e8, spk[0] + spk[1] * 1e8)
        console.print(
            f"  {workload}: DuckDB {duck[1] * 1e9:.0f} s per 10^9 rows (+{duck[0]:.2f} s), "
            f"Spark {spk[1] * 1e9:.0f} s per 10^9 rows (+{spk[0]:.2f} s); projected at 10^8: "
            f"DuckDB {at_1e8[0]:.0f} s, Spark {at_1e8[1]:.0f} s; crossover on these cores: "
            + (
                f"{cross:,.0f} rows"
                if cross is not None
                else "none (Spark's per-row cost is higher)"
            )
        )
        result["workloads"][workload] = {
            "duckdb_s": by_engine["duckdb"],
            "spark_s": by_engine["spark"],
            "crossover_rows": cross,
        }
    return result
