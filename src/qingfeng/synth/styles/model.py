"""What a style is: how another system would export each standard department file.

A style is data. For every standard file (`departments.FILES`, by key) a `FileStyle` gives the
header each standard column gets (by the standard header), the kind it is rendered as, the code
values the system writes instead of the standard ones, the date formats, column order, extra
columns and title rows. A `Merge` writes two standard files as one (a parent's columns repeated
on every row of its child: a member-level roster, a bid-opening record).

`build()` turns a style into the `StyledFile`s the generator writes, each with a plain `FileSpec`
for rendering and, per column, the standard `(dataset, field)` pairs it carries: the truth the
measurement compares a recognised mapping with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from qingfeng.synth import tables
from qingfeng.synth.departments import Column, FileSpec, Kind, Mess

Target = tuple[str, str]  # (dataset id, field)


@dataclass(frozen=True)
class FileStyle:
    """How one standard file looks in a style. Unlisted headers keep the standard header; a
    header mapped to None is left out (only columns without a standard field may be)."""

    file_name: str
    fmt: Literal["csv", "xlsx"]
    encoding: str | None = None
    headers: dict[str, str | None] = field(default_factory=dict)  # standard header -> header
    kinds: dict[str, Kind] = field(default_factory=dict)  # standard header -> rendering
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {std: styled}
    date_mix: dict[str, float] | None = None
    order: tuple[str, ...] = ()  # styled headers first, in this order; the rest after
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()  # unrelated columns: values cycled
    title: tuple[str, ...] = ()  # lines above the header
    mess: dict[str, float] = field(default_factory=dict)  # Mess overrides (id15, ...)


@dataclass(frozen=True)
class Merge:
    """Two standard files written as one: every child row with its parent's columns."""

    key: str
    parent: str  # standard file key (tenders, dibao_households)
    child: str  # standard file key (bids, dibao_members)
    join: str  # the field both carry (tender_no, case_no)
    style: FileStyle  # file name, format, title, date_mix of the merged file; headers unused


@dataclass(frozen=True)
class Style:
    name: str
    description: str
    files: dict[str, FileStyle] = field(default_factory=dict)  # standard key -> style
    merges: tuple[Merge, ...] = ()
    held_out: bool = False  # its wordings must appear nowhere in the catalogue or the ingest


@dataclass(frozen=True)
class StyledFile:
    key: str
    spec: FileSpec  # for render/write: column fields are the table's keys
    sources: tuple[str, ...]  # standard file keys whose rows it carries
    datasets: tuple[str, ...]
    targets: tuple[tuple[Target, ...], ...]  # per column
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "@header" -> values
    renames: dict[str, str] = field(default_factory=dict)  # "@std header" -> "@header"
    title: tuple[str, ...] = ()
    join: str = ""

    @property
    def needs_restyle(self) -> bool:
        """Whether the clean table changes (code values, extra or renamed columns, a join);
        headers, kinds and formats alone are the rendering's business."""
        return bool(self.values or self.extras or self.renames or self.join)


class StyleError(ValueError):
    """A style definition that does not fit the standard files."""


def _styled_columns(spec: FileSpec, fs: FileStyle) -> list[tuple[Column, Column]]:
    """(standard column, styled column) pairs, standard order, dropped ones left out."""
    known = {c.header for c in spec.columns}
    unknown = (set(fs.headers) | set(fs.kinds)) - known
    if unknown:
        raise StyleError(f"{spec.key}: no standard column {sorted(unknown)}")
    out = []
    for c in spec.columns:
        header = fs.headers.get(c.header, c.header)
        if header is None:
            if c.field is not None:
                raise StyleError(f"{spec.key}: column {c.header} carries {c.field}; keep it")
            continue
        out.append((c, Column(header, c.field, fs.kinds.get(c.header, c.kind))))
    return out


def _ordered(columns: list[Column], order: tuple[str, ...], where: str) -> list[Column]:
    by_header = {c.header: c for c in columns}
    if len(by_header) != len(columns):
        raise StyleError(f"{where}: two columns share a header")
    missing = [h for h in order if h not in by_header]
    if missing:
        raise StyleError(f"{where}: order names unknown headers {missing}")
    first = [by_header[h] for h in order]
    return first + [c for c in columns if c.header not in order]


def _mess(base: Mess, fs: FileStyle, invalid: dict[str, float] | None = None) -> Mess:
    out = replace(base, **fs.mess) if fs.mess else base  # type: ignore[arg-type]
    return replace(out, invalid=dict(invalid)) if invalid is not None else out


def _single(spec: FileSpec, fs: FileStyle) -> StyledFile:
    pairs = _styled_columns(spec, fs)
    renames = {f"@{c.header}": f"@{s.header}" for c, s in pairs if c.field is None}
    renames = {k: v for k, v in renames.items() if k != v}
    extras = {f"@{h}": vals for h, vals in fs.extras}
    cols = [s for _, s in pairs] + [Column(h, None) for h, _ in fs.extras]
    cols = _ordered(cols, fs.order, spec.key)
    out = replace(
        spec,
        file_name=fs.file_name,
        fmt=fs.fmt,
        encoding=fs.encoding,
        columns=tuple(cols),
        date_mix=fs.date_mix or spec.date_mix,
        mess=_mess(spec.mess, fs),
    )
    targets = tuple(((spec.dataset, c.field),) if c.field else () for c in cols)
    return StyledFile(
        key=spec.key,
        spec=out,
        sources=(spec.key,),
        datasets=(spec.dataset,),
        targets=targets,
        values=dict(fs.values),
        extras=extras,
        renames=renames,
        title=fs.title,
    )


