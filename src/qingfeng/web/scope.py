"""The signed-in user as pages see it, with the organisational scope computed once per request.

Warnings are always read through `qingfeng.store.scope.scoped_warnings` (the closed loop's
contract); `Principal` carries the same scope (the organisation subtree and its area prefixes) for
the back office's other records (people, organisations) and for quick checks in templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_

from qingfeng.store.scope import division_prefix


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


def area_filter(column: Any, principal: Principal) -> ColumnElement[bool]:
    """Records of other tables (people, places) located inside the user's area."""
    if not principal.prefixes:
        return false()
    return or_(*(division_prefix(column, p) for p in principal.prefixes))
