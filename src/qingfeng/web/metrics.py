"""Health and Prometheus metrics of one workspace: `/healthz` for load balancers, `/metrics` for
Prometheus (text exposition format 0.0.4).

Every figure is read from the store or the lake, never from a worker's memory, so whichever web
worker answers the scrape, Prometheus sees the same numbers. Screening latency is kept as a
histogram in the store (`shared_state` "metrics.screening_latency"), added to by every worker
at most once a second (a scrape adds its own worker's pending counts first).
No figure names a person: counts by model, status and dataset only.
"""

from __future__ import annotations

import bisect
import hmac
import threading
import time
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.settings import Settings

router = APIRouter(include_in_schema=False)

LATENCY_KEY = "metrics.screening_latency"
# Upper bounds (seconds) of the screening latency histogram's buckets.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


_PENDING: dict[int, dict[str, Any]] = {}  # per store: latencies not yet added, last addition
_PENDING_LOCK = threading.Lock()


def observe_screening(
    sessions: sessionmaker[Session], seconds: float, *, every: float = 0.0
) -> None:
    """Count one screening request's latency in the shared histogram. `every`: add this
    worker's counts to the store at most once per that many seconds (a paying system's stream
    of requests then costs no store write each); `/metrics` adds what is pending first."""
    with _PENDING_LOCK:
        entry = _PENDING.setdefault(id(sessions), {"values": [], "added": 0.0})
        entry["values"].append(seconds)
        now = time.monotonic()
        if now - entry["added"] < every:
            return
        values, entry["values"], entry["added"] = entry["values"], [], now
    _add_latencies(sessions, values)


def flush_screening(sessions: sessionmaker[Session]) -> None:
    """Add this worker's pending screening latencies to the store's histogram."""
    with _PENDING_LOCK:
        entry = _PENDING.get(id(sessions))
        if not entry or not entry["values"]:
            return
        values, entry["values"], entry["added"] = entry["values"], [], time.monotonic()
    _add_latencies(sessions, values)


def _add_latencies(sessions: sessionmaker[Session], values: list[float]) -> None:
    from qingfeng.store.shared import update_state

    def add(doc: dict[str, Any]) -> dict[str, Any]:
        counts = list(doc.get("buckets") or [0] * len(LATENCY_BUCKETS))
        for seconds in values:
            i = bisect.bisect_left(LATENCY_BUCKETS, seconds)
            if i < len(counts):
                counts[i] += 1
        return {
            "buckets": counts,
            "sum": float(doc.get("sum", 0.0)) + sum(values),
            "count": int(doc.get("count", 0)) + len(values),
        }

    update_state(sessions, LATENCY_KEY, add)


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(
            f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
            for k, v in labels.items()
        )
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def _family(name: str, kind: str, help_text: str, lines: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *lines]


