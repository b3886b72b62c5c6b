"""One source → normalised Parquet + quarantine + duplicates, in DuckDB, ready to publish.

The source is scanned once into a staging table holding the raw text, the normalised values and
the rules each row broke. Three COPY statements then write the standard rows (exact duplicates
collapsed), the quarantined rows (rule + original values) and the removed duplicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from qingfeng.catalogue import DatasetSpec, FieldSpec
from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.normalise import (
    _BLANKS,
    _WS,
    FieldPlan,
    field_plan,
    t2s_convert,
    trad_class,
)
from qingfeng.ingest.readers import SourceTable, sql_str

_BLANK_RE = sql_str("(" + "|".join(re.escape(b) for b in _BLANKS) + ")")
# In bytes: strlen is a constant-time test, while length() counts characters. CASE only runs
# the regex on the rows its first branch leaves.
_BLANK_MAX = max(len(b.encode()) for b in _BLANKS)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sub(template: str, **values: str) -> str:
    # str.format would trip over regex braces in patterns; placeholders are replaced literally.
    for key, val in values.items():
        template = template.replace("{" + key + "}", val)
    return template


class _Layers:
    """Stacked SELECTs: each layer adds columns computed from the previous layer's columns.

    DuckDB expands a macro argument at every use, so an expensive expression is computed in its
    own layer and later layers refer to it by column name: each step runs once per row.
    """

    def __init__(self, source: str, keep: list[str]) -> None:
        self.sql = f"SELECT {', '.join(_q(c) for c in keep)} FROM {source}"
        self.columns = list(keep)

    def add(self, exprs: dict[str, str]) -> None:
        if not exprs:
            return
        new = ", ".join(f"{e} AS {_q(name)}" for name, e in exprs.items())
        self.sql = f"SELECT {', '.join(_q(c) for c in self.columns)}, {new} FROM ({self.sql})"
        self.columns += list(exprs)


def _plans(spec: DatasetSpec, mapping: Mapping, source: SourceTable) -> tuple[dict, dict]:
    """(field -> raw SQL expression, field -> FieldPlan) for the fields this source fills."""
    col_of: dict[str, int] = {}
    for i, h in enumerate(source.headers):
        col_of.setdefault(h, i)
    columns = mapping.field_columns()
    raw_expr: dict[str, str] = {}
    plans: dict[str, FieldPlan] = {}
    for f in spec.stored_fields:
        header = columns.get(f.name)
        if header is not None and header in col_of:
            raw_expr[f.name] = _q(f"c{col_of[header]}")
        elif f.name in mapping.constants:
            raw_expr[f.name] = sql_str(mapping.constants[f.name])
        else:
            continue
        unit = (mapping.units.get(header) if header else None) or f.unit
        mult = 10000 if f.type == "amount" and unit == "wan" else 1
        plans[f.name] = field_plan(f, amount_multiplier=mult)
    return raw_expr, plans


def _trim_sql(expr: str) -> str:
    """Trim whitespace; the costly trim with a character set runs only on values that need it."""
    # Whitespace is ≤ 32, 160 or 12288: one test settles the common case of printable ASCII
    # at both ends; only other values pay for the exact test.
    a, z = f"ascii({expr})", f"ascii(right({expr}, 1))"
    trim = f"trim({expr}, {sql_str(_WS)})"
    return (
        f"CASE WHEN least({a}, {z}) <= 32 THEN {trim} "
        f"WHEN greatest({a}, {z}) < 160 THEN {expr} "
        f"WHEN {a} IN (160, 12288) OR {z} IN (160, 12288) THEN {trim} ELSE {expr} END"
    )


def _add_field_layers(layers: _Layers, plans: dict[str, FieldPlan], raw: dict[str, str]) -> None:
    """Add b__ (blanked), stage, v__ (value) and e__ (rule broken) columns for each field."""
    if not plans:
        return
    layers.add({f"t__{n}": _trim_sql(raw[n]) for n in plans})
    # (An IN list this long becomes a join in DuckDB's plan; a short regex on short values
    # is far cheaper per row.)
    layers.add(
        {
            f"b__{n}": f"CASE WHEN strlen({_q('t__' + n)}) > {_BLANK_MAX} THEN {_q('t__' + n)} "
            f"WHEN regexp_full_match({_q('t__' + n)}, {_BLANK_RE}) THEN NULL "
            f"ELSE {_q('t__' + n)} END"
            for n in plans
        }
    )
    current = {n: "b__" + n for n in plans}
    depth = max((len(p.stages) for p in plans.values()), default=0)
    for level in range(depth):
        exprs: dict[str, str] = {}
        for n, p in plans.items():
            if level < len(p.stages):
                exprs[f"s{level}__{n}"] = _sub(p.stages[level], x=_q(current[n]))
                current[n] = f"s{level}__{n}"
        layers.add(exprs)
    layers.add({f"a__{n}": _sub(p.aux, x=_q(current[n])) for n, p in plans.items() if p.aux})
    aux = {n: _q("a__" + n) if p.aux else "NULL" for n, p in plans.items()}
    layers.add(
        {
            f"v__{n}": _sub(p.value, x=_q(current[n]), b=_q("b__" + n), a=aux[n])
            for n, p in plans.items()
        }
    )
    layers.add(
        {
            f"e__{n}": _sub(p.error, x=_q(current[n]), b=_q("b__" + n), v=_q("v__" + n), a=aux[n])
            for n, p in plans.items()
        }
    )


# Types whose values repeat a lot (dates, periods, amounts, codes, categories): normalised once
# per distinct value and joined back, when the column is low-cardinality.
_DICTIONARY_TYPES = {
    "date", "timestamp", "period", "amount", "decimal", "integer", "division_code", "enum",
    "boolean", "text", "name", "code",
}  # fmt: skip
_DICTIONARY_MAX_SHARE = 0.2
_DICTIONARY_SAMPLE = 20_000


def build_staged(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, mapping: Mapping, source: SourceTable
) -> None:
    """Create TEMP TABLE `staged` (__row, __rid, every stored field, `_err`) beside `qf_raw`.

    The source is first copied into `qf_raw` (its rowid is the source order). Low-cardinality
    columns are normalised per distinct value (`qf_d_<field>`) and joined back; the others are
    normalised row by row in stacked layers.
    """
    raw_cols = [f"c{i}" for i in range(len(source.headers))]
    con.execute(f"CREATE OR REPLACE TEMP TABLE qf_raw AS SELECT * FROM {source.relation}")
    raw_expr, plans = _plans(spec, mapping, source)
    col_fields = {n: e for n, e in raw_expr.items() if e.startswith('"')}
    dict_fields: list[str] = []
    candidates = [n for n in col_fields if spec.field(n).type in _DICTIONARY_TYPES]
    if candidates:
        # Cardinality is judged on the first rows: cheap, and deterministic for a given file.
        got = (
            con.execute(
                "SELECT count(*), "
                + ", ".join(f"count(DISTINCT {col_fields[n]})" for n in candidates)
                + f" FROM (SELECT * FROM qf_raw LIMIT {_DICTIONARY_SAMPLE})"
            ).fetchone()
            or ()
        )
        sampled, ndv = got[0], got[1:]
        dict_fields = [
            n for n, k in zip(candidates, ndv, strict=True) if k <= _DICTIONARY_MAX_SHARE * sampled
        ]
    direct: list[str] = []  # columns whose every distinct value is already clean
    for n in dict_fields:
        layers = _Layers(f"(SELECT DISTINCT {col_fields[n]} AS k FROM qf_raw)", ["k"])
        _add_field_layers(layers, {n: plans[n]}, {n: '"k"'})
        table = _q("qf_d_" + n)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT k, "
            f"{_q('b__' + n)}, {_q('v__' + n)}, {_q('e__' + n)} FROM ({layers.sql})"
        )
        storage = spec.field(n).storage_type
        changed = con.execute(
            f"SELECT count(*) FILTER (WHERE {_q('e__' + n)} IS NOT NULL OR "
            f"TRY_CAST({_q('v__' + n)} AS {storage}) IS DISTINCT FROM TRY_CAST(k AS {storage})) "
            f"FROM {table}"
        ).fetchone()
        if changed and changed[0] == 0:
            direct.append(n)  # a plain cast gives the same result: no join needed
    joined_parts = [
        f"{_q('qf_d_' + n)}.{_q(c + n)}"
        for n in dict_fields
        if n not in direct
        for c in ("b__", "v__", "e__")
    ]
    for n in direct:
        col = f"qf_raw.{col_fields[n]}"
        joined_parts += [
            f"{col} AS {_q('b__' + n)}",
            f"TRY_CAST({col} AS {spec.field(n).storage_type}) AS {_q('v__' + n)}",
            f"CAST(NULL AS VARCHAR) AS {_q('e__' + n)}",
        ]
    joined = ", ".join(joined_parts)
    joins = " ".join(
        f"LEFT JOIN {_q('qf_d_' + n)} ON qf_raw.{col_fields[n]} IS NOT DISTINCT FROM "
        f"{_q('qf_d_' + n)}.k"
        for n in dict_fields
        if n not in direct
    )
    extra = ", " + joined if joined else ""
    base = f"(SELECT qf_raw.rowid AS __rid, qf_raw.*{extra} FROM qf_raw {joins})"
    keep = [*raw_cols, "__row", "__rid"] + [
        c + n for n in dict_fields for c in ("b__", "v__", "e__")
    ]
    layers = _Layers(base, keep)
    _add_field_layers(layers, {n: p for n, p in plans.items() if n not in dict_fields}, raw_expr)
    errs = [
        f"CASE WHEN {_q('e__' + n)} IS NOT NULL THEN {sql_str(n + ':')} || {_q('e__' + n)} END"
        for n, p in plans.items()
        if p.error != "NULL"
    ]
    for group in spec.require_one_of:
        present = [g for g in group if g in plans]
        label = sql_str("|".join(group) + ":required_one")
        if present:
            cond = " AND ".join(f"{_q('b__' + g)} IS NULL" for g in present)
            errs.append(f"CASE WHEN {cond} THEN {label} END")
        else:
            errs.append(label)
    vals = [
        f"TRY_CAST({_q('v__' + f.name)} AS {f.storage_type}) AS {_q(f.name)}"
        if f.name in plans
        else f"CAST(NULL AS {f.storage_type}) AS {_q(f.name)}"
        for f in spec.stored_fields
    ]
    err_sql = f"NULLIF(concat_ws(';', {', '.join(errs)}), '')" if errs else "CAST(NULL AS VARCHAR)"
    # _h: a hash of the normalised values (DuckDB lets a SELECT list reuse its own aliases),
    # for finding exact duplicates cheaply.
    hashed = ", ".join(_q(f.name) for f in spec.stored_fields)
    outer = ", ".join(["__row", "__rid", *vals, f"{err_sql} AS _err", f"hash({hashed}) AS _h"])
    # Order is carried by __rid from here on, so DuckDB may write in parallel.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT {outer} FROM ({layers.sql})")
    finally:
        con.execute("SET preserve_insertion_order = true")
    for n in dict_fields:
        con.execute(f"DROP TABLE {_q('qf_d_' + n)}")


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
    build_staged(con, spec, mapping, source)
    row = f"coalesce(staged.__row, staged.__rid + {int(source.row_offset)})"
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
            f"UPDATE staged SET __row = __rid + {int(source.row_offset)} + "
            "(SELECT count(*) FROM qf_rej WHERE qf_rej.gpos <= staged.__rid)"
        )
    for f in spec.stored_fields:
        if f.type == "name" and f.name in mapping.field_columns():
            convert_traditional(con, "staged", f.name)
    total, bad = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE _err IS NOT NULL) FROM staged"
    ).fetchone() or (0, 0)
    res.rows_read = int(total) + rejects
    res.rows_quarantined = int(bad) + rejects
    if res.rows_read == 0 and any(any(str(c).strip() for c in r) for r in source.sample):
        # The sample shows data rows but the reader found none: never report "no rows" then.
        raise IngestError(
            source.name,
            "无法解析数据行（分隔符、引号或换行不一致）/ could not parse the data rows "
            "(inconsistent delimiter, quotes or line endings)",
            row=source.header_row + 1,
        )

    fields = [f.name for f in spec.stored_fields]
    field_list = ", ".join(_q(n) for n in fields)
    ds_dir = staging / spec.id
    ds_dir.mkdir(parents=True, exist_ok=True)
    out = ds_dir / "part-0.parquet"
    # Exact duplicates: rows are first grouped by a 64-bit hash of all fields (cheap); only rows
    # whose hash repeats are compared in full, so a file without duplicates is never grouped.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_dup_hash AS SELECT _h AS h FROM staged "
        "WHERE _err IS NULL GROUP BY _h HAVING count(*) > 1"
    )
    has_dups = (con.execute("SELECT count(*) FROM qf_dup_hash").fetchone() or (0,))[0] > 0
    lit_batch_id = sql_str(batch_id)
    if has_dups:
        select = (
            f"SELECT {field_list}, {lit_batch_id} AS _batch_id, {row} AS _source_row "
            "FROM staged WHERE _err IS NULL AND _h NOT IN (SELECT h FROM qf_dup_hash) "
            f"UNION ALL SELECT {field_list}, {lit_batch_id}, min({row}) FROM staged "
            "WHERE _err IS NULL AND _h IN (SELECT h FROM qf_dup_hash) "
            f"GROUP BY {field_list}"
        )
    else:
        select = (
            f"SELECT {field_list}, {lit_batch_id} AS _batch_id, {row} AS _source_row "
            "FROM staged WHERE _err IS NULL"
        )
    # zstd: measured on 1M bench rows, 7% more CPU than snappy (0.72 vs 0.67 s) for a file a
    # quarter of the size (6.4 vs 24.6 MB); DuckDB's default row groups (122,880 rows) beat
    # 1M-row groups (0.84 s).
    con.execute(f"COPY ({select}) TO {sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)")
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
            "FROM staged JOIN qf_raw ON qf_raw.rowid = staged.__rid WHERE _err IS NOT NULL"
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
            f"(SELECT *, {row} AS r FROM staged WHERE _err IS NULL AND _h IN "
            "(SELECT h FROM qf_dup_hash))) "
            "WHERE source_row <> kept_row ORDER "
            f"BY source_row) TO {sql_str(str(d_out))} (FORMAT parquet)"
        )
        res.files[f"_duplicates/batch={batch_id}"] = d_dir
        assert _count(con, d_out) == res.rows_duplicate
    con.execute("DROP TABLE qf_dup_hash")
    con.execute("DROP TABLE staged")
    con.execute("DROP TABLE qf_raw")
    return res


def convert_traditional(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """Rewrite traditional-character values of one column to simplified, set-wise.

    RE2 finds the values holding a character OpenCC's t2s changes; their distinct set is converted
    character by character with OpenCC's single-character table (never as phrases: 沈厚廣 must
    stay 沈厚广) and joined back, so the cost follows the number of distinct traditional names,
    not the number of rows.
    """
    col, tab = _q(column), _q(table)
    rows = con.execute(
        f"SELECT DISTINCT {col} FROM {tab} WHERE regexp_matches({col}, ?)", [trad_class()]
    ).fetchall()
    if not rows:
        return 0
    src = [str(r[0]) for r in rows]
    dst = t2s_convert(src)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_t2s AS SELECT unnest(?::VARCHAR[]) AS src, "
        "unnest(?::VARCHAR[]) AS dst",
        [src, dst],
    )
    con.execute(f"UPDATE {tab} SET {col} = qf_t2s.dst FROM qf_t2s WHERE {tab}.{col} = qf_t2s.src")
    return len(src)


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


def normalise_values(
    con: duckdb.DuckDBPyConnection,
    field: FieldSpec,
    values: list[str | None],
    *,
    amount_multiplier: int = 1,
) -> list[tuple[object, str | None]]:
    """Normalise a list of raw texts exactly as ingest does; returns (value, broken rule) pairs.

    For checking one record before a payment (screening) and for property tests.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_values AS SELECT i, v FROM "
        "(SELECT unnest(range(len($1))) AS i, unnest($1::VARCHAR[]) AS v)",
        [values],
    )
    plans = {field.name: field_plan(field, amount_multiplier=amount_multiplier)}
    layers = _Layers("qf_values", ["i", "v"])
    _add_field_layers(layers, plans, {field.name: '"v"'})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_values_out AS SELECT i, "
        f"CASE WHEN {_q('e__' + field.name)} IS NULL THEN "
        f"TRY_CAST({_q('v__' + field.name)} AS {field.storage_type}) END AS value, "
        f"{_q('e__' + field.name)} AS error FROM ({layers.sql})"
    )
    if field.type == "name":
        convert_traditional(con, "qf_values_out", "value")
    rows = con.execute("SELECT value, error FROM qf_values_out ORDER BY i").fetchall()
    con.execute("DROP TABLE qf_values")
    con.execute("DROP TABLE qf_values_out")
    return [(r[0], r[1]) for r in rows]
