"""Reading and writing the state every web worker shares (qingfeng.store.shared_models).

A web worker keeps nothing that another request may need: a model run's progress, a graph
node token and a rate-limit bucket are rows in the store, so any worker (on any host) answers
the next request the same way.

Each write that depends on what is there first makes sure the row exists (INSERT ... ON
CONFLICT DO NOTHING, which also takes SQLite's write lock) and then reads it FOR UPDATE
(PostgreSQL's row lock), so two workers never both act on the same old value.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.store.models import utcnow
from qingfeng.store.shared_models import GraphRef, RateBucket, SharedState

Factory = sessionmaker[Session]


def _insert_ignoring_duplicates(db: Session, table: Any, values: dict[str, Any]) -> bool:
    """Insert a row unless its primary key is taken (both store backends speak ON CONFLICT);
    True when this call created it."""
    from sqlalchemy.dialects import postgresql, sqlite

    if db.get_bind().dialect.name == "postgresql":
        result = db.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    else:
        result = db.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0) == 1)


class _Sweeper:
    """Runs a cleanup at most once per interval in this process (old tokens, idle buckets)."""

    def __init__(self, every_s: float) -> None:
        self._every = every_s
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self._every
            return True


# ------------------------------------------------------------------ named documents
def read_state(factory: Factory, key: str) -> tuple[dict[str, Any], datetime] | None:
    """The document under `key` and when it was written, or None."""
    with factory() as db:
        row = db.get(SharedState, key)
        return None if row is None else (dict(row.value or {}), row.updated_at)


def write_state(factory: Factory, key: str, value: dict[str, Any]) -> None:
    with factory() as db, db.begin():
        _insert_ignoring_duplicates(
            db, SharedState, {"key": key, "value": value, "updated_at": utcnow()}
        )
        row = db.get(SharedState, key, with_for_update=True, populate_existing=True)
        assert row is not None
        row.value = value
        row.updated_at = utcnow()


def claim_state(
    factory: Factory,
    key: str,
    may_replace: Callable[[dict[str, Any] | None, datetime | None], bool],
    value: dict[str, Any],
) -> bool:
    """Write `value` under `key` only if `may_replace(current, updated_at)` says so, atomically
    across workers; True when written."""
    with factory() as db, db.begin():
        # The write comes first: on SQLite it takes the write lock before anything is read.
        created = _insert_ignoring_duplicates(
            db, SharedState, {"key": key, "value": {}, "updated_at": utcnow()}
        )
        row = db.get(SharedState, key, with_for_update=True, populate_existing=True)
        assert row is not None
        current = dict(row.value or {}) if not created and row.value else None
        if not may_replace(current, row.updated_at if current is not None else None):
            return False
        row.value = value
        row.updated_at = utcnow()
        return True


def touch_state(factory: Factory, key: str) -> None:
    """Mark the document as still alive (a heartbeat) without changing it."""
    with factory() as db, db.begin():
        row = db.get(SharedState, key, with_for_update=True)
        if row is not None:
            row.updated_at = utcnow()


# ------------------------------------------------------------------ graph node tokens
GRAPH_REF_TTL = timedelta(hours=24)


class StoreNodeRefs:
    """Graph node tokens in the store: issued by one worker, resolved by any, for the same user
    only, forgotten after GRAPH_REF_TTL."""

    def __init__(self, factory: Factory, ttl: timedelta = GRAPH_REF_TTL) -> None:
        self._factory = factory
        self._ttl = ttl
        self._sweeper = _Sweeper(600)

    def issue_many(self, refs: list[tuple[int, str, str]]) -> list[str]:
        """One token per (user_id, kind, identifier), written in one transaction."""
        if not refs:
            return []
        tokens = [secrets.token_urlsafe(12) for _ in refs]
        now = utcnow()
        with self._factory() as db, db.begin():
            db.add_all(
                GraphRef(token=t, user_id=u, kind=k, identifier=i, created_at=now)
                for t, (u, k, i) in zip(tokens, refs, strict=True)
            )
            if self._sweeper.due():
                db.execute(delete(GraphRef).where(GraphRef.created_at < now - self._ttl))
        return tokens

    def resolve(self, token: str, user_id: int) -> tuple[str, str] | None:
        """(kind, identifier) behind the token when it is this user's and still fresh."""
        if not token or len(token) > 32:
            return None
        with self._factory() as db:
            row = db.scalar(
                select(GraphRef).where(
                    GraphRef.token == token,
                    GraphRef.user_id == user_id,
                    GraphRef.created_at >= utcnow() - self._ttl,
                )
            )
            return None if row is None else (row.kind, row.identifier)


# ------------------------------------------------------------------ rate-limit buckets
# A bucket untouched this long is full again for every limit we set: forgetting it is harmless.
BUCKET_IDLE_S = 24 * 3600.0


class StoreBuckets:
    """Token buckets keyed by (purpose, key) in the store: every worker draws from the same one.

    Times are wall-clock seconds (time.time), the one clock all hosts share (kept by NTP).
    """

    def __init__(self, factory: Factory, clock: Callable[[], float] = time.time) -> None:
        self._factory = factory
        self._clock = clock
        self._sweeper = _Sweeper(600)

    @staticmethod
    def _level(row: RateBucket | None, capacity: int, rate: float, now: float) -> float:
        if row is None:
            return float(capacity)
        elapsed = max(0.0, now - row.touched_at)  # a host whose clock lags never refills less
        return min(float(capacity), row.tokens + elapsed * rate)

    def _read(self, purpose: str, key: str) -> RateBucket | None:
        with self._factory() as db:
            return db.get(RateBucket, (purpose, key[:128]))

    def take(self, purpose: str, key: str, capacity: int, rate: float, cost: float = 1.0) -> bool:
        """Take `cost` tokens; False (nothing taken) when the bucket has too few."""
        key = key[:128]
        now = self._clock()
        with self._factory() as db, db.begin():
            _insert_ignoring_duplicates(
                db,
                RateBucket,
                {"purpose": purpose, "key": key, "tokens": float(capacity), "touched_at": now},
            )
            row = db.get(RateBucket, (purpose, key), with_for_update=True, populate_existing=True)
            assert row is not None
            tokens = self._level(row, capacity, rate, now)
            ok = tokens >= cost
            row.tokens = tokens - cost if ok else tokens
            row.touched_at = max(now, row.touched_at)
            if self._sweeper.due():
                db.execute(delete(RateBucket).where(RateBucket.touched_at < now - BUCKET_IDLE_S))
        return ok

    def has(self, purpose: str, key: str, capacity: int, rate: float, cost: float = 1.0) -> bool:
        """Whether `cost` tokens are available, without taking them."""
        row = self._read(purpose, key)
        return self._level(row, capacity, rate, self._clock()) >= cost

    def retry_after(self, purpose: str, key: str, capacity: int, rate: float) -> int:
        row = self._read(purpose, key)
        tokens = self._level(row, capacity, rate, self._clock())
        return max(1, int((1.0 - tokens) / rate) + 1) if rate > 0 else 3600


def update_state(
    factory: Factory, key: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Replace the document under `key` by `change(current)`, one worker at a time."""
    with factory() as db, db.begin():
        _insert_ignoring_duplicates(
            db, SharedState, {"key": key, "value": {}, "updated_at": utcnow()}
        )
        row = db.get(SharedState, key, with_for_update=True, populate_existing=True)
        assert row is not None
        row.value = change(dict(row.value or {}))
        row.updated_at = utcnow()
