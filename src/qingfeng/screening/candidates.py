"""Candidates (rows a paying system is about to pay or approve) as standard rows in DuckDB.

Each candidate is a JSON object keyed by the dataset's field names (English, or the catalogue's
Chinese name). Its values are normalised exactly as ingest normalises a department file (the
same `field_plan`s and layers: 15-digit ID numbers, full-width characters, Chinese dates and
amounts, vocabulary codes), set-wise in one query for the whole batch. A candidate whose value
breaks a rule, or that misses a required field, is answered with an error naming the field; the
others are screened. The dataset's date (its `timeliness_field`: the pay date, the start of an
application), when absent, is the day of screening: the payment is about to be made.

A candidate of a parent dataset may carry the rows of its child datasets under the child's id
(an application for `dibao_households` with its `dibao_members`); the link fields are filled
from the parent.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from qingfeng.dataspec import load_catalogue
from qingfeng.dataspec.model import DatasetSpec
from qingfeng.ingest.stage import _add_field_layers, _Layers, _q, convert_traditional
from qingfeng.normalise import field_plan, trad_class
from qingfeng.screening.memo import ValueMemo

REF = "__ref"  # the candidate's position in the request (0-based)
MEMO_ROWS = 64  # requests of at most this many rows try the memo first
LEARN_ROWS = 256  # a call of at most this many rows teaches the memo (a big batch would pay
# more to fetch its rows back than later calls gain)
PARENT = "__parent"  # a child row's parent candidate
TODAY = "__today"  # the day of screening


@dataclass
class RowError:
    """Why one candidate cannot be screened."""

    index: int
    field: str | None
    code: str  # missing | invalid | unknown_field | malformed | out_of_scope
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class Prepared:
    """The candidates in DuckDB: one temp table per dataset they stand in for."""

    dataset: str
    tables: dict[str, str]  # dataset id -> temp table of its normalised candidate rows
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    count: int = 0
    # dataset id -> its normalised rows in Python, when asked for (`prepare(python=True)`)
    rows: dict[str, list[tuple[Any, ...]]] | None = None

    @property
    def valid(self) -> list[int]:
        return [i for i in range(self.count) if i not in self.errors]


def children_of(dataset: str) -> list[DatasetSpec]:
    """The datasets whose rows a candidate of `dataset` may carry (their parent is it)."""
    return [
        spec
        for spec in load_catalogue().values()
        if spec.parent is not None and spec.parent.dataset == dataset
    ]


def field_names(spec: DatasetSpec) -> dict[str, str]:
    """Accepted keys of a candidate object -> field name (English name or Chinese name)."""
    names: dict[str, str] = {}
    for f in spec.stored_fields:
        names[f.name] = f.name
        names.setdefault(f.zh, f.name)
    for f in spec.stored_fields:
        for synonym in f.synonyms:
            names.setdefault(synonym, f.name)
    return names


def _text(value: Any) -> str | None:
    """A JSON value as the text a department file would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value else None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(type(value).__name__)


def _rows_of(
    spec: DatasetSpec,
    objects: list[tuple[int, int, dict[str, Any]]],
    errors: dict[int, list[RowError]],
    skip: set[str],
) -> list[tuple[int, int, dict[str, str | None]]]:
    """(ref, parent, field -> raw text) for each object; unknown keys and values that are not
    scalars become errors of the candidate (`ref` of the parent for a child row)."""
    names = field_names(spec)
    out = []
    for ref, parent, obj in objects:
        row: dict[str, str | None] = {}
        for key, value in obj.items():
            if key in skip:
                continue
            name = names.get(key) or names.get(str(key).strip())
            if name is None:
                errors.setdefault(parent, []).append(
                    RowError(parent, str(key), "unknown_field", f"{spec.id} has no field {key!r}")
                )
                continue
            if type(value) is str:  # the usual case, without a call
                row[name] = value
                continue
            try:
                row[name] = _text(value)
            except TypeError as exc:
                errors.setdefault(parent, []).append(
                    RowError(
                        parent, name, "malformed", f"{name}: a {exc} is not a value of a field"
                    )
                )
        out.append((ref, parent, row))
    return out


