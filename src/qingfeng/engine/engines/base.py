"""What every engine offers: run a query, count a table's rows, register inline rows (for tests).

Logging and error wrapping (with the failing SQL) are written once here; a backend implements the
few `_`-methods (splink's database_api shape).

Rows read: an engine over the lake knows which Parquet files each input view reads
(`table_files`), and counts those rows from the files' footers (`num_rows`), cached per file:
a lake file is written once and never edited, so a model run costs a `stat` per file instead of a
count query. Tables it does not know (inline test tables) are counted by a query.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from qingfeng.engine.dataspec_port import PROHIBITED, Catalogue
from qingfeng.engine.errors import EngineError

IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID_NO_RE = re.compile(r"(?<!\d)\d{6}(\d{8}|\d{6})\d{3}[\dXx]?(?!\d)")


def redact(message: str) -> str:
    """Engine messages may quote values: mask anything that looks like an ID number."""
    return _ID_NO_RE.sub("[ID]", message)


# (path, size, mtime_ns) -> num_rows from the Parquet footer
_FOOTER_ROWS: dict[tuple[str, int, int], int] = {}
_FOOTER_LOCK = threading.Lock()
_FOOTER_CACHE_MAX = 100_000


def parquet_rows(paths: Iterable[str | Path]) -> int:
    """Total rows of these Parquet files, from their footers; each file is read once per
    (path, size, modification time)."""
    total = 0
    missing: list[tuple[str, int, int]] = []
    for path in paths:
        st = os.stat(path)
        key = (str(path), st.st_size, st.st_mtime_ns)
        rows = _FOOTER_ROWS.get(key)
        if rows is None:
            missing.append(key)
        else:
            total += rows
    if missing:
        import duckdb

        with duckdb.connect() as con:
            found = dict(
                con.execute(
                    "SELECT file_name, num_rows FROM parquet_file_metadata(?)",
                    [[key[0] for key in missing]],
                ).fetchall()
            )
        with _FOOTER_LOCK:
            if len(_FOOTER_ROWS) > _FOOTER_CACHE_MAX:
                _FOOTER_ROWS.clear()
            for key in missing:
                rows = int(found[key[0]])
                _FOOTER_ROWS[key] = rows
                total += rows
    return total


class Columns(NamedTuple):
    """A query's result column by column."""

    names: list[str]
    values: list[list[Any]]
    text: frozenset[str] = frozenset()  # columns of type VARCHAR: every value a str or None


class Engine(ABC):
    name: str = "engine"
    dialect: str = "duckdb"
    # input table -> the Parquet files its view reads (set by `for_lake`); others are counted
    table_files: Mapping[str, tuple[str, ...]] = {}

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of `sql` (dates as datetime.date, decimals as Decimal)."""
        try:
            return self._query(sql)
        except Exception as exc:
            raise EngineError(
                f"{self.name}: {type(exc).__name__}: {redact(str(exc))[:2000]}", sql
            ) from exc

    def query_columns(self, sql: str) -> Columns:
        """`query`, column by column (the same Python values)."""
        try:
            return self._query_columns(sql)
        except Exception as exc:
            raise EngineError(
                f"{self.name}: {type(exc).__name__}: {redact(str(exc))[:2000]}", sql
            ) from exc

    def _query_columns(self, sql: str) -> Columns:
        names, rows = self._query(sql)
        if not rows:
            return Columns(names, [[] for _ in names])
        return Columns(names, [list(col) for col in zip(*rows, strict=True)])

    def query_dicts(self, sql: str) -> list[dict[str, Any]]:
        names, rows = self.query(sql)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def count_rows(self, table: str) -> int:
        self._check_ident(table)
        if not self.has_table(table):
            raise EngineError(
                f"数据集 {table} 不存在（尚未导入？主体库/关系库需先 qingfeng libraries build）/ "
                f"dataset {table} is not available (not ingested yet, or a library not built: "
                "qingfeng libraries build)"
            )
        try:
            return self._count_rows(table)
        except Exception as exc:
            raise EngineError(f"{self.name}: counting {table}: {redact(str(exc))[:500]}") from exc

    def count_inputs(self, tables: tuple[str, ...] | list[str]) -> int:
        """Total rows of the model's input tables (what a run reports as rows read): from the
        footers of the Parquet files behind a lake view, else by counting."""
        total = 0
        counted: list[str] = []
        for table in dict.fromkeys(tables):
            files = self.table_files.get(table)
            if files is None:
                counted.append(table)
                continue
            try:
                total += parquet_rows(files)
            except Exception:  # a file gone or unreadable: count the view (names the problem)
                counted.append(table)
        return total + (self._count_tables(counted) if counted else 0)

    def _count_tables(self, tables: list[str]) -> int:
        return sum(self.count_rows(t) for t in tables)

    def register_rows(
        self, table: str, columns: dict[str, str], rows: list[dict[str, Any]]
    ) -> None:
        """Create (or replace) `table` with these column types (DuckDB type names) and rows."""
        self._check_ident(table)
        for column in columns:
            self._check_ident(column)
        unknown = {k for row in rows for k in row} - set(columns)
        if unknown:
            raise EngineError(f"table {table}: rows have columns without a type: {sorted(unknown)}")
        self._register_rows(table, columns, rows)
        if table in self.table_files:  # no longer the lake's view
            self.table_files = {k: v for k, v in self.table_files.items() if k != table}

    @staticmethod
    def _check_ident(name: str) -> None:
        if not IDENT_RE.match(name):
            raise EngineError(f"not a valid table or column name: {name!r}")

    @abstractmethod
    def _query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...

    @abstractmethod
    def _count_rows(self, table: str) -> int: ...

    @abstractmethod
    def has_table(self, table: str) -> bool: ...

    @abstractmethod
    def _register_rows(
        self, table: str, columns: dict[str, str], rows: list[dict[str, Any]]
    ) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional for backends
        pass


def _infer_type(name: str, values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:  # all NULL: the standard tables' naming says what it would be
        if name.endswith("_date"):
            return "DATE"
        if name.endswith(("_at", "_time")):
            return "TIMESTAMP"
        return "VARCHAR"
    if all(isinstance(v, bool) for v in present):
        return "BOOLEAN"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "BIGINT"
    if all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in present):
        # money is DECIMAL(18,2) in the standard tables; keep finer numbers as DOUBLE
        exact = all(Decimal(str(v)) == round(Decimal(str(v)), 2) for v in present)
        return "DECIMAL(18,2)" if exact else "DOUBLE"
    if all(isinstance(v, dt.datetime) for v in present):
        return "TIMESTAMP"
    if all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
        return "DATE"
    return "VARCHAR"


def column_types_for(
    dataset: str, rows: list[dict[str, Any]], catalogue: Catalogue | None = None
) -> dict[str, str]:
    """Column types for inline rows of `dataset`: the catalogue's when it describes the dataset
    (all its fields, so absent ones are NULL), else inferred from the values."""
    types: dict[str, str] = {}
    fields = catalogue.fields(dataset) if catalogue is not None else {}
    for name, info in fields.items():
        if info.type and info.sensitivity != PROHIBITED:  # never stored in the lake
            types[name] = info.type
    seen = list(dict.fromkeys(k for row in rows for k in row))
    for column in seen:
        if column not in types:
            types[column] = _infer_type(column, [row.get(column) for row in rows])
    return types
