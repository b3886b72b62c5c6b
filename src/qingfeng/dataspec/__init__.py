"""The data specification: one YAML file per standard dataset, loaded into typed specs.

Public surface: `load_catalogue()`, `get_dataset(id)`, `DatasetSpec`, `FieldSpec`.
"""

from __future__ import annotations

from qingfeng.dataspec.loader import (
    CatalogueError,
    dataset_ids,
    get_dataset,
    load_catalogue,
    parent_pairs,
)
from qingfeng.dataspec.model import (
    DatasetSpec,
    FieldSpec,
    ParentLink,
    header_measure,
    header_unit,
    normalise_header,
)

__all__ = [
    "CatalogueError",
    "DatasetSpec",
    "FieldSpec",
    "ParentLink",
    "dataset_ids",
    "get_dataset",
    "header_measure",
    "header_unit",
    "load_catalogue",
    "normalise_header",
    "parent_pairs",
]