def _merged(m: Merge, parent: FileSpec, child: FileSpec, style: Style) -> StyledFile:
    pfs, cfs = style.files.get(m.parent), style.files.get(m.child)
    if pfs is None or cfs is None:
        raise StyleError(f"{m.key}: style both {m.parent} and {m.child}")
    ppairs, cpairs = _styled_columns(parent, pfs), _styled_columns(child, cfs)
    clash = {c.field for c, _ in ppairs if c.field} & {c.field for c, _ in cpairs if c.field}
    if clash != {m.join}:
        raise StyleError(f"{m.key}: parent and child share fields {sorted(clash)}, not {m.join}")
    cols: list[Column] = []
    targets: dict[str, tuple[Target, ...]] = {}
    for c, s in ppairs:
        cols.append(s)
        if c.field == m.join:
            targets[s.header] = ((parent.dataset, c.field), (child.dataset, c.field))
        elif c.field:
            targets[s.header] = ((parent.dataset, c.field),)
    for c, s in cpairs:
        if c.field == m.join:
            continue
        cols.append(s)
        if c.field:
            targets[s.header] = ((child.dataset, c.field),)
    fs = m.style
    cols += [Column(h, None) for h, _ in fs.extras]
    cols = _ordered(cols, fs.order, m.key)
    renames = {
        f"@{c.header}": f"@{s.header}"
        for c, s in ppairs + cpairs
        if c.field is None and c.header != s.header
    }
    out = replace(
        child,
        key=m.key,
        file_name=fs.file_name,
        dataset=child.dataset,
        department=parent.department,
        fmt=fs.fmt,
        encoding=fs.encoding,
        columns=tuple(cols),
        date_mix=fs.date_mix or parent.date_mix,
        mess=_mess(child.mess, fs, child.mess.invalid),
    )
    return StyledFile(
        key=m.key,
        spec=out,
        sources=(m.parent, m.child),
        datasets=(parent.dataset, child.dataset),
        targets=tuple(targets.get(c.header, ()) for c in cols),
        values={**pfs.values, **cfs.values},
        extras={f"@{h}": vals for h, vals in fs.extras},
        renames=renames,
        title=fs.title,
        join=m.join,
    )


def build(style: Style, specs: tuple[FileSpec, ...]) -> list[StyledFile]:
    """The files a style writes, in the order of the standard files they carry."""
    by_key = {s.key: s for s in specs}
    merged = {k: m for m in style.merges for k in (m.parent, m.child)}
    out: list[StyledFile] = []
    for spec in specs:
        m = merged.get(spec.key)
        if m is not None:
            if spec.key == m.parent:
                out.append(_merged(m, by_key[m.parent], by_key[m.child], style))
            continue
        fs = style.files.get(spec.key)
        if fs is None:
            out.append(
                StyledFile(
                    key=spec.key,
                    spec=spec,
                    sources=(spec.key,),
                    datasets=(spec.dataset,),
                    targets=tuple(
                        ((spec.dataset, c.field),) if c.field else () for c in spec.columns
                    ),
                )
            )
            continue
        out.append(_single(spec, fs))
    return out


def _recode(values: np.ndarray, codes: dict[str, str]) -> np.ndarray:
    """Replace standard code values by the style's (vectorised over the distinct values)."""
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    mapped = np.array([codes.get(u, u) for u in uniq.tolist()], dtype=str)
    return mapped[inv] if uniq.size else values


def restyle(sf: StyledFile, parts: dict[str, tables.Table]) -> tables.Table:
    """The clean table of a styled file from its standard tables (a merge joins child rows to
    their parent's columns); code values recoded, unrelated columns filled."""
    if sf.join:
        parent, child = (parts.get(k, {}) for k in sf.sources)
        if not child or next(iter(child.values())).size == 0:
            return {}
        table = _join(parent, child, sf.join)
    else:
        table = dict(parts[sf.sources[0]])
    n = int(next(iter(table.values())).size)
    for fld, codes in sf.values.items():
        if fld in table:
            table[fld] = _recode(np.asarray(table[fld]), codes)
    for old, new in sf.renames.items():
        if old in table:
            table[new] = table.pop(old)
    for key, vals in sf.extras.items():
        table[key] = np.resize(np.array(vals, dtype=str), n)
    return table


def _join(parent: tables.Table, child: tables.Table, join: str) -> tables.Table:
    keys = np.asarray(parent[join]).astype(str)
    uniq, first = np.unique(keys, return_index=True)
    if uniq.size != keys.size:
        raise StyleError(f"parent rows repeat {join}: cannot write one row per child")
    ckeys = np.asarray(child[join]).astype(str)
    pos = np.searchsorted(uniq, ckeys)
    pos = np.minimum(pos, max(uniq.size - 1, 0))
    if uniq.size == 0 or not np.array_equal(uniq[pos], ckeys):
        raise StyleError(f"child rows whose {join} has no parent row")
    take = first[pos]
    out: tables.Table = dict(child)
    for k, v in parent.items():
        if k == join:
            continue
        col = np.asarray(v)[take]
        if k.startswith("#"):
            out[k] = out[k] | col if k in out else col
        elif k in out:
            raise StyleError(f"parent and child both carry {k}")
        else:
            out[k] = col
    return out
