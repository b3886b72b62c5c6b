"""Every core model meets the bar on the demo county, taken through the real pipeline.

`qingfeng demo --no-serve` (the run's shared demo county, tests/demo_county.py) generates the
synthetic county (3,000 persons, demo seed), ingests every
department file with `--yes` recognition only (no saved mappings), runs the models into the store
and keeps the truth file aside. Each of the 32 core models must then find every planted case
(recall 100%), keep precision at 95% or better and flag no decoy — which needs every file read
as the right dataset, its key columns mapped and its enum wordings understood.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo_county import DemoCounty
from qingfeng.demo import DEMO_PERSONS, DemoResult
from qingfeng.ingest.mapping import load_mapping
from qingfeng.model_library import CORE_MODEL_IDS, MONEY_MODEL_IDS
from qingfeng.model_library.evaluate import ModelScore, load_truth, score
from qingfeng.store.findings import store_warnings
from qingfeng.synth.departments import FILES


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_county: DemoCounty) -> DemoResult:
    return demo_county.copy(tmp_path_factory.mktemp("demo-models") / "ws")


@pytest.fixture(scope="module")
def scores(demo: DemoResult) -> dict[str, ModelScore]:
    return score(store_warnings(demo.settings.database_url), load_truth(demo.truth_file))


def test_demo_is_the_documented_size(demo: DemoResult) -> None:
    assert DEMO_PERSONS == 3000
    assert demo.files == len(FILES)
    assert demo.models_run >= len(CORE_MODEL_IDS)


def test_every_department_file_is_recognised_and_its_columns_mapped(demo: DemoResult) -> None:
    """Nothing skipped or misread: each file loads as its department's dataset, and every column
    that carries a standard field is mapped onto that field (the ingest report and the mappings
    that `--yes` saved say so)."""
    reports = sorted(Path(demo.settings.reports_dir).glob("ingest-*.json"))
    assert len(reports) == 1
    sources = {
        Path(s["path"]).name: s
        for s in json.loads(reports[0].read_text(encoding="utf-8"))["sources"]
    }
    problems = []
    for f in FILES:
        src = sources.get(f.file_name)
        if src is None or src["status"] != "loaded" or src["dataset"] != f.dataset:
            got = (src or {}).get("dataset"), (src or {}).get("status"), (src or {}).get("message")
            problems.append(f"{f.file_name}: want {f.dataset}, got {got}")
            continue
        mapping = load_mapping(Path(src["mapping_file"]))
        for c in f.columns:
            if c.field is not None and mapping.columns.get(c.header) != c.field:
                problems.append(f"{f.file_name}: {c.header} → {mapping.columns.get(c.header)}")
        for name, value in f.constants.items():
            if mapping.constants.get(name) != value:
                problems.append(f"{f.file_name}: {name} = {mapping.constants.get(name)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("model_id", CORE_MODEL_IDS + MONEY_MODEL_IDS)
def test_core_model_meets_the_bar(scores: dict[str, ModelScore], model_id: str) -> None:
    s = scores.get(model_id)
    assert s is not None and s.cases >= 1, f"{model_id}: no planted cases in the truth"
    assert s.recall == 1.0, f"{model_id}: missed {s.missed}"
    assert s.precision is not None and s.precision >= 0.95, (
        f"{model_id}: precision {s.precision} ({s.false_positives} false of {s.warnings})"
    )
    assert not s.decoys_hit, f"{model_id}: decoys flagged {s.decoys_hit}"
    assert s.passes(0.95)
