"""Crash safety: an ingest killed mid-way leaves the previous lake complete and readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from ingest_helpers import make_id, roster_rows, write_csv
from qingfeng.cli import app
from qingfeng.ingest import ingest_path
from qingfeng.lake import Lake, connect
from qingfeng.workspace import init_workspace

SRC = Path(__file__).resolve().parents[1] / "src"
HEADERS = ["公民身份号码", "姓名", "人员状态"]


def _registry(path: Path, start: int, n: int) -> Path:
    rows = [HEADERS] + [
        [make_id("522701", "19600101", i), f"人{chr(0x4E00 + i)}", "正常"]
        for i in range(start, start + n)
    ]
    return write_csv(path, rows)


# `qingfeng ingest` in a child process whose catalogue write is replaced by a crash: the staged
# folders are already moved into the lake, the catalogue does not name them yet. "exit" dies at
# once (status 97); "sleep" prints a marker and waits to be killed.
CRASHING_INGEST = """
import os, sys, time
from qingfeng.cli import main
from qingfeng.lake.store import Lake

mode = sys.argv[1]

def crash_before_publishing(self, data):
    if mode == "exit":
        os._exit(97)
    print("QINGFENG-BEFORE-PUBLISH", file=sys.stderr, flush=True)
    time.sleep(60)
    os._exit(98)  # never killed: the test failed; never publish either

Lake._write = crash_before_publishing
sys.argv = ["qingfeng", *sys.argv[2:]]
main()
"""


def _ingest_process(ws: Path, file: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", CRASHING_INGEST, mode, "ingest", str(file), "--yes", "-w", str(ws)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _state(ws_path: Path) -> tuple[int, int, str]:
    ws = init_workspace(ws_path)
    con = connect(ws)
    rows = con.execute("SELECT count(*) FROM household_registry").fetchone()
    catalogue = (ws.lake_dir / "_catalogue.json").read_text(encoding="utf-8")
    return len(Lake(ws.lake_dir).batches()), int(rows[0]) if rows else -1, catalogue


def test_killed_before_publishing_leaves_previous_state(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    first = _registry(tmp_path / "in" / "户籍_1.csv", 0, 50)
    assert ingest_path(ws, first, assume_yes=True).sources[0].rows_loaded == 50
    before = _state(ws.workspace)

    second = _registry(tmp_path / "in" / "户籍_2.csv", 50, 30)
    proc = _ingest_process(ws.workspace, second, "sleep")
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    line = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "QINGFENG-BEFORE-PUBLISH" in line or not line:
            break
    assert "QINGFENG-BEFORE-PUBLISH" in line, "the ingest never reached the publish step"
    # The new batch's Parquet is in place but unpublished: kill the process now.
    assert list(ws.lake_dir.glob("household_registry/batch=*/part-0.parquet"))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    assert _state(ws.workspace) == before  # same batches, same rows, same catalogue bytes
    assert len(list(ws.lake_dir.glob("household_registry/batch=*"))) == 2  # the orphan is unseen

    # The next run cleans the orphan and ingests the file properly.
    report = ingest_path(ws, second, assume_yes=True)
    assert report.sources[0].status == "loaded"
    batches, rows, _ = _state(ws.workspace)
    assert (batches, rows) == (2, 80)
    assert len(list(ws.lake_dir.glob("household_registry/batch=*"))) == 2


def test_exit_before_publishing_then_rollback_of_the_first_batch(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    first = _registry(tmp_path / "a.csv", 0, 10)
    batch = ingest_path(ws, first, assume_yes=True).sources[0].batch_id
    proc = _ingest_process(ws.workspace, _registry(tmp_path / "b.csv", 10, 10), "exit")
    assert proc.wait(timeout=120) == 97
    assert _state(ws.workspace)[:2] == (1, 10)
    result = CliRunner().invoke(app, ["rollback", str(batch), "-w", str(ws.workspace)])
    assert result.exit_code == 0, result.output
    assert _state(ws.workspace)[:2] == (0, 0)


def test_a_file_carrying_two_datasets_publishes_both_or_neither(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    roster = write_csv(tmp_path / "低保成员花名册.csv", roster_rows(40))
    proc = _ingest_process(ws.workspace, roster, "exit")
    assert proc.wait(timeout=120) == 97
    # Both datasets' files were in place when it died; neither is published.
    assert list(ws.lake_dir.glob("dibao_members/batch=*/part-0.parquet"))
    assert list(ws.lake_dir.glob("dibao_households/batch=*/part-0.parquet"))
    assert Lake(ws.lake_dir).batches() == []
    con = connect(ws)
    assert con.execute(
        "SELECT (SELECT count(*) FROM dibao_members), (SELECT count(*) FROM dibao_households)"
    ).fetchone() == (0, 0)

    report = ingest_path(ws, roster, assume_yes=True)
    assert [(s.dataset, s.status) for s in report.sources] == [
        ("dibao_members", "loaded"),
        ("dibao_households", "loaded"),
    ]
    con = connect(ws)
    assert con.execute(
        "SELECT (SELECT count(*) FROM dibao_members), (SELECT count(*) FROM dibao_households)"
    ).fetchone() == (100, 40)
    assert len(list(ws.lake_dir.glob("dibao_*/batch=*"))) == 2  # the orphans were removed
