"""The signed-in user as pages see it, with the organisational scope computed once per request.

Warnings are always read through `qingfeng.store.scope.scoped_warnings` (the closed loop's
contract); `Principal` carries the same scope (the organisation subtree and its area prefixes) for
the back office's other records (people, organisations) and for quick checks in templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    org_id: int | None
    org_name: str
    org_ids: tuple[int, ...] = ()  # the organisation and every unit below it
    prefixes: tuple[str, ...] = ()  # division-code prefixes the subtree covers
    must_change_password: bool = False  # a temporary password: every page asks for a new one

    def covers(self, division_code: str | None) -> bool:
        """Whether a record located at `division_code` lies inside this user's area."""
        return bool(division_code) and any(str(division_code).startswith(p) for p in self.prefixes)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest all-digit string above every code starting with `prefix` ('3301' → '3302')."""
    if not prefix.isdigit():
        return None
    bumped = str(int(prefix) + 1)
    return bumped.zfill(len(prefix)) if len(bumped) <= len(prefix) else None


def division_filter(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written so that an index on `column` serves it.

    The range lets SQLite and PostgreSQL walk the index; the LIKE keeps the test exact whatever
    the collation. A prefix that is not all digits matches nothing.
    """
    if not prefix.isdigit():
        return false()
    clauses = [column >= prefix, column.like(prefix + "%")]
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        clauses.append(column < upper)
    return and_(*clauses)


def area_filter(column: Any, principal: Principal) -> ColumnElement[bool]:
    """Records of other tables (people, places) located inside the user's area."""
    if not principal.prefixes:
        return false()
    return or_(*(division_filter(column, p) for p in principal.prefixes))
