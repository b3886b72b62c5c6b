"""The Cardinal table of docs/model-catalogue.md: every red flag named, every model tested."""

from __future__ import annotations

from built_in_models import built_in_models
from qingfeng.library.catalogue_doc import cardinal_indicators

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
