"""Back-off for failed sign-ins, counted in the store so every process sees the same counts.

Three counters per attempt: the pair (account, client address), the client address and the
account. Each allows some failures for free, then makes its key wait, doubling with every
further failure up to a ceiling. The pair and the client get long ceilings (one client guessing
is slowed to a crawl); the account alone gets a short one, so that nobody can keep a colleague
out by failing on purpose from many addresses — they delay each attempt by a minute at most.
The keys do not depend on whether the account exists, so an unknown name is throttled exactly
like a known one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qingfeng.store.models import SignInThrottle, utcnow


@dataclass(frozen=True)
class Rule:
    kind: str
    free: int  # failures before any wait
    ceiling: timedelta  # longest wait


RULES = (
    Rule("pair", 5, timedelta(minutes=15)),
    Rule("client", 20, timedelta(minutes=15)),
    Rule("account", 10, timedelta(minutes=1)),
)
# A key with no failure for this long starts again from zero.
FORGET_AFTER = timedelta(hours=24)


def _keys(account: str, client: str) -> dict[str, str]:
    # Hashed: the table holds neither names that were typed by mistake nor addresses in clear.
    def digest(value: str) -> str:
        return hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]

    name = account.strip().casefold()
    return {
        "pair": "pair:" + digest(f"{name}\x1f{client}"),
        "client": "client:" + digest(client),
        "account": "account:" + digest(name),
    }


def wait_seconds(db: Session, account: str, client: str, now: datetime | None = None) -> int:
    """Seconds before this account may be tried again from this client (0: go ahead)."""
    now = now or utcnow()
    keys = list(_keys(account, client).values())
    rows = db.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in rows
        if row.blocked_until is not None and row.blocked_until > now
    ]
    return int(max(waits)) + 1 if waits else 0


def record_failure(db: Session, account: str, client: str, now: datetime | None = None) -> None:
    """Count a failure under each key and set its wait; the caller commits."""
    now = now or utcnow()
    for rule in RULES:
        key = _keys(account, client)[rule.kind]
        row = db.get(SignInThrottle, key, with_for_update=True)
        if row is None:
            try:
                with db.begin_nested():
                    row = SignInThrottle(key=key, failures=0, last_failure_at=now)
                    db.add(row)
            except IntegrityError:  # another process counted first
                row = db.get(SignInThrottle, key, with_for_update=True, populate_existing=True)
                assert row is not None
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        over = row.failures - rule.free
        if over > 0:
            wait = min(timedelta(seconds=2 ** min(over, 20)), rule.ceiling)
            row.blocked_until = now + wait


def record_success(db: Session, account: str, client: str) -> None:
    """A right password clears the account's and this pair's counts (not the client's)."""
    keys = _keys(account, client)
    db.execute(
        delete(SignInThrottle).where(SignInThrottle.key.in_([keys["pair"], keys["account"]]))
    )
