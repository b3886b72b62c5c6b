"""The versioned JSON API under /api/v1 (closed loop: warnings, actions, outcomes, exports)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from qingfeng.loop.errors import LoopError

API_PREFIX = "/api/v1"


def include_api(app: FastAPI) -> None:
    """Mount the API routers on `app` and turn loop errors into JSON with their status."""
    from qingfeng.web.api import meta, screen, warnings

    app.include_router(warnings.router, prefix=API_PREFIX)
    app.include_router(screen.router, prefix=API_PREFIX)
    app.include_router(meta.router, prefix=API_PREFIX)

    @app.exception_handler(LoopError)
    async def loop_error(_request: Request, exc: LoopError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=exc.http_status)


__all__ = ["API_PREFIX", "include_api"]
