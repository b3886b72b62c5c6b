"""Small screening requests through SQLite: indexed lookups instead of DuckDB's planner.

DuckDB binds and optimises a statement on every execution, prepared or not: about 6–20 ms per
model even over tables of a few rows, so a candidate screened by five models can never answer in
a few milliseconds through it. SQLite's prepared statements, nested-loop joins and B-tree
indexes answer a lookup of a few rows in microseconds. So, per published snapshot:

- each model's lake-only common table expressions (the earliest death of every person over every
  source, the roles people hold in companies) are computed once in DuckDB (`hoist`), the same
  SQL over the same rows, and kept as tables beside the warm copies of the lake tables;
- those tables, with only the columns the models name, are copied into one in-memory SQLite
  database (`LiteStore`), indexed on every column a model joins on;
- each model's hit query is translated by sqlglot from DuckDB's SQL to SQLite's (`translate`),
  with the few places where the two differ rewritten by type (a DECIMAL printed with its scale,
  date arithmetic, EXTRACT, TRY_STRPTIME, regular expressions, LIKE's case), and its result
  columns converted back to the types DuckDB gives them.

A model whose SQL does not translate, or that fails in SQLite, is answered by the DuckDB path;
`tests/test_screening.py` runs every screening model's bundled cases through both paths and
requires the same hits.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import sqlite3
import threading
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

HOIST = "__hoist"
_COUNTER = itertools.count()


class LiteUnsupported(ValueError):
    """The model's SQL has something the translation does not carry to SQLite."""


# ---- lake-only parts computed once per snapshot ---------------------------------------------
def hoist(
    tree: exp.Expression, model_id: str, candidate_tables: set[str]
) -> tuple[exp.Expression, dict[str, exp.Expression]]:
    """`tree` with every common table expression that reads no candidate (directly or through
    another) replaced by a table of the snapshot; those tables' queries (name -> query)."""
    tree = tree.copy()
    hoisted: dict[str, exp.Expression] = {}
    for with_ in list(tree.find_all(exp.With)):
        lake_only: dict[str, exp.CTE] = {}
        dependent = set(candidate_tables)
        for cte in with_.expressions:
            reads = {t.name for t in cte.this.find_all(exp.Table) if not t.args.get("db")}
            if reads & dependent:
                dependent.add(cte.alias_or_name)
                continue
            if any(isinstance(n, exp.Column) and n.table and _outer(n, cte) for n in cte.walk()):
                continue  # correlated with the query around it
            lake_only[cte.alias_or_name] = cte
        if not lake_only:
            continue
        scope = with_.parent
        assert scope is not None
        used: set[str] = set()
        for table in scope.find_all(exp.Table):
            if table.name in lake_only and not any(
                table in lake_only[n].this.walk() for n in lake_only
            ):
                used.add(table.name)
        for name in used:
            target = f"{HOIST}_{model_id}_{name}"
            query = lake_only[name].this.copy()
            needed = _needed_ctes(query, lake_only)
            if needed:
                query = query.copy()
                body = exp.select("*").from_(name)
                body.set(
                    "with_",
                    exp.With(expressions=[lake_only[n].copy() for n in needed]
                             + [lake_only[name].copy()]),
                )  # fmt: skip
                query = body
            hoisted[target] = query
        for table in list(scope.find_all(exp.Table)):
            if table.name in used and not any(table in lake_only[n].this.walk() for n in lake_only):
                if not table.alias:
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
                table.set("this", exp.to_identifier(f"{HOIST}_{model_id}_{table.name}"))
        keep = [c for c in with_.expressions if c.alias_or_name not in lake_only]
        if keep:
            with_.set("expressions", keep)
        else:
            with_.pop()
    return tree, hoisted


def _outer(column: exp.Column, cte: exp.CTE) -> bool:
    """A qualified column whose table is not named inside the CTE (a correlated reference)."""
    names = {t.alias_or_name for t in cte.this.find_all(exp.Table)}
    names |= {s.alias_or_name for s in cte.this.find_all(exp.Subquery) if s.alias}
    names |= {c.alias_or_name for c in cte.this.find_all(exp.CTE)}
    return column.table not in names


