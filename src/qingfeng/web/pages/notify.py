"""Notifications (站内提醒), the 督办 ranking of units, and printable 督办单 / 提醒函."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qingfeng.loop import notifications
from qingfeng.loop.errors import LoopError
from qingfeng.loop.letters import LETTER_KINDS, LETTER_ROLES, build_letter, render_letter
from qingfeng.loop.ranking import rank_units
from qingfeng.loop.service import get_warning
from qingfeng.web.deps import ActorDep, CatalogueDep, PrincipalDep, csrf_protect, require
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render
from qingfeng.web.third_parties import layouts

router = APIRouter(dependencies=[Depends(csrf_protect)])
Supervisor = Annotated[Principal, Depends(require(Area.SUPERVISION))]
Viewer = Annotated[Principal, Depends(require(Area.WARNINGS))]


@router.get("/notifications", name="notifications")
def notifications_page(request: Request, principal: PrincipalDep, actor: ActorDep) -> Response:
    unread_only = request.query_params.get("unread") == "1"
    items = notifications.list_for(actor.session, principal.user_id, unread_only=unread_only)
    return render(
        request,
        "notifications.html",
        {"items": items, "unread_only": unread_only},
    )


@router.post("/notifications/read", name="notifications_read")
async def mark_read(request: Request, principal: PrincipalDep, actor: ActorDep) -> Response:
    """Mark one notification (`id`) or all of them (`all=1`) read; then back to the list, or
    on to the warning it names (`next=warning`)."""
    form = await request.form()
    raw = form.get("id")
    ids: list[int] | None
    if form.get("all") == "1":
        ids = None
    elif isinstance(raw, str) and raw.isdigit() and len(raw) <= 10:
        ids = [int(raw)]
    else:
        raise HTTPException(status_code=400, detail="name a notification (id) or all=1")
    notifications.mark_read(actor.session, principal.user_id, ids, actor.now)
    actor.session.commit()
    target = form.get("warning")
    if isinstance(target, str) and target.isdigit() and len(target) <= 10:
        return RedirectResponse(f"/warnings/{target}", status_code=303)
    return RedirectResponse("/notifications", status_code=303)


@router.get("/supervision", name="supervision")
def ranking_page(request: Request, principal: Supervisor, actor: ActorDep) -> Response:
    """督办排名: the units of the reader's organisation by overdue warnings."""
    busy = request.query_params.get("busy") == "1"
    try:
        rows = rank_units(actor, include_idle=not busy)
    except LoopError as exc:
        raise HTTPException(status_code=exc.http_status, detail=str(exc)) from None
    return render(
        request,
        "supervision.html",
        {"rows": rows, "busy": busy, "overdue_total": sum(r.overdue for r in rows)},
    )


async def _letter(
    request: Request,
    warning_id: int,
    principal: Principal,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    if principal.role not in LETTER_ROLES:
        raise HTTPException(status_code=403, detail=f"role {principal.role} may not issue letters")
    if request.method == "POST":
        form = await request.form()
        kind_raw, text_raw = form.get("kind"), form.get("instructions")
    else:
        kind_raw, text_raw = request.query_params.get("kind"), ""
    kind = kind_raw if isinstance(kind_raw, str) and kind_raw in LETTER_KINDS else None
    if kind is None:
        raise HTTPException(
            status_code=400, detail=f"kind must be one of {', '.join(LETTER_KINDS)}"
        )
    try:
        warning = get_warning(actor, warning_id)
        model = catalogue.get(warning.model_id)
        letter = build_letter(
            actor,
            warning,
            kind,
            model_name=model.name if model else warning.model_id,
            layout=layouts(request).get(warning.model_id),
            instructions=text_raw if isinstance(text_raw, str) else "",
        )
        actor.session.commit()
    except LoopError as exc:
        actor.session.rollback()
        raise HTTPException(status_code=exc.http_status, detail=str(exc)) from None
    return HTMLResponse(render_letter(letter), headers={"Cache-Control": "no-store"})


@router.get("/warnings/{warning_id}/letter", name="warning_letter")
async def letter_get(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    """The letter with the standard instructions (?kind=supervision|reminder); audited."""
    return await _letter(request, warning_id, principal, actor, catalogue)


@router.post("/warnings/{warning_id}/letter", name="warning_letter_custom")
async def letter_post(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    """The letter with instructions written on the detail page; audited."""
    return await _letter(request, warning_id, principal, actor, catalogue)
