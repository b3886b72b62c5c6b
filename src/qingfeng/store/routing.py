"""The owner of every warning: its area (division code) and its responsible unit.

The engine finds a warning's area from its subject (qingfeng.engine.routing); what it cannot
place gets the workspace's county. The responsible unit is the deepest unit of the county whose
area contains the warning's (the township if there is one, else the county); a warning whose area
is outside every unit of the county goes to the county unit. The unit is set while the warning
waits for dispatch (new, returned); once dispatched, the closed loop decides where it is.

The organisational scope (qingfeng.store.scope) then makes a warning visible to its responsible
unit and every unit above it, and to the unit it is dispatched to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from qingfeng.store.models import Organisation, Warning
from qingfeng.store.scope import division_prefix

# Warnings whose responsible unit routing sets: not yet in the hands of a unit.
WAITING = ("new", "returned")


def county_code(session: Session, setting: str | None) -> str | None:
    """The county of the workspace: the `county_division_code` setting, else the division code of
    the store's only county unit (None when there is neither)."""
    if setting and setting.strip():
        return setting.strip()[:6]
    codes = session.scalars(
        select(Organisation.division_code).where(
            Organisation.kind == "county", Organisation.division_code.is_not(None)
        )
    ).all()
    return codes[0] if len(codes) == 1 else None


@dataclass
class Router:
    """Area and responsible unit of warnings, for one county; built once per sync."""

    county: str | None
    county_unit: int | None
    units: list[tuple[str, int]]  # (division code, org id) within the county, longest first
    _cache: dict[str | None, int | None] = field(default_factory=dict)

    @classmethod
    def for_store(cls, session: Session, county_setting: str | None = None) -> Router:
        """The router of the store's organisation tree. Without a county (no setting and not
        exactly one county unit) a warning goes to the deepest unit anywhere whose area contains
        its own, and has no fallback."""
        county = county_code(session, county_setting)
        rows = session.execute(
            select(Organisation.division_code, Organisation.id).where(
                Organisation.division_code.is_not(None)
            )
        ).all()
        codes = [(code, oid) for code, oid in rows if code]
        if county is None:
            return cls(None, None, sorted(codes, key=lambda r: -len(r[0])))
        inside = [(code, oid) for code, oid in codes if code.startswith(county)]
        # The county unit: the unit whose area is the county, else the deepest unit above it.
        above = [(code, oid) for code, oid in codes if county.startswith(code)]
        unit = max(above, key=lambda r: len(r[0]))[1] if above else None
        return cls(county, unit, sorted(inside, key=lambda r: -len(r[0])))

    def area(self, code: str | None) -> str | None:
        """The warning's area: its own, else the county's."""
        return code if code else self.county

    def unit(self, code: str | None) -> int | None:
        """The responsible unit of an area (None only when the store has no unit for it)."""
        if code in self._cache:
            return self._cache[code]
        found = self.county_unit
        if code:
            found = next((oid for prefix, oid in self.units if code.startswith(prefix)), found)
        self._cache[code] = found
        return found


def reroute(session: Session, county_setting: str | None = None) -> int:
    """Give every warning an area and, while it waits for dispatch, its responsible unit from
    the current organisation tree. Set-based: the county unit first, then each deeper unit over
    its own area (so the deepest wins). Returns the number of warnings waiting for dispatch."""
    router = Router.for_store(session, county_setting)
    if router.county is None:
        return 0
    session.execute(
        update(Warning)
        .where(Warning.division_code.is_(None))
        .values(division_code=router.county)
        .execution_options(synchronize_session=False)
    )
    waiting = Warning.status.in_(WAITING)
    steps: list[tuple[str | None, int]] = []  # (area prefix or None for all, unit)
    if router.county_unit is not None:
        steps.append((None, router.county_unit))
    deeper = sorted(router.units, key=lambda r: len(r[0]))  # shortest first: the deepest wins
    steps += deeper
    for code, oid in steps:
        where = [waiting, or_(Warning.org_id.is_(None), Warning.org_id != oid)]
        if code is not None:
            where.append(division_prefix(Warning.division_code, code))
        session.execute(
            update(Warning)
            .where(*where)
            .values(org_id=oid)
            .execution_options(synchronize_session=False)
        )
    return int(session.scalar(select(func.count()).where(waiting)) or 0)
