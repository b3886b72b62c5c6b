"""`qingfeng portal ...`: run the public portal as its own process, load the places it offers."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Annotated

import typer

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for

_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
_LEVELS = ("county", "township", "village")


def read_divisions(path: Path) -> list[tuple[str, str, str]]:
    """Rows (code, name, level) of a CSV with columns code,name[,level]; every bad row reported."""
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"code", "name"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: 缺少列 / missing columns: {', '.join(sorted(missing))}")
        for line, rec in enumerate(reader, start=2):
            code = (rec.get("code") or "").strip()
            name = (rec.get("name") or "").strip()
            level = (rec.get("level") or "").strip() or (
                "village" if len(code) == 12 and not code.endswith("000") else "township"
            )
            if not _CODE.match(code):
                problems.append(f"{path}:{line} code: {code!r} 不是6、9或12位行政区划代码")
            if not 1 <= len(name) <= 100:
                problems.append(f"{path}:{line} name: 名称必填且不超过100字")
            if level not in _LEVELS:
                problems.append(f"{path}:{line} level: {level!r} 应为 {'/'.join(_LEVELS)}")
            rows.append((code, name, level))
    if problems:
        raise ValueError("\n".join(problems))
    return rows


def register(app: typer.Typer) -> None:
    portal = typer.Typer(help="公众门户（阳光公开、自助查询、投诉举报）/ the public portal.")
    app.add_typer(portal, name="portal")

    @portal.command("serve")
    def serve(
        workspace: WorkspaceOption = None,
        host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
        port: Annotated[int | None, typer.Option(help="Port.")] = None,
    ) -> None:
        """Serve the public pages only (no back-office API), e.g. on a DMZ host."""
        import uvicorn

        from qingfeng.portal.app import create_portal_app

        settings = settings_for(workspace)
        uvicorn.run(
            create_portal_app(settings),
            host=host or settings.host,
            port=port or settings.port,
            log_level="warning",
        )

    @portal.command("export-complaints")
    def export_complaints(
        out: Annotated[Path, typer.Argument(help="CSV file to write (UTF-8, with header).")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Write portal complaints as the standard `complaints` dataset, for ingest into the lake
        (so the complaint models also see them). Contains phone numbers of named complainants."""
        from qingfeng.cells import safe_record
        from qingfeng.portal.analytics import COMPLAINTS_DATASET_FIELDS, complaints_dataset_rows
        from qingfeng.store.db import make_engine, session_factory

        settings = settings_for(workspace)
        with session_factory(make_engine(settings.database_url))() as s:
            rows = complaints_dataset_rows(s)
        tmp = out.with_name(out.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COMPLAINTS_DATASET_FIELDS)
            writer.writeheader()
            writer.writerows(safe_record(row) for row in rows)
        tmp.replace(out)
        console.print(f"已导出 {len(rows)} 条投诉 / exported {len(rows)} complaints → {out}")

    @portal.command("divisions")
    def divisions(
        csv_file: Annotated[Path, typer.Argument(help="CSV with columns code,name[,level].")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Load the townships and villages offered in the complaint form and filters."""
        from qingfeng.portal.models import PortalDivision
        from qingfeng.store.db import make_engine, session_factory, transaction

        settings = settings_for(workspace)
        if not csv_file.is_file():
            raise fail(f"{csv_file}: 文件不存在 / file not found")
        try:
            rows = read_divisions(csv_file)
        except ValueError as exc:
            raise fail(str(exc)) from None
        with transaction(session_factory(make_engine(settings.database_url))) as s:
            for code, name, level in rows:
                s.merge(PortalDivision(code=code, name=name, level=level))
        console.print(f"已载入 {len(rows)} 个地区 / loaded {len(rows)} places")
