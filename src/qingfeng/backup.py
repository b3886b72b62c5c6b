"""Backup and restore of one workspace: its files (lake, libraries, attachments, models, settings,
audit checkpoints) and its workflow store, in one .tar.gz with a manifest.

- SQLite: the store is copied through SQLite's online backup API (a consistent copy while the
  web app keeps writing), never by copying the file under a writer.
- PostgreSQL: `pg_dump --format=custom` of the store's schema; restored with `pg_restore`.

A restore writes into a folder that is empty or absent, and into a store that holds no tables:
it never mixes a backup with live data. `qingfeng audit verify` on the restored workspace checks
the audit chain end to end (the restore drill in docs/deployment.md).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from qingfeng.settings import SETTINGS_FILE, Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "store.sqlite"
PG_MEMBER = "store.pgdump"
FILES_MEMBER = "workspace"
# The SQLite store and its journal are copied consistently apart from the other files.
SKIPPED = ("qingfeng.db", "qingfeng.db-wal", "qingfeng.db-shm", "qingfeng.db-journal")


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    archive: Path
    store: str  # sqlite | postgresql
    files: int
    revision: str | None


def _store_revision(url: str) -> str | None:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _libpq(url: str) -> tuple[str, str | None]:
    """(a libpq URL for pg_dump/pg_restore, the schema named by its search_path option)."""
    parts = urlsplit(url)
    scheme = "postgresql"
    query = parse_qs(parts.query)
    schema = None
    for option in query.get("options", []):
        for token in unquote(option).split():
            if token.startswith("-csearch_path="):
                schema = token.split("=", 1)[1]
    return parts._replace(scheme=scheme).geturl(), schema


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{cmd[0]} is not installed: it is needed to {what}") from None
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed to {what}: {done.stderr.strip()[-2000:]}")


def backup(settings: Settings, archive: Path) -> BackupInfo:
    """Write the workspace and its store to `archive` (.tar.gz)."""
    url = settings.database_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    revision = _store_revision(url)
    with tempfile.TemporaryDirectory(prefix="qingfeng-backup-") as tmp:
        staging = Path(tmp)
        if kind == "sqlite":
            source = Path(url.split("///", 1)[1])
            if not source.exists():
                raise BackupError(f"the store {source} does not exist")
            with sqlite3.connect(source) as src, sqlite3.connect(staging / SQLITE_MEMBER) as dst:
                src.backup(dst)
        else:
            libpq, schema = _libpq(url)
            cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={staging / PG_MEMBER}"]
            cmd += [f"--schema={schema}"] if schema else []
            _run([*cmd, f"--dbname={libpq}"], "dump the PostgreSQL store")
        files = 0
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for path in sorted(settings.workspace.rglob("*")):
                rel = path.relative_to(settings.workspace)
                if path.is_file() and rel.as_posix() not in SKIPPED:
                    tar.add(path, arcname=f"{FILES_MEMBER}/{rel.as_posix()}")
                    files += 1
            member = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
            tar.add(staging / member, arcname=member)
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "store": kind,
                "store_revision": revision,
                "files": files,
            }
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            tar.add(staging / MANIFEST, arcname=MANIFEST)
        partial.replace(archive)  # a crash mid-write leaves no half archive under the real name
    return BackupInfo(archive, kind, files, revision)


def read_manifest(archive: Path) -> dict[str, object]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is not a qingfeng backup: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')!r} is not {FORMAT}")
    return dict(manifest)


def restore(archive: Path, target: Path, store_url: str | None = None) -> BackupInfo:
    """Recreate the workspace in `target` (absent or empty) and its store: SQLite inside it, or
    the empty PostgreSQL store at `store_url` (the backup's own kind of store is needed)."""
    manifest = read_manifest(archive)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: restore into a new folder")
    kind = str(manifest["store"])
    if kind == "postgresql" and not store_url:
        raise BackupError("this backup holds a PostgreSQL store: give --store-url of an empty one")
    if kind == "sqlite" and store_url and not store_url.startswith("sqlite"):
        raise BackupError("this backup holds a SQLite store: restore it without --store-url")
    target.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="qingfeng-restore-") as tmp,
        tarfile.open(archive, "r:gz") as tar,
    ):
        tar.extractall(tmp, filter="data")  # no absolute paths, links out or devices
        staging = Path(tmp)
        files = staging / FILES_MEMBER
        if files.exists():
            shutil.copytree(files, target, dirs_exist_ok=True)
        if kind == "sqlite":
            shutil.copyfile(staging / SQLITE_MEMBER, target / "qingfeng.db")
        else:
            assert store_url is not None
            if _store_revision(store_url) is not None:
                raise BackupError("the store at --store-url is not empty: give an empty one")
            libpq, _schema = _libpq(store_url)
            _run(
                ["pg_restore", "--no-owner", f"--dbname={libpq}", str(staging / PG_MEMBER)],
                "restore the PostgreSQL store",
            )
    # The restored settings name the store just filled: the PostgreSQL one given, or the
    # SQLite file inside the new folder (whatever path the backed-up settings named).
    _point_settings_at(target, store_url if kind == "postgresql" else None)
    return BackupInfo(archive, kind, int(str(manifest.get("files", 0))), _manifest_rev(manifest))


def _manifest_rev(manifest: dict[str, object]) -> str | None:
    rev = manifest.get("store_revision")
    return str(rev) if rev else None


def _point_settings_at(target: Path, store_url: str | None) -> None:
    """Leave the restored workspace's settings naming the store it was restored into."""
    path = target / SETTINGS_FILE
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if not line.strip().startswith("store_url")]
    if store_url:  # a top-level key: before the first [table]
        first = next((i for i, line in enumerate(kept) if line.strip().startswith("[")), len(kept))
        kept.insert(first, f"store_url = {json.dumps(store_url)}")
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
