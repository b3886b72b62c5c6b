"""`qingfeng export ftm`: the user's scope as FollowTheMoney entities (for Aleph and the like)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qingfeng.cli.common import WorkspaceOption, console
from qingfeng.cli.warnings import AsOption, ModelOpt, SeverityOpt, StatusOpt, _acting, _query


def register(app: typer.Typer) -> None:
    e = typer.Typer(help="导出给其他调查工具 / export for other investigation tools.",
                    no_args_is_help=True)  # fmt: skip
    app.add_typer(e, name="export")

    @e.command("ftm")
    def ftm(
        as_user: AsOption = "",
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Output file (.ftm.json).")
        ] = None,
        unmasked: Annotated[
            bool, typer.Option("--unmasked", help="Personal data in clear (audited).")
        ] = False,
        status: StatusOpt = None,
        severity: SeverityOpt = None,
        model: ModelOpt = None,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Export the warnings in your scope, their subjects and the subjects' ties (ownership,
        directorship, family, employment, payments) as FollowTheMoney entities (audited)."""
        from importlib.util import find_spec

        from qingfeng.loop.ftm import export_ftm

        if find_spec("followthemoney") is None:
            console.print(
                "[red]FollowTheMoney 导出需要可选组件 / "
                "the export needs the optional `ftm` extra:[/] pip install 'qingfeng[ftm]' "
                "(PyICU: apt-get install libicu-dev pkg-config)"
            )
            raise typer.Exit(2)
        with _acting(workspace, as_user) as (settings, actor):
            q = _query(actor, status=status, severity=severity, model_id=model)
            path = out or settings.reports_dir / f"export-{actor.now:%Y%m%d-%H%M%S}.ftm.json"
            with console.status(f"导出 / exporting to {path}"):
                counts = export_ftm(
                    actor, path, settings.lake_dir, q=q, masked=not unmasked,
                    models_dir=settings.models_dir,
                )  # fmt: skip
        total = sum(counts.values())
        detail = ", ".join(f"{k} {v}" for k, v in counts.items())
        console.print(f"已导出 / exported {total} entities ({detail}) → [bold]{path}[/]")
