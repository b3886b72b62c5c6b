"""Back-office sessions held in the store (table `web_sessions`, migration 0600_sessions).

The browser holds a random token; the store keeps its SHA-256, the session's data, the user it
belongs to and when it was last used. Ending a session is deleting its row, so a sign-out, a
password change, a disabled account or a password reset takes effect on the next request, and a
copied cookie is worth nothing afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from qingfeng.store.models import WebSession, utcnow

USER_KEY = "uid"  # the signed-in user's id inside the session data
# last_seen_at is written at most this often: a page with many requests costs one write.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class Loaded:
    key: str
    data: dict[str, Any]
    user_id: int | None
    last_seen_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load(db: Session, token: str, timeouts: Timeouts, now: datetime | None = None) -> Loaded | None:
    """The live session behind `token`, or None (unknown, idle too long or too old: deleted)."""
    now = now or utcnow()
    row = db.get(WebSession, token_key(token))
    if row is None:
        return None
    if now - row.last_seen_at > timeouts.idle or now - row.created_at > timeouts.absolute:
        db.delete(row)
        db.commit()
        return None
    return Loaded(row.id, dict(row.data or {}), row.user_id, row.last_seen_at)


def create(db: Session, data: dict[str, Any], now: datetime | None = None) -> str:
    """Store a new session; returns the token for the cookie."""
    now = now or utcnow()
    token = new_token()
    db.add(
        WebSession(
            id=token_key(token),
            user_id=_user_of(data),
            data=data,
            created_at=now,
            last_seen_at=now,
        )
    )
    db.commit()
    return token


def save(db: Session, key: str, data: dict[str, Any], now: datetime | None = None) -> bool:
    """Write the session's data; False when the row is gone (revoked meanwhile)."""
    now = now or utcnow()
    result: Any = db.execute(
        update(WebSession)
        .where(WebSession.id == key)
        .values(data=data, user_id=_user_of(data), last_seen_at=now)
    )
    db.commit()
    return bool(result.rowcount)


def touch(db: Session, key: str, now: datetime | None = None) -> None:
    db.execute(update(WebSession).where(WebSession.id == key).values(last_seen_at=now or utcnow()))
    db.commit()


def drop(db: Session, key: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == key))
    db.commit()


def revoke_user(db: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of `user_id` (but `keep`, the caller's own, when given), in the
    caller's transaction. Returns how many ended."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        stmt = stmt.where(WebSession.id != keep)
    result: Any = db.execute(stmt)
    return int(result.rowcount or 0)


def purge_expired(db: Session, timeouts: Timeouts, now: datetime | None = None) -> int:
    """Forget sessions past either timeout (called at sign-in, so the table stays small)."""
    now = now or utcnow()
    result: Any = db.execute(
        delete(WebSession).where(
            or_(
                WebSession.last_seen_at < now - timeouts.idle,
                WebSession.created_at < now - timeouts.absolute,
            )
        )
    )
    return int(result.rowcount or 0)


def user_sessions(db: Session, user_id: int) -> list[str]:
    return list(db.scalars(select(WebSession.id).where(WebSession.user_id == user_id)))


def _user_of(data: dict[str, Any]) -> int | None:
    uid = data.get(USER_KEY)
    return uid if isinstance(uid, int) and not isinstance(uid, bool) else None