def render(settings: Settings, sessions: sessionmaker[Session]) -> str:
    """All metrics as Prometheus text."""
    from qingfeng.loop.machine import OPEN_STATES
    from qingfeng.store.models import ModelRun, Warning
    from qingfeng.store.shared import read_state

    out: list[str] = []
    now = time.time()
    with sessions() as db:
        runs = db.execute(
            select(
                ModelRun.model_id,
                (ModelRun.error.is_(None)).label("ok"),
                func.count(),
                func.coalesce(func.sum(ModelRun.rows_read), 0),
                func.coalesce(func.sum(ModelRun.hits), 0),
            ).group_by(ModelRun.model_id, ModelRun.error.is_(None))
        ).all()
        by_status = db.execute(
            select(Warning.status, func.count(), func.min(Warning.updated_at))
            .where(Warning.merged_into_id.is_(None))
            .group_by(Warning.status)
        ).all()
    out += _family(
        "qingfeng_model_runs_total",
        "counter",
        "Model runs recorded in the store, by model and outcome.",
        (
            _line("qingfeng_model_runs_total", n, {"model": m, "outcome": "ok" if ok else "error"})
            for m, ok, n, _r, _h in runs
        ),
    )
    out += _family(
        "qingfeng_model_rows_read_total",
        "counter",
        "Lake rows read by model runs, by model.",
        (
            _line("qingfeng_model_rows_read_total", r, {"model": m})
            for m, ok, _n, r, _h in runs
            if ok
        ),
    )
    out += _family(
        "qingfeng_model_hits_total",
        "counter",
        "Hits found by model runs, by model.",
        (_line("qingfeng_model_hits_total", h, {"model": m}) for m, ok, _n, _r, h in runs if ok),
    )
    out += _family(
        "qingfeng_warnings",
        "gauge",
        "Warnings in the store, by status.",
        (_line("qingfeng_warnings", n, {"status": s}) for s, n, _o in by_status),
    )
    out += _family(
        "qingfeng_queue_oldest_age_seconds",
        "gauge",
        "Age of the longest-untouched open warning, by status.",
        (
            _line(
                "qingfeng_queue_oldest_age_seconds",
                max(0.0, now - oldest.timestamp()),
                {"status": s},
            )
            for s, _n, oldest in by_status
            if (s == "new" or s in OPEN_STATES) and oldest is not None
        ),
    )
    out += _family(
        "qingfeng_lake_rows",
        "gauge",
        "Rows in the lake's published batches, by dataset.",
        (_line("qingfeng_lake_rows", rows, {"dataset": d}) for d, rows in _lake_rows(settings)),
    )
    flush_screening(sessions)
    found = read_state(sessions, LATENCY_KEY)
    doc = found[0] if found else {}
    counts = list(doc.get("buckets") or [0] * len(LATENCY_BUCKETS))
    cumulative, lines = 0, []
    for bound, n in zip(LATENCY_BUCKETS, counts, strict=True):
        cumulative += n
        lines.append(
            _line("qingfeng_screening_latency_seconds_bucket", cumulative, {"le": f"{bound:g}"})
        )
    total = int(doc.get("count", 0))
    lines.append(_line("qingfeng_screening_latency_seconds_bucket", total, {"le": "+Inf"}))
    lines.append(_line("qingfeng_screening_latency_seconds_sum", float(doc.get("sum", 0.0))))
    lines.append(_line("qingfeng_screening_latency_seconds_count", total))
    out += _family(
        "qingfeng_screening_latency_seconds",
        "histogram",
        "Time to answer a pre-payment screening request.",
        lines,
    )
    return "\n".join(out) + "\n"


def _lake_rows(settings: Settings) -> list[tuple[str, int]]:
    from qingfeng.lake import Lake
    from qingfeng.lake.location import lake_root

    root = lake_root(settings)
    if root.is_local and not settings.lake_dir.exists():
        return []
    lake = Lake(root)
    totals: dict[str, int] = {}
    for batch in lake.batches():
        totals[batch.dataset] = totals.get(batch.dataset, 0) + int(batch.counts.get("rows", 0))
    return sorted(totals.items())


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> Response:
    """200 when the store answers and the lake's catalogue is readable; 503 naming what is not."""
    problems: dict[str, str] = {}
    try:
        with request.app.state.sessions() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:  # any failure of the store is a failed check
        problems["store"] = type(exc).__name__
    try:
        _lake_rows(request.app.state.settings)
    except Exception as exc:
        problems["lake"] = type(exc).__name__
    body = {"status": "fail" if problems else "ok", **problems}
    return JSONResponse(body, status_code=503 if problems else 200)


@router.get("/metrics", name="metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics; needs `Authorization: Bearer <metrics_token>` (settings)."""
    settings: Settings = request.app.state.settings
    if not settings.metrics_token:
        return PlainTextResponse("metrics are off: set metrics_token in qingfeng.toml\n", 404)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
        return PlainTextResponse(
            "wrong or missing bearer token\n", 401, headers={"WWW-Authenticate": "Bearer"}
        )
    return PlainTextResponse(
        render(settings, request.app.state.sessions),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
