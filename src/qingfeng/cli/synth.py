"""`qingfeng synth`: write a synthetic county (department files + truth.json)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qingfeng.cli.common import console, fail


@contextmanager
def progress_bar(persons: int) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar over persons generated; yields the callback to report progress."""
    with Progress(
        TextColumn("生成 / generating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} 人"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("synth", total=persons)
        yield lambda done, total: bar.update(task, completed=done)


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(
            f"{option} 日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD, got {value!r}"
        ) from None


def synth(
    out_dir: Annotated[
        Path, typer.Argument(help="输出目录（须为空）/ output folder (must be empty).")
    ],
    persons: Annotated[
        int, typer.Option("--persons", "-n", help="人口数 / number of persons.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed (same seed, same bytes).")] = 1,
    start: Annotated[str, typer.Option(help="开始日期 / first day (YYYY-MM-DD).")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="结束日期 / last day (YYYY-MM-DD).")] = "2024-12-31",
    style: Annotated[
        str,
        typer.Option(
            help="导出样式 / how the systems export it: standard, dbcodes, bureau, legacy "
            "(docs/synth.md); the truth is the same."
        ),
    ] = "standard",
    ocds: Annotated[
        bool,
        typer.Option(
            "--ocds/--no-ocds",
            help="另写一个 OCDS 交易中心及其真值（ocds/）/ also write a trading centre as OCDS, "
            "with its own truth, under ocds/ (docs/synth.md)",
        ),
    ] = False,
) -> None:
    """生成模拟县数据（部门导出文件 + 真值 truth.json）/ write a synthetic county with truth."""
    from qingfeng.synth import SynthError, generate

    first, last = _date(start, "--start"), _date(end, "--end")
    with progress_bar(persons) as update:
        try:
            result = generate(out_dir, persons, seed, first, last, progress=update, style=style)
        except SynthError as exc:
            raise fail(str(exc)) from None
    if ocds:
        from qingfeng.synth import trading_centre

        folder = trading_centre.write(out_dir, seed, first, last, result.truth.county)
        console.print(
            f"  {trading_centre.FOLDER}/{trading_centre.PACKAGE}  [dim]OCDS[/]  → {folder}"
        )
        console.print(f"  {trading_centre.FOLDER}/{trading_centre.COMPANIES}  [dim]companies[/]")
    for f in result.files:
        console.print(f"  {f.path.name}  [dim]{f.dataset}[/]  {f.rows:,} 行")
    t = result.truth
    console.print(
        f"已写入 / written: {result.rows:,} 行 rows in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} 行/秒 rows/s); 植入 planted: {len(t.cases())} 案例 cases, "
        f"{len(t.decoys())} 诱饵 decoys → {result.truth_path}"
    )


def register(app: typer.Typer) -> None:
    app.command(name="synth")(synth)
