"""Rows that repeat: exact duplicates are removed; rows sharing a key but differing are conflicts.

A duplicate is a row with the same value as an earlier row in every column of the file: the same
normalised value in each column the dataset stores (`李 秀英` = `李秀英`, `1950/11/5` =
`1950-11-05`) and the same text in every other column, mapped or not. It is removed and listed in
`lake/_duplicates` with the row kept instead.

Rows that share the dataset's unique key but differ in any column are key conflicts, never
dropped: they go to quarantine with the rule `<column>:key_conflict` for each column that differs
and every row's value of it in `detail`, or land where the catalogue says the key may repeat
(`key_conflicts: land`: a voucher's lines, a co-owned flat).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qingfeng.catalogue import DatasetSpec
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.readers import SourceTable, sql_str

KEY_CONFLICT = "key_conflict"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Repeats:
    duplicates: int = 0
    conflicts: int = 0  # rows taking part in a key conflict
    landed: bool = False  # conflicts landed (the key may repeat) rather than quarantined
    # Temp table (source_row, rules, detail) of conflicting rows for the quarantine, if any.
    quarantine_table: str | None = None


@dataclass(frozen=True)
class Column:
    """One column compared between rows: how it is named in a rule and in `detail`."""

    rule_name: str  # the field, or the header of a column the dataset does not store
    label: str  # the header, as a person sees it in the file
    compare: str  # SQL counted distinct within a group
    raw: str  # SQL of the original text


def describe_conflicts(
    con: duckdb.DuckDBPyConnection, table: str, group: str, columns: list[Column], rule: str
) -> str:
    """Create `qf_conflicts(source_row, rules, detail)` for the rows of `table`, grouped by
    `group`: each names the columns whose values differ within its group and, in `detail`
    (JSON), every row's original text of them: {"户主身份证号": {"3": "…", "7": "…"}}."""
    aggs, rules, details = [], [], []
    for i, c in enumerate(columns):
        aggs.append(f"count(DISTINCT {c.compare}) > 1 AS d{i}")
        pairs = f"json_group_object(CAST(_source_row AS VARCHAR), {c.raw})"
        aggs.append(f"CAST({pairs} AS VARCHAR) AS j{i}")
        rules.append(f"CASE WHEN d{i} THEN {sql_str(c.rule_name + ':' + rule)} END")
        details.append(f"CASE WHEN d{i} THEN {sql_str(_json_str(c.label))} || ':' || j{i} END")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_conflicts AS WITH g AS (SELECT {group}, "
        f"{', '.join(aggs)} FROM {table} GROUP BY {group}) "
        f"SELECT CAST(t._source_row AS BIGINT) AS source_row, "
        f"coalesce(NULLIF(concat_ws(';', {', '.join(rules)}), ''), {sql_str('row:' + rule)}) "
        f"AS rules, '{{' || concat_ws(',', {', '.join(details)}) || '}}' AS detail "
        f"FROM {table} t JOIN g USING ({group})"
    )
    return "qf_conflicts"


