"""Run models against the lake and turn their hits into warnings.

Per model: compile, count the rows of its inputs (from the Parquet footers of the lake's files),
run on the engine, build hits (`qingfeng.engine.runner.run_compiled`), then in one
store transaction record the ModelRun and sync the warnings. A model that fails is recorded with
its error (and leaves its warnings untouched); the next model still runs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from qingfeng.engine.compiler import compile_model
from qingfeng.engine.engines.base import Engine, redact
from qingfeng.engine.errors import EngineError, ModelSpecError
from qingfeng.engine.loader import load_models
from qingfeng.engine.runner import run_compiled
from qingfeng.engine.spec import ModelSpec
from qingfeng.hits import Hit
from qingfeng.settings import Settings


@dataclass
class ModelResult:
    model_id: str
    model_version: str
    name: str
    run_id: int | None = None
    rows_read: int = 0
    hits: int = 0
    new: int = 0
    still_present: int = 0
    no_longer_present: int = 0
    dropped_rows: int = 0  # rows without a subject id
    duration_ms: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class RunSummary:
    run_group: str
    engine: str
    started_at: str
    results: list[ModelResult] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ModelResult]:
        return [r for r in self.results if not r.ok]

    @property
    def hits(self) -> int:
        return sum(r.hits for r in self.results)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_group": self.run_group,
            "engine": self.engine,
            "started_at": self.started_at,
            "results": [asdict(r) for r in self.results],
            "load_errors": self.load_errors,
        }


# progress(done, total, result): called with (0, total, None) first, then after each model.
Progress = Callable[[int, int, ModelResult | None], None]


def run_models(
    settings: Settings,
    model_ids: list[str] | None = None,
    field: str | None = None,
    progress: Progress | None = None,
    *,
    engine: Engine | None = None,
    parameters: dict[str, dict[str, Any]] | None = None,
    write_report: bool = True,
) -> RunSummary:
    """Run the selected models (default: all) over the workspace's lake into its store."""
    from qingfeng.model_library.profiles import run_parameters
    from qingfeng.store.db import make_engine, session_factory  # keeps the engine import light

    models = load_models(settings.models_dir)
    chosen = models.select(model_ids, field)  # ModelNotFoundError names unknown ids
    # the workspace's profile and qingfeng.toml overrides, then what the caller passes
    profile, profiled = run_parameters(settings, models.models)
    for model_id, values in (parameters or {}).items():
        profiled.setdefault(model_id, {}).update(values)
    own_engine = engine is None
    if engine is None:
        from qingfeng.engine.engines.duckdb_engine import DuckDBEngine

        engine = DuckDBEngine.for_lake(settings)
    summary = RunSummary(
        run_group=uuid.uuid4().hex,
        engine=engine.name,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        load_errors=[str(e) for e in models.errors],
    )
    store = make_engine(settings.database_url)
    factory = session_factory(store)
    try:
        if progress:
            progress(0, len(chosen), None)
        for i, spec in enumerate(chosen, start=1):
            result = run_one(
                spec,
                engine,
                factory,
                summary.run_group,
                profiled.get(spec.id),
                county=settings.county_division_code,
                profile=profile,
            )
            summary.results.append(result)
            if progress:
                progress(i, len(chosen), result)
        _rescore(settings, factory)
    finally:
        store.dispose()
        if own_engine:
            engine.close()
    if write_report:
        _write_report(settings, summary)
    return summary


def _rescore(settings: Settings, factory: Any) -> None:
    """The risk scores after the sync, once for the whole run (qingfeng.loop.risk)."""
    from qingfeng.loop.config import load_loop_config
    from qingfeng.loop.risk import recompute_risk
    from qingfeng.settings import SETTINGS_FILE

    config = load_loop_config(settings.workspace / SETTINGS_FILE)
    with factory() as session, session.begin():
        recompute_risk(session, config)


def run_one(
    spec: ModelSpec,
    engine: Engine,
    factory: Any,
    run_group: str,
    parameters: dict[str, Any] | None = None,
    *,
    county: str | None = None,
    profile: str | None = None,
) -> ModelResult:
    """Run one model and record it; never raises for a model's own failure. `county`: the
    workspace's county_division_code, the area of hits the model's route did not place."""
    from qingfeng.store.models import ModelRun, utcnow
    from qingfeng.store.warnings_sync import sync_model_run

    result = ModelResult(model_id=spec.id, model_version=spec.version, name=spec.name.zh)
    started = utcnow()
    clock = time.perf_counter()
    hits: list[Hit] = []
    used = {name: p.default for name, p in spec.parameters.items()} | dict(parameters or {})
    try:
        compiled = compile_model(spec, parameters)
        result.rows_read, hits, result.dropped_rows = run_compiled(engine, compiled)
    except (ModelSpecError, EngineError, ValueError) as exc:
        result.error = redact(str(exc))
    except Exception as exc:  # one failing model must not stop the others
        result.error = redact(f"{type(exc).__name__}: {exc}")
    result.hits = len(hits)

    try:
        with factory() as session, session.begin():
            run = ModelRun(
                run_group=run_group,
                model_id=spec.id,
                model_version=spec.version,
                engine=engine.name,
                started_at=started,
                rows_read=result.rows_read,
                hits=0,
                new_warnings=0,
                still_present=0,
                no_longer_present=0,
                duration_ms=0,
                error=result.error,
                profile=profile,
                parameters=json.dumps(used, ensure_ascii=False, default=str, sort_keys=True),
            )
            session.add(run)
            session.flush()
            if result.error is None:
                diff = sync_model_run(session, run, hits, county=county)
                result.new = len(diff.new)
                result.still_present = len(diff.still_present)
                result.no_longer_present = len(diff.no_longer_present)
            result.duration_ms = int((time.perf_counter() - clock) * 1000)
            run.duration_ms = result.duration_ms
            run.finished_at = utcnow()
            result.run_id = run.id
    except Exception as exc:
        result.error = redact(f"store: {type(exc).__name__}: {exc}")[:2000]
        result.new = result.still_present = result.no_longer_present = 0
        result.duration_ms = int((time.perf_counter() - clock) * 1000)
    return result


def _write_report(settings: Settings, summary: RunSummary) -> None:
    folder = settings.reports_dir
    if not folder.is_dir():
        return
    path = folder / f"run-{summary.started_at[:10]}-{summary.run_group[:8]}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
