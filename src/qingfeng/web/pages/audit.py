"""The audit-log viewer for auditors: who did what to which record, and whether the hash chain
still checks out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from qingfeng import audit
from qingfeng.web.deps import DbDep, require
from qingfeng.web.queries.audit import AuditFilters, list_audit
from qingfeng.web.queries.warnings import FilterError
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter()
Auditor = Annotated[Principal, Depends(require(Area.AUDIT))]


@router.get("/audit", name="audit")
def audit_log(request: Request, db: DbDep, principal: Auditor) -> Response:
    try:
        f = AuditFilters.parse(request.query_params)
    except FilterError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    page = list_audit(db, principal, f)
    keep = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "before"])
    return render(
        request,
        "audit.html",
        {"page": page, "f": f, "query_without_before": keep + "&" if keep else ""},
        fragment="partials/_audit_table.html",
    )


@router.get("/audit/verify", name="audit_verify")
def audit_verify(request: Request, db: DbDep, principal: Auditor) -> Response:
    """Walk the whole hash chain (on demand: it reads every row)."""
    report = audit.verify(db)
    return render(request, "partials/_audit_verify.html", {"report": report})
