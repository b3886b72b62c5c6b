"""Dialects as data, in one place: which SQL constructs a model may use, and per-engine rewrites.

Models are written in DuckDB's SQL. Before rendering for an engine, the syntax tree goes through
the passes listed in `PASSES[dialect]` (pure `Expression -> Expression` functions). Everything that
differs between DuckDB and Spark lives here, and the parity test proves it (shared/DESIGN.md,
"Known traps").
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.time import format_time

DIALECTS = ("duckdb", "spark")

# Syntax-tree node types a model may contain. Anything else is refused at compile time, so a model
# cannot read files (read_parquet), call engine-specific functions that sqlglot passes through
# untranslated, or modify data.
ALLOWED_NODES: frozenset[type[exp.Expr]] = frozenset(
    {
        # query structure
        exp.Select,
        exp.From,
        exp.Join,
        exp.Where,
        exp.Group,
        exp.Having,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.With,
        exp.CTE,
        exp.Subquery,
        exp.Union,
        exp.Intersect,
        exp.Except,
        exp.Table,
        exp.TableAlias,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Distinct,
        exp.Window,
        exp.WindowSpec,
        exp.Exists,
        exp.Tuple,
        exp.Qualify,
        # values
        exp.Literal,
        exp.Boolean,
        exp.Null,
        exp.Placeholder,
        exp.DataType,
        exp.DataTypeParam,
        exp.Interval,
        exp.Var,
        exp.Paren,
        # logic and comparison
        exp.And,
        exp.Or,
        exp.Not,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Case,
        exp.If,
        exp.Coalesce,
        exp.Nullif,
        exp.Greatest,
        exp.Least,
        # arithmetic
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.Mod,
        exp.Neg,
        exp.Abs,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        # casts
        exp.Cast,
        exp.TryCast,
        # aggregates and windows
        exp.Count,
        exp.Sum,
        exp.Min,
        exp.Max,
        exp.Avg,
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.Lag,
        exp.Lead,
        exp.First,
        exp.Last,
        # strings (byte/character semantics checked by the parity test)
        exp.Upper,
        exp.Lower,
        exp.Trim,
        exp.Length,
        exp.Substring,
        exp.Concat,
        exp.DPipe,
        exp.Left,
        exp.Right,
        exp.RegexpLike,
        exp.StrPosition,
        exp.Replace,
        exp.RegexpReplace,  # only with the 'g' flag (checked below)
        exp.RegexpExtract,
        exp.Split,  # string_split / str_split, on a non-empty literal separator
        # hashes: the same hex text on both engines (DuckDB's hash() is not: refused below)
        exp.MD5,
        exp.SHA2,  # sha256(x)
        # lists and rows from lists (checked below: only the forms sqlglot renders faithfully)
        exp.Array,
        exp.Unnest,
        exp.Explode,
        exp.GenerateSeries,
        # dates
        exp.CurrentDate,
        exp.DateDiff,
        exp.DateAdd,
        exp.DateSub,
        exp.DateTrunc,
        exp.TimestampTrunc,
        exp.Extract,
        exp.Year,
        exp.Month,
        exp.Day,
        exp.TimeToStr,
        exp.StrToTime,
        exp.StrToDate,
        # rewritten by the passes below
        exp.Bracket,
        exp.Slice,
    }
)

# Constructs refused with a reason an author can act on.
REFUSED: dict[type[exp.Expr], str] = {
    exp.Levenshtein: (
        "levenshtein counts bytes in DuckDB but characters in Spark (王小明/王晓明: 3 vs 1); "
        "compare Chinese names by exact match or on pinyin"
    ),
    exp.ReadParquet: "models read standard tables, never files",
}

# Functions sqlglot does not model (exp.Anonymous) that a model may still call, by lower-case name.
# stable_hash(x) is qingfeng's own: see `stable_hash`.
ALLOWED_ANONYMOUS = frozenset({"try_strptime", "stable_hash"})

REFUSED_ANONYMOUS = {
    "hash": (
        "hash() gives different numbers on DuckDB and Spark; use stable_hash(x) (a BIGINT from "
        "the MD5 of x's text, the same on both) or md5(x) / sha256(x)"
    ),
}


def check_node(node: exp.Expr) -> str | None:
    """Why `node` may not appear in a model, or None when it may."""
    kind = type(node)
    if kind in REFUSED:
        return REFUSED[kind]
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        if name in REFUSED_ANONYMOUS:
            return REFUSED_ANONYMOUS[name]
        if name == "stable_hash" and len(node.expressions) != 1:
            return "stable_hash() takes one value"
        if name in ALLOWED_ANONYMOUS:
            return None
        return f"function {name}() is not on the allow-list of portable functions"
    if kind not in ALLOWED_NODES:
        if isinstance(node, exp.Func):
            name = node.sql_name().lower()
            return f"function {name}() is not on the allow-list of portable functions"
        return f"{kind.__name__} is not allowed in a model"
    if isinstance(node, exp.Bracket) and not (
        len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice)
    ):
        return "only string slices x[a:b] may use brackets"
    check = _CHECKS.get(kind)
    return check(node) if check else None


# ---- faithful use of the functions whose engines differ -------------------------------------
def _text_literal(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _check_regexp_replace(node: exp.Expr) -> str | None:
    name = "regexp_replace()"
    if node.args.get("position") or node.args.get("occurrence"):
        return f"{name} takes (text, pattern, replacement, 'g')"
    modifiers = node.args.get("modifiers")
    if not (_text_literal(modifiers) and modifiers.name == "g"):  # type: ignore[union-attr]
        return (
            f"{name} replaces only the first match on DuckDB but every match on Spark; write "
            "regexp_replace(x, pattern, replacement, 'g') (every match, the same on both)"
        )
    if not isinstance(node.expression, (exp.Literal, exp.Placeholder)):
        return f"{name}: the pattern must be a text literal or a :parameter"
    replacement = node.args.get("replacement")
    if not _text_literal(replacement):
        return f"{name}: the replacement must be a text literal"
    if "\\" in replacement.name or "$" in replacement.name:  # type: ignore[union-attr]
        return (
            f"{name}: the replacement may not refer to groups (\\1 on DuckDB, $1 on Spark); "
            "use regexp_extract() to pick a group"
        )
    return None


def _check_regexp_extract(node: exp.Expr) -> str | None:
    name = "regexp_extract()"
    if any(node.args.get(a) for a in ("position", "occurrence", "parameters")):
        return f"{name} takes (text, pattern[, group])"
    if not isinstance(node.expression, (exp.Literal, exp.Placeholder)):
        return f"{name}: the pattern must be a text literal or a :parameter"
    group = node.args.get("group")
    if group is not None and not (isinstance(group, exp.Literal) and group.is_int):
        return f"{name}: the group must be a whole number"
    return None


def _check_split(node: exp.Expr) -> str | None:
    if node.args.get("limit") is not None:
        return "string_split() takes (text, separator)"
    separator = node.expression
    if not _text_literal(separator) or not separator.name:
        return (
            "string_split(): the separator must be a non-empty text literal (an empty one "
            "splits differently on DuckDB and Spark)"
        )
    return None


def _check_sha2(node: exp.Expr) -> str | None:
    length = node.args.get("length")
    if length is not None and not (isinstance(length, exp.Literal) and length.name == "256"):
        return "only sha256() of the SHA-2 family is portable"
    return None


def _check_generate_series(node: exp.Expr) -> str | None:
    name = "range()" if node.args.get("is_end_exclusive") else "generate_series()"
    step = node.args.get("step")
    if step is not None and not (
        isinstance(step, exp.Literal) and step.is_int and int(step.name) > 0
    ):
        return (
            f"{name}: the step must be a positive whole number (a negative or an interval step "
            "is not the same on Spark); count up and compute the value from the number"
        )
    if isinstance(node.parent, exp.Table) and not _column_alias(node.parent):
        return f"{name} as a table needs a column name: FROM {name[:-2]}(...) AS t(i)"
    return None


def _column_alias(node: exp.Expr) -> bool:
    alias = node.args.get("alias")
    return isinstance(alias, exp.TableAlias) and len(alias.columns) == 1


def _check_unnest(node: exp.Expr) -> str | None:
    if len(node.expressions) != 1 or node.args.get("offset"):
        return "UNNEST takes one list (no WITH ORDINALITY)"
    if not _column_alias(node):
        return "name the column UNNEST gives: UNNEST(list) AS t(value)"
    parent = node.parent
    if isinstance(parent, exp.Join):
        on = parent.args.get("on")
        if parent.side or (on is not None and not (isinstance(on, exp.Boolean) and on.this)):
            return (
                "UNNEST joins as CROSS JOIN UNNEST(...) AS t(v) (or JOIN ... ON TRUE): a LEFT or "
                "conditional join of UNNEST has no faithful Spark form"
            )
    elif not isinstance(parent, exp.From):
        return "UNNEST(...) AS t(v) belongs in FROM or a CROSS JOIN; in SELECT write UNNEST(x) AS v"
    return None


def _check_explode(node: exp.Expr) -> str | None:
    # DuckDB's UNNEST in the select list: Spark allows one generator per SELECT, not nested
    if node.expressions:
        return "UNNEST takes one list"
    column = node.parent if isinstance(node.parent, exp.Alias) else node
    holder = column.parent
    if not isinstance(holder, exp.Select) or not any(p is column for p in holder.expressions):
        return (
            "UNNEST(x) in a SELECT must be a whole output column (UNNEST(x) AS v), not part of "
            "an expression"
        )
    if sum(1 for p in holder.expressions if isinstance(p.unalias(), exp.Explode)) > 1:
        return "one UNNEST per SELECT (Spark allows one); join another with CROSS JOIN UNNEST"
    return None


_CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.RegexpReplace: _check_regexp_replace,
    exp.RegexpExtract: _check_regexp_extract,
    exp.Split: _check_split,
    exp.SHA2: _check_sha2,
    exp.GenerateSeries: _check_generate_series,
    exp.Unnest: _check_unnest,
    exp.Explode: _check_explode,
}


# ---- passes -------------------------------------------------------------------------------------
def slice_to_substring(tree: exp.Expr) -> exp.Expr:
    """DuckDB's `x[a:b]` (1-based, inclusive) passes through sqlglot untranslated: use SUBSTRING."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Bracket) and node.expressions:
            piece = node.expressions[0]
            if isinstance(piece, exp.Slice):
                start = piece.this or exp.Literal.number(1)
                end = piece.expression
                if end is None:
                    return exp.Substring(this=node.this.copy(), start=start.copy())
                length = exp.Add(
                    this=exp.Sub(this=end.copy(), expression=start.copy()),
                    expression=exp.Literal.number(1),
                )
                return exp.Substring(this=node.this.copy(), start=start.copy(), length=length)
        return node

    return tree.transform(rewrite)


