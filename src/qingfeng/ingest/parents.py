"""The parent side of a file that carries two datasets: its repeated part, de-duplicated.

Every row of a member roster repeats its household's columns. Those columns are normalised for
every row like any dataset's, then grouped by the parent's key (the link): a group whose rows
agree becomes one parent row (its first row's number as `_source_row`; a column left blank on
some rows takes the value the others give), and its other rows are listed in `lake/_duplicates`
with the row kept. A group whose rows give two different values of a column is never guessed:
all its rows go to quarantine, rule `<field>:parent_conflict`, with every row's value in
`detail`. Rows that break a field's rule are quarantined as usual. Every row so ends in exactly
one place, and read = loaded + quarantined + duplicates holds for the parent too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from qingfeng.dataspec import DatasetSpec
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.readers import SourceTable, sql_str
from qingfeng.ingest.repeats import Column, describe_conflicts
from qingfeng.ingest.stage import (
    StageResult,
    _count,
    _fields_sql,
    _plans,
    _q,
    original_json,
    raw_of,
    rejects_part,
    write_quarantine,
)

PARENT_CONFLICT = "parent_conflict"


def stage_parent(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    *,
    batch_id: str,
    staging: Path,
    total: int,
    rejects: int,
) -> StageResult:
    """Stage the parent dataset of the rows in `qf_raw` under `staging`."""
    res = StageResult(rows_read=total + rejects)
    fields_sql = _fields_sql(con, spec, mapping, source, res.inferred)
    filled = [f.name for f in spec.stored_fields if f.name in _plans(spec, mapping, source)[1]]
    key = list(spec.unique_key)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_prow AS SELECT __src_row AS _source_row, __rid, "
        f"{', '.join(_q(f) for f in filled)}, _err, _ok FROM ({fields_sql('true')})"
    )
    headers = {f: h for h, f in mapping.columns.items() if f}
    others = [f for f in filled if f not in key and f in headers]
    col_of = {h: i for i, h in reversed(list(enumerate(source.headers)))}
    keys = ", ".join(_q(f) for f in key)
    # A group conflicts when one of its columns has two different (non-blank) values.
    differs = " OR ".join(f"count(DISTINCT {_q(f)}) > 1" for f in others) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE qf_pgrp AS WITH g AS (SELECT {keys}, {differs} AS "
        "__conflict, row_number() OVER () AS __grp FROM qf_prow WHERE _ok "
        f"GROUP BY {keys}) SELECT p.*, r.* EXCLUDE (__row), g.__conflict, g.__grp "
        f"FROM qf_prow p JOIN qf_raw r ON r.rowid = p.__rid JOIN g USING ({keys}) WHERE p._ok"
    )
    n_conflict = int(
        (con.execute("SELECT count(*) FROM qf_pgrp WHERE __conflict").fetchone() or (0,))[0]
    )
    lit_ds, lit_batch, lit_src = sql_str(spec.id), sql_str(batch_id), sql_str(source.name)

    # One row per agreeing group: its first row's number, each column's one value.
    ds_dir = staging / spec.id
    ds_dir.mkdir(parents=True, exist_ok=True)
    out = ds_dir / "part-0.parquet"
    values = ", ".join(
        f"{_q(f.name)}" if f.name in key
        else f"max({_q(f.name)}) AS {_q(f.name)}" if f.name in filled
        else f"CAST(NULL AS {f.storage_type}) AS {_q(f.name)}"
        for f in spec.stored_fields
    )  # fmt: skip
    con.execute(
        f"COPY (SELECT {values}, {lit_batch} AS _batch_id, min(_source_row) AS _source_row "
        f"FROM qf_pgrp WHERE NOT __conflict GROUP BY {keys} ORDER BY _source_row) "
        f"TO {sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)"
    )
    res.rows_loaded = _count(con, out)
    res.files[f"{spec.id}/batch={batch_id}"] = ds_dir

    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_pdup AS SELECT _source_row AS source_row, kept_row "
        f"FROM (SELECT _source_row, min(_source_row) OVER (PARTITION BY {keys}) AS kept_row "
        "FROM qf_pgrp WHERE NOT __conflict) WHERE _source_row <> kept_row"
    )
    res.rows_duplicate = int((con.execute("SELECT count(*) FROM qf_pdup").fetchone() or (0,))[0])
    if res.rows_duplicate:
        d_dir = staging / "_duplicates"
        d_dir.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source, "
            "source_row, kept_row FROM qf_pdup ORDER BY source_row) TO "
            f"{sql_str(str(d_dir / 'part-0.parquet'))} (FORMAT parquet)"
        )
        res.files[f"_duplicates/batch={batch_id}"] = d_dir

    n_bad = int((con.execute("SELECT count(*) FROM qf_prow WHERE NOT _ok").fetchone() or (0,))[0])
    res.rows_key_conflict = n_conflict
    res.rows_quarantined = n_bad + rejects + n_conflict
    if res.rows_quarantined:
        head = f"SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source"
        parts = [
            f"{head}, CAST(p._source_row AS BIGINT) AS source_row, p._err AS rules, "
            f"{original_json(source)} AS original, CAST(NULL AS VARCHAR) AS detail "
            "FROM qf_prow p JOIN qf_raw ON qf_raw.rowid = p.__rid WHERE NOT p._ok"
        ]
        if rejects:
            parts.append(rejects_part((lit_ds, lit_batch, lit_src)))
        if n_conflict:
            columns = [Column(f, headers[f], _q(f), _q(f"c{col_of[headers[f]]}")) for f in others]
            con.execute(
                "CREATE OR REPLACE TEMP TABLE qf_pconf AS SELECT * FROM qf_pgrp WHERE __conflict"
            )
            table = describe_conflicts(con, "qf_pconf", "__grp", columns, PARENT_CONFLICT)
            parts.append(
                f"{head}, k.source_row, k.rules, {original_json(source)}, k.detail "
                f"FROM {table} k JOIN {raw_of(table)} ON qf_raw.__rid = k.__rid"
            )
        write_quarantine(con, source, parts, staging, batch_id, res.rows_quarantined, res)
    for t in ("qf_prow", "qf_pgrp", "qf_pdup", "qf_pconf"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return res
