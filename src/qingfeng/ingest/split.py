"""One file, two datasets: does a file carry a declared parent/child pair?

A member roster repeats its household's columns on every member's row; a bid-opening record
repeats its tender's on every bid's. The catalogue declares such pairs (`parent:` in the
child's YAML). Given the mapping proposed for one of the two datasets, `detect_split` decides
from the headers and a bounded sample of the rows whether the file carries both:

- the headers fill every required field of both datasets, and each side has a column of its
  own (the parent a column the child does not map, the child one beyond the link);
- in the sample the parent's key repeats across rows while the child's key does not.

A header both datasets could take (姓名: the member's or the head's?) goes to the side its
values fit: one whose values change within a parent key belongs to the child, and the parent
takes its field from another header (户主姓名) if the file has one.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from qingfeng.dataspec import DatasetSpec, header_unit, parent_pairs
from qingfeng.ingest.header_match import header_match
from qingfeng.ingest.mapping import Mapping, map_headers, missing_required
from qingfeng.ingest.profile import SAMPLE_ROWS as PROFILE_ROWS
from qingfeng.ingest.profile import ColumnProfile, Sample, profile_samples
from qingfeng.ingest.readers import SourceTable

SAMPLE_ROWS = 5000
# The parent key must repeat on at least this share of the sampled rows (a household file with
# one accidental repeat is not a roster) ...
MIN_REPEAT_SHARE = 0.1
# ... while the child's key is (nearly) unique: a few exact duplicates are allowed.
MIN_CHILD_DISTINCT = 0.95


def detect_split(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, source: SourceTable
) -> Mapping | None:
    """The child's mapping carrying the parent's as `split`, when the file holds both; else None.

    `mapping` is the proposal for either dataset of a pair; it is kept as proposed for that
    side, except for a shared header that belongs to the other side.
    """
    pairs = [(p, c) for p, c in parent_pairs() if mapping.dataset in (p.id, c.id) and c.parent]
    if not pairs:
        return None
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_split_sample AS SELECT * FROM {source.relation} "
        f"LIMIT {SAMPLE_ROWS}"
    )
    try:
        for parent, child in pairs:
            found = _pair(con, mapping, source, parent, child)
            if found is not None:
                return found
        return None
    finally:
        con.execute("DROP TABLE IF EXISTS qf_split_sample")


def _pair(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    source: SourceTable,
    parent: DatasetSpec,
    child: DatasetSpec,
) -> Mapping | None:
    assert child.parent is not None
    headers, clues = source.headers, [source.name, " ".join(source.headers)]
    # The rows sampled for the split (not the reader's few): a column that never changes is
    # then seen as the file's stamp it is.
    profiles = _profiles(con, headers)

    def mapped(spec: DatasetSpec) -> Mapping:
        if mapping.dataset == spec.id:
            return replace(mapping, columns=dict(mapping.columns), split=None)
        return map_headers(spec, headers, clues, profiles=profiles)

    cm, pm = mapped(child), mapped(parent)
    if missing_required(child, cm):
        return None
    c_cols = cm.field_columns()
    link_headers = {c_cols[c]: p for c, p in child.parent.link.items() if c in c_cols}
    if len(link_headers) != len(child.parent.link):
        return None  # the link is a constant, not a column: nothing to group by
    # The parent's key comes from the same columns as the child's link.
    key_fields = set(link_headers.values())
    pm.columns = {h: (None if f in key_fields else f) for h, f in pm.columns.items()}
    pm.columns.update(link_headers)
    col = {h: f"c{i}" for i, h in reversed(list(enumerate(headers)))}
    key_sql = [_text(col[h]) for h in link_headers]

    c_only = {h for h, f in cm.columns.items() if f and h not in link_headers}
    shared = [h for h in c_only if pm.columns.get(h)]
    varying = _varying(con, key_sql, [col[h] for h in shared])
    moved = [h for h, v in zip(shared, varying, strict=True) if v]
    if moved:
        # The child's: the parent takes those fields from other headers, if the file has any.
        lost = {pm.columns[h] for h in moved}
        for h in moved:
            pm.columns[h] = None
        rest = [h for h in headers if h not in moved and not pm.columns.get(h)]
        refill = map_headers(parent, rest, clues, profiles=profiles).field_columns()
        for f in lost:
            if f in refill and f not in pm.field_columns():
                pm.columns[refill[f]] = f
    # A shared header that does not vary goes to the side its header names better, the parent
    # on a tie, as its values repeat with the parent key (项目名称 is the tender's project
    # name, 是否废标 the bid's disqualification).
    stay = []
    for h in shared:
        pf, cf = pm.columns.get(h), cm.columns.get(h)
        if h in moved or not pf or not cf:
            continue
        if header_match(h, parent.field(pf)).score >= header_match(h, child.field(cf)).score:
            stay.append(h)
        else:
            pm.columns[h] = None
    if missing_required(parent, pm):
        return None
    if stay:
        # Repeated with its parent key, a shared header is the parent's: the child is mapped
        # again on the headers the parent does not take (and the link), so it does not keep
        # the parent's columns on fields of its own.
        taken = {h for h, f in pm.columns.items() if f and h not in link_headers}
        own = [h for h in headers if h not in taken]
        remapped = map_headers(child, own, clues, profiles=profiles)
        r_cols = remapped.field_columns()
        if all(r_cols.get(c) == h for h, c in _link_fields(child, c_cols).items()):
            cm = replace(cm, columns={h: remapped.columns.get(h) for h in headers})
            if missing_required(child, cm):
                return None
            c_cols = cm.field_columns()
            c_only = {h for h, f in cm.columns.items() if f and h not in link_headers}
    # A column only the parent takes must repeat with the parent key too: one whose values
    # change within a key is a row's own (a bid's remark), never the parent's.
    p_own = [
        h for h, f in pm.columns.items() if f and h not in link_headers and not cm.columns.get(h)
    ]
    own_varying = _varying(con, key_sql, [col[h] for h in p_own], canonical=True)
    for h, v in zip(p_own, own_varying, strict=True):
        if v:
            pm.columns[h] = None
    if missing_required(parent, pm):
        return None
    p_only = [h for h, f in pm.columns.items() if f and not cm.columns.get(h)]
    if not p_only or not [h for h in c_only if h not in pm.field_columns().values()]:
        return None  # one side adds nothing the other does not already hold
    child_key = [_text(col[c_cols[f]]) for f in child.unique_key if f in c_cols]
    if len(child_key) <= len(key_sql) or not _repeats(con, key_sql, child_key):
        return None
    pm.headers = list(headers)
    # Columns moved between the sides keep the unit their header states (中标金额（万元）).
    pm.units = _units(parent, pm.columns)
    return replace(cm, headers=list(headers), units=_units(child, cm.columns), split=pm)


def _units(spec: DatasetSpec, columns: dict[str, str | None]) -> dict[str, str]:
    """header -> money unit, for the headers on amount fields whose header names one."""
    out: dict[str, str] = {}
    for h, f in columns.items():
        if f and spec.field(f).type == "amount" and (unit := header_unit(h)):
            out[h] = unit
    return out


def _profiles(con: duckdb.DuckDBPyConnection, headers: list[str]) -> dict[str, ColumnProfile]:
    cols = ", ".join(f'"c{i}"' for i in range(len(headers)))
    rows = con.execute(f"SELECT {cols} FROM qf_split_sample LIMIT {PROFILE_ROWS}").fetchall()
    first = {h: i for i, h in reversed(list(enumerate(headers)))}
    values = {
        h: [str(r[i]) for r in rows if r[i] is not None and str(r[i]).strip()]
        for h, i in first.items()
    }
    aligned = [tuple(None if r[i] is None else str(r[i]) for i in first.values()) for r in rows]
    return profile_samples(Sample(values, aligned), con=con)


def _link_fields(child: DatasetSpec, c_cols: dict[str, str]) -> dict[str, str]:
    """link header -> the child field it fills."""
    assert child.parent is not None
    return {c_cols[c]: c for c in child.parent.link if c in c_cols}


def _text(column: str) -> str:
    return f"nullif(trim(\"{column}\"), '')"


def _repeats(con: duckdb.DuckDBPyConnection, parent_key: list[str], child_key: list[str]) -> bool:
    """The parent key repeats across the sampled rows while the child key does not."""
    pk, ck = ", ".join(parent_key), ", ".join(child_key)
    has_child = " AND ".join(k + " IS NOT NULL" for k in child_key)
    has_parent = " AND ".join(k + " IS NOT NULL" for k in parent_key)
    got = con.execute(
        f"SELECT count(*), count(DISTINCT ({pk})), count(*) FILTER (WHERE {has_child}), "
        f"count(DISTINCT ({ck})) FILTER (WHERE {has_child}) "
        f"FROM qf_split_sample WHERE {has_parent}"
    ).fetchone()
    if not got or not got[0]:
        return False
    rows, parents, keyed, children = (int(x) for x in got)
    return rows - parents >= max(1, MIN_REPEAT_SHARE * rows) and (
        children >= MIN_CHILD_DISTINCT * keyed
    )


def _varying(
    con: duckdb.DuckDBPyConnection, key: list[str], columns: list[str], *, canonical: bool = False
) -> list[bool]:
    """For each column: do its values change within a parent key in most groups of 2+ rows?

    `canonical`: a date or a number written two ways (2024-03-01, 2024年3月1日) is one value.
    """
    if not columns:
        return []

    def value(c: str) -> str:
        t = _text(c)
        if not canonical:
            return t
        return (
            f"coalesce(CAST(qf_timestamp({t}) AS VARCHAR), "
            f"CAST(TRY_CAST(qf_amount({t}, 1) AS DOUBLE) AS VARCHAR), {t})"
        )

    counts = ", ".join(f"count(DISTINCT {value(c)}) AS d{i}" for i, c in enumerate(columns))
    shares = ", ".join(f"count(*) FILTER (WHERE d{i} > 1)" for i in range(len(columns)))
    got = con.execute(
        f"SELECT count(*), {shares} FROM (SELECT count(*) AS n, {counts} FROM qf_split_sample "
        f"GROUP BY {', '.join(key)}) WHERE n > 1"
    ).fetchone()
    groups = int(got[0]) if got else 0
    return [bool(groups) and int(v) > groups / 2 for v in (got or ())[1:]]
