"""The lake on S3-compatible object storage (a local moto server on 127.0.0.1): ingest, read,
libraries, rollback, and a crash before publishing leaving the previous state."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest_helpers import make_id, roster_rows, write_csv
from qingfeng.cli import app
from qingfeng.ingest import ingest_path
from qingfeng.lake import Lake, connect
from qingfeng.lake.location import lake_root
from qingfeng.settings import Settings, load_settings
from qingfeng.workspace import init_workspace

try:
    import boto3
    import fsspec  # noqa: F401
    import moto.server as moto_server
except ImportError:  # pragma: no cover - the dev extra brings them
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(
        "moto[server] and fsspec (the dev extra) are not installed", allow_module_level=True
    )

SRC = Path(__file__).resolve().parents[1] / "src"
HEADERS = ["公民身份号码", "姓名", "人员状态"]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "qingfeng-test",
    "AWS_SECRET_ACCESS_KEY": "qingfeng-test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (in this process, nothing downloaded)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _workspace(tmp_path: Path, endpoint: str, bucket: str) -> Settings:
    boto3.client("s3", endpoint_url=f"http://{endpoint}").create_bucket(Bucket=bucket)
    ws = init_workspace(tmp_path / "ws")
    url = f"s3://{bucket}/county-lake?endpoint_override={endpoint}&scheme=http&region=us-east-1"
    toml = ws.workspace / "qingfeng.toml"
    toml.write_text(f'lake_url = "{url}"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_settings(ws.workspace)
    assert not lake_root(settings).is_local
    return settings


def _registry(path: Path, start: int, n: int) -> Path:
    rows = [HEADERS] + [
        [make_id("522701", "19600101", i), f"人{chr(0x4E00 + i)}", "正常"]
        for i in range(start, start + n)
    ]
    return write_csv(path, rows)


def _objects(endpoint: str, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=f"http://{endpoint}")
    found = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(o["Key"] for o in found)


def _batch_dirs(endpoint: str, bucket: str) -> set[str]:
    return {k.split("/")[2] for k in _objects(endpoint, bucket) if "/batch=" in k}


def _state(settings: Settings) -> tuple[int, int, bytes]:
    con = connect(settings)
    rows = con.execute("SELECT count(*) FROM household_registry").fetchone()
    con.close()
    raw = lake_root(settings).read_bytes("_catalogue.json") or b""
    return len(Lake(lake_root(settings)).batches()), int(rows[0]) if rows else -1, raw


def test_ingest_read_libraries_and_rollback_on_object_storage(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = _workspace(tmp_path, s3_endpoint, "lake-a")
    first = ingest_path(settings, _registry(tmp_path / "户籍_1.csv", 0, 40), assume_yes=True)
    ingest_path(settings, _registry(tmp_path / "户籍_2.csv", 40, 20), assume_yes=True)
    assert first.sources[0].status == "loaded"
    batches, rows, raw = _state(settings)
    assert (batches, rows) == (2, 60)
    keys = _objects(s3_endpoint, "lake-a")
    assert "county-lake/_catalogue.json" in keys
    assert sum("household_registry/batch=" in k for k in keys) == 2
    # nothing of the lake stays on the local disk: only the (empty) staging and the lock
    assert not list(settings.lake_dir.glob("**/*.parquet"))
    catalogue = json.loads(raw)
    assert all(not f.startswith("/") for b in catalogue["batches"] for f in b["files"])

    # the models' engine and the libraries read the same lake
    from qingfeng.engine.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.for_lake(settings)
    assert engine.con.execute("SELECT count(*) FROM household_registry").fetchone() == (60,)
    assert all(f.startswith("s3://") for f in engine.table_files["household_registry"])
    result = CliRunner().invoke(app, ["libraries", "build", "-w", str(settings.workspace)])
    assert result.exit_code == 0, result.output
    assert any(k.endswith("_libraries/people.parquet") for k in _objects(s3_endpoint, "lake-a"))
    engine = DuckDBEngine.for_lake(settings)
    people = engine.con.execute("SELECT count(*) FROM people").fetchone()
    assert people is not None and people[0] >= 60

    result = CliRunner().invoke(
        app, ["rollback", first.sources[0].batch_id, "-w", str(settings.workspace)]
    )
    assert result.exit_code == 0, result.output
    assert _state(settings)[:2] == (1, 20)
    assert sum("household_registry/batch=" in k for k in _objects(s3_endpoint, "lake-a")) == 1


# `qingfeng ingest` in a child process that dies where the catalogue would be written: the
# batch's objects are uploaded, the catalogue does not name them.
CRASHING_INGEST = """
import os, sys
from qingfeng.cli import main
from qingfeng.lake.store import Lake

def crash_before_publishing(self, data):
    os._exit(97)

Lake._write = crash_before_publishing
sys.argv = ["qingfeng", *sys.argv[1:]]
main()
"""


def test_crash_before_publishing_leaves_the_previous_state(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = _workspace(tmp_path, s3_endpoint, "lake-b")
    ingest_path(settings, _registry(tmp_path / "户籍_1.csv", 0, 30), assume_yes=True)
    before = _state(settings)

    second = _registry(tmp_path / "户籍_2.csv", 30, 25)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_INGEST, "ingest", str(second), "--yes",
         "-w", str(settings.workspace)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 97, proc.stderr[-2000:]
    # the second batch's Parquet was uploaded, but no reader sees it
    batch_dirs = _batch_dirs(s3_endpoint, "lake-b")
    assert len(batch_dirs) == 2
    assert _state(settings) == before  # same batches, same rows, same catalogue bytes

    # the next ingest removes the orphan objects and publishes the file properly
    assert ingest_path(settings, second, assume_yes=True).sources[0].status == "loaded"
    assert _state(settings)[:2] == (2, 55)
    batch_dirs = _batch_dirs(s3_endpoint, "lake-b")
    assert len(batch_dirs) == 2


def test_a_file_carrying_two_datasets_publishes_both_or_neither(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = _workspace(tmp_path, s3_endpoint, "lake-c")
    roster = write_csv(tmp_path / "低保成员花名册.csv", roster_rows(30))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_INGEST, "ingest", str(roster), "--yes",
         "-w", str(settings.workspace)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 97, proc.stderr[-2000:]
    keys = _objects(s3_endpoint, "lake-c")
    assert any("dibao_members/batch=" in k for k in keys)
    assert any("dibao_households/batch=" in k for k in keys)
    assert Lake(lake_root(settings)).batches() == []
    con = connect(settings)
    assert con.execute(
        "SELECT (SELECT count(*) FROM dibao_members), (SELECT count(*) FROM dibao_households)"
    ).fetchone() == (0, 0)


def test_spark_names_the_shared_mount_for_an_object_storage_lake(
    tmp_path: Path, s3_endpoint: str
) -> None:
    from qingfeng.engine.engines.spark_engine import SparkEngine
    from qingfeng.engine.errors import EngineError

    settings = _workspace(tmp_path, s3_endpoint, "lake-d")
    with pytest.raises(EngineError, match="hadoop-aws"):
        SparkEngine.for_lake(settings, session=object())  # type: ignore[arg-type]


def test_a_lake_url_naming_a_folder_is_that_folder(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    shared = tmp_path / "mnt" / "lake"
    settings = load_settings(ws.workspace, lake_url=str(shared))
    ingest_path(settings, _registry(tmp_path / "户籍.csv", 0, 5), assume_yes=True)
    assert (shared / "_catalogue.json").is_file()
    assert list(shared.glob("household_registry/batch=*/part-0.parquet"))
    assert connect(settings).execute("SELECT count(*) FROM household_registry").fetchone() == (5,)
