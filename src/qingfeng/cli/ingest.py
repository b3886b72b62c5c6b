"""`qingfeng ingest`, `qingfeng batches`, `qingfeng rollback`: department files into the lake."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def _mapping_table(src: object, mapping: object) -> Table:
    from qingfeng.dataspec import get_dataset
    from qingfeng.ingest.mapping import Mapping
    from qingfeng.ingest.readers import SourceTable

    assert isinstance(src, SourceTable) and isinstance(mapping, Mapping)
    spec = get_dataset(mapping.dataset)
    table = Table(title=f"{src.name} → {mapping.dataset}（{spec.zh}）")
    table.add_column("原表头 / header")
    table.add_column("标准字段 / field")
    table.add_column("含义 / meaning")
    for header, fname in mapping.columns.items():
        meaning = spec.field(fname).zh if fname else "（忽略 / ignored）"
        table.add_row(header, fname or "-", meaning)
    for fname, value in mapping.constants.items():
        table.add_row("（常量 / constant）", fname, f"= {value}")
    if mapping.split is not None:
        _add_split_rows(table, mapping.split)
    return table


def _add_split_rows(table: Table, part: object) -> None:
    """The parent dataset a file also carries: its columns, de-duplicated into it."""
    from qingfeng.dataspec import get_dataset
    from qingfeng.ingest.mapping import Mapping

    assert isinstance(part, Mapping)
    spec = get_dataset(part.dataset)
    table.add_section()
    table.add_row(
        f"[bold]同时入库 / also lands in → {part.dataset}（{spec.zh}）[/]",
        "",
        "每行重复的列，去重 / the columns repeated on every row, de-duplicated",
    )
    for header, fname in part.columns.items():
        if fname:
            table.add_row(header, fname, spec.field(fname).zh)


def _confirm(src: object, mapping: object) -> bool:
    console.print(_mapping_table(src, mapping))
    return typer.confirm("接受这个映射吗？/ accept this mapping?", default=False)


def _print_report(report: object) -> None:
    from qingfeng.ingest.report import STATUS_TEXT, IngestReport, describe_rule

    assert isinstance(report, IngestReport)
    console.print("[bold]导入报告 / ingest report[/]")
    for s in report.sources:
        status = STATUS_TEXT.get(s.status, s.status)
        if s.status == "loaded":
            console.print(
                f"• {s.source} → {s.dataset}: 读取 read {s.rows_read} = 入库 loaded "
                f"{s.rows_loaded} + 隔离 quarantined {s.rows_quarantined} + 重复 duplicates "
                f"{s.rows_duplicate}  [dim]{s.batch_id}[/]",
                soft_wrap=True,
            )
            if s.split_role or s.key_conflicts:
                console.print(f"  [dim]{s.message}[/]", soft_wrap=True)
        else:
            console.print(f"• {s.source}: {status}", soft_wrap=True)
    t = report.totals
    console.print(
        f"合计 total: 读取 {t['rows_read']} = 入库 {t['rows_loaded']} + 隔离 "
        f"{t['rows_quarantined']} + 重复 {t['rows_duplicate']}",
        soft_wrap=True,
    )
    for s in report.sources:
        if s.rules:
            console.print(f"[bold]{s.source}[/] ({s.dataset}) 隔离原因 / quarantine rules:")
            for rule, n in s.rules.items():
                console.print(f"  {n:>8}  {describe_rule(rule)}")
        if s.status not in ("loaded",) and s.message:
            colour = "red" if s.status == "error" else "yellow"
            console.print(f"[{colour}]{s.message}[/]", soft_wrap=True)
        for fieldname, wordings in s.unmatched_values.items():
            listed = "、".join(f"{w}（{n}）" for w, n in wordings.items())
            console.print(
                f"[yellow]{s.source}: {fieldname} 未能归类的写法（已保留原文，代码为空）/ "
                f"wordings kept without a code: {listed}[/]",
                soft_wrap=True,
            )
        for fieldname, settled in s.inferred_values.items():
            listed = "、".join(f"{w} → {v}" for w, v in settled.items())
            console.print(
                f"[yellow]{s.source}: {fieldname} 按本列证据归类的写法，请核对 / wordings "
                f"settled by the column's evidence, to check: {listed}[/]",
                soft_wrap=True,
            )
        if s.dropped_prohibited:
            console.print(
                f"[yellow]{s.source}: 禁止采集的列未入库 / prohibited columns not stored: "
                f"{', '.join(s.dropped_prohibited)}[/]"
            )
    verdict = "一致 / reconciled" if report.reconciled else "不一致 / NOT reconciled"
    console.print(
        f"行数核对 / row accounting: {verdict}; 报告 / report: {report.report_path}", soft_wrap=True
    )


def ingest(
    path: Annotated[Path | None, typer.Argument(help="File or folder to ingest.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Accept proposed mappings.")] = False,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Standard dataset id (skip recognition).")
    ] = None,
    sql: Annotated[str | None, typer.Option("--sql", help="SQLAlchemy URL of a database.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Table to read with --sql.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="Query to read with --sql.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Ingest department files (CSV, Excel, Parquet, JSON lines), OCDS or a database table."""
    from qingfeng.dataspec import CatalogueError
    from qingfeng.ingest import IngestError, ingest_path, ingest_sql

    settings = settings_for(workspace)
    confirm = None if yes or not sys.stdin.isatty() else _confirm
    try:
        if sql:
            report = ingest_sql(
                settings,
                sql,
                table=table,
                query=query,
                dataset=dataset,
                assume_yes=yes,
                confirm=confirm,
            )
        else:
            if path is None:
                raise fail("请给出文件或目录，或用 --sql / give a FILE or DIR, or --sql URL")
            with Progress(
                TextColumn("[bold]导入 / ingest[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=confirm is not None,
            ) as bar:
                task = bar.add_task("", total=None)

                def progress(name: str, done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total, description=name)

                report = ingest_path(
                    settings,
                    path,
                    assume_yes=yes,
                    progress=progress,
                    dataset=dataset,
                    confirm=confirm,
                )
    except (IngestError, CatalogueError) as exc:
        raise fail(str(exc)) from None
    _print_report(report)
    if any(s.status == "error" for s in report.sources) or not report.reconciled:
        raise typer.Exit(1)


def batches(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the published batches of the lake."""
    from qingfeng.lake import Lake, LakeError
    from qingfeng.lake.location import lake_root

    settings = settings_for(workspace)
    try:
        found = Lake(lake_root(settings)).batches(dataset)
    except LakeError as exc:
        raise fail(str(exc)) from None
    if not found:
        console.print("湖中还没有已发布的批次 / no published batches yet")
        return
    console.print("[bold]已发布批次 / published batches[/] (批次 数据集 时间 来源: 入库/隔离/重复)")
    for b in found:
        c = b.counts
        console.print(
            f"{b.batch_id}  {b.dataset}  {b.created_at}  {b.source}: "
            f"{c.get('loaded', 0)}/{c.get('quarantined', 0)}/{c.get('duplicate', 0)}",
            soft_wrap=True,
        )


def rollback(
    batch: Annotated[str, typer.Argument(help="Batch id (see `qingfeng batches`).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Unpublish a batch and delete its files; the same file can then be ingested again."""
    from qingfeng.lake import Lake, LakeError
    from qingfeng.lake.location import lake_root

    settings = settings_for(workspace)
    lake = Lake(lake_root(settings))
    try:
        with lake.lock():
            gone = lake.rollback(batch)
    except LakeError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"已回滚批次 / rolled back batch [bold]{gone.batch_id}[/] "
        f"({gone.dataset}, {gone.source}, {gone.counts.get('loaded', 0)} rows)"
    )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("batches")(batches)
    app.command("rollback")(rollback)
