"""One source → normalised Parquet + quarantine + duplicates, in DuckDB, ready to publish.

The source is scanned once into a staging table holding the raw text, the normalised values and
the rules each row broke. Three COPY statements then write the standard rows (exact duplicates
collapsed), the quarantined rows (rule + original values) and the removed duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from qingfeng.dataspec import DatasetSpec, FieldSpec
from qingfeng.ingest.enum_evidence import infer_values, read_wordings
from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.lines import needs_line_scan, number_by_lines
from qingfeng.ingest.mapping import Mapping
from qingfeng.ingest.readers import SourceTable, sql_str
from qingfeng.ingest.repeats import key_candidates, settle_repeats
from qingfeng.normalise import (
    _BLANKS,
    _WS,
    ColumnEvidence,
    FieldPlan,
    _enum_value,
    evidence_from,
    evidence_query,
    field_plan,
    t2s_convert,
    trad_class,
)

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
    for f in spec.derived_fields:
        src = f.derive_from
        if f.name in plans or src not in raw_expr or _derived_value(spec, f, plans):
            continue
        # No column of its own: the field reads the column of the field it derives from
        # (a subsidy code from the subsidy type's wording).
        raw_expr[f.name] = raw_expr[str(src)]
        plans[f.name] = field_plan(f)
    return raw_expr, plans


def _derived_value(spec: DatasetSpec, f: FieldSpec, plans: dict[str, FieldPlan]) -> str | None:
    """SQL over the normalised columns for a field derived from another field's value.

    A period (YYYY-MM) the file does not give is the month of its date field (the pay date):
    taken from the normalised date, so every date form the date field accepts works.
    """
    if f.name in plans or not f.derive_from or f.derive_from not in plans:
        return None
    src = spec.field(f.derive_from)
    if f.type == "period" and src.type in ("date", "timestamp"):
        return f"strftime(TRY_CAST({_q('v__' + src.name)} AS DATE), '%Y-%m')"
    return None


def _with_evidence(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    raw_expr: dict[str, str],
    plans: dict[str, FieldPlan],
    inferred: dict[str, dict[str, str]] | None = None,
) -> dict[str, FieldPlan]:
    """Plans of the fields whose values need their whole column to be read (day/month order,
    ratios written with and without %, enum wordings no spelling names), settled by one small
    query per such column. `inferred` collects field -> wording -> "value (rule)"."""
    out = dict(plans)
    for n in plans:
        expr = raw_expr[n]
        f = spec.field(n)
        if f.type == "enum" and f.vocabulary is None and expr.startswith('"'):
            settled = _enum_wordings(con, spec, f, raw_expr)
            if settled:
                out[n] = field_plan(
                    f,
                    evidence=ColumnEvidence(
                        inferred=tuple(sorted((k, v) for k, (v, _) in settled.items()))
                    ),
                )
                if inferred is not None:
                    inferred[n] = {k: f"{v} ({rule})" for k, (v, rule) in settled.items()}
            continue
        query = evidence_query(f, expr, "qf_raw") if expr.startswith('"') else None
        if query is None:
            continue
        cur = con.execute(query)
        names = [d[0] for d in cur.description or []]
        evidence = evidence_from(f, dict(zip(names, cur.fetchone() or (), strict=False)))
        if evidence != ColumnEvidence():
            out[n] = field_plan(f, evidence=evidence)
    return out


def _enum_wordings(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, f: FieldSpec, raw_expr: dict[str, str]
) -> dict[str, tuple[str, str]]:
    implying = {
        other: raw_expr[other]
        for other in [*f.implied_by.values(), *f.implied_by_empty.values()]
        if other in raw_expr and raw_expr[other].startswith('"')
    }
    wordings = read_wordings(con, f, raw_expr[f.name], implying, _enum_value(f), "qf_raw")
    return infer_values(f, wordings)


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


def _add_field_layers(
    layers: _Layers, plans: dict[str, FieldPlan], raw: dict[str, str], *, fast_paths: bool = True
) -> None:
    """Add b__ (blanked), stage, v__ (value) and e__ (rule broken) columns for each field.

    A field with a fast path first gets f__ (the raw value is already canonical); every later
    column of such a row is a plain reference, so only the other rows pay for the cleaning.
    """
    if not plans:
        return
    fast = {n: p for n, p in plans.items() if p.fast and fast_paths} if fast_paths else {}
    layers.add(
        {f"f__{n}": f"regexp_full_match({raw[n]}, {sql_str(str(p.fast))})" for n, p in fast.items()}
    )

    def skip(n: str, expr: str, fast_expr: str) -> str:
        """expr, or fast_expr on the rows of field n that took the fast path."""
        if n not in fast:
            return expr
        return f"CASE WHEN {_q('f__' + n)} THEN {fast_expr} ELSE {expr} END"

    layers.add({f"t__{n}": skip(n, _trim_sql(raw[n]), raw[n]) for n in plans})
    # (An IN list this long becomes a join in DuckDB's plan; a short regex on short values
    # is far cheaper per row.)
    layers.add(
        {
            f"b__{n}": skip(
                n,
                f"CASE WHEN strlen({_q('t__' + n)}) > {_BLANK_MAX} THEN {_q('t__' + n)} "
                f"WHEN regexp_full_match({_q('t__' + n)}, {_BLANK_RE}) THEN NULL "
                f"ELSE {_q('t__' + n)} END",
                _q("t__" + n),
            )
            for n in plans
        }
    )
    current = {n: "b__" + n for n in plans}
    depth = max((len(p.stages) for p in plans.values()), default=0)
    for level in range(depth):
        exprs: dict[str, str] = {}
        for n, p in plans.items():
            if level < len(p.stages):
                prev = _q(current[n])
                exprs[f"s{level}__{n}"] = skip(n, _sub(p.stages[level], x=prev), prev)
                current[n] = f"s{level}__{n}"
        layers.add(exprs)
    layers.add(
        {
            f"a__{n}": skip(
                n, _sub(p.aux, x=_q(current[n])), _sub(p.fast_aux or p.aux, x=_q(current[n]))
            )
            for n, p in plans.items()
            if p.aux
        }
    )
    aux = {n: _q("a__" + n) if p.aux else "NULL" for n, p in plans.items()}

    def fill(n: str, template: str, fast_template: str | None, **extra: str) -> str:
        values = {"x": _q(current[n]), "b": _q("b__" + n), "a": aux[n], **extra}
        return skip(n, _sub(template, **values), _sub(fast_template or template, **values))

    layers.add({f"v__{n}": fill(n, p.value, p.fast_value) for n, p in plans.items()})
    layers.add(
        {f"e__{n}": fill(n, p.error, p.fast_error, v=_q("v__" + n)) for n, p in plans.items()}
    )


# Types whose values repeat a lot (dates, periods, amounts, codes, categories): normalised once
# per distinct value and joined back, when the column is low-cardinality.
_DICTIONARY_TYPES = {
    "date", "timestamp", "period", "amount", "decimal", "integer", "division_code", "enum",
    "boolean", "text", "name", "code",
}  # fmt: skip
_DICTIONARY_MAX_SHARE = 0.2
_DICTIONARY_SAMPLE = 20_000


def _fields_sql(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    inferred: dict[str, dict[str, str]] | None = None,
) -> Callable[[str], str]:
    """Prepare the lookup tables of one source in `qf_raw`; return `sql(where)`.

    `sql(where)` is a SELECT over the `qf_raw` rows matching `where` giving `__src_row`, every
    stored field normalised, `_err` (the rules the row broke, NULL for a good row) and `_ok`.
    Low-cardinality columns are normalised once per distinct value (`qf_d_<field>`) and joined
    back; traditional characters in names are looked up in `qf_t2s_<column>`; everything else
    is normalised row by row in stacked layers.
    """
    raw_cols = [f"c{i}" for i in range(len(source.headers))]
    raw_expr, plans = _plans(spec, mapping, source)
    plans = _with_evidence(con, spec, raw_expr, plans, inferred)
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
    # Traditional → simplified, on the raw text (conversion is per character and commutes with
    # the rest of name cleaning); the original stays in qf_raw for the quarantine.
    replaced: dict[str, str] = {}
    t2s_joins = []
    dict_t2s: dict[str, str] = {}
    for n in plans:
        if spec.field(n).type == "name" and n in col_fields:
            col = col_fields[n]
            table = _q("qf_t2s_" + col.strip('"'))
            # A low-cardinality column is scanned per distinct value, not per row.
            scanned = f"(SELECT DISTINCT {col} FROM qf_raw)" if n in dict_fields else "qf_raw"
            if not convert_traditional(con, scanned, col.strip('"'), into=table.strip('"')):
                continue
            if n in dict_fields:
                dict_t2s[n] = table  # applied to the distinct values only
            else:
                replaced[col] = f"coalesce({table}.dst, qf_raw.{col})"
                t2s_joins.append(f"LEFT JOIN {table} ON qf_raw.{col} = {table}.src")
    raw_select = ", ".join(
        [f"{replaced.get(_q(c), 'qf_raw.' + _q(c))} AS {_q(c)}" for c in raw_cols]
        + ["qf_raw.__row", "qf_raw.rowid AS __rid"]
    )

    def raw_rows(where: str) -> str:
        return f"(SELECT {raw_select} FROM qf_raw {' '.join(t2s_joins)} WHERE {where})"

    direct: list[str] = []  # columns whose every distinct value is already clean
    for n in dict_fields:
        distinct = f"(SELECT DISTINCT {col_fields[n]} AS k FROM qf_raw)"
        if n in dict_t2s:
            t2s = dict_t2s[n]
            distinct = (
                f"(SELECT k, coalesce({t2s}.dst, k) AS kc FROM {distinct} "
                f"LEFT JOIN {t2s} ON k = {t2s}.src)"
            )
        layers = _Layers(distinct, ["k", "kc"] if n in dict_t2s else ["k"])
        _add_field_layers(layers, {n: plans[n]}, {n: '"kc"' if n in dict_t2s else '"k"'})
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
        col = f"r.{col_fields[n]}"
        joined_parts += [
            f"{col} AS {_q('b__' + n)}",
            f"TRY_CAST({col} AS {spec.field(n).storage_type}) AS {_q('v__' + n)}",
            f"CAST(NULL AS VARCHAR) AS {_q('e__' + n)}",
        ]
    extra = "".join(", " + p for p in joined_parts)
    joins = " ".join(
        f"LEFT JOIN {_q('qf_d_' + n)} ON r.{col_fields[n]} IS NOT DISTINCT FROM {_q('qf_d_' + n)}.k"
        for n in dict_fields
        if n not in direct
    )
    keep = [*raw_cols, "__row", "__rid"] + [
        c + n for n in dict_fields for c in ("b__", "v__", "e__")
    ]
    row_plans = {n: p for n, p in plans.items() if n not in dict_fields}
    errs = [
        f"CASE WHEN {_q('e__' + n)} IS NOT NULL THEN {sql_str(n + ':')} || {_q('e__' + n)} END"
        for n, p in plans.items()
        if p.error != "NULL"
    ]
    error_cols = [_q("e__" + n) for n, p in plans.items() if p.error != "NULL"]
    for group in spec.require_one_of:
        present = [g for g in group if g in plans]
        label = sql_str("|".join(group) + ":required_one")
        if present:
            cond = " AND ".join(f"{_q('b__' + g)} IS NULL" for g in present)
            errs.append(f"CASE WHEN {cond} THEN {label} END")
        else:
            errs.append(label)
    err_sql = "CAST(NULL AS VARCHAR)"
    if errs:
        err_sql = f"NULLIF(concat_ws(';', {', '.join(errs)}), '')"
        if len(errs) == len(error_cols):
            # Nearly every row breaks no rule: testing the error columns for NULL spares the
            # string building on those rows.
            none = " AND ".join(c + " IS NULL" for c in error_cols)
            err_sql = f"CASE WHEN {none} THEN NULL ELSE {err_sql} END"
    derived = {f.name: _derived_value(spec, f, plans) for f in spec.derived_fields}
    vals = [
        f"TRY_CAST({_q('v__' + f.name)} AS {f.storage_type}) AS {_q(f.name)}"
        if f.name in plans
        else f"CAST({derived[f.name]} AS {f.storage_type}) AS {_q(f.name)}"
        if derived.get(f.name)
        else f"CAST(NULL AS {f.storage_type}) AS {_q(f.name)}"
        for f in spec.stored_fields
    ]
    row = f"coalesce(__row, __rid + {int(source.row_offset)})"
    # _ok: the row broke no rule. The good rows are selected on it rather than on _err: DuckDB
    # pushes a filter down by substituting each column's expression, and _err names every
    # error column several times over.
    ok = [c + " IS NULL" for c in error_cols]
    for group in spec.require_one_of:
        present = [g for g in group if g in plans]
        ok.append(
            "(" + " OR ".join(f"{_q('b__' + g)} IS NOT NULL" for g in present) + ")"
            if present
            else "false"
        )
    ok_sql = " AND ".join(ok) or "true"
    outer = ", ".join(
        [f"{row} AS __src_row", "__rid", *vals, f"{err_sql} AS _err", f"{ok_sql} AS _ok"]
    )

    def sql(where: str) -> str:
        base = f"(SELECT r.*{extra} FROM {raw_rows(where)} r {joins})"
        layers = _Layers(base, keep)
        _add_field_layers(layers, row_plans, raw_expr)
        return f"SELECT {outer} FROM ({layers.sql})"

    return sql


@dataclass
class StageResult:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_key_conflict: int = 0  # rows sharing a unique key but differing (quarantined or landed)
    key_conflicts_landed: bool = False
    rules: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # lake-relative dir -> staged dir
    # field -> wording -> rows: wordings no vocabulary entry names (kept, code left NULL)
    unmatched: dict[str, dict[str, int]] = field(default_factory=dict)
    # field -> wording -> "value (rule)": enum wordings the column's evidence settled
    inferred: dict[str, dict[str, str]] = field(default_factory=dict)
    # The parent dataset the same file also carries (its repeated part, de-duplicated).
    split: StageResult | None = None


def run_stage(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    *,
    batch_id: str,
    staging: Path,
    split_batch_id: str | None = None,
) -> StageResult:
    """Normalise one source and write its three outputs under `staging`.

    The source is copied once into `qf_raw` (its rowid is the source order). The good rows are
    normalised and written to Parquet in one pass, never materialised in between. The rows
    missing from that file broke a rule: only they are normalised again, to name the rules.
    Rows whose unique key repeats as written are kept apart from that file and normalised with
    the failing rows; exact duplicates and key conflicts are then settled (qingfeng.ingest.
    repeats): the main file is rewritten only in the rare case that it holds some of them.

    With `mapping.split` (and `split_batch_id`), the same rows are then staged a second time for
    the parent dataset, de-duplicated by its key (qingfeng.ingest.parents): `result.split`.
    """
    from qingfeng.ingest import onepass

    if onepass.eligible(spec, mapping, source):
        done = onepass.stage_one_pass(
            con, spec, mapping, source, batch_id=batch_id, staging=staging
        )
        if done is not None:
            return done
        con.execute("DROP TABLE IF EXISTS qf_rejects")  # the staged path reads the file again
    con.execute(f"CREATE OR REPLACE TEMP TABLE qf_raw AS SELECT * FROM {source.relation}")
    rejects = _rejects(con, source)
    total = int((con.execute("SELECT count(*) FROM qf_raw").fetchone() or (0,))[0])
    # Quoted line breaks or blank lines: each record's line is read from the file's lines.
    exact = needs_line_scan(source, total + rejects) and number_by_lines(
        con, source, total, rejects
    )
    if rejects and not exact:
        # Rejected CSV lines shift the numbering of the rows after them.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_rej AS SELECT line, "
            f"line - {int(source.row_offset)} - (row_number() OVER (ORDER BY line) - 1) AS gpos, "
            "csv_line, error_type FROM (SELECT line, any_value(csv_line) AS csv_line, "
            "any_value(error_type) AS error_type FROM qf_rejects GROUP BY line)"
        )
        con.execute(
            f"UPDATE qf_raw SET __row = rowid + {int(source.row_offset)} + "
            "(SELECT count(*) FROM qf_rej WHERE qf_rej.gpos <= qf_raw.rowid)"
        )
    if total + rejects == 0 and any(any(str(c).strip() for c in r) for r in source.sample):
        # The sample shows data rows but the reader found none: never report "no rows" then.
        raise IngestError(
            source.name,
            "无法解析数据行（分隔符、引号或换行不一致）/ could not parse the data rows "
            "(inconsistent delimiter, quotes or line endings)",
            row=source.header_row + 1,
        )
    res = _stage_rows(con, spec, mapping, source, batch_id, staging, total, rejects)
    _drop_lookups(con)
    if mapping.split is not None and split_batch_id is not None:
        from qingfeng.dataspec import get_dataset
        from qingfeng.ingest.parents import stage_parent

        res.split = stage_parent(
            con,
            get_dataset(mapping.split.dataset),
            mapping.split,
            source,
            batch_id=split_batch_id,
            staging=staging.parent / split_batch_id,
            total=total,
            rejects=rejects,
        )
        _drop_lookups(con)
    for n in ("qf_bad", "qf_rest", "qf_rej", "qf_raw", "qf_conflicts", "qf_cand"):
        con.execute(f"DROP TABLE IF EXISTS {n}")
    return res


def _drop_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the per-source lookup tables (distinct values, traditional → simplified)."""
    for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary "
        "AND regexp_matches(table_name, '^qf_(d|t2s)_')"
    ).fetchall():
        con.execute(f"DROP TABLE {_q(t)}")