def _is_try_strptime(node: exp.Expr) -> bool:
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "try_strptime":
        return True
    return isinstance(node, (exp.StrToTime, exp.StrToDate)) and bool(node.args.get("safe"))


def spark_try_strptime(tree: exp.Expr) -> exp.Expr:
    """DuckDB's try_strptime gives NULL on a bad date; Spark's to_timestamp raises (ANSI mode).
    Render it as Spark's try_to_timestamp with the format translated."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if not _is_try_strptime(node):
            return node
        if isinstance(node, exp.Anonymous):
            value, fmt = node.expressions[0], node.expressions[1]
        else:
            value, fmt = node.this, node.args["format"]
        if isinstance(fmt, exp.Literal) and fmt.is_string:
            spark_fmt = format_time(fmt.name, Spark.INVERSE_TIME_MAPPING, Spark.INVERSE_TIME_TRIE)
            fmt = exp.Literal.string(spark_fmt or fmt.name)
        out: exp.Expr = exp.Anonymous(
            this="TRY_TO_TIMESTAMP", expressions=[value.copy(), fmt.copy()]
        )
        if isinstance(node, exp.StrToDate):
            out = exp.Cast(this=out, to=exp.DataType.build("DATE"))
        return out

    return tree.transform(rewrite)


def series_table_to_unnest(tree: exp.Expr) -> exp.Expr:
    """`FROM range(1, 5) AS t(i)`, a table function in DuckDB, has no Spark form; as
    `FROM UNNEST(range(1, 5)) AS t(i)` it means the same on DuckDB and becomes Spark's
    `FROM EXPLODE(SEQUENCE(1, 4)) AS t(i)`."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
            alias = node.args.get("alias")
            return exp.Unnest(expressions=[node.this.copy()], alias=alias.copy() if alias else None)
        return node

    return tree.transform(rewrite)


