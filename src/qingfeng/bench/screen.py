"""Pre-payment screening over a synthetic county (QINGFENG_BENCH_PERSONS, default 1,000,000;
the county of the `library` benchmark, built once under bench-out/library-<persons>/).

Candidates are next month's payments of people the lake already pays (their latest period moved
one month on), so every screening model does its real work. Measured: one candidate in process
and over HTTP (p50/p99 of QINGFENG_BENCH_SCREEN_SINGLES calls, default 200), a batch of 10,000,
and a pay list file of QINGFENG_BENCH_PAYLIST rows (default 100,000) through `qingfeng screen`,
each beside the same models run as a batch over the lake, and beside a hand-written DuckDB
baseline: the same checks (first death, registry name and birth date, payments already made in
the period, recipients of the account) written by hand as one query over in-memory copies of the
lake tables, with the candidate as parameters (one) or as a table (the batch). The ratio says what
the generality of running the models' own SQL costs.
"""

from __future__ import annotations

import os
import socket
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

TARGETS = {
    "single_ms": 5.0,
    "http_ms": 20.0,
    "batch_s": 2.0,
    "file_ratio": 2.0,
    "rps": 200,
    "rps_p99_ms": 50.0,
}


def _candidates(settings: Any, n: int) -> list[dict[str, Any]]:
    from qingfeng.lake import connect

    con = connect(settings)
    try:
        cur = con.execute(
            "WITH last AS (SELECT max(period) AS p FROM subsidy_payments) "
            "SELECT id_no, name, subsidy_type, CAST(amount AS VARCHAR), account_no, division_code, "
            "strftime(CAST(p.period || '-01' AS DATE) + INTERVAL 1 MONTH, '%Y-%m') "
            "FROM subsidy_payments AS p, last WHERE p.period = last.p AND id_no IS NOT NULL "
            "ORDER BY hash(payment_no) LIMIT ?",
            [n],
        )
        rows = cur.fetchall()
    finally:
        con.close()
    keys = ("id_no", "name", "subsidy_type", "amount", "account_no", "division_code", "period")
    return [
        {"payment_no": f"BENCH{i:08d}", **dict(zip(keys, row, strict=True))}
        for i, row in enumerate(rows)
    ]


_BASELINE_TABLES = {
    "b_deaths": "SELECT id_no, death_date FROM deaths",
    "b_registry": "SELECT id_no, name, birth_date, registry_death_date, household_no "
    "FROM household_registry",
    "b_payments": "SELECT payment_no, id_no, subsidy_code, subsidy_type, period, account_no "
    "FROM subsidy_payments",
}
# One candidate's checks by hand: ? = id_no, name, period, subsidy type, account.
_BASELINE_ONE = """
SELECT
  (SELECT min(d) FROM (SELECT death_date AS d FROM b_deaths WHERE id_no = $1
                       UNION ALL SELECT registry_death_date FROM b_registry WHERE id_no = $1)),
  (SELECT any_value(name) <> $2 FROM b_registry WHERE id_no = $1),
  (SELECT any_value(birth_date) FROM b_registry WHERE id_no = $1),
  (SELECT count(DISTINCT payment_no) FROM b_payments
    WHERE id_no = $1 AND period = $3 AND coalesce(subsidy_code, subsidy_type) = $4),
  (SELECT count(DISTINCT p.id_no) FROM b_payments AS p WHERE account_no = $5 AND period = $3)
"""
_BASELINE_BATCH = """
WITH c AS (SELECT * FROM b_cand),
death AS (SELECT id_no, min(d) AS d FROM (
    SELECT id_no, death_date AS d FROM b_deaths WHERE id_no IN (SELECT id_no FROM c)
    UNION ALL SELECT id_no, registry_death_date FROM b_registry
    WHERE id_no IN (SELECT id_no FROM c)) GROUP BY id_no),
dup AS (SELECT p.id_no, p.period, count(DISTINCT payment_no) AS n FROM b_payments AS p
    SEMI JOIN c ON p.id_no = c.id_no AND p.period = c.period GROUP BY ALL),
acct AS (SELECT p.account_no, p.period, count(DISTINCT p.id_no) AS n FROM b_payments AS p
    SEMI JOIN c ON p.account_no = c.account_no AND p.period = c.period GROUP BY ALL)
SELECT c.id_no, death.d, r.name <> c.name, r.birth_date, dup.n, acct.n
FROM c LEFT JOIN death USING (id_no) LEFT JOIN b_registry AS r USING (id_no)
LEFT JOIN dup USING (id_no, period) LEFT JOIN acct USING (account_no, period)
"""


