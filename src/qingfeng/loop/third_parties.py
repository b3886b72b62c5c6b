"""Third parties in a warning: people other than its subject, masked as ID numbers are.

A warning names more people than its subject: the relative who received the subsidy (同户亲属),
the driver, the supplier's shareholder. Which of its values identify a person is read from the
model itself, never from a list of words: each evidence key and each {placeholder} of the
explanation is traced through the model's SQL (sqlglot lineage) to the dataset columns it comes
from, and it is personal when it carries the value of a catalogue field of the `personal` or
`sensitive` class whose type identifies someone (a name, an ID number, a phone, an address or
account text). Counts, sums and codes computed from such a column are not personal values.

`PersonalLayout` is that reading for one model (computed once per model version and kept);
`mask_warning` applies it to one warning: the personal evidence values are masked (names 黄翠 →
黄*, ID numbers 522701********0022) wherever they appear, in the evidence and in the sentence.
The warning's subject keeps the handling of the page that shows it.
"""

from __future__ import annotations

import re
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.lineage import Node, lineage

from qingfeng.masking import mask_id, mask_name, mask_phone, mask_text

NULL_TEXT = "（空）"  # how the engine writes a missing value into a sentence

# Catalogue classes whose values are a person's (the `prohibited` class never reaches a model).
PERSONAL_CLASSES = frozenset({"personal", "sensitive"})
# Field types whose values identify someone. Enumerations, dates, amounts and codes of a region
# describe a person without naming them (a relation "parent", a birth date) and stay readable.
IDENTIFYING_TYPES = {"name": "name", "id_no": "id", "phone": "phone", "text": "text", "code": "id"}
# Expressions that pass a column's value on unchanged (the value of a personal column is still
# personal after MIN(), a CAST or a COALESCE); anything else computes a new value.
_PASS_THROUGH = (
    exp.Column,
    exp.Alias,
    exp.Cast,
    exp.TryCast,
    exp.Min,
    exp.Max,
    exp.AnyValue,
    exp.First,
    exp.Last,
    exp.Coalesce,
    exp.Paren,
    exp.Trim,
    exp.GroupConcat,
    exp.ArrayAgg,
    exp.Distinct,
)


@dataclass(frozen=True)
class PersonalLayout:
    """Which evidence keys and sentence placeholders of one model hold a person's value, and
    of which kind (name | id | phone | text)."""

    evidence: dict[str, str] = field(default_factory=dict)
    # The explanation template split into literal text and placeholders (for reading values
    # back out of a sentence): literals[i] precedes placeholders[i].
    literals: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()
    sentence: dict[str, str] = field(default_factory=dict)  # placeholder → kind

    @property
    def empty(self) -> bool:
        return not self.evidence and not self.sentence


def _catalogue_fields() -> dict[str, dict[str, tuple[str, str]]]:
    """dataset → field → (sensitivity, type), from the installed catalogue."""
    from qingfeng.dataspec import load_catalogue

    return {
        ds: {f.name: (f.sensitivity, f.type) for f in spec.fields}
        for ds, spec in load_catalogue().items()
    }


def _library_columns() -> dict[str, dict[str, str]]:
    try:
        from qingfeng.subject_library.schema import LIBRARY_COLUMNS
    except ImportError:  # pragma: no cover - the entities station is part of the package
        return {}
    return LIBRARY_COLUMNS


def _kind(fields: dict[str, dict[str, tuple[str, str]]], dataset: str, column: str) -> str | None:
    """The kind of personal value `dataset.column` holds, None when it holds none.

    A library view (people, close_relatives, ...) is built from the standard datasets and has no
    classes of its own: its column counts as personal when a standard field of the same name is.
    """
    if dataset in fields:
        found = fields[dataset].get(column)
        candidates = [found] if found else []
    else:
        candidates = [f[column] for f in fields.values() if column in f]
    for sensitivity, ftype in candidates:
        if sensitivity in PERSONAL_CLASSES and ftype in IDENTIFYING_TYPES:
            return IDENTIFYING_TYPES[ftype]
    return None


def _passes_value(expression: exp.Expr) -> bool:
    """Whether a projection hands on the value of its column(s) unchanged."""
    node = expression.this if isinstance(expression, exp.Alias) else expression
    return all(isinstance(n, (*_PASS_THROUGH, exp.Identifier, exp.DataType)) for n in node.walk())


def _source_kind(node: Node, fields: dict[str, dict[str, tuple[str, str]]]) -> str | None:
    """Follow a lineage node down to the dataset columns; the kind of personal value it passes
    through unchanged, None when every path computes something else."""
    if isinstance(node.expression, exp.Table):
        dataset = node.expression.name
        column = node.name.split(".")[-1]
        return _kind(fields, dataset, column)
    if not node.downstream:
        return None
    if not _passes_value(node.expression):
        return None
    for child in node.downstream:
        kind = _source_kind(child, fields)
        if kind:
            return kind
    return None


