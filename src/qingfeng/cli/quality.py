"""`qingfeng quality`: data quality of the lake, printed and written as JSON."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def quality(
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Only these datasets.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Completeness, validity, uniqueness, timeliness and cross-source consistency."""
    from qingfeng.dataspec import CatalogueError, get_dataset
    from qingfeng.lake import LakeError
    from qingfeng.quality import assess

    settings = settings_for(workspace)
    try:
        for ds in dataset or []:
            get_dataset(ds)
        report = assess(settings, datasets=dataset or None)
    except (CatalogueError, LakeError) as exc:
        raise fail(str(exc)) from None
    path = report.write(settings.reports_dir)
    if not report.datasets:
        console.print("湖中还没有数据 / the lake holds no data yet")
    for d in report.datasets:
        fresh = (
            f"最新 latest {d.timeliness_field}={d.latest} ({d.days_since_latest} 天前 days ago)"
            if d.latest
            else "无时效字段值 / no timeliness value"
        )
        console.print(
            f"\n[bold]{d.dataset}[/] {d.zh}: {d.rows} 行 rows, {d.batches} 批 batches, "
            f"隔离 quarantined {d.quarantined}, 去重 duplicates removed {d.duplicates_removed}, "
            f"唯一性 uniqueness {_pct(d.uniqueness)} ({d.key_duplicates} 重复键 duplicate keys); "
            f"{fresh}",
            soft_wrap=True,
        )
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in ("field", "req", "complete", "valid", "invalid"):
            table.add_column(col, justify="left" if col == "field" else "right")
        for f in d.fields:
            table.add_row(
                f.field,
                "*" if f.required else "",
                _pct(f.completeness),
                _pct(f.validity),
                str(f.invalid),
            )
        console.print(table)
        if len(d.trend) > 1:
            console.print("趋势 trend (批次 batch: 隔离率 quarantine rate, 必填完整率 required):")
            for b in d.trend:
                console.print(
                    f"  {b.created_at} {b.source}: {_pct(b.quarantine_rate)}, "
                    f"{_pct(b.required_completeness)}",
                    soft_wrap=True,
                )
    console.print("\n[bold]跨源一致性 / cross-source checks[/]")
    for c in report.cross_checks:
        if c.status == "skipped":
            console.print(f"  - {c.zh}: 跳过 skipped ({c.reason})", soft_wrap=True)
        else:
            mark = "[red]![/]" if c.count else "[green]✓[/]"
            console.print(f"  {mark} {c.zh}: {c.count} / {c.checked}", soft_wrap=True)
    console.print(f"\n报告 / report: {path}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("quality")(quality)
