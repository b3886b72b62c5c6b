"""Header → field mapping: recognise the dataset, propose the mapping, save and re-use it as YAML.

A mapping is stored in `<workspace>/sources/mappings/<dataset>-<hash>.yaml`. It applies to every
file with the same set of headers, so next month's export re-uses it; a person may edit it.
Recognition is by exact header synonyms only (after removing spaces, full-width forms and unit
suffixes), weighted by how specific each header is: a file whose headers do not identify one
dataset is reported, never guessed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qingfeng.catalogue import DatasetSpec, header_unit, load_catalogue, normalise_header
from qingfeng.ingest.errors import IngestError


@dataclass
class Mapping:
    """How one source's headers map onto one dataset's fields."""

    dataset: str
    headers: list[str]
    columns: dict[str, str | None]  # header -> field (None: ignored)
    constants: dict[str, str] = field(default_factory=dict)  # field -> raw value for every row
    units: dict[str, str] = field(default_factory=dict)  # header -> "yuan" | "wan"
    confirmed: bool = False
    path: Path | None = None
    # The same file also carries this dataset: the parent whose columns repeat on every row
    # (a roster's household, a bid-opening record's tender), de-duplicated into it. Same headers.
    split: Mapping | None = None

    @property
    def signature(self) -> str:
        return header_signature(self.headers)

    def field_columns(self) -> dict[str, str]:
        """field -> header, for mapped fields."""
        return {f: h for h, f in self.columns.items() if f}

    def to_yaml(self) -> str:
        body: dict[str, Any] = {
            "dataset": self.dataset,
            "confirmed": self.confirmed,
            "headers": self.headers,
            "columns": self.columns,
        }
        if self.constants:
            body["constants"] = self.constants
        if self.units:
            body["units"] = self.units
        if self.split is not None:
            part: dict[str, Any] = {"dataset": self.split.dataset, "columns": self.split.columns}
            if self.split.constants:
                part["constants"] = self.split.constants
            if self.split.units:
                part["units"] = self.split.units
            body["split"] = part
        head = (
            "# 清风 qingfeng 数据源映射 / source mapping.\n"
            "# 可编辑：columns 把原表头映射到标准字段（null 表示忽略），constants 为整列常量，\n"
            "# units 为金额单位（yuan 元 / wan "
            "万元）。confirmed: true 后 `qingfeng ingest` 直接使用。\n"
            "# Editable: columns maps each header "
            "to a field (null = ignore); constants fill a field\n"
            "# for every row; units gives money units. With confirmed: true ingest uses it as is.\n"
        )
        if self.split is not None:
            head += (
                "# split: 同一文件每行重复的上级数据集列，去重后另入该数据集 / the parent dataset\n"
                "# whose columns repeat on every row, de-duplicated into it (same headers).\n"
            )
        return head + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


def header_signature(headers: list[str]) -> str:
    keys = sorted(normalise_header(h) for h in headers)
    return hashlib.sha1("\x1f".join(keys).encode("utf-8")).hexdigest()[:10]


def _synonym_index(spec: DatasetSpec) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in spec.fields:
        for h in f.header_names:
            index[normalise_header(h)] = f.name
    return index


@dataclass
class Proposal:
    mapping: Mapping | None
    reason: str  # why nothing was proposed, or a summary of what was
    # When the headers fit several datasets equally: those datasets, the most complete first. The
    # CLI then asks for --dataset; the upload page asks the person to choose.
    rivals: tuple[str, ...] = ()


def _constant_for(spec: DatasetSpec, field_name: str, clues: list[str]) -> str | None:
    """An enum value named unambiguously by the file name, else by the headers (火化→cremation)."""
    f = spec.field(field_name)
    if f.type != "enum" or not f.values:
        return None
    for clue in clues:
        hits = {
            canon
            for canon, spellings in f.values.items()
            for sp in spellings
            if len(sp) >= 2 and sp in clue
        }
        if hits:
            return hits.pop() if len(hits) == 1 else None
    return None


_CODE = re.compile(r"^\s*[1-9][0-9]{5}([0-9]{3}([0-9]{3})?)?\s*$")


def _looks_like_codes(values: list[str]) -> bool:
    return bool(values) and sum(bool(_CODE.match(v)) for v in values) >= 0.9 * len(values)


def map_headers(
    spec: DatasetSpec,
    headers: list[str],
    clues: list[str],
    samples: dict[str, list[str]] | None = None,
) -> Mapping:
    index = _synonym_index(spec)
    columns: dict[str, str | None] = {}
    units: dict[str, str] = {}
    taken: set[str] = set()
    samples = samples or {}
    for h in headers:
        fname = index.get(normalise_header(h))
        variant = spec.field(fname).code_variant if fname else None
        if variant and variant not in taken and _looks_like_codes(samples.get(h, [])):
            fname = variant  # e.g. 所属村（社区） holding division codes rather than names
        if fname and fname not in taken:
            columns[h] = fname
            taken.add(fname)
            if spec.field(fname).type == "amount":
                unit = header_unit(h)
                if unit:
                    units[h] = unit
        else:
            columns[h] = None
    constants: dict[str, str] = {}
    for f in spec.fields:
        if f.required and f.name not in taken:
            value = _constant_for(spec, f.name, clues)
            if value:
                constants[f.name] = value
    return Mapping(
        dataset=spec.id, headers=list(headers), columns=columns, constants=constants, units=units
    )


def missing_required(spec: DatasetSpec, mapping: Mapping) -> list[str]:
    have = set(mapping.field_columns()) | set(mapping.constants)
    missing = [f.name for f in spec.fields if f.required and f.name not in have]
    for group in spec.require_one_of:
        if not have.intersection(group):
            missing.append(" | ".join(group))
    return missing


def header_weights(headers: list[str], specs: dict[str, DatasetSpec]) -> dict[str, float]:
    """How much each header says about the dataset: 1 / the number of datasets that know it.

    身份证号 or 姓名 appear in most datasets and say little; 结算单号 or 统筹支付 name one dataset.
    Headers no dataset knows weigh nothing.
    """
    known: dict[str, int] = {}
    for spec in specs.values():
        for key in set(_synonym_index(spec)):
            known[key] = known.get(key, 0) + 1
    weights: dict[str, float] = {}
    for h in headers:
        n = known.get(normalise_header(h), 0)
        weights[h] = 1.0 / n if n else 0.0
    return weights


@dataclass(frozen=True)
class _Candidate:
    evidence: float  # sum of the weights of the headers this dataset maps
    mapped: int
    mapping: Mapping
    missing: list[str]

    @property
    def rank(self) -> tuple[float, int]:
        return (round(self.evidence, 9), self.mapped)


def propose(
    headers: list[str],
    source_name: str,
    dataset: str | None = None,
    samples: dict[str, list[str]] | None = None,
) -> Proposal:
    """Recognise the dataset from the headers (or use `dataset`) and propose a mapping.

    Each dataset is scored by the evidence of the headers it maps, each header weighted by how
    few datasets know it, so that a medical-claims file whose 身份证号 and 姓名 also fit the
    payroll is read as medical claims. The best-scoring dataset must also have every required
    field; when the best one lacks some, the file is reported rather than handed to a weaker
    dataset that happens to be complete, and a score shared with another dataset is reported as
    ambiguous.
    """
    specs = load_catalogue()
    clues = [source_name, " ".join(headers)]
    weights = header_weights(headers, specs)
    candidates = [specs[dataset]] if dataset else list(specs.values())
    found: list[_Candidate] = []
    for spec in candidates:
        m = map_headers(spec, headers, clues, samples)
        mapped = m.field_columns()
        if not mapped:
            continue
        evidence = sum(weights[h] for h in mapped.values())
        found.append(_Candidate(evidence, len(mapped), m, missing_required(spec, m)))
    found.sort(key=lambda c: c.rank, reverse=True)
    complete = [c for c in found if not c.missing]
    if dataset and not complete:
        m = map_headers(specs[dataset], headers, clues)
        need = ", ".join(missing_required(specs[dataset], m))
        return Proposal(
            None, f"表头缺少必填字段 / headers lack required fields for {dataset}: {need}"
        )
    if not complete:
        return Proposal(
            None,
            "无法识别数据集：表头与任何标准数据集都不匹配，已跳过 "
            "/ unrecognised: the headers match "
            "no standard dataset; skipped (use --dataset ID or write a mapping)",
        )
    best = complete[0]
    closest = found[0]
    if closest.missing and closest.rank > best.rank:
        need = ", ".join(closest.missing)
        ds = closest.mapping.dataset
        return Proposal(
            None,
            f"表头最像 {ds}，但缺少必填字段 {need}，已跳过 / the headers look like {ds} but "
            f"lack its required fields: {need}; skipped (use --dataset ID or write a mapping)",
        )
    # A tie with any other dataset, complete or not (a list of 身份证号 and 姓名 fits many), means
    # the headers do not say which dataset this is.
    rivals = [c for c in found if c is not best and c.rank == best.rank]
    if rivals:
        a, b = best.mapping.dataset, rivals[0].mapping.dataset
        return Proposal(
            None,
            f"表头同时符合 {a} 和 {b}，无法确定，已跳过 / ambiguous between {a} and {b}; "
            "use --dataset",
            (a, *(c.mapping.dataset for c in rivals)),
        )
    m = best.mapping
    return Proposal(m, f"{m.dataset}: {len(m.field_columns())} fields mapped")


# --------------------------------------------------------------------------- storage
def load_mapping(path: Path) -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IngestError(path.name, f"映射文件无法读取 / cannot read mapping: {exc}") from None
    specs = load_catalogue()
    if not isinstance(data, dict) or data.get("dataset") not in specs:
        raise IngestError(path.name, "映射文件缺少有效的 dataset / mapping has no valid dataset")
    spec = specs[data["dataset"]]
    columns = data.get("columns") or {}
    mapping = _parse_part(path, spec, data, "")
    mapping.headers = [str(h) for h in data.get("headers") or list(columns)]
    mapping.confirmed = bool(data.get("confirmed"))
    mapping.path = path
    part = data.get("split")
    if part is not None:
        parent = spec.parent.dataset if spec.parent else None
        if parent is None or not isinstance(part, dict) or part.get("dataset") != parent:
            got = part.get("dataset") if isinstance(part, dict) else part
            raise IngestError(
                path.name,
                f"映射的 split.dataset 无效 / split.dataset {got!r} is not the parent of "
                f"{spec.id} in the catalogue"
                + (f" (expected {parent!r})" if parent else f" ({spec.id} has no parent)"),
            )
        mapping.split = _parse_part(path, specs[parent], part, "split.")
        mapping.split.headers = list(mapping.headers)
    return mapping


def _parse_part(path: Path, spec: DatasetSpec, data: dict[str, Any], where: str) -> Mapping:
    """columns/constants/units of one dataset's part of a mapping file; every bad entry named."""
    parts = {k: data.get(k) or {} for k in ("columns", "constants", "units")}
    wrong = [f"{where}{k}" for k, v in parts.items() if not isinstance(v, dict)]
    if wrong:
        raise IngestError(
            path.name, f"映射项应为键值表 / mapping entries must be key: value maps: {wrong}"
        )
    columns, constants, units = parts["columns"], parts["constants"], parts["units"]
    fields = {f.name for f in spec.fields}
    bad = [f"{where}columns: {h} → {f}" for h, f in columns.items() if f and f not in fields]
    bad += [f"{where}constants.{f}" for f in constants if f not in fields]
    bad += [f"{where}units.{h}={u}" for h, u in units.items() if u not in ("yuan", "wan")]
    if bad:
        raise IngestError(
            path.name, f"映射引用了未知字段 / mapping names unknown fields: {', '.join(bad)}"
        )
    return Mapping(
        dataset=spec.id,
        headers=[str(h) for h in columns],
        columns={str(h): (str(f) if f else None) for h, f in columns.items()},
        constants={str(k): str(v) for k, v in constants.items()},
        units={str(k): str(v) for k, v in units.items()},
    )


def find_mappings(folder: Path, headers: list[str], dataset: str | None = None) -> list[Mapping]:
    """Every saved mapping for exactly this set of headers, the one to use first (confirmed,
    then the newest)."""
    if not folder.exists():
        return []
    sig = header_signature(headers)
    found: list[Mapping] = []
    for path in sorted(folder.glob("*.yaml")):
        m = load_mapping(path)
        carried = {m.dataset, m.split.dataset if m.split else m.dataset}
        if m.signature == sig and (dataset is None or dataset in carried):
            found.append(m)
    found.sort(key=lambda m: (m.confirmed, m.path.stat().st_mtime if m.path else 0), reverse=True)
    return found


def find_mapping(folder: Path, headers: list[str], dataset: str | None = None) -> Mapping | None:
    """A saved mapping for exactly this set of headers (confirmed ones first)."""
    found = find_mappings(folder, headers, dataset)
    return found[0] if found else None


def save_mapping(folder: Path, mapping: Mapping) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = mapping.path or folder / f"{mapping.dataset}-{mapping.signature}.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(mapping.to_yaml(), encoding="utf-8")
    tmp.replace(path)
    mapping.path = path
    return path
