"""Warnings: the filtered list (full page or HTMX fragment), CSV export, and the detail page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from qingfeng import audit
from qingfeng.cells import safe_row
from qingfeng.hits import SEVERITIES
from qingfeng.localtime import format_time, settings_zone
from qingfeng.loop import service
from qingfeng.loop.attachments import attach_to_bulk_dispatch, check_files, open_attachment
from qingfeng.loop.errors import InvalidInput, LoopError, NotFound
from qingfeng.loop.letters import LETTER_ROLES
from qingfeng.loop.machine import COMMENT_ROLES, OPEN_STATES, TRANSITIONS
from qingfeng.loop.machine import STATES as STATUSES  # in the order work moves through them
from qingfeng.loop.service import actor_for
from qingfeng.masking import mask_evidence, mask_explanation, mask_id, mask_name, mask_text
from qingfeng.store.models import Organisation, User, Warning
from qingfeng.web.actions import forms_for, request_from_form, unit_options
from qingfeng.web.deps import ActorDep, CatalogueDep, csrf_protect, require
from qingfeng.web.evidence import evidence_tables, money_path_chart
from qingfeng.web.i18n import Translator
from qingfeng.web.labels import code_label, value_label
from qingfeng.web.model_index import FIELDS, ModelInfo
from qingfeng.web.queries.lookups import user_names
from qingfeng.web.queries.warnings import (
    DUES,
    PAGE_SIZES,
    SORTS,
    FilterError,
    WarningFilters,
    is_full_id,
    iter_export,
    list_warnings,
)
from qingfeng.web.regions import region_names, region_options
from qingfeng.web.roles import Area, allows
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render, translator_for
from qingfeng.web.third_parties import third_parties_masked
from qingfeng.web.views import ViewError, to_list_query, to_loop_query
from qingfeng.web.warning_files import (
    attach_to_last_event,
    queue_detail_context,
    uploaded_files,
)

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
    done = request.query_params.get("dispatched", "")
    extra = {"bulk_done": int(done) if done.isdigit() else 0}
    filters = _filters(request)
    response = _list_page(request, principal, actor, catalogue, filters, extra)
    if is_full_id(filters.q):  # looking a person up by number is a view of personal data
        audit.append(
            actor.session,
            principal.username,
            "warning.search_subject",
            "subject",
            mask_id(filters.q) or "",
            {"via": "page"},
        )
        actor.session.commit()
    return response


def _org_name(actor: Any, org_id: int) -> str:
    """The name of the unit the list is filtered to (a drill-down from the big screen)."""
    if not org_id:
        return ""
    org = actor.session.get(Organisation, org_id)
    return org.name if org is not None else ""


def _list_page(
    request: Request,
    principal: Principal,
    actor: Any,
    catalogue: dict[str, ModelInfo],
    filters: WarningFilters,
    extra: dict[str, Any],
    status_code: int = 200,
) -> Response:
    page = list_warnings(actor, filters, catalogue)
    can_bulk = actor.user.role in TRANSITIONS["dispatch"].roles
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
            "can_bulk": can_bulk,
            "bulk_units": unit_options(actor.session, actor.user) if can_bulk else [],
            "attachment_accept": ",".join(sorted(actor.config.attachment_types)),
            "org_name": _org_name(actor, page.filters.org),
            **extra,
        },
        fragment="warnings/_table.html",
        status_code=status_code,
    )


@router.post("/warnings/bulk-dispatch", name="warnings_bulk_dispatch")
async def bulk_dispatch(
    request: Request, principal: Viewer, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    """Dispatch the ticked rows at once: to one unit or each to its routed unit, with a deadline
    in working days and instructions that go on every warning's timeline, and files linked to
    every warning's dispatch (checked first, stored once). All or nothing."""
    form = await request.form()
    back = str(form.get("back") or "")
    try:
        filters = WarningFilters.parse(dict(parse_qsl(back)))
    except FilterError:
        filters = WarningFilters()
    try:
        ids = _whole_numbers(form.getlist("ids"), "ids")
        if not ids:
            raise InvalidInput("请先勾选要分办的预警 / tick the warnings to dispatch first")
        org = _whole_numbers([form.get("org_id") or ""], "org_id")
        days = _whole_numbers([form.get("days") or ""], "days")
        instructions = str(form.get("instructions") or "")
        files = await uploaded_files(form, actor.config.attachment_max_bytes)
        check_files(actor, files)  # a refused file refuses the dispatch before anything is written
        result = service.bulk_dispatch(
            actor,
            ids,
            org[0] if org else None,
            instructions=instructions,
            days=days[0] if days else None,
        )
        attach_to_bulk_dispatch(actor, ids, files, request.app.state.settings.attachments_dir)
        actor.session.commit()
        request.app.state.cube.invalidate()
    except LoopError as exc:
        actor.session.rollback()
        extra = {"bulk_error": str(exc)}
        return _list_page(
            request, principal, actor, catalogue, filters, extra, status_code=exc.http_status
        )
    qs = filters.query_string(page=1)
    sep = "&" if qs else ""
    return RedirectResponse(f"/warnings?{qs}{sep}dispatched={result.dispatched}", status_code=303)


def _whole_numbers(values: list[Any], name: str) -> list[int]:
    out = []
    for raw in values:
        text = str(raw or "").strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 10:
            raise InvalidInput(f"{name}: {text[:20]!r} is not a whole number")
        out.append(int(text))
    return out


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


