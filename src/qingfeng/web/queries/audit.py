"""The audit-log viewer's data: filtered, newest first, paged by sequence number (keyset)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from qingfeng.store.models import AuditLog, Organisation, User
from qingfeng.store.scope import subtree_ids
from qingfeng.web.queries.warnings import FilterError
from qingfeng.web.scope import Principal

PAGE = 50
_TOKEN = re.compile(r"^[\w.:\-]{1,80}$")


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""  # prefix, e.g. "warning." or "auth.sign_in"
    object_type: str = ""
    object_id: str = ""
    day_from: date | None = None
    day_to: date | None = None
    before: int | None = None  # show rows with seq below this (next page)

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> AuditFilters:
        values: dict[str, Any] = {}
        for name in ("actor", "action", "object_type", "object_id"):
            raw = (params.get(name) or "").strip()
            if raw and not _TOKEN.match(raw):
                raise FilterError(name, raw, "letters, digits and . : _ - only")
            values[name] = raw
        for name in ("day_from", "day_to"):
            raw = (params.get(name) or "").strip()
            if raw:
                try:
                    values[name] = date.fromisoformat(raw)
                except ValueError:
                    raise FilterError(name, raw, "a date is written YYYY-MM-DD") from None
        raw = (params.get("before") or "").strip()
        if raw:
            if not raw.isdigit():
                raise FilterError("before", raw, "must be a sequence number")
            values["before"] = int(raw)
        return cls(**values)


@dataclass
class AuditPage:
    rows: list[AuditLog]
    next_before: int | None
    scoped: bool  # limited to the actors of the user's organisation subtree


def _actors_in_scope(session: Session, principal: Principal) -> list[str] | None:
    """None for an auditor at the top of the tree (sees everything, system entries included);
    otherwise the usernames of the people in their organisation's subtree."""
    if principal.org_id is None:
        return []
    org = session.get(Organisation, principal.org_id)
    if org is None:
        return []
    if org.parent_id is None:
        return None
    return list(
        session.scalars(select(User.username).where(User.org_id.in_(subtree_ids(session, org))))
    )


def list_audit(session: Session, principal: Principal, f: AuditFilters) -> AuditPage:
    stmt: Select[Any] = select(AuditLog)
    actors = _actors_in_scope(session, principal)
    if actors is not None:
        stmt = stmt.where(AuditLog.actor.in_(actors))
    if f.actor:
        stmt = stmt.where(AuditLog.actor == f.actor)
    if f.action:
        stmt = stmt.where(AuditLog.action.startswith(f.action, autoescape=True))
    if f.object_type:
        stmt = stmt.where(AuditLog.object_type == f.object_type)
    if f.object_id:
        stmt = stmt.where(AuditLog.object_id == f.object_id)
    if f.day_from:
        stmt = stmt.where(AuditLog.at >= datetime.combine(f.day_from, datetime.min.time(), UTC))
    if f.day_to:
        end = datetime.combine(f.day_to + timedelta(days=1), datetime.min.time(), UTC)
        stmt = stmt.where(AuditLog.at < end)
    if f.before is not None:
        stmt = stmt.where(AuditLog.seq < f.before)
    rows = list(session.scalars(stmt.order_by(AuditLog.seq.desc()).limit(PAGE + 1)))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return AuditPage(rows, rows[-1].seq if more and rows else None, actors is not None)
