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
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from qingfeng.catalogue import load_catalogue
from qingfeng.catalogue.model import DatasetSpec, FieldSpec
from qingfeng.ingest.normalise import field_plan
from qingfeng.ingest.stage import (
    _add_field_layers,
    _derived_value,
    _Layers,
    _q,
    convert_traditional,
)

REF = "__ref"  # the candidate's position in the request (0-based)
PARENT = "__parent"  # a child row's parent candidate


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
            name = names.get(str(key).strip())
            if name is None:
                errors.setdefault(parent, []).append(
                    RowError(parent, str(key), "unknown_field", f"{spec.id} has no field {key!r}")
                )
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


def _normalise(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    rows: list[tuple[int, int, dict[str, str | None]]],
    table: str,
    errors: dict[int, list[RowError]],
    today: dt.date,
    fixed: dict[str, str] | None = None,
) -> None:
    """Write `rows` normalised into temp table `table` (every stored field, the lineage columns,
    REF and PARENT); broken rules become errors of the parent candidate."""
    fields = [f for f in spec.stored_fields]
    given = {name for _, _, row in rows for name in row} | set(fixed or {})
    raw_names = [f"r__{f.name}" for f in fields]
    payload = [
        [ref for ref, _, _ in rows],
        [parent for _, parent, _ in rows],
        *[[row.get(f.name) for _, _, row in rows] for f in fields],
    ]
    columns = ", ".join(
        f"unnest($%d::{'BIGINT' if i < 2 else 'VARCHAR'}[]) AS {_q(n)}" % (i + 1)
        for i, n in enumerate([REF, PARENT, *raw_names])
    )
    source = f"{table}__raw"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_q(source)} AS SELECT {columns}", payload)
    plans = {}
    raw: dict[str, str] = {}
    for f in fields:
        if f.name in given and f.name not in (fixed or {}):
            plans[f.name] = field_plan(f)
            raw[f.name] = _q(f"r__{f.name}")
    for f in spec.derived_fields:  # a subsidy code from the subsidy type's wording
        if f.name not in plans and f.derive_from in raw and not _derived_value(spec, f, plans):
            plans[f.name] = field_plan(f)
            raw[f.name] = raw[str(f.derive_from)]
    layers = _Layers(_q(source), [REF, PARENT, *raw_names])
    _add_field_layers(layers, plans, raw)
    select = [_q(REF), _q(PARENT)]
    checks = []
    for f in fields:
        value = _value_sql(spec, f, plans, today, (fixed or {}).get(f.name))
        select.append(f"{value} AS {_q(f.name)}")
        if f.name in plans:
            checks.append(
                f"CASE WHEN {_q('e__' + f.name)} IS NOT NULL THEN "
                f"{_lit(f.name)} || ':' || {_q('e__' + f.name)} END"
            )
    select.append("'screen' AS _batch_id")
    select.append(f"CAST({_q(REF)} AS BIGINT) AS _source_row")
    problems = f"list_filter([{', '.join(checks)}], lambda x: x IS NOT NULL)" if checks else "[]"
    select.append(f"{problems} AS __problems")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_q(table)} AS "
        f"SELECT {', '.join(select)} FROM ({layers.sql}) AS l"
    )
    con.execute(f"DROP TABLE {_q(source)}")
    for f in fields:
        if f.type == "name" and f.name in plans:
            convert_traditional(con, table, f.name)
    required = [f for f in fields if f.required and f.name not in (fixed or {})]
    for _ref, parent, problem_list, *values in con.execute(
        f"SELECT {_q(REF)}, {_q(PARENT)}, __problems, "
        + ", ".join(f"{_q(f.name)} IS NULL" for f in required or fields[:1])
        + f" FROM {_q(table)}"
    ).fetchall():
        for problem in problem_list or []:
            name, _, rule = str(problem).partition(":")
            errors.setdefault(parent, []).append(
                RowError(parent, name, "invalid", f"{spec.id}.{name}: {rule}")
            )
        if required:
            for f, missing in zip(required, values, strict=True):
                if missing and not any(e.field == f.name for e in errors.get(parent, [])):
                    errors.setdefault(parent, []).append(
                        RowError(parent, f.name, "missing", f"{spec.id}.{f.name} is required")
                    )


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value_sql(
    spec: DatasetSpec,
    f: FieldSpec,
    plans: dict[str, Any],
    today: dt.date,
    fixed: str | None,
) -> str:
    if fixed is not None:
        return f"CAST({fixed} AS {f.storage_type})"
    default = None
    if f.name == spec.timeliness_field and f.type in ("date", "timestamp"):
        default = f"CAST(DATE '{today.isoformat()}' AS {f.storage_type})"
    if f.name in plans:
        value = (
            f"CASE WHEN {_q('e__' + f.name)} IS NULL "
            f"THEN TRY_CAST({_q('v__' + f.name)} AS {f.storage_type}) END"
        )
        return f"COALESCE({value}, {default})" if default else value
    derived = _derived_value(spec, f, plans)
    if derived is not None:  # a period from the pay date
        if spec.timeliness_field and spec.field(spec.timeliness_field).name == f.derive_from:
            derived = f"COALESCE({derived}, strftime(DATE '{today.isoformat()}', '%Y-%m'))"
        return f"CAST({derived} AS {f.storage_type})"
    if f.derive_from == spec.timeliness_field and f.type == "period" and spec.timeliness_field:
        return f"CAST(strftime(DATE '{today.isoformat()}', '%Y-%m') AS {f.storage_type})"
    return default or f"CAST(NULL AS {f.storage_type})"


def prepare(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    candidates: list[Any],
    *,
    today: dt.date | None = None,
    prefix: str = "__cand",
) -> Prepared:
    """Normalise `candidates` of `dataset` into temp tables on `con` (a cursor of its own)."""
    catalogue = load_catalogue()
    spec = catalogue[dataset]
    today = today or dt.date.today()
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
    tables = {dataset: f"{prefix}_{dataset}"}
    skip = {k.id for k in kids} | {"ref"}
    _normalise(con, spec, _rows_of(spec, objects, errors, skip), tables[dataset], errors, today)
    for kid in kids:
        assert kid.parent is not None
        table = f"{prefix}_{kid.id}"
        tables[kid.id] = table
        rows = _rows_of(kid, child_objects[kid.id], errors, set())
        # link fields come from the parent candidate (a member's case number is its household's)
        fixed = {
            child_field: f"(SELECT p.{_q(parent_field)} FROM {_q(tables[dataset])} AS p "
            f"WHERE p.{_q(REF)} = l.{_q(PARENT)})"
            for child_field, parent_field in kid.parent.link.items()
        }
        _normalise(con, kid, rows, table, errors, today, fixed=fixed)
    return Prepared(dataset=dataset, tables=tables, errors=errors, count=len(candidates))


def inputs_hash(candidate: Any) -> str:
    """The SHA-256 of a candidate as received (canonical JSON): what the audit log keeps."""
    import hashlib

    text = json.dumps(candidate, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
