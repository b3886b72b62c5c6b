"""End to end over the real lake: publish the bundled rows of a model as Parquet batches, then
`qingfeng run` on DuckDB, and the same lake on Spark. Needs the lake station (`qingfeng.lake`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from qingfeng.cli.app import app
from qingfeng.engine import DuckDBEngine, load_models, run_models
from qingfeng.engine.catalogue_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Warning
from qingfeng.workspace import init_workspace

lake_mod = pytest.importorskip("qingfeng.lake")


def _publish(lake_dir: Path, dataset: str, rows: list[dict]) -> None:
    """Write rows as one Parquet batch and publish it through the lake's own API."""
    lake = lake_mod.Lake(lake_dir)
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    batch_id = lake_mod.new_batch_id(digest)
    staging = lake.staging_dir(batch_id)
    engine = DuckDBEngine()
    engine.register_rows(dataset, column_types_for(dataset, rows, default_catalogue()), rows)
    target = staging / "part-0.parquet"
    engine.con.execute(f"COPY {dataset} TO '{target}' (FORMAT parquet)")
    engine.close()
    rel = f"{dataset}/batch={batch_id}"
    batch = lake_mod.Batch(
        batch_id=batch_id,
        dataset=dataset,
        source=f"test-{dataset}.csv",
        sha256=digest,
        created_at=lake_mod.store.now_iso(),
        files=[f"{rel}/part-0.parquet"],
        counts={"rows": len(rows)},
    )
    lake.publish(batch, {rel: staging})


@pytest.fixture
def lake_workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = init_workspace(tmp_path / "ws")
    spec = load_models().get("subsidy_after_death")
    for dataset, rows in spec.tests[0].tables.items():
        _publish(settings.lake_dir, dataset, rows)
    return settings


def test_qingfeng_run_over_the_lake_makes_warnings(lake_workspace) -> None:  # type: ignore[no-untyped-def]
    ws = str(lake_workspace.workspace)
    result = CliRunner().invoke(app, ["run", "-w", ws, "-m", "subsidy_after_death"])
    assert result.exit_code == 0, result.output
    assert "命中 2 条，新增预警 2 条" in result.output
    again = CliRunner().invoke(app, ["run", "-w", ws, "-m", "subsidy_after_death"])
    assert "新增预警 0 条" in again.output
    factory = session_factory(make_engine(lake_workspace.database_url))
    with factory() as session:
        periods = sorted(w.period for w in session.scalars(select(Warning)))
    assert periods == ["2024-04", "2024-05"]


@pytest.mark.spark
def test_spark_reads_the_same_lake(lake_workspace) -> None:  # type: ignore[no-untyped-def]
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PySpark is required under CI=true")
        pytest.skip("PySpark is not installed")
    from qingfeng.engine.engines.spark_engine import SparkEngine

    spark = SparkEngine.for_lake(lake_workspace)
    on_spark = run_models(lake_workspace, model_ids=["subsidy_after_death"], engine=spark)
    duck = DuckDBEngine.for_lake(lake_workspace)
    on_duckdb = run_models(lake_workspace, model_ids=["subsidy_after_death"], engine=duck)
    assert on_spark.results[0].error is None and on_spark.results[0].hits == 2
    assert on_duckdb.results[0].hits == 2 and on_duckdb.results[0].new == 0
    assert on_spark.results[0].rows_read == on_duckdb.results[0].rows_read
