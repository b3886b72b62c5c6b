"""Header → field mapping: recognise the dataset, propose the mapping, save and re-use it as YAML.

A mapping is stored in `<workspace>/sources/mappings/<dataset>-<hash>.yaml`. It applies to every
file with the same set of headers, so next month's export re-uses it; a person may edit it.
Recognition weighs evidence from the values and the headers (qingfeng.ingest.recognise): what
the sampled values are decides a column's type, what its header says decides its role. A file the
evidence does not clearly place is reported with a draft of its mapping, never guessed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qingfeng.dataspec import DatasetSpec, header_unit, load_catalogue, normalise_header
from qingfeng.dataspec.model import FieldSpec, fold_value
from qingfeng.ingest.enum_evidence import shared_wording, spelling_sets
from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.header_match import initials
from qingfeng.ingest.profile import ColumnProfile, Sample, profile_samples
from qingfeng.ingest.recognise import (
    MARGIN,
    REQUIRED_MIN,
    TIE,
    FieldEvidence,
    Fit,
    fit_dataset,
    rank_datasets,
)


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


@dataclass(frozen=True)
class Candidate:
    """A dataset the table might be, with how well the evidence fills it."""

    dataset: str
    score: float
    complete: bool  # every required field filled well enough
    missing: tuple[str, ...] = ()


@dataclass
class Proposal:
    mapping: Mapping | None
    reason: str  # why nothing was proposed, or a summary of what was
    # When the headers fit several datasets equally: those datasets, the most complete first. The
    # CLI then asks for --dataset; the upload page asks the person to choose.
    rivals: tuple[str, ...] = ()
    # The datasets the evidence fits, best first (at most five), with their scores.
    candidates: tuple[Candidate, ...] = ()
    # header -> why it was put on its field (for `mapping`, else for `draft`).
    evidence: dict[str, FieldEvidence] = field(default_factory=dict)
    # `mapping` may be accepted without a person: see `confident_fit`. `doubts` says why not.
    confident: bool = False
    doubts: tuple[str, ...] = ()
    # The best mapping the evidence allows even when it is incomplete or ambiguous: a draft for a
    # person to finish (the upload form, the draft mapping file).
    draft: Mapping | None = None
    # Required field -> headers that might fill it (best first), for each gap of the draft.
    gaps: dict[str, list[str]] = field(default_factory=dict)
    # False when no dataset has even one required field in the table (the draft is then only a
    # starting point for a person who picks the dataset).
    recognised: bool = True
    # Other datasets that the columns `mapping` leaves unused fill on their own (a member roster
    # repeating its household's columns): the table may carry several datasets.
    also: tuple[str, ...] = ()

    def comments(self) -> list[str]:
        """The evidence, gaps and doubts as lines for a person (YAML comments of a draft)."""
        lines = []
        if self.candidates:
            lines.append(
                "候选数据集 / candidate datasets: "
                + ", ".join(
                    f"{c.dataset} {c.score:.2f}" + ("" if c.complete else " (incomplete)")
                    for c in self.candidates
                )
            )
        for d in self.doubts:
            lines.append(f"存疑 / doubt: {d}")
        for f, hs in self.gaps.items():
            might = "、".join(hs) if hs else "无 / none"
            lines.append(f"缺少必填字段 / missing required field {f}; 可能的列 / might be: {might}")
        for h, e in self.evidence.items():
            lines.append(f"{h} → {e.field}: {e.describe()}")
        return lines


def _constant_for(spec: DatasetSpec, field_name: str, clues: list[str]) -> str | None:
    """An enum value named unambiguously by the file name, else by the headers (火化→cremation)."""
    f = spec.field(field_name)
    if f.type != "enum" or not f.values:
        return None
    for i, clue in enumerate(clues):
        hits = {
            canon
            for canon, spellings in f.values.items()
            for sp in spellings
            if len(sp) >= 2 and sp in clue
        }
        if not hits and i == 0:
            # A database export's name is often the pinyin initials of its words (T_MZ_HHJL:
            # 火化记录): a word of the file name that spells a value's initials names it.
            words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", Path(clue).stem)}
            hits = {
                canon
                for canon, spellings in f.values.items()
                for sp in spellings
                if len(sp) >= 2
                and all("\u4e00" <= c <= "\u9fff" for c in sp)
                and initials(sp).lower() in words
            }
        if not hits:
            # A clue that abbreviates a spelling (死亡证明 for 死亡医学证明).
            hits = {
                canon
                for canon, spellings in f.values.items()
                for sp in spellings
                if _abbreviated_in(sp, clue)
            }
        if hits:
            return hits.pop() if len(hits) == 1 else None
    return _shared_constant(f, clues)


def _shared_constant(f: FieldSpec, clues: list[str]) -> str | None:
    """The one value whose spelling a word of the file name or a header shares a good part
    of (出具医学证明单位 ~ 死亡医学证明), by the rule that settles enum wordings."""
    spellings = spelling_sets(f)
    pieces = re.split(r"[\s_\-.#]+", Path(clues[0]).stem) + list(clues[1:2])
    words = [w for piece in pieces for w in piece.split() if w]
    hits = {got[0] for w in words if (got := shared_wording(fold_value(w), spellings, f.fallback))}
    return hits.pop() if len(hits) == 1 else None


ABBREVIATION_MIN = 3  # characters a wording keeps of a spelling it abbreviates, at least


def _abbreviated_in(spelling: str, clue: str) -> bool:
    """Does `clue` hold an abbreviation of `spelling`: its first and last characters with some
    of those between, in order, at least ABBREVIATION_MIN in all?"""
    if len(spelling) <= ABBREVIATION_MIN or not all("\u4e00" <= c <= "\u9fff" for c in spelling):
        return False
    inner = "".join(f"{c}?" for c in spelling[1:-1])
    return any(
        len(m.group(0)) >= ABBREVIATION_MIN
        for m in re.finditer(f"{spelling[0]}{inner}{spelling[-1]}", clue)
    )


def _profiles(headers: list[str], samples: dict[str, list[str]] | None) -> dict[str, ColumnProfile]:
    columns = {h: list((samples or {}).get(h, [])) for h in headers}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) == 1 and 0 not in lengths:
        # Columns of equal length are the same rows: keep them, to compare columns in a row.
        return profile_samples(Sample(columns, list(zip(*columns.values(), strict=True))))
    return profile_samples(columns)


HOPELESS_SHARE = 0.5  # see `propose`: how well a complete dataset must do to set one aside

# An amount the catalogue keeps in 万元 when the header is silent, whose values are mostly at
# least this, is written in yuan: 10,000 万元 (a hundred million yuan) is not a typical value.
YUAN_MEDIAN = 10_000


def _finish(
    spec: DatasetSpec,
    fit: Fit,
    headers: list[str],
    clues: list[str],
    profiles: dict[str, ColumnProfile] | None = None,
) -> Mapping:
    """The mapping of a fit: money units from the headers (or, for a header naming none, from
    the scale of the values), required enums from the clues."""
    units: dict[str, str] = {}
    for h, fname in fit.columns.items():
        if fname and spec.field(fname).type == "amount":
            unit = header_unit(h)
            p = (profiles or {}).get(h)
            if unit:
                units[h] = unit
            elif (
                spec.field(fname).unit == "wan"
                and p is not None
                and p.median is not None
                and p.median >= YUAN_MEDIAN
            ):
                units[h] = "yuan"
    taken = {f for f in fit.columns.values() if f}
    constants: dict[str, str] = {}
    for f in spec.fields:
        if f.required and f.name not in taken:
            value = _constant_for(spec, f.name, clues)
            if value:
                constants[f.name] = value
    if constants:  # a field given by the file name is no longer missing
        fit.missing = [m for m in fit.missing if m not in constants]
        for name in constants:
            fit.suggestions.pop(name, None)
    return Mapping(
        dataset=spec.id,
        headers=list(headers),
        columns=dict(fit.columns),
        constants=constants,
        units=units,
    )


def map_headers(
    spec: DatasetSpec,
    headers: list[str],
    clues: list[str],
    samples: dict[str, list[str]] | None = None,
    *,
    profiles: dict[str, ColumnProfile] | None = None,
) -> Mapping:
    """The best mapping of `headers` onto `spec`'s fields, from the headers and sampled values."""
    profiles = profiles if profiles is not None else _profiles(headers, samples)
    fit = fit_dataset(spec, headers, profiles)
    return _finish(spec, fit, headers, clues, profiles)


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