def spark_empty_series(tree: exp.Expr) -> exp.Expr:
    """DuckDB's generate_series(5, 1) is empty; Spark's SEQUENCE(5, 1) counts down. (sqlglot
    already guards range(), whose end is exclusive.)"""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.GenerateSeries) and not node.args.get("is_end_exclusive"):
            start, end = node.args["start"], node.args["end"]
            empty = exp.GT(this=start.copy(), expression=end.copy())
            return exp.If(this=empty, true=exp.Array(expressions=[]), false=node)
        return node

    return tree.transform(rewrite)


def _stable_hash(dialect: str) -> Pass:
    """stable_hash(x): the first 15 hex digits (60 bits) of the MD5 of x's text (CAST AS
    VARCHAR) as a non-negative BIGINT: the same number on DuckDB and Spark, so a MinHash or a
    sample written with it gives the same answer on both engines."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if not (isinstance(node, exp.Anonymous) and str(node.name).lower() == "stable_hash"):
            return node
        text = exp.Cast(this=node.expressions[0].copy(), to=exp.DataType.build("VARCHAR"))
        digits = exp.Substring(
            this=exp.MD5(this=text), start=exp.Literal.number(1), length=exp.Literal.number(15)
        )
        if dialect == "spark":
            number: exp.Expr = exp.Anonymous(
                this="CONV", expressions=[digits, exp.Literal.number(16), exp.Literal.number(10)]
            )
        else:
            number = exp.DPipe(this=exp.Literal.string("0x"), expression=digits)
        return exp.Cast(this=number, to=exp.DataType.build("BIGINT"))

    return lambda tree: tree.transform(rewrite)


Pass = Callable[[exp.Expr], exp.Expr]

PASSES: dict[str, tuple[Pass, ...]] = {
    "duckdb": (slice_to_substring, series_table_to_unnest, _stable_hash("duckdb")),
    "spark": (
        slice_to_substring,
        spark_try_strptime,
        series_table_to_unnest,
        spark_empty_series,
        _stable_hash("spark"),
    ),
}


def render(tree: exp.Expr, dialect: str, *, pretty: bool = True) -> str:
    """The SQL text of `tree` for `dialect`, after that dialect's passes."""
    if dialect not in PASSES:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    out = tree.copy()
    for step in PASSES[dialect]:
        out = step(out)
    return out.sql(dialect=dialect, pretty=pretty)
