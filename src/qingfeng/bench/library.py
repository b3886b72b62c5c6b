"""The whole built-in model library over a large synthetic county (1,000,000 persons,
the full library in under 5 minutes on 2 cores).

Builds the county once under bench-out/library-<persons>/ (synth → ingest, reused by later runs),
then times `qingfeng run` over every model and prints the time per model. The county size is
QINGFENG_BENCH_PERSONS (default 1,000,000).
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

TARGET_SECONDS = 300.0


def _county(persons: int, console: Console) -> Any:
    from qingfeng.ingest import ingest_path
    from qingfeng.synth import generate
    from qingfeng.workspace import init_workspace

    folder = Path("bench-out") / f"library-{persons}"
    ready = folder / ".ingested"
    settings = init_workspace(folder)
    if ready.exists():
        console.print(f"复用 / reusing {folder}")
        return settings
    incoming = settings.workspace / "county"
    if not incoming.exists():
        t0 = time.perf_counter()
        generate(
            incoming, persons=persons, seed=20241, start=date(2023, 1, 1), end=date(2024, 12, 31)
        )
        console.print(f"synth: {persons:,} persons in {time.perf_counter() - t0:.1f} s")
    (incoming / "truth.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    report = ingest_path(settings, incoming, assume_yes=True)
    console.print(
        f"ingest: {report.totals['rows_loaded']:,} rows loaded in {time.perf_counter() - t0:.1f} s"
    )
    ready.write_text("ok\n", encoding="utf-8")
    return settings


def run(console: Console) -> dict[str, Any]:
    from qingfeng.operations.model_runs import run_models

    persons = int(os.environ.get("QINGFENG_BENCH_PERSONS", "1000000"))
    settings = _county(persons, console)
    t0 = time.perf_counter()
    summary = run_models(settings, write_report=False)
    total = time.perf_counter() - t0
    table = Table(title=f"模型库 / model library over {persons:,} persons")
    for col in ("model", "rows read", "hits", "ms", "error"):
        table.add_column(col)
    for r in sorted(summary.results, key=lambda r: -r.duration_ms):
        table.add_row(r.model_id, f"{r.rows_read:,}", f"{r.hits:,}", f"{r.duration_ms:,}",
                      (r.error or "")[:60])  # fmt: skip
    console.print(table)
    failed = [r.model_id for r in summary.results if not r.ok]
    passed = total < TARGET_SECONDS and not failed
    console.print(
        f"全部模型 / whole library: {len(summary.results)} models in {total:.1f} s "
        f"(target < {TARGET_SECONDS:.0f} s){' — failed: ' + ', '.join(failed) if failed else ''}"
    )
    return {"passed": passed, "seconds": total, "models": len(summary.results)}
