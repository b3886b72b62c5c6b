"""One source → lake, quarantine and duplicates from a single parallel pass over the source.

One COPY reads the source, normalises every field, evaluates every rule and writes every row,
in source order, to `_all.parquet` with its validity (`_ok`), the rules it broke (`_err`) and,
for a failing row only, its original values as JSON. DuckDB keeps insertion order in a parallel
COPY as long as no operator in the statement reorders rows, so the statement holds no join:
low-cardinality columns are normalised once per distinct value of the first rows and looked up
in an array by hash (`_dictionaries`), every other value row by row, the canonical ones taking
the fast paths. The n-th row of that file (`file_row_number`) is then the n-th record of the
source, whose line is `n + header line + 1`, or read from the file's lines when records span
lines or the reader rejected some (qingfeng.ingest.lines).

The lake table and the quarantine are then projections of that file: the lake's files are read
by other stations (the model engine, Spark) as they are, so they hold only the standard rows
and columns. Traditional names are converted once per distinct value on the way. Exact
duplicates and key conflicts are found by hashing the written rows: only the rows whose hash
repeats are read from the source again, for their original text.

The pass is measured slower than the staged path here (docs/performance.md) and is taken only
with QINGFENG_INGEST_ONE_PASS=1; both give the same lake, quarantine and report (a test checks).
Files this pass cannot settle alone go to the staged path (qingfeng.ingest.stage): a file that
carries two datasets, a ratio read by its whole column, dates written day/month/year whose
order the whole column decides, and rejected rows whose lines cannot be placed.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from qingfeng.dataspec import DatasetSpec
from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.lines import needs_line_scan, record_lines
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.readers import SourceTable, sql_str
from qingfeng.ingest.repeats import KEY_CONFLICT, _columns, describe_conflicts
from qingfeng.ingest.stage import (
    _DICTIONARY_MAX_SHARE,
    _DICTIONARY_SAMPLE,
    _DICTIONARY_TYPES,
    StageResult,
    _add_field_layers,
    _derived_value,
    _Layers,
    _plans,
    _q,
    _rejects,
    convert_traditional,
    original_json,
    rejects_part,
    write_quarantine,
)
from qingfeng.normalise import _RAW_DMY, FieldPlan, evidence_query

_UNMATCHED_MAX = 50
ALL_ROWS = "_all.parquet"


def enabled() -> bool:
    """QINGFENG_INGEST_ONE_PASS=1 stages sources in one pass. Off by default: on DuckDB 2.0
    with two threads the staged path is faster (docs/performance.md, "Ingest")."""
    return os.environ.get("QINGFENG_INGEST_ONE_PASS", "") == "1"


def eligible(spec: DatasetSpec, mapping: Mapping, source: SourceTable) -> bool:
    """Whether this source can be staged in one pass (see the module's docstring)."""
    if not enabled() or mapping.split is not None:
        return False
    _, plans = _plans(spec, mapping, source)
    return not any(
        spec.field(n).type == "decimal" and evidence_query(spec.field(n), '"x"', "t") for n in plans
    )


def _dmy_shape(raw: str) -> str:
    """SQL: the value could be day/month/year or month/day/year (the whole column decides)."""
    sep = "('/', '.', '-')"
    pre = f"(substr({raw}, 2, 1) IN {sep} OR substr({raw}, 3, 1) IN {sep})"
    return f"({pre} AND regexp_full_match({raw}, {sql_str(_RAW_DMY)}))"


def _dictionaries(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    source: SourceTable,
    raw_expr: dict[str, str],
    plans: dict[str, FieldPlan],
) -> dict[str, int]:
    """Lookup arrays of the low-cardinality columns: field -> slots of `qf_arr_<field>`.

    Columns that repeat a few values (dates, periods, amounts, codes) are normalised once per
    distinct value of the first rows, into an array indexed by the value's hash; the pass
    looks each row's value up there and normalises only the values not found row by row. A
    join would do the same per distinct value, but a join reorders rows, and the pass must not.
    Two values sharing a slot keep the first; the other is normalised row by row, with the
    same result.
    """
    candidates = [
        n for n in plans if raw_expr[n].startswith('"') and spec.field(n).type in _DICTIONARY_TYPES
    ]
    if not candidates:
        return {}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_sample AS SELECT * FROM "
        f"(SELECT * FROM {_rescan(source)} LIMIT {_DICTIONARY_SAMPLE})"
    )
    got = (
        con.execute(
            "SELECT count(*), "
            + ", ".join(f"count(DISTINCT {raw_expr[n]})" for n in candidates)
            + " FROM qf_sample"
        ).fetchone()
        or ()
    )
    sampled, ndv = got[0], got[1:]
    slots: dict[str, int] = {}
    for n, k in zip(candidates, ndv, strict=True):
        if not k or k > _DICTIONARY_MAX_SHARE * sampled:
            continue
        size = 16
        while size < 8 * k:
            size *= 2
        layers = _Layers(
            f"(SELECT DISTINCT {raw_expr[n]} AS k FROM qf_sample WHERE {raw_expr[n]} IS NOT NULL)",
            ["k"],
        )
        _add_field_layers(layers, {n: plans[n]}, {n: '"k"'})
        b, v, e = (_q(c + n) for c in ("b__", "v__", "e__"))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_q('qf_arr_' + n)} AS SELECT list(d ORDER BY i) AS a "
            f"FROM (SELECT i, any_value({{'k': k, 'b': {b}, 'v': {v}, 'e': {e}}}) "
            f"FILTER (WHERE k IS NOT NULL) AS d FROM range(1, {size + 1}) r(i) LEFT JOIN "
            f"(SELECT *, CAST(hash(k) % {size} AS BIGINT) + 1 AS slot FROM ({layers.sql})) "
            "ON slot = i GROUP BY i)"
        )
        slots[n] = size
    con.execute("DROP TABLE qf_sample")
    return slots


