"""Assembles the Typer application from the stations' command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qingfeng import __version__
from qingfeng.cli.common import console, fail
from qingfeng.workspace import WorkspaceError, init_workspace

app = typer.Typer(
    name="qingfeng",
    help="清风 qingfeng — 公权力大数据监督平台 / big-data supervision platform for public power.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    county: Annotated[str, typer.Option(help="Six-digit division code of the county.")] = "",
) -> None:
    """Create a workspace: settings, sources/, models/, lake/ and the workflow store."""
    try:
        settings = init_workspace(folder, county_division_code=county)
    except WorkspaceError as exc:
        raise fail(str(exc)) from None
    console.print(f"工作区已就绪 / workspace ready: [bold]{settings.workspace}[/]")


def _register_stations() -> None:
    # Each station module exposes `register(app)`; imported here, not at package import.
    from importlib import import_module

    for name in STATION_MODULES:
        import_module(f"qingfeng.cli.{name}").register(app)


STATION_MODULES: tuple[str, ...] = ("engine", "library")

_register_stations()
