"""The synthetic trading centre (`qingfeng synth --ocds`): its OCDS package lands whole, and every
procurement model with planted cases finds them all, flags no decoy and keeps precision ≥ 0.95,
on DuckDB and on Spark."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from qingfeng.engine import run_models
from qingfeng.ingest import ingest_path
from qingfeng.library.evaluate import load_truth, score, store_warnings
from qingfeng.settings import load_settings
from qingfeng.synth import trading_centre
from qingfeng.workspace import init_workspace

PROCUREMENT = "工程招投标"


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("centre")
    folder = trading_centre.write(root, 7, dt.date(2023, 1, 1), dt.date(2024, 12, 31), "都匀市")
    return folder


@pytest.fixture(scope="module")
def ingested(centre: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the package ingested and no model run yet: each engine runs the models
    over a copy of its own (its own store)."""
    settings = init_workspace(tmp_path_factory.mktemp("centre-ws") / "ws")
    report = ingest_path(settings, centre / trading_centre.PACKAGE, assume_yes=True)
    assert report.reconciled
    assert sum(s.rows_quarantined for s in report.sources) == 0
    return settings.workspace


def _scores(folder: Path, template: Path, ws: Path, engine_of=None, planted_only=False):  # type: ignore[no-untyped-def]
    """Scores of the procurement models run over a copy of `template`. `planted_only` runs just
    the models the truth plants cases for (the only ones scored; every model's parity between
    the engines is test_engine_spark.py's)."""
    shutil.copytree(template, ws)
    settings = load_settings(ws)
    truth = load_truth(folder / trading_centre.TRUTH)
    engine = engine_of(settings) if engine_of else None
    model_ids = sorted({p.model for p in truth}) if planted_only else None
    run_models(settings, model_ids=model_ids, field=PROCUREMENT, engine=engine)
    return score(store_warnings(settings.database_url), truth)


def _assert_planted_models_pass(scores) -> None:  # type: ignore[no-untyped-def]
    planted = [s for s in scores.values() if s.cases]
    assert len(planted) >= 6
    for s in planted:
        assert s.recall == 1.0, f"{s.model_id}: missed {s.missed}"
        assert not s.decoys_hit, f"{s.model_id}: decoys flagged {s.decoys_hit}"
        assert s.precision is not None and s.precision >= 0.95, (s.model_id, s.false_positives)


def test_the_package_is_valid_ocds_with_a_case_and_a_decoy_per_indicator(centre: Path) -> None:
    truth = load_truth(centre / trading_centre.TRUTH)
    models = {p.model for p in truth}
    for model in models:
        kinds = {p.kind for p in truth if p.model == model}
        assert kinds == {"case", "decoy"}, model
    assert {
        "runner_up_price_close",
        "winning_bid_heavily_discounted",
        "late_bid_won",
        "heterogeneous_supplier",
        "tender_single_bidder_or_short_period",
        "bid_disqualification_anomaly",
    } <= models


@pytest.mark.slow
def test_procurement_models_find_the_planted_cases_on_duckdb(
    centre: Path, ingested: Path, tmp_path: Path
) -> None:
    _assert_planted_models_pass(_scores(centre, ingested, tmp_path / "ws"))


@pytest.mark.spark
@pytest.mark.slow
def test_procurement_models_find_the_planted_cases_on_spark(
    centre: Path, ingested: Path, tmp_path: Path
) -> None:
    pytest.importorskip("pyspark")
    from qingfeng.engine.engines.spark_engine import SparkEngine

    shared = SparkEngine.shared()
    _assert_planted_models_pass(
        _scores(
            centre,
            ingested,
            tmp_path / "ws",
            lambda settings: SparkEngine.for_lake(settings, session=shared.spark),
            planted_only=True,
        )
    )
