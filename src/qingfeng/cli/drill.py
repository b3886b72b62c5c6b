"""`qingfeng drill new` / `qingfeng drill score`: data-analysis training drills (数据分析大比武)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from qingfeng.cli.common import console, fail
from qingfeng.cli.synth import _date, progress_bar

if TYPE_CHECKING:
    from qingfeng.synth.styles.measure import ModelResult, StyleResult

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


@drill_app.command("styles")
def styles_cmd(
    out_dir: Annotated[
        Path, typer.Argument(help="输出目录（须为空）/ output folder (must be empty).")
    ],
    persons: Annotated[int, typer.Option("--persons", "-n", help="人口数 / persons.")] = 3000,
    seed: Annotated[int, typer.Option(help="随机种子 / seed.")] = 1,
    styles: Annotated[
        str | None,
        typer.Option(help="逗号分隔的样式（默认全部）/ comma-separated styles (default: all)."),
    ] = None,
    start: Annotated[str, typer.Option(help="开始日期 / first day.")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="结束日期 / last day.")] = "2024-12-31",
    oracle: Annotated[
        bool,
        typer.Option(
            "--oracle",
            help="另用真值映射再测一遍（识别满分时的上限）/ also measure each style with the "
            "truth's mappings (recognition perfect: what values and layouts still cost).",
        ),
    ] = False,
) -> None:
    """各导出样式下的识别与模型效果 / how ingest and models cope with each export style.

    Per style: the county in that style, a fresh workspace, `ingest --yes` with no saved
    mapping, libraries, every model; then files recognised, columns on the right field, rows
    landed and each core model's recall, precision and decoys hit. JSON: OUT/styles.json."""
    from qingfeng.synth import SynthError
    from qingfeng.synth.styles import STYLES
    from qingfeng.synth.styles.measure import measure

    names = [s.strip() for s in styles.split(",") if s.strip()] if styles else list(STYLES)
    unknown = [n for n in names if n not in STYLES]
    if unknown:
        raise fail(
            f"未知样式 / unknown style {', '.join(unknown)}; 可用 / available: {', '.join(STYLES)}"
        )
    first, last = _date(start, "--start"), _date(end, "--end")
    try:
        results = measure(
            out_dir, names, persons, seed, first, last, log=lambda m: console.log(m), oracle=oracle
        )
    except (SynthError, ValueError) as exc:
        raise fail(str(exc)) from None
    print_styles(results)
    console.print(f"JSON: {out_dir / 'styles.json'}; Markdown: {out_dir / 'styles.md'}")


def print_styles(results: list[StyleResult]) -> None:
    from qingfeng.synth.styles.measure import MODEL_BAR

    table = Table(title="导出样式评估 / ingest by export style (--yes, no saved mapping)")
    for col in (
        "样式 style",
        "文件识别 files right",
        "列正确 columns right",
        "告知数据集 told dataset",
        "多映射 spurious",
        "入库行 rows landed / expected",
        f"模型达标 models ≥{MODEL_BAR:.0%}",
        "有命中 models finding",
        "案例 cases found",
        "诱饵 decoys hit",
    ):
        table.add_column(col)
    for r in results:
        s = r.summary()
        table.add_row(
            r.style
            + (" +truth mapping" if r.oracle else "")
            + (" (held out)" if r.held_out else ""),
            f"{s['files_recognised']}/{s['files']} ({s['files_landed']} landed)",
            f"{s['column_share']:.0%} ({s['columns_right']}/{s['columns']})",
            f"{s['column_share_told']:.0%} ({s['columns_right_told']}/{s['columns']})",
            str(s["spurious_columns"]),
            f"{s['rows_landed']:,}/{s['rows_expected']:,}",
            f"{s['models_at_target']}/{s['core_models']}",
            str(s["models_finding_cases"]),
            f"{s['cases_found']}/{s['cases']}",
            str(s["decoys_hit"]),
        )
    console.print(table)
    detail = Table(title="核心模型 / core models: recall / precision / decoys hit")
    detail.add_column("模型 model", no_wrap=True)
    for r in results:
        detail.add_column(r.style + ("+truth" if r.oracle else ""))

    def cell(m: ModelResult) -> str:
        rec = "—" if m.recall is None else f"{m.recall:.2f}"
        pre = "—" if m.precision is None else f"{m.precision:.2f}"
        return f"{rec} / {pre}" + (f" / [red]{m.decoys_hit}[/]" if m.decoys_hit else "")

    for i, m in enumerate(results[0].models if results else []):
        detail.add_row(m.model_id, *(cell(r.models[i]) for r in results))
    console.print(detail)
    for r in results:
        for e in r.errors[:10]:
            console.print(f"[yellow]{r.style}[/]: {e}")


def register(app: typer.Typer) -> None:
    app.add_typer(drill_app, name="drill")