def _baseline(settings: Any, candidates: list[dict[str, Any]], singles: int) -> dict[str, float]:
    """The hand-written baseline: p50/p99 of one candidate (ms), a batch (s)."""
    from qingfeng.lake import connect

    con = connect(settings)
    try:
        for name, sql in _BASELINE_TABLES.items():
            con.execute(f"CREATE TABLE {name} AS {sql}")
        times = []
        for i in range(singles):
            c = candidates[i % len(candidates)]
            params = [c["id_no"], c["name"], c["period"], c["subsidy_type"], c["account_no"]]
            t0 = time.perf_counter()
            con.execute(_BASELINE_ONE, params).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        columns = ("id_no", "name", "period", "subsidy_type", "account_no")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE b_cand AS SELECT "
            + ", ".join(f"unnest(${i + 1}::VARCHAR[]) AS {n}" for i, n in enumerate(columns)),
            [[c[n] for c in candidates] for n in columns],
        )
        con.execute(_BASELINE_BATCH).fetchall()
        batch = time.perf_counter() - t0
    finally:
        con.close()
    return {"p50": statistics.median(times), "p99": _pct(times, 0.99), "batch_s": batch}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _batch_models(settings: Any, screener: Any) -> float:
    """The screening models of subsidy_payments run as a batch over the lake (seconds)."""
    from qingfeng.engine.engines.duckdb_engine import DuckDBEngine
    from qingfeng.engine.runner import run_compiled

    engine = DuckDBEngine.for_lake(settings)
    try:
        t0 = time.perf_counter()
        for model in screener.models["subsidy_payments"]:
            run_compiled(engine, model.compiled)
        return time.perf_counter() - t0
    finally:
        engine.close()


