"""`qingfeng.model_library.evaluate.score` and `qingfeng model score|docs`: precision and recall per
model against planted cases and decoys, read from the real workflow store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from built_in_models import built_in_models
from qingfeng.cli.app import app
from qingfeng.engine import DuckDBEngine
from qingfeng.engine.dataspec_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.model_library.evaluate import load_truth, parse_truth, score
from qingfeng.operations.model_runs import run_models
from qingfeng.workspace import init_workspace

A, B, C, D = "110101195001010011", "110101196002020022", "110101197003030033", "110101198004040044"


def _truth(*planted: tuple[str, str, str, str]) -> dict:
    return {
        "seed": 1,
        "planted": [
            {"model": m, "subject_id": s, "period": p, "kind": k, "note": ""}
            for m, s, p, k in planted
        ],
    }


def test_score_counts_cases_false_positives_decoys_and_misses() -> None:
    truth = _truth(
        ("m1", A, "2024-04", "case"),
        ("m1", A, "2024-05", "case"),
        ("m1", B, "2024-04", "decoy"),
        ("m2", C, "2024-01", "case"),
    )
    warnings = [
        ("m1", A, "2024-04"),
        ("m1", A, "2024-05"),
        ("m1", B, "2024-04"),  # a decoy
        ("m1", D, "2024-06"),  # neither planted nor decoy: still a false positive
        ("m3", A, "2024-01"),  # a model without planted cases
    ]
    scores = score(warnings, truth)
    assert list(scores) == ["m1", "m2", "m3"]
    m1 = scores["m1"]
    assert (m1.cases, m1.decoys, m1.warnings, m1.true_positives, m1.false_positives) == (
        2,
        1,
        4,
        2,
        2,
    )
    assert m1.recall == 1.0 and m1.precision == 0.5
    assert m1.decoys_hit == [(B, "2024-04")] and not m1.passes()
    m2 = scores["m2"]
    assert m2.recall == 0.0 and m2.precision is None and m2.missed == [(C, "2024-01")]
    assert scores["m3"].cases == 0 and not scores["m3"].passes()
    perfect = score([("m2", C, "2024-01")], truth)["m2"]
    assert perfect.passes() and perfect.to_json()["precision"] == 1.0


def test_duplicate_warnings_count_once() -> None:
    truth = _truth(("m1", A, "2024-04", "case"))
    s = score([("m1", A, "2024-04"), ("m1", A, "2024-04")], truth)["m1"]
    assert (s.warnings, s.true_positives, s.precision) == (1, 1, 1.0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "no `planted` list"),
        ({"planted": "x"}, "no `planted` list"),
        ({"planted": [7]}, "planted[0] is not an object"),
        ({"planted": [{"model": "m", "subject_id": A, "kind": "case"}]}, "planted[0] lacks period"),
        (
            {"planted": [{"model": "m", "subject_id": A, "period": "2024-01", "kind": "maybe"}]},
            "kind 'maybe'",
        ),
    ],
)
def test_malformed_truth_is_refused_with_the_entry_at_fault(raw, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_truth(raw, source="truth.json")


def test_load_truth_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "truth.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"truth\.json.*not JSON"):
        load_truth(bad)
    with pytest.raises(ValueError, match="cannot read"):
        load_truth(tmp_path / "missing.json")


def _engine_with(tables: dict[str, list[dict]]) -> DuckDBEngine:
    engine = DuckDBEngine()
    for name, rows in tables.items():
        engine.register_rows(name, column_types_for(name, rows, default_catalogue()), rows)
    return engine


def test_cli_scores_the_store_against_a_truth_file(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    tables = built_in_models().get("subsidy_after_death").tests[0].tables
    summary = run_models(settings, model_ids=["subsidy_after_death"], engine=_engine_with(tables))
    assert summary.results[0].hits == 2  # 2024-04 and 2024-05 for 张三
    truth = tmp_path / "truth.json"
    truth.write_text(
        json.dumps(
            _truth(
                ("subsidy_after_death", "110101195001010011", "2024-04", "case"),
                ("subsidy_after_death", "110101195001010011", "2024-05", "case"),
                ("subsidy_after_death", "110101196002020022", "2024-06", "decoy"),
            )
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    out = tmp_path / "score.json"
    args = ["model", "score", "--truth", str(truth), "--workspace", str(settings.workspace)]
    result = runner.invoke(app, [*args, "--json", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert "1/1" in result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    (model,) = payload["models"]
    assert (model["recall"], model["precision"], model["decoys_hit"]) == (1.0, 1.0, [])

    # a planted case the model cannot find: recall 2/3, --strict fails, and ID numbers stay out
    truth.write_text(
        json.dumps(
            _truth(
                ("subsidy_after_death", "110101195001010011", "2024-04", "case"),
                ("subsidy_after_death", "110101195001010011", "2024-05", "case"),
                ("subsidy_after_death", "110101197003030033", "2024-06", "case"),
            )
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, [*args, "--strict"])
    assert result.exit_code == 1
    assert "66.7%" in result.output and "0/1" in result.output
    assert "110101197003030033" not in result.output

    result = runner.invoke(
        app,
        [
            "model",
            "score",
            "--truth",
            str(tmp_path / "nope.json"),
            "--workspace",
            str(settings.workspace),
        ],
    )
    assert result.exit_code == 1 and "nope.json" in result.output


def test_cli_docs_writes_and_checks_the_catalogue(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "catalogue.md"
    result = runner.invoke(app, ["model", "docs", "--output", str(target), "--check"])
    assert result.exit_code == 1 and "out of date" in result.output
    result = runner.invoke(app, ["model", "docs", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "subsidy_after_death" in target.read_text(encoding="utf-8")
    result = runner.invoke(app, ["model", "docs", "--output", str(target), "--check"])
    assert result.exit_code == 0 and "current" in result.output


def test_store_warnings_reads_present_warnings_on_sqlite_and_postgres(store_url: str) -> None:
    """Only warnings still found by the latest run count: a warning no longer present is not a
    hit of the current library."""
    from decimal import Decimal

    from qingfeng.hits import Hit
    from qingfeng.store.db import make_engine, session_factory, upgrade_store
    from qingfeng.store.findings import store_warnings
    from qingfeng.store.models import ModelRun
    from qingfeng.store.warnings_sync import sync_model_run

    def hit(subject: str, period: str) -> Hit:
        return Hit(
            model_id="m1", model_version="1.0", subject_type="person", subject_id=subject,
            period=period, severity="orange", explanation="x", subject_name="张三",
            amount=Decimal("1.00"), division_code="110101001001", evidence={},
        )  # fmt: skip

    upgrade_store(store_url)
    engine = make_engine(store_url)
    factory = session_factory(engine)
    try:
        for hits in ([hit(A, "2024-04"), hit(B, "2024-05")], [hit(A, "2024-04")]):
            with factory() as session, session.begin():
                run = ModelRun(
                    run_group="g", model_id="m1", model_version="1.0", engine="duckdb",
                    rows_read=1, hits=0, new_warnings=0, still_present=0, no_longer_present=0,
                    duration_ms=0,
                )  # fmt: skip
                session.add(run)
                session.flush()
                sync_model_run(session, run, hits)
    finally:
        engine.dispose()
    assert store_warnings(store_url) == [("m1", A, "2024-04")]
    assert sorted(store_warnings(store_url, present_only=False)) == [
        ("m1", A, "2024-04"),
        ("m1", B, "2024-05"),
    ]
