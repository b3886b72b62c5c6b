"""Hits become warnings by fingerprint: new, still present, no longer present; on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from qingfeng.hits import Hit
from qingfeng.store.db import make_engine, session_factory, upgrade_store
from qingfeng.store.models import ModelRun, Warning
from qingfeng.store.warnings_sync import sync_model_run


def _hit(subject: str, period: str = "2024-04", amount: str = "200.00", **kw) -> Hit:
    return Hit(
        model_id=kw.pop("model_id", "m1"),
        model_version="1.0",
        subject_type="person",
        subject_id=subject,
        period=period,
        severity=kw.pop("severity", "orange"),
        explanation=f"{subject}于{period}领取{amount}元",
        subject_name="张三",
        amount=Decimal(amount),
        division_code="110101001001",
        evidence={"payment_no": f"P-{subject}", "amount": amount},
    )


@pytest.fixture
def factory(store_url: str):  # type: ignore[no-untyped-def]
    upgrade_store(store_url)
    engine = make_engine(store_url)
    yield session_factory(engine)
    engine.dispose()


def _sync(factory, hits: list[Hit], model_id: str = "m1"):  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        run = ModelRun(
            run_group="g",
            model_id=model_id,
            model_version="1.0",
            engine="duckdb",
            rows_read=10,
            hits=0,
            new_warnings=0,
            still_present=0,
            no_longer_present=0,
            duration_ms=0,
        )
        session.add(run)
        session.flush()
        diff = sync_model_run(session, run, hits)
        return run.id, diff


def test_rerun_updates_instead_of_duplicating(factory) -> None:  # type: ignore[no-untyped-def]
    run1, diff = _sync(factory, [_hit("A"), _hit("B"), _hit("C")])
    assert (len(diff.new), len(diff.still_present), len(diff.no_longer_present)) == (3, 0, 0)

    # B changes severity and amount, C disappears, D is new
    run2, diff = _sync(factory, [_hit("A"), _hit("B", amount="1500.00", severity="red"), _hit("D")])
    assert (len(diff.new), len(diff.still_present), len(diff.no_longer_present)) == (1, 2, 1)
    assert diff.updated == 1
    with factory() as session:
        rows = {w.subject_id: w for w in session.scalars(select(Warning))}
        assert set(rows) == {"A", "B", "C", "D"}
        assert rows["B"].severity == "red" and rows["B"].amount == Decimal("1500.00")
        assert rows["B"].evidence == {"payment_no": "P-B", "amount": "1500.00"}
        assert rows["C"].present is False and rows["C"].last_run_id == run1
        assert rows["A"].present is True and rows["A"].first_run_id == run1
        assert rows["A"].last_run_id == run2
        assert rows["D"].status == "new" and rows["D"].first_run_id == run2
        run = session.get(ModelRun, run2)
        assert (run.hits, run.new_warnings, run.still_present, run.no_longer_present) == (
            3,
            1,
            2,
            1,
        )

    # C comes back: it is the same warning again, not a new one
    _, diff = _sync(factory, [_hit("A"), _hit("B"), _hit("C"), _hit("D")])
    assert (len(diff.new), len(diff.still_present), len(diff.no_longer_present)) == (0, 4, 0)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Warning)) == 4
        assert all(w.present for w in session.scalars(select(Warning)))


def test_other_models_warnings_are_left_alone(factory) -> None:  # type: ignore[no-untyped-def]
    _sync(factory, [_hit("A", model_id="m2")], model_id="m2")
    _, diff = _sync(factory, [])
    assert diff.no_longer_present == []
    with factory() as session:
        assert session.scalars(select(Warning.present)).all() == [True]
    with pytest.raises(ValueError, match="hit of model m2"):
        _sync(factory, [_hit("A", model_id="m2")], model_id="m1")


def test_many_hits_sync_in_bulk(factory) -> None:  # type: ignore[no-untyped-def]
    hits = [_hit(f"{i:018d}", period=f"2024-{i % 12 + 1:02d}") for i in range(20_000)]
    start = time.perf_counter()
    _, diff = _sync(factory, hits)
    first = time.perf_counter() - start
    assert len(diff.new) == 20_000
    start = time.perf_counter()
    _, diff = _sync(factory, hits[:15_000])
    second = time.perf_counter() - start
    assert (len(diff.still_present), len(diff.no_longer_present), diff.updated) == (
        15_000,
        5_000,
        0,
    )
    print(f"20k new: {first:.2f}s, 15k still + 5k gone: {second:.2f}s")
