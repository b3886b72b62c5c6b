"""Relatives in other households found by a relative model over the real lake, on DuckDB and on
Spark: registry, household moves, marriage registrations and birth records published as Parquet
batches, libraries built, `approval_for_relative` run on both engines."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select

from qingfeng.engine import DuckDBEngine
from qingfeng.operations.model_runs import run_models
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Warning, WarningLine
from qingfeng.subject_library import build_libraries
from qingfeng.subject_library.attach import libraries_dir
from qingfeng.workspace import init_workspace
from test_close_kin import BIRTHS, MARRIAGES, MOVES, REGISTRY, VILLAGE, P
from test_engine_lake import _publish

lake_mod = pytest.importorskip("qingfeng.lake")


def _payment(no: str, payee: str, approver: str, period: str) -> dict:
    return {
        "payment_no": no, "id_no": P[payee], "name": payee, "subsidy_type": "低保金",
        "subsidy_code": "dibao", "period": period, "amount": 600,
        "pay_date": dt.date.fromisoformat(period + "-10"), "approver_id_no": P[approver],
        "division_code": VILLAGE,
    }  # fmt: skip


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = init_workspace(tmp_path_factory.mktemp("kin-lake") / "ws")
    lake = settings.lake_dir
    _publish(lake, "household_registry", [
        {"id_no": P[k], "name": n, "household_no": h, "relation_to_head": r,
         "household_type": t, "division_code": VILLAGE, "status": "active"}
        for k, n, h, r, t in REGISTRY
    ])  # fmt: skip
    _publish(lake, "household_moves", [
        {"id_no": P[k], "household_no": h, "relation_to_head": r, "move_type": m,
         "move_date": dt.date.fromisoformat(d), "new_household_no": nh}
        for k, h, r, m, d, nh in MOVES
    ])  # fmt: skip
    _publish(lake, "marriage_registrations", [
        {"reg_no": no, "reg_type": t, "reg_date": dt.date.fromisoformat(d),
         "husband_id_no": P[h], "wife_id_no": P[w]}
        for no, t, d, h, w in MARRIAGES
    ])  # fmt: skip
    _publish(lake, "birth_records", [
        {"cert_no": no, "child_id_no": P[c], "birth_date": dt.date.fromisoformat(d),
         "mother_id_no": P[m] if m else None, "father_id_no": P[f] if f else None}
        for no, c, d, m, f in BIRTHS
    ])  # fmt: skip
    _publish(lake, "subsidy_payments", [
        _payment("P1", "guan_wife", "guan", "2024-01"),  # same household
        _payment("P2", "wife_brother", "guan", "2024-02"),  # birth records, another household
        _payment("P3", "xu", "guan", "2024-03"),  # the daughter's husband (marriage register)
        _payment("P4", "guan_decoy", "guan", "2024-04"),  # same surname and village, no tie
        _payment("P5", "dorm_b", "dorm_a", "2024-05"),  # a collective household
    ])  # fmt: skip
    con = lake_mod.connect(settings)
    try:
        build_libraries(con, libraries_dir(lake))
    finally:
        con.close()
    return settings


def _hits(settings) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    factory = session_factory(make_engine(settings.database_url))
    with factory() as session:
        subjects = {w.id: w.subject_id for w in session.scalars(select(Warning))}
        return {(subjects[x.warning_id], x.period) for x in session.scalars(select(WarningLine))}


WANT = {(P["guan"], "2024-01"), (P["guan"], "2024-02"), (P["guan"], "2024-03")}


def test_duckdb_finds_relatives_in_other_households(settings) -> None:  # type: ignore[no-untyped-def]
    summary = run_models(settings, model_ids=["approval_for_relative"],
                         engine=DuckDBEngine.for_lake(settings))  # fmt: skip
    assert summary.results[0].error is None and summary.results[0].hits == 3
    assert _hits(settings) == WANT


@pytest.mark.spark
def test_spark_finds_the_same(settings) -> None:  # type: ignore[no-untyped-def]
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PySpark is required under CI=true")
        pytest.skip("PySpark is not installed")
    from qingfeng.engine.engines.spark_engine import SparkEngine

    summary = run_models(settings, model_ids=["approval_for_relative"],
                         engine=SparkEngine.for_lake(settings))  # fmt: skip
    assert summary.results[0].error is None and summary.results[0].hits == 3
    assert _hits(settings) == WANT