# Headers and labels in the reader's language (export.col.* and the status, severity, subject
# type labels of the message catalogue); times in the pages' time zone.
EXPORT_COLUMNS = (
    "id",
    "model_id",
    "model",
    "severity",
    "status",
    "subject_type",
    "subject_id",
    "subject_name",
    "region",
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
    t = translator_for(request)
    namer = region_names(actor)
    show_names = allows(principal.role, Area.PEOPLE)
    audit.append(
        actor.session,
        principal.username,
        "warning.export",
        "warning",
        "*",
        {"filters": mask_text(filters.query_string(q=mask_text(filters.q)))},
    )
    actor.session.commit()

    zone = settings_zone(request.app.state.settings)  # local times, as the pages show them

    def rows() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow([t(f"export.col.{c}") for c in EXPORT_COLUMNS])
        with sessions() as db:
            user = db.get(User, user_id)
            if user is None:
                return
            export_actor = actor_for(db, user, config)
            for n, w in enumerate(iter_export(export_actor, filters, catalogue), 1):
                writer.writerow(
                    safe_row(
                        (
                            w.id,
                            w.model_id,
                            catalogue[w.model_id].name if w.model_id in catalogue else w.model_id,
                            code_label(t, "severity", w.severity),
                            code_label(t, "status", w.status),
                            code_label(t, "subject_type", w.subject_type),
                            mask_id(w.subject_id) if w.subject_type == "person" else w.subject_id,
                            (w.subject_name if show_names else mask_name(w.subject_name)) or "",
                            namer.get(w.division_code, "") if w.division_code else "",
                            w.division_code or "",
                            w.period,
                            "" if w.amount is None else f"{w.amount:.2f}",
                            format_time(w.created_at, zone, "second", empty=""),
                            _export_explanation(request, w, show_names),
                        )
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
    t = translator_for(request)
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
    names = user_names(actor.session, {e.actor_id for e in events if e.actor_id})
    org = actor.session.get(Organisation, warning.org_id) if warning.org_id else None
    related = service.related(actor, warning.id)
    mergeable = {w.id for w in service.mergeable_related(actor, warning.id)}
    return {
        "w": warning,
        "model": model,
        "evidence": (tables := evidence_tables(evidence, unmask=revealed)),
        "money_path": money_path_chart(
            tables, translator_for(request)("warning.money_start"), unmask=revealed
        ),
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
                "note": _event_note(e.payload, t),
            }
            for e in events
        ],
        "comments": service.comments(actor, warning.id),
        "lines": [
            {
                "period": line.period,
                "severity": line.severity,
                "amount": line.amount,
                "present": line.present,
                "explanation": line.explanation
                if show_names
                else mask_explanation(line.explanation, warning.subject_name),
            }
            for line in service.lines(actor, warning.id)
        ],
        "related": [
            {"w": w, "model": catalogue.get(w.model_id), "mergeable": w.id in mergeable}
            for w in related
        ],
        "can_merge_related": bool(mergeable) and actor.user.role in TRANSITIONS["merge"].roles,
        "can_comment": actor.user.role in COMMENT_ROLES,
        "actions": forms_for(actor.session, warning, actor.user, actor.config),
        **queue_detail_context(actor, warning),
        "org_name": org.name if org else "",
        "region_name": region_names(actor).get(warning.division_code or "", ""),
        "due_at": warning.due_at,
        "overdue": bool(
            warning.due_at and warning.due_at < actor.now and warning.status in OPEN_STATES
        ),
    }


def _event_note(payload: dict[str, Any], t: Translator) -> str:
    """What an event recorded, in words: the finding and measures through the label table."""
    parts = []
    for key in (
        "org",
        "reason",
        "finding",
        "note",
        "report",
        "plan",
        "instructions",
        "case_no",
        "assignee",
        "filename",
    ):
        if payload.get(key):
            parts.append(value_label(t, key, payload[key]))
    if payload.get("measures"):
        parts.append(value_label(t, "measures", payload["measures"]))
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
        files = await uploaded_files(form, actor.config.attachment_max_bytes)
        service.act(actor, warning_id, action, req)
        attach_to_last_event(actor, warning_id, action, files, request.app.state.settings)
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


@router.post("/warnings/{warning_id}/merge-related", name="warning_merge_related")
async def warning_merge_related(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    """Handle the related leads on this subject as one case: merge them into this lead."""
    try:
        service.merge_related(actor, warning_id)
        actor.session.commit()
        request.app.state.cube.invalidate()
    except LoopError as exc:
        return _refused(request, actor, principal, catalogue, warning_id, exc)
    return RedirectResponse(f"/warnings/{warning_id}?done=merge#related", status_code=303)


@router.get("/warnings/attachments/{attachment_id}", name="warning_attachment")
def warning_attachment(
    request: Request, attachment_id: int, principal: Viewer, actor: ActorDep
) -> Response:
    """Download an attachment: only within the user's scope, and every download is audited."""
    try:
        row, path = open_attachment(
            actor, attachment_id, request.app.state.settings.attachments_dir
        )
        actor.session.commit()
    except LoopError as exc:
        actor.session.rollback()
        raise HTTPException(status_code=exc.http_status, detail=str(exc)) from None
    return FileResponse(path, media_type=row.content_type, filename=row.filename)


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
        files = await uploaded_files(form, actor.config.attachment_max_bytes)
        service.comment(actor, warning_id, body if isinstance(body, str) else "")
        attach_to_last_event(actor, warning_id, "comment", files, request.app.state.settings)
        actor.session.commit()
    except LoopError as exc:
        return _refused(request, actor, principal, catalogue, warning_id, exc)
    return RedirectResponse(f"/warnings/{warning_id}#comments", status_code=303)
