"""One source → lake, quarantine and duplicates from a single parallel pass over the source.

One COPY reads the source, normalises every field, evaluates every rule and writes every row,
in source order, to `_all.parquet` with its validity (`_ok`), the rules it broke (`_err`) and,
for a failing row only, its original values as JSON. DuckDB keeps insertion order in a parallel
COPY as long as no operator in the statement reorders rows, so the statement holds no join:
traditional characters are converted with `translate()` (only on the values that hold one), and
every field is normalised row by row, the canonical values taking the fast paths. The n-th row
of that file (`file_row_number`) is then the n-th record of the source, whose line is
`n + header line + 1`, or read from the file's lines when records span lines
(qingfeng.ingest.lines).

The lake table and the quarantine are then projections of that file: the lake's files are read
by other stations (the model engine, Spark) as they are, so they hold only the standard rows
and columns. Exact duplicates and key conflicts are found by hashing in the same pass: only the
rows whose key repeats are read from the source again, for their original text.

Files this pass cannot settle alone go to the staged path (qingfeng.ingest.stage): a file that
carries two datasets, a ratio read by its whole column, dates written day/month/year whose
order the whole column decides, and rows the CSV reader rejected whose lines cannot be placed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from qingfeng.catalogue import DatasetSpec
from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.lines import needs_line_scan, record_lines
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.normalise import _RAW_DMY, evidence_query, t2s_pairs, trad_class
from qingfeng.ingest.readers import SourceTable, sql_str
from qingfeng.ingest.repeats import KEY_CONFLICT, _columns, describe_conflicts
from qingfeng.ingest.stage import (
    StageResult,
    _add_field_layers,
    _derived_value,
    _Layers,
    _plans,
    _q,
    _rejects,
    original_json,
    rejects_part,
    write_quarantine,
)

_UNMATCHED_MAX = 50
ALL_ROWS = "_all.parquet"


def eligible(spec: DatasetSpec, mapping: Mapping, source: SourceTable) -> bool:
    """Whether this source can be staged in one pass (see the module's docstring)."""
    if mapping.split is not None:
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


def _pass_sql(
    spec: DatasetSpec, mapping: Mapping, source: SourceTable, batch_id: str
) -> tuple[str, list[str], list[str]]:
    """(the SELECT of every row, the filled fields, the vocabulary fields)."""
    raw_expr, plans = _plans(spec, mapping, source)
    raw_cols = [f"c{i}" for i in range(len(source.headers))]
    keep = [*raw_cols, "__row"]
    layers = _Layers(source.relation, keep)
    # Traditional → simplified, character by character with OpenCC's single-character table,
    # only on the values that hold such a character (the regex is a DFA over the bytes).
    src, dst = t2s_pairs()
    simplified: dict[str, str] = {}
    for n in plans:
        expr = raw_expr[n]
        if spec.field(n).type == "name" and expr.startswith('"') and expr not in simplified:
            simplified[expr] = f"s2__{expr.strip(chr(34))}"
    layers.add(
        {
            col: f"CASE WHEN regexp_matches({expr}, {sql_str(trad_class())}) "
            f"THEN translate({expr}, {sql_str(src)}, {sql_str(dst)}) ELSE {expr} END"
            for expr, col in simplified.items()
        }
    )
    row_raw = {
        n: (_q(simplified[e]) if spec.field(n).type == "name" and e in simplified else e)
        for n, e in raw_expr.items()
    }
    _add_field_layers(layers, plans, row_raw)

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
    sql, filled, vocab = _pass_sql(spec, mapping, source, batch_id)
    # Snappy for a file read once, right after: cheaper to write than zstd.
    got = con.execute(f"COPY ({sql}) TO {sql_str(str(all_path))} (FORMAT parquet)").fetchone()
    total = int(got[0]) if got else 0
    rejects = _rejects(con, source)
    scan = f"read_parquet({sql_str(str(all_path))}, file_row_number = true)"

    def give_up() -> None:
        all_path.unlink(missing_ok=True)
        for t in ("qf_rowline", "qf_rej"):
            con.execute(f"DROP TABLE IF EXISTS {t}")

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
    con.execute(f"CREATE OR REPLACE TEMP VIEW qf_all AS SELECT * FROM {rows}")
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
    for t in ("qf_dups", "qf_drop", "qf_conflicts", "qf_conf", "qf_rowline", "qf_rej"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.execute("DROP VIEW qf_all")
    all_path.unlink()
    return res


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
