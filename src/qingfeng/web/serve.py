"""Serving the back office: `qingfeng serve` and the end of `qingfeng demo` both call this."""

from __future__ import annotations

from qingfeng.settings import Settings


def serve_forever(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Migrate the store if needed, build the app and serve it until interrupted."""
    import uvicorn

    from qingfeng.store.db import upgrade_store
    from qingfeng.web.app import create_app

    upgrade_store(settings.database_url)  # a newer qingfeng may bring new migrations
    app = create_app(settings)
    # No access log: URLs can carry search text, and personal data stays out of logs.
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=False,
    )
