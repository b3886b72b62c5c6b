"""Screening runs the models on candidates: parity with the batch run on the same rows,
per-row errors, decisions from the deployment's configuration, freshness of the lake."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qingfeng.dataspec import load_catalogue
from qingfeng.engine import DuckDBEngine, load_models
from qingfeng.engine.compiler import compile_model
from qingfeng.engine.runner import run_compiled
from qingfeng.screening import engine as screening_engine
from qingfeng.screening.candidates import children_of
from qingfeng.screening.config import ScreeningConfig, load_screening_config
from qingfeng.screening.engine import Screener, ScreeningError
from qingfeng.workspace import init_workspace
from screening_support import fix_ids, publish, valid_id

SCREENING = sorted(
    (spec.id, i)
    for spec in load_models().models.values()
    if spec.screens is not None
    for i in range(len(spec.tests))
    if spec.tests[i].expected
)
TODAY = dt.date(2026, 12, 7)


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _candidates(dataset: str, tables: dict[str, list[dict]]) -> list[dict]:
    """The rows of `dataset` as JSON candidates, each carrying its child rows."""
    kids = [k for k in children_of(dataset) if k.id in tables]
    out = []
    for row in tables.get(dataset, []):
        item = {k: _json(v) for k, v in row.items() if v is not None}
        for kid in kids:
            assert kid.parent is not None
            link = kid.parent.link
            item[kid.id] = [
                {k: _json(v) for k, v in child.items() if v is not None and k not in link}
                for child in tables[kid.id]
                if all(child.get(a) == row.get(b) for a, b in link.items())
            ]
        out.append(item)
    return out


def _batch_hits(settings: Any, model_id: str) -> set[tuple]:
    engine = DuckDBEngine.for_lake(settings)
    try:
        _, hits, _ = run_compiled(engine, compile_model(load_models().get(model_id)))
    finally:
        engine.close()
    return {(h.subject_id, h.period, h.severity, h.explanation, h.amount) for h in hits}


def _reasons(outcome: Any, model_id: str) -> set[tuple]:
    return {
        (r.evidence.get("__subject_id"), r.period, r.severity, r.sentence,
         None if r.amount is None else Decimal(r.amount))
        for c in outcome.results for r in c.reasons if r.model_id == model_id
    }  # fmt: skip


def _sentences(outcome: Any, model_id: str) -> set[tuple]:
    return {
        (r.period, r.severity, r.sentence, r.amount)
        for c in outcome.results
        for r in c.reasons
        if r.model_id == model_id
    }


@pytest.fixture(params=["sqlite", "duckdb"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small requests go through SQLite; force them through DuckDB's path too."""
    if request.param == "duckdb":
        monkeypatch.setattr(screening_engine, "LITE_ROWS", 0)
    return str(request.param)


def _through(screener: Screener, path: str) -> Screener:
    """The screener, checked to answer small requests by the path asked for."""
    screener.engine()
    lite = screener._lite[1]
    if path == "sqlite":
        assert set(lite) >= {m.spec.id for ms in screener.models.values() for m in ms}, (
            screener.lite_problems
        )
    return screener


@pytest.mark.parametrize(("model_id", "case"), SCREENING)
def test_screening_a_candidate_gives_the_batch_verdict(
    tmp_path: Path, model_id: str, case: int, path: str
) -> None:
    spec = load_models().get(model_id)
    assert spec.screens is not None
    tables = fix_ids(spec.tests[case].tables)
    dataset = spec.screens.dataset
    carried = {k.id for k in children_of(dataset)} & set(tables)
    # the batch: every row in the lake, the model run as `qingfeng run` runs it
    batch_ws = init_workspace(tmp_path / "batch")
    for name, rows in tables.items():
        publish(batch_ws.lake_dir, name, rows)
    expected = {(p, s, e, a) for _, p, s, e, a in _batch_hits(batch_ws, model_id)}
    assert expected, "the bundled case finds something"

    if not spec.screens.keep_lake:
        # screening: the lake without the candidates' own rows, the candidates in one request
        ws = init_workspace(tmp_path / "screen")
        for name, rows in tables.items():
            if name != dataset and name not in carried:
                publish(ws.lake_dir, name, rows)
        screener = _through(Screener(ws, ScreeningConfig()), path)
        outcome = screener.screen(dataset, _candidates(dataset, tables), today=TODAY)
        assert not any(c.errors for c in outcome.results), [c.errors for c in outcome.results]
        got = {(p, s, e, a) for p, s, e, a in _sentences(outcome, model_id)}
        assert got == expected
        return
    # a model that keeps the lake's rows (already paid): each row screened against the others
    got: set[tuple] = set()
    for i, row in enumerate(tables[dataset]):
        ws = init_workspace(tmp_path / f"screen{i}")
        for name, rows in tables.items():
            rest = [r for j, r in enumerate(rows) if not (name == dataset and j == i)]
            if rest:
                publish(ws.lake_dir, name, rest)
        outcome = _through(Screener(ws, ScreeningConfig()), path).screen(
            dataset, _candidates(dataset, {**tables, dataset: [row]}), today=TODAY
        )
        found = _sentences(outcome, model_id)
        assert found <= expected, f"row {i}: {found - expected}"
        got |= found
    assert got == expected


