"""Routing during `qingfeng run`: what the route lookups add to a model's run.

A model finding 100,000 hits (20,000 persons × 5 months) among 1,000,000 registered persons is
run twice on DuckDB, without a route and with `route: {subject: person}` (the LEFT JOIN on
`people`), then its hits are synced into a fresh SQLite store with a county and its townships
(leads, lines, areas and responsible units). Target: the route adds at most 10% to the run (query,
hits and sync together). `QINGFENG_BENCH_PEOPLE` / `QINGFENG_BENCH_HITS` change the sizes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

TARGET = 0.10
COUNTY = "522701"
TOWNSHIPS = 12


def _spec(route: list[dict[str, str]]) -> Any:
    from qingfeng.engine.spec import ModelSpec

    return ModelSpec.model_validate(
        {
            "id": "bench_route",
            "version": "1.0",
            "name": {"zh": "分派基准"},
            "field": "民生资金",
            "description": "每人每月一条命中",
            "legal_basis": [{"document": "无"}],
            "inputs": ["subsidy_payments"],
            "logic": {
                "sql": "SELECT payee_id_no AS id_no, payee_name AS name, period, amount "
                "FROM subsidy_payments"
            },
            "subject": {"type": "person", "id": "id_no", "name": "name"},
            "period": "period",
            "severity": [{"level": "orange"}],
            "amount": "amount",
            "explanation": "{name}于{period}领取{amount}元",
            "route": route,
        }
    )


def _engine(people: int, hits: int) -> Any:
    from qingfeng.engine.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine()
    con = engine.con
    con.execute(
        f"""CREATE TABLE people AS
        SELECT '522701' || lpad(CAST(i AS VARCHAR), 12, '0') AS id_no,
               '{COUNTY}' || lpad(CAST(i % {TOWNSHIPS} + 1 AS VARCHAR), 3, '0')
               || lpad(CAST(i % 7 AS VARCHAR), 3, '0') AS division_code
        FROM range({people}) t(i)"""
    )
    persons = max(1, hits // 5)
    con.execute(
        f"""CREATE TABLE subsidy_payments AS
        SELECT '522701' || lpad(CAST((i % {persons}) * {max(1, people // persons)} AS VARCHAR),
                                12, '0') AS payee_id_no,
               '张三' AS payee_name,
               '2024-' || lpad(CAST(i // {persons} % 12 + 1 AS VARCHAR), 2, '0') AS period,
               CAST(50 + i % 100 AS DECIMAL(18, 2)) AS amount
        FROM range({hits}) t(i)"""
    )
    return engine


def _time_query(engine: Any, spec: Any, repeat: int) -> tuple[float, list[Any]]:
    from qingfeng.engine.compiler import compile_model
    from qingfeng.engine.runner import run_compiled

    compiled = compile_model(spec)
    best = float("inf")
    hits: list[Any] = []
    for _ in range(repeat):
        start = time.perf_counter()
        _, hits, _ = run_compiled(engine, compiled)
        best = min(best, time.perf_counter() - start)
    return best, hits


def _time_sync(hits: list[Any]) -> float:
    from qingfeng.store.db import make_engine, session_factory, upgrade_store
    from qingfeng.store.models import ModelRun
    from qingfeng.store.users import create_org
    from qingfeng.store.warnings_sync import sync_model_run

    folder = Path(tempfile.mkdtemp(prefix="qf-bench-routing-"))
    url = f"sqlite:///{folder / 'store.db'}"
    try:
        upgrade_store(url)
        store = make_engine(url)
        factory = session_factory(store)
        with factory() as s, s.begin():
            county = create_org(s, "县纪委监委", "county", COUNTY)
            for t in range(1, TOWNSHIPS + 1):
                create_org(s, f"乡镇{t}", "township", f"{COUNTY}{t:03d}", county)
        start = time.perf_counter()
        with factory() as s, s.begin():
            run = ModelRun(
                run_group="bench", model_id=hits[0].model_id, model_version="1",
                engine="duckdb", rows_read=0, hits=0, new_warnings=0, still_present=0,
                no_longer_present=0, duration_ms=0,
            )  # fmt: skip
            s.add(run)
            s.flush()
            sync_model_run(s, run, hits, county=COUNTY)
        elapsed = time.perf_counter() - start
        store.dispose()
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(console: Console) -> dict[str, Any]:
    people = int(float(os.environ.get("QINGFENG_BENCH_PEOPLE", "1e6")))
    n = int(float(os.environ.get("QINGFENG_BENCH_HITS", "1e5")))
    repeat = int(os.environ.get("QINGFENG_BENCH_REPEAT", "3"))
    engine = _engine(people, n)
    try:
        plain_s, plain_hits = _time_query(engine, _spec([]), repeat)
        routed_s, routed_hits = _time_query(engine, _spec([{"subject": "person"}]), repeat)
    finally:
        engine.close()
    placed = sum(1 for h in routed_hits if h.division_code)
    sync_s = _time_sync(routed_hits)
    run_s = routed_s + sync_s
    share = (routed_s - plain_s) / run_s if run_s else 0.0
    table = Table(title=f"routing · {len(routed_hits):,} hits, {people:,} people")
    for column in ("step", "seconds"):
        table.add_column(column)
    table.add_row("model query + hits, no route", f"{plain_s:.2f}")
    table.add_row("model query + hits, route {subject: person}", f"{routed_s:.2f}")
    table.add_row("sync (leads, lines, area, unit)", f"{sync_s:.2f}")
    table.add_row("route share of the run", f"{share:.1%} (target ≤ {TARGET:.0%})")
    console.print(table)
    console.print(f"hits placed by the route: {placed:,} of {len(routed_hits):,}")
    assert len(plain_hits) == len(routed_hits)
    return {"passed": share <= TARGET, "share": share, "sync_s": sync_s}
