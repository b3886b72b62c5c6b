"""A full disk during ingest: one sentence, staging removed, the lake and the store untouched;
`audit verify` on a full disk answers in one sentence too. The disk is a small tmpfs."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ingest_helpers import REGISTRY_HEADERS
from qingfeng.cli import app
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import AuditLog
from qingfeng.workspace import init_workspace


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _big_gb18030_csv(path: Path, rows: int = 250_000) -> Path:
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(REGISTRY_HEADERS)
        blank = [""] * (len(REGISTRY_HEADERS) - 4)
        writer.writerows(
            [f"52270119500101{i % 10000:04d}", f"人{i}", "男", "1950-01-01", *blank]
            for i in range(rows)
        )
    return path


def _audit_rows(url: str) -> int:
    with session_factory(make_engine(url))() as s:
        return int(s.scalar(select(func.count()).select_from(AuditLog)) or 0)


def test_ingest_on_a_full_disk_says_so_and_leaves_nothing(small_disk: Path, tmp_path: Path) -> None:
    settings = init_workspace(small_disk / "ws")
    source = _big_gb18030_csv(tmp_path / "户籍.csv")  # 18 MB to stage on a 5 MB disk
    catalogue = settings.lake_dir / "_catalogue.json"
    before = catalogue.read_bytes() if catalogue.exists() else None
    audit_before = _audit_rows(settings.database_url)
    result = CliRunner().invoke(
        app, ["ingest", str(source), "-w", str(settings.workspace), "--yes"]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert "磁盘空间不足" in text and "the disk is full" in text and "Traceback" not in text
    staging = settings.lake_dir / "_staging"
    assert not staging.exists() or not any(staging.iterdir())
    assert (catalogue.read_bytes() if catalogue.exists() else None) == before
    assert _audit_rows(settings.database_url) == audit_before
    verify = CliRunner().invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert verify.exit_code == 0, verify.output


def test_audit_verify_on_a_full_disk_answers_in_one_sentence(small_disk: Path) -> None:
    settings = init_workspace(small_disk / "ws")
    with (small_disk / "filler").open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    result = CliRunner().invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 3), result.output
    text = " ".join(result.output.split())
    assert "intact" in text or "cannot read the store" in text


def test_upload_on_a_full_disk_says_so_and_keeps_nothing(small_disk: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from qingfeng.web.app import create_app
    from qingfeng.web.uploads import uploads_dir
    from web_helpers import csrf_from, sign_in

    settings = init_workspace(small_disk / "ws")
    with session_factory(make_engine(settings.database_url))() as s, s.begin():
        from qingfeng.store.users import create_org, create_user

        org = create_org(s, "都匀市纪委监委", "county", "522701")
        create_user(s, "data", "correct horse 42", "data_officer", org.id)
    client = sign_in(
        TestClient(create_app(settings), follow_redirects=False), "data", "correct horse 42"
    )
    source = _big_gb18030_csv(tmp_path / "户籍.csv", rows=120_000)  # 9 MB on a 5 MB disk
    token = csrf_from(client.get("/data").text)
    r = client.post(
        "/data/upload",
        data={"csrf_token": token},
        files={"file": (source.name, source.read_bytes(), "text/csv")},
    )
    assert r.status_code in (400, 413)
    assert "磁盘空间不足" in r.text and "the disk is full" in r.text
    folder = uploads_dir(settings)
    assert not folder.exists() or list(folder.iterdir()) == []
