"""The root path sends each role to its own starting page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from qingfeng.web.deps import PrincipalDep
from qingfeng.web.roles import HOME, Role

router = APIRouter()


@router.get("/", name="home")
def home(principal: PrincipalDep) -> RedirectResponse:
    return RedirectResponse(HOME[Role(principal.role)], status_code=303)
