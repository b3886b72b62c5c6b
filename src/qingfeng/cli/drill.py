"""`qingfeng drill new` / `qingfeng drill score`: data-analysis training drills (数据分析大比武)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qingfeng.cli.common import console, fail
from qingfeng.cli.synth import _date, progress_bar

drill_app = typer.Typer(help="训练演练（数据分析大比武）/ training drills.", no_args_is_help=True)


@drill_app.command("new")
def new(
    out_dir: Annotated[Path, typer.Argument(help="下发给学员的目录 / folder handed to trainees.")],
    truth: Annotated[
        Path | None,
        typer.Option(
            help="真值文件路径（默认：目录旁 <目录名>.truth.json）/ where the truth goes."
        ),
    ] = None,
    persons: Annotated[int, typer.Option("--persons", "-n", help="人口数 / persons.")] = 10_000,
    seed: Annotated[
        int | None, typer.Option(help="随机种子（默认随机）/ seed (random by default).")
    ] = None,
    start: Annotated[str, typer.Option(help="开始日期 / first day.")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="结束日期 / last day.")] = "2024-12-31",
) -> None:
    """生成演练用模拟县（不含真值）/ write a drill county; the truth is kept apart."""
    from qingfeng.synth import SynthError
    from qingfeng.synth.drill import new_drill

    truth_path = truth or out_dir.resolve().parent / f"{out_dir.name}.truth.json"
    first, last = _date(start, "--start"), _date(end, "--end")
    with progress_bar(persons) as update:
        try:
            result = new_drill(out_dir, truth_path, persons, first, last, seed, progress=update)
        except SynthError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"演练数据 / drill county: {out_dir} "
        f"({len(result.files)} 个文件 files, {result.rows:,} 行 rows)"
    )
    console.print(f"真值（请妥善保管）/ truth, keep it apart: [bold]{result.truth_path}[/]")


@drill_app.command("score")
def score_cmd(
    findings: Annotated[
        Path, typer.Argument(help="学员提交的 CSV（model,subject_id,period）/ findings CSV.")
    ],
    truth: Annotated[Path, typer.Option(help="真值文件 / truth.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
) -> None:
    """按模型计算精确率和召回率 / precision and recall per model."""
    from qingfeng.synth import Truth
    from qingfeng.synth.drill import DrillError, score

    try:
        result = score(findings, Truth.read(truth))
    except (DrillError, ValueError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        console.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"演练评分 / drill score — {result.findings} 条发现 findings")
    table.add_column("模型 model", no_wrap=True)
    for col in (
        "案例 cases",
        "命中 found",
        "误报 FP",
        "其中诱饵 decoys",
        "精确率 precision",
        "召回率 recall",
    ):
        table.add_column(col)

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.0%}"

    for m in result.models:
        table.add_row(
            m.model,
            str(m.cases),
            str(m.found),
            str(m.false_positives),
            str(m.decoys_flagged),
            pct(m.precision),
            pct(m.recall),
        )
    console.print(table)
    for model, n in sorted(result.unknown_models.items()):
        console.print(f"[yellow]未知模型 / unknown model[/] {model}: {n} 条")


def register(app: typer.Typer) -> None:
    app.add_typer(drill_app, name="drill")
