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

from qingfeng.dataspec import DatasetSpec
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.readers import SourceTable, sql_str


def key_candidates(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, mapping: Mapping, source: SourceTable
) -> bool:
    """Put in `qf_cand(rid)` the rows of `qf_raw` whose unique key, as written, repeats.

    Found on the raw text before anything is written, so that the rows in conflict never reach
    the main output file (rewriting it costs far more than this look-up). Keys that repeat only
    once normalised (`p001`, `P001`) are still found afterwards, by `settle_repeats`.
    """
    cols = {h: i for i, h in reversed(list(enumerate(source.headers)))}
    by_field = mapping.field_columns()
    key = [f"c{cols[by_field[f]]}" for f in spec.unique_key if by_field.get(f) in cols]
    if not key:
        return False
    k = ", ".join(_q(c) for c in key)
    keyed = " OR ".join(f"{_q(c)} IS NOT NULL" for c in key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_cand AS SELECT rowid AS rid FROM qf_raw "
        f"WHERE ({keyed}) AND hash({k}) IN (SELECT hash({k}) AS h FROM qf_raw WHERE {keyed} "
        "GROUP BY h HAVING count(*) > 1)"
    )
    return con.execute("SELECT count(*) FROM qf_cand").fetchone() != (0,)


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
    # Only the columns that differ in some group are described (cheap to find first).
    flags = ", ".join(f"count(DISTINCT {c.compare}) > 1 AS d{i}" for i, c in enumerate(columns))
    got = (
        con.execute(
            f"SELECT {', '.join(f'bool_or(d{i})' for i in range(len(columns)))} "
            f"FROM (SELECT {flags} FROM {table} GROUP BY {group})"
        ).fetchone()
        if columns
        else ()
    )
    columns = [c for c, d in zip(columns, got or (), strict=False) if d]
    if not columns:  # differs only where nothing is compared: name the row
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_conflicts AS SELECT CAST(_source_row AS BIGINT) "
            f"AS source_row, __rid, {sql_str('row:' + rule)} AS rules, '{{}}' AS detail "
            f"FROM {table}"
        )
        return "qf_conflicts"
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
        f"SELECT CAST(t._source_row AS BIGINT) AS source_row, t.__rid, "
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
    files: list[Path],
    filled: list[str],
    staging: Path,
    lits: tuple[str, str, str],
) -> Repeats:
    """Find exact duplicates and key conflicts among the rows written to `files`; rewrite a
    file that holds some of them without them (conflicts stay where they land); list the
    duplicates.

    Cheap first: rows are grouped by a 64-bit hash of their key (or of every stored field when
    the row has no key); only when a hash repeats are those rows compared in full with their
    original text from `qf_raw`.
    """
    res = Repeats()
    main, rest = files[0], files[1:]
    key = [f for f in spec.unique_key if f in filled]
    fields = [_q(f) for f in filled] or ["_batch_id"]
    keyed = "false"
    if key:
        keyed = "(" + " OR ".join(f"{_q(f)} IS NOT NULL" for f in key) + ")"

    def hashes(path_sql: str) -> str:
        """(_source_row, h) of every row: the key's hash, or every field's for unkeyed rows.

        Split in two filtered scans: Parquet statistics skip whole row groups of one kind.
        """
        every = f"SELECT _source_row, hash({', '.join(fields)}) AS h FROM {path_sql}"
        if not key:
            return every
        return (
            f"SELECT _source_row, hash({', '.join(_q(f) for f in key)}) AS h FROM {path_sql} "
            f"WHERE {keyed} UNION ALL {every} WHERE NOT {keyed}"
        )

    # The rows kept apart (their key repeats as written) are all compared; the main file's
    # rows only when their hash repeats, within it or in the rows kept apart.
    main_sql = f"read_parquet({sql_str(str(main))})"
    rest_sql = "read_parquet([" + ", ".join(sql_str(str(f)) for f in rest) + "])"
    con.execute("CREATE OR REPLACE TEMP TABLE qf_reph (h UBIGINT)")
    if rest:
        con.execute(f"INSERT INTO qf_reph SELECT DISTINCT h FROM ({hashes(rest_sql)})")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_reph0 AS SELECT h FROM ({hashes(main_sql)}) "
        "GROUP BY h HAVING count(*) > 1 OR h IN (SELECT h FROM qf_reph)"
    )
    in_main = con.execute("SELECT count(*) FROM qf_reph0").fetchone() != (0,)
    if not in_main and not rest:
        con.execute("DROP TABLE qf_reph")
        con.execute("DROP TABLE qf_reph0")
        return res
    parts = [f"SELECT * FROM {rest_sql}"] if rest else []
    if in_main:
        parts.append(
            f"SELECT * FROM {main_sql} WHERE _source_row IN (SELECT _source_row FROM "
            f"({hashes(main_sql)}) WHERE h IN (SELECT h FROM qf_reph0))"
        )

    columns = _columns(spec, mapping, source, filled)
    raw = ", ".join(f"r.c{i} AS {_q('__raw' + str(i))}" for i in range(len(source.headers)))
    # Only the raw rows kept apart when the main file has no repeat: the usual case.
    raw_rows = (
        "qf_raw"
        if in_main
        else "(SELECT *, rowid FROM qf_raw WHERE rowid IN (SELECT rid FROM qf_cand))"
    )
    identity = ", ".join(c.compare for c in columns) or "_batch_id"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_rep2 AS SELECT *, min(_source_row) OVER "
        f"(PARTITION BY {identity}) AS __kept FROM (SELECT o.*, {keyed} AS __keyed, "
        f"r.rowid AS __rid, {raw} FROM ({' UNION ALL '.join(parts)}) o JOIN {raw_rows} r "
        f"ON coalesce(r.__row, r.rowid + {int(source.row_offset)}) = o._source_row)"
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
        con.execute(f"CREATE OR REPLACE TEMP TABLE qf_drop AS {drop}")
        for out in files if in_main else rest:
            one = f"read_parquet({sql_str(str(out))})"
            if con.execute(
                f"SELECT count(*) FROM {one} WHERE _source_row IN (SELECT * FROM qf_drop)"
            ).fetchone() == (0,):
                continue
            # Read in file order (insertion order is kept): no sort needed.
            kept = out.with_name(out.stem + ".kept.parquet")
            con.execute(
                f"COPY (SELECT * FROM {one} WHERE _source_row NOT IN (SELECT * FROM qf_drop)) "
                f"TO {sql_str(str(kept))} (FORMAT parquet, COMPRESSION zstd)"
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
    for t in ("qf_reph", "qf_reph0", "qf_rep2", "qf_dups", "qf_drop"):
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
