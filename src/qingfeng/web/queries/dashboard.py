"""The dashboard (驾驶舱): one cube of warning counts for the whole store, cut per user's scope.

Aggregating a million warnings takes seconds, so the store is summarised once into a small cube
keyed by (township code, organisation id, model, severity, status, month) and cached; each
request only filters the cube's keys by the user's scope and adds up. The cube is rebuilt in
the background when older than CUBE_TTL_S (the page shows its time), and at once after a
commit wrote a warning or a case in this process (qingfeng.web.freshness).

Scope on the cube is exact while every organisation's area prefix has at most nine digits
(province → township); a user whose unit has a longer prefix gets a direct query instead.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.loop.machine import OPEN_STATES, SUBSTANTIATED
from qingfeng.loop.outcomes import VERIFIED
from qingfeng.store.models import Warning, WarningLine
from qingfeng.web.scope import Principal

CUBE_TTL_S = 60.0  # figures never more than a minute behind another process's writes
KEY_DIGITS = 9  # township level
MONTHS_SHOWN = 24


@dataclass
class Cell:
    count: int = 0
    amount: Decimal = Decimal(0)
    verified: int = 0
    confirmed: int = 0
    funds: Decimal = Decimal(0)
    cases: int = 0
    overdue: int = 0
    # Evidence lines (命中) of the leads counted in `count` (线索): a lead of one line stores no
    # line row (qingfeng.store.warnings_sync), so this is count plus the lines beyond the first.
    hits: int = 0

    def add(self, other: Cell) -> None:
        self.count += other.count
        self.hits += other.hits
        self.amount += other.amount
        self.verified += other.verified
        self.confirmed += other.confirmed
        self.funds += other.funds
        self.cases += other.cases
        self.overdue += other.overdue


# (township code or "", org id or 0): the two things scope is decided on.
ScopeKey = tuple[str, int]


@dataclass
class Marginals:
    """The warnings of one scope key, added up along each axis the dashboard shows."""

    totals: Cell = field(default_factory=Cell)
    by_model: dict[str, Cell] = field(default_factory=lambda: defaultdict(Cell))
    by_severity: dict[str, Cell] = field(default_factory=lambda: defaultdict(Cell))
    by_status: dict[str, Cell] = field(default_factory=lambda: defaultdict(Cell))
    by_month: dict[str, Cell] = field(default_factory=lambda: defaultdict(Cell))

    def add(self, model: str, severity: str, status: str, month: str, cell: Cell) -> None:
        self.totals.add(cell)
        self.by_model[model].add(cell)
        self.by_severity[severity].add(cell)
        self.by_status[status].add(cell)
        self.by_month[month].add(cell)


@dataclass
class Cube:
    built_at: datetime
    build_ms: float
    parts: dict[ScopeKey, Marginals] = field(default_factory=dict)
    rows: int = 0  # grouped rows the database returned


def _month(session: Session) -> ColumnElement[str]:
    # The one place the two stores differ: how a timestamp becomes "YYYY-MM".
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Warning.created_at, "YYYY-MM")
    return func.substr(Warning.created_at, 1, 7)


def build_cube(session: Session, now: datetime | None = None, where: Any = None) -> Cube:
    """One GROUP BY over the warnings (or those matching `where`)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    month = _month(session)
    township = func.substr(func.coalesce(Warning.division_code, ""), 1, KEY_DIGITS)
    overdue = and_(Warning.status.in_(OPEN_STATES), Warning.paused.is_(False), Warning.due_at < now)
    stmt = select(
        township,
        func.coalesce(Warning.org_id, 0),
        Warning.model_id,
        Warning.severity,
        Warning.status,
        month,
        func.count(),
        func.coalesce(func.sum(Warning.amount), 0),
        func.sum(case((Warning.finding.in_(VERIFIED), 1), else_=0)),
        func.sum(case((Warning.finding.in_(SUBSTANTIATED), 1), else_=0)),
        func.coalesce(func.sum(Warning.funds_recovered), 0),
        func.sum(case((Warning.case_id.is_not(None), 1), else_=0)),
        func.sum(case((overdue, 1), else_=0)),
    ).where(Warning.status != "merged")
    if where is not None:
        stmt = stmt.where(where)
    stmt = stmt.group_by(
        township, Warning.org_id, Warning.model_id, Warning.severity, Warning.status, month
    )
    parts: dict[ScopeKey, Marginals] = defaultdict(Marginals)
    rows = 0
    for row in session.execute(stmt):
        t9, org, model, sev, status, mon, n, amount, ver, conf, funds, cases, late = row
        rows += 1
        cell = Cell(
            int(n),
            Decimal(amount or 0),
            int(ver or 0),
            int(conf or 0),
            Decimal(funds or 0),
            int(cases or 0),
            int(late or 0),
            int(n),
        )
        parts[(t9 or "", int(org or 0))].add(model, sev, status, mon or "", cell)
    # The lines beyond each lead's first, on the same keys: a pass over the leads that have
    # line rows only (most leads have a single line and none).
    extra = select(
        township,
        func.coalesce(Warning.org_id, 0),
        Warning.model_id,
        Warning.severity,
        Warning.status,
        month,
        func.count(WarningLine.id) - func.count(func.distinct(Warning.id)),
    ).join(WarningLine, WarningLine.warning_id == Warning.id)
    extra = extra.where(Warning.status != "merged")
    if where is not None:
        extra = extra.where(where)
    extra = extra.group_by(
        township, Warning.org_id, Warning.model_id, Warning.severity, Warning.status, month
    )
    for t9, org, model, sev, status, mon, more in session.execute(extra):
        if more:
            key = (t9 or "", int(org or 0))
            parts[key].add(model, sev, status, mon or "", Cell(hits=int(more)))
    return Cube(now, (time.perf_counter() - started) * 1000, dict(parts), rows)


