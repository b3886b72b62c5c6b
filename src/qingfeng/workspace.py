"""The workspace: one folder that holds a deployment's settings, sources, models, lake and store."""

from __future__ import annotations

import os
from pathlib import Path

from qingfeng.settings import SETTINGS_FILE, Settings, load_settings, new_secret_key

WORKSPACE_ENV = "QINGFENG_WORKSPACE"


class WorkspaceError(Exception):
    """A folder is not a usable workspace; the message says which and why."""


def default_workspace() -> Path:
    """QINGFENG_WORKSPACE if set, else the current folder."""
    return Path(os.environ.get(WORKSPACE_ENV) or Path.cwd())


def init_workspace(folder: Path, *, county_division_code: str = "") -> Settings:
    """Create (or complete) a workspace folder and its workflow store; safe to run twice."""
    folder = Path(folder).resolve()
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    settings_file = folder / SETTINGS_FILE
    if not settings_file.exists():
        lines = [
            "# qingfeng workspace settings; QINGFENG_* environment variables override these.",
            f'secret_key = "{new_secret_key()}"',
            "# keys the audit log; keep a copy apart from the store's backups",
            f'audit_key = "{new_secret_key()}"',
            'language = "zh"',
            f'county_division_code = "{county_division_code}"',
            '# store_url = "postgresql+psycopg://user@host/dbname"  # default: qingfeng.db here',
            "",
        ]
        settings_file.write_text("\n".join(lines), encoding="utf-8")
    settings = load_settings(folder)
    for sub in (
        settings.sources_dir,
        settings.mappings_dir,
        settings.models_dir,
        settings.lake_dir,
        settings.attachments_dir,
        settings.reports_dir,
    ):
        sub.mkdir(parents=True, exist_ok=True)
    from qingfeng.store.db import upgrade_store  # local: keeps `import qingfeng` light

    upgrade_store(settings.database_url)
    return settings


def open_workspace(folder: Path | None = None) -> Settings:
    """Settings of an existing workspace, or a WorkspaceError saying how to create one."""
    folder = Path(folder or default_workspace()).resolve()
    if not (folder / SETTINGS_FILE).exists():
        raise WorkspaceError(
            f"{folder} is not a qingfeng workspace (no {SETTINGS_FILE}); "
            f"create one with: qingfeng init {folder}"
        )
    return load_settings(folder)
