"""Organisational scope: which division codes a signed-in user may see.

A user belongs to one organisation; its division code prefix ("33" a province, "330102" a county,
"330102001" a township) bounds every query the back office runs. An empty prefix means the whole
store (a province-level organisation or the platform administrator's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, true


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the pages see it; built from the store's user row on every request."""

    user_id: int
    username: str
    display_name: str
    role: str
    org_id: int | None
    org_name: str
    division_prefix: str  # "" = unrestricted

    def covers(self, division_code: str | None) -> bool:
        """Whether a record located at `division_code` is inside this user's scope."""
        if not self.division_prefix:
            return True
        return bool(division_code) and str(division_code).startswith(self.division_prefix)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest all-digit string above every code starting with `prefix` ('3301' → '3302')."""
    if not prefix.isdigit():
        return None
    bumped = str(int(prefix) + 1)
    return bumped.zfill(len(prefix)) if len(bumped) <= len(prefix) else None


def division_filter(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written so that an index on `column` serves it.

    The range lets SQLite and PostgreSQL walk the index; the LIKE keeps the test exact whatever
    the collation. A prefix that is not all digits matches nothing rather than everything.
    """
    if not prefix:
        return true()
    if not prefix.isdigit():
        return false()
    clauses = [column >= prefix, column.like(prefix + "%")]
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        clauses.append(column < upper)
    return and_(*clauses)
