"""The public side (阳光公开, 自助查询, 投诉举报): public pages, back-office API and services.

- `build_portal_router(settings)`: public pages, mounted under /public by the web app;
- `create_portal_app(settings)`: the same pages as their own process;
- `build_backoffice_router(settings)`: /api/v1/publications and /api/v1/complaints for staff;
- services: `publishing`, `complaints`, `selfquery`, `analytics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

    from qingfeng.settings import Settings


def build_portal_router(settings: Settings, **kwargs: Any) -> APIRouter:
    from qingfeng.portal.router import build_portal_router as build

    return build(settings, **kwargs)


def build_backoffice_router(settings: Settings, **kwargs: Any) -> APIRouter:
    from qingfeng.portal.api import build_backoffice_router as build

    return build(settings, **kwargs)


def create_portal_app(settings: Settings, **kwargs: Any) -> FastAPI:
    from qingfeng.portal.app import create_portal_app as create

    return create(settings, **kwargs)


__all__ = ["build_backoffice_router", "build_portal_router", "create_portal_app"]
