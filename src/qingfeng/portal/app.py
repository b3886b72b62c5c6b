"""The portal as its own process: public pages only (no back-office API), for a DMZ host."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from qingfeng.portal.config import PortalConfig
from qingfeng.portal.router import build_portal_router
from qingfeng.settings import Settings


def create_portal_app(settings: Settings, config: PortalConfig | None = None) -> FastAPI:
    app = FastAPI(
        title="清风 · 阳光公开",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    router = build_portal_router(settings, config=config)
    app.include_router(router)
    app.state.portal = router.state  # type: ignore[attr-defined]

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/public/", status_code=307)

    return app
