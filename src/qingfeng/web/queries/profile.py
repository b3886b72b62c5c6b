"""The person profile from the subject and relationship libraries (qingfeng.subject_library over the
lake): identity, relatives and household members, employment, companies, vehicles, properties
and subsidies received. The relationship graph is qingfeng.web.queries.relation_graph.

All reads are parameterised DuckDB queries over the attached library views; a library not built
yet simply leaves its section empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from qingfeng.settings import Settings
from qingfeng.web.queries.kin_table import relatives_table

MAX_ROWS = 50  # per section and per expansion: a profile, not an export
PERSON_FIELDS = (
    "name",
    "birth_date",
    "gender",
    "division_code",
    "address",
    "status",
    "household_no",
    "relation_to_head",
    "is_dead",
    "death_date",
)


@dataclass
class LibraryProfile:
    identity: dict[str, Any] = field(default_factory=dict)
    relatives: list[dict[str, Any]] = field(default_factory=list)
    employment: list[dict[str, Any]] = field(default_factory=list)
    companies: list[dict[str, Any]] = field(default_factory=list)
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    subsidies: list[dict[str, Any]] = field(default_factory=list)
    libraries: tuple[str, ...] = ()

    @property
    def division_code(self) -> str | None:
        value = self.identity.get("division_code")
        return str(value) if value else None


@contextmanager
def open_libraries(settings: Settings) -> Iterator[tuple[duckdb.DuckDBPyConnection, set[str]]]:
    """The lake's views plus the attached libraries; the set names every view present."""
    from qingfeng.lake import connect
    from qingfeng.lake.location import lake_root
    from qingfeng.subject_library import attach_libraries

    con = connect(settings)
    try:
        attach_libraries(con, lake_root(settings))
        names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        yield con, names
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchmany(MAX_ROWS)]


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    return {r[0] for r in con.execute(f'DESCRIBE "{view}"').fetchall()}


def person_division(con: duckdb.DuckDBPyConnection, views: set[str], id_no: str) -> str | None:
    if "people" not in views:
        return None
    row = con.execute("SELECT division_code FROM people WHERE id_no = ?", [id_no]).fetchone()
    return str(row[0]) if row and row[0] else None


def load_library_profile(
    con: duckdb.DuckDBPyConnection, views: set[str], id_no: str
) -> LibraryProfile | None:
    """Everything the libraries know about one resident ID; None when no library names them."""
    out = LibraryProfile(libraries=tuple(sorted(views)))
    if "people" in views:
        cols = [c for c in PERSON_FIELDS if c in _columns(con, "people")]
        found = _rows(con, f"SELECT {', '.join(cols)} FROM people WHERE id_no = ?", [id_no])
        if found:
            out.identity = found[0]
    out.relatives = relatives_table(con, views, id_no)
    if "relations" in views:
        org_join = (
            "LEFT JOIN organisations o ON o.uscc = r.to_id" if "organisations" in views else ""
        )
        org_name = "o.name" if org_join else "NULL"
        related = _rows(
            con,
            f"""SELECT r.relation, r.to_id AS uscc, {org_name} AS org_name, r.detail, r.source
            FROM relations r {org_join}
            WHERE r.from_type = 'person' AND r.from_id = ? AND r.to_type = 'organisation'
            AND r.relation IN ('employed_by', 'legal_rep_of', 'shareholder_of')
            ORDER BY r.relation, r.to_id""",
            [id_no],
        )
        out.employment = [r for r in related if r["relation"] == "employed_by"]
        out.companies = [r for r in related if r["relation"] != "employed_by"]
    if "vehicles_lib" in views:
        out.vehicles = _rows(
            con,
            """SELECT kind, vehicle_id, plate_no, vehicle_type, use_type, register_date, status
            FROM vehicles_lib WHERE owner_id_no = ? ORDER BY register_date""",
            [id_no],
        )
    if "properties" in views:
        out.properties = _rows(
            con,
            """SELECT property_no, property_type, is_resettlement, project_name, address, area,
            register_date FROM properties
            WHERE owner_id_no = ? OR list_contains(owner_ids, ?) ORDER BY register_date""",
            [id_no, id_no],
        )
    if "subsidy_payments" in views:
        out.subsidies = _rows(
            con,
            """SELECT subsidy_type, count(*) AS payments, sum(amount) AS amount,
            min(period) AS first_period, max(period) AS last_period
            FROM subsidy_payments WHERE id_no = ? GROUP BY subsidy_type ORDER BY subsidy_type""",
            [id_no],
        )
    sections = (out.identity, out.relatives, out.employment, out.companies)
    if not any(sections) and not (out.vehicles or out.properties or out.subsidies):
        return None
    return out