class Normaliser:
    """The normalisation of one dataset's candidates on one DuckDB cursor, planned once.

    Planning the layered normalisation query costs about half a second (every qf_* macro
    expands); it is therefore prepared once per cursor as an INSERT from a raw table into the
    candidates table, and each call only refills the raw table and executes it. Every stored
    field is planned whether a candidate gives it or not (an absent value is blank), so one plan
    serves every request.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: DatasetSpec,
        table: str,
        memo: ValueMemo | None = None,
    ) -> None:
        self.con = con
        self.spec = spec
        self.table = table
        self.raw = f"{table}__raw"
        self.fields = list(spec.stored_fields)
        self.statement = f"qf_norm_{spec.id}"
        self.memo = memo if memo is not None else ValueMemo(spec, _traditional)
        marks = ", ".join("?" for _ in range(len(self.fields) + 5))
        self._insert = f"INSERT INTO {_q(table)} VALUES ({marks})"
        self._planned = False

    def plan(self) -> None:
        """Create the candidates table and prepare the normalisation (once per cursor; a
        request answered from the memo alone never needs it)."""
        if self._planned:
            return
        con = self.con
        raw_cols = ", ".join(
            [f"{_q(REF)} BIGINT", f"{_q(PARENT)} BIGINT", f"{_q(TODAY)} DATE"]
            + [f"{_q('r__' + f.name)} VARCHAR" for f in self.fields]
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_q(self.raw)} ({raw_cols})")
        select, checks = self._select()
        problems = f"list_filter([{', '.join(checks)}], lambda x: x IS NOT NULL)"
        body = f"SELECT {', '.join(select)}, {problems} AS __problems FROM ({self._layers()}) AS l"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_q(self.table)} AS {body} LIMIT 0")
        con.execute(f"PREPARE {self.statement} AS INSERT INTO {_q(self.table)} {body}")
        self._planned = True

    def _layers(self) -> str:
        plans: dict[str, Any] = {}
        raw: dict[str, str] = {}
        for f in self.fields:
            plans[f.name] = field_plan(f)
            raw[f.name] = _q(f"r__{f.name}")
            if f.derive_from:  # a subsidy code from the subsidy type's wording when not given
                raw[f.name] = f"COALESCE({raw[f.name]}, {_q('r__' + f.derive_from)})"
        layers = _Layers(_q(self.raw), [REF, PARENT, TODAY, *[f"r__{f.name}" for f in self.fields]])
        _add_field_layers(layers, plans, raw)
        return layers.sql

    def _select(self) -> tuple[list[str], list[str]]:
        spec = self.spec
        select = [_q(REF), _q(PARENT)]
        checks = []
        for f in self.fields:
            value = (
                f"CASE WHEN {_q('e__' + f.name)} IS NULL "
                f"THEN TRY_CAST({_q('v__' + f.name)} AS {f.storage_type}) END"
            )
            fallbacks = []
            src = spec.field(f.derive_from) if f.derive_from else None
            if f.type == "period" and src is not None and src.type in ("date", "timestamp"):
                # the month of the pay date (itself the day of screening when absent)
                fallbacks.append(f"strftime(TRY_CAST({_q('v__' + src.name)} AS DATE), '%Y-%m')")
                if src.name == spec.timeliness_field:
                    fallbacks.append(f"strftime({_q(TODAY)}, '%Y-%m')")
            if f.name == spec.timeliness_field and f.type in ("date", "timestamp"):
                fallbacks.append(_q(TODAY))  # not paid yet: paid on the day of screening
            if fallbacks:
                value = f"COALESCE({value}, {', '.join(fallbacks)})"
            select.append(f"CAST({value} AS {f.storage_type}) AS {_q(f.name)}")
            checks.append(
                f"CASE WHEN {_q('e__' + f.name)} IS NOT NULL THEN "
                f"{_lit(f.name)} || ':' || {_q('e__' + f.name)} END"
            )
        select.append("'screen' AS _batch_id")
        select.append(f"CAST({_q(REF)} AS BIGINT) AS _source_row")
        return select, checks

    def run(
        self,
        rows: list[tuple[int, int, dict[str, str | None]]],
        errors: dict[int, list[RowError]],
        today: dt.date,
        *,
        python: bool = False,
    ) -> list[tuple[Any, ...]] | None:
        """Replace the candidates table's rows with `rows` normalised; a broken rule (a
        required field missing included) becomes an error of the parent candidate. `python`:
        return the normalised rows (`__ref`, `__parent`, the fields, `_batch_id`,
        `_source_row`) instead, and leave the table alone when the memo knew every value."""
        con = self.con
        known = self.memo.lookup(rows, today) if 0 < len(rows) <= MEMO_ROWS else None
        if known is not None:
            records = self._known(rows, known, errors)
            if python:
                return [tuple(r[:-1]) for r in records]
            self.plan()
            con.execute(f"DELETE FROM {_q(self.table)}")
            con.executemany(self._insert, records)
            return None
        self.plan()
        con.execute(f"DELETE FROM {_q(self.table)}")
        if not rows:
            return [] if python else None
        con.execute(f"DELETE FROM {_q(self.raw)}")
        payload: list[Any] = [
            [ref for ref, _, _ in rows],
            [parent for _, parent, _ in rows],
            today,
            *[[row.get(f.name) for _, _, row in rows] for f in self.fields],
        ]
        columns = ", ".join(
            ["unnest($1::BIGINT[])", "unnest($2::BIGINT[])", "$3::DATE"]
            + [f"unnest(${i + 4}::VARCHAR[])" for i in range(len(self.fields))]
        )
        con.execute(f"INSERT INTO {_q(self.raw)} SELECT {columns}", payload)
        con.execute(f"EXECUTE {self.statement}")
        for f in self.fields:  # the set-wise conversion only when a name needs it
            if f.type == "name" and any(_traditional(row.get(f.name)) for _, _, row in rows):
                convert_traditional(con, self.table, f.name)
        if len(rows) <= LEARN_ROWS:
            names = ", ".join(_q(f.name) for f in self.fields)
            learned = {
                int(ref): (list(values), list(problems))
                for ref, *values, problems in con.execute(
                    f"SELECT {_q(REF)}, {names}, __problems FROM {_q(self.table)}"
                ).fetchall()
            }
            self.memo.learn(rows, learned, today)
        for parent, problem_list in con.execute(
            f"SELECT {_q(PARENT)}, __problems FROM {_q(self.table)} WHERE len(__problems) > 0"
        ).fetchall():
            self._errors(parent, problem_list, errors)
        if python:
            return con.execute(
                f"SELECT * EXCLUDE (__problems) FROM {_q(self.table)} ORDER BY {_q(REF)}"
            ).fetchall()
        return None

    def teach(self, values: dict[str, list[str]], today: dt.date) -> None:
        """Normalise each value given for a field, alone in its row, so that the memo knows
        them (and the blanks of the other fields) before any request needs them."""
        rows = [
            (i, i, {name: value})
            for i, (name, value) in enumerate(
                (name, value) for name, listed in values.items() for value in listed
            )
        ]
        for start in range(0, len(rows), LEARN_ROWS):
            chunk = [(i, i, row) for i, (_, _, row) in enumerate(rows[start : start + LEARN_ROWS])]
            self.run(chunk, {}, today)

    def _errors(self, parent: int, problems: list[str], errors: dict[int, list[RowError]]) -> None:
        for problem in problems:
            name, _, rule = str(problem).partition(":")
            code = "missing" if rule == "required" else "invalid"
            errors.setdefault(parent, []).append(
                RowError(parent, name, code, f"{self.spec.id}.{name}: {rule}")
            )

    def _known(
        self,
        rows: list[tuple[int, int, dict[str, str | None]]],
        known: list[list[tuple[Any, str | None]]],
        errors: dict[int, list[RowError]],
    ) -> list[list[Any]]:
        """The rows from remembered or canonical values: no normalisation query."""
        records = []
        for (ref, parent, _), values in zip(rows, known, strict=True):
            problems = [
                f"{f.name}:{rule}"
                for f, (_, rule) in zip(self.fields, values, strict=True)
                if rule is not None
            ]
            records.append([ref, parent, *(v for v, _ in values), "screen", ref, problems])
            if problems:
                self._errors(parent, problems, errors)
        return records


@functools.cache
def _traditional_re() -> re.Pattern[str]:
    return re.compile(trad_class())


def _traditional(value: str | None) -> bool:
    return bool(value) and _traditional_re().search(str(value)) is not None


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Preparer:
    """Candidates of any dataset normalised on one cursor (a Normaliser per dataset, made at
    first use and reused by every later call on the cursor)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        prefix: str = "__cand",
        memos: dict[str, ValueMemo] | None = None,
    ) -> None:
        """`memos`: the value memos per dataset, shared by the preparers of every thread."""
        self.con = con
        self.prefix = prefix
        self.normalisers: dict[str, Normaliser] = {}
        self.memos = memos if memos is not None else {}

    def normaliser(self, dataset: str) -> Normaliser:
        if dataset not in self.normalisers:
            spec = load_catalogue()[dataset]
            memo = self.memos.setdefault(dataset, ValueMemo(spec, _traditional))
            self.normalisers[dataset] = Normaliser(self.con, spec, f"{self.prefix}_{dataset}", memo)
        return self.normalisers[dataset]

    def prepare(
        self,
        dataset: str,
        candidates: list[Any],
        *,
        today: dt.date | None = None,
        python: bool = False,
    ) -> Prepared:
        """Normalise `candidates` of `dataset` (and the child rows they carry); `python`: also
        return the rows in Python (`Prepared.rows`), leaving DuckDB alone when it can."""
        return _prepare(self, dataset, candidates, today or dt.date.today(), python)


