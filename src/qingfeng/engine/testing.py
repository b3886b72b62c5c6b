"""Testing helpers for model authors: run one model on a few inline rows and check its hits.

from qingfeng.engine.testing import assert_hits
assert_hits("subsidy_after_death",
            tables={"deaths": [...], "subsidy_payments": [...]},
            expected=[{"subject_id": "1101...", "period": "2024-04", "severity": "orange"}])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qingfeng.engine.compiler import compile_model
from qingfeng.engine.dataspec_port import Catalogue, default_catalogue
from qingfeng.engine.engines.base import Engine, column_types_for
from qingfeng.engine.engines.duckdb_engine import DuckDBEngine
from qingfeng.engine.errors import EngineError
from qingfeng.engine.loader import load_models
from qingfeng.engine.results import columns_to_hits
from qingfeng.engine.spec import ExpectedHit, ModelSpec, TestCase
from qingfeng.hits import Hit


def _resolve(spec_or_id: ModelSpec | str) -> ModelSpec:
    if isinstance(spec_or_id, ModelSpec):
        return spec_or_id
    return load_models().get(spec_or_id)


def run_inline(
    spec_or_id: ModelSpec | str,
    tables: dict[str, list[dict[str, Any]]],
    *,
    parameters: dict[str, Any] | None = None,
    engine: Engine | None = None,
    catalogue: Catalogue | None = None,
) -> list[Hit]:
    """Register `tables` on the engine (a fresh DuckDB by default) and run the model on them."""
    spec = _resolve(spec_or_id)
    catalogue = catalogue or default_catalogue()
    compiled = compile_model(spec, parameters, catalogue)
    own = engine is None
    engine = engine or DuckDBEngine()
    try:
        for dataset in spec.inputs:
            rows = tables.get(dataset, [])
            types = column_types_for(dataset, rows, catalogue)
            if not types:
                raise EngineError(
                    f"test tables: give at least one row of {dataset} "
                    "(the catalogue does not describe its fields)"
                )
            engine.register_rows(dataset, types, rows)
        sql = compiled.sql(engine.dialect, pretty=False)
        hits, _ = columns_to_hits(compiled, engine.query_columns(sql))
        return hits
    finally:
        if own:
            engine.close()


def compare_hits(hits: list[Hit], expected: list[ExpectedHit]) -> list[str]:
    """Differences between actual hits and the expected ones, as readable lines (empty: equal)."""
    problems = []
    by_key = {(h.subject_id, h.period): h for h in hits}
    wanted = set()
    for exp_hit in expected:
        key = (exp_hit.subject_id, exp_hit.period)
        wanted.add(key)
        hit = by_key.get(key)
        if hit is None:
            problems.append(f"missing hit: subject {key[0]} period {key[1]}")
            continue
        if exp_hit.severity is not None and hit.severity != exp_hit.severity:
            problems.append(f"{key}: severity {hit.severity}, expected {exp_hit.severity}")
        if exp_hit.amount is not None and (
            hit.amount is None or Decimal(hit.amount) != Decimal(exp_hit.amount)
        ):
            problems.append(f"{key}: amount {hit.amount}, expected {exp_hit.amount}")
        if exp_hit.explanation is not None and hit.explanation != exp_hit.explanation:
            problems.append(
                f"{key}: explanation\n      got:      {hit.explanation}\n"
                f"      expected: {exp_hit.explanation}"
            )
    for key in by_key:
        if key not in wanted:
            problems.append(f"unexpected hit: subject {key[0]} period {key[1]}")
    return problems


def assert_hits(
    spec_or_id: ModelSpec | str,
    tables: dict[str, list[dict[str, Any]]],
    expected: list[dict[str, Any]] | list[ExpectedHit],
    *,
    parameters: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> list[Hit]:
    """Run the model on `tables` and assert exactly the `expected` hits (by subject and period;
    severity, amount and explanation are checked where given). Returns the hits."""
    wanted = [e if isinstance(e, ExpectedHit) else ExpectedHit.model_validate(e) for e in expected]
    hits = run_inline(spec_or_id, tables, parameters=parameters, engine=engine)
    problems = compare_hits(hits, wanted)
    if problems:
        name = spec_or_id.id if isinstance(spec_or_id, ModelSpec) else spec_or_id
        raise AssertionError(f"model {name}:\n  " + "\n  ".join(problems))
    return hits


@dataclass
class CaseResult:
    model_id: str
    case: str
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.problems and self.error is None


def run_cases(
    spec: ModelSpec, engine_factory: Callable[[], Engine] | None = None
) -> list[CaseResult]:
    """Run the model's bundled test cases; one result per case."""
    results = []
    for case in spec.tests:
        results.append(_run_case(spec, case, engine_factory))
    return results


def _run_case(
    spec: ModelSpec, case: TestCase, engine_factory: Callable[[], Engine] | None
) -> CaseResult:
    result = CaseResult(model_id=spec.id, case=case.name)
    engine = engine_factory() if engine_factory else DuckDBEngine()
    try:
        hits = run_inline(spec, case.tables, parameters=case.parameters, engine=engine)
        result.problems = compare_hits(hits, case.expected)
    except Exception as exc:  # a broken case is reported, the next still runs
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if engine_factory is None:
            engine.close()
    return result
