"""Build every subject and relationship library over the views on a DuckDB connection.

Each library is materialised as a temp table `qf_lib_<name>` (later libraries read earlier ones),
then written to `<out_dir>/<name>.parquet` through a temporary file and `os.replace`, so a reader
sees either the previous complete file or the new complete file, never a half-written one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from qingfeng.subject_library import relations as rel
from qingfeng.subject_library import subjects as subj
from qingfeng.subject_library.close_kin import load_close_kin_tables, rel_close_kin
from qingfeng.subject_library.inputs import Inputs, quote_ident
from qingfeng.subject_library.kinship import load_kinship_tables
from qingfeng.subject_library.linkage import LinkageStats, build_person_links
from qingfeng.subject_library.macros import install_macros
from qingfeng.subject_library.relations import COMMON

Progress = Callable[[str, int, int], None]  # (library name, step number, number of steps)


class LibraryBuildError(Exception):
    """A library could not be built; the message names the library and its inputs."""


@dataclass(frozen=True)
class LibrarySpec:
    name: str  # the view name and the file name (<name>.parquet)
    # 'subject', 'relation', 'kinship' (relation rows kept out of `relations`) or 'linkage'
    kind: str
    sql: Callable[[Inputs], str] | None  # None: built by a Python step (linkage)
    zh: str


LIBRARIES: tuple[LibrarySpec, ...] = (
    LibrarySpec("people", "subject", subj.people, "人员库"),
    LibrarySpec("organisations", "subject", subj.organisations, "法人/单位库"),
    LibrarySpec("vehicles_lib", "subject", subj.vehicles_lib, "车辆库"),
    LibrarySpec("properties", "subject", subj.properties, "房产库"),
    LibrarySpec("accounts", "subject", subj.accounts, "账户库"),
    LibrarySpec("person_links", "linkage", None, "无证号记录关联"),
    LibrarySpec("rel_household", "relation", rel.rel_household, "户籍关系"),
    LibrarySpec("rel_kinship", "relation", rel.rel_kinship, "亲属关系"),
    # composed from rel_kinship and the civil registers; kept out of the `relations` union,
    # which has every tie it rests on already
    LibrarySpec("rel_close_kin", "kinship", rel_close_kin, "近亲属关系（跨户）"),
    LibrarySpec("rel_employment", "relation", rel.rel_employment, "任职关系"),
    LibrarySpec("rel_legal_rep", "relation", rel.rel_legal_rep, "法定代表人关系"),
    LibrarySpec("rel_shareholding", "relation", rel.rel_shareholding, "股权关系"),
    LibrarySpec("rel_contract_award", "relation", rel.rel_contract_award, "中标关系"),
    LibrarySpec("rel_co_bidding", "relation", rel.rel_co_bidding, "共同投标关系"),
    LibrarySpec("rel_money_transfer", "relation", rel.rel_money_transfer, "资金往来关系"),
)
LIBRARY_NAMES: tuple[str, ...] = tuple(spec.name for spec in LIBRARIES)
RELATION_TABLES: tuple[str, ...] = tuple(s.name for s in LIBRARIES if s.kind == "relation")


@dataclass
class LibraryResult:
    name: str
    rows: int
    seconds: float
    cpu_seconds: float  # process CPU time (all DuckDB threads): comparable on a busy machine
    inputs: list[str]
    missing_inputs: list[str]
    missing_columns: list[str]
    path: str
    empty_inputs: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        """Built empty because none of its inputs exists or has rows (the lake shows an empty
        view for every catalogue dataset not ingested yet)."""
        return set(self.inputs) <= set(self.empty_inputs)


@dataclass
class LibraryReport:
    out_dir: str
    results: list[LibraryResult] = field(default_factory=list)
    linkage: LinkageStats | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def result(self, name: str) -> LibraryResult:
        return next(r for r in self.results if r.name == name)

    def to_dict(self) -> dict[str, object]:
        return {
            "out_dir": self.out_dir,
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "libraries": [
                {
                    "name": r.name,
                    "rows": r.rows,
                    "seconds": round(r.seconds, 3),
                    "cpu_seconds": round(r.cpu_seconds, 3),
                    "inputs": r.inputs,
                    "missing_inputs": r.missing_inputs,
                    "missing_columns": r.missing_columns,
                    "empty_inputs": r.empty_inputs,
                    "skipped": r.skipped,
                }
                for r in self.results
            ],
            "linkage": None if self.linkage is None else vars(self.linkage),
        }


def build_libraries(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    link_threshold: float | None = None,
    only: set[str] | None = None,
) -> LibraryReport:
    """Build all libraries (or those named by `only`) from the standard-dataset views on `con`
    into `out_dir`."""
    started, cpu_started = time.perf_counter(), time.process_time()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    install_macros(con)
    load_kinship_tables(con)
    load_close_kin_tables(con)
    columns = Inputs.scan(con).columns
    report = LibraryReport(out_dir=str(out_dir))
    input_rows: dict[str, int] = {}
    for step, spec in enumerate(LIBRARIES, start=1):
        if only is not None and spec.name not in only:
            continue
        if progress is not None:
            progress(spec.name, step, len(LIBRARIES))
        t0, c0 = time.perf_counter(), time.process_time()
        inp = Inputs(columns)
        try:
            if spec.sql is not None:
                sql = spec.sql(inp)
                if spec.kind in ("relation", "kinship"):
                    sql = _with_common_types(sql)
                con.execute(f"CREATE OR REPLACE TEMP TABLE qf_lib_{spec.name} AS {sql}")
            else:
                kwargs = {} if link_threshold is None else {"threshold": link_threshold}
                report.linkage = build_person_links(con, inp, **kwargs)
            rows = _count(con, f"qf_lib_{spec.name}")
            path = out_dir / f"{spec.name}.parquet"
            _write_parquet(con, f"qf_lib_{spec.name}", path)
        except duckdb.Error as exc:
            raise LibraryBuildError(
                f"构建 {spec.zh} ({spec.name}) 失败 / failed to build {spec.name} "
                f"from {sorted(inp.used) or 'no inputs'}: {exc}"
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
                empty_inputs=[v for v in sorted(inp.used) if _rows_of(con, v, input_rows) == 0],
            )
        )
    # The files are the libraries now; free the temp tables (a million people's worth of memory).
    for spec in LIBRARIES:
        if only is None or spec.name in only:
            con.execute(f"DROP TABLE IF EXISTS qf_lib_{spec.name}")
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu_started
    return report


def _with_common_types(sql: str) -> str:
    """Give every relation table the same types for the common columns (the union relies on it)."""
    casts = [f"CAST({c} AS {'DOUBLE' if c == 'confidence' else 'VARCHAR'}) AS {c}" for c in COMMON]
    return f"SELECT {', '.join(casts)}, * EXCLUDE ({', '.join(COMMON)}) FROM ({sql})"


def _rows_of(con: duckdb.DuckDBPyConnection, view: str, cache: dict[str, int]) -> int:
    if view not in cache:
        cache[view] = _count(con, quote_ident(view))
    return cache[view]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    # fetchall: DuckDB 2.0 keeps a result open after fetchone, blocking the next con.sql
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _write_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """Write `table` to `path` atomically: a temporary file in the same folder, then os.replace."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    literal = "'" + str(tmp).replace("'", "''") + "'"
    try:
        con.execute(f"COPY {table} TO {literal} (FORMAT parquet, COMPRESSION zstd)")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
