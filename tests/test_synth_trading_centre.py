"""The synthetic trading centre (`qingfeng synth --ocds`): its OCDS package and company register
land whole, and every procurement model the trading centre's data can carry has planted cases
and lawful look-alikes; each finds all its cases, flags no decoy and keeps precision ≥ 0.95, on
DuckDB and on Spark (one ingest per engine, one run each)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from qingfeng.engine.loader import load_models
from qingfeng.ingest import ingest_path
from qingfeng.model_library.evaluate import load_truth, score
from qingfeng.operations.model_runs import run_models
from qingfeng.settings import load_settings
from qingfeng.store.findings import store_warnings
from qingfeng.synth import trading_centre
from qingfeng.workspace import init_workspace

PROCUREMENT = "工程招投标"
# Procurement models whose inputs a trading centre does not hold: they read the county's
# registers (officials, relatives), and the synthetic county plants their cases.
BEYOND_THE_CENTRE = {"official_near_contract_winner"}


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("centre")
    folder = trading_centre.write(root, 7, dt.date(2023, 1, 1), dt.date(2024, 12, 31), "都匀市")
    return folder


@pytest.fixture(scope="module")
def ingested(centre: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the package and the company register ingested and no model run yet:
    each engine runs the models over a copy of its own (its own store)."""
    settings = init_workspace(tmp_path_factory.mktemp("centre-ws") / "ws")
    for name in (trading_centre.PACKAGE, trading_centre.COMPANIES):
        report = ingest_path(settings, centre / name, assume_yes=True)
        assert report.reconciled, name
        assert sum(s.rows_quarantined for s in report.sources) == 0, name
    return settings.workspace


def _scores(folder: Path, template: Path, ws: Path, engine_of=None):  # type: ignore[no-untyped-def]
    """Scores of the procurement models run over a copy of `template`."""
    shutil.copytree(template, ws)
    settings = load_settings(ws)
    engine = engine_of(settings) if engine_of else None
    truth = load_truth(folder / trading_centre.TRUTH)
    # The models the truth plants cases for: every procurement model but those that read the
    # county's registers (BEYOND_THE_CENTRE), which the trading centre's export cannot feed.
    model_ids = sorted({p.model for p in truth})
    summary = run_models(settings, model_ids=model_ids, field=PROCUREMENT, engine=engine)
    assert not summary.failed, [(r.model_id, r.error) for r in summary.failed]
    return score(store_warnings(settings.database_url), truth)


def _procurement_models() -> set[str]:
    models = load_models().models
    return {m for m, spec in models.items() if spec.field == PROCUREMENT} - BEYOND_THE_CENTRE


def _assert_every_procurement_model_passes(scores) -> None:  # type: ignore[no-untyped-def]
    for model in sorted(_procurement_models()):
        s = scores.get(model)
        assert s is not None and s.cases, f"{model}: nothing planted"
        assert s.recall == 1.0, f"{model}: missed {s.missed}"
        assert not s.decoys_hit, f"{model}: decoys flagged {s.decoys_hit}"
        assert s.precision is not None and s.precision >= 0.95, (model, s.false_positives)


def test_every_procurement_model_has_cases_and_decoys(centre: Path) -> None:
    truth = load_truth(centre / trading_centre.TRUTH)
    models = {p.model for p in truth}
    for model in models:
        kinds = {p.kind for p in truth if p.model == model}
        assert kinds == {"case", "decoy"}, model
    assert _procurement_models() <= models
    assert len(models) >= 15


def test_procurement_models_find_the_planted_cases_on_duckdb(
    centre: Path, ingested: Path, tmp_path: Path
) -> None:
    _assert_every_procurement_model_passes(_scores(centre, ingested, tmp_path / "ws"))


@pytest.mark.spark
@pytest.mark.slow
def test_procurement_models_find_the_planted_cases_on_spark(
    centre: Path, ingested: Path, tmp_path: Path
) -> None:
    pytest.importorskip("pyspark")
    from qingfeng.engine.engines.spark_engine import SparkEngine

    shared = SparkEngine.shared()
    _assert_every_procurement_model_passes(
        _scores(
            centre,
            ingested,
            tmp_path / "ws",
            lambda settings: SparkEngine.for_lake(settings, session=shared.spark),
        )
    )
