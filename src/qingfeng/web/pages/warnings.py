"""Warnings: the filtered list (full page or HTMX fragment), CSV export, and the detail page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from qingfeng.hits import SEVERITIES
from qingfeng.web.catalogue import FIELDS
from qingfeng.web.deps import CatalogueDep, DbDep, csrf_protect, require
from qingfeng.web.evidence import evidence_tables
from qingfeng.web.masking import mask_id
from qingfeng.web.queries.warnings import (
    PAGE_SIZES,
    SORTS,
    FilterError,
    WarningFilters,
    get_warning,
    iter_export,
    list_warnings,
)
from qingfeng.web.roles import Area, allows
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
Viewer = Annotated[Principal, Depends(require(Area.WARNINGS))]
Exporter = Annotated[Principal, Depends(require(Area.EXPORT))]

# The closed loop's states (qingfeng.loop.machine.STATES), in the order work moves through them.
STATUSES = (
    "new",
    "dispatched",
    "verifying",
    "disposed",
    "feedback",
    "follow_up",
    "archived",
    "returned",
    "merged",
)


def _filters(request: Request) -> WarningFilters:
    try:
        return WarningFilters.parse(request.query_params)
    except FilterError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/warnings", name="warnings")
def warnings_list(
    request: Request, db: DbDep, principal: Viewer, catalogue: CatalogueDep
) -> Response:
    filters = _filters(request)
    page = list_warnings(db, principal, filters, catalogue)
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
            "can_export": allows(principal.role, Area.EXPORT),
            "show_names": allows(principal.role, Area.PEOPLE),
        },
        fragment="warnings/_table.html",
    )


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
def warnings_export(request: Request, principal: Exporter, catalogue: CatalogueDep) -> Response:
    """The whole filtered list as CSV (UTF-8 with BOM so that Excel reads Chinese), IDs masked."""
    filters = _filters(request)
    sessions = request.app.state.sessions

    def rows() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
        with sessions() as db:
            for n, w in enumerate(iter_export(db, principal, filters, catalogue), 1):
                writer.writerow(
                    (
                        w.id,
                        w.model_id,
                        w.severity,
                        w.status,
                        w.subject_type,
                        mask_id(w.subject_id) if w.subject_type == "person" else w.subject_id,
                        w.subject_name or "",
                        w.division_code or "",
                        w.period,
                        "" if w.amount is None else f"{w.amount:.2f}",
                        w.created_at.isoformat() if w.created_at else "",
                        w.explanation,
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


@router.get("/warnings/{warning_id}", name="warning_detail")
def warning_detail(
    request: Request, warning_id: int, db: DbDep, principal: Viewer, catalogue: CatalogueDep
) -> Response:
    warning = get_warning(db, principal, warning_id)
    if warning is None:
        # Same answer for "does not exist" and "not yours": ids reveal nothing.
        raise HTTPException(status_code=404, detail="warning not found")
    return render(
        request,
        "warnings/detail.html",
        {
            "w": warning,
            "model": catalogue.get(warning.model_id),
            "evidence": evidence_tables(warning.evidence),
            "show_names": allows(principal.role, Area.PEOPLE),
            "timeline": [],
            "actions": [],
        },
    )
