"""The leader's big screen (驾驶舱大屏): the dashboard laid out for a 1920×1080 wall display.

Full screen on request, refreshed every minute in place, every tile and chart element a link to
the warnings list filtered to what it counts. The map is a tile map by division code: one block
per township, one cell per village, coloured by open leads or by the money they put at risk.
No boundary data ships for townships and villages, so nothing is drawn from geography and
nothing is fetched at run time.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from qingfeng.hits import SEVERITIES
from qingfeng.loop.machine import Actor
from qingfeng.store.scope import warning_scope_clause
from qingfeng.web.charts import Point, bars, pie
from qingfeng.web.deps import ActorDep, CatalogueDep, require
from qingfeng.web.i18n import Translator
from qingfeng.web.model_index import ModelInfo
from qingfeng.web.pages.dashboard import LOOP_ORDER, SEVERITY_COLOURS, child_regions
from qingfeng.web.queries.dashboard import (
    KEY_DIGITS,
    Cell,
    Cube,
    Overview,
    build_cube,
    cube_exact_for,
    in_scope,
    overview,
)
from qingfeng.web.queries.lookups import org_names, place_names
from qingfeng.web.queries.screen import (
    OPEN_LEADS,
    SCREEN_TTL_S,
    ScreenCube,
    Township,
    build_screen,
    period_trend,
    township_tiles,
)
from qingfeng.web.regions import region_names
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal, area_filter
from qingfeng.web.templating import render, translator_for

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(Area.DASHBOARD))]

REFRESH_S = 60  # the page polls at the caches' lifetime: figures are at most a minute old
UNITS_SHOWN = 10
METRICS = ("open", "amount")
# Tile colours from calm to alarming (five steps, by share of the largest value on the map).
SCALE = ("#16454f", "#1f6f6a", "#b38a1d", "#c8612a", "#c73a34")


def _list_url(**params: Any) -> str:
    return "/warnings?" + urlencode({k: v for k, v in params.items() if v})


def big_money(amount: Decimal, t: Translator) -> str:
    """A KPI's amount in a box a wall display can read: in 万元 / millions from a million up."""
    if abs(amount) < 1_000_000:
        return f"¥{amount:,.2f}"
    if t.lang == "zh":
        return t("screen.wan", n=f"{amount / 10_000:,.1f}")
    return t("screen.wan", n=f"{amount / 1_000_000:,.1f}")


def _step(value: float, top: float) -> int:
    if value <= 0 or top <= 0:
        return -1
    return min(len(SCALE) - 1, int(value / top * len(SCALE)))


def _place_names(actor: Actor, principal: Principal) -> dict[str, str]:
    """Division code → name: the portal's registry of townships and villages, then the units."""
    names: dict[str, str] = {}
    if principal.prefixes:
        names.update(place_names(actor.session, lambda code: area_filter(code, principal)))
    return names


def _units_by_overdue(
    actor: Actor, cube: Cube, principal: Principal
) -> list[tuple[int, str, Cell]]:
    keep = in_scope(principal)
    by_org: dict[int, Cell] = defaultdict(Cell)
    for (t9, org), part in cube.parts.items():
        if org and keep(t9, org):
            by_org[org].add(part.totals)
    ranked = sorted(
        ((o, c) for o, c in by_org.items() if c.overdue),
        key=lambda oc: (-oc[1].overdue, -oc[1].count, oc[0]),
    )[:UNITS_SHOWN]
    if not ranked:
        return []
    names = org_names(actor.session, [o for o, _c in ranked])
    return [(o, names.get(o, str(o)), c) for o, c in ranked]


