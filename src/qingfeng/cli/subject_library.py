"""`qingfeng libraries build`: the subject and relationship libraries (主体库 / 关系库)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="主体库与关系库 / subject and relationship libraries.", no_args_is_help=True
    )
    group.command("build")(build)
    app.add_typer(group, name="libraries")


def build(
    workspace: WorkspaceOption = None,
    from_duckdb: Annotated[
        Path | None,
        typer.Option(
            "--from-duckdb",
            help="从 DuckDB 数据库文件读取标准表（默认读数据湖）/ read the standard tables from "
            "a DuckDB database file instead of the lake.",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="duckdb（默认）或 spark：关系库与亲属关系库在 [spark] 指定的集群上构建 / duckdb "
            "(default) or spark: the relationship and kinship libraries on the [spark] master.",
        ),
    ] = "duckdb",
) -> None:
    """构建人员、单位、车辆、房产、账户库及各类关系库 / build all libraries into lake/_libraries."""
    import duckdb

    from qingfeng.subject_library import LibraryBuildError, build_libraries
    from qingfeng.subject_library.attach import libraries_dir

    settings = settings_for(workspace)
    if engine not in ("duckdb", "spark"):
        raise fail(f"--engine: duckdb or spark, not {engine!r}")
    if engine == "spark" and from_duckdb is not None:
        raise fail("--engine spark reads the lake; --from-duckdb is for DuckDB only")
    if from_duckdb is not None:
        if not from_duckdb.is_file():
            raise fail(f"找不到 DuckDB 文件 / no such DuckDB file: {from_duckdb}")
        con = duckdb.connect()  # the build writes temp tables: attach the file read-only
        try:
            con.execute("ATTACH ? AS src (READ_ONLY)", [str(from_duckdb)])
            tables = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
            ).fetchall()
        except duckdb.Error as exc:
            con.close()
            raise fail(f"无法打开 / cannot open {from_duckdb}: {exc}") from None
        for (name,) in tables:
            ident = '"' + name.replace('"', '""') + '"'
            con.execute(f"CREATE VIEW {ident} AS SELECT * FROM src.main.{ident}")
    else:
        from qingfeng.lake import connect

        con = connect(settings)
    from qingfeng.lake.location import lake_root

    root = lake_root(settings)
    # a lake on object storage: build on the local disk, then put each file (one PUT each)
    out = (
        libraries_dir(settings.lake_dir)
        if root.is_local
        else settings.lake_dir / "_staging" / f"libraries-{time.time_ns()}"
    )
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("构建 / building", total=None)

        def progress(name: str, step: int, total: int) -> None:
            bar.update(task, description=f"构建 / building {name}", completed=step - 1, total=total)

        try:
            if engine == "spark":
                report = _build_on_spark(settings, con, out, progress)
            else:
                report = build_libraries(con, out, progress)
        except LibraryBuildError as exc:
            raise fail(str(exc)) from None
        finally:
            con.close()
    if not root.is_local:
        from qingfeng.subject_library.attach import publish_libraries

        publish_libraries(out, root)
        shutil.rmtree(out, ignore_errors=True)
    shown = out if root.is_local else f"{root.url}/_libraries"
    table = Table(title=f"主体库与关系库 / libraries → {shown}")
    for col in ("库 / library", "行数 / rows", "秒 / s", "缺少的输入 / missing inputs"):
        table.add_column(col)
    for r in report.results:
        missing = (
            "（无输入或输入为空，已生成空表 / no or empty input: empty table）"
            if r.skipped
            else ", ".join(r.missing_inputs)
        )
        table.add_row(r.name, f"{r.rows:,}", f"{r.seconds:.2f}", missing)
    console.print(table)
    if report.linkage is not None:
        lk = report.linkage
        console.print(
            f"无证号记录关联 / record linkage (Splink): {lk.mentions:,} 条 mentions, "
            f"{lk.linked:,} 已关联 linked, {lk.ambiguous:,} 存疑 ambiguous, "
            f"{lk.unmatched:,} 未匹配 unmatched"
        )
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    report_path = settings.reports_dir / "libraries.json"
    report_path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), "utf-8")
    console.print(
        f"共 {report.seconds:.1f} 秒 / total {report.seconds:.1f} s; 报告 / report: {report_path}"
    )


def _build_on_spark(settings: Any, con: Any, out: Path, progress: Any) -> Any:
    """The relationship and kinship libraries on the `[spark]` master (the subject libraries and
    the linkage on DuckDB first); the lake must be a folder every executor sees."""
    from qingfeng.engine.engines.spark_engine import SparkEngine
    from qingfeng.engine.errors import EngineError
    from qingfeng.operations.library_spark import build_libraries_spark

    try:
        engine = SparkEngine.for_lake(settings)
    except EngineError as exc:
        raise fail(str(exc)) from None
    return build_libraries_spark(con, out, engine.spark, progress)
