"""Sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from qingfeng.clients import request_client
from qingfeng.store.sessions import purge_expired
from qingfeng.web import accounts
from qingfeng.web.deps import (
    PASSWORD_PAGE,
    STAMP_SESSION_KEY,
    USER_SESSION_KEY,
    DbDep,
    csrf_protect,
)
from qingfeng.web.roles import HOME, Role
from qingfeng.web.security import CSRF_SESSION_KEY, new_csrf_token
from qingfeng.web.session_middleware import timeouts_from
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])


def safe_next(target: str | None) -> str | None:
    """Only same-site absolute paths: never another host, never a scheme-relative URL."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login", name="login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next) or "", "error": ""})


@router.post("/login")
def login_submit(
    request: Request,
    db: DbDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    client = request_client(request, request.app.state.settings.trusted_proxies)
    result = accounts.authenticate(db, username, password, client)
    if not result.ok:
        throttled = result.reason == "throttled"
        response = render(
            request,
            "login.html",
            {
                "next": safe_next(next) or "",
                "error": "login.throttled" if throttled else "login.invalid",
                "seconds": result.retry_after,
                "minutes": 0,
                "username": username,
            },
            status_code=429 if throttled else 401,
        )
        if throttled:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    settings = request.app.state.settings
    purge_expired(db, timeouts_from(settings.session_idle_minutes, settings.session_absolute_hours))
    db.commit()
    # A fresh session on sign-in: nothing from before (fixation) survives; the store issues a
    # new token because the signed-in user changed.
    request.session.clear()
    request.session[USER_SESSION_KEY] = result.user_id
    request.session[STAMP_SESSION_KEY] = result.stamp
    request.session[CSRF_SESSION_KEY] = new_csrf_token()
    loaded = accounts.load_principal(db, result.user_id or 0)
    if loaded and loaded[0].must_change_password:
        # A temporary password (set by an administrator) is replaced before anything else.
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    home = HOME[Role(loaded[0].role)] if loaded else "/"
    return RedirectResponse(safe_next(next) or home, status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
