"""Work queues (工作队列): each person lands on the warnings waiting for them, counted in the
navigation.

A queue is a filter on the machine's states (qingfeng.loop.machine), applied inside the user's
scope (store.scope):

| queue | 中文 | warnings | for |
| --- | --- | --- | --- |
| `to_dispatch` | 待分办 | new or returned, in my area | supervisor, administrator |
| `to_accept` | 待签收 | dispatched, not yet signed for | verifier, supervised unit |
| `verifying` | 待核查 | signed for, being verified (or sent back) | verifier, supervised unit |
| `to_review` | 待审核 | findings submitted for review | supervisor, administrator |
| `due_soon` | 临期 | open, due within `due_soon_working_days` | everyone with a queue |
| `overdue` | 超期 | open, past the deadline, clock running | everyone with a queue |

For the roles that act on what is dispatched to them (verifier, supervised unit) every queue is
limited to their own unit: what was dispatched to a unit below is that unit's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true

from qingfeng.loop.machine import OPEN_STATES, Actor
from qingfeng.store.models import Warning
from qingfeng.store.scope import DISPATCHED_ONLY_ROLES


@dataclass(frozen=True)
class Queue:
    key: str
    label: str  # 中文 / English
    statuses: tuple[str, ...]  # empty: any open state (the due queues)
    due: str | None  # "soon" | "overdue" | None
    sort: str  # the loop's sort key the queue opens with (qingfeng.loop.query.SORTS)


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue("to_dispatch", "待分办 / to dispatch", ("new", "returned"), None, "-risk"),
        Queue("to_accept", "待签收 / to accept", ("dispatched",), None, "due_at"),
        Queue("verifying", "待核查 / to verify", ("verifying",), None, "due_at"),
        Queue("to_review", "待审核 / to review", ("submitted",), None, "-risk"),
        Queue("due_soon", "临期 / due soon", (), "soon", "due_at"),
        Queue("overdue", "超期 / overdue", (), "overdue", "due_at"),
    )
}

# The queues each role works from, in the order the navigation shows them; the first is home.
ROLE_QUEUES: dict[str, tuple[str, ...]] = {
    "supervisor": ("to_dispatch", "to_review", "due_soon", "overdue"),
    "administrator": ("to_dispatch", "to_review", "due_soon", "overdue"),
    "verifier": ("to_accept", "verifying", "due_soon", "overdue"),
    "supervised_unit": ("to_accept", "verifying", "due_soon", "overdue"),
}


def queues_for(role: str) -> tuple[Queue, ...]:
    return tuple(QUEUES[k] for k in ROLE_QUEUES.get(role, ()))


def home_queue(role: str) -> str | None:
    keys = ROLE_QUEUES.get(role, ())
    return keys[0] if keys else None


def queue_clause(actor: Actor, key: str) -> ColumnElement[bool]:
    """The queue's condition (on top of the user's scope, which the caller applies)."""
    q = QUEUES[key]
    conditions: list[ColumnElement[bool]] = []
    if q.statuses:
        conditions.append(Warning.status.in_(q.statuses))
    if q.due is not None:
        conditions.append(due_clause(actor, q.due))
    if actor.user.role in DISPATCHED_ONLY_ROLES and actor.user.org_id is not None:
        conditions.append(Warning.org_id == actor.user.org_id)
    return and_(*conditions) if conditions else true()


def due_clause(actor: Actor, due: str) -> ColumnElement[bool]:
    """Open, clock running, and past the deadline ("overdue") or due within the configured
    number of working days ("soon")."""
    base = [Warning.status.in_(OPEN_STATES), Warning.paused.is_(False)]
    if due == "overdue":
        return and_(*base, Warning.due_at < actor.now)
    horizon = actor.clock.end_of_day(
        actor.clock.calendar.add_working_days(
            actor.clock.local_date(actor.now), actor.config.due_soon_working_days
        )
    )
    return and_(*base, Warning.due_at >= actor.now, Warning.due_at <= horizon)


def queue_counts(actor: Actor) -> dict[str, tuple[int, bool]]:
    """Per queue of the user's role: (count, capped). Each count stops at the badge cap, so the
    navigation costs a few index walks of at most `queue_badge_cap` rows whatever the store."""
    from qingfeng.loop.query import WarningQuery, filtered

    cap = actor.config.queue_badge_cap
    out: dict[str, tuple[int, bool]] = {}
    for q in queues_for(actor.user.role):
        stmt: Select[Any] = (
            filtered(actor, WarningQuery(queue=q.key)).with_only_columns(Warning.id).limit(cap + 1)
        )
        n = actor.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        out[q.key] = (min(n, cap), n > cap)
    return out
