"""Listing warnings: filters, sort orders and pages, always inside the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, func, select

from qingfeng.hits import SEVERITIES
from qingfeng.loop.machine import STATES, Actor, RowId, require_read
from qingfeng.loop.queues import due_clause, queue_clause
from qingfeng.store.models import MAX_ID, Warning
from qingfeng.store.scope import division_prefix, warning_scope_clause

_NO_DUE = Warning.due_at.is_(None)
_NO_AMOUNT = Warning.amount.is_(None)
# Each order matches an index of migration 0003 (walked forwards or backwards), so a page is
# read off the index instead of sorting the whole scope. Same NULL placement on both stores:
# no deadline sorts after the latest deadline; no amount sorts below the smallest amount.
SORTS: dict[str, tuple[Any, ...]] = {
    "-created_at": (Warning.created_at.desc(), Warning.id.desc()),
    "created_at": (Warning.created_at.asc(), Warning.id.asc()),
    "due_at": (_NO_DUE.asc(), Warning.due_at.asc(), Warning.id.asc()),
    "-due_at": (_NO_DUE.desc(), Warning.due_at.desc(), Warning.id.desc()),
    "-amount": (_NO_AMOUNT.asc(), Warning.amount.desc(), Warning.id.desc()),
    "amount": (_NO_AMOUNT.desc(), Warning.amount.asc(), Warning.id.asc()),
    "id": (Warning.id.asc(),),
    "-id": (Warning.id.desc(),),
    # migration 0510_queues: highest risk first (qingfeng.loop.risk), alone or after the state
    "-risk": (Warning.risk_score.desc(), Warning.id.desc()),
}
MAX_LIMIT = 500


class WarningQuery(BaseModel):
    """A filter on the warning list; the same fields as the API's query parameters."""

    model_config = ConfigDict(extra="forbid")

    status: list[str] = Field(default_factory=list)
    severity: list[str] = Field(default_factory=list)
    model_id: list[str] = Field(default_factory=list)
    org_id: RowId | None = None
    assignee_id: RowId | None = None
    division_code: str | None = Field(default=None, description="area prefix")
    subject_id: str | None = None
    due: Literal["soon", "overdue"] | None = None
    queue: str | None = Field(default=None, description="a work queue (qingfeng.loop.queues)")
    present: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: str = "-created_at"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_ID)  # beyond it: 422, not a database overflow

    @field_validator("status")
    @classmethod
    def _states(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in STATES]
        if bad:
            raise ValueError(f"unknown status {bad}; known: {', '.join(STATES)}")
        return value

    @field_validator("severity")
    @classmethod
    def _severities(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in SEVERITIES]
        if bad:
            raise ValueError(f"unknown severity {bad}; known: {', '.join(SEVERITIES)}")
        return value

    @field_validator("sort")
    @classmethod
    def _sort(cls, value: str) -> str:
        if value not in SORTS:
            raise ValueError(f"unknown sort {value!r}; known: {', '.join(SORTS)}")
        return value

    @field_validator("queue")
    @classmethod
    def _queue(cls, value: str | None) -> str | None:
        from qingfeng.loop.queues import QUEUES

        if value is not None and value not in QUEUES:
            raise ValueError(f"unknown queue {value!r}; known: {', '.join(QUEUES)}")
        return value

    @field_validator("division_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is not None and not (value.isdigit() and len(value) <= 12):
            raise ValueError("division_code must be 1–12 digits")
        return value


def filtered(actor: Actor, q: WarningQuery) -> Select[Warning]:
    """select(Warning) in scope with the query's filters (no order, no page)."""
    require_read(actor.user)
    stmt = select(Warning).where(warning_scope_clause(actor.session, actor.user))
    if q.status:
        stmt = stmt.where(Warning.status.in_(q.status))
    if q.severity:
        stmt = stmt.where(Warning.severity.in_(q.severity))
    if q.model_id:
        stmt = stmt.where(Warning.model_id.in_(q.model_id))
    if q.org_id is not None:
        stmt = stmt.where(Warning.org_id == q.org_id)
    if q.assignee_id is not None:
        stmt = stmt.where(Warning.assignee_id == q.assignee_id)
    if q.division_code:
        stmt = stmt.where(division_prefix(Warning.division_code, q.division_code))
    if q.subject_id:
        stmt = stmt.where(Warning.subject_id == q.subject_id)
    if q.present is not None:
        stmt = stmt.where(Warning.present.is_(q.present))
    if q.created_from:
        stmt = stmt.where(Warning.created_at >= q.created_from)
    if q.created_to:
        stmt = stmt.where(Warning.created_at < q.created_to)
    if q.due is not None:
        stmt = stmt.where(due_clause(actor, q.due))
    if q.queue is not None:
        stmt = stmt.where(queue_clause(actor, q.queue))
    return stmt


@dataclass(frozen=True)
class Page:
    items: list[Warning]
    limit: int
    offset: int
    has_more: bool
    total: int | None = None


def list_warnings(actor: Actor, q: WarningQuery, *, with_total: bool = False) -> Page:
    """One sorted page. `has_more` comes from fetching one row extra; the total (a count over
    the whole filtered set) only when asked, since it is the slow part on big stores."""
    stmt = filtered(actor, q)
    total = None
    if with_total:
        total = actor.session.scalar(
            select(func.count()).select_from(stmt.with_only_columns(Warning.id).subquery())
        )
    rows = None
    # PostgreSQL's planner walks the risk index itself, filtering as it goes (and stops at the
    # page); SQLite's sorts a unit's whole scope instead, so it is given the walk explicitly.
    if q.sort == "-risk" and actor.session.get_bind().dialect.name == "sqlite":
        rows = ranked_from_the_top(actor, stmt, q)
    if rows is None:
        rows = list(
            actor.session.scalars(stmt.order_by(*SORTS[q.sort]).limit(q.limit + 1).offset(q.offset))
        )
    return Page(rows[: q.limit], q.limit, q.offset, len(rows) > q.limit, total)


# The ranked list reads the top of the risk index first: WALK_FACTOR index entries per row
# of the page (at least WALK_MIN). A scope holding a twentieth of the store's top-ranked
# warnings fills its page there.
WALK_FACTOR = 40
WALK_MIN = 2000


def ranked_walk(stmt: Select[Warning], q: WarningQuery) -> Select[Warning]:
    """The page of `stmt` by risk, looked for among the store's K highest-ranked warnings only:
    K entries of `ix_warnings_risk_sort` (an index-only walk), then the filters on those rows.

    Why: SQLite plans a unit's scope (`org_id IN … OR division_code range`) as a MULTI-INDEX
    OR and sorts every warning of the scope (half a second for a township at a million
    warnings), even when its page lies at the top of the risk index."""
    wanted = q.offset + q.limit + 1
    # `id IN (…)`, not a join: SQLite does not know a bound LIMIT's size and would build a
    # Bloom filter over the whole table for the join.
    top = select(Warning.id).order_by(*SORTS["-risk"]).limit(max(WALK_MIN, WALK_FACTOR * wanted))
    return stmt.where(Warning.id.in_(top)).order_by(*SORTS["-risk"]).limit(wanted)


def ranked_from_the_top(
    actor: Actor, stmt: Select[Warning], q: WarningQuery
) -> list[Warning] | None:
    """The page's rows when the top of the risk index holds all of them, else None.

    Exact: when the first K warnings of the whole store in risk order hold `offset + limit + 1`
    matching ones, no matching warning outside them can rank above those (they rank below
    all K). Otherwise (a scope or filter that is rare at the top) the caller sorts the scope."""
    wanted = q.offset + q.limit + 1
    rows = list(actor.session.scalars(ranked_walk(stmt, q)))
    if len(rows) < wanted:
        return None
    return rows[q.offset :]