def original_json(source: SourceTable, table: str = "qf_raw") -> str:
    """SQL of a row's original values as JSON text, keyed by header."""
    pairs = ", ".join(f"{sql_str(h)}, {table}.c{i}" for i, h in enumerate(source.headers))
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def raw_of(table: str) -> str:
    """The rows of qf_raw named by `table.__rid`, as `qf_raw` (with `__rid`): a filter on rowid
    reads only those rows, where a join would read every column of every row."""
    return (
        f"(SELECT *, rowid AS __rid FROM qf_raw WHERE rowid IN (SELECT __rid FROM {table})) qf_raw"
    )


def rejects_part(lits: tuple[str, str, str]) -> str:
    """The quarantine rows of the CSV lines the reader rejected (malformed rows)."""
    lit_ds, lit_batch, lit_src = lits
    return (
        f"SELECT {lit_ds}, {lit_batch}, {lit_src}, CAST(line AS BIGINT), 'row:malformed_row', "
        "CAST(json_object('line', csv_line, 'error', error_type) AS VARCHAR), "
        "CAST(NULL AS VARCHAR) FROM qf_rej"
    )


def write_quarantine(
    con: duckdb.DuckDBPyConnection, source: SourceTable, parts: list[str], staging: Path,
    batch_id: str, expected: int, res: StageResult,
) -> None:  # fmt: skip
    """Write the quarantine (dataset, _batch_id, source, source_row, rules, original, detail)
    from `parts` (SELECTs of those columns), count its rules, and check its size."""
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
    if _count(con, q_out) != expected or con.execute(
        f"SELECT count(*) FROM read_parquet({sql_str(str(q_out))}) WHERE rules IS NULL"
    ).fetchone() != (0,):  # a bug, never bad input: refuse to publish
        raise IngestError(source.name, "隔离行核对失败 / quarantine does not reconcile")