def _pass_sql(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    batch_id: str,
) -> tuple[str, list[str], list[str]]:
    """(the SELECT of every row, the filled fields, the vocabulary fields)."""
    raw_expr, plans = _plans(spec, mapping, source)
    raw_cols = [f"c{i}" for i in range(len(source.headers))]
    slots = _dictionaries(con, spec, source, raw_expr, plans)
    layers = _Layers(source.relation, [*raw_cols, "__row"])
    # A value found in its column's array skips the row-by-row chain (NULL flows through it).
    layers.add(
        {
            f"h__{n}": f"(SELECT a FROM {_q('qf_arr_' + n)})"
            f"[CAST(hash({raw_expr[n]}) % {size} AS BIGINT) + 1]"
            for n, size in slots.items()
        }
    )
    layers.add({f"m__{n}": f"{_q('h__' + n)}.k = {raw_expr[n]}" for n in slots})
    row_raw = {
        ("r_" + n if n in slots else n): (
            f"CASE WHEN {_q('m__' + n)} THEN NULL ELSE {e} END" if n in slots else e
        )
        for n, e in raw_expr.items()
    }
    _add_field_layers(layers, {("r_" + n if n in slots else n): p for n, p in plans.items()},
                      row_raw)  # fmt: skip
    layers.add(
        {
            f"{c}__{n}": f"CASE WHEN {_q('m__' + n)} THEN {_q('h__' + n)}.{c} "
            f"ELSE {_q(c + '__r_' + n)} END"
            for n in slots
            for c in ("b", "v", "e")
        }
    )

    error_cols = [_q("e__" + n) for n, p in plans.items() if p.error != "NULL"]
    errs = [
        f"CASE WHEN {_q('e__' + n)} IS NOT NULL THEN {sql_str(n + ':')} || {_q('e__' + n)} END"
        for n, p in plans.items()
        if p.error != "NULL"
    ]
    ok = [c + " IS NULL" for c in error_cols]
    for group in spec.require_one_of:
        present = [g for g in group if g in plans]
        label = sql_str("|".join(group) + ":required_one")
        if present:
            errs.append(f"CASE WHEN {' AND '.join(_q('b__' + g) + ' IS NULL' for g in present)} "
                        f"THEN {label} END")  # fmt: skip
            ok.append("(" + " OR ".join(f"{_q('b__' + g)} IS NOT NULL" for g in present) + ")")
        else:
            errs.append(label)
            ok.append("false")
    ok_sql = " AND ".join(ok) or "true"
    err_sql = f"NULLIF(concat_ws(';', {', '.join(errs)}), '')" if errs else "NULL"
    derived = {f.name: _derived_value(spec, f, plans) for f in spec.derived_fields}
    vals = []
    for f in spec.stored_fields:
        if f.name in plans:
            v = f"TRY_CAST({_q('v__' + f.name)} AS {f.storage_type})"
        elif derived.get(f.name):
            v = f"CAST({derived[f.name]} AS {f.storage_type})"
        else:
            v = f"CAST(NULL AS {f.storage_type})"
        vals.append(f"{v} AS {_q(f.name)}")
    filled = [f.name for f in spec.stored_fields if f.name in plans]
    vocab = [n for n in plans if spec.field(n).vocabulary is not None and raw_expr[n][0] == '"']
    # Per row: the wording no vocabulary entry names (counted for the report), whether a date
    # is shaped day/month/year (the column's order is then read by the staged path), and the
    # hash of the original text (to find those rows again when their key repeats).
    extra = [
        f"CASE WHEN {_q('b__' + n)} IS NOT NULL AND {_q('v__' + n)} IS NULL "
        f"THEN {raw_expr[n]} END AS {_q('__w_' + n)}"
        for n in vocab
    ]
    shaped = [
        _dmy_shape(raw_expr[n])
        for n in plans
        if spec.field(n).type == "date" and raw_expr[n].startswith('"')
    ]
    extra.append(f"({' OR '.join(shaped) or 'false'}) AS __dmy")
    extra.append(f"hash({', '.join(_q(c) for c in raw_cols)}) AS __rh")
    select = ", ".join(
        [
            *vals,
            f"{sql_str(batch_id)} AS _batch_id",
            "__row",
            f"({ok_sql}) AS _ok",
            f"CASE WHEN NOT ({ok_sql}) THEN {err_sql} END AS _err",
            f"CASE WHEN NOT ({ok_sql}) THEN {original_json(source, 'r')} END AS __orig",
            *extra,
        ]
    )
    return f"SELECT {select} FROM ({layers.sql}) r", filled, vocab


