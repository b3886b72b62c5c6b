"""Loads every catalogue YAML shipped in the package; reports all broken files at once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from qingfeng.dataspec.model import (
    BooleanWords,
    CodeTable,
    DatasetSpec,
    FieldSpec,
    Vocabulary,
    fold_value,
)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogueError(Exception):
    """One or more catalogue files are invalid; the message lists each file and problem."""


def datasets_dir() -> Path:
    return Path(str(resources.files("qingfeng.dataspec") / "datasets"))


def vocabularies_dir() -> Path:
    return Path(str(resources.files("qingfeng.dataspec") / "vocabularies"))


AnyVocabulary = CodeTable | Vocabulary | BooleanWords
_KINDS: dict[str, type[CodeTable] | type[Vocabulary] | type[BooleanWords]] = {
    "code_table": CodeTable,
    "vocabulary": Vocabulary,
    "boolean": BooleanWords,
}


def load_vocabularies_from(folder: Path) -> dict[str, AnyVocabulary]:
    """Every code table and vocabulary in `folder`, by id; all broken files reported at once."""
    found: dict[str, AnyVocabulary] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            kind = _KINDS.get(str((data or {}).get("kind")))
            if kind is None:
                raise ValueError(f"kind must be one of {sorted(_KINDS)}")
            found[path.stem] = kind.model_validate(data)
        except (yaml.YAMLError, ValidationError, ValueError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if found[path.stem].id != path.stem:
            problems.append(f"{path.name}: id does not match the file name")
    if problems:
        raise CatalogueError("invalid vocabulary files:\n" + "\n".join(problems))
    return found


@cache
def load_vocabularies() -> dict[str, AnyVocabulary]:
    """Every shipped code table and vocabulary, by id (read once per process)."""
    return load_vocabularies_from(vocabularies_dir())


def boolean_words() -> BooleanWords:
    words = load_vocabularies().get("boolean")
    if not isinstance(words, BooleanWords):
        raise CatalogueError("dataspec/vocabularies/boolean.yaml is missing")
    return words


def code_table(table_id: str) -> CodeTable:
    table = load_vocabularies().get(table_id)
    if not isinstance(table, CodeTable):
        raise CatalogueError(f"unknown code table {table_id!r}")
    return table


def vocabulary(vocab_id: str) -> Vocabulary:
    vocab = load_vocabularies().get(vocab_id)
    if not isinstance(vocab, Vocabulary):
        raise CatalogueError(f"unknown vocabulary {vocab_id!r}")
    return vocab


def enum_code_values(field: FieldSpec, table: CodeTable) -> dict[str, str | None]:
    """code -> the field's canonical value its label names (None: no value names it).

    A code's label is looked up among the field's spellings (folded as values are), so the
    catalogue's data alone links a national code to a canonical value.
    """
    spelled: dict[str, str] = {}
    for canon, spellings in (field.values or {}).items():
        for sp in [canon, *spellings]:
            spelled.setdefault(fold_value(sp), canon)
    return {code: spelled.get(fold_value(label)) for code, label in table.codes.items()}


def _field_problems(spec: DatasetSpec, vocabs: dict[str, AnyVocabulary]) -> list[str]:
    problems: list[str] = []
    for f in spec.fields:
        where = f"{spec.id}.{f.name}"
        if f.vocabulary is not None and not isinstance(vocabs.get(f.vocabulary), Vocabulary):
            problems.append(f"{where}: unknown vocabulary {f.vocabulary!r}")
        if f.codes is None:
            continue
        table = vocabs.get(f.codes)
        if not isinstance(table, CodeTable):
            problems.append(f"{where}: unknown code table {f.codes!r}")
            continue
        linked = enum_code_values(f, table)
        spelled = {fold_value(sp): c for c, sps in (f.values or {}).items() for sp in [c, *sps]}
        for code, value in linked.items():
            if value is None and f.fallback is None:
                problems.append(
                    f"{where}: code {code!r} ({table.codes[code]}) of {table.id} names no value"
                )
            clash = spelled.get(fold_value(code))
            if clash is not None and value is not None and clash != value:
                problems.append(
                    f"{where}: code {code!r} of {table.id} means {value!r} but is spelled {clash!r}"
                )
    return problems


def load_catalogue_from(
    folder: Path, vocabularies: dict[str, AnyVocabulary] | None = None
) -> dict[str, DatasetSpec]:
    vocabs = load_vocabularies() if vocabularies is None else vocabularies
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
        problems += [f"{path.name}: {p}" for p in _field_problems(spec, vocabs)]
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
