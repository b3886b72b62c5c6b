"""`qingfeng serve`: the back office and its API for one workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        workspace: WorkspaceOption = None,
        host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
        port: Annotated[
            int | None, typer.Option(help="Port to listen on.", min=1, max=65535)
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                help="Worker processes (default: settings `workers`, 1). They share all state "
                "through the store; with SQLite keep them on one host.",
                min=1,
                max=64,
            ),
        ] = None,
    ) -> None:
        """Serve the back office (网页后台) and /api/v1 for the workspace."""
        from qingfeng.web.app import ConfigurationError
        from qingfeng.web.serve import serve_forever

        settings = settings_for(workspace)
        bind_host = host or settings.host
        bind_port = port or settings.port
        console.print(
            f"清风后台 / back office: [bold]http://{bind_host}:{bind_port}/[/]"
            "  (Ctrl+C 停止 / stop)"
        )
        try:
            serve_forever(settings, host=bind_host, port=bind_port, workers=workers)
        except ConfigurationError as exc:
            raise fail(str(exc)) from None
