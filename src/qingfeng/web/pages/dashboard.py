"""The dashboard (驾驶舱): one screen of figures for the user's area; every figure links to the
warnings list behind it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from qingfeng.hits import SEVERITIES
from qingfeng.loop.machine import STATES, Actor
from qingfeng.store.scope import warning_scope_clause
from qingfeng.web.charts import Point, bars, pie
from qingfeng.web.deps import ActorDep, CatalogueDep, require
from qingfeng.web.i18n import Translator
from qingfeng.web.model_index import ModelInfo
from qingfeng.web.queries.dashboard import Overview, build_cube, cube_exact_for, overview
from qingfeng.web.queries.lookups import child_areas
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render, translator_for

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(Area.DASHBOARD))]

SEVERITY_COLOURS = {"red": "#d64541", "orange": "#e67e22", "yellow": "#d4ac0d", "blue": "#2e86c1"}
LOOP_ORDER = [s for s in STATES if s != "merged"]


def _list_url(**params: str) -> str:
    return "/warnings?" + urlencode({k: v for k, v in params.items() if v})


def child_regions(actor: Actor) -> list[tuple[str, str]]:
    """(division prefix, name) of the areas one level below the user's unit (or the unit)."""
    return child_areas(actor.session, actor.user.org_id)


def charts_for(ov: Overview, t: Translator, catalogue: dict[str, ModelInfo]) -> dict[str, Any]:
    """The six charts' ECharts options; every point carries the URL of its list."""

    def model_name(model_id: str) -> str:
        return catalogue[model_id].name if model_id in catalogue else model_id

    warnings, confirmed, overdue = t("dash.warnings"), t("dash.confirmed"), t("dash.overdue")
    by_field = sorted(ov.by_field.items(), key=lambda kv: -kv[1].count)
    field_points = [Point(t(f"field.{f}"), c.count, _list_url(field=f)) for f, c in by_field]
    severity_points = [
        Point(t(f"severity.{s}"), c.count, _list_url(severity=s), SEVERITY_COLOURS[s])
        for s in SEVERITIES
        if (c := ov.by_severity.get(s)) is not None
    ]
    region_counts = [Point(n, c.count, _list_url(region=p)) for p, n, c in ov.by_region]
    region_late = [
        Point(n, c.overdue, _list_url(region=p, due="overdue")) for p, n, c in ov.by_region
    ]
    month_counts = [Point(m, c.count, _list_url(month=m)) for m, c in ov.by_month]
    month_confirmed = [Point(m, c.confirmed, _list_url(month=m)) for m, c in ov.by_month]
    loop_points = [
        Point(s, ov.by_status[s].count if s in ov.by_status else 0, _list_url(status=s))
        for s in LOOP_ORDER
    ]
    model_counts = [Point(m, c.count, _list_url(model=m)) for m, c in ov.top_models]
    model_confirmed = [Point(m, c.confirmed, _list_url(model=m)) for m, c in ov.top_models]
    region = bars(
        "bar",
        [name for _p, name, _c in ov.by_region],
        [(warnings, region_counts), (overdue, region_late)],
    )
    # Many areas with long names: slanted and cut (whole name in the tooltip) so none overlap.
    region["xAxis"]["axisLabel"].update({"rotate": 30, "width": 90, "overflow": "truncate"})
    return {
        "field": pie(field_points),
        "severity": pie(severity_points),
        "region": region,
        "month": bars(
            "line",
            [m for m, _c in ov.by_month],
            [(warnings, month_counts), (confirmed, month_confirmed)],
        ),
        "loop": bars("bar", [t(f"status.{s}") for s in LOOP_ORDER], [(warnings, loop_points)]),
        "models": bars(
            "hbar",
            [model_name(m) for m, _c in ov.top_models],
            [(warnings, model_counts), (confirmed, model_confirmed)],
        ),
    }


@router.get("/dashboard", name="dashboard")
def dashboard(
    request: Request, principal: Viewer, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    if cube_exact_for(principal):
        cube = request.app.state.cube.get()
    else:  # a unit below township level: count its own warnings directly
        cube = build_cube(actor.session, where=warning_scope_clause(actor.session, actor.user))

    def field_of(model_id: str) -> str:
        info = catalogue.get(model_id)
        return info.field if info else "other"

    ov = overview(cube, principal, field_of, child_regions(actor))
    t = translator_for(request)
    return render(
        request,
        "dashboard.html",
        {
            "ov": ov,
            "charts": charts_for(ov, t, catalogue),
            "list_url": _list_url,
            "screened": screening_funds(actor),
        },
    )


def screening_funds(actor: Actor) -> dict[str, dict[str, Any]] | None:
    """Payments pre-payment screening held, stopped and released in the user's area (None for a
    unit without an area that is not the administrator's, or before anything was screened)."""
    from qingfeng.screening import service

    area = service.user_area(actor.session, actor.user)
    if not area and actor.user.role != "administrator":
        return None
    funds = service.funds(actor.session, area or None)
    if not any(v["candidates"] for v in funds.values()):
        return None
    return {k: {**v, "amount": Decimal(v["amount"])} for k, v in funds.items()}
