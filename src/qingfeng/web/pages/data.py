"""Data (数据底座): which datasets the lake holds, from which batches, and the ingest reports
with their reconciliation (every input row loaded, quarantined or a duplicate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from qingfeng.web.deps import SettingsDep, require
from qingfeng.web.queries.data import data_overview
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(Area.DATA))]


@router.get("/data", name="data")
def data_page(request: Request, principal: Viewer, settings: SettingsDep) -> Response:
    return render(request, "data.html", {"d": data_overview(settings)})
