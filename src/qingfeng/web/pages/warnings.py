"""Warnings: the filtered list (full page or HTMX fragment), CSV export, and the detail page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from qingfeng import audit
from qingfeng.hits import SEVERITIES
from qingfeng.loop import service
from qingfeng.loop.errors import LoopError, NotFound
from qingfeng.loop.letters import LETTER_ROLES
from qingfeng.loop.machine import COMMENT_ROLES, OPEN_STATES, TRANSITIONS
from qingfeng.loop.machine import STATES as STATUSES  # in the order work moves through them
from qingfeng.loop.masking import mask_evidence
from qingfeng.loop.service import actor_for
from qingfeng.store.models import Organisation, User, Warning
from qingfeng.web.actions import forms_for, request_from_form
from qingfeng.web.catalogue import FIELDS, ModelInfo
from qingfeng.web.deps import ActorDep, CatalogueDep, csrf_protect, require
from qingfeng.web.evidence import evidence_tables
from qingfeng.web.masking import mask_explanation, mask_id, mask_name
from qingfeng.web.queries.warnings import (
    DUES,
    PAGE_SIZES,
    SORTS,
    FilterError,
    WarningFilters,
    iter_export,
    list_warnings,
)
from qingfeng.web.regions import region_names, region_options
from qingfeng.web.roles import Area, allows
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render
from qingfeng.web.third_parties import third_parties_masked
from qingfeng.web.views import ViewError, to_list_query, to_loop_query

router = APIRouter(dependencies=[Depends(csrf_protect)])
Viewer = Annotated[Principal, Depends(require(Area.WARNINGS))]
Exporter = Annotated[Principal, Depends(require(Area.EXPORT))]


def _filters(request: Request) -> WarningFilters:
    try:
        return WarningFilters.parse(request.query_params)
    except FilterError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/warnings", name="warnings")
def warnings_list(
    request: Request, principal: Viewer, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    filters = _filters(request)
    page = list_warnings(actor, filters, catalogue)
    return render(
        request,
        "warnings/list.html",
        {
            "page": page,
            "f": page.filters,
            "catalogue": catalogue,
            "severities": SEVERITIES,
            "statuses": STATUSES,
            "fields": FIELDS,
            "sorts": SORTS,
            "page_sizes": PAGE_SIZES,
            "dues": DUES,
            "can_export": allows(principal.role, Area.EXPORT),
            "show_names": allows(principal.role, Area.PEOPLE),
            "regions": region_options(actor),
            "region_names": region_names(actor),
            "now": actor.now,
            "views": _views(actor),
        },
        fragment="warnings/_table.html",
    )


def _views(actor: ActorDep) -> list[tuple[int, str, str]]:
    """(id, name, list query string) of the user's saved views."""
    out = []
    for saved in service.saved_filters(actor):
        try:
            out.append((saved.id, saved.name, to_list_query(saved.query)))
        except (FilterError, ValueError):
            continue  # a view saved by the API with filters the list cannot show
    return out


@router.post("/warnings/views", name="warnings_save_view")
async def save_view(request: Request, principal: Viewer, actor: ActorDep) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()[:100]
    qs = str(form.get("qs") or "")
    try:
        filters = WarningFilters.parse(dict(parse_qsl(qs)))
        service.save_filter(actor, name, to_loop_query(filters))
        actor.session.commit()
    except (FilterError, ViewError, LoopError) as exc:
        actor.session.rollback()
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return RedirectResponse(f"/warnings?{qs}" if qs else "/warnings", status_code=303)


@router.post("/warnings/views/{view_id}/delete", name="warnings_delete_view")
def delete_view(view_id: int, principal: Viewer, actor: ActorDep) -> Response:
    try:
        service.delete_filter(actor, view_id)
        actor.session.commit()
    except LoopError as exc:
        raise HTTPException(status_code=exc.http_status, detail=str(exc)) from None
    return RedirectResponse("/warnings", status_code=303)


EXPORT_COLUMNS = (
    "id",
    "model_id",
    "severity",
    "status",
    "subject_type",
    "subject_id",
    "subject_name",
    "division_code",
    "period",
    "amount",
    "created_at",
    "explanation",
)


