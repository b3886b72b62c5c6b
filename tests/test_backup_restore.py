"""The backup-and-restore drill: a workspace with a lake, warnings and an audit trail is backed
up, lost, and restored from the archive alone; the restored copy has the same warnings, the same
lake files and an audit chain that verifies. On SQLite and on PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from built_in_models import built_in_models
from qingfeng import audit
from qingfeng.backup import BackupError, backup, read_manifest, restore
from qingfeng.cli import app as cli_app
from qingfeng.settings import load_settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import AuditLog, Warning
from test_web_model_runs import MODEL, _publish
from web_helpers import make_world

runner = CliRunner()


def _figures(settings) -> tuple[int, int, list[str]]:  # type: ignore[no-untyped-def]
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as s:
            warnings = s.scalar(select(func.count()).select_from(Warning))
            audits = s.scalar(select(func.count()).select_from(AuditLog))
    finally:
        engine.dispose()
    lake = sorted(
        p.relative_to(settings.lake_dir).as_posix() for p in settings.lake_dir.rglob("*.parquet")
    )
    return int(warnings or 0), int(audits or 0), lake


def test_backup_lose_restore_verify(tmp_path: Path, store_url: str) -> None:
    world = make_world(tmp_path / "live", store_url)
    toml = world.settings.workspace / "qingfeng.toml"  # the store named where a deployment does
    toml.write_text(f'store_url = "{store_url}"\n' + toml.read_text(encoding="utf-8"))
    for dataset, rows in built_in_models().get(MODEL).tests[0].tables.items():
        _publish(world.settings.lake_dir, dataset, rows)
    with world.factory() as s, s.begin():
        audit.append(s, "admin", "warning.view", "warning", world.warnings["county_a"][0], "web")
    before = _figures(world.settings)
    assert before[0] == 5 and before[1] >= 1 and before[2]

    archive = tmp_path / "backups" / "qingfeng.tar.gz"
    result = runner.invoke(cli_app, ["backup", str(archive), "-w", str(world.settings.workspace)])
    assert result.exit_code == 0, result.output
    manifest = read_manifest(archive)
    assert manifest["store"] == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
    assert manifest["store_revision"]

    # Lose everything: the workspace folder, and the PostgreSQL schema when there is one.
    shutil.rmtree(world.settings.workspace)
    restored = tmp_path / "restored"
    args = ["restore", str(archive), str(restored)]
    if not store_url.startswith("sqlite"):
        schema = store_url.rsplit("%3D", 1)[1]
        base = store_url.split("?")[0]
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        args += ["--store-url", store_url]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output

    settings = load_settings(restored)
    if store_url.startswith("sqlite"):
        assert settings.database_url.endswith(f"{restored.name}/qingfeng.db")
    else:
        assert settings.database_url == store_url
    assert _figures(settings) == before
    verified = runner.invoke(cli_app, ["audit", "verify", "-w", str(restored)])
    assert verified.exit_code == 0, verified.output


def test_restore_refuses_a_folder_in_use_and_a_foreign_file(tmp_path: Path) -> None:
    world = make_world(tmp_path / "live")
    archive = backup(world.settings, tmp_path / "b.tar.gz").archive
    with pytest.raises(BackupError, match="not empty"):
        restore(archive, world.settings.workspace)
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(world.settings.workspace / "qingfeng.toml", arcname="qingfeng.toml")
    with pytest.raises(BackupError, match="not a qingfeng backup"):
        restore(bogus, tmp_path / "new")
    with pytest.raises(BackupError, match="holds a SQLite store"):
        restore(archive, tmp_path / "new", "postgresql+psycopg://nobody@127.0.0.1/none")
