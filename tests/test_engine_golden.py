"""Golden files of the compiled SQL, per built-in model and dialect (tests/golden/).

A change to the compiler or a model shows up as a readable diff of SQL. After checking the diff,
regenerate with: QINGFENG_UPDATE_GOLDEN=1 pytest tests/test_engine_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qingfeng.engine import compile_model, load_models
from qingfeng.engine.dialects import DIALECTS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("QINGFENG_UPDATE_GOLDEN") == "1"
MODELS = load_models()  # loaded once: every spec is compiled while loading
CASES = [(m, d) for m in sorted(MODELS.models) for d in DIALECTS]


@pytest.mark.parametrize(("model_id", "dialect"), CASES)
def test_compiled_sql_matches_golden_file(model_id: str, dialect: str) -> None:
    sql = compile_model(MODELS.get(model_id)).sql(dialect) + "\n"
    path = GOLDEN / f"{model_id}.{dialect}.sql"
    if UPDATE:
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with QINGFENG_UPDATE_GOLDEN=1"
    assert sql == path.read_text(encoding="utf-8")


def test_no_stale_golden_files() -> None:
    expected = {f"{m}.{d}.sql" for m, d in CASES}
    assert {p.name for p in GOLDEN.glob("*.sql")} == expected
