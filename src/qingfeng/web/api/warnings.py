"""/api/v1/warnings: list, read, act on, comment, attach, bulk-dispatch, export; outcomes,
digest and saved filters. Every read starts from the user's scope (store.scope)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, PlainTextResponse
from starlette.background import BackgroundTask

from qingfeng import audit
from qingfeng.loop import attachments as attach_service
from qingfeng.loop import service
from qingfeng.loop.digest import build_digest
from qingfeng.loop.errors import InvalidInput, NotFound, PermissionDenied
from qingfeng.loop.export import EXPORT_ROLES, export_warnings
from qingfeng.loop.machine import ActionRequest, RowId, allowed_actions
from qingfeng.loop.outcomes import model_outcomes
from qingfeng.loop.query import WarningQuery, list_warnings
from qingfeng.masking import mask_evidence, mask_id, mask_name, mask_text
from qingfeng.store.models import MAX_ID, Organisation, SavedFilter
from qingfeng.web.api.deps import ActorDep, SettingsDep
from qingfeng.web.api.schemas import (
    AttachmentOut,
    BulkDispatchIn,
    BulkDispatchOut,
    CommentIn,
    CommentOut,
    EventOut,
    LineOut,
    MergeRelatedOut,
    OutcomeOut,
    SavedFilterIn,
    SavedFilterOut,
    WarningDetail,
    WarningPage,
    detail,
    summary,
)
from qingfeng.web.roles import Area, allows
from qingfeng.web.third_parties import third_parties_masked

router = APIRouter(tags=["warnings"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "role may not do this"},
    404: {"description": "not found or outside your scope"},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "state does not allow it, or someone else changed it first"}
}
EXPORT_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


IdPath = Annotated[int, PathParam(ge=1, le=MAX_ID)]


class ListParams(WarningQuery):
    with_total: bool = False


class ExportParams(WarningQuery):
    format: Literal["csv", "xlsx", "jsonl"] = "csv"
    masked: bool = True


def _query(params: WarningQuery) -> WarningQuery:
    return WarningQuery.model_validate(params.model_dump(include=set(WarningQuery.model_fields)))


@router.get("/warnings", response_model=WarningPage, responses=ERRORS, summary="List warnings")
def list_(actor: ActorDep, params: Annotated[ListParams, Query()]) -> WarningPage:
    q = _query(params)
    page = list_warnings(actor, q, with_total=params.with_total)
    if q.subject_id:  # looking a person up is a view of personal data
        audit.append(
            actor.session,
            actor.user.username,
            "warning.search_subject",
            "subject",
            mask_id(q.subject_id) or "",
            {"results": len(page.items)},
        )
        actor.session.commit()
    return WarningPage(
        items=[summary(w, actor.now) for w in page.items],
        limit=page.limit,
        offset=page.offset,
        has_more=page.has_more,
        total=page.total,
    )


@router.get(
    "/warnings/export",
    responses={**ERRORS, 200: {"content": {m: {} for m in EXPORT_MEDIA.values()}}},
    summary="Export the filtered warnings (audited)",
    response_class=FileResponse,
)
def export(
    actor: ActorDep,
    settings: SettingsDep,
    params: Annotated[ExportParams, Query()],
) -> FileResponse:
    q, format, masked = _query(params), params.format, params.masked
    if actor.user.role not in EXPORT_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not export warnings")
    folder = Path(tempfile.mkdtemp(prefix="qingfeng-export-"))
    name = f"warnings-{actor.now:%Y%m%d-%H%M%S}.{format}"
    path = folder / name
    export_warnings(actor, q, format, path, masked=masked, models_dir=settings.models_dir)
    actor.session.commit()  # the audit row is part of the export

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(
        path, media_type=EXPORT_MEDIA[format], filename=name, background=BackgroundTask(cleanup)
    )


@router.get(
    "/warnings/{warning_id}",
    response_model=WarningDetail,
    responses=ERRORS,
    summary="One warning; personal data masked unless revealed with a purpose (audited)",
)
def read(
    request: Request,
    actor: ActorDep,
    warning_id: IdPath,
    reveal: Annotated[bool, Query()] = False,
    purpose: Annotated[str | None, Query(max_length=200)] = None,
) -> WarningDetail:
    warning = service.get_warning(actor, warning_id)
    if reveal:
        if not allows(actor.user.role, Area.UNMASK):
            raise PermissionDenied(f"role {actor.user.role} may not see unmasked personal data")
        if not purpose or len(purpose.strip()) < 2:
            raise InvalidInput("reveal=true needs a purpose (查看目的), e.g. purpose=核查")
        audit.append(
            actor.session,
            actor.user.username,
            "warning.reveal",
            "warning",
            warning.id,
            {"purpose": purpose.strip()},
        )
    audit.append(  # opening a warning is a view of personal data
        actor.session,
        actor.user.username,
        "warning.view",
        "warning",
        warning.id,
        {"revealed": reveal, "via": "api"},
    )
    actor.session.commit()
    out = detail(warning, actor.now, revealed=reveal, allowed=allowed_actions(warning, actor.user))
    if not reveal:  # third parties masked by what the model says they are
        shown = third_parties_masked(request, warning, keep_subject=False)
        explanation = shown.explanation
        if warning.subject_name:
            explanation = explanation.replace(
                warning.subject_name, mask_name(warning.subject_name) or ""
            )
        out.explanation = explanation
        out.evidence = mask_evidence(shown.evidence)
    return out


@router.post(
    "/warnings/{warning_id}/actions/{action}",
    response_model=WarningDetail,
    responses={**ERRORS, **CONFLICT, 422: {"description": "missing or bad field"}},
    summary="Apply a state-machine action (send `version` to detect concurrent changes)",
)
def act(actor: ActorDep, warning_id: IdPath, action: str, body: ActionRequest) -> WarningDetail:
    warning = service.act(actor, warning_id, action, body)
    actor.session.commit()
    return detail(warning, actor.now, revealed=False, allowed=allowed_actions(warning, actor.user))


@router.post(
    "/warnings/bulk-dispatch",
    response_model=BulkDispatchOut,
    responses={**ERRORS, **CONFLICT},
    summary="Dispatch many warnings at once (all or nothing)",
)
def bulk_dispatch(actor: ActorDep, body: BulkDispatchIn) -> BulkDispatchOut:
    result = service.bulk_dispatch(
        actor, body.ids, body.org_id, instructions=body.instructions, days=body.days
    )
    actor.session.commit()
    return BulkDispatchOut(dispatched=result.dispatched, by_org=result.by_org)


@router.get("/warnings/{warning_id}/timeline", response_model=list[EventOut], responses=ERRORS)
def timeline(actor: ActorDep, warning_id: IdPath) -> list[EventOut]:
    return [
        EventOut(
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            payload=e.payload,
        )
        for e in service.timeline(actor, warning_id)
    ]


@router.get("/warnings/{warning_id}/lines", response_model=list[LineOut], responses=ERRORS)
def lines(actor: ActorDep, warning_id: IdPath) -> list[LineOut]:
    """The evidence lines of a lead (the hits it is made of), latest first, masked."""
    warning = service.get_warning(actor, warning_id)
    name = warning.subject_name

    def masked(text: str) -> str:
        text = mask_text(text)
        return text.replace(name, mask_name(name) or "") if name else text

    return [
        LineOut(
            period=x.period,
            severity=x.severity,
            amount=x.amount,
            explanation=masked(x.explanation),
            present=x.present,
        )
        for x in service.lines(actor, warning_id)
    ]


@router.post(
    "/warnings/{warning_id}/merge-related",
    response_model=MergeRelatedOut,
    responses={**ERRORS, **CONFLICT, 422: {"description": "no related lead to merge"}},
    summary="Handle the related open leads on this warning's subject as one case (merge them)",
)
def merge_related(actor: ActorDep, warning_id: IdPath) -> MergeRelatedOut:
    merged = service.merge_related(actor, warning_id)
    actor.session.commit()
    return MergeRelatedOut(merged=merged)


@router.get("/warnings/{warning_id}/comments", response_model=list[CommentOut], responses=ERRORS)
def comments(actor: ActorDep, warning_id: IdPath) -> list[CommentOut]:
    return [
        CommentOut(id=c.id, at=c.at, author_id=c.author_id, body=c.body)
        for c in service.comments(actor, warning_id)
    ]


@router.post(
    "/warnings/{warning_id}/comments",
    response_model=CommentOut,
    status_code=201,
    responses=ERRORS,
)
def add_comment(actor: ActorDep, warning_id: IdPath, body: CommentIn) -> CommentOut:
    c = service.comment(actor, warning_id, body.body)
    actor.session.commit()
    return CommentOut(id=c.id, at=c.at, author_id=c.author_id, body=c.body)


def _attachment(a: object) -> AttachmentOut:
    return AttachmentOut.model_validate(a, from_attributes=True)


@router.get(
    "/warnings/{warning_id}/attachments", response_model=list[AttachmentOut], responses=ERRORS
)
def list_attachments(actor: ActorDep, warning_id: IdPath) -> list[AttachmentOut]:
    from sqlalchemy import select

    from qingfeng.store.models import Attachment

    warning = service.get_warning(actor, warning_id)
    rows = actor.session.scalars(
        select(Attachment).where(Attachment.warning_id == warning.id).order_by(Attachment.id)
    )
    return [_attachment(a) for a in rows]


@router.post(
    "/warnings/{warning_id}/attachments",
    response_model=AttachmentOut,
    status_code=201,
    responses={**ERRORS, 422: {"description": "type or size not allowed"}},
)
async def upload(
    actor: ActorDep,
    settings: SettingsDep,
    warning_id: IdPath,
    file: Annotated[UploadFile, File(description="pdf, jpg, png, txt, docx, xlsx, ofd")],
) -> AttachmentOut:
    limit = actor.config.attachment_max_bytes
    data = await file.read(limit + 1)  # one byte over is enough to refuse it
    row = attach_service.add_attachment(
        actor, warning_id, file.filename or "", data, settings.attachments_dir
    )
    actor.session.commit()
    return _attachment(row)


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses=ERRORS,
    summary="Download an attachment (audited)",
)
def download(actor: ActorDep, settings: SettingsDep, attachment_id: IdPath) -> FileResponse:
    row, path = attach_service.open_attachment(actor, attachment_id, settings.attachments_dir)
    actor.session.commit()
    return FileResponse(path, media_type=row.content_type, filename=row.filename)


@router.get("/outcomes", response_model=list[OutcomeOut], responses=ERRORS)
def outcomes(actor: ActorDep) -> list[OutcomeOut]:
    """Per model: verified warnings, share confirmed (precision), money recovered, cases."""
    return [
        OutcomeOut(
            model_id=o.model_id,
            warnings=o.warnings,
            verified=o.verified,
            confirmed=o.confirmed,
            precision=o.precision,
            funds_recovered=o.funds_recovered,
            cases_opened=o.cases_opened,
            flagged=o.flagged,
            review_note=o.review_note,
        )
        for o in model_outcomes(actor)
    ]


@router.get(
    "/digest",
    response_class=PlainTextResponse,
    responses={**ERRORS, 200: {"content": {"text/markdown": {}}}},
    summary="The daily digest of a unit (Markdown; no personal data)",
)
def digest(actor: ActorDep, org_id: Annotated[RowId | None, Query()] = None) -> PlainTextResponse:
    service.require_read(actor.user)
    home = actor.session.get(Organisation, actor.user.org_id) if actor.user.org_id else None
    if home is None:
        raise PermissionDenied("you belong to no organisation")
    org = home if org_id is None else actor.session.get(Organisation, org_id)
    if org is None or not org.path.startswith(home.path):
        raise NotFound(f"organisation {org_id} not found in your unit")
    text = build_digest(actor.session, org, actor.config, actor.now).to_markdown()
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/filters", response_model=list[SavedFilterOut], responses=ERRORS)
def list_filters(actor: ActorDep) -> list[SavedFilterOut]:
    return [
        SavedFilterOut(id=f.id, name=f.name, query=f.query) for f in service.saved_filters(actor)
    ]


@router.post("/filters", response_model=SavedFilterOut, status_code=201, responses=ERRORS)
def save_filter(actor: ActorDep, body: SavedFilterIn) -> SavedFilterOut:
    f: SavedFilter = service.save_filter(actor, body.name, body.query)
    actor.session.commit()
    return SavedFilterOut(id=f.id, name=f.name, query=f.query)


@router.delete("/filters/{filter_id}", status_code=204, responses=ERRORS)
def delete_filter(actor: ActorDep, filter_id: IdPath) -> None:
    service.delete_filter(actor, filter_id)
    actor.session.commit()
