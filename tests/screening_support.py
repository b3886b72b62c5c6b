"""Shared helpers of the screening tests: a lake built from rows, valid ID numbers."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from qingfeng.engine import DuckDBEngine
from qingfeng.engine.dataspec_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.lake import Batch, Lake, new_batch_id
from qingfeng.lake.store import now_iso

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dXx]$")


def valid_id(body: str) -> str:
    """An 18-character ID number with its check character right (GB 11643)."""
    body = body[:17]
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def fix_ids(value: Any) -> Any:
    """Every ID-number-looking string in a structure with a valid check character."""
    if isinstance(value, str) and ID_RE.match(value):
        return valid_id(value)
    if isinstance(value, dict):
        return {k: fix_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fix_ids(v) for v in value]
    return value


def publish(lake_dir: Path, dataset: str, rows: list[dict[str, Any]]) -> None:
    """Write rows as one Parquet batch and publish it through the lake's own API."""
    lake = Lake(lake_dir)
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    batch_id = new_batch_id(digest)
    staging = lake.staging_dir(batch_id)
    engine = DuckDBEngine()
    engine.register_rows(dataset, column_types_for(dataset, rows, default_catalogue()), rows)
    engine.con.execute(f"COPY {dataset} TO '{staging / 'part-0.parquet'}' (FORMAT parquet)")
    engine.close()
    rel = f"{dataset}/batch={batch_id}"
    lake.publish(
        Batch(
            batch_id=batch_id,
            dataset=dataset,
            source=f"test-{dataset}.csv",
            sha256=digest,
            created_at=now_iso(),
            files=[f"{rel}/part-0.parquet"],
            counts={"rows": len(rows)},
        ),
        {rel: staging},
    )