def screen_charts(
    ov: Overview,
    periods: list[tuple[str, Any]],
    units: list[tuple[int, str, Cell]],
    t: Translator,
    catalogue: dict[str, ModelInfo],
) -> dict[str, Any]:
    warnings, overdue = t("dash.warnings"), t("dash.overdue")
    # A period is a month, a year or a span; one spanning every period is named in words.
    period_names = [t.maybe(f"period.{p}", p) for p, _tl in periods]
    period_points = [
        Point(name, tl.count, _list_url(period=p))
        for name, (p, tl) in zip(period_names, periods, strict=True)
    ]
    month_points = [Point(m, c.count, _list_url(month=m)) for m, c in ov.by_month]
    unit_points = [Point(n, c.overdue, _list_url(org=o, due="overdue")) for o, n, c in units]
    severity_points = [
        Point(t(f"severity.{s}"), c.count, _list_url(severity=s), SEVERITY_COLOURS[s])
        for s in SEVERITIES
        if (c := ov.by_severity.get(s)) is not None
    ]
    field_points = [
        Point(t(f"field.{f}"), c.count, _list_url(field=f))
        for f, c in sorted(ov.by_field.items(), key=lambda kv: -kv[1].count)
    ]
    loop_points = [
        Point(s, ov.by_status[s].count if s in ov.by_status else 0, _list_url(status=s))
        for s in LOOP_ORDER
    ]
    return {
        "period": bars("line", period_names, [(warnings, period_points)]),
        "found": bars("line", [m for m, _c in ov.by_month], [(warnings, month_points)]),
        "units": bars("hbar", [n for _o, n, _c in units], [(overdue, unit_points)]),
        "severity": pie(severity_points),
        "field": pie(field_points),
        "loop": bars("bar", [t(f"status.{s}") for s in LOOP_ORDER], [(warnings, loop_points)]),
    }


def _figures(request: Request, principal: Principal, actor: Actor) -> tuple[Cube, ScreenCube]:
    if cube_exact_for(principal):
        return request.app.state.cube.get(), request.app.state.screen.get()
    # A unit below township level: its own warnings, counted directly.
    where = warning_scope_clause(actor.session, actor.user)
    return build_cube(actor.session, where=where), build_screen(actor.session, where=where)


def _colour(tiles: list[Township], metric: str) -> dict[str, int]:
    """Division code → colour step, townships and villages each on their own scale."""

    def value(x: Any) -> float:
        return float(x.amount) if metric == "amount" else float(x.open)

    steps: dict[str, int] = {}
    top_t = max((value(t) for t in tiles), default=0.0)
    top_v = max((value(v) for t in tiles for v in t.villages), default=0.0)
    for tile in tiles:
        steps[tile.code] = _step(value(tile), top_t)
        for v in tile.villages:
            steps[v.code] = _step(value(v), top_v)
    return steps


@router.get("/dashboard/screen", name="dashboard_screen")
def dashboard_screen(
    request: Request,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
    metric: Annotated[str, Query(pattern="^(open|amount)$")] = "open",
) -> Response:
    cube, screen = _figures(request, principal, actor)

    def field_of(model_id: str) -> str:
        info = catalogue.get(model_id)
        return info.field if info else "other"

    regions = child_regions(actor)
    ov = overview(cube, principal, field_of, regions)
    keep = in_scope(principal)
    names = _place_names(actor, principal)
    namer = region_names(actor)
    t = translator_for(request)
    townships = [(c, n) for c, n in regions if len(c) >= 9]
    exact = dict(namer.prefixes)

    def name_of(code: str) -> str:
        # A place's own name (registry, then unit). A code above township level holds the
        # leads of the area's own offices (本级); a village without a registered name is shown
        # by its number, its township and full code in the tooltip.
        if code in names:
            return names[code]
        if len(code) < KEY_DIGITS:
            return t("screen.own_level", name=exact.get(code) or namer.get(code, code))
        if code in exact:
            return exact[code]
        return code[-3:] if len(code) > KEY_DIGITS else f"{namer.get(code, '')} {code}".strip()

    tiles = township_tiles(
        screen,
        keep,
        townships,
        name_of,
        villages=[c for c in names if len(c) > 9],
    )
    units = _units_by_overdue(actor, cube, principal)
    periods = period_trend(screen, keep)
    # The KPIs count every open lead in scope, those without a division code too.
    open_cells = [ov.by_status[s] for s in OPEN_LEADS if s in ov.by_status]
    open_leads = sum(c.count for c in open_cells)
    at_risk = sum((c.amount for c in open_cells), Decimal(0))
    return render(
        request,
        "screen.html",
        {
            "ov": ov,
            "tiles": tiles,
            "steps": _colour(tiles, metric),
            "scale": SCALE,
            "metric": metric,
            "metrics": METRICS,
            "open_leads": open_leads,
            "at_risk": at_risk,
            "units": units,
            "charts": screen_charts(ov, periods, units, t, catalogue),
            "list_url": _list_url,
            "big_money": lambda amount: big_money(amount, t),
            "refresh_s": REFRESH_S,
            "built_at": min(ov.built_at, screen.built_at),
            "ttl_s": int(SCREEN_TTL_S),
        },
    )
