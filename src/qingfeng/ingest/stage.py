"""One source → normalised Parquet + quarantine + duplicates, in DuckDB, ready to publish.

The source is scanned once into a staging table holding the raw text, the normalised values and
the rules each row broke. Three COPY statements then write the standard rows (exact duplicates
collapsed), the quarantined rows (rule + original values) and the removed duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from qingfeng.catalogue import DatasetSpec
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.normalise import field_plan
from qingfeng.ingest.readers import SourceTable, sql_str


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sub(template: str, **values: str) -> str:
    # str.format would trip over regex braces in patterns; placeholders are replaced literally.
    for key, val in values.items():
        template = template.replace("{" + key + "}", val)
    return template


def staging_select(spec: DatasetSpec, mapping: Mapping, source: SourceTable) -> str:
    """SELECT producing raw columns, __row, every stored field and `_err` for each source row."""
    col_of: dict[str, int] = {}
    for i, h in enumerate(source.headers):
        col_of.setdefault(h, i)
    raw_cols = [f"c{i}" for i in range(len(source.headers))]
    fields = spec.stored_fields
    raw_expr: dict[str, str] = {}
    for f in fields:
        header = mapping.field_columns().get(f.name)
        if header is not None and header in col_of:
            raw_expr[f.name] = f"c{col_of[header]}"
        elif f.name in mapping.constants:
            raw_expr[f.name] = sql_str(mapping.constants[f.name])
    plans = {}
    for f in fields:
        if f.name in raw_expr:
            mult = 1
            header = mapping.field_columns().get(f.name)
            unit = (mapping.units.get(header) if header else None) or f.unit
            if f.type == "amount" and unit == "wan":
                mult = 10000
            plans[f.name] = field_plan(f, amount_multiplier=mult)
    # Layer 0: blanks removed.
    keep = [*raw_cols, "__row"]
    layer0 = ", ".join([*keep, *(f"qf_blank({raw_expr[n]}) AS {_q('b__' + n)}" for n in plans)])
    sql = f"SELECT {layer0} FROM {source.relation}"
    current = {n: "b__" + n for n in plans}
    depth = max((len(p.stages) for p in plans.values()), default=0)
    carried = keep + [f"b__{n}" for n in plans]
    for level in range(depth):
        exprs = []
        for n, p in plans.items():
            if level < len(p.stages):
                col = f"s{level}__{n}"
                exprs.append(f"{_sub(p.stages[level], x=_q(current[n]))} AS {_q(col)}")
                current[n] = col
                carried.append(col)
        # Only the columns later layers use are carried forward.
        prev_cols = [c for c in carried if not any(e.endswith(f"AS {_q(c)}") for e in exprs)]
        sql = f"SELECT {', '.join(_q(c) for c in prev_cols)}, {', '.join(exprs)} FROM ({sql})"
    # Final layer: values and errors.
    vals: list[str] = []
    errs: list[str] = []
    for f in fields:
        if f.name not in plans:
            vals.append(f"CAST(NULL AS {f.storage_type}) AS {_q(f.name)}")
            continue
        p = plans[f.name]
        x, b = _q(current[f.name]), _q("b__" + f.name)
        value = _sub(p.value, x=x, b=b)
        vals.append(f"TRY_CAST({value} AS {f.storage_type}) AS {_q(f.name)}")
        if p.error != "NULL":
            err = _sub(p.error, x=x, b=b, v=f"({value})")
            errs.append(
                f"CASE WHEN ({err}) IS NOT NULL THEN {sql_str(f.name + ':')} || ({err}) END"
            )
    for group in spec.require_one_of:
        present = [g for g in group if g in plans]
        label = sql_str("|".join(group) + ":required_one")
        if present:
            cond = " AND ".join(f"{_q('b__' + g)} IS NULL" for g in present)
            errs.append(f"CASE WHEN {cond} THEN {label} END")
        else:
            errs.append(label)
    err_sql = f"NULLIF(concat_ws(';', {', '.join(errs)}), '')" if errs else "CAST(NULL AS VARCHAR)"
    outer = ", ".join([*(_q(c) for c in keep), *vals, f"{err_sql} AS _err"])
    return f"SELECT {outer} FROM ({sql})"


@dataclass
class StageResult:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # lake-relative dir -> staged dir


def run_stage(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    *,
    batch_id: str,
    staging: Path,
) -> StageResult:
    """Normalise one source and write its three outputs under `staging`."""
    res = StageResult()
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {staging_select(spec, mapping, source)}")
    row = f"coalesce(__row, rowid + {int(source.row_offset)})"
    rejects = _rejects(con, source)
    if rejects:
        # Rejected CSV lines shift the numbering of the rows after them.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_rej AS SELECT line, "
            f"line - {int(source.row_offset)} - (row_number() OVER (ORDER BY line) - 1) AS gpos, "
            "csv_line, error_type FROM (SELECT line, any_value(csv_line) AS csv_line, "
            "any_value(error_type) AS error_type FROM qf_rejects GROUP BY line)"
        )
        con.execute(
            f"UPDATE staged SET __row = rowid + {int(source.row_offset)} + "
            "(SELECT count(*) FROM qf_rej WHERE qf_rej.gpos <= staged.rowid)"
        )
    total, bad = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE _err IS NOT NULL) FROM staged"
    ).fetchone() or (0, 0)
    res.rows_read = int(total) + rejects
    res.rows_quarantined = int(bad) + rejects

    fields = [f.name for f in spec.stored_fields]
    field_list = ", ".join(_q(n) for n in fields)
    ds_dir = staging / spec.id
    ds_dir.mkdir(parents=True, exist_ok=True)
    out = ds_dir / "part-0.parquet"
    con.execute(
        f"COPY (SELECT {field_list}, {sql_str(batch_id)} AS _batch_id, "
        f"min({row}) AS _source_row FROM staged WHERE _err IS NULL GROUP BY ALL "
        f"ORDER BY _source_row) TO {sql_str(str(out))} (FORMAT parquet)"
    )
    res.files[f"{spec.id}/batch={batch_id}"] = ds_dir
    res.rows_loaded = _count(con, out)
    res.rows_duplicate = int(total) - int(bad) - res.rows_loaded

    lit_ds, lit_batch, lit_src = sql_str(spec.id), sql_str(batch_id), sql_str(source.name)
    if res.rows_quarantined:
        original = (
            "json_object("
            + ", ".join(f"{sql_str(h)}, c{i}" for i, h in enumerate(source.headers))
            + ")"
        )
        parts = [
            f"SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source, "
            f"CAST({row} AS BIGINT) AS source_row, "
            f"_err AS rules, CAST({original} AS VARCHAR) AS original "
            "FROM staged WHERE _err IS NOT NULL"
        ]
        if rejects:
            parts.append(
                f"SELECT {lit_ds}, {lit_batch}, "
                f"{lit_src}, CAST(line AS BIGINT), 'row:malformed_row', "
                "CAST(json_object('line', csv_line, 'error', error_type) AS VARCHAR) FROM qf_rej"
            )
        q_dir = staging / "_quarantine"
        q_dir.mkdir(parents=True, exist_ok=True)
        q_out = q_dir / "part-0.parquet"
        con.execute(
            f"COPY ({' UNION ALL '.join(parts)} ORDER BY source_row) TO {sql_str(str(q_out))} "
            "(FORMAT parquet)"
        )
        res.files[f"_quarantine/batch={batch_id}"] = q_dir
        rules = con.execute(
            f"SELECT r, count(*) FROM (SELECT unnest(string_split(rules, ';')) AS r "
            f"FROM read_parquet({sql_str(str(q_out))})) GROUP BY r ORDER BY r"
        ).fetchall()
        res.rules = {str(r): int(n) for r, n in rules}
        assert _count(con, q_out) == res.rows_quarantined
    if res.rows_duplicate:
        d_dir = staging / "_duplicates"
        d_dir.mkdir(parents=True, exist_ok=True)
        d_out = d_dir / "part-0.parquet"
        con.execute(
            f"COPY (SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source, "
            "source_row, kept_row FROM (SELECT r AS source_row, "
            f"min(r) OVER (PARTITION BY {field_list}) AS kept_row FROM "
            f"(SELECT *, {row} AS r FROM staged WHERE _err IS NULL)) "
            "WHERE source_row <> kept_row ORDER "
            f"BY source_row) TO {sql_str(str(d_out))} (FORMAT parquet)"
        )
        res.files[f"_duplicates/batch={batch_id}"] = d_dir
        assert _count(con, d_out) == res.rows_duplicate
    con.execute("DROP TABLE staged")
    return res


def _count(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    got = con.execute(f"SELECT count(*) FROM read_parquet({sql_str(str(path))})").fetchone()
    return int(got[0]) if got else 0


def _rejects(con: duckdb.DuckDBPyConnection, source: SourceTable) -> int:
    if not source.csv_rejects:
        return 0
    try:
        got = con.execute("SELECT count(DISTINCT line) FROM qf_rejects").fetchone()
    except duckdb.CatalogException:
        return 0
    return int(got[0]) if got else 0
