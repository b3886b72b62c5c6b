"""The model engine: declarative supervision models, compiled once, run on DuckDB or on Spark.

Public surface (the work lives in the modules named beside each name):
- `ModelSpec` (spec), `load_models` / `parse_model_text` (loader), `compile_model` (compiler)
- `DuckDBEngine`, `SparkEngine` (engines), `run_compiled` (runner: a compiled model's hits)
- `assert_hits` (testing), `ModelSpecError` / `EngineError` (errors)
"""

from __future__ import annotations

from typing import Any

from qingfeng.engine.compiler import CompiledModel, compile_model
from qingfeng.engine.engines import DuckDBEngine, Engine
from qingfeng.engine.errors import EngineError, ModelNotFoundError, ModelSpecError, Problem
from qingfeng.engine.loader import ModelSet, load_models, parse_model_text
from qingfeng.engine.spec import ModelSpec
from qingfeng.engine.testing import assert_hits


def __getattr__(name: str) -> Any:
    # PySpark is an optional extra: import SparkEngine only when asked for.
    if name == "SparkEngine":
        from qingfeng.engine.engines.spark_engine import SparkEngine

        return SparkEngine
    raise AttributeError(name)


__all__ = [
    "CompiledModel",
    "DuckDBEngine",
    "Engine",
    "EngineError",
    "ModelNotFoundError",
    "ModelSet",
    "ModelSpec",
    "ModelSpecError",
    "Problem",
    "SparkEngine",
    "assert_hits",
    "compile_model",
    "load_models",
    "parse_model_text",
]