@router.get("/warnings/export.csv", name="warnings_export")
def warnings_export(
    request: Request, principal: Exporter, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    """The whole filtered list as CSV (UTF-8 with BOM so that Excel reads Chinese), IDs masked.
    The export itself is written to the audit log (who took which list out)."""
    filters = _filters(request)
    sessions = request.app.state.sessions
    user_id, config = actor.user.id, actor.config
    show_names = allows(principal.role, Area.PEOPLE)
    audit.append(
        actor.session,
        principal.username,
        "warning.export",
        "warning",
        "*",
        {"filters": filters.query_string()},
    )
    actor.session.commit()

    def rows() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
        with sessions() as db:
            user = db.get(User, user_id)
            if user is None:
                return
            export_actor = actor_for(db, user, config)
            for n, w in enumerate(iter_export(export_actor, filters, catalogue), 1):
                writer.writerow(
                    (
                        w.id,
                        w.model_id,
                        w.severity,
                        w.status,
                        w.subject_type,
                        mask_id(w.subject_id) if w.subject_type == "person" else w.subject_id,
                        (w.subject_name if show_names else mask_name(w.subject_name)) or "",
                        w.division_code or "",
                        w.period,
                        "" if w.amount is None else f"{w.amount:.2f}",
                        w.created_at.isoformat() if w.created_at else "",
                        _export_explanation(request, w, show_names),
                    )
                )
                if n % 1000 == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        yield buf.getvalue()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="warnings.csv"'},
    )


def _export_explanation(request: Request, w: Warning, show_names: bool) -> str:
    """The explanation as the list exports it: third parties masked for everyone, the subject's
    name for roles that do not see people."""
    shown = third_parties_masked(request, w, keep_subject=show_names).explanation
    return shown if show_names else mask_explanation(shown, w.subject_name)


def _detail_context(
    actor: ActorDep,
    warning: Warning,
    catalogue: dict[str, ModelInfo],
    principal: Principal,
    request: Request,
    *,
    revealed: bool = False,
) -> dict[str, Any]:
    model = catalogue.get(warning.model_id)
    show_names = allows(principal.role, Area.PEOPLE)  # others read names and IDs masked
    if revealed:  # a reason was given and audited: everything in clear, full ID numbers too
        explanation, evidence, third_parties = warning.explanation, warning.evidence, 0
    else:
        shown = third_parties_masked(request, warning, keep_subject=show_names)
        explanation = (
            shown.explanation
            if show_names
            else mask_explanation(shown.explanation, warning.subject_name)
        )
        evidence = shown.evidence if show_names else mask_evidence(shown.evidence)
        third_parties = shown.third_parties
    events = service.timeline(actor, warning.id)
    names = dict(
        actor.session.execute(
            select(User.id, User.display_name).where(
                User.id.in_({e.actor_id for e in events if e.actor_id})
            )
        ).all()
    )
    org = actor.session.get(Organisation, warning.org_id) if warning.org_id else None
    return {
        "w": warning,
        "model": model,
        "evidence": evidence_tables(evidence, unmask=revealed),
        "explanation": explanation,
        "show_names": show_names,
        "revealed": revealed,
        "third_parties": third_parties,
        "can_reveal": allows(principal.role, Area.UNMASK),
        "can_letter": principal.role in LETTER_ROLES,
        "timeline": [
            {
                "at": e.at,
                "action": e.action,
                "actor": names.get(e.actor_id, "") if e.actor_id else "",
                "to_status": e.to_state if e.to_state != e.from_state else None,
                "note": _event_note(e.payload),
            }
            for e in events
        ],
        "comments": service.comments(actor, warning.id),
        "can_comment": actor.user.role in COMMENT_ROLES,
        "actions": forms_for(actor.session, warning, actor.user),
        "org_name": org.name if org else "",
        "region_name": region_names(actor).get(warning.division_code or "", ""),
        "due_at": warning.due_at,
        "overdue": bool(
            warning.due_at and warning.due_at < actor.now and warning.status in OPEN_STATES
        ),
    }