def _json_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def settle_repeats(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    out: Path,
    filled: list[str],
    staging: Path,
    lits: tuple[str, str, str],
) -> Repeats:
    """Find exact duplicates and key conflicts among the rows written to `out`; rewrite `out`
    without the duplicates (and the conflicts, unless they land); list the duplicates.

    Cheap first: rows are grouped by a 64-bit hash of their key (or of every stored field when
    the row has no key); only when a hash repeats are those rows compared in full with their
    original text from `qf_raw`.
    """
    res = Repeats()
    scan = f"read_parquet({sql_str(str(out))})"
    key = [f for f in spec.unique_key if f in filled]
    fields = [_q(f) for f in filled] or ["_batch_id"]
    keyed = "false"
    if key:
        some = " OR ".join(f"{_q(f)} IS NOT NULL" for f in key)
        keyed = f"({some})"
    hashed = f"CASE WHEN {keyed} THEN hash({', '.join(_q(f) for f in key) or 'NULL'}) " + (
        f"ELSE hash({', '.join(fields)}) END"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_reph AS SELECT h FROM (SELECT {hashed} AS h "
        f"FROM {scan}) GROUP BY h HAVING count(*) > 1"
    )
    if con.execute("SELECT count(*) FROM qf_reph").fetchone() == (0,):
        con.execute("DROP TABLE qf_reph")
        return res

    columns = _columns(spec, mapping, source, filled)
    raw = ", ".join(f"r.c{i} AS {_q('__raw' + str(i))}" for i in range(len(source.headers)))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_rep AS SELECT o.*, {keyed} AS __keyed, {raw} "
        f"FROM (SELECT * FROM {scan} WHERE {hashed} IN (SELECT h FROM qf_reph)) o "
        f"JOIN qf_raw r ON coalesce(r.__row, r.rowid + {int(source.row_offset)}) = o._source_row"
    )
    identity = ", ".join(c.compare for c in columns) or "_batch_id"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_rep2 AS SELECT *, "
        f"min(_source_row) OVER (PARTITION BY {identity}) AS __kept FROM qf_rep"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_dups AS SELECT _source_row AS source_row, "
        "__kept AS kept_row FROM qf_rep2 WHERE _source_row <> __kept"
    )
    res.duplicates = int((con.execute("SELECT count(*) FROM qf_dups").fetchone() or (0,))[0])
    drop = "SELECT source_row FROM qf_dups"
    if key:
        keys = ", ".join(_q(f) for f in key)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_conf AS SELECT *, dense_rank() OVER "
            f"(ORDER BY {keys}) AS __grp FROM (SELECT *, count(*) OVER (PARTITION BY {keys}) "
            "AS __n FROM qf_rep2 WHERE _source_row = __kept AND __keyed) WHERE __n > 1"
        )
        res.conflicts = int((con.execute("SELECT count(*) FROM qf_conf").fetchone() or (0,))[0])
        res.landed = spec.key_conflicts == "land"
        if res.conflicts and not res.landed:
            res.quarantine_table = describe_conflicts(
                con, "qf_conf", "__grp", [c for c in columns if c.rule_name not in key],
                KEY_CONFLICT,
            )  # fmt: skip
            drop += " UNION ALL SELECT source_row FROM qf_conflicts"
        con.execute("DROP TABLE qf_conf")
    if res.duplicates or res.quarantine_table:
        kept = out.with_name("part-0.dedup.parquet")
        con.execute(
            f"COPY (SELECT * FROM {scan} WHERE _source_row NOT IN ({drop}) "
            f"ORDER BY _source_row) TO {sql_str(str(kept))} (FORMAT parquet, COMPRESSION zstd)"
        )
        kept.replace(out)
    if res.duplicates:
        lit_ds, lit_batch, lit_src = lits
        d_dir = staging / "_duplicates"
        d_dir.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source, "
            "source_row, kept_row FROM qf_dups ORDER BY source_row) TO "
            f"{sql_str(str(d_dir / 'part-0.parquet'))} (FORMAT parquet)"
        )
    for t in ("qf_reph", "qf_rep", "qf_rep2", "qf_dups"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return res


def _columns(
    spec: DatasetSpec, mapping: Mapping, source: SourceTable, filled: list[str]
) -> list[Column]:
    """Every column of the file, compared by its stored value where the dataset stores it."""
    stored = {f.name for f in spec.stored_fields}
    by_header = {h: f for h, f in mapping.columns.items() if f in stored and f in filled}
    out: list[Column] = []
    seen: set[str] = set()
    for i, h in enumerate(source.headers):
        raw = _q(f"__raw{i}")
        f = by_header.get(h)
        if f and f not in seen:
            seen.add(f)
            out.append(Column(f, h, f"[{_q(f)}]", raw))
        else:
            out.append(Column(h, h, f"[{raw}]", raw))
    return out
