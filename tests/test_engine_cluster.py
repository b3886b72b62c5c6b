"""The models of the synthetic county on a real Spark cluster: a standalone master and two
workers on 127.0.0.1 (launched from the installed PySpark), and a Spark Connect server started
the same way. The county's store already holds the DuckDB run's warnings; the Spark run over the
same lake must find exactly the same hits (every one already present, none new, none gone).

Marked `cluster`: `pytest -m "not cluster"` skips them on a laptop; CI runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qingfeng.settings import SparkSettings, load_settings

pytestmark = [pytest.mark.cluster, pytest.mark.spark, pytest.mark.slow]

# Models that together exercise what a cluster changes: a join across departments' tables, a
# duplicate search (window over a shuffle) and a relationship-library view. Every built-in
# model's parity is proven on Spark in test_engine_spark.py; QINGFENG_CLUSTER_MODELS=all runs
# the whole county here too (minutes on an idle machine, more on a shared one).
SUBSET = ["subsidy_after_death", "duplicate_payment", "canteen_supplier_relative"]
CONNECT_SUBSET = ["subsidy_after_death", "canteen_supplier_relative"]
assert set(CONNECT_SUBSET) <= set(SUBSET)  # the DuckDB baseline runs SUBSET only


def _chosen(subset: list[str]) -> list[str] | None:
    return None if os.environ.get("QINGFENG_CLUSTER_MODELS") == "all" else subset


def _require_spark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PySpark is required under CI=true (pip install 'qingfeng[spark]')")
        pytest.skip("PySpark is not installed")


@pytest.fixture(scope="module")
def master(tmp_path_factory):  # type: ignore[no-untyped-def]
    _require_spark()
    from spark_cluster import standalone_cluster

    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster")) as url:
        yield url


@pytest.fixture(scope="module")
def county(demo_county, tmp_path_factory):  # type: ignore[no-untyped-def]
    return demo_county.copy(tmp_path_factory.mktemp("county") / "ws").settings


def _same_hits_as_duckdb(settings, summary, baseline) -> None:  # type: ignore[no-untyped-def]
    assert not summary.failed, [(r.model_id, r.error) for r in summary.failed]
    by_model = {r.model_id: r for r in summary.results}
    expected_runs = [r for r in baseline.results if r.model_id in by_model]
    assert len(expected_runs) == len(by_model)
    for expected in expected_runs:
        got = by_model[expected.model_id]
        assert (got.hits, got.rows_read) == (expected.hits, expected.rows_read), got.model_id
        # Row for row: every hit's fingerprint is one the DuckDB run already stored.
        assert (got.new, got.no_longer_present) == (0, 0), got.model_id
    assert summary.hits > 0


@pytest.fixture(scope="module")
def baseline(county):  # type: ignore[no-untyped-def]
    from qingfeng.operations.model_runs import run_models

    # DuckDB, over the copy's own store: only the models the cluster tests compare
    summary = run_models(county, model_ids=_chosen(SUBSET), write_report=False)
    assert not summary.failed
    return summary


def test_the_county_on_a_standalone_cluster_matches_duckdb(master, county, baseline) -> None:  # type: ignore[no-untyped-def]
    from qingfeng.engine.engines.spark_engine import SparkEngine, shared_session
    from qingfeng.operations.model_runs import run_models

    settings = load_settings(
        county.workspace,
        spark=SparkSettings(master=master, executor_memory="512m", shuffle_partitions=4),
    )
    engine = SparkEngine.for_lake(settings)
    try:
        assert engine.spark.sparkContext.master == master
        summary = run_models(settings, model_ids=_chosen(SUBSET), engine=engine, write_report=False)
        assert summary.engine == "spark"
        _same_hits_as_duckdb(settings, summary, baseline)
        # Both workers ran executors of this application.
        executors = engine.spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size()
        assert executors == 3  # the driver and one executor on each worker
    finally:
        shared_session(settings.spark).stop()  # frees the cluster's cores for the next test


def test_the_county_through_spark_connect_matches_duckdb(
    master, county, baseline, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from spark_cluster import connect_server, has_connect_server_jars

    if not has_connect_server_jars():
        pytest.skip("this PySpark has no Spark Connect server jars")
    pytest.importorskip("grpc", reason="the Spark Connect client needs pyspark[connect]")
    from qingfeng.engine.engines.spark_engine import SparkEngine, shared_session
    from qingfeng.operations.model_runs import run_models

    with connect_server(tmp_path / "connect", master) as remote:
        settings = load_settings(county.workspace, spark=SparkSettings(master=remote))
        try:
            engine = SparkEngine.for_lake(settings)
            summary = run_models(
                settings, model_ids=_chosen(CONNECT_SUBSET), engine=engine, write_report=False
            )
            _same_hits_as_duckdb(settings, summary, baseline)
        finally:
            shared_session(settings.spark).stop()


def test_a_master_that_is_not_spark_is_named_in_the_error(tmp_path: Path) -> None:
    from pydantic import ValidationError

    (tmp_path / "qingfeng.toml").write_text('[spark]\nmaster = "spark:/typo:7077"\n')
    with pytest.raises(ValidationError, match="spark:/typo:7077"):
        load_settings(tmp_path)
