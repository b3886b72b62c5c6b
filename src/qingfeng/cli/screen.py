"""`qingfeng screen FILE` (a pay list screened before payment) and `qingfeng screen keys ...`
(the paying systems' API keys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for

EXIT_BLOCKED = 3  # the pay list holds a blocked row
EXIT_REVIEW = 0  # rows to review do not fail the command


class _FileOrCommand(TyperGroup):
    """`qingfeng screen FILE` runs the `file` command; `qingfeng screen keys ...` the keys."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["file", *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    screen = typer.Typer(
        cls=_FileOrCommand,
        help="支付前筛查 / `qingfeng screen FILE`: a pay list screened before payment; "
        "`qingfeng screen keys ...`: the API keys of paying systems.",
        no_args_is_help=True,
    )
    app.add_typer(screen, name="screen")
    keys = typer.Typer(
        help="付款系统的 API 密钥 / API keys of paying systems.", no_args_is_help=True
    )
    screen.add_typer(keys, name="keys")

    @screen.command("file")
    def screen_file_cmd(
        path: Annotated[
            Path, typer.Argument(help="发放名单 / the pay list (any file ingest reads).")
        ],
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Report path without suffix (.json and .xlsx)."),
        ] = None,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Screen a pay list; writes a JSON and an xlsx report. Exit code 3 when a row is
        blocked, 0 otherwise."""
        from qingfeng.screening.batch import screen_file, write_reports
        from qingfeng.screening.engine import ScreeningError

        settings = settings_for(workspace)
        if not path.exists():
            raise fail(f"{path}: 文件不存在 / no such file")
        try:
            report = screen_file(settings, path)
        except ScreeningError as exc:
            raise fail(str(exc)) from None
        target = out or settings.reports_dir / f"screen-{path.stem}"
        json_path, xlsx_path = write_reports(report, target)
        d = report.decisions
        console.print(
            f"筛查 {report.rows} 行：阻断 {d.get('block', 0)}，暂缓待核 {d.get('review', 0)}，"
            f"放行 {d.get('allow', 0)}，拒收 {d.get('error', 0)} / screened {report.rows} rows: "
            f"block {d.get('block', 0)}, review {d.get('review', 0)}, allow {d.get('allow', 0)}, "
            f"refused {d.get('error', 0)}"
        )
        for model_id, entry in sorted(report.reasons.items()):
            console.print(
                f"  {model_id} {entry['model_name']}: {entry['rows']} ({entry['decision']})"
            )
        snap = report.snapshot
        console.print(
            f"数据湖快照 lake snapshot {snap['id']} published {snap['published_at']} "
            f"(age {snap['age_seconds']} s)"
        )
        console.print(f"报告 report: {json_path} · {xlsx_path}")
        raise typer.Exit(EXIT_BLOCKED if report.blocked else EXIT_REVIEW)

    def _session(settings: Any) -> Any:
        from qingfeng.store.db import make_engine, session_factory

        return session_factory(make_engine(settings.database_url))

    def _show(key: Any, token: str | None = None) -> None:
        data = {
            "prefix": key.prefix,
            "name": key.name,
            "datasets": key.datasets,
            "areas": key.areas,
            "created_at": key.created_at.isoformat() if key.created_at else None,
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        }
        if token:
            data["token"] = token
        console.print_json(json.dumps(data, ensure_ascii=False))
        if token:
            console.print("密钥只显示这一次 / the key is shown once: keep it in the paying system.")

    @keys.command("create")
    def create(
        name: Annotated[str, typer.Option("--name", help="The calling system, e.g. 民政一卡通.")],
        dataset: Annotated[
            list[str], typer.Option("--dataset", help="A dataset it may screen (repeat).")
        ],
        area: Annotated[
            list[str], typer.Option("--area", help="A division-code prefix it may screen (repeat).")
        ],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Create a key (shown once; stored hashed)."""
        from qingfeng.screening import service

        settings = settings_for(workspace)
        try:
            with _session(settings)() as s, s.begin():
                key, token = service.create_key(s, name, dataset, area, "cli")
                _show(key, token)
        except ValueError as exc:
            raise fail(str(exc)) from None

    @keys.command("list")
    def list_(workspace: WorkspaceOption = None) -> None:
        """Every key (never the secret)."""
        from qingfeng.screening import service

        settings = settings_for(workspace)
        with _session(settings)() as s:
            for key in service.list_keys(s):
                state = "revoked" if key.revoked_at else "active"
                console.print(
                    f"{key.prefix}  {state:8}  {key.name}  datasets={','.join(key.datasets)}  "
                    f"areas={','.join(key.areas)}"
                )

    @keys.command("rotate")
    def rotate(
        prefix: Annotated[str, typer.Argument(help="The key's prefix (qfs_PREFIX_...).")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """A new key with the same scope; the old one stops working at once."""
        from qingfeng.screening import service

        settings = settings_for(workspace)
        try:
            with _session(settings)() as s, s.begin():
                key, token = service.rotate_key(s, prefix, "cli")
                _show(key, token)
        except (LookupError, ValueError) as exc:
            raise fail(str(exc)) from None

    @keys.command("revoke")
    def revoke(
        prefix: Annotated[str, typer.Argument(help="The key's prefix (qfs_PREFIX_...).")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Revoke a key; requests with it are refused from now on."""
        from qingfeng.screening import service

        settings = settings_for(workspace)
        try:
            with _session(settings)() as s, s.begin():
                _show(service.revoke_key(s, prefix, "cli"))
        except LookupError as exc:
            raise fail(str(exc)) from None
