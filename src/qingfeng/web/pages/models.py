"""Models (监督模型): the catalogue in plain words, each model's hits and precision in the user's
area (from the closed loop's outcomes), and the run history from model_runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from qingfeng.audit import log as audit
from qingfeng.store.models import ModelRun
from qingfeng.web.deps import ActorDep, CatalogueDep, csrf_protect, require
from qingfeng.web.model_index import ModelInfo
from qingfeng.web.model_runs import runner_for
from qingfeng.web.pages.dashboard import child_regions
from qingfeng.web.queries.dashboard import Cell, build_cube, cube_exact_for, overview
from qingfeng.web.queries.lookups import recent_runs
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import is_htmx, render

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(Area.MODELS))]
RUNS_SHOWN = 50
RUN_ROLES = frozenset({"model_builder", "administrator"})  # who may start a run


@dataclass(frozen=True)
class ModelRow:
    id: str
    info: ModelInfo | None
    outcome: Cell
    last_run: ModelRun | None
    flagged: bool

    @property
    def precision(self) -> float | None:
        o = self.outcome
        return o.confirmed / o.verified if o.verified else None


def _outcomes(request: Request, actor: ActorDep, principal: Principal) -> dict[str, Cell]:
    """Per model counts in the user's scope, from the dashboard's cached cube."""
    if cube_exact_for(principal):
        cube = request.app.state.cube.get()
    else:
        from qingfeng.store.scope import warning_scope_clause

        cube = build_cube(actor.session, where=warning_scope_clause(actor.session, actor.user))
    return overview(cube, principal, lambda _m: "other", child_regions(actor)).by_model


@router.get("/models", name="models")
def models_page(
    request: Request, principal: Viewer, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    outcomes = _outcomes(request, actor, principal)
    runs = recent_runs(actor.session, RUNS_SHOWN)
    last: dict[str, ModelRun] = {}
    for run in runs:
        last.setdefault(run.model_id, run)
    config = actor.config
    rows = []
    for model_id in sorted(set(catalogue) | set(outcomes) | set(last)):
        cell = outcomes.get(model_id, Cell())
        precision = cell.confirmed / cell.verified if cell.verified else None
        flagged = (
            precision is not None
            and cell.verified >= config.low_precision_min_verified
            and precision < config.low_precision_threshold
        )
        rows.append(ModelRow(model_id, catalogue.get(model_id), cell, last.get(model_id), flagged))
    rows.sort(key=lambda r: (-r.outcome.count, r.id))
    return render(
        request,
        "models.html",
        {
            "rows": rows,
            "runs": runs,
            "catalogue": catalogue,
            "may_run": principal.role in RUN_ROLES,
            "run": runner_for(request.app.state).snapshot,
        },
    )


@router.post("/models/run", name="models_run", dependencies=[Depends(csrf_protect)])
def start_run(
    request: Request,
    principal: Viewer,
    actor: ActorDep,
    model_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Start the selected models (none selected: all) in the background."""
    from qingfeng.engine.errors import ModelNotFoundError

    if principal.role not in RUN_ROLES:
        raise HTTPException(status_code=403, detail=f"role {principal.role} may not run models")
    runner = runner_for(request.app.state)
    chosen = [m for m in (model_ids or []) if m]
    try:
        started = runner.start(request.app.state.settings, chosen or None, principal.username)
    except ModelNotFoundError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    message = None
    if started:
        audit.append(
            actor.session,
            principal.username,
            "models.run",
            "model_run",
            "web",
            {"models": chosen or "all"},
        )
        actor.session.commit()
    else:
        message = "models.run_busy"
    if not is_htmx(request) and started:
        return RedirectResponse("/models#run", status_code=303)
    return render(
        request,
        "partials/_run_progress.html",
        {"run": runner.snapshot, "message": message},
        status_code=200 if started or is_htmx(request) else 409,
    )


@router.get("/models/run/progress", name="models_run_progress")
def run_progress(request: Request, principal: Viewer) -> Response:
    """The progress fragment the Models page polls every second while a run is going."""
    return render(
        request, "partials/_run_progress.html", {"run": runner_for(request.app.state).snapshot}
    )


@router.get("/models/{model_id}", name="model_detail")
def model_detail(
    request: Request,
    model_id: str,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    info = catalogue.get(model_id)
    runs = recent_runs(actor.session, RUNS_SHOWN, model_id)
    if info is None and not runs:
        raise HTTPException(status_code=404, detail=f"no model {model_id!r}")
    outcome = _outcomes(request, actor, principal).get(model_id, Cell())
    # the profile and parameter values of the latest run that recorded them
    last = next((r for r in runs if r.parameters), None)
    used = json.loads(last.parameters) if last and last.parameters else {}
    return render(
        request,
        "model_detail.html",
        {"id": model_id, "m": info, "runs": runs, "o": outcome, "last_run": last, "used": used},
    )