def _schema(inputs: list[str], fields: dict[str, dict[str, tuple[str, str]]]) -> dict[str, Any]:
    from qingfeng.dataspec.model import STORAGE_TYPES

    schema: dict[str, Any] = {}
    libraries = _library_columns()
    for dataset in inputs:
        if dataset in fields:
            schema[dataset] = {name: STORAGE_TYPES[t] for name, (_, t) in fields[dataset].items()}
        elif dataset in libraries:
            schema[dataset] = dict(libraries[dataset])
    return schema


def split_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """'审批人{a}为{b}审批' → (('审批人', '为', '审批'), ('a', 'b'))."""
    literals: list[str] = []
    names: list[str] = []
    pending = ""
    for text, name, _spec, _conv in string.Formatter().parse(template):
        pending += text
        if name is not None:
            literals.append(pending)
            names.append(name)
            pending = ""
    literals.append(pending)
    return tuple(literals), tuple(names)


def layout_of(
    spec: Any, fields: dict[str, dict[str, tuple[str, str]]] | None = None
) -> PersonalLayout:
    """Read one model spec (qingfeng.engine.spec.ModelSpec, compiled by the loader)."""
    from qingfeng.engine.compiler import SOURCE_DIALECT

    fields = fields if fields is not None else _catalogue_fields()
    compiled = getattr(spec, "_compiled", None)
    literals, names = split_template(spec.explanation)
    if compiled is None:
        return PersonalLayout(literals=literals, placeholders=names)
    source = compiled.tree.args.get("from_") or compiled.tree.args.get("from")
    inner = source.this if source is not None else None
    logic = inner.this if isinstance(inner, exp.Subquery) else None
    if logic is None:
        return PersonalLayout(literals=literals, placeholders=names)
    schema = _schema(list(spec.inputs), fields)
    columns = set(compiled.logic_columns)
    kinds: dict[str, str] = {}
    subject_name = spec.subject.name
    for column in sorted(set(spec.evidence) | (set(names) & columns)):
        if column not in columns or column == subject_name:
            continue  # the subject's own name follows the subject's handling
        try:
            node = lineage(column, logic, schema=schema, dialect=SOURCE_DIALECT)
        except Exception:  # sqlglot cannot trace it: the text masks below still apply
            continue
        kind = _source_kind(node, fields)
        if kind:
            kinds[column] = kind
    return PersonalLayout(
        evidence={k: v for k, v in kinds.items() if k in spec.evidence},
        literals=literals,
        placeholders=names,
        sentence={n: kinds[n] for n in names if n in kinds},
    )


class Layouts:
    """Personal layouts of a workspace's models, read on first use and kept per model version.

    Thread-safe: the web app shares one instance between requests."""

    def __init__(self, models_dir: Path | None) -> None:
        self._models_dir = models_dir
        self._models: dict[str, Any] | None = None
        self._layouts: dict[tuple[str, str], PersonalLayout] = {}
        self._fields: dict[str, dict[str, tuple[str, str]]] | None = None
        self._lock = threading.Lock()

    def _specs(self) -> dict[str, Any]:
        if self._models is None:
            try:
                from qingfeng.engine.loader import load_models

                self._models = dict(load_models(self._models_dir).models)
            except Exception:  # a broken model folder must not hide the warnings
                self._models = {}
        return self._models

    def get(self, model_id: str, version: str | None = None) -> PersonalLayout:
        with self._lock:
            spec = self._specs().get(model_id)
            if spec is None:
                return PersonalLayout()
            key = (model_id, spec.version)
            if key not in self._layouts:
                if self._fields is None:
                    self._fields = _catalogue_fields()
                self._layouts[key] = layout_of(spec, self._fields)
            return self._layouts[key]


# --- masking -------------------------------------------------------------------------------


def mask_person_name(value: str) -> str:
    """黄翠 → 黄*, 欧阳小明 → 欧**明 (the product's one rule, `qingfeng.masking`)."""
    return mask_name(value) or ""


def mask_person_id(value: str) -> str:
    """522701194501010022 → 5227**********0022 (the product's one rule, `qingfeng.masking`)."""
    return mask_id(value) or ""


def mask_value(value: str, kind: str) -> str:
    if kind == "name":
        return mask_person_name(value)
    if kind == "phone":
        return mask_phone(value) or ""
    if kind == "text":
        return value[:2] + "*" * max(len(value) - 2, 1)
    return mask_person_id(value)


