"""Structured matching rules (碰撞比对) → the same kind of syntax tree a SQL model gives.

For analysts who write no SQL: two tables (each optionally filtered and reduced to one row per
key), joined on keys (inner, anti = "no match", semi = "has a match"), filtered by conditions,
optionally aggregated with HAVING-style conditions, then the chosen columns. Column references
are `left.col`, `right.col` or a bare `col` (the left table; after aggregation, an output name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from qingfeng.engine.literals import literal
from qingfeng.engine.spec import Condition, MatchRule, MatchSide

Add = Callable[..., None]
SIDES = {"left": "l", "right": "r"}
OPS: dict[str, type[exp.Expr]] = {
    "=": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}
AGGREGATES = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max, "count": exp.Count, "any": exp.Min}
LOC = ("logic", "match")


class _Fail(Exception):
    pass


def _ref(text: str, default_side: str, loc: tuple[Any, ...], add: Add) -> exp.Column:
    """`left.col` / `right.col` / `col` → a qualified column."""
    parts = text.strip().split(".")
    if len(parts) == 1:
        side, name = default_side, parts[0]
    elif len(parts) == 2 and parts[0] in SIDES:
        side, name = parts
    else:
        add(loc, f"column reference {text!r}: write left.col, right.col or col")
        raise _Fail
    if not name.isidentifier():
        add(loc, f"column reference {text!r} is not a column name")
        raise _Fail
    return exp.column(name, table=SIDES[side])


def _condition(
    cond: Condition, default_side: str, loc: tuple[Any, ...], add: Add, *, bare: bool = False
) -> exp.Expr:
    def ref(text: str) -> exp.Expr:
        if bare:  # after aggregation: output names only
            if not text.isidentifier():
                add(loc, f"{text!r}: after aggregation, refer to output names only")
                raise _Fail
            return exp.column(text)
        return _ref(text, default_side, loc, add)

    column = ref(cond.column)
    if cond.op == "is_null":
        return exp.Is(this=column, expression=exp.Null())
    if cond.op == "not_null":
        return exp.Not(this=exp.Is(this=column, expression=exp.Null()))
    other: exp.Expr
    if cond.other is not None:
        other = ref(cond.other)
        if cond.days:
            other = exp.DateAdd(
                this=other, expression=exp.Literal.number(cond.days), unit=exp.Var(this="DAY")
            )
    elif cond.param is not None:
        other = exp.Placeholder(this=cond.param)
    elif cond.op in ("in", "not_in"):
        try:
            values = [literal(v) for v in cond.value]
        except TypeError as exc:
            add(loc, str(exc))
            raise _Fail from None
        membership = exp.In(this=column, expressions=values)
        return exp.Not(this=membership) if cond.op == "not_in" else membership
    else:
        try:
            other = literal(cond.value)
        except TypeError as exc:
            add(loc, str(exc))
            raise _Fail from None
    if cond.op in ("in", "not_in"):
        add(loc, f"op {cond.op} takes a list `value`")
        raise _Fail
    test = OPS[cond.op](this=column, expression=other)
    if cond.or_null:
        open_end = exp.Is(this=ref(cond.other or ""), expression=exp.Null())
        return exp.Paren(this=exp.Or(this=test, expression=open_end))
    return test


def _side(
    side: MatchSide, alias: str, name: str, loc: tuple[Any, ...], add: Add
) -> tuple[exp.Expr, list[exp.Expr]]:
    """The FROM item of one side and the filters still to apply to it. A reduced side is a
    subquery (filtered first, then one row per key); a plain side is the table itself."""
    table = exp.to_table(side.table)
    wheres = []
    for i, cond in enumerate(side.where):
        try:
            wheres.append(_condition(cond, name, (*loc, "where", i), add))
        except _Fail:
            continue
    if side.reduce is None:
        return exp.alias_(table, alias, table=True), wheres
    # inside the subquery the table has the same alias, so `l.col` / `r.col` still resolve
    projections: list[exp.Expr] = [exp.column(c, table=alias) for c in side.reduce.by]
    for column, fn in side.reduce.take.items():
        projections.append(exp.alias_(AGGREGATES[fn](this=exp.column(column, table=alias)), column))
    inner = exp.select(*projections).from_(exp.alias_(table, alias, table=True))
    for where in wheres:
        inner = inner.where(where)
    inner = inner.group_by(*[exp.column(c, table=alias) for c in side.reduce.by])
    return exp.alias_(exp.Subquery(this=inner), alias, table=True), []


def _output(text: str, loc: tuple[Any, ...], add: Add) -> tuple[str, str | None]:
    """`expr AS name` → (expr, name)."""
    pieces = text.split(" AS ") if " AS " in text else text.split(" as ")
    if len(pieces) == 2:
        return pieces[0].strip(), pieces[1].strip()
    if len(pieces) > 2:
        add(loc, f"output {text!r}: one `AS` at most")
        raise _Fail
    return text.strip(), None


def _measure(text: str, loc: tuple[Any, ...], add: Add) -> exp.Expr:
    """`sum(left.amount)`, `count(*)`, `count_distinct(right.x)`, `min(x)`, `max(x)`."""
    raw = text.strip()
    distinct = raw.lower().startswith("count_distinct(")
    if distinct:
        raw = "count(" + raw[len("count_distinct(") :]
    raw = raw.replace("left.", "l.").replace("right.", "r.")
    try:
        tree = sqlglot.parse_one(raw, read="duckdb")
    except ParseError:
        add(loc, f"measure {text!r} is not sum(col), count(*), count_distinct(col), min or max")
        raise _Fail from None
    if not isinstance(tree, (exp.Sum, exp.Count, exp.Min, exp.Max, exp.Avg)):
        add(loc, f"measure {text!r} is not sum(col), count(*), count_distinct(col), min or max")
        raise _Fail
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier("l"))
    if distinct:
        tree = exp.Count(this=exp.Distinct(expressions=[tree.this.copy()]))
    return tree


def build_match(rule: MatchRule, add: Add) -> exp.Expr | None:
    """The rule as a SELECT, or None when it cannot be built. Problems go through `add`; a tree
    built around a bad condition is still returned so that the compiler's checks (tables, fields,
    parameters) report their problems too, and the compiler refuses it for the problems found."""
    try:
        return _build(rule, add)
    except _Fail:
        return None


def _build(rule: MatchRule, add: Add) -> exp.Expr:
    left, left_where = _side(rule.left, "l", "left", (*LOC, "left"), add)
    query = exp.select().from_(left)
    for where in left_where:
        query = query.where(where)
    join_on: list[exp.Expr] = []
    right_where: list[exp.Expr] = []
    if rule.right is not None:
        right, right_where = _side(rule.right, "r", "right", (*LOC, "right"), add)
        for i, key in enumerate(rule.keys):
            loc: tuple[Any, ...] = (*LOC, "keys", i)
            join_on.append(
                exp.EQ(
                    this=_ref(key.left, "left", loc, add),
                    expression=_ref(key.right, "right", loc, add),
                )
            )
    conditions = []
    for i, cond in enumerate(rule.conditions):
        try:
            conditions.append(_condition(cond, "left", (*LOC, "conditions", i), add))
        except _Fail:
            continue

    if rule.right is not None and rule.join == "inner":
        query = query.join(right, on=exp.and_(*join_on), join_type="inner")
        for c in [*right_where, *conditions]:
            query = query.where(c)
    elif rule.right is not None:
        sub = (
            exp.select(exp.Literal.number(1))
            .from_(right)
            .where(exp.and_(*join_on, *right_where, *conditions))
        )
        exists: exp.Expr = exp.Exists(this=sub)
        if rule.join == "anti":
            exists = exp.Not(this=exists)
        query = query.where(exists)
    else:
        for c in conditions:
            query = query.where(c)

    if rule.aggregate is None:
        projections = []
        for i, item in enumerate(rule.select):
            loc = (*LOC, "select", i)
            expr_text, name = _output(item, loc, add)
            column = _ref(expr_text, "left", loc, add)
            if column.table == "r" and rule.join != "inner":
                add(loc, f"{item!r}: an {rule.join} join gives left columns only")
                raise _Fail
            projections.append(exp.alias_(column, name) if name else column)
        return query.select(*projections)

    agg = rule.aggregate
    group_exprs: list[exp.Expr] = []
    projections = []
    names: list[str] = []
    for i, item in enumerate(agg.by):
        loc = (*LOC, "aggregate", "by", i)
        expr_text, name = _output(item, loc, add)
        column = _ref(expr_text, "left", loc, add)
        group_exprs.append(column)
        projections.append(exp.alias_(column, name or column.name))
        names.append(name or column.name)
    for name, text in agg.measures.items():
        projections.append(
            exp.alias_(_measure(text, (*LOC, "aggregate", "measures", name), add), name)
        )
        names.append(name)
    grouped = query.select(*projections).group_by(*group_exprs)
    outer = exp.select().from_(exp.alias_(exp.Subquery(this=grouped), "g", table=True))
    for i, cond in enumerate(agg.having):
        outer = outer.where(
            _condition(cond, "left", (*LOC, "aggregate", "having", i), add, bare=True)
        )
    for i, item in enumerate(rule.select):
        loc = (*LOC, "select", i)
        expr_text, name = _output(item, loc, add)
        if expr_text not in names:
            add(loc, f"{expr_text!r} is not an aggregate output ({', '.join(names)})")
            raise _Fail
        column = exp.column(expr_text)
        outer = outer.select(exp.alias_(column, name) if name else column)
    return outer