def _event_note(payload: dict[str, Any]) -> str:
    parts = []
    for key in ("org", "reason", "finding", "note", "report", "case_no", "assignee"):
        if payload.get(key):
            parts.append(str(payload[key]))
    if payload.get("funds_recovered"):
        parts.append(f"¥{payload['funds_recovered']}")
    return " · ".join(parts)


def _load(actor: ActorDep, warning_id: int) -> Warning:
    try:
        return service.get_warning(actor, warning_id)
    except LoopError as exc:
        # Same answer for "does not exist" and "not yours": ids reveal nothing.
        raise HTTPException(status_code=exc.http_status, detail=str(exc)) from None


@router.get("/warnings/{warning_id}", name="warning_detail")
def warning_detail(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    warning = _load(actor, warning_id)
    context = _detail_context(actor, warning, catalogue, principal, request)
    done = request.query_params.get("done")
    context["done"] = done if done in TRANSITIONS else None
    _audit_view(actor, warning, revealed=False)
    return render(request, "warnings/detail.html", context)


MAX_REASON = 500


def _audit_view(actor: ActorDep, warning: Warning, *, revealed: bool) -> None:
    """Opening a warning is a view of personal data: audited, who and when."""
    audit.append(
        actor.session,
        actor.user.username,
        "warning.view",
        "warning",
        warning.id,
        {"revealed": revealed, "via": "page"},
    )
    actor.session.commit()


@router.post("/warnings/{warning_id}/reveal", name="warning_reveal")
async def warning_reveal(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    """The detail page with third parties and ID numbers in clear, for a role that may and a
    written reason; the reason is audited (`warning.reveal`, as in the API)."""
    if not allows(principal.role, Area.UNMASK):
        raise HTTPException(status_code=403, detail="role may not see unmasked personal data")
    form = await request.form()
    raw = form.get("reason")
    reason = (raw if isinstance(raw, str) else "").strip()
    warning = _load(actor, warning_id)
    if len(reason) < 4 or len(reason) > MAX_REASON:
        context = _detail_context(actor, warning, catalogue, principal, request)
        context["reveal_error"] = True
        _audit_view(actor, warning, revealed=False)
        return render(request, "warnings/detail.html", context, status_code=422)
    audit.append(
        actor.session,
        actor.user.username,
        "warning.reveal",
        "warning",
        warning.id,
        {"purpose": reason, "via": "page"},
    )
    context = _detail_context(actor, warning, catalogue, principal, request, revealed=True)
    _audit_view(actor, warning, revealed=True)
    return render(request, "warnings/detail.html", context)


@router.post("/warnings/{warning_id}/actions/{action}", name="warning_action")
async def warning_action(
    request: Request,
    warning_id: int,
    action: str,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    """Perform one closed-loop action; the loop re-checks role, state, scope and version."""
    form = await request.form()
    try:
        req = request_from_form(form)
        service.act(actor, warning_id, action, req)
        actor.session.commit()
        request.app.state.cube.invalidate()  # the dashboard shows the change on next refresh
    except LoopError as exc:
        return _refused(request, actor, principal, catalogue, warning_id, exc)
    return RedirectResponse(f"/warnings/{warning_id}?done={action}", status_code=303)


def _refused(
    request: Request,
    actor: Any,
    principal: Principal,
    catalogue: dict[str, ModelInfo],
    warning_id: int,
    exc: LoopError,
) -> Response:
    """The loop refused an action or comment: roll back and show the detail page with why."""
    actor.session.rollback()
    if isinstance(exc, NotFound):
        raise HTTPException(status_code=404, detail=str(exc)) from None
    context = _detail_context(actor, _load(actor, warning_id), catalogue, principal, request)
    context["action_error"] = str(exc)
    return render(request, "warnings/detail.html", context, status_code=exc.http_status)


@router.post("/warnings/{warning_id}/comments", name="warning_comment")
async def warning_comment(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    form = await request.form()
    body = form.get("body")
    try:
        service.comment(actor, warning_id, body if isinstance(body, str) else "")
        actor.session.commit()
    except LoopError as exc:
        return _refused(request, actor, principal, catalogue, warning_id, exc)
    return RedirectResponse(f"/warnings/{warning_id}#comments", status_code=303)