def confident_fit(fit: Fit, runner_up: float | None) -> list[str]:
    """Why accepting this fit without a person would be a guess (empty: it is confident).

    Confident means: every required field filled by a column whose values are of the field's
    type (or, for a table without rows, whose header is a catalogue wording of it); no assigned
    column whose values contradict its field; and, when the dataset was not given, the best
    dataset ahead of the next by the factor MARGIN.
    """
    doubts: list[str] = []
    if fit.missing:
        doubts.append("缺少必填字段 / required fields missing: " + ", ".join(fit.missing))
    for h, e in fit.evidence.items():
        required = e.field in _required_names(fit.dataset)
        if e.value_fit is None:
            if required and e.header_kind != "synonym":
                doubts.append(f"{h} → {e.field}: 无样本值 / no values to confirm the header")
        elif e.value_fit < 0.5 and (required or e.header_kind == "none" or e.score < 0.4):
            doubts.append(f"{h} → {e.field}: 取值不符 / values do not fit ({e.value_fit:.0%})")
    if runner_up is not None and fit.score < MARGIN * runner_up:
        doubts.append(
            f"与次优数据集相差不大 / the next dataset scores close ({fit.score:.2f} vs "
            f"{runner_up:.2f})"
        )
    return doubts


def _required_names(dataset: str) -> set[str]:
    spec = load_catalogue()[dataset]
    names = {f.name for f in spec.fields if f.required}
    for group in spec.require_one_of:
        names.update(group)
    return names


