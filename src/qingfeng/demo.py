"""The demo pipeline: a synthetic county taken through every station into the workflow store.

Used by `qingfeng demo` and by the end-to-end test, so that both exercise the same path.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace

DEMO_PERSONS = 3000
DEMO_SEED = 20241
DEMO_MARKER = ".qingfeng-demo"  # only a folder carrying this marker is ever wiped by the demo


@dataclass
class DemoResult:
    settings: Settings
    files: int
    rows_loaded: int
    models_run: int
    warnings: int
    truth_file: Path
    users: list[tuple[str, str, str]] = field(default_factory=list)


class DemoError(Exception):
    pass


def _fresh_workspace(folder: Path) -> Settings:
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()):
        if not (folder / DEMO_MARKER).exists():
            raise DemoError(
                f"{folder} is not empty and was not made by the demo; choose another --workspace"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARKER).write_text("made by `qingfeng demo`; safe to delete\n", encoding="utf-8")
    from qingfeng.synth.county import COUNTY_CODE

    return init_workspace(folder, county_division_code=COUNTY_CODE)


def run_demo_pipeline(
    workspace: Path,
    *,
    persons: int = DEMO_PERSONS,
    seed: int = DEMO_SEED,
    start: date = date(2023, 1, 1),
    end: date = date(2024, 12, 31),
    progress: Any = None,
) -> DemoResult:
    """synth → ingest → libraries → models → warnings; returns what a person would want to know."""
    from qingfeng.ingest import ingest_path
    from qingfeng.operations.model_runs import run_models
    from qingfeng.synth import generate

    settings = _fresh_workspace(Path(workspace))
    incoming = settings.sources_dir / "synth-county"
    synth = generate(incoming, persons=persons, seed=seed, start=start, end=end)
    # The truth file is the answer key, not a department file: keep it out of the sources.
    truth_file = settings.reports_dir / "synth-truth.json"
    assert synth.truth_path is not None
    shutil.move(str(synth.truth_path), truth_file)

    ingest_cb, models_cb = _progress_callbacks(progress)
    report = ingest_path(settings, incoming, assume_yes=True, progress=ingest_cb)
    _build_libraries(settings)
    # The units first: each warning is routed to its responsible unit as it is synced.
    users = _seed_users(settings)
    summary = run_models(settings, progress=models_cb)
    return DemoResult(
        settings=settings,
        files=len(synth.files),
        rows_loaded=report.totals["rows_loaded"],
        models_run=len(summary.results),
        warnings=_count_present_warnings(settings),
        truth_file=truth_file,
        users=users,
    )


def _build_libraries(settings: Settings) -> None:
    """Subject and relationship libraries, for the profiles and graph pages."""
    from qingfeng.lake import connect
    from qingfeng.subject_library import build_libraries
    from qingfeng.subject_library.attach import libraries_dir

    con = connect(settings)
    try:
        build_libraries(con, libraries_dir(settings.lake_dir))
    finally:
        con.close()


def _seed_users(settings: Settings) -> list[tuple[str, str, str]]:
    from qingfeng.demo_users import seed_demo_users

    return seed_demo_users(settings)


def _count_present_warnings(settings: Settings) -> int:
    from sqlalchemy import func, select

    from qingfeng.store.db import make_engine
    from qingfeng.store.models import Warning

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(Warning.present)).scalar_one())
    finally:
        engine.dispose()


def _progress_callbacks(progress: Any) -> tuple[Any, Any]:
    """Adapt a Rich Progress to the stations' callbacks (ingest: name, done, total;
    models: done, total, result). No Progress → no callbacks."""
    if progress is None:
        return None, None
    ingest_task = progress.add_task("导入 / ingest", total=None)
    models_task = progress.add_task("模型 / models", total=None, visible=False)

    def on_ingest(_name: str, done: int, total: int) -> None:
        progress.update(ingest_task, completed=done, total=total)

    def on_models(done: int, total: int, _result: object) -> None:
        progress.update(models_task, completed=done, total=total, visible=True)

    return on_ingest, on_models
