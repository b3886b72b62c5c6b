"""Organisational scope: which warnings a user may see at all.

A user sees the warnings of their organisation's subtree: those whose division_code lies in the
area of their unit or any unit below it, and those dispatched to their unit or a unit below it
(a dispatched team has no area and sees only what it was given). Verifiers and supervised units
see only what was dispatched to their unit or below it, never the undispatched rest of the area:
they act on what they were given. Every read of warnings — API,
pages, CLI, exports — starts from `scoped_warnings`, so typing another county's id finds nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from qingfeng.store.models import Organisation, User, Warning


def subtree_ids(session: Session, org: Organisation) -> list[int]:
    """Ids of the organisation and every unit below it."""
    return list(
        session.scalars(select(Organisation.id).where(Organisation.path.startswith(org.path)))
    )


def subtree_prefixes(session: Session, org: Organisation) -> list[str]:
    """The area prefixes the subtree covers, without prefixes already covered by a shorter one."""
    codes = sorted(
        {
            code
            for code in session.scalars(
                select(Organisation.division_code).where(
                    Organisation.path.startswith(org.path),
                    Organisation.division_code.is_not(None),
                )
            )
            if code
        },
        key=len,
    )
    kept: list[str] = []
    for code in codes:
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept


def warning_scope_clause(session: Session, user: User) -> ColumnElement[bool]:
    """The WHERE clause restricting warnings to what `user` may see (false if nothing)."""
    if not user.active or user.org_id is None:
        return false()
    org = session.get(Organisation, user.org_id)
    if org is None:
        return false()
    if user.role in DISPATCHED_ONLY_ROLES:
        return Warning.org_id.in_(subtree_ids(session, org))
    return org_scope_clause(session, org)


# Roles that act on what was dispatched to their unit and see nothing else of its area.
DISPATCHED_ONLY_ROLES = frozenset({"verifier", "supervised_unit"})


def org_scope_clause(session: Session, org: Organisation) -> ColumnElement[bool]:
    """The warnings in an organisation's subtree (its area and what was dispatched to it)."""
    ids = subtree_ids(session, org)
    conditions: list[ColumnElement[bool]] = [Warning.org_id.in_(ids)]
    conditions += [
        division_prefix(Warning.division_code, p) for p in subtree_prefixes(session, org)
    ]
    return or_(*conditions)


def division_prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with the all-digit `prefix`, as a range an index can serve.

    '522701' → column >= '522701' AND column < '522702'. (LIKE 'x%' cannot use an index on
    SQLite, whose LIKE is case-insensitive, nor on PostgreSQL outside the C collation.) Division
    codes are digits only, so the range is exact; a prefix of all nines has no upper bound.
    """
    if not prefix.isdigit():
        return false()
    upper = str(int(prefix) + 1).zfill(len(prefix))
    if len(upper) > len(prefix):
        return and_(column >= prefix, column.is_not(None))
    return and_(column >= prefix, column < upper)


def scoped_warnings(session: Session, user: User) -> Select[Warning]:
    """`select(Warning)` limited to the user's organisational scope; add filters to it."""
    return select(Warning).where(warning_scope_clause(session, user))


def can_see_warning(session: Session, user: User, warning_id: int) -> Warning | None:
    """The warning if it exists and is in scope, else None (never says which)."""
    return session.scalar(scoped_warnings(session, user).where(Warning.id == warning_id))


# --- areas of other records (publications, portal places, the workspace's lake) ---------------
def user_area(session: Session, user: User) -> list[str]:
    """The division-code prefixes the user's organisation subtree covers."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    return subtree_prefixes(session, org) if org is not None and user.active else []


def covers(area: list[str], code: str | None) -> bool:
    """Whether a record located at `code` lies inside `area`."""
    return bool(code) and any(str(code).startswith(p) for p in area)


def workspace_codes(session: Session, county_code: str = "") -> list[str]:
    """The area whose data the workspace holds: its county (settings.county_division_code), or —
    when none is configured — every county organisation in the store (failing that, the
    organisations at the top of the tree)."""
    if county_code:
        return [county_code]
    rows = session.execute(
        select(Organisation.kind, Organisation.division_code, Organisation.parent_id)
    ).all()
    orgs = [(kind, code, parent) for kind, code, parent in rows if code]
    counties = [code for kind, code, _parent in orgs if kind == "county"]
    return counties or [code for _kind, code, parent in orgs if parent is None]


def covers_workspace(session: Session, user: User, county_code: str = "") -> bool:
    """Whether the user's area holds the whole of the workspace's county: the lake, its uploads,
    quality and quarantine, the audit log, and county-wide disclosures are that county's."""
    codes = workspace_codes(session, county_code)
    area = user_area(session, user)
    return bool(codes) and all(covers(area, code) for code in codes)


def place_in_scope(
    session: Session, user: User, division_code: str | None, county_code: str = ""
) -> bool:
    """A record located at `division_code` (a disclosure, a portal place) is the user's when it
    lies in their area; one without a code is county-wide, the workspace's."""
    if division_code:
        return covers(user_area(session, user), division_code)
    return covers_workspace(session, user, county_code)
