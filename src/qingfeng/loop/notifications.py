"""A user's notifications in the app: the unread count of the top bar, the list, marking read.

Only the owner reads or marks their notifications; the warning each one names is still opened
through the user's scope (a notification of a warning escalated away leads to "not found")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from qingfeng.store.models import Notification

PAGE = 100


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_for(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = PAGE
) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user_id: int, ids: Sequence[int] | None, now: datetime) -> int:
    """Mark the user's notifications read (`ids` None: all of them); returns how many changed.
    Ids of other users' notifications are ignored."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    if ids is not None:
        if not ids:
            return 0
        stmt = stmt.where(Notification.id.in_(list(ids)))
    result: Any = session.execute(stmt)
    return int(result.rowcount or 0)
