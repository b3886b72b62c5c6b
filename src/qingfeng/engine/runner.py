"""Run one compiled model on an engine and yield its hits.

The engine knows nothing of the workflow store: recording a run and turning hits into warnings is
`qingfeng.operations.model_runs`, one layer above.
"""

from __future__ import annotations

from qingfeng.engine.compiler import CompiledModel
from qingfeng.engine.engines.base import Engine
from qingfeng.engine.results import columns_to_hits
from qingfeng.hits import Hit


def run_compiled(engine: Engine, compiled: CompiledModel) -> tuple[int, list[Hit], int]:
    """Run a compiled model on `engine`: rows read by its inputs, its hits (one per subject and
    period, sentences and evidence filled in, each with the area its route finds) and the number
    of rows without a subject id."""
    from qingfeng.engine.routing import routed_sql

    rows_read = engine.count_inputs(compiled.inputs)
    result = engine.query_columns(routed_sql(compiled, engine.dialect, engine.has_table))
    hits, dropped = columns_to_hits(compiled, result)
    return rows_read, hits, dropped
