"""Shared by every sub-command: the --workspace option and clear error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from qingfeng.settings import Settings
from qingfeng.workspace import WORKSPACE_ENV, WorkspaceError, open_workspace

console = Console()
err_console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help=f"Workspace folder (default: ${WORKSPACE_ENV}, else the current folder).",
        envvar=WORKSPACE_ENV,
        show_default=False,
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clear error (no traceback) and return the Exit to raise."""
    err_console.print(f"[bold red]错误 / error:[/] {message}")
    return typer.Exit(code)


def settings_for(workspace: Path | None) -> Settings:
    try:
        return open_workspace(workspace)
    except WorkspaceError as exc:
        raise fail(str(exc)) from None
