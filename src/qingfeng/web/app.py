"""`create_app(settings)`: the back office (pages), its static assets and the /api/v1 routers.

Nothing is created at import time: every engine, session factory and template environment
belongs to the app built here, so tests build their own app over a temporary workspace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from qingfeng import __version__
from qingfeng.settings import Settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.web.authz import enforce_policy
from qingfeng.web.body_limit import BodyLimitMiddleware
from qingfeng.web.deps import PASSWORD_PAGE, NotSignedIn, PasswordChangeRequired
from qingfeng.web.freshness import on_figures_changed
from qingfeng.web.queries.dashboard import CubeCache
from qingfeng.web.queries.screen import ScreenCache
from qingfeng.web.session_middleware import StoreSessionMiddleware, timeouts_from
from qingfeng.web.templating import make_templates, render

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "qf_session"

# Same-origin only: no CDN can be reached even by mistake, and no inline script runs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


class ConfigurationError(ValueError):
    """The settings cannot run a web app safely; the message says what to set."""


def create_app(settings: Settings) -> FastAPI:
    if not settings.secret_key or len(settings.secret_key) < 16:
        raise ConfigurationError(
            "secret_key is missing or shorter than 16 characters: set it in "
            f"{settings.workspace / 'qingfeng.toml'} or QINGFENG_SECRET_KEY "
            "(qingfeng init writes a random one)"
        )
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.cube.warm()  # the dashboard's first figures, built while people sign in
        yield
        engine.dispose()

    app = FastAPI(
        title="清风 qingfeng",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load its scripts from a CDN; the JSON document is served
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        # Every route passes the authorisation policy (qingfeng.web.policy) before it runs.
        dependencies=[Depends(enforce_policy)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.templates = make_templates()
    app.state.catalogue_cache = {}
    app.state.cube = CubeCache(app.state.sessions)
    app.state.screen = ScreenCache(app.state.sessions)
    # A commit that writes a warning or a case makes the cached figures stale at once.
    on_figures_changed(app.state.sessions, [app.state.cube.invalidate, app.state.screen.invalidate])

    # The cookie holds a random token only; the session lives in the store (web_sessions).
    app.add_middleware(
        StoreSessionMiddleware,
        factory=app.state.sessions,
        cookie_name=SESSION_COOKIE,
        timeouts=timeouts_from(settings.session_idle_minutes, settings.session_absolute_hours),
        https_only=settings.cookie_secure,
    )

    app.add_middleware(BodyLimitMiddleware, limit_for=_body_limit)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _include_routers(app)
    _install_error_pages(app)
    return app


def _body_limit(scope: Scope) -> int:
    """The largest body any route accepts: an upload at the app's limit and its form fields."""
    from qingfeng.web.pages.data import MULTIPART_OVERHEAD
    from qingfeng.web.uploads import DEFAULT_UPLOAD_LIMIT

    return int(getattr(scope["app"].state, "upload_limit", DEFAULT_UPLOAD_LIMIT)) + (
        MULTIPART_OVERHEAD
    )


def _include_routers(app: FastAPI) -> None:
    from qingfeng.web import metrics
    from qingfeng.web.pages import (
        account,
        audit,
        auth,
        dashboard,
        data,
        home,
        models,
        notify,
        paylist,
        people,
        portal_complaints,
        portal_ops,
        screen,
        screen_keys,
        users,
        warnings,
    )

    pages = (
        auth, account, home, notify, warnings, dashboard, screen, audit, models, data, people,
        users, portal_ops, portal_complaints, screen_keys, paylist,
    )  # fmt: skip
    for module in pages:
        app.include_router(module.router)
    app.include_router(metrics.router)
    _include_api(app)
    from qingfeng.web.portal_mount import mount_portal

    mount_portal(app)


def _include_api(app: FastAPI) -> None:
    """The closed loop's JSON API under /api/v1 (same session, CSRF header for unsafe calls)."""
    from qingfeng.web.api import include_api

    include_api(app)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def to_login(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "not signed in"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"/login?next={quote(target)}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def to_password(request: Request, _exc: PasswordChangeRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "change your password first"}, status_code=403)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=403, headers={"HX-Redirect": PASSWORD_PAGE})
        return RedirectResponse(PASSWORD_PAGE, status_code=303)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A number beyond what the store holds that no route check caught: the request is at
        # fault, not the server.
        detail = "a number in the request is out of range / 请求中的数字超出范围"
        if not _wants_html(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return render(request, "error.html", {"status": 422, "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = getattr(exc, "headers", None) or {}  # e.g. X-Policy: which check refused
        if not _wants_html(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=headers
            )
        response = render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": str(exc.detail)},
            status_code=exc.status_code,
        )
        response.headers.update(headers)
        return response
