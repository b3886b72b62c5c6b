"""What the engine needs to know about the data catalogue, behind a small interface.

The catalogue station owns the dataset specs (`qingfeng.dataspec.load_catalogue()`: one YAML per
standard dataset). The engine asks only: which datasets exist, which fields each has, of what
storage type, and of what sensitivity class (`prohibited` fields may not be read by any model).
`Catalogue` is that interface; tests may build one directly. Before the catalogue package is
present, the dataset ids of docs/architecture.md are known, without fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

PROHIBITED = "prohibited"

# docs/architecture.md "Standard datasets": the ids are the contract even before the YAML exists.
ARCHITECTURE_DATASETS = (
    "household_registry",
    "deaths",
    "public_payroll",
    "dibao_households",
    "dibao_members",
    "subsidy_payments",
    "disability_certificates",
    "farm_machinery",
    "vehicles",
    "companies",
    "shareholders",
    "real_estate",
    "tenders",
    "bids",
    "official_receptions",
    "official_car_trips",
    "canteen_purchases",
    "village_ledgers",
    "medical_claims",
    "bank_transactions",
    "complaints",
)


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str | None
    sensitivity: str | None


@dataclass(frozen=True)
class Catalogue:
    """Datasets and their fields; `fields[ds]` is empty when the catalogue does not describe ds.
    `libraries` are the datasets that are subject/relationship library views (built by
    `qingfeng libraries build`, not ingested)."""

    datasets: dict[str, dict[str, FieldInfo]]
    libraries: frozenset[str] = frozenset()

    def has_dataset(self, dataset: str) -> bool:
        return dataset in self.datasets

    def fields(self, dataset: str) -> dict[str, FieldInfo]:
        return self.datasets.get(dataset, {})

    def field_sensitivity(self, dataset: str, field: str) -> str | None:
        info = self.fields(dataset).get(field)
        return info.sensitivity if info else None

    def field_type(self, dataset: str, field: str) -> str | None:
        info = self.fields(dataset).get(field)
        return info.type if info else None


def load_catalogue() -> Catalogue:
    """The installed catalogue's datasets (storage types, sensitivity) and the architecture ids,
    plus the library views (`qingfeng.subject_library.schema`: columns and types; no library column
    is
    of the prohibited class)."""
    datasets: dict[str, dict[str, FieldInfo]] = {ds: {} for ds in ARCHITECTURE_DATASETS}
    try:
        from qingfeng.dataspec import load_catalogue as load_specs
    except ImportError:  # the catalogue station is not installed: ids only
        return Catalogue(datasets=datasets)
    for dataset_id, spec in load_specs().items():
        datasets[dataset_id] = {
            f.name: FieldInfo(name=f.name, type=f.storage_type, sensitivity=f.sensitivity)
            for f in spec.fields
        }
    libraries: set[str] = set()
    try:
        from qingfeng.subject_library.schema import LIBRARY_COLUMNS
    except ImportError:  # the entities station is not installed: no library inputs
        LIBRARY_COLUMNS = {}
    for view, columns in LIBRARY_COLUMNS.items():
        if view in datasets:  # a standard dataset keeps its name
            continue
        datasets[view] = {
            c: FieldInfo(name=c, type=t, sensitivity=None) for c, t in columns.items()
        }
        libraries.add(view)
    return Catalogue(datasets=datasets, libraries=frozenset(libraries))


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue()


def field_sensitivity(dataset: str, field: str) -> str | None:
    """The sensitivity class of a field (`prohibited` fields may not be read by any model)."""
    return default_catalogue().field_sensitivity(dataset, field)
