"""`qingfeng catalogue`: list the standard datasets, show one, render the data specification."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qingfeng.cli.common import console, fail

catalogue_app = typer.Typer(help="标准数据集目录 / the catalogue of standard datasets.")


@catalogue_app.command("list")
def list_datasets() -> None:
    """List the standard datasets."""
    from qingfeng.dataspec import load_catalogue

    for spec in load_catalogue().values():
        console.print(f"{spec.id:<26} {spec.zh}  ({len(spec.fields)} fields)", soft_wrap=True)


@catalogue_app.command("show")
def show(dataset: Annotated[str, typer.Argument(help="Dataset id.")]) -> None:
    """Show one dataset's fields, rules and header synonyms."""
    from qingfeng.dataspec import CatalogueError, get_dataset
    from qingfeng.dataspec.docs import render_dataset

    try:
        spec = get_dataset(dataset)
    except CatalogueError as exc:
        raise fail(str(exc)) from None
    console.print(render_dataset(spec), markup=False, soft_wrap=True)


@catalogue_app.command("docs")
def docs(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("docs/data-spec.md"),
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the file differs instead of writing it.")
    ] = False,
) -> None:
    """Write the data specification page generated from the catalogue."""
    from qingfeng.dataspec.docs import render_markdown

    text = render_markdown()
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            raise fail(
                f"{output} 与目录不一致，请运行 / is out of date; run: qingfeng catalogue docs"
            )
        console.print(f"{output} 是最新的 / is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    console.print(f"已写入 / written: {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(catalogue_app, name="catalogue")