@pytest.fixture
def county(tmp_path: Path) -> Any:
    """A registry, deaths and last month's payments; two people, one dead."""
    settings = init_workspace(tmp_path / "ws")
    alive, dead = valid_id("52270119400101001"), valid_id("52270119410202002")
    publish(settings.lake_dir, "household_registry", [
        {"id_no": alive, "name": "甲老", "birth_date": dt.date(1940, 1, 1), "status": "active",
         "household_no": "H1", "division_code": "522701001001"},
        {"id_no": dead, "name": "乙故", "birth_date": dt.date(1941, 2, 2), "status": "active",
         "household_no": "H2", "division_code": "522701001001"},
    ])  # fmt: skip
    publish(settings.lake_dir, "deaths", [
        {"id_no": dead, "name": "乙故", "death_date": dt.date(2026, 9, 1), "source": "cremation"},
    ])  # fmt: skip
    publish(settings.lake_dir, "subsidy_payments", [
        {"payment_no": "P1", "id_no": alive, "name": "甲老", "subsidy_type": "高龄津贴",
         "subsidy_code": "old_age_allowance", "period": "2026-12",
         "pay_date": dt.date(2026, 12, 1), "amount": Decimal("200.00"),
         "account_no": "6217001", "division_code": "522701001001"},
    ])  # fmt: skip
    return settings, alive, dead


def _payment(id_no: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id_no": id_no, "name": name, "subsidy_type": "高龄津贴", "period": "2026-12",
            "amount": "200", "account_no": "6217009", "division_code": "522701001001",
            **extra}  # fmt: skip


def test_a_payment_to_the_dead_is_blocked_and_says_why(county: Any) -> None:
    settings, _, dead = county
    outcome = Screener(settings).screen("subsidy_payments", [_payment(dead, "乙故")], today=TODAY)
    (result,) = outcome.results
    assert result.decision == "block"
    (reason,) = [r for r in result.reasons if r.model_id == "subsidy_after_death"]
    assert reason.sentence == "乙故于2026-09-01死亡，其后仍于2026-12-07领取高龄津贴200.00元"
    assert reason.evidence["death_date"] == "2026-09-01"
    assert reason.legal_basis[0]["document"] == "《社会救助暂行办法》"


def test_already_paid_in_the_period_and_a_clean_payment(county: Any) -> None:
    settings, alive, _ = county
    screener = Screener(settings)
    again = _payment(alive, "甲老", payment_no="P2")
    same = _payment(alive, "甲老", payment_no="P1")  # the same payment sent again
    other = _payment(alive, "甲老", payment_no="P3", period="2027-01")
    outcome = screener.screen("subsidy_payments", [again, other], today=TODAY)
    assert [r.decision for r in outcome.results] == ["block", "allow"]
    assert [r.model_id for r in outcome.results[0].reasons] == ["duplicate_payment"]
    assert (
        "在2026-12期间发放2笔（2个账户、1个村），多发200.00元"
        in outcome.results[0].reasons[0].sentence
    )
    resent = screener.screen("subsidy_payments", [same], today=TODAY)
    assert resent.results[0].decision == "allow"


def test_name_mismatch_and_under_age_are_held_for_review(county: Any) -> None:
    settings, alive, _ = county
    young = valid_id("52270119700101003")
    outcome = Screener(settings).screen(
        "subsidy_payments",
        [_payment(alive, "甲少", period="2027-01"), _payment(young, "丙", period="2027-01")],
        today=TODAY,
    )
    assert [r.decision for r in outcome.results] == ["review", "review"]
    assert [r.model_id for r in outcome.results[0].reasons] == ["recipient_name_mismatch"]
    assert [r.model_id for r in outcome.results[1].reasons] == ["old_age_allowance_under_age"]
    assert "年仅57周岁" in outcome.results[1].reasons[0].sentence


def test_the_decision_of_each_model_is_the_deployments(county: Any, tmp_path: Path) -> None:
    settings, _, dead = county
    toml = settings.workspace / "qingfeng.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[screening]\nmax_batch = 3\n[screening.decisions]\nsubsidy_after_death = "review"\n',
        encoding="utf-8",
    )
    config = load_screening_config(toml)
    assert config.max_batch == 3 and config.decision_for("duplicate_payment") == "block"
    outcome = Screener(settings).screen("subsidy_payments", [_payment(dead, "乙故")], today=TODAY)
    assert outcome.results[0].decision == "review"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('"review"', '"stop"'), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"screening\.decisions\.subsidy_after_death"):
        load_screening_config(toml)


