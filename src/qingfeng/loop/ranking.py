"""督办: units ranked by their overdue work, for supervisors and leaders.

Each unit of the reader's subtree with the warnings it holds (`warnings.org_id`) in a state with a
deadline: how many are overdue (超期, clock running), due soon, escalated, and how late the oldest
is in working days. Ranked by overdue count, then by the oldest delay, then by open work. One
grouped query over the indexed org_id; no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from qingfeng.loop.calendar import Clock
from qingfeng.loop.errors import PermissionDenied
from qingfeng.loop.machine import OPEN_STATES, Actor
from qingfeng.store.models import Organisation, Warning
from qingfeng.store.scope import subtree_ids

RANKING_ROLES = frozenset({"administrator", "supervisor", "leader"})


@dataclass(frozen=True)
class UnitRank:
    rank: int
    org_id: int
    name: str
    kind: str
    division_code: str | None
    open: int
    overdue: int
    due_soon: int
    escalated: int
    oldest_due: datetime | None  # the earliest deadline among its overdue warnings
    late_days: int  # working days the oldest overdue one is late


def rank_units(actor: Actor, *, include_idle: bool = True) -> list[UnitRank]:
    if actor.user.role not in RANKING_ROLES:
        raise PermissionDenied(
            f"角色 {actor.user.role} 无权查看督办排名 / "
            f"role {actor.user.role} may not see the ranking"
        )
    home = actor.session.get(Organisation, actor.user.org_id) if actor.user.org_id else None
    if home is None:
        raise PermissionDenied(f"user {actor.user.username} belongs to no organisation")
    clock = Clock.from_config(actor.config)
    now = actor.now
    horizon = clock.end_of_day(
        clock.calendar.add_working_days(clock.local_date(now), actor.config.due_soon_working_days)
    )
    ids = subtree_ids(actor.session, home)
    running = and_(Warning.paused.is_(False), Warning.due_at.is_not(None))
    overdue = and_(running, Warning.due_at < now)
    soon = and_(running, Warning.due_at >= now, Warning.due_at <= horizon)
    rows = actor.session.execute(
        select(
            Warning.org_id,
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((soon, 1), else_=0)),
            func.sum(case((Warning.escalation_level > 0, 1), else_=0)),
            func.min(case((overdue, Warning.due_at), else_=None)),
        )
        .where(Warning.org_id.in_(ids), Warning.status.in_(OPEN_STATES))
        .group_by(Warning.org_id)
    ).all()
    counts = {row[0]: row[1:] for row in rows}
    units = actor.session.execute(
        select(
            Organisation.id, Organisation.name, Organisation.kind, Organisation.division_code
        ).where(Organisation.id.in_(ids))
    ).all()
    found = []
    for org_id, name, kind, code in units:
        n_open, n_over, n_soon, n_esc, oldest = counts.get(org_id, (0, 0, 0, 0, None))
        if not n_open and not include_idle:
            continue
        oldest_at = _aware(oldest)
        late = (
            clock.calendar.working_days_between(clock.local_date(oldest_at), clock.local_date(now))
            if oldest_at
            else 0
        )
        found.append(
            (org_id, name, kind, code, int(n_open), int(n_over or 0), int(n_soon or 0),
             int(n_esc or 0), oldest_at, late)
        )  # fmt: skip
    found.sort(key=lambda r: (-r[5], -r[9], -r[4], r[1]))
    return [UnitRank(i, *r) for i, r in enumerate(found, 1)]


def _aware(value: datetime | str | None) -> datetime | None:
    """MIN() over a CASE loses the column type: SQLite hands back text, PostgreSQL an aware
    timestamp. Both are UTC."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