DASHBOARD_STATE = "dashboard"  # shared_state key: when the figures last changed


class CubeCache:
    """The app's cached cube: stale-while-revalidate, one build at a time.

    The first request waits for the first build (started by `warm` when the server starts, or
    by that request); later requests get the cached cube at once, and a stale one triggers a
    rebuild in the background.

    Each web worker holds its own cube, but a change that makes the figures stale is recorded
    in the store (`shared_state` "dashboard"), so every worker refreshes after a change made on
    any of them.
    """

    def __init__(self, sessions: sessionmaker[Session], ttl_s: float = CUBE_TTL_S) -> None:
        self._sessions = sessions
        self._ttl = ttl_s
        self._cube: Cube | None = None
        self._fresh_until = 0.0
        self._built_from = 0.0  # wall-clock time the cached cube's build started
        self._lock = threading.Lock()
        self._building: threading.Event | None = None  # set when the running build ends

    def _build(self, done: threading.Event) -> None:
        try:
            started = time.time()
            with self._sessions() as s:
                cube = build_cube(s)
            with self._lock:
                self._cube = cube
                self._fresh_until = time.monotonic() + self._ttl
                self._built_from = started
        finally:
            with self._lock:
                self._building = None
            done.set()

    def _start(self, background: bool) -> threading.Event:
        """Start a build unless one runs (caller holds the lock); returns its done event."""
        if self._building is None:
            done = threading.Event()
            self._building = done
            if background:
                threading.Thread(
                    target=self._build, args=(done,), name="qingfeng-cube", daemon=True
                ).start()
            else:
                return done
        return self._building

    def invalidate(self) -> None:
        from qingfeng.store.shared import write_state

        with self._lock:
            self._fresh_until = 0.0
        write_state(self._sessions, DASHBOARD_STATE, {"changed_at": time.time()})

    def _changed_at(self) -> float:
        from qingfeng.store.shared import read_state

        found = read_state(self._sessions, DASHBOARD_STATE)
        return float(found[0].get("changed_at", 0.0)) if found else 0.0

    def get(self, wait_s: float = 120.0) -> Cube:
        """The cached cube; the first one is awaited, a stale one refreshed in the background."""
        changed_at = self._changed_at() if self._cube is not None else 0.0
        with self._lock:
            fresh = time.monotonic() < self._fresh_until and changed_at <= self._built_from
            cube = self._cube
            if cube is not None:
                if not fresh:
                    self._start(background=True)
                return cube
            running = self._building
            done = self._start(background=False) if running is None else running
        if running is None:
            self._build(done)  # this request builds the first cube itself
        elif not done.wait(wait_s):
            raise TimeoutError("the dashboard figures are still being computed; try again")
        with self._lock:
            if self._cube is None:
                raise RuntimeError("building the dashboard figures failed; see the server log")
            return self._cube

    def warm(self) -> None:
        """Build the first cube in the background (called when the server starts)."""
        with self._lock:
            if self._cube is None:
                self._start(background=True)