def _gap_text(gaps: dict[str, list[str]]) -> str:
    parts = []
    for f, hs in gaps.items():
        parts.append(f"{f}（可能是 / might be: {'、'.join(hs)}）" if hs else f)
    return ", ".join(parts)


def propose(
    headers: list[str],
    source_name: str,
    dataset: str | None = None,
    samples: dict[str, list[str]] | None = None,
    *,
    profiles: dict[str, ColumnProfile] | None = None,
) -> Proposal:
    """Recognise the dataset from the evidence (or use `dataset`) and propose a mapping.

    Every dataset gets its best assignment of the columns (qingfeng.ingest.recognise); the one
    the evidence fills best, each column weighted by how few datasets it points at, is proposed
    when its required fields are filled. A better-filled dataset lacking required fields is
    reported rather than handing the table to a weaker complete one, and a score shared with
    another dataset is reported as ambiguous. `draft` carries the best mapping in every case, and
    `gaps` the headers that might fill each missing required field.
    """
    specs = load_catalogue()
    if dataset is not None and dataset not in specs:
        return Proposal(None, f"未知数据集 / unknown dataset {dataset}")
    clues = [source_name, " ".join(headers)]
    profiles = profiles if profiles is not None else _profiles(headers, samples)
    fits = rank_datasets(headers, specs, profiles, only=dataset)
    if dataset is not None and not fits:
        fits = [fit_dataset(specs[dataset], headers, profiles)]
    mappings = {f.dataset: _finish(specs[f.dataset], f, headers, clues, profiles) for f in fits[:8]}
    fits = [f for f in fits if f.dataset in mappings]
    candidates = tuple(
        Candidate(f.dataset, round(f.score, 3), f.complete, tuple(f.missing)) for f in fits[:5]
    )
    if not fits:
        return Proposal(
            None,
            "无法识别数据集：表头与任何标准数据集都不匹配，已跳过 "
            "/ unrecognised: the headers match "
            "no standard dataset; skipped (use --dataset ID or write a mapping)",
            recognised=False,
        )

    def draft_of(fit: Fit, **kw: object) -> Proposal:
        return Proposal(
            candidates=candidates,
            evidence=dict(fit.evidence),
            draft=mappings[fit.dataset],
            gaps={k: list(v) for k, v in fit.suggestions.items()},
            **kw,  # type: ignore[arg-type]
        )

    if dataset is not None:
        fit = fits[0]
        if fit.missing:
            p = draft_of(fit, mapping=None, reason="")
            p.reason = (
                f"表头缺少必填字段 / headers lack required fields for {dataset}: "
                + _gap_text(p.gaps)
            )
            p.doubts = tuple(confident_fit(fit, None))
            return p
        doubts = confident_fit(fit, None)
        m = mappings[fit.dataset]
        return draft_of(
            fit,
            mapping=m,
            reason=f"{m.dataset}: {len(m.field_columns())} fields mapped",
            confident=not doubts,
            doubts=tuple(doubts),
        )
    complete = [f for f in fits if f.complete]
    # A dataset none of whose measures has a column (a claims table without a cost) gives
    # way to a complete one that places as many of the table's columns with at least half
    # its evidence: a list of insured persons with their death and termination dates is a
    # list of deaths.
    measured = [f for f in complete if not f.measureless]
    gives_way = {
        f.dataset
        for f in complete
        if f.measureless
        and any(
            len(g.evidence) >= len(f.evidence) and g.score >= MEASURELESS_SHARE * f.score
            for g in measured
        )
    }
    if gives_way:
        fits = [f for f in fits if f.dataset not in gives_way]
        complete = [f for f in complete if f.dataset not in gives_way]
    # A dataset lacking a required field that no column comes near is out of the contest when
    # a complete one explains the table at least half as well and reads some column its own
    # way (a member roster shares a registry's ID, name and relation columns, but has no
    # column for a registry's status, and its case number is no household number). A table of
    # IDs and names only is not settled this way: every dataset reads those alike.
    contest = [f for f in fits if not (complete and _set_aside(f, complete[0]))]
    closest = contest[0]
    if complete and not closest.complete and not _mostly_filled(specs[closest.dataset], closest):
        # A dataset lacking most of its required fields does not hold back a complete one (an
        # ID, a name and a date fill a little of a bank statement, and all of a machine list).
        contest = [f for f in contest if f.complete or _mostly_filled(specs[f.dataset], f)]
        closest = contest[0]
    if not complete or closest.score > complete[0].score * TIE:
        ds = closest.dataset
        if not _fills_some_required(specs[ds], closest, mappings[ds]):
            # Not even one required field of the closest dataset: nothing is recognised (the
            # draft is kept for a form where a person picks the dataset).
            p = draft_of(closest, mapping=None, reason="")
            p.reason = (
                "无法识别数据集：表头与任何标准数据集都不匹配，已跳过 "
                "/ unrecognised: the headers match "
                "no standard dataset; skipped (use --dataset ID or write a mapping)"
            )
            p.doubts = tuple(confident_fit(closest, None))
            p.recognised = False
            return p
        p = draft_of(closest, mapping=None, reason="")
        need = _gap_text(p.gaps)
        p.reason = (
            f"表头最像 {ds}，但缺少必填字段 {need}，已跳过 / the headers look like {ds} but "
            f"lack its required fields: {need}; skipped (use --dataset ID or write a mapping)"
        )
        p.doubts = tuple(confident_fit(closest, None))
        return p
    best = complete[0]
    others = [f for f in contest if f is not best]
    # A tie with any other dataset, complete or not (a list of 身份证号 and 姓名 fits many), means
    # the evidence does not say which dataset this is.
    tied = [f for f in others if f.score * TIE >= best.score]
    if tied:
        a, b = best.dataset, tied[0].dataset
        p = draft_of(best, mapping=None, reason="")
        p.reason = (
            f"表头同时符合 {a} 和 {b}，无法确定，已跳过 / ambiguous between {a} and {b}; "
            "use --dataset"
        )
        p.rivals = (a, *(f.dataset for f in tied))
        p.doubts = tuple(confident_fit(best, tied[0].score))
        return p
    # The next dataset, an incomplete one discounted: a table that lacks a dataset's required
    # fields is less likely to be it.
    runner_up = max((f.score * (1.0 if f.complete else 0.85) for f in others), default=None)
    doubts = confident_fit(best, runner_up)
    also = tuple(f.dataset for f in others if _fills_the_rest(best, f))
    for d in also:
        doubts.append(
            f"其余的列另成 {d} / the columns left over also make a {d} table: "
            + "、".join(_left_over(best, next(f for f in others if f.dataset == d)))
        )
    m = mappings[best.dataset]
    return draft_of(
        best,
        mapping=m,
        reason=f"{m.dataset}: {len(m.field_columns())} fields mapped"
        + (f"; also fits {', '.join(also)}" if also else ""),
        confident=not doubts,
        doubts=tuple(doubts),
        also=also,
    )


