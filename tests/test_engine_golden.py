"""Golden files of the compiled SQL, per built-in model and dialect (tests/golden/).

A change to the compiler or a model shows up as a readable diff of SQL. After checking the diff,
regenerate with: QINGFENG_UPDATE_GOLDEN=1 pytest tests/test_engine_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from built_in_models import MODEL_IDS, built_in_models
from qingfeng.engine import compile_model
from qingfeng.engine.dialects import DIALECTS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("QINGFENG_UPDATE_GOLDEN") == "1"
CASES = [(m, d) for m in MODEL_IDS for d in DIALECTS]


def test_every_library_file_loads_as_the_model_it_is_named_after() -> None:
    assert built_in_models().errors == []
    assert sorted(built_in_models().models) == MODEL_IDS


@pytest.mark.parametrize(("model_id", "dialect"), CASES)
def test_compiled_sql_matches_golden_file(model_id: str, dialect: str) -> None:
    sql = compile_model(built_in_models().get(model_id)).sql(dialect) + "\n"
    path = GOLDEN / f"{model_id}.{dialect}.sql"
    if UPDATE:
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with QINGFENG_UPDATE_GOLDEN=1"
    assert sql == path.read_text(encoding="utf-8")


def test_no_stale_golden_files() -> None:
    expected = {f"{m}.{d}.sql" for m, d in CASES}
    assert {p.name for p in GOLDEN.glob("*.sql")} == expected
