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
ALLOWED_ANONYMOUS = frozenset({"try_strptime"})


def check_node(node: exp.Expr) -> str | None:
    """Why `node` may not appear in a model, or None when it may."""
    kind = type(node)
    if kind in REFUSED:
        return REFUSED[kind]
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
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
    return None


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


Pass = Callable[[exp.Expr], exp.Expr]

PASSES: dict[str, tuple[Pass, ...]] = {
    "duckdb": (slice_to_substring,),
    "spark": (slice_to_substring, spark_try_strptime),
}


def render(tree: exp.Expr, dialect: str, *, pretty: bool = True) -> str:
    """The SQL text of `tree` for `dialect`, after that dialect's passes."""
    if dialect not in PASSES:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    out = tree.copy()
    for step in PASSES[dialect]:
        out = step(out)
    return out.sql(dialect=dialect, pretty=pretty)
