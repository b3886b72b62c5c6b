"""Turn one model run's hits into warnings, by fingerprint: insert new, refresh still present,
mark no longer present. Set-based and batched, so 100k hits take seconds, not minutes.

The engine owns the finding columns (severity, amount, explanation, evidence, present, last run);
the closed loop owns the workflow columns. We therefore do not bump the optimistic-locking
`version` here: a supervisor editing a warning while a run refreshes its evidence does not lose
their edit, and does not get a spurious conflict.

Bulk writes go through the DB-API `executemany` with each column's own SQLAlchemy bind
processor: the per-row overhead of a Core insert would dominate at 100k rows. Columns that other
stations add to `warnings` get their Python-side defaults (evaluated once per run) or their server
defaults, as an ORM insert would give them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Table, Text, cast, select, true, update
from sqlalchemy.orm import Session

from qingfeng.hits import Hit
from qingfeng.store.models import ModelRun, Warning, utcnow

CHUNK = 2000
T = TypeVar("T")
CENTS = Decimal("0.01")

# The finding: what a re-run may change on an existing warning.
FINDING = (
    "model_version",
    "subject_name",
    "severity",
    "amount",
    "division_code",
    "explanation",
    "evidence",
)


@dataclass
class RunDiff:
    """What a run changed: fingerprints of new warnings, still present and no longer present."""

    new: list[str] = field(default_factory=list)
    still_present: list[str] = field(default_factory=list)
    no_longer_present: list[str] = field(default_factory=list)
    updated: int = 0  # still present and their finding (severity, amount, text...) changed


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def evidence_json(evidence: dict[str, Any]) -> str:
    """The stored form of evidence; also what a re-run compares against."""
    return json.dumps(evidence, ensure_ascii=False, separators=(",", ":"))


def _finding(hit: Hit, evidence_text: str) -> tuple[Any, ...]:
    amount = Decimal(hit.amount).quantize(CENTS) if hit.amount is not None else None
    return (
        hit.model_version,
        hit.subject_name,
        hit.severity,
        amount,
        hit.division_code,
        hit.explanation,
        evidence_text,
    )


def _table() -> Table:
    table = Warning.__table__
    assert isinstance(table, Table)
    return table


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"paramstyle {style}")  # neither SQLite nor psycopg


def _processor(conn: Connection, column: Column[Any]) -> Callable[[Any], Any] | None:
    if column.name == "evidence":  # passed as JSON text, serialised by evidence_json
        return None
    return column.type.bind_processor(conn.dialect)


def _executemany(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for chunk in _chunks(rows, 10_000):
            cursor.executemany(sql, list(chunk))
    finally:
        cursor.close()


def _bulk_insert(conn: Connection, rows: list[dict[str, Any]], constants: dict[str, Any]) -> None:
    """INSERT many warnings. `rows` hold the varying columns, `constants` the same-for-all ones;
    other columns get their Python default (once) or are left to the server / NULL."""
    if not rows:
        return
    table = _table()
    varying = list(rows[0])
    fixed = dict(constants)
    for column in table.columns:
        if column.name in fixed or column.name in varying or column.primary_key:
            continue
        default = column.default
        if default is not None and getattr(default, "is_scalar", False):
            fixed[column.name] = default.arg  # type: ignore[attr-defined]
        elif default is not None and getattr(default, "is_callable", False):
            fixed[column.name] = default.arg(None)  # type: ignore[attr-defined]
    for name, value in list(fixed.items()):
        proc = _processor(conn, table.c[name])
        fixed[name] = proc(value) if proc else value
    procs = [_processor(conn, table.c[name]) for name in varying]
    names = varying + list(fixed)
    mark = _placeholder(conn)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(mark for _ in names)})"
    tail = tuple(fixed.values())
    tuples = [
        tuple(p(row[n]) if p else row[n] for n, p in zip(varying, procs, strict=True)) + tail
        for row in rows
    ]
    _executemany(conn, sql, tuples)


def _bulk_update_findings(conn: Connection, changed: list[tuple[Any, ...]]) -> None:
    """UPDATE the finding columns of warnings by id; rows are (*finding, updated_at, id)."""
    if not changed:
        return
    table = _table()
    names = [*FINDING, "updated_at"]
    procs = [_processor(conn, table.c[n]) for n in names]
    mark = _placeholder(conn)
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = {mark}' for n in names)} WHERE id = {mark}"
    tuples = [
        (*(p(v) if p else v for v, p in zip(row[:-1], procs, strict=True)), row[-1])
        for row in changed
    ]
    _executemany(conn, sql, tuples)


def sync_model_run(session: Session, run: ModelRun, hits: Iterable[Hit]) -> RunDiff:
    """Apply `hits` of `run` (a ModelRun of one model) to the warnings table, in the caller's
    transaction, and record the counts on `run`."""
    if run.id is None:
        session.flush()
    table = _table()
    conn = session.connection()

    found: dict[str, tuple[Hit, str]] = {}
    for hit in hits:
        if hit.model_id != run.model_id:
            raise ValueError(f"hit of model {hit.model_id} given to a run of {run.model_id}")
        found[hit.fingerprint] = (hit, evidence_json(hit.evidence))  # last one wins

    columns = [table.c[n] for n in FINDING if n != "evidence"]
    query = select(
        table.c.id,
        table.c.fingerprint,
        table.c.present,
        *columns,
        cast(table.c.evidence, Text).label("evidence"),
    ).where(table.c.model_id == run.model_id)
    existing: dict[str, tuple[int, bool, tuple[Any, ...]]] = {}
    for row in conn.execute(query):
        existing[row[1]] = (row[0], bool(row[2]), tuple(row[3:]))

    diff = RunDiff()
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    still_ids: list[int] = []
    changed: list[tuple[Any, ...]] = []
    for fp, (hit, evidence_text) in found.items():
        finding = _finding(hit, evidence_text)
        old = existing.get(fp)
        if old is None:
            diff.new.append(fp)
            new_rows.append(
                {
                    "fingerprint": fp,
                    "subject_id": hit.subject_id,
                    "period": hit.period,
                    **dict(zip(FINDING, finding, strict=True)),
                }
            )
            continue
        warning_id, _present, old_finding = old
        diff.still_present.append(fp)
        still_ids.append(warning_id)
        if old_finding != finding:
            changed.append((*finding, now, warning_id))
    gone = [(fp, wid) for fp, (wid, present, _) in existing.items() if present and fp not in found]
    diff.no_longer_present = [fp for fp, _ in gone]

    _bulk_insert(
        conn,
        new_rows,
        {
            "model_id": run.model_id,
            "subject_type": next(iter(found.values()))[0].subject_type if found else "",
            "status": "new",
            "present": True,
            "first_run_id": run.id,
            "last_run_id": run.id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    )
    _bulk_update_findings(conn, changed)
    diff.updated = len(changed)
    for ids in _chunks(still_ids):
        conn.execute(
            update(table).where(table.c.id.in_(ids)).values(present=true(), last_run_id=run.id)
        )
    for ids in _chunks([wid for _, wid in gone]):
        conn.execute(update(table).where(table.c.id.in_(ids)).values(present=False))

    run.hits = len(found)
    run.new_warnings = len(diff.new)
    run.still_present = len(diff.still_present)
    run.no_longer_present = len(diff.no_longer_present)
    session.flush()
    return diff
