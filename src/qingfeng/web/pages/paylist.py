"""Batch before payment (发放前比对) on the data page: a department's pay list, uploaded, read
with the workspace's mappings into a scratch lake (nothing is published), screened by the same
models as `POST /api/v1/screen`; the answer shows the totals per decision and per reason and
offers the report as xlsx and JSON, the same files `qingfeng screen FILE` writes.

Reports are kept under reports/screening/<id>/ of the workspace; their rows name people, so
they are for the roles that upload data, like the lake itself, and each screening and each
download is audited.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile

from qingfeng.audit import log as audit
from qingfeng.web.deps import DbDep, SettingsDep, csrf_protect, require
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render
from qingfeng.web.uploads import UploadError, save_upload, uploads_dir

router = APIRouter()
Uploader = Annotated[Principal, Depends(require(Area.UPLOAD))]
REPORT_ID = re.compile(r"[0-9a-f]{16}")
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "json": "application/json"}  # fmt: skip


def reports_dir(settings: Any) -> Path:
    return Path(settings.workspace) / "reports" / "screening"


def _answer(request: Request, status: int, **context: Any) -> Response:
    return render(request, "data_screen.html", context, status_code=status)


@router.post("/data/screen", name="data_screen")
async def screen_paylist(
    request: Request, principal: Uploader, settings: SettingsDep, db: DbDep
) -> Response:
    from qingfeng.screening.batch import screen_file, write_reports
    from qingfeng.screening.engine import ScreeningError
    from qingfeng.web.api.screen import get_screener
    from qingfeng.web.pages.data import _upload_limit

    await csrf_protect(request)
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _answer(request, 400, error="请选择要比对的发放名单 / choose a pay list")
    limit = _upload_limit(request)
    try:
        token, path = await run_in_threadpool(
            save_upload, settings, file.filename, file.file, limit
        )
    except UploadError as exc:
        return _answer(request, 400, error=str(exc))
    report_id = secrets.token_hex(8)
    out = reports_dir(settings) / report_id / Path(path).stem
    try:
        screener = get_screener(request)
        report = await run_in_threadpool(screen_file, settings, path, screener=screener)
        await run_in_threadpool(write_reports, report, out)
    except (ScreeningError, ValueError) as exc:
        return _answer(request, 400, error=str(exc))
    finally:
        shutil.rmtree(uploads_dir(settings) / token, ignore_errors=True)
    audit.append(
        db, principal.username, "screen.paylist", "screen_report", report_id,
        {"file": report.source, "rows": report.rows, "decisions": report.decisions},
    )  # fmt: skip
    db.commit()
    return _answer(request, 200, report=report, report_id=report_id)


@router.get("/data/screen/{report_id}/{fmt}", name="data_screen_file")
def download_report(
    report_id: str, fmt: str, principal: Uploader, settings: SettingsDep, db: DbDep
) -> Response:
    if not REPORT_ID.fullmatch(report_id) or fmt not in FORMATS:
        raise HTTPException(status_code=404, detail="no such report")
    folder = reports_dir(settings) / report_id
    files = sorted(folder.glob(f"*.{fmt}")) if folder.is_dir() else []
    if not files:
        raise HTTPException(status_code=404, detail="no such report")
    audit.append(
        db, principal.username, "screen.paylist_download", "screen_report", report_id,
        {"format": fmt},
    )  # fmt: skip
    db.commit()
    return FileResponse(files[0], media_type=FORMATS[fmt], filename=files[0].name)
