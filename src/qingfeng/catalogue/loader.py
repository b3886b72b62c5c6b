"""Loads every catalogue YAML shipped in the package; reports all broken files at once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from qingfeng.catalogue.model import DatasetSpec

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogueError(Exception):
    """One or more catalogue files are invalid; the message lists each file and problem."""


def datasets_dir() -> Path:
    return Path(str(resources.files("qingfeng.catalogue") / "datasets"))


def load_catalogue_from(folder: Path) -> dict[str, DatasetSpec]:
    specs: dict[str, DatasetSpec] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            spec = DatasetSpec.model_validate(data)
        except (yaml.YAMLError, ValidationError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if spec.id != path.stem:
            problems.append(f"{path.name}: id {spec.id!r} does not match the file name")
            continue
        specs[spec.id] = spec
    problems += _check_parents(specs)
    if problems:
        raise CatalogueError("invalid catalogue files:\n" + "\n".join(problems))
    return specs


def _check_parents(specs: dict[str, DatasetSpec]) -> list[str]:
    """Parent links resolve: the parent exists and the link is its unique key, required on both
    sides (a row without the key could belong to no parent)."""
    problems: list[str] = []
    for spec in specs.values():
        link = spec.parent
        if link is None:
            continue
        where = f"{spec.id}.yaml: parent {link.dataset!r}"
        parent = specs.get(link.dataset)
        if parent is None or parent.id == spec.id:
            problems.append(f"{where} is not another dataset of the catalogue")
            continue
        if sorted(link.link.values()) != sorted(parent.unique_key):
            problems.append(
                f"{where}: link {sorted(link.link.values())} is not its unique key "
                f"{parent.unique_key}"
            )
            continue
        loose = [f for f in link.link if not spec.field(f).required]
        loose += [f"{parent.id}.{f}" for f in link.link.values() if not parent.field(f).required]
        if loose:
            problems.append(f"{where}: link fields must be required: {loose}")
    return problems


def parent_pairs() -> list[tuple[DatasetSpec, DatasetSpec]]:
    """(parent, child) for every dataset that declares a parent."""
    specs = load_catalogue()
    return [(specs[s.parent.dataset], s) for s in specs.values() if s.parent is not None]


@cache
def load_catalogue() -> dict[str, DatasetSpec]:
    """Every standard dataset, by id (read once per process, on first use)."""
    return load_catalogue_from(datasets_dir())


def dataset_ids() -> list[str]:
    return list(load_catalogue())


def get_dataset(dataset_id: str) -> DatasetSpec:
    try:
        return load_catalogue()[dataset_id]
    except KeyError:
        known = ", ".join(load_catalogue())
        raise CatalogueError(f"unknown dataset {dataset_id!r}; known: {known}") from None
