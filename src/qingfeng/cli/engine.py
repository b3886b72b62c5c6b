"""`qingfeng run` and `qingfeng model ...`: run supervision models, and tools for their authors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from qingfeng.engine.engines.base import Engine
    from qingfeng.engine.loader import ModelSet

model_app = typer.Typer(
    help="模型工具 / model author tools: list, test, explain, pack, unpack.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.add_typer(model_app, name="model")


def run(
    workspace: WorkspaceOption = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="模型编号，可重复 / model id.")
    ] = None,
    field: Annotated[
        str | None, typer.Option("--field", "-f", help="只运行该领域 / only this field.")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="duckdb（默认）或 spark / duckdb or spark.")
    ] = "duckdb",
) -> None:
    """运行监督模型，生成预警 / run supervision models over the lake into warnings."""
    from qingfeng.engine import DuckDBEngine, EngineError, ModelNotFoundError
    from qingfeng.operations.model_runs import run_models

    settings = settings_for(workspace)
    if engine not in ("duckdb", "spark"):
        raise fail(f"未知引擎 / unknown engine {engine!r}: duckdb or spark")
    try:
        if engine == "spark":
            from qingfeng.engine.engines.spark_engine import SparkEngine

            runner_engine: Engine = SparkEngine.for_lake(settings)
        else:
            runner_engine = DuckDBEngine.for_lake(settings)
    except EngineError as exc:
        raise fail(str(exc)) from None
    with Progress(
        TextColumn("[bold]运行模型 / models"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, result: object) -> None:
            label = getattr(result, "model_id", "")
            bar.update(task, completed=done, total=total, description=label)

        try:
            summary = run_models(
                settings,
                model_ids=model or None,
                field=field,
                progress=progress,
                engine=runner_engine,
            )
        except ModelNotFoundError as exc:
            raise fail(str(exc)) from None
        except EngineError as exc:
            raise fail(str(exc)) from None
        finally:
            runner_engine.close()

    table = Table(title=f"运行结果 / run {summary.run_group[:8]} ({summary.engine})")
    table.add_column("模型 model", no_wrap=True)
    for column in (
        "读取行 rows",
        "命中 hits",
        "新增 new",
        "仍存在 still",
        "已消失 gone",
        "耗时 ms",
        "错误 error",
    ):
        table.add_column(column, overflow="fold")
    for r in summary.results:
        table.add_row(
            f"{r.model_id}\n{r.name}",
            f"{r.rows_read:,}",
            f"{r.hits:,}",
            f"{r.new:,}",
            f"{r.still_present:,}",
            f"{r.no_longer_present:,}",
            f"{r.duration_ms:,}",
            f"[red]{r.error}[/]" if r.error else "",
        )
    console.print(table)
    for err in summary.load_errors:
        console.print(f"[yellow]未加载的模型文件 / model file not loaded:[/]\n{err}")
    console.print(
        f"共 {len(summary.results)} 个模型，命中 {summary.hits:,} 条，新增线索 {summary.new:,} 条；"
        f"失败 {len(summary.failed)} 个 / {len(summary.results)} models, {summary.hits:,} hits, "
        f"{summary.new:,} new leads, {len(summary.failed)} failed"
    )
    if summary.failed or summary.load_errors:
        raise typer.Exit(1)


def _model_set(workspace: Path | None) -> ModelSet:
    from qingfeng.engine import load_models
    from qingfeng.workspace import WorkspaceError, open_workspace

    try:
        folder = open_workspace(workspace).models_dir
    except WorkspaceError:
        folder = None  # outside a workspace: the built-in library only
    return load_models(folder)


@model_app.command("list")
def list_models(workspace: WorkspaceOption = None) -> None:
    """列出模型 / list the models available here."""
    models = _model_set(workspace)
    from qingfeng.engine.loader import library_dir

    table = Table()
    table.add_column("编号 id", no_wrap=True)
    for column in ("版本 version", "领域 field", "名称 name", "来源 source"):
        table.add_column(column, overflow="fold")
    for spec in models.select():
        builtin = models.sources[spec.id].parent == library_dir()
        source = "内置 built-in" if builtin else "工作区 workspace"
        table.add_row(spec.id, spec.version, spec.field, spec.name.zh, source)
    console.print(table)
    for err in models.errors:
        console.print(f"[red]{err}[/]")
    if models.errors:
        raise typer.Exit(1)


@model_app.command("test")
def test_models(
    model_id: Annotated[str | None, typer.Argument(help="模型编号；省略则全部 / model id.")] = None,
    workspace: WorkspaceOption = None,
    spark: Annotated[bool, typer.Option(help="也在 Spark 上运行 / also run on Spark.")] = False,
) -> None:
    """运行模型自带的测试用例 / run the bundled test cases."""
    from qingfeng.engine import ModelNotFoundError
    from qingfeng.engine.testing import run_cases

    models = _model_set(workspace)
    for err in models.errors:
        console.print(f"[red]{err}[/]")
    try:
        specs = models.select([model_id] if model_id else None)
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from None
    factories: list[tuple[str, Callable[[], Engine] | None]] = [("duckdb", None)]
    if spark:
        from qingfeng.engine.engines.spark_engine import SparkEngine

        factories.append(("spark", SparkEngine.shared))
    failed = 0
    total = 0
    for spec in specs:
        if not spec.tests:
            console.print(f"[yellow]![/] {spec.id}: 没有测试用例 / no test cases")
        for engine_name, factory in factories:
            for result in run_cases(spec, factory):
                total += 1
                if result.passed:
                    console.print(f"[green]✓[/] {spec.id} \\[{engine_name}] {result.case}")
                    continue
                failed += 1
                console.print(f"[red]✗[/] {spec.id} \\[{engine_name}] {result.case}")
                for line in result.problems:
                    console.print(f"    {line}", markup=False)
                if result.error:
                    console.print(f"    {result.error}", markup=False)
    console.print(f"{total - failed} passed, {failed} failed")
    if failed or models.errors:
        raise typer.Exit(1)


@model_app.command("explain")
def explain(
    model_id: Annotated[str, typer.Argument(help="模型编号 / model id.")],
    workspace: WorkspaceOption = None,
) -> None:
    """显示各方言的 SQL 与 DuckDB 执行计划 / print the SQL per dialect and DuckDB's plan."""
    from qingfeng.engine import DuckDBEngine, ModelNotFoundError, compile_model
    from qingfeng.engine.dataspec_port import default_catalogue
    from qingfeng.engine.dialects import DIALECTS
    from qingfeng.engine.engines.base import column_types_for

    models = _model_set(workspace)
    try:
        spec = models.get(model_id)
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from None
    compiled = compile_model(spec)
    console.print(f"[bold]{spec.id}[/] {spec.version} — {spec.name.zh} / {spec.name.en}")
    console.print(f"参数 / parameters: {compiled.parameters}")
    for dialect in DIALECTS:
        console.rule(f"SQL · {dialect}")
        console.print(compiled.sql(dialect), markup=False, highlight=False, soft_wrap=True)
    # The plan over empty tables of the catalogue's (or the first test case's) shape
    engine = DuckDBEngine()
    try:
        sample = spec.tests[0].tables if spec.tests else {}
        for dataset in spec.inputs:
            rows = sample.get(dataset, [])
            engine.register_rows(dataset, column_types_for(dataset, rows, default_catalogue()), [])
        console.rule("DuckDB EXPLAIN")
        console.print(
            engine.explain(compiled.sql("duckdb")), markup=False, highlight=False, soft_wrap=True
        )
    except Exception as exc:
        console.print(f"[yellow]无法生成执行计划 / no plan: {exc}[/]")
    finally:
        engine.close()


