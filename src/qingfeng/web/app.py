"""`create_app(settings)`: a FastAPI app serving the /api/v1 closed-loop API.

Minimal on this branch; the back office (pages, sign-in) builds on the same app state:
`app.state.settings`, `app.state.engine`, `app.state.sessions` (a sessionmaker), and calls
`qingfeng.web.api.include_api(app)`. Nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from qingfeng import __version__
from qingfeng.settings import Settings
from qingfeng.store.db import make_engine, session_factory


def create_app(settings: Settings) -> FastAPI:
    if not settings.secret_key or len(settings.secret_key) < 16:
        raise ValueError(
            "secret_key is missing or shorter than 16 characters: set it in "
            f"{settings.workspace / 'qingfeng.toml'} or QINGFENG_SECRET_KEY"
        )
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="清风 qingfeng",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load from a CDN; the JSON document is served
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, same_site="lax")
    from qingfeng.web.api import include_api

    include_api(app)
    return app
