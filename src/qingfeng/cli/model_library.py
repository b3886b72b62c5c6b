"""`qingfeng model score` and `qingfeng model docs`: the library's evaluation and catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    # The `model` group belongs to the engine station; the library adds its commands to it.
    from qingfeng.cli.engine import model_app

    model_app.command("score")(score)
    model_app.command("docs")(docs)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def score(
    truth: Annotated[
        Path, typer.Option("--truth", "-t", help="合成县的 truth.json / the synthetic truth file.")
    ],
    workspace: WorkspaceOption = None,
    output: Annotated[
        Path | None, typer.Option("--json", help="同时写出 JSON 结果 / also write JSON here.")
    ] = None,
    min_precision: Annotated[
        float, typer.Option(help="达标的最低精确率 / precision bar.", min=0.0, max=1.0)
    ] = 0.95,
    strict: Annotated[
        bool,
        typer.Option(help="有模型未达标时返回非零 / exit 1 when a planted model misses the bar."),
    ] = False,
) -> None:
    """按真值评估预警的精确率与召回率 / score the store's warnings against planted cases."""
    from qingfeng.model_library.evaluate import load_truth
    from qingfeng.model_library.evaluate import score as score_warnings
    from qingfeng.store.findings import store_warnings

    settings = settings_for(workspace)
    try:
        planted = load_truth(truth)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        warnings = store_warnings(settings.database_url)
    except Exception as exc:  # store missing or not migrated
        raise fail(f"无法读取预警库 / cannot read the warning store: {exc}") from None
    scores = score_warnings(warnings, planted)

    table = Table(title="模型评估 / model score")
    for column in (
        "模型 model",
        "植入 cases",
        "命中 found",
        "漏报 missed",
        "预警 warnings",
        "误报 false +",
        "诱饵命中 decoys hit",
        "召回 recall",
        "精确 precision",
        "达标 ok",
    ):
        table.add_column(column, overflow="fold")
    failing = []
    for s in scores.values():
        ok = s.passes(min_precision)
        if s.cases and not ok:
            failing.append(s.model_id)
        table.add_row(
            s.model_id,
            str(s.cases),
            str(s.true_positives),
            str(len(s.missed)),
            str(s.warnings),
            str(s.false_positives),
            f"{len(s.decoys_hit)}/{s.decoys}",
            _pct(s.recall),
            _pct(s.precision),
            ("[green]✓[/]" if ok else "[red]✗[/]") if s.cases else "[yellow]无植入 none[/]",
        )
    console.print(table)
    planted_models = [s for s in scores.values() if s.cases]
    console.print(
        f"{len(planted_models) - len(failing)}/{len(planted_models)} 个有植入案例的模型达标 / "
        f"models with planted cases meet recall 100% and precision ≥ {min_precision:.0%}"
    )
    for s in scores.values():
        for _, period in s.missed[:5]:
            console.print(f"  [red]漏报 missed[/] {s.model_id} {period}", highlight=False)
        for _, period in s.decoys_hit[:5]:
            console.print(f"  [red]诱饵命中 decoy hit[/] {s.model_id} {period}", highlight=False)
    if output is not None:
        payload = {"min_precision": min_precision, "models": [s.to_json() for s in scores.values()]}
        tmp = output.with_suffix(output.suffix + ".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(output)
    if strict and failing:
        raise typer.Exit(1)


def docs(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="写入文件（默认输出到屏幕）/ write to this file."),
    ] = None,
    check: Annotated[
        bool, typer.Option(help="只检查文件是否最新 / only check that the file is current.")
    ] = False,
) -> None:
    """由模型规格生成模型目录 / generate the model catalogue (docs/model-catalogue.md)."""
    from qingfeng.model_library.reference_doc import library_specs, render

    try:
        text = render(library_specs())
    except ValueError as exc:
        raise fail(f"模型库有错误 / the library has broken models:\n{exc}") from None
    if output is None:
        if check:
            raise fail("--check 需要 --output / --check needs --output")
        console.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    if check:
        current = output.read_text(encoding="utf-8") if output.is_file() else ""
        if current != text:
            raise fail(
                f"{output} 不是最新 / is out of date: run `qingfeng model docs --output {output}`"
            )
        console.print(f"{output} 是最新的 / is current")
        return
    tmp = output.with_suffix(output.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    console.print(f"已写入 / written: {output}")
