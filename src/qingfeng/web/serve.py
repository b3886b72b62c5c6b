"""Serving the back office: `qingfeng serve` and the end of `qingfeng demo` both call this.

With `workers` above 1, uvicorn starts that many processes, each building its own app from the
workspace named in the environment (`app_from_environment`). They share nothing in memory: all
state one request may need from another is in the store (qingfeng.store.shared), so the workers,
and several hosts behind a load balancer, behave as one.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from qingfeng.settings import Settings

# The workspace folder a worker process builds its app from (set by serve_forever).
SERVE_WORKSPACE_ENV = "QINGFENG_SERVE_WORKSPACE"


def app_from_environment() -> FastAPI:
    """The app factory each worker process calls (uvicorn --factory)."""
    from qingfeng.settings import load_settings
    from qingfeng.web.app import create_app

    workspace = os.environ.get(SERVE_WORKSPACE_ENV)
    if not workspace:
        raise RuntimeError(f"{SERVE_WORKSPACE_ENV} is not set: start workers with `qingfeng serve`")
    return create_app(load_settings(Path(workspace)))


def serve_forever(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> None:
    """Migrate the store if needed, build the app and serve it until interrupted."""
    import uvicorn

    from qingfeng.store.db import upgrade_store
    from qingfeng.web.app import create_app

    upgrade_store(settings.database_url)  # a newer qingfeng may bring new migrations
    count = workers or settings.workers
    common = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "info",
        # No access log: URLs can carry search text, and personal data stays out of logs.
        "access_log": False,
        # Behind a reverse proxy its X-Forwarded-* are read by qingfeng.clients, not uvicorn.
        "proxy_headers": False,
    }
    if count <= 1:
        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    create_app(settings)  # a configuration error shows here, once, not in every worker
    os.environ[SERVE_WORKSPACE_ENV] = str(settings.workspace)
    uvicorn.run(
        "qingfeng.web.serve:app_from_environment",
        factory=True,
        workers=count,
        **common,  # type: ignore[arg-type]
    )
