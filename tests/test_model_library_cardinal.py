"""The Cardinal table of docs/model-catalogue.md: every red flag named, every model tested."""

from __future__ import annotations

import pytest

from built_in_models import built_in_models
from qingfeng.engine.testing import run_cases
from qingfeng.model_library.reference_doc import cardinal_indicators

# Cardinal's red flags (cardinal-rs docs/cli/indicators/R/*.md).
CARDINAL = {
    "R003",
    "R018",
    "R024",
    "R025",
    "R028",
    "R030",
    "R035",
    "R036",
    "R038",
    "R044",
    "R048",
    "R055",
    "R058",
}


def test_every_cardinal_red_flag_has_a_row() -> None:
    codes = [row["code"] for row in cardinal_indicators()]
    assert len(codes) == len(set(codes))
    assert set(codes) >= CARDINAL


def test_every_named_model_exists_and_has_bundled_tests() -> None:
    models = built_in_models().models
    for row in cardinal_indicators():
        for model_id in row["models"]:
            assert model_id in models, (row["code"], model_id)
            assert models[model_id].tests, (row["code"], model_id)
        if not row["models"]:
            assert row["note"].startswith(("不适用", "未实现")), row["code"]


def test_every_implemented_red_flag_reproduces_cardinals_worked_example() -> None:
    """Conformance: each implemented Cardinal indicator has a bundled case named after it,
    rewriting the example of Cardinal's documentation in our own data (the case must flag it)."""
    models = built_in_models().models
    for row in cardinal_indicators():
        code = row["code"]
        if not code.startswith("R") or not row["models"]:
            continue
        examples = [
            t
            for model_id in row["models"]
            for t in models[model_id].tests
            if t.name.startswith(f"Cardinal {code}")
        ]
        assert examples, f"{code}: no bundled case reproduces Cardinal's example"
        assert any(t.expected for t in examples), f"{code}: the example flags nothing"


COARSER = {"year": "all", "method_category_year": "year"}


@pytest.mark.parametrize(
    "model_id",
    [
        "winning_bid_heavily_discounted",
        "bidder_excessive_losing_bids",
        "excessive_disqualified_bids",
    ],
)
def test_fences_per_period_flag_what_coarser_fences_miss(model_id: str) -> None:
    """The period dimension matters: each bundled case with fences per year (or per method ×
    category × year) flags an outlier of its own group that fences over coarser groups (all
    data, or the year alone) do not. (runner_up_price_close shares R058's grouping code; its
    year case is one whose hits the parity test's pooled data keeps.)"""
    spec = built_in_models().models[model_id]
    grouped = [t for t in spec.tests if t.parameters.get("group_by") in COARSER]
    assert any(t.parameters["group_by"] == "year" for t in grouped), model_id
    coarser = [
        t.model_copy(
            update={
                "name": f"{t.name}（{COARSER[t.parameters['group_by']]}）",
                "parameters": {**t.parameters, "group_by": COARSER[t.parameters["group_by"]]},
                "expected": [],
            }
        )
        for t in grouped
    ]
    results = run_cases(spec.model_copy(update={"tests": [*grouped, *coarser]}))
    failed = [r for r in results if not r.passed]
    assert not failed, "\n".join(f"{r.case}: {r.problems} {r.error}" for r in failed)
