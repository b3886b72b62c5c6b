"""Data (数据底座): which datasets the lake holds, from which batches, and the ingest reports
with their reconciliation (every input row loaded, quarantined or a duplicate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from qingfeng.web.deps import SettingsDep, require
from qingfeng.web.i18n import Translator
from qingfeng.web.queries.data import data_overview
from qingfeng.web.queries.quarantine import QuarantineError, quarantine_page
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(Area.DATA))]


@router.get("/data", name="data")
def data_page(request: Request, principal: Viewer, settings: SettingsDep) -> Response:
    return render(request, "data.html", {"d": data_overview(settings)})


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
    return f"{t.maybe('fieldname.' + fieldname, fieldname)}：{t.maybe('rule.' + code, code)}"
