"""End to end over the real lake: publish the bundled rows of a model as Parquet batches, then
`qingfeng run` on DuckDB, and the same lake on Spark. Needs the lake station (`qingfeng.lake`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from built_in_models import built_in_models
from qingfeng.cli.app import app
from qingfeng.engine import DuckDBEngine
from qingfeng.engine.dataspec_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.operations.model_runs import run_models
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Warning, WarningLine
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
    spec = built_in_models().get("subsidy_after_death")
    for dataset, rows in spec.tests[0].tables.items():
        _publish(settings.lake_dir, dataset, rows)
    return settings


def test_qingfeng_run_over_the_lake_makes_warnings(lake_workspace) -> None:  # type: ignore[no-untyped-def]
    ws = str(lake_workspace.workspace)
    result = CliRunner().invoke(app, ["run", "-w", ws, "-m", "subsidy_after_death"])
    assert result.exit_code == 0, result.output
    # One dead person paid in April and May: two hits, one lead with both months as its lines.
    assert "命中 2 条，新增线索 1 条" in result.output
    again = CliRunner().invoke(app, ["run", "-w", ws, "-m", "subsidy_after_death"])
    assert "新增线索 0 条" in again.output
    factory = session_factory(make_engine(lake_workspace.database_url))
    with factory() as session:
        leads = list(session.scalars(select(Warning)))
        periods = sorted(line.period for line in session.scalars(select(WarningLine)))
    assert len(leads) == 1
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


def test_rows_read_come_from_the_footers_of_the_lake_files(lake_workspace) -> None:  # type: ignore[no-untyped-def]
    engine = DuckDBEngine.for_lake(lake_workspace)
    tables = ["subsidy_payments", "deaths", "household_registry", "vehicles"]
    counted = sum(engine.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
    assert engine.count_inputs(tables) == counted > 0
    assert engine.table_files["vehicles"] == ()  # nothing published: an empty view, no file
    engine.close()
    more = [{"id_no": "110101194001010011", "name": "赵一", "death_date": "2024-01-02",
             "source": "registry", "record_date": "2024-01-03"}]  # fmt: skip
    _publish(lake_workspace.lake_dir, "deaths", more)
    again = DuckDBEngine.for_lake(lake_workspace)  # a new batch shows in a new connection
    assert again.count_inputs(tables) == counted + 1
    again.close()


def _write_library(lake_dir: Path, view: str, rows: list[dict]) -> None:
    from qingfeng.subject_library.attach import libraries_dir
    from qingfeng.subject_library.schema import LIBRARY_COLUMNS

    folder = libraries_dir(lake_dir)
    folder.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine()
    engine.register_rows(view, LIBRARY_COLUMNS[view], rows)
    engine.con.execute(f"COPY {view} TO '{folder / (view + '.parquet')}' (FORMAT parquet)")
    engine.close()


@pytest.fixture
def library_workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A lake with payroll, and the people and kinship libraries written as Parquet files."""
    settings = init_workspace(tmp_path / "ws")
    _publish(settings.lake_dir, "public_payroll", [
        {"id_no": "110101198001010011", "name": "张一", "org_uscc": "X", "org_name": "某局",
         "position": "科员", "start_date": "2020-01-01", "monthly_salary": 100},
        {"id_no": "110101198102020022", "name": "李二", "org_uscc": "X", "org_name": "某局",
         "position": "科员", "start_date": "2021-01-01", "monthly_salary": 100},
    ])  # fmt: skip
    _write_library(settings.lake_dir, "rel_kinship", [
        {"from_type": "person", "from_id": "110101198001010011", "to_type": "person",
         "to_id": "110101195001010033", "relation": "parent", "confidence": 1.0,
         "method": "household_role"},
        {"from_type": "person", "from_id": "110101198102020022", "to_type": "person",
         "to_id": "110101195101010044", "relation": "cousin", "confidence": 1.0,
         "method": "household_role"},
    ])  # fmt: skip
    _write_library(settings.lake_dir, "people", [
        {"id_no": "110101195001010033", "name": "张父", "names_seen": ["张父"], "is_dead": True},
        {"id_no": "110101195101010044", "name": "李表", "names_seen": [], "is_dead": True},
    ])  # fmt: skip
    return settings


def test_a_model_reads_library_views_over_the_lake(library_workspace) -> None:  # type: ignore[no-untyped-def]
    from qingfeng.engine import compile_model, parse_model_text
    from qingfeng.engine.runner import run_compiled
    from test_engine_spec import LIBRARY_MODEL

    compiled = compile_model(parse_model_text(LIBRARY_MODEL, "m.yaml"))
    engine = DuckDBEngine.for_lake(library_workspace)
    rows_read, hits, _ = run_compiled(engine, compiled)
    engine.close()
    # a cousin is not a close relative: one hit; rows read: 2 payroll + 2 kinship + 2 people
    assert [(h.subject_id, h.explanation) for h in hits] == [
        ("110101198001010011", "张一的parent张父已死亡")
    ]
    assert rows_read == 6


@pytest.mark.spark
def test_spark_reads_the_library_views_too(library_workspace) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pyspark")
    from qingfeng.engine import compile_model, parse_model_text
    from qingfeng.engine.engines.spark_engine import SparkEngine
    from qingfeng.engine.runner import run_compiled
    from test_engine_spec import LIBRARY_MODEL

    compiled = compile_model(parse_model_text(LIBRARY_MODEL, "m.yaml"))
    duck = DuckDBEngine.for_lake(library_workspace)
    on_duckdb = run_compiled(duck, compiled)
    duck.close()
    assert run_compiled(SparkEngine.for_lake(library_workspace), compiled) == on_duckdb