def _needed_ctes(query: exp.Expression, ctes: dict[str, exp.CTE]) -> list[str]:
    """The CTEs `query` reads, with those they read, in their order of definition."""
    need: set[str] = set()
    todo = [t.name for t in query.find_all(exp.Table) if t.name in ctes]
    while todo:
        name = todo.pop()
        if name in need:
            continue
        need.add(name)
        todo += [t.name for t in ctes[name].this.find_all(exp.Table) if t.name in ctes]
    return [n for n in ctes if n in need]


# ---- DuckDB's SQL as SQLite's ---------------------------------------------------------------
def _decimal_scale(node: exp.Expression) -> int | None:
    dtype = node.type
    if dtype is None or not dtype.is_type(exp.DataType.Type.DECIMAL):
        return None
    params = dtype.expressions
    if len(params) >= 2:
        return int(params[1].this.name if hasattr(params[1].this, "name") else params[1].name)
    return 3  # DuckDB's DECIMAL without a scale is DECIMAL(18, 3)


def _is(node: exp.Expression, *types: exp.DataType.Type) -> bool:
    return node.type is not None and node.type.is_type(*types)


_DATES = (exp.DataType.Type.DATE,)
_TIMES = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME)
_TEXT = (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)


def translate(tree: exp.Expression, schema: dict[str, dict[str, str]]) -> str:
    """The query in SQLite's SQL over tables of the same names, typed as `schema` says (table
    -> column -> DuckDB type). Raises LiteUnsupported for what it cannot carry over."""
    try:
        tree = qualify(
            tree.copy(),
            schema=schema,
            dialect="duckdb",
            validate_qualify_columns=True,
            quote_identifiers=False,
            expand_stars=True,
        )
        tree = annotate_types(tree, schema=schema, dialect="duckdb")
    except Exception as exc:
        raise LiteUnsupported(f"cannot type the query: {exc}") from exc

    def sub(node: exp.Expression) -> exp.Expression:
        """A subtree embedded in a rewritten node (the walk does not enter those)."""
        return node.transform(rewrite, copy=False)

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Cast):
            inner = node.this
            to = node.to
            if to.is_type(*_TEXT):
                scale = _decimal_scale(inner)
                if isinstance(inner, exp.Cast) and inner.to.is_type(exp.DataType.Type.DECIMAL):
                    scale = _decimal_scale(inner)
                    inner = inner.this
                if scale is not None:
                    return exp.func("printf", exp.Literal.string(f"%.{scale}f"), sub(inner))
                if _is(inner, exp.DataType.Type.BOOLEAN):
                    return sqlglot.parse_one(
                        "CASE WHEN x THEN 'true' WHEN NOT x THEN 'false' END", read="sqlite"
                    ).transform(lambda n: sub(inner.copy()) if n == exp.column("x") else n)
                if _is(inner, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
                    raise LiteUnsupported("the text of a DOUBLE")
                return exp.Cast(this=sub(inner), to=exp.DataType.build("TEXT"))
            if to.is_type(exp.DataType.Type.DECIMAL):
                scale = _decimal_scale(node) or 0
                return exp.func("round", sub(inner), exp.Literal.number(scale))
            if to.is_type(*_DATES):
                if _is(inner, *_TEXT, *_DATES, *_TIMES) or _strptime_call(inner):
                    return exp.func("date", sub(inner))
                raise LiteUnsupported("a DATE cast from a non-text value")
            if to.is_type(*_TIMES):
                raise LiteUnsupported("a TIMESTAMP cast")
            return node
        if isinstance(node, (exp.Add, exp.Sub)):
            left, right = node.this, node.expression
            if _is(left, *_DATES) and _is(right, *exp.DataType.INTEGER_TYPES):
                sign = 1 if isinstance(node, exp.Add) else -1
                return exp.func("qf_date_add", sub(left), exp.Literal.number(sign), sub(right))
            if _is(left, *_DATES, *_TIMES) or _is(right, *_DATES, *_TIMES):
                raise LiteUnsupported("date arithmetic other than date ± days")
            return node
        if isinstance(node, exp.Extract):
            part = node.this.name.upper()
            fmt = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d"}.get(part)
            if fmt is None:
                raise LiteUnsupported(f"EXTRACT({part})")
            return exp.Cast(
                this=exp.func("strftime", exp.Literal.string(fmt), sub(node.expression)),
                to=exp.DataType.build("INTEGER"),
            )
        if isinstance(node, (exp.StrToTime, exp.StrToDate)):
            fmt = node.args.get("format")
            if not isinstance(fmt, exp.Literal):
                raise LiteUnsupported("a time format that is not a constant")
            return exp.func("qf_strptime", sub(node.this), exp.Literal.string(_duck_format(fmt)))
        if _strptime_call(node):
            value, fmt = node.expressions
            if not isinstance(fmt, exp.Literal) or not fmt.is_string:
                raise LiteUnsupported("a time format that is not a constant")
            return exp.func("qf_strptime", sub(value), exp.Literal.string(fmt.this))
        if isinstance(node, exp.RegexpLike):
            return exp.func("qf_regexp", sub(node.this), sub(node.expression))
        if isinstance(node, (exp.Div, exp.IntDiv, exp.Mod)):
            raise LiteUnsupported("division")  # integer vs double semantics differ
        if isinstance(node, (exp.ArrayAgg, exp.Array, exp.Struct, exp.Unnest, exp.Window)):
            raise LiteUnsupported(type(node).__name__)
        if isinstance(node, (exp.Anonymous,)) and node.name.lower() not in _SQLITE_SAFE:
            raise LiteUnsupported(f"the function {node.name}")
        return node

    tree = tree.transform(rewrite, copy=False)
    try:
        return tree.sql("sqlite")
    except Exception as exc:
        raise LiteUnsupported(f"cannot write the query for SQLite: {exc}") from exc


_SQLITE_SAFE = {"printf", "round", "date", "strftime", "qf_strptime", "qf_regexp", "qf_date_add"}


def _strptime_call(node: exp.Expression) -> bool:
    return (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "try_strptime"
        and len(node.expressions) == 2
    ) or isinstance(node, (exp.StrToTime, exp.StrToDate))


def _duck_format(fmt: exp.Literal) -> str:
    """The strptime format as DuckDB wrote it (sqlglot keeps DuckDB's own %-codes)."""
    return str(fmt.this)


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _regexp(value: Any, pattern: Any) -> int | None:
    if value is None or pattern is None:
        return None
    return 1 if _pattern(str(pattern)).search(str(value)) else 0


def _strptime(value: Any, fmt: Any) -> str | None:
    if value is None or fmt is None:
        return None
    try:
        return dt.datetime.strptime(str(value), str(fmt)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _date_add(value: Any, sign: int, days: Any) -> str | None:
    if value is None or days is None:
        return None
    try:
        day = dt.date.fromisoformat(str(value)[:10])
        return (day + dt.timedelta(days=sign * int(days))).isoformat()
    except (ValueError, OverflowError):
        return None


# ---- values both ways -----------------------------------------------------------------------
def sqlite_value(value: Any) -> Any:
    """A Python value (from DuckDB or the candidate memo) as SQLite stores it here."""
    if value is None or isinstance(value, (str, int, float)):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def converter(duck_type: str) -> Any:
    """SQLite's value -> the value DuckDB returns for a column of `duck_type`."""
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        scale = int(t.rstrip(")").split(",")[1]) if "," in t else 3
        quantum = Decimal(1).scaleb(-scale)
        return lambda v: None if v is None else Decimal(repr(v)).quantize(quantum)
    if t == "DATE":
        return lambda v: None if v is None else dt.date.fromisoformat(str(v)[:10])
    if t.startswith("TIMESTAMP"):
        return lambda v: None if v is None else dt.datetime.fromisoformat(str(v))
    if t == "BOOLEAN":
        return lambda v: None if v is None else bool(v)
    if t in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"):
        return lambda v: None if v is None else int(v)
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return lambda v: None if v is None else float(v)
    if t == "VARCHAR":
        return lambda v: v if v is None or isinstance(v, str) else str(v)
    raise LiteUnsupported(f"a result of type {duck_type}")


def _duck_select(name: str, columns: list[tuple[str, str]]) -> str:
    """DuckDB's SELECT of a table with each column in the form SQLite stores."""
    out = []
    for column, dtype in columns:
        q = _q(column)
        t = dtype.upper()
        if t.startswith("DECIMAL"):
            out.append(f"CAST({q} AS DOUBLE) AS {q}")
        elif t == "DATE" or t.startswith("TIMESTAMP"):
            fmt = "%Y-%m-%d" if t == "DATE" else "%Y-%m-%d %H:%M:%S"
            out.append(f"strftime({q}, '{fmt}') AS {q}")
        elif t == "BOOLEAN":
            out.append(f"CAST({q} AS INTEGER) AS {q}")
        elif t.endswith("[]") or t.startswith(("STRUCT", "MAP", "LIST")):
            out.append(f"CAST({q} AS VARCHAR) AS {q}")
        else:
            out.append(q)
    return f"SELECT {', '.join(out)} FROM {_q(name)}"


def _affinity(dtype: str) -> str:
    t = dtype.upper()
    if t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT", "REAL"):
        return "REAL"
    if t in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "BOOLEAN"):
        return "INTEGER"
    return "TEXT"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- the store ------------------------------------------------------------------------------
class _Conn(sqlite3.Connection):
    """A thread's connection, knowing which datasets' candidate tables it has made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ready: set[str] = set()


class LiteStore:
    """One snapshot's tables in an in-memory SQLite database shared by the threads of the
    process (each thread reads through a connection of its own)."""

    def __init__(
        self,
        duck: Any,
        tables: dict[str, list[tuple[str, str]]],
        indexes: dict[str, set[str]],
    ) -> None:
        """`tables`: name -> [(column, DuckDB type)] to copy from `duck`; `indexes`: name ->
        columns to index."""
        self.uri = f"file:qingfeng_screen_{next(_COUNTER)}?mode=memory&cache=shared"
        self.keeper = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
        self.schema = {name: dict(cols) for name, cols in tables.items()}
        self._local = threading.local()
        con = self.keeper
        for name, columns in tables.items():
            defs = ", ".join(f"{_q(c)} {_affinity(t)}" for c, t in columns)
            con.execute(f"CREATE TABLE {_q(name)} ({defs})")
            marks = ", ".join("?" for _ in columns)
            cursor = duck.execute(_duck_select(name, columns))
            while batch := cursor.fetchmany(50_000):
                con.executemany(f"INSERT INTO {_q(name)} VALUES ({marks})", batch)
            for column in sorted(indexes.get(name, ())):
                if column in self.schema[name]:
                    con.execute(
                        f"CREATE INDEX {_q(f'ix_{name}_{column}')} ON {_q(name)} ({_q(column)})"
                    )
        con.commit()
        con.execute("ANALYZE")
        con.commit()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (its own temp tables of candidates)."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(
                self.uri, uri=True, check_same_thread=False, isolation_level=None, factory=_Conn
            )
            con.execute("PRAGMA read_uncommitted = ON")
            con.execute("PRAGMA case_sensitive_like = ON")  # DuckDB's LIKE is case-sensitive
            con.create_function("qf_regexp", 2, _regexp, deterministic=True)
            con.create_function("qf_strptime", 2, _strptime, deterministic=True)
            con.create_function("qf_date_add", 3, _date_add, deterministic=True)
            self._local.con = con
        return con

    def close(self) -> None:
        self.keeper.close()


def translate_expr(text: str, table: str) -> str:
    """A `match` expression over the columns of `table`, in SQLite's SQL."""
    tree = sqlglot.parse_one(text, read="duckdb")
    tree = tree.transform(
        lambda n: exp.column(n.name, table=table) if isinstance(n, exp.Column) else n
    )
    return tree.sql("sqlite")