def _stage_rows(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    mapping: Mapping,
    source: SourceTable,
    batch_id: str,
    staging: Path,
    total: int,
    rejects: int,
) -> StageResult:
    res = StageResult(rows_read=total + rejects)
    fields_sql = _fields_sql(con, spec, mapping, source, res.inferred)
    res.unmatched = _unmatched_wordings(con, spec, mapping, source)

    fields = [f.name for f in spec.stored_fields]
    field_list = ", ".join(_q(n) for n in fields)
    lit_batch_id = sql_str(batch_id)
    ds_dir = staging / spec.id
    ds_dir.mkdir(parents=True, exist_ok=True)
    out = ds_dir / "part-0.parquet"
    # zstd: measured on 1M bench rows, 7% more CPU than snappy (0.72 vs 0.67 s) for a file a
    # quarter of the size (6.4 vs 24.6 MB); DuckDB's default row groups (122,880 rows) beat
    # 1M-row groups (0.84 s).
    cand = key_candidates(con, spec, mapping, source)
    outs = [out]
    # Rows whose key repeats as written are kept apart: normalised below with the rows that
    # broke a rule (one statement for both) and written to a small second file.
    where = "qf_raw.rowid NOT IN (SELECT rid FROM qf_cand)" if cand else "true"
    written = con.execute(
        f"COPY (SELECT {field_list}, {lit_batch_id} AS _batch_id, __src_row AS _source_row "
        f"FROM ({fields_sql(where)}) WHERE _ok) TO {sql_str(str(out))} "
        "(FORMAT parquet, COMPRESSION zstd)"
    ).fetchone()
    n_good = int(written[0]) if written else _count(con, out)
    res.files[f"{spec.id}/batch={batch_id}"] = ds_dir

    lits = (sql_str(spec.id), sql_str(batch_id), sql_str(source.name))
    if total > n_good:
        # The rows that broke a rule (and those kept apart) are the rows of qf_raw missing from
        # the good file: only they are normalised again.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_bad AS SELECT rowid AS rid FROM qf_raw "
            f"WHERE coalesce(__row, rowid + {int(source.row_offset)}) NOT IN "
            f"(SELECT _source_row FROM read_parquet({sql_str(str(out))}))"
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE qf_bad (rid BIGINT)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_rest AS "
        + fields_sql("qf_raw.rowid IN (SELECT rid FROM qf_bad)")
    )
    if cand:
        outs.append(ds_dir / "part-1.parquet")
        got = con.execute(
            f"COPY (SELECT {field_list}, {lit_batch_id} AS _batch_id, __src_row AS _source_row "
            f"FROM qf_rest WHERE _ok ORDER BY __src_row) TO {sql_str(str(outs[1]))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()
        n_good += int(got[0]) if got else _count(con, outs[1])

    # (Fields this source leaves empty are NULL on every row and say nothing about repeats.)
    filled = [n for n in fields if n in _plans(spec, mapping, source)[1]]
    repeats = settle_repeats(con, spec, mapping, source, outs, filled, staging, lits)
    if cand and _count(con, outs[1]) == 0:
        outs[1].unlink()
    conflicts_out = repeats.conflicts if repeats.quarantine_table else 0
    res.rows_duplicate = repeats.duplicates
    res.rows_key_conflict, res.key_conflicts_landed = repeats.conflicts, repeats.landed
    if repeats.duplicates:
        res.files[f"_duplicates/batch={batch_id}"] = staging / "_duplicates"
    res.rows_loaded = n_good - repeats.duplicates - conflicts_out
    res.rows_quarantined = total - n_good + rejects + conflicts_out
    if res.rows_quarantined:
        lit_ds, lit_batch, lit_src = lits
        head = f"SELECT {lit_ds} AS dataset, {lit_batch} AS _batch_id, {lit_src} AS source"
        parts = [
            f"{head}, CAST(b.__src_row AS BIGINT) AS source_row, b._err AS rules, "
            f"{original_json(source)} AS original, CAST(NULL AS VARCHAR) AS detail "
            "FROM qf_rest b JOIN qf_raw ON qf_raw.rowid = b.__rid WHERE NOT b._ok"
        ]
        if rejects:
            parts.append(rejects_part(lits))
        if repeats.quarantine_table:
            parts.append(
                f"{head}, k.source_row, k.rules, {original_json(source)}, k.detail "
                f"FROM {repeats.quarantine_table} k JOIN {raw_of(repeats.quarantine_table)} "
                "ON qf_raw.__rid = k.__rid"
            )
        write_quarantine(con, source, parts, staging, batch_id, res.rows_quarantined, res)
    return res


_UNMATCHED_MAX = 50


def _unmatched_wordings(
    con: duckdb.DuckDBPyConnection, spec: DatasetSpec, mapping: Mapping, source: SourceTable
) -> dict[str, dict[str, int]]:
    """For each vocabulary field: the wordings no entry names, with their row counts.

    Judged once per distinct wording (a vocabulary column has few), most frequent first.
    """
    raw_expr, plans = _plans(spec, mapping, source)
    found: dict[str, dict[str, int]] = {}
    for n, plan in plans.items():
        if spec.field(n).vocabulary is None or not raw_expr[n].startswith('"'):
            continue
        layers = _Layers(
            f"(SELECT {raw_expr[n]} AS k, count(*) AS n FROM qf_raw GROUP BY 1)", ["k", "n"]
        )
        _add_field_layers(layers, {n: plan}, {n: '"k"'})
        rows = con.execute(
            f"SELECT k, n FROM ({layers.sql}) WHERE {_q('b__' + n)} IS NOT NULL "
            f"AND {_q('v__' + n)} IS NULL ORDER BY n DESC, k LIMIT {_UNMATCHED_MAX}"
        ).fetchall()
        if rows:
            found[n] = {str(k): int(c) for k, c in rows}
    return found


def convert_traditional(
    con: duckdb.DuckDBPyConnection, table: str, column: str, *, into: str | None = None
) -> int:
    """Traditional-character values of one column → simplified, set-wise; returns how many.

    RE2 finds the values holding a character OpenCC's t2s changes; their distinct set is converted
    character by character with OpenCC's single-character table (never as phrases: 沈厚廣 must
    stay 沈厚广). With `into`, the pairs (src, dst) are left in that table for a join; without,
    the column is rewritten in place. Either way the cost follows the number of distinct
    traditional values, not the number of rows.
    """
    col = _q(column)
    tab = table if table.startswith("(") else _q(table)  # a table, or a subquery to scan
    rows = con.execute(
        f"SELECT DISTINCT {col} FROM {tab} WHERE regexp_matches({col}, ?)", [trad_class()]
    ).fetchall()
    if not rows:
        return 0
    src = [str(r[0]) for r in rows]
    dst = t2s_convert(src)
    pairs = _q(into or "qf_t2s")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {pairs} AS SELECT unnest(?::VARCHAR[]) AS src, "
        "unnest(?::VARCHAR[]) AS dst",
        [src, dst],
    )
    if into is None:
        con.execute(
            f"UPDATE {tab} SET {col} = {pairs}.dst FROM {pairs} WHERE {tab}.{col} = {pairs}.src"
        )
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
    fast_paths: bool = True,
) -> list[tuple[object, str | None]]:
    """Normalise a list of raw texts exactly as ingest does; returns (value, broken rule) pairs.

    For checking one record before a payment (screening) and for property tests; fast_paths=False
    sends every value through the full cleaning (the fast paths must never change a result).
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_values AS SELECT i, v FROM "
        "(SELECT unnest(range(len($1))) AS i, unnest($1::VARCHAR[]) AS v)",
        [values],
    )
    evidence = ColumnEvidence()
    query = evidence_query(field, '"v"', "qf_values")
    if query is not None:
        cur = con.execute(query)
        names = [d[0] for d in cur.description or []]
        evidence = evidence_from(field, dict(zip(names, cur.fetchone() or (), strict=False)))
    plan = field_plan(field, amount_multiplier=amount_multiplier, evidence=evidence)
    plans = {field.name: plan}
    layers = _Layers("qf_values", ["i", "v"])
    _add_field_layers(layers, plans, {field.name: '"v"'}, fast_paths=fast_paths)
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
