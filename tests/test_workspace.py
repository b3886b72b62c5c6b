from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.settings import load_settings
from qingfeng.store.db import make_engine, upgrade_store
from qingfeng.workspace import WorkspaceError, init_workspace, open_workspace


def test_init_creates_the_layout_and_store(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws", county_division_code="522701")
    for sub in ("sources", "models", "lake", "attachments", "reports"):
        assert (settings.workspace / sub).is_dir()
    assert settings.county_division_code == "522701"
    assert len(settings.secret_key) >= 32
    tables = inspect(make_engine(settings.database_url)).get_table_names()
    assert {"warnings", "model_runs"} <= set(tables)


def test_init_twice_keeps_the_settings(tmp_path: Path) -> None:
    first = init_workspace(tmp_path)
    second = init_workspace(tmp_path)
    assert first.secret_key == second.secret_key


def test_environment_overrides_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_workspace(tmp_path)
    monkeypatch.setenv("QINGFENG_PORT", "9123")
    assert load_settings(tmp_path).port == 9123


def test_open_workspace_names_the_folder_when_missing(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="qingfeng init"):
        open_workspace(tmp_path / "nowhere")


def test_cli_init(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / "qingfeng.toml").exists()


def test_migrations_run_on_both_stores(store_url: str) -> None:
    upgrade_store(store_url)
    upgrade_store(store_url)  # idempotent
    tables = set(inspect(make_engine(store_url)).get_table_names())
    assert {"warnings", "model_runs", "alembic_version"} <= tables
