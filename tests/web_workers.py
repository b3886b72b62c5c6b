"""Starting real `qingfeng serve` processes on free ports for the multi-worker tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(workspace: Path, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """A `qingfeng serve` process (with `workers` uvicorn workers) on a free port; its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "qingfeng", "serve", "-w", str(workspace), "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    full_env = {**os.environ, "PYTHONPATH": str(SRC), **env}
    proc = subprocess.Popen(
        cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise AssertionError(f"qingfeng serve exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("qingfeng serve did not answer within 60 s")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, 15)  # the server and its worker processes (own session)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)