@contextmanager
def _server(settings: Any) -> Iterator[str]:
    """A real `qingfeng serve` process on a free loopback port (the code this bench runs)."""
    import subprocess
    import sys

    import httpx

    import qingfeng

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    src = str(Path(qingfeng.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    log = (settings.workspace / "bench-serve.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qingfeng", "serve", "--workspace", str(settings.workspace),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"qingfeng serve did not start (see {log.name})")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _http(
    settings: Any, candidates: list[dict[str, Any]], singles: int, rate: int, seconds: float
) -> dict[str, Any]:
    """One candidate at a time over HTTP, a batch of 10,000, then `rate` single requests per
    second for `seconds` from concurrent clients; latency counted from each request's
    scheduled time (a request sent late because the server was slow counts as slow)."""
    import httpx

    from qingfeng.screening import service
    from qingfeng.store.db import make_engine, session_factory

    factory = session_factory(make_engine(settings.database_url))
    with factory() as s, s.begin():
        _, token = service.create_key(s, "bench", ["subsidy_payments"], ["52"], "bench")
    times: list[float] = []
    run = time.strftime("%H%M%S")
    headers = {"X-API-Key": token}
    with _server(settings) as base, httpx.Client(base_url=base, timeout=600) as client:
        client.post(  # the first call opens the lake
            "/api/v1/screen",
            json={"request_id": f"warm-{run}", "candidate": candidates[0]},
            headers=headers,
        ).raise_for_status()
        for i in range(singles):
            body = {"request_id": f"one-{run}-{i}", "candidate": candidates[i % len(candidates)]}
            t0 = time.perf_counter()
            r = client.post("/api/v1/screen", json=body, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
        t0 = time.perf_counter()
        r = client.post(
            "/api/v1/screen",
            json={"request_id": f"batch-{run}", "candidates": candidates[:10_000]},
            headers=headers,
        )
        r.raise_for_status()
        batch = time.perf_counter() - t0
        load = _sustained(base, headers, candidates, rate, seconds, run)
    return {
        "p50": statistics.median(times),
        "p99": _pct(times, 0.99),
        "batch_s": batch,
        "load": load,
    }


def _sustained(
    base: str,
    headers: dict[str, str],
    candidates: list[dict[str, Any]],
    rate: int,
    seconds: float,
    run: str,
    clients: int = 32,
) -> dict[str, Any]:
    """`rate` single-candidate requests per second, open loop, from `clients` threads."""
    import threading

    import httpx

    total = int(rate * seconds)
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    start = time.perf_counter() + 1.0

    def client(k: int) -> None:
        with httpx.Client(base_url=base, timeout=60, headers=headers) as http:
            for i in range(k, total, clients):
                due = start + i / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                candidate = candidates[i % len(candidates)]
                body = {"request_id": f"rps-{run}-{i}", "candidate": candidate}
                try:
                    status = http.post("/api/v1/screen", json=body).status_code
                except httpx.HTTPError:
                    status = 0
                took = (time.perf_counter() - due) * 1000
                with lock:
                    latencies.append(took)
                    if status != 200:
                        failures.append(status)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "rate": rate,
        "requests": total,
        "achieved_rps": total / elapsed,
        "p50": statistics.median(latencies),
        "p99": _pct(latencies, 0.99),
        "failed": len(failures),
    }


def _paylist(settings: Any, rows: int, folder: Path) -> Path:
    """A pay list as a department writes it: Chinese headers, UTF-8 with BOM."""
    from qingfeng.lake import connect

    path = folder / f"paylist-{rows}.csv"
    con = connect(settings)
    try:
        con.execute(
            f"COPY (SELECT payment_no AS 发放单号, id_no AS 身份证号, name AS 姓名, "
            f"subsidy_type AS 补贴类型, period AS 发放年月, pay_date AS 发放日期, amount AS 金额, "
            f"account_no AS 银行账号, division_code AS 行政区划代码 FROM subsidy_payments "
            f"ORDER BY hash(payment_no) LIMIT {int(rows)}) TO '{path}' (HEADER, DELIMITER ',')"
        )
    finally:
        con.close()
    return path


def _parity(screener: Any, candidates: list[dict[str, Any]], outcome: Any) -> dict[str, int]:
    """Every candidate the batch (DuckDB) flagged, and as many it allowed, screened one at a
    time (SQLite): how many verdicts differ (decision, models and sentences)."""

    def verdict(result: Any) -> tuple[Any, ...]:
        return (result.decision, tuple(sorted((r.model_id, r.sentence) for r in result.reasons)))

    flagged = [i for i, r in enumerate(outcome.results) if r.decision != "allow"]
    allowed = [i for i, r in enumerate(outcome.results) if r.decision == "allow"]
    chosen = flagged + allowed[: max(len(flagged), 100)]
    differ = sum(
        verdict(screener.screen("subsidy_payments", [candidates[i]]).results[0])
        != verdict(outcome.results[i])
        for i in chosen
    )
    return {"compared": len(chosen), "flagged": len(flagged), "differ": differ}


def run(console: Console) -> dict[str, Any]:
    from qingfeng.bench.library import _county
    from qingfeng.screening.batch import screen_file
    from qingfeng.screening.engine import Screener

    persons = int(os.environ.get("QINGFENG_BENCH_PERSONS", "1000000"))
    singles = int(os.environ.get("QINGFENG_BENCH_SCREEN_SINGLES", "200"))
    paylist_rows = int(os.environ.get("QINGFENG_BENCH_PAYLIST", "100000"))
    rate = int(os.environ.get("QINGFENG_BENCH_SCREEN_RPS", "200"))
    seconds = float(os.environ.get("QINGFENG_BENCH_SCREEN_SECONDS", "20"))
    settings = _county(persons, console)
    candidates = _candidates(settings, 10_000)
    t0 = time.perf_counter()
    screener = Screener(settings)
    screener.screen("subsidy_payments", candidates[:1])  # opens the lake, compiles
    open_s = time.perf_counter() - t0
    lite = sorted(screener._lite[1])
    console.print(
        f"  snapshot opened in {open_s:.1f} s; through SQLite: {', '.join(lite)}; "
        f"DuckDB only: {screener.lite_problems or 'none'}"
    )

    times = []
    for i in range(singles):
        t0 = time.perf_counter()
        screener.screen("subsidy_payments", [candidates[i % len(candidates)]])
        times.append((time.perf_counter() - t0) * 1000)
    single = {"p50": statistics.median(times), "p99": _pct(times, 0.99)}
    console.print(
        f"  one candidate in process: p50 {single['p50']:.2f} ms, p99 {single['p99']:.2f} ms"
    )
    t0 = time.perf_counter()
    outcome = screener.screen("subsidy_payments", candidates)
    batch_s = time.perf_counter() - t0
    console.print(f"  batch of {len(candidates):,} in process: {batch_s:.2f} s")
    parity = _parity(screener, candidates, outcome)
    console.print(f"  one at a time (SQLite) vs the batch (DuckDB): {parity}")
    batch_models_s = _batch_models(settings, screener)
    console.print(f"  the same models as a batch over the lake: {batch_models_s:.2f} s")
    baseline = _baseline(settings, candidates, singles)
    console.print(f"  hand-written DuckDB baseline: {baseline}")
    http = _http(settings, candidates, singles, rate, seconds)
    console.print(f"  over HTTP: {http}")
    path = _paylist(settings, paylist_rows, settings.workspace)
    t0 = time.perf_counter()
    report = screen_file(settings, path, screener=screener)
    file_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rerun = screen_file(settings, path, screener=screener)
    file_again_s = time.perf_counter() - t0
    ratio = file_s / batch_models_s if batch_models_s else float("inf")
    load = http["load"]

    totals = outcome.totals()["decisions"]
    models = len(screener.models["subsidy_payments"])
    console.print(
        f"支付前筛查 / screening over {persons:,} persons ({models} models on subsidy_payments); "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    console.print(f"  snapshot opened (warm copies, lake-only parts, SQLite) in {open_s:.1f} s")
    console.print(
        f"  one candidate in process: p50 {single['p50']:.2f} ms, p99 {single['p99']:.2f} ms "
        f"(target p99 < {TARGETS['single_ms']:.0f} ms)"
    )
    console.print(
        f"  one candidate over HTTP (qingfeng serve, key, audit, store): p50 {http['p50']:.1f} ms, "
        f"p99 {http['p99']:.1f} ms (target p99 < {TARGETS['http_ms']:.0f} ms)"
    )
    console.print(
        f"  {load['rate']} requests/s for {load['requests']:,} requests: achieved "
        f"{load['achieved_rps']:.0f}/s, p50 {load['p50']:.1f} ms, p99 {load['p99']:.1f} ms, "
        f"failed {load['failed']} (target p99 < {TARGETS['rps_p99_ms']:.0f} ms at "
        f"{TARGETS['rps']}/s)"
    )
    console.print(
        f"  batch of {len(candidates):,}: {batch_s:.2f} s in process, {http['batch_s']:.2f} s "
        f"over HTTP with the store (target < {TARGETS['batch_s']:.0f} s); decisions {totals}"
    )
    console.print(
        f"  one at a time vs the batch: {parity['differ']} of {parity['compared']} verdicts "
        f"differ ({parity['flagged']} flagged by the batch)"
    )
    console.print(f"  the same models as a batch over the lake: {batch_models_s:.2f} s")
    console.print(
        f"  hand-written DuckDB baseline: one candidate p50 {baseline['p50']:.1f} ms, "
        f"p99 {baseline['p99']:.1f} ms; batch {baseline['batch_s']:.2f} s"
    )
    console.print(
        f"  pay list of {report.rows:,} rows through qingfeng screen: {file_s:.2f} s "
        f"= {ratio:.2f}× the batch run (target ≤ {TARGETS['file_ratio']:.0f}×), again "
        f"{file_again_s:.2f} s; block {report.decisions.get('block', 0):,}, "
        f"review {report.decisions.get('review', 0):,}; same totals again: "
        f"{rerun.decisions == report.decisions}"
    )
    return {
        "passed": single["p99"] < TARGETS["single_ms"]
        and http["p99"] < TARGETS["http_ms"]
        and batch_s < TARGETS["batch_s"]
        and ratio <= TARGETS["file_ratio"]
        and load["rate"] >= TARGETS["rps"]
        and load["p99"] < TARGETS["rps_p99_ms"]
        and parity["differ"] == 0,
        "open_s": open_s,
        "single_p50_ms": single["p50"],
        "single_p99_ms": single["p99"],
        "http_p99_ms": http["p99"],
        "rps": load,
        "batch_s": batch_s,
        "parity": parity,
        "file_s": file_s,
        "batch_models_s": batch_models_s,
        "baseline_single_p99_ms": baseline["p99"],
        "baseline_batch_s": baseline["batch_s"],
    }
