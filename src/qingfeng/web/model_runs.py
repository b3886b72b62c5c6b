"""Model runs started from the Models page: a background thread in the worker that took the
request, with a progress snapshot the page polls (done/total, the model in hand, then each
model's result).

The snapshot lives in the store (`shared_state` "model_run"), not in the worker: with several web
workers the poll may land on any of them, and all show the same run. Only one run at a time,
across all workers: the engine writes warnings for a whole model at once, and two runs over the
same lake would only race each other for the store. A second start is refused, not queued.

The running worker touches the snapshot every HEARTBEAT_S; a "running" snapshot untouched for
ABANDONED_AFTER_S belongs to a worker that died: it is shown as failed and a new start may go ahead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from qingfeng.settings import Settings

log = logging.getLogger(__name__)

STATE_KEY = "model_run"
HEARTBEAT_S = 10.0
ABANDONED_AFTER_S = 120.0

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

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        for name in ("started_at", "finished_at"):
            value = getattr(self, name)
            doc[name] = value.isoformat() if value else None
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RunSnapshot:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            state=str(doc.get("state", "idle")),
            started_by=str(doc.get("started_by", "")),
            started_at=when(doc.get("started_at")),
            finished_at=when(doc.get("finished_at")),
            done=int(doc.get("done", 0)),
            total=int(doc.get("total", 0)),
            current=doc.get("current"),
            run_group=doc.get("run_group"),
            results=tuple(ModelOutcome(**r) for r in doc.get("results", [])),
            error=doc.get("error"),
        )


def _abandoned(snapshot: RunSnapshot, updated_at: datetime, now: datetime) -> bool:
    return snapshot.running and now - updated_at > timedelta(seconds=ABANDONED_AFTER_S)


class ModelRunner:
    def __init__(self, run: RunFunction | None = None, sessions: Any = None) -> None:
        self._run = run
        self.sessions = sessions  # the store's sessionmaker; set by runner_for when not given
        self._thread: threading.Thread | None = None
        self._stop_heartbeat = threading.Event()

    @property
    def snapshot(self) -> RunSnapshot:
        from qingfeng.store.shared import read_state

        found = read_state(self.sessions, STATE_KEY)
        if found is None:
            return RunSnapshot()
        snapshot = RunSnapshot.from_json(found[0])
        if _abandoned(snapshot, found[1], datetime.now(UTC)):
            return replace(snapshot, state="failed", current=None, error="worker stopped")
        return snapshot

    def _save(self, snapshot: RunSnapshot) -> None:
        from qingfeng.store.shared import write_state

        write_state(self.sessions, STATE_KEY, snapshot.to_json())

    def start(self, settings: Settings, model_ids: list[str] | None, started_by: str) -> bool:
        """Start a run in the background; False when one is already running (on any worker)."""
        from qingfeng.engine import load_models
        from qingfeng.store.shared import claim_state

        # Resolve the selection first so that an unknown id is the caller's error, not a thread's.
        chosen = load_models(settings.models_dir).select(model_ids or None, None)
        names = [spec.name.zh for spec in chosen]
        snapshot = RunSnapshot(
            state="running",
            started_by=started_by,
            started_at=datetime.now(UTC),
            total=len(chosen),
            current=names[0] if names else None,
        )

        def idle(current: dict[str, Any] | None, updated_at: datetime | None) -> bool:
            if current is None or updated_at is None:
                return True
            before = RunSnapshot.from_json(current)
            return not before.running or _abandoned(before, updated_at, datetime.now(UTC))

        if not claim_state(self.sessions, STATE_KEY, idle, snapshot.to_json()):
            return False
        ids = [spec.id for spec in chosen]
        self._stop_heartbeat.clear()
        threading.Thread(
            target=self._heartbeat, name="qingfeng-model-run-heartbeat", daemon=True
        ).start()
        self._thread = threading.Thread(
            target=self._work,
            args=(settings, ids, names, snapshot),
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

    def _heartbeat(self) -> None:
        from qingfeng.store.shared import touch_state

        while not self._stop_heartbeat.wait(HEARTBEAT_S):
            try:
                touch_state(self.sessions, STATE_KEY)
            except Exception:  # a store hiccup must not end the run; the next beat retries
                log.warning("model run heartbeat failed", exc_info=True)

    def _work(
        self, settings: Settings, ids: list[str], names: list[str], snapshot: RunSnapshot
    ) -> None:
        try:
            self._work_through(settings, ids, names, snapshot)
        finally:
            self._stop_heartbeat.set()

    def _work_through(
        self, settings: Settings, ids: list[str], names: list[str], snapshot: RunSnapshot
    ) -> None:
        from qingfeng.operations.model_runs import run_models

        run = self._run or run_models
        outcomes: list[ModelOutcome] = []

        def progress(done: int, total: int, result: Any) -> None:
            nonlocal snapshot
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
            snapshot = replace(
                snapshot,
                done=done,
                total=total,
                current=names[done] if done < len(names) else None,
                results=tuple(outcomes),
            )
            self._save(snapshot)

        try:
            summary = run(settings, model_ids=ids, progress=progress)
            snapshot = replace(
                snapshot,
                state="done",
                current=None,
                finished_at=datetime.now(UTC),
                run_group=getattr(summary, "run_group", None),
            )
        except Exception as exc:  # the page must learn the run stopped, whatever the cause
            log.exception("model run failed")
            snapshot = replace(
                snapshot,
                state="failed",
                current=None,
                finished_at=datetime.now(UTC),
                error=f"{type(exc).__name__}: {exc}",
            )
        self._save(snapshot)


def runner_for(app_state: Any) -> ModelRunner:
    runner = getattr(app_state, "model_runner", None)
    if runner is None:
        runner = ModelRunner()
        app_state.model_runner = runner
    if runner.sessions is None:
        runner.sessions = app_state.sessions
    return runner
