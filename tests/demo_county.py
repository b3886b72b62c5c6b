"""The demo county, made once per test run and shared by every test that needs a whole county.

`qingfeng demo --no-serve` (3,000 persons, the demo seed) runs once per run: the first xdist
worker to ask makes it under the run's shared temporary folder while holding a file lock, the
others wait for it and reuse it. Nobody works in that workspace: `copy` hands each test module a
workspace of its own (a test may dispatch warnings or add users), and `on_store` one whose
workflow store is another server's, filled by the demo's store-side steps.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from qingfeng.cli import app as cli_app
from qingfeng.demo import DemoResult
from qingfeng.settings import load_settings

TRUTH = Path("reports") / "synth-truth.json"  # where the demo keeps the answer key
STORE_FILE = "qingfeng.db"  # the default SQLite store of a workspace
_FIGURES = re.compile(
    r"files: (?P<files>\d+), 入库行数 / rows loaded: (?P<rows>\d+).*?"
    r"models run: (?P<models>\d+).*?warnings: (?P<warnings>\d+)",
    re.S,
)


@dataclass(frozen=True)
class DemoCounty:
    """The demo workspace as `qingfeng demo --no-serve` left it, and what the command printed."""

    workspace: Path
    output: str

    @property
    def truth_file(self) -> Path:
        return self.workspace / TRUTH

    @property
    def sources(self) -> Path:
        """The department files the demo generated and ingested (its truth kept aside)."""
        return self.workspace / "sources" / "synth-county"

    def figures(self) -> dict[str, int]:
        """Files, rows loaded, models run and warnings, as the command printed them."""
        m = _FIGURES.search(self.output)
        assert m, f"the demo did not print its figures:\n{self.output}"
        return {k: int(v) for k, v in m.groupdict().items()}

    def copy(self, dest: Path, *, store: bool = True) -> DemoResult:
        """A workspace of the caller's own, with the demo's lake, libraries, truth and (unless
        `store` is false) its SQLite workflow store."""
        ignore = None if store else shutil.ignore_patterns(STORE_FILE)
        shutil.copytree(self.workspace, dest, ignore=ignore)
        f = self.figures()
        return DemoResult(
            settings=load_settings(dest),
            files=f["files"],
            rows_loaded=f["rows"],
            models_run=f["models"],
            warnings=f["warnings"],
            truth_file=dest / TRUTH,
        )

    def on_store(self, dest: Path, store_url: str) -> DemoResult:
        """A copy whose workflow store is `store_url` (an empty one): the lake side of the demo
        (synth, ingest, libraries) does not touch the store, so only its store side runs again
        there: the demo users and their units, then every model's run and warnings sync."""
        from qingfeng.demo_users import seed_demo_users
        from qingfeng.operations.model_runs import run_models
        from qingfeng.store.db import make_engine, upgrade_store
        from qingfeng.store.models import Warning

        result = self.copy(dest, store=False)
        settings = load_settings(dest, store_url=store_url)
        upgrade_store(store_url)
        users = seed_demo_users(settings)
        summary = run_models(settings)
        engine = make_engine(store_url)
        try:
            with engine.connect() as conn:
                present = conn.execute(select(func.count()).where(Warning.present)).scalar_one()
        finally:
            engine.dispose()
        return replace(
            result,
            settings=settings,
            models_run=len(summary.results),
            warnings=int(present),
            users=users,
        )


def shared_demo_county(run_folder: Path) -> DemoCounty:
    """The run's demo county under `run_folder` (a folder every xdist worker of the run sees),
    made by whichever worker gets the lock first."""
    folder = run_folder / "demo-county"
    done = folder / "demo-output.json"
    with open(run_folder / "demo-county.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                workspace = folder / "ws"
                result = CliRunner().invoke(
                    cli_app, ["demo", "--no-serve", "--workspace", str(workspace)]
                )
                assert result.exit_code == 0, result.output
                done.write_text(json.dumps({"output": result.output}), encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    output = json.loads(done.read_text(encoding="utf-8"))["output"]
    return DemoCounty(workspace=folder / "ws", output=output)


def run_folder(basetemp: Path) -> Path:
    """The folder all workers of this run share: the parent of an xdist worker's own base."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
