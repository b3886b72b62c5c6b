"""The relationship and kinship libraries on Spark (`qingfeng libraries build --engine spark`).

The library SQL is written once, in DuckDB's dialect (`relations.py`, `close_kin.py`); here it is
rendered for Spark the way the models are: the `qf_*` macros are expanded in the syntax tree
(their bodies are plain SQL), then the model compiler's Spark passes (try_strptime, slices) and
sqlglot's own DuckDB → Spark translation. The static tables the SQL joins (kinship role words,
pair rules, degrees) go to Spark as small frames. The subject libraries and the record linkage
(Splink) are built by DuckDB first, as before, and read by Spark from their Parquet files.

Each relation library is written by Spark as one Parquet file at `<out_dir>/<name>.parquet`
(through a temporary folder and a rename, so a reader sees the old file or the new one) and read
back as `qf_lib_<name>` for the libraries after it. For a Spark cluster `out_dir` is on the
shared lake mount every executor sees (docs/deployment.md).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import sqlglot
from sqlglot import exp

from qingfeng.subject_library.build import (
    LIBRARIES,
    LibraryBuildError,
    LibraryReport,
    LibraryResult,
    Progress,
    build_libraries,
)
from qingfeng.subject_library.close_kin import load_close_kin_tables
from qingfeng.subject_library.inputs import Inputs
from qingfeng.subject_library.kinship import load_kinship_tables
from qingfeng.subject_library.macros import MACROS
from qingfeng.subject_library.relations import COMMON

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# What runs on Spark: the relationship libraries and the kinship composed from them.
SPARK_KINDS = ("relation", "kinship")
STATIC_TABLES = (
    "qf_role_terms",
    "qf_pair_rules",
    "qf_inverse",
    "qf_kin_degree",
    "qf_kin_compose",
)

_MACRO_RE = re.compile(
    r"CREATE OR REPLACE TEMP MACRO\s+(\w+)\((\w+)\)\s+AS\s+(.*)\Z", re.DOTALL | re.IGNORECASE
)


def _macros() -> dict[str, tuple[str, exp.Expr]]:
    out: dict[str, tuple[str, exp.Expr]] = {}
    for text in MACROS:
        match = _MACRO_RE.match(text.strip())
        if match is None:  # pragma: no cover - every macro is one-argument
            raise LibraryBuildError(f"cannot read the macro {text[:60]!r}")
        name, param, body = match.groups()
        out[name.lower()] = (param, sqlglot.parse_one(body, read="duckdb"))
    return out


def expand_macros(tree: exp.Expr) -> exp.Expr:
    """Replace every `qf_*(x)` call with the macro's body, `x` in place of its parameter."""
    macros = _macros()

    def rewrite(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Anonymous):
            return node
        found = macros.get(str(node.name).lower())
        if found is None:
            return node
        param, body = found
        arg = node.expressions[0]

        def bind(inner: exp.Expr) -> exp.Expr:
            if isinstance(inner, exp.Column) and not inner.table and inner.name == param:
                return exp.Paren(this=arg.copy())
            return inner

        return expand_macros(body.copy().transform(bind))

    return tree.transform(rewrite)


def full_match_to_rlike(tree: exp.Expr) -> exp.Expr:
    """DuckDB's regexp_full_match(s, p) has no Spark name: `s RLIKE '^(?:p)$'` (Java's
    find, anchored) means the same."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.RegexpFullMatch):
            value, pattern = node.this, node.expression
        elif isinstance(node, exp.Anonymous) and str(node.name).lower() == "regexp_full_match":
            value, pattern = node.expressions[0], node.expressions[1]
        else:
            return node
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            anchored: exp.Expr = exp.Literal.string(f"^(?:{pattern.name})$")
        else:
            anchored = exp.DPipe(
                this=exp.DPipe(this=exp.Literal.string("^(?:"), expression=pattern.copy()),
                expression=exp.Literal.string(")$"),
            )
        return exp.RegexpLike(this=value.copy(), expression=anchored)

    return tree.transform(rewrite)


def spark_sql(duckdb_sql: str) -> str:
    """A library's DuckDB SQL rendered for Spark."""
    from qingfeng.engine.dialects import render

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    return render(full_match_to_rlike(expand_macros(tree)), "spark", pretty=False)


