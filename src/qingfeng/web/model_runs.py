"""Model runs started from the Models page: one background thread per app, with a progress
snapshot the page polls (done/total, the model in hand, then each model's result).

Only one run at a time: the engine writes warnings for a whole model at once, and two runs over
the same lake would only race each other for the store. A second start is refused, not queued.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from qingfeng.settings import Settings

log = logging.getLogger(__name__)

# run_models(settings, model_ids=..., progress=...) — the engine's entry point, injectable so a
# test can hold a real run open to see the "already running" answer.
RunFunction = Callable[..., Any]


@dataclass(frozen=True)
class ModelOutcome:
    model_id: str
    name: str
    rows_read: int
    hits: int
    new: int
    duration_ms: int
    error: str | None


@dataclass(frozen=True)
class RunSnapshot:
    """What the progress fragment shows; immutable so the page reads a consistent picture."""

    state: str = "idle"  # idle | running | done | failed
    started_by: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    done: int = 0
    total: int = 0
    current: str | None = None  # the model being run now
    run_group: str | None = None
    results: tuple[ModelOutcome, ...] = field(default_factory=tuple)
    error: str | None = None  # a failure of the run as a whole (not of one model)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


class ModelRunner:
    def __init__(self, run: RunFunction | None = None) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._snapshot = RunSnapshot()
        self._thread: threading.Thread | None = None

    @property
    def snapshot(self) -> RunSnapshot:
        return self._snapshot

    def start(self, settings: Settings, model_ids: list[str] | None, started_by: str) -> bool:
        """Start a run in the background; False when one is already running."""
        from qingfeng.engine import load_models

        # Resolve the selection first so that an unknown id is the caller's error, not a thread's.
        chosen = load_models(settings.models_dir).select(model_ids or None, None)
        names = [spec.name.zh for spec in chosen]
        with self._lock:
            if self._snapshot.running:
                return False
            self._snapshot = RunSnapshot(
                state="running",
                started_by=started_by,
                started_at=datetime.now(UTC),
                total=len(chosen),
                current=names[0] if names else None,
            )
            ids = [spec.id for spec in chosen]
            self._thread = threading.Thread(
                target=self._work,
                args=(settings, ids, names),
                name="qingfeng-model-run",
                daemon=True,
            )
            self._thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background run (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _work(self, settings: Settings, ids: list[str], names: list[str]) -> None:
        from qingfeng.engine import run_models

        run = self._run or run_models
        outcomes: list[ModelOutcome] = []

        def progress(done: int, total: int, result: Any) -> None:
            if result is not None:
                outcomes.append(
                    ModelOutcome(
                        model_id=result.model_id,
                        name=result.name or result.model_id,
                        rows_read=result.rows_read,
                        hits=result.hits,
                        new=result.new,
                        duration_ms=result.duration_ms,
                        error=result.error,
                    )
                )
            self._snapshot = replace(
                self._snapshot,
                done=done,
                total=total,
                current=names[done] if done < len(names) else None,
                results=tuple(outcomes),
            )

        try:
            summary = run(settings, model_ids=ids, progress=progress)
            self._snapshot = replace(
                self._snapshot,
                state="done",
                current=None,
                finished_at=datetime.now(UTC),
                run_group=getattr(summary, "run_group", None),
            )
        except Exception as exc:  # the page must learn the run stopped, whatever the cause
            log.exception("model run failed")
            self._snapshot = replace(
                self._snapshot,
                state="failed",
                current=None,
                finished_at=datetime.now(UTC),
                error=f"{type(exc).__name__}: {exc}",
            )


def runner_for(app_state: Any) -> ModelRunner:
    runner = getattr(app_state, "model_runner", None)
    if runner is None:
        runner = ModelRunner()
        app_state.model_runner = runner
    return runner
