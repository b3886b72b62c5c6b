"""Region names for division codes, from the organisation tree inside the user's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from qingfeng.loop.machine import Actor
from qingfeng.store.models import Organisation
from qingfeng.store.scope import subtree_ids


@dataclass(frozen=True)
class RegionNamer:
    """Names a division code by the deepest unit whose area contains it."""

    prefixes: tuple[tuple[str, str], ...]  # (prefix, name), longest prefix first

    def get(self, code: str | None, default: str | None = None) -> str:
        if code:
            for prefix, name in self.prefixes:
                if code.startswith(prefix):
                    return name
        return default if default is not None else (code or "—")


def _units(actor: Actor) -> list[tuple[str, str, str]]:
    """(division code, name, path) of the units with an area in the user's subtree."""
    if actor.user.org_id is None:
        return []
    home = actor.session.get(Organisation, actor.user.org_id)
    if home is None:
        return []
    rows = actor.session.execute(
        select(Organisation.division_code, Organisation.name, Organisation.path)
        .where(
            Organisation.id.in_(subtree_ids(actor.session, home)),
            Organisation.division_code.is_not(None),
        )
        .order_by(Organisation.path)
    )
    return [(code, name, path) for code, name, path in rows if code]


def region_names(actor: Actor) -> RegionNamer:
    units = _units(actor)
    return RegionNamer(tuple(sorted(((c, n) for c, n, _p in units), key=lambda r: -len(r[0]))))


def region_options(actor: Actor) -> list[tuple[str, str]]:
    """The areas below the user's own unit, for the region filter (tree order, indented)."""
    units = _units(actor)
    if not units:
        return []
    top = min(p.count("/") for _c, _n, p in units)
    return [(c, "\u3000" * (p.count("/") - top) + n) for c, n, p in units]
