"""`qingfeng screenshots OUT_DIR`: PNGs of the back office's main pages (1366×768, Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    @app.command()
    def screenshots(
        out_dir: Annotated[Path, typer.Argument(help="Folder to write the PNG files to.")],
        seed: Annotated[
            bool,
            typer.Option(
                "--seed-demo-users",
                help="Create (or reset) the demo users first; only for demo workspaces.",
            ),
        ] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Render the main pages as the demo users would see them (signs in as the demo users)."""
        from qingfeng.demo_users import DEMO_PASSWORD, DEMO_USERS, seed_demo_users
        from qingfeng.store.db import upgrade_store
        from qingfeng.web.screenshots import ScreenshotError, take_screenshots

        settings = settings_for(workspace)
        upgrade_store(settings.database_url)
        if seed:
            seed_demo_users(settings)
        accounts = {role: (username, DEMO_PASSWORD) for username, role, _name in DEMO_USERS}
        try:
            written = take_screenshots(
                settings, out_dir, accounts, on_shot=lambda p: console.print(f"  {p}")
            )
        except ScreenshotError as exc:
            raise fail(
                f"{exc}. 截图以演示用户登录 / screenshots sign in as the demo users: "
                "run `make demo` or pass --seed-demo-users"
            ) from None
        console.print(f"已生成 {len(written)} 张截图 / {len(written)} screenshots in {out_dir}")
