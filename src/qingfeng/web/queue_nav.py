"""The work queues in the sidebar, each with its count (a badge), for every page a person opens.

Counts come from `qingfeng.loop.queues.queue_counts` in the user's scope and stop at the badge
cap, so the sidebar costs a few short index walks whatever the size of the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from qingfeng.loop.queues import queue_counts, queues_for
from qingfeng.loop.service import actor_for
from qingfeng.store.models import User
from qingfeng.web.scope import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueLink:
    key: str
    href: str
    count: int
    capped: bool


def queue_links(request: Request, principal: Principal) -> list[QueueLink]:
    """The user's queues with their counts; none for roles without queues."""
    if not queues_for(principal.role):
        return []
    from qingfeng.web.deps import get_loop_config

    try:
        with request.app.state.sessions() as db:
            user = db.get(User, principal.user_id)
            if user is None or not user.active:
                return []
            counts = queue_counts(actor_for(db, user, get_loop_config(request)))
    except SQLAlchemyError as exc:  # an error page must still render
        log.warning("queue counts unavailable: %s", exc)
        return []
    return [
        QueueLink(key, f"/warnings?queue={key}", n, capped) for key, (n, capped) in counts.items()
    ]
