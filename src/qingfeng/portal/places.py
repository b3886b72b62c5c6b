"""The places the public portal offers (complaint form, disclosure filters), drawn from the
county's own data: the organisation tree (county, townships) and the household registry in the
lake (villages with their names). Places loaded by hand (`qingfeng portal divisions` or the API)
are kept as they are and win over the derived ones.

`ensure_places` refreshes `portal_divisions` at most once per interval per process, so the first
visitor after a registry upload sees its villages without anyone running a command.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.divisions import is_division_code
from qingfeng.portal.models import PortalDivision
from qingfeng.settings import Settings
from qingfeng.store.models import Organisation

log = logging.getLogger(__name__)

LEVELS = {6: "county", 9: "township", 12: "village"}

# A supervising unit is named after its place plus the body's title (某镇纪委, 某县纪委监委,
# 某街道纪工委, 某乡纪检监察办公室): the place is the name without that title.
_BODY_TITLE = re.compile(
    r"(纪律检查委员会|监察委员会|纪委监委|纪检监察工委|纪检监察工作委员会|纪检监察办公室|"
    r"纪检监察室|纪工委|纪委|监委)$"
)


def place_name(org_name: str) -> str:
    """The place an organisation of the tree is named after (its name without the body's
    title); the whole name when it carries no such title."""
    name = org_name.strip()
    return _BODY_TITLE.sub("", name).strip() or name


LakeConnect = Callable[[Settings], Any]

# One DuckDB query over the registry: a name per village code (the most frequent spelling).
REGISTRY_SQL = """
SELECT division_code, mode(trim(village_name)) AS name
FROM household_registry
WHERE division_code IS NOT NULL AND length(division_code) = 12
  AND village_name IS NOT NULL AND trim(village_name) <> ''
GROUP BY division_code
ORDER BY division_code
"""


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str


def _in_county(code: str, county: str) -> bool:
    return not county or code.startswith(county)


def org_places(session: Session, county: str) -> list[Place]:
    """Counties and townships of the organisation tree with a full division code."""
    rows = session.execute(
        select(Organisation.division_code, Organisation.name).where(
            Organisation.division_code.is_not(None)
        )
    ).all()
    out = []
    for code, name in rows:
        code = (code or "").strip()
        if not is_division_code(code) or not _in_county(code, county):
            continue
        # A 9-digit township unit names the township, padded to the 12-digit place code.
        full = code.ljust(12, "0") if len(code) == 9 else code
        out.append(Place(full, place_name(str(name)), LEVELS[len(code)]))
    return out


def registry_places(con: Any, county: str) -> list[Place]:
    """Villages named in the household registry of the lake."""
    rows = con.execute(REGISTRY_SQL).fetchall()
    return [
        Place(code, name[:100], "village")
        for code, name in rows
        if is_division_code(code) and _in_county(code, county)
    ]


def sync_places(session: Session, places: list[Place]) -> int:
    """Add the places `portal_divisions` lacks; places already there (loaded by hand or
    earlier) keep their names. Returns how many were added."""
    have = set(session.scalars(select(PortalDivision.code)))
    added = 0
    for p in sorted({p.code: p for p in places}.values(), key=lambda p: p.code):
        if p.code in have:
            continue
        session.add(PortalDivision(code=p.code, name=p.name, level=p.level))
        have.add(p.code)
        added += 1
    session.flush()
    return added


def derived_places(
    session: Session, settings: Settings, connect: LakeConnect | None
) -> list[Place]:
    """Places from the organisation tree, then from the registry when the lake answers. A lake
    that cannot be read (a portal host without it) leaves the tree's places."""
    county = settings.county_division_code
    places = org_places(session, county)
    if connect is None:
        return places
    con = None
    try:
        con = connect(settings)
        places += _with_township(registry_places(con, county), places)
    except Exception as exc:  # the lake is optional for the portal: say why, keep going
        log.warning("portal places: household registry not read (%s)", type(exc).__name__)
    finally:
        if con is not None:
            con.close()
    return places


def _with_township(villages: list[Place], known: list[Place]) -> list[Place]:
    """Villages named with their township in front (某镇甲村), as people say them, when the
    township is known and the registry's name does not already start with it."""
    towns = {p.code[:9]: p.name for p in known if p.level == "township"}
    out = []
    for v in villages:
        town = towns.get(v.code[:9], "")
        name = v.name if not town or v.name.startswith(town) else f"{town}{v.name}"
        out.append(Place(v.code, name[:100], v.level))
    return out


class PlaceRefresher:
    """Refreshes `portal_divisions` from the county's data at most every `interval_s`."""

    def __init__(self, settings: Settings, connect: LakeConnect | None, interval_s: float = 300):
        self.settings = settings
        self.connect = connect
        self.interval_s = interval_s
        self._last = float("-inf")
        self._lock = threading.Lock()

    def ensure(self, session: Session, *, force: bool = False) -> int:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.interval_s:
                return 0
            self._last = now
        return sync_places(session, derived_places(session, self.settings, self.connect))


def default_lake_connect(settings: Settings) -> Any:
    from qingfeng.lake import connect

    return connect(settings)
