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