def build_libraries_spark(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    spark: SparkSession,
    progress: Progress | None = None,
) -> LibraryReport:
    """Build the subject libraries and the linkage on DuckDB (`con`, whose views are the lake's),
    then every relationship and kinship library on Spark, whose session has the same datasets as
    temporary views (`SparkEngine.for_lake`)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    out_dir = Path(out_dir)
    on_duckdb = {s.name for s in LIBRARIES if s.kind not in SPARK_KINDS}
    report = build_libraries(con, out_dir, progress, only=on_duckdb)
    columns = Inputs.scan(con).columns
    load_kinship_tables(con)
    load_close_kin_tables(con)
    for table in STATIC_TABLES:
        _to_spark(spark, con, table).createOrReplaceTempView(table)
    for name in on_duckdb:
        path = out_dir / f"{name}.parquet"
        if path.exists():
            spark.read.parquet(str(path)).createOrReplaceTempView(f"qf_lib_{name}")
    specs = [s for s in LIBRARIES if s.kind in SPARK_KINDS]
    for step, spec in enumerate(specs, start=len(LIBRARIES) - len(specs) + 1):
        if progress is not None:
            progress(spec.name, step, len(LIBRARIES))
        t0, c0 = time.perf_counter(), time.process_time()
        inp = Inputs(columns)
        assert spec.sql is not None
        text = spec.sql(inp)
        try:
            frame = spark.sql(spark_sql(text))
            frame = _common_types(frame) if spec.kind in SPARK_KINDS else frame
            path = out_dir / f"{spec.name}.parquet"
            _write_one_file(frame, path)
            spark.read.parquet(str(path)).createOrReplaceTempView(f"qf_lib_{spec.name}")
            rows = spark.read.parquet(str(path)).count()
        except Exception as exc:
            raise LibraryBuildError(
                f"构建 {spec.zh} ({spec.name}) 失败（Spark）/ failed to build {spec.name} on "
                f"Spark from {sorted(inp.used) or 'no inputs'}: {str(exc).splitlines()[0]}"
            ) from exc
        report.results.append(
            LibraryResult(
                name=spec.name,
                rows=rows,
                seconds=time.perf_counter() - t0,
                cpu_seconds=time.process_time() - c0,
                inputs=sorted(inp.used),
                missing_inputs=sorted(inp.missing_views - inp.used),
                missing_columns=sorted(f"{v}.{c}" for v, c in inp.missing_columns),
                path=str(path),
                empty_inputs=[v for v in sorted(inp.used) if _count(con, v) == 0],
            )
        )
    order = {s.name: i for i, s in enumerate(LIBRARIES)}
    report.results.sort(key=lambda r: order[r.name])
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu_started
    return report


def _count(con: duckdb.DuckDBPyConnection, view: str) -> int:
    ident = '"' + view.replace('"', '""') + '"'
    return int(con.execute(f"SELECT count(*) FROM {ident}").fetchall()[0][0])


def _to_spark(spark: SparkSession, con: duckdb.DuckDBPyConnection, table: str) -> Any:
    """A small DuckDB table as a Spark frame, with the same column types."""
    from pyspark.sql.types import StructField, StructType

    from qingfeng.engine.engines.spark_engine import spark_type

    described = con.execute(f"DESCRIBE {table}").fetchall()
    schema = StructType([StructField(str(r[0]), spark_type(str(r[1])), True) for r in described])
    rows = con.execute(f"SELECT * FROM {table}").fetchall()
    return spark.createDataFrame(rows, schema=schema)


def _common_types(frame: Any) -> Any:
    """The common columns of every relation table with the same types (as DuckDB's build)."""
    from pyspark.sql import functions as F

    first = [F.col(c).cast("double" if c == "confidence" else "string").alias(c) for c in COMMON]
    rest = [F.col(f"`{c}`") for c in frame.columns if c not in COMMON]
    return frame.select(*first, *rest)


def _write_one_file(frame: Any, path: Path) -> None:
    """Write `frame` as the single Parquet file `path`: into a temporary folder beside it, then
    the one part file renamed over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.spark")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        frame.coalesce(1).write.option("compression", "zstd").parquet(str(tmp))
        parts = sorted(tmp.glob("part-*.parquet"))
        if len(parts) != 1:
            raise LibraryBuildError(f"{path.name}: Spark wrote {len(parts)} part files, not one")
        os.replace(parts[0], path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
