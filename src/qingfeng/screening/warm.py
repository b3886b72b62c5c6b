"""The lake tables screening reads, held in memory per published snapshot.

A model run over the lake reads Parquet files; a screening call that did so would pay the scan
of every lake table its models read on every call (tens of milliseconds per model on a county of
100,000 persons). When a snapshot is opened, each lake table a screening model reads is copied
once into a DuckDB table of the same engine (`__warm_<dataset>`), holding only the columns some
screening model names, ordered by its first key column so that DuckDB's zone maps skip most of
it when a join filter says which keys the candidates carry. The models' screening queries read
these tables; a new snapshot (a batch published or rolled back) opens a new engine and copies
again, so freshness stays the lake's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

WARM = "__warm"


def warm_name(dataset: str) -> str:
    return f"{WARM}_{dataset}"


@dataclass
class WarmPlan:
    """Which lake tables to hold in memory, with which columns (None: every column)."""

    columns: dict[str, set[str] | None] = field(default_factory=dict)
    order: dict[str, str] = field(default_factory=dict)  # dataset -> column to order by

    def add(self, dataset: str, names: set[str] | None) -> None:
        if dataset in self.columns and self.columns[dataset] is None:
            return
        if names is None:
            self.columns[dataset] = None
        else:
            self.columns.setdefault(dataset, set())
            current = self.columns[dataset]
            assert current is not None
            current |= names


def referenced_columns(tree: exp.Expression, extra: list[str] | None = None) -> set[str] | None:
    """Every column name the query mentions (a superset of what it reads of any one table);
    None when it selects `*` from a table, so that every column is needed."""
    for star in tree.find_all(exp.Star):
        parent = star.parent
        if isinstance(parent, (exp.Column, exp.Select)):
            return None
    names = {c.name for c in tree.find_all(exp.Column) if c.name}
    names |= set(extra or [])
    return names


def materialise(con: Any, plan: WarmPlan, *, copy: bool = True) -> dict[str, int]:
    """Copy the planned lake tables into memory on `con`; rows per copied table. A table
    outside the main schema (an attached library), or every table when not `copy`, is read
    where it is, through a view of the same warm name."""
    existing = {
        str(name): [str(c) for c in cols]
        for name, cols in con.execute(
            "SELECT table_name, list(column_name ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = 'main' GROUP BY table_name"
        ).fetchall()
    }
    rows: dict[str, int] = {}
    for dataset, wanted in sorted(plan.columns.items()):
        columns = existing.get(dataset)
        if columns is None or not copy:
            con.execute(
                f"CREATE OR REPLACE VIEW {_q(warm_name(dataset))} AS SELECT * FROM {_q(dataset)}"
            )
            continue
        keep = columns if wanted is None else [c for c in columns if c in wanted]
        if not keep:
            keep = columns[:1]
        select = ", ".join(_q(c) for c in keep)
        order = plan.order.get(dataset)
        order_by = f" ORDER BY {_q(order)}" if order and order in keep else ""
        con.execute(
            f"CREATE OR REPLACE TABLE {_q(warm_name(dataset))} AS "
            f"SELECT {select} FROM {_q(dataset)}{order_by}"
        )
        counted = con.execute(f"SELECT count(*) FROM {_q(warm_name(dataset))}").fetchone()
        rows[dataset] = int(counted[0]) if counted else 0
    return rows


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