def _values_of(
    evidence: Any, layout: PersonalLayout, found: dict[str, tuple[str, str]], key: str = ""
) -> None:
    """Collect {value: (masked, kind)} of every personal evidence value, also inside additional
    rows."""
    if isinstance(evidence, dict):
        for k, v in evidence.items():
            _values_of(v, layout, found, str(k))
    elif isinstance(evidence, list):
        for v in evidence:
            _values_of(v, layout, found, key)
    elif isinstance(evidence, str) and key in layout.evidence and evidence.strip():
        kind = layout.evidence[key]
        for part in _parts(evidence):
            found.setdefault(part, (mask_value(part, kind), kind))


def _mask_parts(value: str, kind: str, keep: frozenset[str]) -> str:
    """Each name of an aggregated list masked in place (keeping its separators)."""
    pieces = re.split(r"([,，、;；]\s*)", value)
    return "".join(
        p if i % 2 or not p.strip() or p.strip() in keep else mask_value(p.strip(), kind)
        for i, p in enumerate(pieces)
    )


def _parts(value: str) -> list[str]:
    """A list aggregated into one text ('黄翠, 黄强') is masked name by name."""
    pieces = [p.strip() for p in re.split(r"[,，、;；]", value)]
    return [p for p in pieces if p] or [value]


def sentence_values(sentence: str, layout: PersonalLayout) -> list[str]:
    """The value of each placeholder of a sentence, in order, read back with the template's
    literal text (empty when the sentence does not follow the template, e.g. a model changed)."""
    if not layout.placeholders:
        return []
    pattern = "".join(
        re.escape(lit) + ("(.*?)" if i < len(layout.placeholders) else "")
        for i, lit in enumerate(layout.literals)
    )
    match = re.fullmatch(pattern, sentence, flags=re.DOTALL)
    return list(match.groups()) if match else []


# Shorter values are not searched for in other text: a one-character name or a two-character
# code would mask unrelated characters and digits. They are masked where they stand.
MIN_SEARCHED = {"name": 2, "id": 4, "phone": 7, "text": 4}


def _replace_all(text: str, replacements: dict[str, str]) -> str:
    # Longest first: a name that contains another (黄翠花 / 黄翠) is replaced whole.
    for value in sorted(replacements, key=len, reverse=True):
        text = text.replace(value, replacements[value])
    return text


def _mask_tree(
    value: Any,
    layout: PersonalLayout,
    replacements: dict[str, str],
    keep: frozenset[str],
    key: str = "",
) -> Any:
    if isinstance(value, dict):
        return {k: _mask_tree(v, layout, replacements, keep, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_tree(v, layout, replacements, keep, key) for v in value]
    if isinstance(value, str):
        if key in layout.evidence:
            return mask_text(_mask_parts(value, layout.evidence[key], keep))
        return mask_text(_replace_all(value, replacements))
    return value


def _mask_sentence(
    sentence: str, layout: PersonalLayout, replacements: dict[str, str], keep: frozenset[str]
) -> str:
    """Personal placeholders masked where they stand, then known personal values elsewhere."""
    values = sentence_values(sentence, layout)
    if values:
        parts = [layout.literals[0]]
        for i, (name, value) in enumerate(zip(layout.placeholders, values, strict=True)):
            kind = layout.sentence.get(name)
            if kind and value and value != NULL_TEXT:
                value = _mask_parts(value, kind, keep)
            parts += [value, layout.literals[i + 1]]
        sentence = "".join(parts)
    return mask_text(_replace_all(sentence, replacements))


@dataclass(frozen=True)
class Masked:
    explanation: str
    evidence: Any
    third_parties: int  # distinct personal values masked


def mask_warning(
    explanation: str,
    evidence: Any,
    layout: PersonalLayout,
    *,
    keep: tuple[str | None, ...] = (),
) -> Masked:
    """The explanation and evidence with every third party's value masked (and ID-like and
    phone-like numbers masked as everywhere). `keep`: values left as they are (the subject's
    own name and id, for a reader allowed to see them)."""
    kept = frozenset(k for k in keep if k)
    found: dict[str, tuple[str, str]] = {}  # value → (masked, kind)
    _values_of(evidence, layout, found)
    values = sentence_values(explanation, layout)  # [] when the sentence does not match
    for name, value in zip(layout.placeholders[: len(values)], values, strict=True):
        kind = layout.sentence.get(name)
        if kind and value and value != NULL_TEXT:
            for part in _parts(value):
                found.setdefault(part, (mask_value(part, kind), kind))
    for value in kept:
        found.pop(value, None)
    searched = {v: m for v, (m, k) in found.items() if len(v) >= MIN_SEARCHED.get(k, 4)}
    return Masked(
        explanation=_mask_sentence(explanation, layout, searched, kept),
        evidence=_mask_tree(evidence, layout, searched, kept),
        third_parties=len(found),
    )