def stage_one_pass(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    *,
    batch_id: str,
    staging: Path,
) -> StageResult | None:
    """Stage one source in one pass under `staging`; None when the staged path must do it
    (nothing is left behind then)."""
    ds_dir = staging / spec.id
    ds_dir.mkdir(parents=True, exist_ok=True)
    all_path = staging / f"{spec.id}{ALL_ROWS}"
    sql, filled, vocab = _pass_sql(con, spec, mapping, source, batch_id)
    # Snappy for a file read once, right after: cheaper to write than zstd.
    got = con.execute(f"COPY ({sql}) TO {sql_str(str(all_path))} (FORMAT parquet)").fetchone()
    total = int(got[0]) if got else 0
    rejects = _rejects(con, source)
    scan = f"read_parquet({sql_str(str(all_path))}, file_row_number = true)"

    def give_up() -> None:
        all_path.unlink(missing_ok=True)
        _drop_temps(con)

    if con.execute(f"SELECT bool_or(__dmy) FROM {scan}").fetchone() == (True,):
        give_up()
        return None
    if total + rejects == 0 and any(any(str(c).strip() for c in r) for r in source.sample):
        give_up()
        raise IngestError(
            source.name,
            "无法解析数据行（分隔符、引号或换行不一致）/ could not parse the data rows "
            "(inconsistent delimiter, quotes or line endings)",
            row=source.header_row + 1,
        )
    # The n-th row written is the n-th record read: its line is n + the header's line + 1, or,
    # when records span lines or some were rejected, read from the file's lines.
    if rejects or needs_line_scan(source, total + rejects):
        if not record_lines(con, source, total, rejects):
            give_up()
            return None
        rows = (
            f"(SELECT a.*, coalesce(a.__row, l.line) AS _source_row FROM {scan} a "
            "POSITIONAL JOIN qf_rowline l)"
        )
    else:
        rows = (
            f"(SELECT *, coalesce(__row, file_row_number + {int(source.row_offset)}) "
            f"AS _source_row FROM {scan})"
        )
    # Traditional → simplified once per distinct name, joined on here: by now every row carries
    # its line, so the join may reorder rows. (Conversion is per character and commutes with
    # name cleaning, whose only rule is about digits.)
    replace, joins = [], []
    for f in spec.stored_fields:
        if f.type != "name" or f.name not in filled:
            continue
        col, table = _q(f.name), _q("qf_t2s_" + f.name)
        names = f"(SELECT DISTINCT {col} FROM {scan})"
        if convert_traditional(con, names, f.name, into=table.strip('"')):
            replace.append(f"coalesce({table}.dst, a.{col}) AS {col}")
            joins.append(f"LEFT JOIN {table} ON a.{col} = {table}.src")
    star = f"a.* REPLACE ({', '.join(replace)})" if replace else "a.*"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW qf_all AS SELECT {star} FROM {rows} a {' '.join(joins)}"
    )
    res = StageResult(rows_read=total + rejects)
    res.unmatched = _unmatched(con, vocab)
    lits = (sql_str(spec.id), sql_str(batch_id), sql_str(source.name))
    dups, conflicts = _repeats(con, spec, mapping, source, filled)
    res.rows_duplicate = dups
    res.rows_key_conflict = conflicts
    res.key_conflicts_landed = bool(conflicts) and spec.key_conflicts == "land"
    drop = "" if not dups and not (conflicts and not res.key_conflicts_landed) else (
        " AND _source_row NOT IN (SELECT source_row FROM qf_drop)"
    )  # fmt: skip

    fields = ", ".join(_q(f.name) for f in spec.stored_fields)
    out = ds_dir / "part-0.parquet"
    got = con.execute(
        f"COPY (SELECT {fields}, _batch_id, _source_row FROM qf_all WHERE _ok{drop}) "
        f"TO {sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)"
    ).fetchone()
    res.rows_loaded = int(got[0]) if got else 0
    res.files[f"{spec.id}/batch={batch_id}"] = ds_dir
    bad = int((con.execute("SELECT count(*) FROM qf_all WHERE NOT _ok").fetchone() or (0,))[0])
    quarantined_conflicts = 0 if res.key_conflicts_landed else conflicts
    res.rows_quarantined = bad + rejects + quarantined_conflicts
    if dups:
        d_dir = staging / "_duplicates"
        d_dir.mkdir(parents=True, exist_ok=True)
        lit_ds, lit_batch, lit_src = lits
        con.execute(
            f"COPY (SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source, "
            "source_row, kept_row FROM qf_dups ORDER BY source_row) TO "
            f"{sql_str(str(d_dir / 'part-0.parquet'))} (FORMAT parquet)"
        )
        res.files[f"_duplicates/batch={batch_id}"] = d_dir
    if res.rows_quarantined:
        lit_ds, lit_batch, lit_src = lits
        head = f"SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source"
        parts = [
            f"{head}, CAST(_source_row AS BIGINT) AS source_row, _err AS rules, "
            "__orig AS original, CAST(NULL AS VARCHAR) AS detail FROM qf_all WHERE NOT _ok"
        ]
        if rejects:
            parts.append(rejects_part(lits))
        if quarantined_conflicts:
            parts.append(
                f"{head}, k.source_row, k.rules, {_raw_json(source)}, k.detail "
                "FROM qf_conflicts k JOIN qf_conf c ON c._source_row = k.source_row"
            )
        write_quarantine(con, source, parts, staging, batch_id, res.rows_quarantined, res)
    _drop_temps(con)
    all_path.unlink()
    return res


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    """Drop this pass's view, lookup arrays and working tables."""
    con.execute("DROP VIEW IF EXISTS qf_all")
    for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND regexp_matches(table_name, "
        "'^qf_(arr_|t2s_|dups$|drop$|conflicts$|conf$|rowline$|rej$)')"
    ).fetchall():
        con.execute(f"DROP TABLE {_q(t)}")


