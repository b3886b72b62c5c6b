"""Reminders and 督办 at scale: `python -m qingfeng.bench --only notify`.

On the workflow-store benchmark's stores (qingfeng.bench.store: 1,000,000 warnings, built once and
reused), times the ranking of units by overdue warnings as a county and a township supervisor
(target < 200 ms, like every page of the loop), and the daily reminder job twice: the first run
over a store nobody was reminded of yet, then the re-run that finds everything done. The job's
rows are deleted afterwards, so the store is the same for the other benchmarks.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from rich.console import Console
from sqlalchemy import delete, select

RANK_TARGET_MS = 200.0
REPEAT = 5


def _time_ranking(store: Any, username: str) -> tuple[float, float, int]:
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.ranking import rank_units
    from qingfeng.loop.service import actor_for
    from qingfeng.store.db import session_factory
    from qingfeng.store.models import User

    factory = session_factory(store.engine)
    samples = []
    units = 0
    for i in range(REPEAT + 1):
        with factory() as s:
            started = time.perf_counter()
            user = s.scalar(select(User).where(User.username == username))
            assert user is not None
            units = len(rank_units(actor_for(s, user, LoopConfig())))
            elapsed = (time.perf_counter() - started) * 1000
        if i:  # the first run warms the caches
            samples.append(elapsed)
    return statistics.median(samples), max(samples), units


def _clear(store: Any) -> None:
    from qingfeng.store.models import Notification, ReminderLog

    with store.engine.begin() as conn:
        conn.execute(delete(Notification))
        conn.execute(delete(ReminderLog))


def _time_remind(store: Any) -> tuple[float, float, Any]:
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.mail import MailConfig
    from qingfeng.loop.reminders import remind
    from qingfeng.store.db import session_factory

    factory = session_factory(store.engine)
    config = LoopConfig(escalate_after_working_days=0)  # escalation would change the store
    _clear(store)
    try:
        started = time.perf_counter()
        first = remind(factory, config, MailConfig())
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        remind(factory, config, MailConfig())
        again_s = time.perf_counter() - started
    finally:
        _clear(store)
    return first_s, again_s, first


def run(console: Console) -> dict[str, Any]:
    import os

    from rich.table import Table

    from qingfeng.bench.store import DEFAULT_WARNINGS, _postgres, _sqlite

    n = int(os.environ.get("QINGFENG_BENCH_WARNINGS", DEFAULT_WARNINGS))
    console.rule(f"[bold]reminders and 督办: {n:,} warnings")
    stores = [s for s in (_sqlite(n, console), _postgres(n, console)) if s is not None]
    table = Table(title=f"督办排名 / ranking of units (target < {RANK_TARGET_MS:.0f} ms)")
    for column in ("store", "as", "units", "median ms", "worst ms"):
        table.add_column(column)
    passed = True
    for store in stores:
        for username in ("bench_county", "bench_town"):
            median, worst, units = _time_ranking(store, username)
            passed = passed and median < RANK_TARGET_MS
            style = "green" if median < RANK_TARGET_MS else "bold red"
            table.add_row(store.name, username, str(units), f"[{style}]{median:.1f}[/]",
                          f"{worst:.1f}")  # fmt: skip
    console.print(table)
    for store in stores:
        first_s, again_s, report = _time_remind(store)
        console.print(
            f"{store.name}: 每日提醒 / reminder job: first run {first_s:.1f} s "
            f"({report.candidates:,} due soon or overdue, {report.notifications:,} notifications), "
            f"re-run {again_s:.1f} s (nothing repeated; a daily job, no time target)"
        )
        store.engine.dispose()
    return {"passed": passed}
