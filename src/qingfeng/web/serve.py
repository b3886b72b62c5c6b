"""Run the back office with uvicorn; shared by `qingfeng serve` and `qingfeng demo`."""

from __future__ import annotations

from qingfeng.settings import Settings


def serve_forever(settings: Settings, *, host: str, port: int) -> None:
    """Serve create_app(settings) until interrupted; raises ConfigurationError on bad settings."""
    import uvicorn

    from qingfeng.store.db import upgrade_store
    from qingfeng.web.app import create_app

    upgrade_store(settings.database_url)  # a newer qingfeng may bring new migrations
    web_app = create_app(settings)
    uvicorn.run(web_app, host=host, port=port, log_level="info", access_log=False)
