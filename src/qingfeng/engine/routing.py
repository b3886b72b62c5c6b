"""Routing: the area (division code) of every hit, found by the model's `route:` steps.

The lookups run in the engine, in the same query as the model: the compiled hit query is wrapped
in one SELECT that LEFT JOINs, per route step, a small keyed lookup (a person's registered
division, an organisation's, an official's employer's, a tender buyer's) and takes the first code
found:

    SELECT m.__subject_id, ..., COALESCE(m.__division_code, r0.d, r1.d) AS __division_code, ...
    FROM (<hit query>) AS m
    LEFT JOIN (SELECT id_no AS k, division_code AS d FROM people ...) AS r0 ON r0.k = m.__subject_id
    LEFT JOIN (...) AS r1 ON r1.k = m.__route_1

Each lookup has one row per key (the subject libraries by construction, the others grouped), so
the join never multiplies hits. A step whose tables the
engine does not have (libraries not built yet) is left out. What no step places is routed to the
workspace's county when the hits are synced (qingfeng.store.routing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from qingfeng.engine import dialects
from qingfeng.engine.compiler import HIT_FIELDS, ROUTE_PREFIX, SOURCE_DIALECT, CompiledModel


@dataclass(frozen=True)
class Lookup:
    """A lookup from a key (text) to a division code: columns `k` and `d`, one row per `k`."""

    tables: tuple[str, ...]  # what the engine must have
    sql: str  # DuckDB dialect; rendered for each engine by sqlglot


LOOKUPS: dict[str, Lookup] = {
    # a person's registered division (the household registry's, via the subject library, which
    # holds one row per ID number: no grouping of a million rows needed)
    "person": Lookup(
        ("people",),
        "SELECT id_no AS k, division_code AS d FROM people WHERE division_code IS NOT NULL",
    ),
    # an organisation's registered division (the library holds one row per credit code)
    "organisation": Lookup(
        ("organisations",),
        "SELECT uscc AS k, registration_division AS d FROM organisations "
        "WHERE registration_division IS NOT NULL",
    ),
    # an official's employer (public_payroll), then the employer's registered division
    "official": Lookup(
        ("rel_employment", "organisations"),
        "SELECT e.from_id AS k, max(o.registration_division) AS d FROM rel_employment AS e "
        "JOIN organisations AS o ON o.uscc = e.to_id "
        "WHERE o.registration_division IS NOT NULL GROUP BY e.from_id",
    ),
    # a tender's buyer, then the buyer's registered division
    "tender": Lookup(
        ("tenders", "organisations"),
        "SELECT t.tender_no AS k, max(o.registration_division) AS d FROM tenders AS t "
        "JOIN organisations AS o ON o.uscc = t.buyer_uscc "
        "WHERE o.registration_division IS NOT NULL GROUP BY t.tender_no",
    ),
}


def route_tables(compiled: CompiledModel) -> tuple[str, ...]:
    """Every table the model's route lookups may read."""
    names: list[str] = []
    for step in compiled.spec.route:
        if step.kind in LOOKUPS:
            names += LOOKUPS[step.kind].tables
    return tuple(dict.fromkeys(names))


def routed_sql(compiled: CompiledModel, dialect: str, has_table: Callable[[str], bool]) -> str:
    """`routed_tree` rendered for `dialect` (the compiled SQL itself for a model with no route)."""
    if not compiled.spec.route:
        return compiled.sql(dialect, pretty=False)
    return dialects.render(routed_tree(compiled, has_table), dialect, pretty=False)


def routed_tree(compiled: CompiledModel, has_table: Callable[[str], bool]) -> exp.Select:
    """The hit query with the route's lookups joined in; the same columns as the hit query
    (route key columns dropped), `__division_code` filled from the first step that gives one."""
    tree = compiled.tree
    steps = compiled.spec.route
    if not steps:
        return tree
    m = "m"
    sources: list[exp.Expr] = [exp.column(HIT_FIELDS["division_code"], table=m)]
    joins: list[tuple[exp.Expr, exp.Expr]] = []
    for i, step in enumerate(steps):
        key = (
            exp.column(f"{ROUTE_PREFIX}{i}", table=m)
            if step.column is not None
            else exp.column(HIT_FIELDS["subject_id"], table=m)
        )
        if step.kind == "division":
            sources.append(key)
            continue
        lookup = LOOKUPS[step.kind]
        if not all(has_table(t) for t in lookup.tables):
            continue
        alias = f"r{i}"
        select = sqlglot.parse_one(lookup.sql, read=SOURCE_DIALECT)
        joins.append(
            (
                exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias))),
                exp.EQ(this=exp.column("k", table=alias), expression=key),
            )
        )
        sources.append(exp.column("d", table=alias))
    division = HIT_FIELDS["division_code"]
    projections: list[exp.Expr] = []
    for projection in tree.expressions:
        name = projection.alias_or_name
        if name.startswith(ROUTE_PREFIX):
            continue
        if name == division:
            first = (
                sources[0]
                if len(sources) == 1
                else exp.Coalesce(this=sources[0], expressions=sources[1:])
            )
            projections.append(exp.alias_(first, name))
        else:
            projections.append(exp.column(name, table=m))
    out = exp.select(*projections).from_(
        exp.Subquery(this=tree.copy(), alias=exp.TableAlias(this=exp.to_identifier(m)))
    )
    for source, condition in joins:
        out = out.join(source, on=condition, join_type="left")
    return out
