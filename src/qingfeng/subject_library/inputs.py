"""Typed access to the standard datasets that happen to exist on a DuckDB connection.

Every library reads its inputs through `Inputs.source(...)`: a present view yields its columns cast
to the types the library expects; an absent view (or column) yields an empty (or NULL) relation of
the same shape. So the library SQL is the same whatever subset of the lake exists, and the report
records exactly what was missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb


def quote_ident(name: str) -> str:
    """Quote a DuckDB identifier (names come from our own constants, never from users)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Inputs:
    """The views and columns visible on a connection, and what the build asked for."""

    columns: dict[str, set[str]]
    used: set[str] = field(default_factory=set)
    missing_views: set[str] = field(default_factory=set)
    missing_columns: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def scan(cls, con: duckdb.DuckDBPyConnection) -> Inputs:
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_catalog = current_database()"
        ).fetchall()
        columns: dict[str, set[str]] = {}
        for table, column in rows:
            columns.setdefault(table, set()).add(column)
        return cls(columns)

    def has(self, view: str, *cols: str) -> bool:
        present = self.columns.get(view)
        return present is not None and all(c in present for c in cols)

    def source(self, view: str, **cols: str) -> str:
        """A parenthesised SELECT of `cols` (name=DuckDB type) from `view`, empty if absent."""
        present = self.columns.get(view)
        if present is None:
            self.missing_views.add(view)
            select = ", ".join(f"CAST(NULL AS {t}) AS {quote_ident(c)}" for c, t in cols.items())
            return f"(SELECT {select} WHERE false)"
        self.used.add(view)
        parts = []
        for col, typ in cols.items():
            if col in present:
                parts.append(f"CAST({quote_ident(col)} AS {typ}) AS {quote_ident(col)}")
            else:
                self.missing_columns.add((view, col))
                parts.append(f"CAST(NULL AS {typ}) AS {quote_ident(col)}")
        return f"(SELECT {', '.join(parts)} FROM {quote_ident(view)})"