def test_malformed_rows_are_answered_row_by_row(county: Any) -> None:
    settings, alive, _ = county
    rows: list[Any] = [
        _payment(alive, "甲老", payment_no="P9", period="2027-02"),
        _payment("52270119400101001X", "甲老"),  # wrong check character
        {**_payment(alive, "甲老"), "amount": "两百"},
        {**_payment(alive, "甲老"), "colour": "red"},
        "not an object",
        {"name": "无证号"},
    ]
    outcome = Screener(settings).screen("subsidy_payments", rows, today=TODAY)
    results = outcome.results
    assert results[0].decision == "allow" and not results[0].errors
    assert [(e.field, e.code) for e in results[1].errors] == [("id_no", "invalid")]
    assert [(e.field, e.code) for e in results[2].errors] == [("amount", "invalid")]
    assert [(e.field, e.code) for e in results[3].errors] == [("colour", "unknown_field")]
    assert results[4].errors[0].code == "malformed"
    assert {e.field for e in results[5].errors} >= {"id_no"}
    assert all(r.decision is None for r in results[1:])
    assert outcome.totals()["decisions"] == {"allow": 1, "review": 0, "block": 0, "error": 5}


def test_a_dibao_application_of_a_payroll_household_is_blocked(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    clerk, wife = valid_id("52270119800101001"), valid_id("52270119820202002")
    publish(settings.lake_dir, "public_payroll", [
        {"id_no": clerk, "name": "赵吏", "org_uscc": "11522701MB1234567X", "org_name": "某镇政府",
         "position": "科员", "start_date": dt.date(2015, 7, 1)},
    ])  # fmt: skip
    publish(settings.lake_dir, "vehicles", [
        {"plate_no": "贵J12345", "owner_id_no": wife, "owner_name": "钱氏",
         "vehicle_type": "小型轿车", "status": "normal", "register_date": dt.date(2020, 5, 1)},
    ])  # fmt: skip
    application = {
        "case_no": "DB2026-1", "head_id_no": wife, "division_code": "522701001001",
        "dibao_members": [
            {"id_no": wife, "name": "钱氏", "relation_to_head": "户主"},
            {"id_no": clerk, "name": "赵吏", "relation_to_head": "配偶"},
        ],
    }  # fmt: skip
    clean = {"case_no": "DB2026-2", "head_id_no": valid_id("52270119900303003"),
             "division_code": "522701001001"}  # fmt: skip
    outcome = Screener(settings).screen("dibao_households", [application, clean], today=TODAY)
    first, second = outcome.results
    assert first.decision == "block"
    assert sorted(r.model_id for r in first.reasons) == ["dibao_owns_car", "payroll_in_dibao"]
    assert second.decision == "allow" and not second.reasons


def test_a_dataset_no_model_screens_is_refused(county: Any) -> None:
    settings, _, _ = county
    with pytest.raises(ScreeningError, match="no model screens the dataset 'tenders'"):
        Screener(settings).screen("tenders", [{}])


def test_a_published_batch_is_seen_at_once_with_its_snapshot(county: Any) -> None:
    settings, alive, _ = county
    screener = Screener(settings)
    first = screener.screen("subsidy_payments", [_payment(alive, "甲老")], today=TODAY)
    assert first.results[0].decision == "allow"
    publish(settings.lake_dir, "deaths", [
        {"id_no": alive, "name": "甲老", "death_date": dt.date(2026, 11, 30), "source": "hospital"},
    ])  # fmt: skip
    second = screener.screen("subsidy_payments", [_payment(alive, "甲老")], today=TODAY)
    assert second.results[0].decision == "block"
    assert second.snapshot.id != first.snapshot.id
    snap = second.snapshot.to_json()
    assert snap["batches"] == 4 and 0 <= snap["age_seconds"] < 120
    assert json.loads(json.dumps(snap)) == snap
    assert "deaths" in load_catalogue()


@pytest.mark.parametrize(("model_id", "case"), SCREENING)
def test_sqlite_and_duckdb_paths_give_the_same_reasons(
    tmp_path: Path, model_id: str, case: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every reason (sentence, severity, amount, evidence, legal basis) is the same whichever
    path answers: the lake holds the case's other tables, the candidates are its rows."""
    spec = load_models().get(model_id)
    assert spec.screens is not None
    tables = fix_ids(spec.tests[case].tables)
    dataset = spec.screens.dataset
    carried = {k.id for k in children_of(dataset)} & set(tables)
    ws = init_workspace(tmp_path / "ws")
    for name, rows in tables.items():
        if name not in carried and (name != dataset or spec.screens.keep_lake):
            publish(ws.lake_dir, name, rows[1:] if name == dataset else rows)
    screener = _through(Screener(ws, ScreeningConfig()), "sqlite")
    candidates = _candidates(dataset, tables)
    lite = screener.screen(dataset, candidates, today=TODAY)
    monkeypatch.setattr(screening_engine, "LITE_ROWS", 0)
    duck = screener.screen(dataset, candidates, today=TODAY)
    assert [r.to_json() for r in lite.results] == [r.to_json() for r in duck.results]
    assert any(r.reasons for r in duck.results) or spec.screens.keep_lake
