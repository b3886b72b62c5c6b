"""The Parquet lake: published batches and a DuckDB connection over them.

Public surface:
- `connect(settings)` -> DuckDB connection with one view per standard dataset (named by its id),
  one view per other published dataset (e.g. libraries written by `entities`), plus `quarantine`
  and `duplicates`. Only published batches are visible.
- `Lake(settings.lake_dir)` to list, publish and roll back batches.
"""

from __future__ import annotations

from qingfeng.lake.store import Batch, Lake, LakeError, new_batch_id
from qingfeng.lake.views import connect, connect_with_files, create_views

__all__ = [
    "Batch",
    "Lake",
    "LakeError",
    "connect",
    "connect_with_files",
    "create_views",
    "new_batch_id",
]