def _raw_json(source: SourceTable) -> str:
    """SQL of a row's original values as JSON text, from the `__raw<i>` columns of `c`."""
    pairs = ", ".join(
        f"{sql_str(h)}, c.{_q('__raw' + str(i))}" for i, h in enumerate(source.headers)
    )
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def _rescan(source: SourceTable) -> str:
    """The source's relation read again, without recording its rejected rows a second time."""
    return source.relation.replace(
        ", store_rejects = true, rejects_table = 'qf_rejects', rejects_scan = 'qf_reject_scans'",
        "",
    )


def _unmatched(con: duckdb.DuckDBPyConnection, vocab: list[str]) -> dict[str, dict[str, int]]:
    """For each vocabulary field: the wordings no entry names, with their row counts."""
    found: dict[str, dict[str, int]] = {}
    for n in vocab:
        col = _q("__w_" + n)
        rows = con.execute(
            f"SELECT {col}, count(*) AS c FROM qf_all WHERE {col} IS NOT NULL GROUP BY 1 "
            f"ORDER BY c DESC, 1 LIMIT {_UNMATCHED_MAX}"
        ).fetchall()
        if rows:
            found[n] = {str(k): int(c) for k, c in rows}
    return found


def _repeats(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    filled: list[str],
) -> tuple[int, int]:
    """(exact duplicates, rows in key conflicts) among the rows that broke no rule.

    Creates `qf_dups(source_row, kept_row)`, `qf_drop(source_row)` (the rows that leave the
    lake) and, for conflicts to quarantine, `qf_conf` and `qf_conflicts`. Cheap first: rows are
    grouped by a 64-bit hash of their key (or of every field for a row without key); only the
    rows whose hash repeats are compared in full, with their original text.
    """
    key = [f for f in spec.unique_key if f in filled]
    fields = [_q(f) for f in filled] or ["_batch_id"]
    keyed = "(" + " OR ".join(f"{_q(f)} IS NOT NULL" for f in key) + ")" if key else "false"
    kh = f"CASE WHEN {keyed} THEN hash({', '.join(_q(f) for f in key) or 'NULL'}) " \
         f"ELSE hash({', '.join(fields)}) END"  # fmt: skip
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_rep AS SELECT * FROM (SELECT _source_row, __rh, "
        f"{kh} AS __h, count(*) OVER (PARTITION BY {kh}) AS __n FROM qf_all WHERE _ok) "
        "WHERE __n > 1"
    )
    if con.execute("SELECT count(*) FROM qf_rep").fetchone() == (0,):
        con.execute("DROP TABLE qf_rep")
        return 0, 0
    # The original text of those rows, read again from the source and found by its hash.
    raw = ", ".join(f"c{i} AS {_q('__raw' + str(i))}" for i in range(len(source.headers)))
    rh = f"hash({', '.join(f'c{i}' for i in range(len(source.headers)))})"
    anys = ", ".join(
        f"any_value({_q('__raw' + str(i))}) AS {_q('__raw' + str(i))}"
        for i in range(len(source.headers))
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_rraw AS SELECT {anys}, __rh FROM (SELECT {raw}, "
        f"{rh} AS __rh FROM {_rescan(source)} WHERE {rh} IN (SELECT __rh FROM qf_rep)) "
        "GROUP BY __rh"
    )
    columns = _columns(spec, mapping, source, filled)
    identity = ", ".join(c.compare for c in columns) or "_batch_id"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_rep2 AS SELECT *, min(_source_row) OVER "
        f"(PARTITION BY {identity}) AS __kept FROM (SELECT a.* EXCLUDE (__rh), {keyed} AS "
        "__keyed, a._source_row AS __rid, r.* EXCLUDE (__rh) FROM qf_all a JOIN qf_rep p "
        "USING (_source_row) JOIN qf_rraw r ON r.__rh = a.__rh)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_dups AS SELECT _source_row AS source_row, "
        "__kept AS kept_row FROM qf_rep2 WHERE _source_row <> __kept"
    )
    dups = int((con.execute("SELECT count(*) FROM qf_dups").fetchone() or (0,))[0])
    drop = "SELECT source_row FROM qf_dups"
    conflicts = 0
    if key:
        keys = ", ".join(_q(f) for f in key)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_conf AS SELECT *, dense_rank() OVER "
            f"(ORDER BY {keys}) AS __grp FROM (SELECT *, count(*) OVER (PARTITION BY {keys}) "
            "AS __n2 FROM qf_rep2 WHERE _source_row = __kept AND __keyed) WHERE __n2 > 1"
        )
        conflicts = int((con.execute("SELECT count(*) FROM qf_conf").fetchone() or (0,))[0])
        if conflicts and spec.key_conflicts != "land":
            describe_conflicts(
                con, "qf_conf", "__grp", [c for c in columns if c.rule_name not in key],
                KEY_CONFLICT,
            )  # fmt: skip
            drop += " UNION ALL SELECT source_row FROM qf_conflicts"
    con.execute(f"CREATE OR REPLACE TEMP TABLE qf_drop AS {drop}")
    for t in ("qf_rep", "qf_rraw", "qf_rep2"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return dups, conflicts
