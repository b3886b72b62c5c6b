"""Turns a clean standard table into a department's messy rows, and records what was done.

Input: a dict of column arrays keyed by standard field (ids normalised to 18 characters, names
simplified with a parallel `<field>#trad` array, dates as int day numbers with -1 for empty,
money in yuan as float, periods as month indices). Output: str columns in the file's column order,
with exactly the stated proportions of mess, plus duplicate and invalid rows inserted at random
positions; the truth records each inserted row's 1-based data-row number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qingfeng.synth import dates, ids, uscc
from qingfeng.synth.departments import FileSpec

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass
class Rendered:
    columns: list[np.ndarray]  # str arrays, one per spec column
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (0-based row, reason)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (row, duplicate_of)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def n_rows(self) -> int:
        return int(self.columns[0].size) if self.columns else 0


def _pick(rng: np.random.Generator, eligible: np.ndarray, k: int) -> np.ndarray:
    """Exactly min(k, eligible) row indices from a boolean mask, sorted."""
    idx = np.flatnonzero(eligible)
    k = min(k, idx.size)
    return np.sort(rng.choice(idx, size=k, replace=False)) if k else idx[:0]


def _mess_ids(
    values: np.ndarray,
    spec: FileSpec,
    header: str,
    rng: np.random.Generator,
    counts: Counter[str],
    clean: np.ndarray,
) -> np.ndarray:
    m = spec.mess
    n = values.size
    out = values.astype(object)
    present = (values != "") & clean & (np.strings.str_len(values) == 18)
    free = present.copy()
    pick = _pick(rng, free & ids.born_19xx(values), round(m.id15 * n))
    out[pick] = ids.to15(values[pick])
    free[pick] = False
    counts[f"{header}:id15"] += pick.size
    pick = _pick(rng, free, round(m.fullwidth * n))
    out[pick] = [s.translate(FULLWIDTH) for s in values[pick]]
    free[pick] = False
    counts[f"{header}:fullwidth"] += pick.size
    ends_x = free & (np.strings.slice(values, 17, 18) == "X")
    pick = _pick(rng, ends_x, round(m.lower_x * int(ends_x.sum())))
    out[pick] = np.strings.lower(values[pick])
    counts[f"{header}:lower_x"] += pick.size
    pick = _pick(rng, present, round(m.id_space * n))
    lead = rng.random(pick.size) < 0.5
    out[pick] = [(" " + s) if ld else (s + " ") for s, ld in zip(out[pick], lead, strict=True)]
    counts[f"{header}:id_space"] += pick.size
    return out.astype(str)


def _mess_names(
    values: np.ndarray,
    trad: np.ndarray,
    spec: FileSpec,
    header: str,
    rng: np.random.Generator,
    counts: Counter[str],
    clean: np.ndarray,
) -> np.ndarray:
    m = spec.mess
    n = values.size
    out = values.astype(object)
    pick = _pick(rng, (trad != values) & clean, round(m.traditional * n))
    out[pick] = trad[pick]
    counts[f"{header}:traditional"] += pick.size
    pick = _pick(rng, (np.strings.str_len(values) >= 2) & clean, round(m.name_space * n))
    where = rng.integers(0, 3, pick.size)  # leading, after the surname, trailing
    out[pick] = [
        (" " + s) if w == 0 else (s[0] + " " + s[1:]) if w == 1 else (s + " ")
        for s, w in zip(out[pick], where, strict=True)
    ]
    counts[f"{header}:name_space"] += pick.size
    return out.astype(str)


def _format_counts(n: int, mix: dict[str, float]) -> dict[str, int]:
    counts = {f: int(np.floor(p * n)) for f, p in mix.items()}
    first = next(iter(mix))
    counts[first] += n - sum(counts.values())
    return counts


def _render_dates(
    days: np.ndarray,
    spec: FileSpec,
    header: str,
    rng: np.random.Generator,
    counts: Counter[str],
    time: bool = False,
) -> np.ndarray:
    out = np.full(days.size, "", dtype=object)
    present = np.flatnonzero(days != dates.NONE)
    order = rng.permutation(present)
    start = 0
    for fmt, k in _format_counts(present.size, spec.date_mix).items():
        rows = order[start : start + k]
        start += k
        out[rows] = dates.render_time(days[rows], fmt) if time else dates.render(days[rows], fmt)
        counts[f"{header}:date_{fmt}"] += rows.size
    return out.astype(str)


def _mess_uscc(
    values: np.ndarray, spec: FileSpec, header: str, rng: np.random.Generator, counts: Counter[str]
) -> np.ndarray:
    out = values.astype(object)
    pick = _pick(rng, values != "", round(spec.mess.id_space * values.size))
    out[pick] = [s + " " for s in out[pick]]
    counts[f"{header}:uscc_space"] += pick.size
    return out.astype(str)


def _period_text(months: np.ndarray, kind: str) -> np.ndarray:
    """Month indices as 2023年12月 (period_cn) or 2023.12 (period_dot)."""
    iso = dates.period_str(months)
    year, month = np.strings.slice(iso, 0, 4), np.strings.slice(iso, 5, 7)
    if kind == "period_dot":
        return np.strings.add(np.strings.add(year, "."), month)
    month = np.strings.lstrip(month, "0")
    return np.strings.add(np.strings.add(np.strings.add(year, "年"), month), "月")


def _percent_text(values: np.ndarray, kind: str) -> np.ndarray:
    """Percentages given as text (60) written as 60% (percent) or 0.6 (fraction)."""
    uniq, inv = np.unique(values, return_inverse=True)
    out = [
        "" if not u else f"{u}%" if kind == "percent" else f"{round(float(u) / 100, 6):g}"
        for u in uniq.tolist()
    ]
    return np.array(out, dtype=str)[inv] if uniq.size else values


def money_strings(yuan: np.ndarray, unit: str) -> np.ndarray:
    """Amounts as text: yuan with 2 decimals, or 万元 with 4 decimals (exact to the fen)."""
    values = np.round(yuan / (10000.0 if unit == "万元" else 1.0), 6 if unit == "万元" else 2)
    uniq, inv = np.unique(values, return_inverse=True)
    fmt = "{:.6f}" if unit == "万元" else "{:.2f}"
    texts = np.array(
        [fmt.format(v).rstrip("0").rstrip(".") if unit == "万元" else fmt.format(v) for v in uniq]
    )
    return texts[inv] if uniq.size else np.array([], dtype=str)


def render(spec: FileSpec, table: dict[str, np.ndarray], rng: np.random.Generator) -> Rendered:
    """Render one chunk of a table.

    Optional boolean columns: `#planted` rows are never copied into duplicate or invalid rows;
    `#nomess` rows keep their values exactly (planted decoys that carry their own mess).
    """
    counts: Counter[str] = Counter()
    n = int(next(iter(table.values())).size)
    protected = table.get("#planted", np.zeros(n, bool))
    clean = ~table.get("#nomess", np.zeros(n, bool))
    cols: list[np.ndarray] = []
    for col in spec.columns:
        if col.field is None or col.field not in table:
            values = table.get(f"@{col.header}", np.full(n, "", dtype=str))
            cols.append(np.asarray(values).astype(str))
            continue
        v = table[col.field]
        if col.kind == "id":
            cols.append(_mess_ids(np.asarray(v).astype(str), spec, col.header, rng, counts, clean))
        elif col.kind == "uscc":
            cols.append(_mess_uscc(np.asarray(v).astype(str), spec, col.header, rng, counts))
        elif col.kind == "name":
            trad = table.get(f"{col.field}#trad", v)
            cols.append(_mess_names(v, trad, spec, col.header, rng, counts, clean))
        elif col.kind in ("date", "time"):
            cols.append(_render_dates(v, spec, col.header, rng, counts, col.kind == "time"))
        elif col.kind == "period":
            cols.append(np.strings.replace(dates.period_str(v), "-", ""))
        elif col.kind in ("period_cn", "period_dot"):
            cols.append(_period_text(v, col.kind))
        elif col.kind in ("percent", "fraction"):
            cols.append(_percent_text(np.asarray(v).astype(str), col.kind))
        elif col.kind in ("money", "money_wan"):
            cols.append(money_strings(v, "万元" if col.kind == "money_wan" else "元"))
        else:
            cols.append(np.asarray(v).astype(str))
    counts["rows_clean"] += n
    if n == 0:
        return Rendered(columns=cols, counts=counts)
    return _add_extra_rows(spec, table, cols, rng, counts, protected)


def _add_extra_rows(
    spec: FileSpec,
    table: dict[str, np.ndarray],
    cols: list[np.ndarray],
    rng: np.random.Generator,
    counts: Counter[str],
    protected: np.ndarray,
) -> Rendered:
    n = cols[0].size
    m = spec.mess
    usable = ~protected
    key_i = next(i for i, c in enumerate(spec.columns) if c.field == spec.key_field)
    key_kind = spec.columns[key_i].kind
    date_i = next((i for i, c in enumerate(spec.columns) if c.field == spec.date_field), -1)
    key_clean = np.asarray(table[spec.key_field]).astype(str)
    extra_src: list[np.ndarray] = []
    extra_kind: list[str] = []
    extra_cols: list[list[np.ndarray]] = []

    dup = _pick(rng, usable, max(1, round(m.duplicates * n)))
    extra_src.append(dup)
    extra_kind += ["dup"] * dup.size
    extra_cols.append([c[dup] for c in cols])
    for reason, p in m.invalid.items():
        k = max(1, round(p * n))
        if reason == "bad_check_digit":
            src = _pick(rng, usable & (np.strings.str_len(key_clean) == 18), k)
        else:
            src = _pick(rng, usable, k)
        rows = [c[src].copy() for c in cols]
        if reason == "bad_check_digit":
            wrong = uscc.wrong_check if key_kind == "uscc" else ids.wrong_check
            rows[key_i] = wrong(key_clean[src], rng) if src.size else rows[key_i]
        elif reason == "empty_key":
            rows[key_i] = np.full(src.size, "", dtype=str)
        elif reason == "impossible_date":
            fmt = next(iter(spec.date_mix))
            years = rng.integers(2000, 2025, src.size)
            bad = dates.impossible_time if spec.columns[date_i].kind == "time" else dates.impossible
            rows[date_i] = np.array([bad(fmt, int(y)) for y in years], dtype=str)
        else:
            raise ValueError(f"unknown invalid-row reason {reason}")
        extra_src.append(src)
        extra_kind += [reason] * src.size
        extra_cols.append(rows)

    src_all = np.concatenate(extra_src) if extra_src else np.zeros(0, np.int64)
    n_extra = src_all.size
    # Sort key: base row i at i, each extra row just after a random base row.
    pos = rng.integers(0, n, n_extra) + rng.uniform(0.1, 0.9, n_extra)
    order = np.argsort(np.concatenate([np.arange(n, dtype=float), pos]), kind="stable")
    final_of = np.empty(n + n_extra, dtype=np.int64)
    final_of[order] = np.arange(n + n_extra)
    out_cols = [
        np.concatenate([cols[j], *[ec[j] for ec in extra_cols]])[order] for j in range(len(cols))
    ]
    result = Rendered(columns=out_cols, counts=counts)
    for e, (src, kind) in enumerate(zip(src_all, extra_kind, strict=True)):
        row = int(final_of[n + e])
        if kind == "dup":
            first, second = sorted((int(final_of[src]), row))
            result.duplicates.append((second, first))
            counts["duplicates"] += 1
        else:
            result.invalid.append((row, kind))
            counts[f"invalid:{kind}"] += 1
    result.invalid.sort()
    result.duplicates.sort()
    return result
