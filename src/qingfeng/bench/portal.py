"""Portal benchmark: disclosure pages served by ONE uvicorn process, load generated on loopback.

Target: 200 requests/s of disclosure pages with p99 < 100 ms on 2 cores. Phases:
1. cold cache: every distinct URL once (pages rendered and cached);
2. open loop at 1.1 x the target (a fixed-rate run can never report more than its own rate):
   requests are scheduled at a fixed rate and each latency is measured from its scheduled start,
   so a stalled server cannot hide queueing (no coordinated omission) — this phase is judged;
3. closed loop with 8 connections: peak throughput.
The generator is a small keep-alive HTTP/1.1 client on asyncio streams, to leave the CPU to the
server. Bounded: a fixed number of requests and at most `duration` seconds per phase.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

TARGET_RPS = 200
TARGET_P99_MS = 100.0
ROWS = 20_000


def serve_app() -> Any:
    """uvicorn --factory entry: the portal app of the workspace in $QINGFENG_WORKSPACE."""
    from qingfeng.portal.app import create_portal_app
    from qingfeng.workspace import open_workspace

    return create_portal_app(open_workspace(Path(os.environ["QINGFENG_WORKSPACE"])))


def _prepare(workspace: Path) -> list[int]:
    """A workspace whose store holds a published subsidy roll of ROWS masked rows (copied from an
    in-memory DuckDB 'lake' by the real publishing path). Returns the publication ids."""
    import duckdb

    from qingfeng.portal.models import PortalDivision
    from qingfeng.portal.publishing import (
        StaffUser,
        VersionSpec,
        approve_version,
        create_publication,
        publish_version,
    )
    from qingfeng.store.db import make_engine, session_factory
    from qingfeng.workspace import init_workspace

    settings = init_workspace(workspace, county_division_code="522723")
    # The benchmark measures page serving, not the per-address limiter (which stays in the path).
    with (workspace / "qingfeng.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[portal]\npage_burst = 1000000\npage_rate = 1000000.0\n")
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE subsidy_payments AS
        SELECT printf('P%08d', i) AS payment_no,
               '522723' || printf('%04d', 1940 + i % 40) || '0101'
                   || printf('%03d', i % 1000) || 'X' AS id_no,
               ['王小明', '李四', '欧阳春花', '张三丰', '赵六'][1 + i % 5] AS name,
               '高龄补贴' AS subsidy_type,
               '2026-' || printf('%02d', 1 + i % 10) AS period,
               DATE '2026-01-10' + INTERVAL (i % 300) DAY AS pay_date,
               CAST(100 + i % 7 * 10 AS DECIMAL(18,2)) AS amount,
               '6217' || printf('%012d', i) AS account_no,
               '522723101' || printf('%03d', 200 + i % 20) AS division_code
        FROM range({ROWS}) t(i)"""
    )
    factory = session_factory(make_engine(settings.database_url))
    officer, approver = StaffUser("bench-officer"), StaffUser("bench-approver")
    ids = []
    with factory() as s, s.begin():
        s.add(PortalDivision(code="522723101000", name="某镇", level="township"))
        for title in ("某镇2026年高龄补贴发放名册", "某镇2026年高龄补贴发放名册（副本）"):
            v = create_publication(
                s,
                kind="subsidy_roll",
                division_code="522723101000",
                spec=VersionSpec(title=title, filters={"division_prefix": "522723101"}),
                user=officer,
            )
            approve_version(s, v.id, approver)
            publish_version(s, v.id, officer, con, settings.secret_key)
            ids.append(v.publication_id)
    con.close()
    return ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    src = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "QINGFENG_WORKSPACE": str(workspace),
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "qingfeng.bench.portal:serve_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"portal server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("portal server did not start within 30 s")


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: qingfeng-bench\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _load(
    port: int, paths: list[str], rate: float | None, count: int, duration: float, conns: int
) -> dict[str, Any]:
    """Open loop at `rate` req/s (or closed loop when rate is None), at most `count` requests
    and `duration` seconds."""
    latencies: list[float] = []
    errors = 0
    next_index = 0
    start = time.perf_counter()
    stop_at = start + duration

    async def worker() -> None:
        nonlocal next_index, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                i = next_index
                if i >= count:
                    return
                next_index += 1
                scheduled = start + i / rate if rate else time.perf_counter()
                if scheduled > stop_at:
                    return
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    status = await _request(reader, writer, paths[i % len(paths)])
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                if status != 200:
                    errors += 1
                latencies.append(time.perf_counter() - scheduled)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(conns)))
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
        )

    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else 0,
    }


def run(
    console: Console, *, rate: float = TARGET_RPS * 1.1, duration: float = 10.0
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="qingfeng-bench-portal-") as tmp:
        workspace = Path(tmp) / "ws"
        t0 = time.perf_counter()
        ids = _prepare(workspace)
        publish_s = time.perf_counter() - t0
        pages = ROWS // 50
        rnd = random.Random(7)
        paths = [
            f"/public/disclosures/{rnd.choice(ids)}?page={rnd.randint(1, pages)}"
            for _ in range(500)
        ] + ["/public/disclosures", "/public/"] * 10
        rnd.shuffle(paths)
        port = _free_port()
        proc = _start_server(workspace, port)
        try:
            # Warm-up: every distinct URL once (steady state = rendered pages cached; the
            # per-request published-version check still runs), measured as the cold phase.
            distinct = sorted(set(paths))
            cold = asyncio.run(_load(port, distinct, None, len(distinct), 60, 4))
            steady = asyncio.run(_load(port, paths, rate, int(rate * duration), duration, 16))
            peak = asyncio.run(_load(port, paths, None, 20_000, duration / 2, 8))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    passed = (
        steady["errors"] == 0 and steady["rps"] >= TARGET_RPS and steady["p99_ms"] < TARGET_P99_MS
    )
    table = Table(title=f"门户公开页 / portal disclosure pages (1 uvicorn process, {ROWS} rows)")
    for col in ("phase", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="right")
    phases = (
        ("cold cache, 4 conns", cold),
        (f"open loop {rate:g}/s", steady),
        ("closed loop, 8 conns", peak),
    )
    for name, r in phases:
        table.add_row(
            name,
            str(r["requests"]),
            str(r["errors"]),
            str(r["rps"]),
            str(r["p50_ms"]),
            str(r["p99_ms"]),
            str(r["max_ms"]),
        )
    console.print(table)
    load = os.getloadavg()[0]
    console.print(
        f"machine load average at the end: {load:.1f} on {os.cpu_count()} cores; "
        f"publish snapshot of {ROWS} rows ×2: {publish_s:.1f} s; target ≥{TARGET_RPS} req/s with "
        f"p99 < {TARGET_P99_MS:g} ms: " + ("[green]PASS[/]" if passed else "[red]FAIL[/]")
    )
    return {
        "steady": steady,
        "peak": peak,
        "publish_seconds": round(publish_s, 2),
        "passed": passed,
    }