def prepare(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    candidates: list[Any],
    *,
    today: dt.date | None = None,
    prefix: str = "__cand",
) -> Prepared:
    """Normalise `candidates` of `dataset` into temp tables on `con` (a cursor of its own)."""
    return Preparer(con, prefix).prepare(dataset, candidates, today=today)


def _prepare(
    preparer: Preparer, dataset: str, candidates: list[Any], today: dt.date, python: bool
) -> Prepared:
    spec = load_catalogue()[dataset]
    errors: dict[int, list[RowError]] = {}
    objects: list[tuple[int, int, dict[str, Any]]] = []
    kids = children_of(dataset)
    child_objects: dict[str, list[tuple[int, int, dict[str, Any]]]] = {k.id: [] for k in kids}
    for i, item in enumerate(candidates):
        if not isinstance(item, dict):
            errors.setdefault(i, []).append(
                RowError(i, None, "malformed", f"candidate {i} is not an object")
            )
            objects.append((i, i, {}))
            continue
        objects.append((i, i, item))
        for kid in kids:
            rows = item.get(kid.id)
            if rows is None:
                continue
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                errors.setdefault(i, []).append(
                    RowError(i, kid.id, "malformed", f"{kid.id} must be a list of objects")
                )
                continue
            for row in rows:
                child_objects[kid.id].append((len(child_objects[kid.id]), i, row))
    skip = {k.id for k in kids} | {"ref"}
    parent_rows = _rows_of(spec, objects, errors, skip)
    main = preparer.normaliser(dataset)
    out: dict[str, list[tuple[Any, ...]]] = {}
    got = main.run(parent_rows, errors, today, python=python)
    if got is not None:
        out[dataset] = got
    tables = {dataset: main.table}
    by_ref = {ref: row for ref, _, row in parent_rows}
    for kid in kids:
        assert kid.parent is not None
        rows = _rows_of(kid, child_objects[kid.id], errors, set(kid.parent.link))
        # link fields come from the parent candidate (a member's case number is its household's)
        for _, parent, row in rows:
            for child_field, parent_field in kid.parent.link.items():
                row[child_field] = by_ref.get(parent, {}).get(parent_field)
        normaliser = preparer.normaliser(kid.id)
        got = normaliser.run(rows, errors, today, python=python)
        if got is not None:
            out[kid.id] = got
        tables[kid.id] = normaliser.table
    return Prepared(
        dataset=dataset,
        tables=tables,
        errors=errors,
        count=len(candidates),
        rows=out if python else None,
    )


def inputs_hash(candidate: Any) -> str:
    """The SHA-256 of a candidate as received (canonical JSON): what the audit log keeps."""
    import hashlib

    text = json.dumps(candidate, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
