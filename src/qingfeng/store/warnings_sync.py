"""Turn one model run's hits into leads (warnings) and their evidence lines, by fingerprint:
insert new, refresh still present, mark no longer present. Set-based and batched, so 100k hits
take seconds, not minutes.

Leads. A hit (subject × period) is an evidence line, keyed by the hit's fingerprint; the lines of
one model on one subject make one lead (a `Warning`): one dead person paid for six months is one
lead with six lines (`warning_lines`). A lead of a single line is that line itself: no row in
`warning_lines` until a second line joins (`qingfeng.loop.service.lines` reads it the same). The
lead's severity is its worst line's, its amount the sum of its lines', its period, sentence and
evidence its latest line's; it is present while any line is. A new line joins the subject's open
lead; a lead that is archived or merged is closed, and new lines on its subject open a new lead
(lines it already has stay with it). A lead is fingerprinted by the line that opened it.

Routing. Every lead gets an area (the engine's, from the model's `route:`, else the workspace's
county) and, while it waits for dispatch, its responsible unit (qingfeng.store.routing).

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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Table, Text, cast, select, true, update
from sqlalchemy.orm import Session

from qingfeng.hits import SEVERITIES, Hit
from qingfeng.store.models import ModelRun, Warning, WarningLine, utcnow
from qingfeng.store.routing import WAITING, Router

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


# The lead's own columns that follow its lines (besides the finding).
LEAD = (*FINDING, "period", "org_id")
LINE = ("period", "severity", "amount", "explanation", "evidence")
CLOSED = ("archived", "merged")  # a lead in these states takes no new lines
RANK = {level: i for i, level in enumerate(SEVERITIES)}  # 0 = most severe


@dataclass
class RunDiff:
    """What a run changed: fingerprints of new leads, of leads still present and no longer
    present; lines new this run."""

    new: list[str] = field(default_factory=list)
    still_present: list[str] = field(default_factory=list)
    no_longer_present: list[str] = field(default_factory=list)
    updated: int = 0  # still present and their finding (severity, amount, text...) changed
    new_lines: int = 0


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


def _table(model: type[Warning] | type[WarningLine] = Warning) -> Table:
    table = model.__table__
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


def _bulk_insert(
    conn: Connection,
    rows: list[dict[str, Any]],
    constants: dict[str, Any],
    table: Table | None = None,
) -> None:
    """INSERT many warnings (or lines). `rows` hold the varying columns, `constants` the
    same-for-all ones; other columns get their Python default (once) or are left to the server."""
    if not rows:
        return
    table = _table() if table is None else table
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


def _bulk_update(
    conn: Connection, table: Table, columns: Sequence[str], changed: list[tuple[Any, ...]]
) -> None:
    """UPDATE `columns` and updated_at by id; rows are (*values, updated_at, id)."""
    if not changed:
        return
    names = [*columns, "updated_at"]
    procs = [_processor(conn, table.c[n]) for n in names]
    mark = _placeholder(conn)
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = {mark}' for n in names)} WHERE id = {mark}"
    tuples = [
        (*(p(v) if p else v for v, p in zip(row[:-1], procs, strict=True)), row[-1])
        for row in changed
    ]
    _executemany(conn, sql, tuples)


@dataclass(slots=True)
class _Line:
    id: int | None
    lead: int | None  # warning id; None while its lead is new
    fingerprint: str
    values: tuple[Any, ...]  # LINE: period, severity, amount, explanation, evidence text
    present: bool
    hit: Hit | None = None  # found by this run
    runs: tuple[int | None, int | None] = (None, None)  # a lead's own line: first, last run


def _line_values(hit: Hit, evidence_text: str) -> tuple[Any, ...]:
    amount = Decimal(hit.amount).quantize(CENTS) if hit.amount is not None else None
    return (hit.period, hit.severity, amount, hit.explanation, evidence_text)


def _lead_finding(
    lines: list[_Line], base: tuple[Any, ...], router: Router
) -> tuple[tuple[Any, ...], bool]:
    """The lead's LEAD values but org_id (from its lines; `base` holds the old values, or None)
    and whether it is present. Name, version and area follow the latest line found this run."""
    if len(lines) == 1:  # most leads: the line is the lead
        (line,) = lines
        hit = line.hit
        period, severity, amount, explanation, evidence = line.values
        if hit is None:
            model_version, subject_name, division = base[0], base[1], base[4]
        else:
            model_version, subject_name, division = (
                hit.model_version,
                hit.subject_name,
                hit.division_code,
            )
        area = router.area(division)
        return (
            model_version,
            subject_name,
            severity,
            amount,
            area,
            explanation,
            evidence,
            period,
        ), line.present
    ordered = sorted(lines, key=lambda x: (x.values[0], x.fingerprint))
    latest = ordered[-1]
    found = [x for x in ordered if x.hit is not None]
    model_version, subject_name, _, _, division, _, _, _ = base
    if found:
        hit = found[-1].hit
        assert hit is not None
        model_version, subject_name = hit.model_version, hit.subject_name
        division = hit.division_code
    amounts = [x.values[2] for x in lines if x.values[2] is not None]
    severity = min((x.values[1] for x in lines), key=lambda v: RANK.get(v, len(RANK)))
    explanation = latest.values[3]
    if len(lines) > 1:
        explanation = f"{explanation}（共 {len(lines)} 条明细）"
    finding = (
        model_version,
        subject_name,
        severity,
        sum(amounts, Decimal(0)) if amounts else None,
        router.area(division),
        explanation,
        latest.values[4],
        latest.values[0],
    )
    return finding, any(x.present for x in lines)


def sync_model_run(
    session: Session, run: ModelRun, hits: Iterable[Hit], *, county: str | None = None
) -> RunDiff:
    """Apply `hits` of `run` (a ModelRun of one model) to its leads and their lines, in the
    caller's transaction, and record the counts on `run`. `county`: the workspace's
    county_division_code, the area of hits their route did not place."""
    if run.id is None:
        session.flush()
    leads_t, lines_t = _table(), _table(WarningLine)
    conn = session.connection()
    router = Router.for_store(session, county)

    found: dict[str, tuple[Hit, str]] = {}
    for hit in hits:
        if hit.model_id != run.model_id:
            raise ValueError(f"hit of model {hit.model_id} given to a run of {run.model_id}")
        found[hit.fingerprint] = (hit, evidence_json(hit.evidence))  # last one wins

    # The model's leads: (subject_type, subject_id, status, present, org_id, *LEAD but org_id)
    columns = [leads_t.c[n] for n in FINDING if n != "evidence"]
    leads: dict[int, tuple[Any, ...]] = {}
    lead_fp: dict[int, str] = {}
    lead_runs: dict[int, tuple[int | None, int | None]] = {}
    for row in conn.execute(
        select(
            leads_t.c.id,
            leads_t.c.fingerprint,
            leads_t.c.subject_type,
            leads_t.c.subject_id,
            leads_t.c.status,
            leads_t.c.present,
            leads_t.c.org_id,
            *columns,
            cast(leads_t.c.evidence, Text).label("evidence"),
            leads_t.c.period,
            leads_t.c.first_run_id,
            leads_t.c.last_run_id,
        ).where(leads_t.c.model_id == run.model_id)
    ).all():
        leads[row[0]] = tuple(row[2:-2])
        lead_fp[row[0]] = row[1]
        lead_runs[row[0]] = (row[-2], row[-1])
    lines: dict[str, _Line] = {}
    for row in conn.execute(
        select(
            lines_t.c.id,
            lines_t.c.warning_id,
            lines_t.c.fingerprint,
            lines_t.c.present,
            lines_t.c.period,
            lines_t.c.severity,
            lines_t.c.amount,
            lines_t.c.explanation,
            cast(lines_t.c.evidence, Text),
        )
        .join(leads_t, leads_t.c.id == lines_t.c.warning_id)
        .where(leads_t.c.model_id == run.model_id)
    ).all():
        lines[row[2]] = _Line(row[0], row[1], row[2], tuple(row[4:]), bool(row[3]))
    now = utcnow()
    # A lead of one line keeps that line on itself (no row in warning_lines: half the writes
    # when most subjects are found once); it is written out when a second line joins.
    with_lines = {x.lead for x in lines.values()}
    for lid in leads.keys() - with_lines:
        old = leads[lid]
        values = (old[12], old[7], old[8], old[10], old[11])
        line = _Line(None, lid, lead_fp[lid], values, old[3], runs=lead_runs[lid])
        lines[line.fingerprint] = line

    open_lead: dict[tuple[str, str], int] = {}
    for lid, old in sorted(leads.items()):
        if old[2] not in CLOSED:
            open_lead[(old[0], old[1])] = lid  # the newest open lead, should there be two

    diff = RunDiff()
    new_leads: dict[tuple[str, str], list[_Line]] = {}
    touched: set[int] = set()
    changed_lines: list[tuple[Any, ...]] = []
    refound: list[int] = []
    for fp, (hit, evidence_text) in found.items():
        values = _line_values(hit, evidence_text)
        known = lines.get(fp)
        if known is None:
            key = (hit.subject_type, hit.subject_id)
            line = _Line(None, open_lead.get(key), fp, values, True, hit)
            lines[fp] = line
            diff.new_lines += 1
            if line.lead is None:
                new_leads.setdefault(key, []).append(line)
            else:
                touched.add(line.lead)
            continue
        line = known
        line.hit = hit
        assert line.lead is not None
        touched.add(line.lead)
        if line.id is not None:
            if line.values != values:
                changed_lines.append((*values, now, line.id))
            refound.append(line.id)
        line.values, line.present = values, True
    gone_lines: list[int] = []
    for line in lines.values():
        if line.hit is None and line.present:
            line.present = False
            assert line.lead is not None
            touched.add(line.lead)
            if line.id is not None:
                gone_lines.append(line.id)

    # New leads, then their lines (a new lead's id is known once it is written).
    by_lead: dict[int, list[_Line]] = {}
    for line in lines.values():
        if line.lead is not None:
            by_lead.setdefault(line.lead, []).append(line)
    empty = (run.model_version, None, None, None, None, None, None, None)
    new_rows: list[dict[str, Any]] = []
    for (subject_type, subject_id), group in new_leads.items():
        finding, _present = _lead_finding(group, empty, router)
        opener = min(group, key=lambda x: (x.values[0], x.fingerprint))
        diff.new.append(opener.fingerprint)
        new_rows.append(
            {
                "fingerprint": opener.fingerprint,
                "subject_type": subject_type,
                "subject_id": subject_id,
                **dict(zip((*FINDING, "period"), finding, strict=True)),
                "org_id": router.unit(finding[4]),
            }
        )
    _bulk_insert(
        conn,
        new_rows,
        {
            "model_id": run.model_id,
            "status": "new",
            "present": True,
            "first_run_id": run.id,
            "last_run_id": run.id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    )
    # Only new leads of several lines write lines out, and need their new ids for that.
    grouped = [group for group in new_leads.values() if len(group) > 1]
    if grouped:
        ids = dict(
            conn.execute(
                select(leads_t.c.fingerprint, leads_t.c.id).where(
                    leads_t.c.model_id == run.model_id, leads_t.c.first_run_id == run.id
                )
            ).all()
        )
        for group in grouped:
            opener = min(group, key=lambda x: (x.values[0], x.fingerprint))
            for line in group:
                line.lead = ids[opener.fingerprint]
    size = Counter(line.lead for line in lines.values() if line.lead is not None)
    line_rows = [
        {
            "warning_id": line.lead,
            "fingerprint": line.fingerprint,
            **dict(zip(LINE, line.values, strict=True)),
            "present": line.present,
            "first_run_id": line.runs[0] or (run.id if line.hit is not None else None),
            "last_run_id": run.id if line.hit is not None else line.runs[1],
        }
        for line in lines.values()
        if line.id is None and line.lead is not None and size[line.lead] > 1
    ]
    _bulk_insert(conn, line_rows, {"created_at": now, "updated_at": now}, table=lines_t)
    _bulk_update(conn, lines_t, LINE, changed_lines)
    for ids_chunk in _chunks(refound):
        conn.execute(
            update(lines_t)
            .where(lines_t.c.id.in_(ids_chunk))
            .values(present=true(), last_run_id=run.id)
        )
    for ids_chunk in _chunks(gone_lines):
        conn.execute(update(lines_t).where(lines_t.c.id.in_(ids_chunk)).values(present=False))

    # Existing leads whose lines changed: their finding, presence and (while waiting) unit.
    changed: list[tuple[Any, ...]] = []
    still: list[int] = []
    gone: list[int] = []
    for lid in sorted(touched):
        old = leads[lid]
        subject_type, subject_id, status, was_present, org_id = old[:5]
        base = (*old[5:12], old[12])
        finding, present = _lead_finding(by_lead[lid], base, router)
        if status in WAITING or org_id is None:
            org_id = router.unit(finding[4])
        new = (*finding, org_id)
        if new != (*base, old[4]):
            changed.append((*new, now, lid))
        if any(x.hit is not None for x in by_lead[lid]):
            diff.still_present.append(lead_fp[lid])
            still.append(lid)
        elif was_present and not present:
            diff.no_longer_present.append(lead_fp[lid])
            gone.append(lid)
    _bulk_update(conn, leads_t, LEAD, changed)
    diff.updated = len(changed)
    for ids_chunk in _chunks(still):
        conn.execute(
            update(leads_t)
            .where(leads_t.c.id.in_(ids_chunk))
            .values(present=true(), last_run_id=run.id)
        )
    for ids_chunk in _chunks(gone):
        conn.execute(update(leads_t).where(leads_t.c.id.in_(ids_chunk)).values(present=False))

    run.hits = len(found)
    run.new_warnings = len(diff.new)
    run.still_present = len(diff.still_present)
    run.no_longer_present = len(diff.no_longer_present)
    session.flush()
    return diff
