"""The leader's big screen (驾驶舱大屏): the figures the dashboard's cube does not hold.

The cube (qingfeng.web.queries.dashboard) is keyed by township; the screen also needs

- each village's open leads and the money they put at risk (the tile map), and
- the leads by the period of the irregularity (the cube counts by the month a lead was found).

Both come from two GROUP BYs over the warnings, cached like the cube (stale-while-revalidate,
one build at a time) and kept for at most SCREEN_TTL_S; `invalidate` marks them stale at once
when a warning or case changes (qingfeng.web.freshness). Scope is applied on the keys exactly as
the cube does: (township code, organisation id).
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

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.loop.machine import OPEN_STATES
from qingfeng.store.models import Warning
from qingfeng.web.queries.dashboard import KEY_DIGITS, ScopeKey

SCREEN_TTL_S = 60.0
# A lead still to be handled: not yet dispatched, sent back, or somewhere in the loop. The list's
# `open` filter (qingfeng.web.queries.warnings) uses the same states.
OPEN_LEADS = ("new", "returned", *OPEN_STATES)
PERIOD_CHARS = 7  # "2024-05" of "2024-05", "2024-05-17"; a yearly "2024" stays "2024"
PERIODS_SHOWN = 24


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = Decimal(0)

    def add(self, count: int, amount: Decimal) -> None:
        self.count += count
        self.amount += amount


@dataclass
class ScreenCube:
    built_at: datetime
    build_ms: float
    # (full division code or "", org id) → open leads and their amount
    places: dict[tuple[str, int], Tally] = field(default_factory=dict)
    # (township code, org id) → period bucket → all leads and their amount
    periods: dict[ScopeKey, dict[str, Tally]] = field(default_factory=dict)


def period_bucket() -> Any:
    """The SQL expression the period trend groups by and the list's `period` filter matches."""
    return func.substr(Warning.period, 1, PERIOD_CHARS)


def build_screen(session: Session, now: datetime | None = None, where: Any = None) -> ScreenCube:
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    is_open = Warning.status.in_(OPEN_LEADS)
    code = func.coalesce(Warning.division_code, "")
    org = func.coalesce(Warning.org_id, 0)
    places_stmt = (
        select(
            code,
            org,
            func.count(),
            func.coalesce(func.sum(Warning.amount), 0),
        )
        .where(is_open)
        .group_by(code, org)
    )
    township = func.substr(code, 1, KEY_DIGITS)
    bucket = period_bucket()
    periods_stmt = (
        select(township, org, bucket, func.count(), func.coalesce(func.sum(Warning.amount), 0))
        .where(Warning.status != "merged")
        .group_by(township, org, bucket)
    )
    if where is not None:
        places_stmt = places_stmt.where(where)
        periods_stmt = periods_stmt.where(where)
    places: dict[tuple[str, int], Tally] = defaultdict(Tally)
    for c, o, n, amount in session.execute(places_stmt):
        places[(c or "", int(o or 0))].add(int(n), Decimal(amount or 0))
    periods: dict[ScopeKey, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for t9, o, p, n, amount in session.execute(periods_stmt):
        periods[(t9 or "", int(o or 0))][p or ""].add(int(n), Decimal(amount or 0))
    return ScreenCube(
        now,
        (time.perf_counter() - started) * 1000,
        dict(places),
        {k: dict(v) for k, v in periods.items()},
    )


class ScreenCache:
    """The cached screen figures: the first request waits, a stale copy is served while a
    background rebuild runs, and `invalidate` makes the next request trigger one."""

    def __init__(self, sessions: sessionmaker[Session], ttl_s: float = SCREEN_TTL_S) -> None:
        self._sessions = sessions
        self._ttl = ttl_s
        self._value: ScreenCube | None = None
        self._fresh_until = 0.0
        self._lock = threading.Lock()
        self._building = False

    def _build(self) -> None:
        try:
            with self._sessions() as s:
                value = build_screen(s)
            with self._lock:
                self._value = value
                self._fresh_until = time.monotonic() + self._ttl
        finally:
            with self._lock:
                self._building = False

    def invalidate(self) -> None:
        with self._lock:
            self._fresh_until = 0.0

    def get(self) -> ScreenCube:
        with self._lock:
            value, fresh = self._value, time.monotonic() < self._fresh_until
            if value is not None and (fresh or self._building):
                return value
            start = not self._building
            self._building = True
        if value is None:
            # The first figures: built by this request (a concurrent first request builds its
            # own copy rather than wait on a lock across a long query).
            if not start:
                with self._sessions() as s:
                    return build_screen(s)
            self._build()
            with self._lock:
                if self._value is None:
                    raise RuntimeError("building the screen figures failed; see the server log")
                return self._value
        threading.Thread(target=self._build, name="qingfeng-screen", daemon=True).start()
        return value


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    open: int
    amount: Decimal


@dataclass
class Township:
    code: str
    name: str
    open: int = 0
    amount: Decimal = Decimal(0)
    villages: list[Place] = field(default_factory=list)


def township_tiles(
    screen: ScreenCube,
    keep: Callable[[str, int], bool],
    townships: list[tuple[str, str]],
    name_of: Callable[[str], str],
    villages: list[str] | None = None,
) -> list[Township]:
    """The map's tiles: each township of the user's area with its villages, by division code.

    `townships` are the (code, name) of the areas to draw even when they hold no open lead;
    a code found in the warnings but not named there still gets a tile (named by `name_of`).
    `villages` are village codes to draw even without open leads (a registry of places).
    """
    tiles: dict[str, Township] = {code: Township(code, name) for code, name in townships}
    found_in: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for code in villages or []:
        if code[:KEY_DIGITS] in tiles:
            found_in[code[:KEY_DIGITS]][code].add(0, Decimal(0))
    for (code, org), tally in screen.places.items():
        t9 = code[:KEY_DIGITS]
        if not code or not keep(t9, org):
            continue
        tile = tiles.get(t9)
        if tile is None:
            tile = tiles[t9] = Township(t9, name_of(t9))
        tile.open += tally.count
        tile.amount += tally.amount
        if len(code) > KEY_DIGITS:
            found_in[t9][code].add(tally.count, tally.amount)
    for t9, found in found_in.items():
        tiles[t9].villages = [
            Place(c, name_of(c), v.count, v.amount) for c, v in sorted(found.items())
        ]
    return [tiles[c] for c in sorted(tiles)]


def period_trend(screen: ScreenCube, keep: Callable[[str, int], bool]) -> list[tuple[str, Tally]]:
    """Leads by the period of the irregularity: the latest PERIODS_SHOWN buckets."""
    total: dict[str, Tally] = defaultdict(Tally)
    for (t9, org), buckets in screen.periods.items():
        if keep(t9, org):
            for bucket, tally in buckets.items():
                total[bucket].add(tally.count, tally.amount)
    return sorted((b, t) for b, t in total.items() if b)[-PERIODS_SHOWN:]