MEASURELESS_SHARE = 0.5  # the evidence a dataset with a measure column needs, as a share


def _set_aside(fit: Fit, complete: Fit) -> bool:
    # A fit completed by the file name or headers (a constant) is in the contest like any other.
    if fit.complete or not fit.hopeless or complete.score < HOPELESS_SHARE * fit.score:
        return False
    return any(
        e.score >= REQUIRED_MIN and fit.columns.get(h) != e.field
        for h, e in complete.evidence.items()
    )


def _fills_some_required(spec: DatasetSpec, fit: Fit, mapping: Mapping) -> bool:
    required = [[f.name] for f in spec.fields if f.required] + list(spec.require_one_of)
    filled = {e.field for e in fit.evidence.values() if e.score >= REQUIRED_MIN}
    filled |= set(mapping.constants)
    return any(filled.intersection(group) for group in required)


def _mostly_filled(spec: DatasetSpec, fit: Fit) -> bool:
    """Does the fit fill at least half of the dataset's required fields (and groups)?"""
    required = sum(f.required for f in spec.fields) + len(spec.require_one_of)
    return 2 * (required - len(fit.missing)) >= required


def _left_over(best: Fit, other: Fit) -> list[str]:
    """Columns `other` puts on a field with clear evidence that `best` leaves unused."""
    return [h for h, e in other.evidence.items() if best.columns.get(h) is None and e.score >= 0.6]


def _fills_the_rest(best: Fit, other: Fit) -> bool:
    """Does `other` make a table of its own from the columns `best` does not use (plus shared
    key columns)? Two such columns or more, `other` complete."""
    return other.complete and len(_left_over(best, other)) >= 2


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


def save_mapping(folder: Path, mapping: Mapping, *, comments: list[str] | None = None) -> Path:
    """Write the mapping as YAML; `comments` (the evidence, gaps and doubts of a draft) follow
    it as comment lines for the person who checks it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = mapping.path or folder / f"{mapping.dataset}-{mapping.signature}.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    text = mapping.to_yaml()
    if comments:
        text += "# 识别依据 / how it was recognised:\n" + "".join(
            "#   " + line.replace("\n", " ") + "\n" for line in comments
        )
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    mapping.path = path
    return path