def in_scope(principal: Principal) -> Callable[[str, int], bool]:
    ids = set(principal.org_ids)
    prefixes = principal.prefixes

    def test(t9: str, org: int) -> bool:
        return org in ids or any(t9.startswith(p) for p in prefixes)

    return test


def cube_exact_for(principal: Principal) -> bool:
    return all(len(p) <= KEY_DIGITS for p in principal.prefixes)


@dataclass
class Overview:
    built_at: datetime
    totals: Cell
    new: int
    open: int
    by_field: dict[str, Cell]
    by_region: list[tuple[str, str, Cell]]  # (prefix, name, cell)
    by_severity: dict[str, Cell]
    by_status: dict[str, Cell]
    by_month: list[tuple[str, Cell]]
    top_models: list[tuple[str, Cell]]
    by_model: dict[str, Cell] = field(default_factory=dict)

    @property
    def confirmed_rate(self) -> float | None:
        return self.totals.confirmed / self.totals.verified if self.totals.verified else None


def overview(
    cube: Cube,
    principal: Principal,
    field_of: Callable[[str], str],
    regions: list[tuple[str, str]],
) -> Overview:
    """Cut the cube to the user's scope and add it up along each axis.

    `regions` are the (prefix, name) of the areas one level below the user's unit; each
    township key is counted under the region whose prefix it starts with.
    """
    keep = in_scope(principal)
    totals = Cell()
    by_field: dict[str, Cell] = defaultdict(Cell)
    by_region: dict[str, Cell] = defaultdict(Cell)
    by_severity: dict[str, Cell] = defaultdict(Cell)
    by_status: dict[str, Cell] = defaultdict(Cell)
    by_month: dict[str, Cell] = defaultdict(Cell)
    by_model: dict[str, Cell] = defaultdict(Cell)
    for (t9, org), part in cube.parts.items():
        if not keep(t9, org):
            continue
        totals.add(part.totals)
        for model, cell in part.by_model.items():
            by_field[field_of(model)].add(cell)
            by_model[model].add(cell)
        for axis, target in (
            (part.by_severity, by_severity),
            (part.by_status, by_status),
            (part.by_month, by_month),
        ):
            for key, cell in axis.items():
                target[key].add(cell)
        for prefix, _name in regions:
            if t9.startswith(prefix):
                by_region[prefix].add(part.totals)
                break
    months = sorted(by_month.items())[-MONTHS_SHOWN:]
    top = sorted(by_model.items(), key=lambda kv: (-kv[1].confirmed, -kv[1].count, kv[0]))[:10]
    return Overview(
        built_at=cube.built_at,
        totals=totals,
        new=by_status["new"].count if "new" in by_status else 0,
        open=sum(by_status[s].count for s in OPEN_STATES if s in by_status),
        by_field=dict(by_field),
        by_region=[(p, n, by_region[p]) for p, n in regions if p in by_region],
        by_severity=dict(by_severity),
        by_status=dict(by_status),
        by_month=months,
        top_models=top,
        by_model=dict(by_model),
    )
