"""`qingfeng demo`: the whole flow on a small synthetic county, then the web app.

synth → ingest → run models → warnings in the store → serve. Each step calls the same station
function its own command uses; this module only strings them together and reports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from qingfeng.cli.common import console
from qingfeng.demo import DEMO_PERSONS, DEMO_SEED, run_demo_pipeline


def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder for the demo.")
    ] = Path("demo-workspace"),
    persons: Annotated[int, typer.Option(help="Persons in the synthetic county.")] = DEMO_PERSONS,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic county.")] = DEMO_SEED,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app at the end.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """演示：生成合成县数据 → 导入 → 运行模型 → 生成预警 → 启动网页。"""
    with Progress(console=console) as progress:
        result = run_demo_pipeline(
            workspace,
            persons=persons,
            seed=seed,
            start=date(2023, 1, 1),
            end=date(2024, 12, 31),
            progress=progress,
        )
    console.print(f"数据文件 / files: {result.files}, 入库行数 / rows loaded: {result.rows_loaded}")
    console.print(f"模型 / models run: {result.models_run}")
    console.print(f"[bold]预警数量 / warnings: {result.warnings}[/]")
    if not serve:
        return
    console.print(f"网址 / open: http://{host}:{port}/")
    for username, password, role in result.users:
        console.print(f"  登录 / sign in: [bold]{username}[/] / {password}  ({role})")
    from qingfeng.web.serve import serve_forever

    serve_forever(result.settings, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
