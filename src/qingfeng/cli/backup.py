"""`qingfeng backup` / `qingfeng restore`: the workspace and its store in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup_cmd(
        archive: Annotated[Path, typer.Argument(help="The .tar.gz to write.")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """备份工作区与工作流库 / back up the workspace (lake, attachments, settings) and store."""
        from qingfeng.backup import BackupError, backup

        settings = settings_for(workspace)
        try:
            info = backup(settings, archive)
        except BackupError as exc:
            raise fail(str(exc)) from None
        console.print(
            f"备份完成 / backup written: {info.archive} "
            f"({info.files} files, {info.store} store at {info.revision})"
        )

    @app.command("restore")
    def restore_cmd(
        archive: Annotated[Path, typer.Argument(help="A .tar.gz written by `qingfeng backup`.")],
        target: Annotated[Path, typer.Argument(help="An empty or absent folder.")],
        store_url: Annotated[
            str | None,
            typer.Option(help="An empty PostgreSQL store (for a backup of a PostgreSQL store)."),
        ] = None,
    ) -> None:
        """从备份恢复 / restore a backup into a new workspace folder (and an empty store)."""
        from qingfeng.backup import BackupError, restore

        try:
            info = restore(archive, target, store_url)
        except BackupError as exc:
            raise fail(str(exc)) from None
        console.print(
            f"恢复完成 / restored: {target} ({info.files} files, {info.store} store at "
            f"{info.revision}); check it with `qingfeng audit verify -w {target}`"
        )
