"""A real Spark standalone cluster (a master and workers) and a Spark Connect server on
127.0.0.1, launched from the installed PySpark's own `spark-class` (no download)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from web_workers import free_port


def spark_home() -> Path:
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home())


def _env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(work / "logs"),
        "SPARK_WORKER_DIR": str(work / "worker"),
        "SPARK_NO_DAEMONIZE": "1",
    }


def _launch(args: list[str], work: Path, log: str) -> subprocess.Popen[bytes]:
    out = (work / log).open("wb")
    return subprocess.Popen(
        [str(spark_home() / "bin" / "spark-class"), *args],
        env=_env(work),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its JVM and children end together (killpg)
    )


def _wait_for(
    work: Path, log: str, text: str, proc: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    path = work / log
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    raise AssertionError(f"{log}: no {text!r} within {timeout:.0f} s:\n{path.read_text()[-3000:]}")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@contextmanager
def standalone_cluster(work: Path, workers: int = 2, memory: str = "768m") -> Iterator[str]:
    """A master and `workers` workers (one core each); yields the master URL spark://..."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        master = _launch(
            [
                "org.apache.spark.deploy.master.Master",
                *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port())),
            ],
            work,
            "master.log",
        )
        procs.append(master)
        _wait_for(work, "master.log", "I have been elected leader", master, 90)
        started = []
        for i in range(workers):  # launched together: their JVMs start in parallel
            log = f"worker-{i}.log"
            worker = _launch(
                [
                    "org.apache.spark.deploy.worker.Worker",
                    *("--host", "127.0.0.1", "--cores", "1", "--memory", memory),
                    *("--webui-port", str(free_port()), "--work-dir", str(work / f"w{i}")),
                    url,
                ],
                work,
                log,
            )
            procs.append(worker)
            started.append((log, worker))
        for log, worker in started:
            _wait_for(work, log, "Successfully registered with master", worker, 90)
        yield url
    finally:
        _stop(procs)


@contextmanager
def connect_server(work: Path, master: str) -> Iterator[str]:
    """A Spark Connect server whose jobs run on `master`; yields its sc://... URL."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = _launch(
        [
            "org.apache.spark.deploy.SparkSubmit",
            *("--class", "org.apache.spark.sql.connect.service.SparkConnectServer"),
            *("--master", master, "--name", "qingfeng-connect"),
            *("--conf", f"spark.connect.grpc.binding.port={port}"),
            *("--conf", "spark.connect.grpc.binding.address=127.0.0.1"),
            *("--conf", "spark.ui.enabled=false", "--conf", "spark.driver.memory=768m"),
            *("--conf", "spark.executor.memory=512m"),
            "spark-internal",
        ],
        work,
        "connect.log",
    )
    try:
        _wait_for(work, "connect.log", "Spark Connect server started", server, 120)
        yield f"sc://127.0.0.1:{port}"
    finally:
        _stop([server])


def has_connect_server_jars() -> bool:
    return any((spark_home() / "jars").glob("spark-connect_*.jar"))
