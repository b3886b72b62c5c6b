"""Data (数据底座): which datasets the lake holds, from which batches, and the ingest reports
with their reconciliation (every input row loaded, quarantined or a duplicate)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from qingfeng.audit import log as audit
from qingfeng.dataspec import load_catalogue
from qingfeng.web.deps import DbDep, SettingsDep, csrf_protect, require
from qingfeng.web.i18n import Translator
from qingfeng.web.labels import field_label
from qingfeng.web.queries.data import data_overview
from qingfeng.web.queries.quality import QualityCache, quality_view
from qingfeng.web.queries.quarantine import QuarantineError, quarantine_page
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render, translator_for
from qingfeng.web.uploads import (
    DEFAULT_UPLOAD_LIMIT,
    TableEdit,
    UploadError,
    UploadPreview,
    discard,
    edit_tables,
    ingest_upload,
    preview,
    save_upload,
)

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(Area.DATA))]


@router.get("/data", name="data")
def data_page(request: Request, principal: Viewer, settings: SettingsDep) -> Response:
    return render(
        request,
        "data.html",
        {"d": data_overview(settings), "may_upload": principal.role in UPLOAD_ROLES},
    )


@router.get("/data/quality", name="data_quality")
def data_quality(request: Request, principal: Viewer, settings: SettingsDep) -> Response:
    """The quality fragment (charts and cross-source checks), loaded after the page."""
    state = request.app.state
    if getattr(state, "quality_cache", None) is None:
        state.quality_cache = QualityCache()
    view = quality_view(state.quality_cache, settings, translator_for(request))
    return render(request, "partials/_quality.html", {"qv": view})


@router.get("/data/quarantine/{batch_id}", name="quarantine")
def quarantine(
    request: Request,
    batch_id: str,
    principal: Viewer,
    settings: SettingsDep,
    rule: Annotated[str, Query(max_length=120)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The rows one batch rejected, filtered by rule, personal values masked."""
    try:
        q = quarantine_page(settings, batch_id, rule, page)
    except QuarantineError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return render(request, "quarantine.html", {"q": q, "describe": describe_rule})


def describe_rule(rule: str, t: Translator) -> str:
    """'id_no:check_digit' → '身份证号：校验位错误'."""
    fieldname, _, code = rule.partition(":")
    names = "/".join(field_label(t, f) for f in re.split(r"[|,+/]", fieldname) if f)
    return f"{names}：{t.maybe('rule.' + code, code)}"


# ------------------------------------------------------------------ upload, confirm, ingest
UPLOAD_ROLES = frozenset({"data_officer", "administrator"})
UPLOADS_SESSION_KEY = "uploads"  # token → {table: dataset shown}, so only its uploader confirms
MULTIPART_OVERHEAD = 64 * 1024


def _may_upload(principal: Principal) -> None:
    if principal.role not in UPLOAD_ROLES:
        raise HTTPException(status_code=403, detail=f"role {principal.role} may not upload data")


def _upload_limit(request: Request) -> int:
    return int(getattr(request.app.state, "upload_limit", DEFAULT_UPLOAD_LIMIT))


