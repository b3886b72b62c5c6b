"""Engines run compiled models: DuckDB (embedded, the default) and Spark (optional extra)."""

from __future__ import annotations

from qingfeng.engine.engines.base import Columns, Engine, column_types_for
from qingfeng.engine.engines.duckdb_engine import DuckDBEngine

__all__ = ["Columns", "DuckDBEngine", "Engine", "column_types_for"]