@model_app.command("pack")
def pack(
    out: Annotated[Path, typer.Argument(help="输出的模型包 .zip / the package file to write.")],
    model_ids: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="模型编号，可重复 / model id.")
    ] = None,
    all_models: Annotated[
        bool, typer.Option("--all", help="打包全部模型 / pack every model.")
    ] = False,
    package_version: Annotated[
        str, typer.Option("--version", help="模型包版本 / package version.")
    ] = "1.0.0",
    workspace: WorkspaceOption = None,
) -> None:
    """导出模型包（规格、测试用例、含校验和的清单）/ export a model package."""
    from qingfeng.engine import ModelNotFoundError
    from qingfeng.engine.packaging import PackageError, pack_models

    models = _model_set(workspace)
    ids = sorted(models.models) if all_models else list(model_ids or [])
    try:
        manifest = pack_models(models, ids, out, package_version=package_version)
    except (PackageError, ModelNotFoundError) as exc:
        raise fail(str(exc)) from None
    for entry in manifest["models"]:
        console.print(f"  {entry['id']} {entry['version']}  sha256 {entry['sha256'][:16]}…")
    console.print(f"已导出 {len(manifest['models'])} 个模型 / packed to [bold]{out}[/]")


@model_app.command("unpack")
def unpack(
    package: Annotated[Path, typer.Argument(help="模型包 .zip / the package file.")],
    force: Annotated[
        bool, typer.Option("--force", help="覆盖同名模型 / replace models with the same id.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """导入模型包到工作区 models/ / import a model package into the workspace."""
    from qingfeng.engine.packaging import PackageError, unpack_models

    settings = settings_for(workspace)
    try:
        installed = unpack_models(package, settings.models_dir, force=force)
    except PackageError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"已导入 {len(installed)} 个模型 / imported: {', '.join(installed)} → {settings.models_dir}"
    )