@router.post("/data/upload", name="data_upload")
async def upload(request: Request, principal: Viewer, settings: SettingsDep, db: DbDep) -> Response:
    """Receive one department file, propose its mapping, and ask the person to confirm it."""
    _may_upload(principal)
    limit = _upload_limit(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        # Refused before the body is read: the size the browser declares is already too big.
        return _upload_error(request, f"文件超过大小上限 {limit // (1024 * 1024)} MB", 413)
    await csrf_protect(request)
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_error(request, "请选择要上传的文件 / choose a file to upload", 400)
    try:
        token, _path = await run_in_threadpool(
            save_upload, settings, file.filename, file.file, limit
        )
        result = await run_in_threadpool(preview, settings, token)
    except UploadError as exc:
        return _upload_error(request, str(exc), 400)
    pending = dict(request.session.get(UPLOADS_SESSION_KEY) or {})
    pending[token] = {t.source: t.dataset for t in result.tables}
    request.session[UPLOADS_SESSION_KEY] = pending
    audit.append(
        db,
        principal.username,
        "data.upload",
        "upload",
        token,
        {"file": result.filename, "bytes": result.size, "datasets": pending[token]},
    )
    db.commit()
    edits = await run_in_threadpool(edit_tables, settings, token, _no_form)
    return _editor(request, token, edits, result)


def _no_form(_key: str) -> None:
    return None


def _editor(
    request: Request,
    token: str,
    edits: list[TableEdit],
    p: UploadPreview | None = None,
    status: int = 200,
) -> Response:
    """The proposed mapping as a form: a dataset per table, a field per header."""
    return render(
        request,
        "data_upload.html",
        {"p": p, "token": token, "edits": edits, "specs": load_catalogue()},
        status_code=status,
    )


def _upload_error(request: Request, message: str, status: int) -> Response:
    return render(request, "data_upload.html", {"error": message}, status_code=status)


def _pending(request: Request, token: str) -> dict[str, str]:
    pending = request.session.get(UPLOADS_SESSION_KEY) or {}
    if token not in pending:
        raise HTTPException(status_code=404, detail="没有这次上传（或已处理）/ no such upload")
    return dict(pending[token])


def _forget(request: Request, token: str) -> None:
    pending = dict(request.session.get(UPLOADS_SESSION_KEY) or {})
    pending.pop(token, None)
    request.session[UPLOADS_SESSION_KEY] = pending


@router.post("/data/upload/{token}/edit", name="data_edit", dependencies=[Depends(csrf_protect)])
async def edit_mapping(
    request: Request,
    token: str,
    principal: Viewer,
    settings: SettingsDep,
    table: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> Response:
    """One table's mapping again after the person changed its dataset or a field (HTMX): the
    new dataset's fields, and what still keeps it from being confirmed."""
    _may_upload(principal)
    _pending(request, token)
    form = await request.form()
    try:
        edits = await run_in_threadpool(edit_tables, settings, token, form.get)
    except UploadError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    if table >= len(edits):
        raise HTTPException(status_code=404, detail="没有这张表 / no such table")
    return render(
        request,
        "partials/_mapping_table.html",
        {"e": edits[table], "token": token, "specs": load_catalogue()},
    )


@router.post(
    "/data/upload/{token}/confirm", name="data_confirm", dependencies=[Depends(csrf_protect)]
)
async def confirm_upload(
    request: Request, token: str, principal: Viewer, settings: SettingsDep, db: DbDep
) -> Response:
    """Save the mapping as the person confirmed (or edited) it, then ingest the upload. A mapping
    that lacks a required field, or uses a field twice, is shown again with the reason."""
    _may_upload(principal)
    _pending(request, token)
    form = await request.form()
    try:
        edits = await run_in_threadpool(edit_tables, settings, token, form.get)
        if any(e.problems for e in edits):
            return _editor(request, token, edits, status=400)
        report = await run_in_threadpool(ingest_upload, settings, token, edits)
    except UploadError as exc:
        _forget(request, token)
        return _upload_error(request, str(exc), 400)
    _forget(request, token)
    audit.append(
        db,
        principal.username,
        "data.ingest",
        "upload",
        token,
        {
            "totals": report.totals,
            "statuses": [s.status for s in report.sources],
            "mappings": {e.source: e.dataset for e in edits},
        },
    )
    db.commit()
    return render(request, "data_upload.html", {"report": report, "describe": describe_rule})


@router.post(
    "/data/upload/{token}/cancel", name="data_cancel", dependencies=[Depends(csrf_protect)]
)
def cancel_upload(
    request: Request, token: str, principal: Viewer, settings: SettingsDep
) -> Response:
    _may_upload(principal)
    _pending(request, token)
    discard(settings, token)
    _forget(request, token)
    return RedirectResponse("/data", status_code=303)
