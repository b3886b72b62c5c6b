"""The person profile from the subject and relationship libraries (qingfeng.entities over the
lake): identity, household and relatives, employment, companies, vehicles, properties and
subsidies received; and the neighbours of one node for the graph that grows hop by hop.

All reads are parameterised DuckDB queries over the attached library views; a library not built
yet simply leaves its section empty.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from qingfeng.masking import mask_id
from qingfeng.settings import Settings

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
    household: list[dict[str, Any]] = field(default_factory=list)
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
    from qingfeng.entities import attach_libraries
    from qingfeng.lake import connect

    con = connect(settings)
    try:
        attach_libraries(con, settings.lake_dir)
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
    if "rel_household" in views:
        out.household = _rows(
            con,
            """SELECT m.from_id AS id_no, p.name, m.detail AS relation_to_head, m.to_id AS household
            FROM rel_household h JOIN rel_household m ON m.to_id = h.to_id AND m.to_type = h.to_type
            LEFT JOIN people p ON p.id_no = m.from_id
            WHERE h.from_id = ? AND h.from_type = 'person' AND m.from_id <> h.from_id
            ORDER BY m.from_id""",
            [id_no],
        )
    if "close_relatives" in views:
        out.relatives = _rows(
            con,
            """SELECT c.relative_id_no AS id_no, p.name, c.relation, c.confidence
            FROM close_relatives c LEFT JOIN people p ON p.id_no = c.relative_id_no
            WHERE c.id_no = ? ORDER BY c.relation, c.relative_id_no""",
            [id_no],
        )
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
    sections = (out.identity, out.household, out.relatives, out.employment, out.companies)
    if not any(sections) and not (out.vehicles or out.properties or out.subsidies):
        return None
    return out


# ------------------------------------------------------------------ the graph, hop by hop
@dataclass(frozen=True)
class NodeRef:
    user_id: int
    kind: str  # person | organisation | household | dibao_case | account | name
    identifier: str


class NodeRefs:
    """Opaque node ids for the graph: a page never carries an identifier it does not show, and an
    expansion request names a node only by a random token issued to the same user.

    The tokens are rows in the store (qingfeng.store.shared.StoreNodeRefs), so the expansion may
    be answered by another web worker than the page that drew the graph."""

    def __init__(self, factory: Any) -> None:
        from qingfeng.store.shared import StoreNodeRefs

        self._store = StoreNodeRefs(factory)

    def issue(self, ref: NodeRef) -> str:
        return self.issue_many([ref])[0]

    def issue_many(self, refs: list[NodeRef]) -> list[str]:
        return self._store.issue_many([(r.user_id, r.kind, r.identifier) for r in refs])

    def resolve(self, token: str, user_id: int) -> NodeRef | None:
        found = self._store.resolve(token, user_id)
        return None if found is None else NodeRef(user_id, found[0], found[1])


CATEGORY = {"person": 0, "organisation": 1, "household": 2, "dibao_case": 2, "account": 3}


def neighbours(
    con: duckdb.DuckDBPyConnection, views: set[str], kind: str, identifier: str
) -> list[dict[str, Any]]:
    """Nodes one relation away from (kind, identifier), with their names and the relation."""
    if "relations" not in views:
        return []
    people = (
        "LEFT JOIN people p ON p.id_no = n.id AND n.type = 'person'" if "people" in views else ""
    )
    orgs = (
        "LEFT JOIN organisations o ON o.uscc = n.id AND n.type = 'organisation'"
        if "organisations" in views
        else ""
    )
    name = (
        "coalesce("
        + ", ".join(
            [x for x in ("p.name" if people else "", "o.name" if orgs else "") if x] + ["NULL"]
        )
        + ")"
    )
    division = "p.division_code" if people else "NULL"
    return _rows(
        con,
        f"""WITH n AS (
              SELECT to_type AS type, to_id AS id, relation, detail FROM relations
              WHERE from_type = ? AND from_id = ?
              UNION
              SELECT from_type, from_id, relation, detail FROM relations
              WHERE to_type = ? AND to_id = ?)
            SELECT DISTINCT n.type, n.id, n.relation, n.detail, {name} AS name,
                   {division} AS division_code
            FROM n {people} {orgs} ORDER BY n.relation, n.id""",
        [kind, identifier, kind, identifier],
    )


def node_label(kind: str, identifier: str, name: str | None, unmasked: bool) -> str:
    if kind == "person":
        shown = identifier if unmasked else mask_id(identifier)
        return f"{name or ''} {shown}".strip()
    return name or identifier


def graph_fragment(
    refs: NodeRefs,
    user_id: int,
    covers: Any,
    centre_token: str,
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """ECharts nodes and links for the neighbours of one node. People outside the user's area
    appear without a name and cannot be expanded further."""
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    inside = [
        str(row["type"]) != "person" or bool(covers(row.get("division_code"))) for row in rows
    ]
    tokens = iter(
        refs.issue_many(
            [
                NodeRef(user_id, str(row["type"]), str(row["id"]))
                for row, ok in zip(rows, inside, strict=True)
                if ok
            ]
        )
    )
    for row, ok in zip(rows, inside, strict=True):
        kind, ident = str(row["type"]), str(row["id"])
        node: dict[str, Any] = {
            "category": CATEGORY.get(kind, 3),
            "symbolSize": 26 if kind == "person" else 22,
        }
        if ok:
            token = next(tokens)
            node.update(id=token, name=node_label(kind, ident, row.get("name"), False))
            node["expand"] = token
        else:
            node.update(id="x:" + secrets.token_urlsafe(6), name="辖区外人员 / outside your area")
        nodes.append(node)
        label = str(row["relation"]) + (f"（{row['detail']}）" if row.get("detail") else "")
        links.append({"source": centre_token, "target": node["id"], "value": label})
    return {"nodes": nodes, "links": links}


def library_graph_option(
    refs: NodeRefs,
    user_id: int,
    covers: Any,
    centre: NodeRef,
    centre_name: str,
    rows: list[dict[str, Any]],
    categories: list[str],
) -> dict[str, Any]:
    token = refs.issue(centre)
    part = graph_fragment(refs, user_id, covers, token, rows)
    centre_node = {"id": token, "name": centre_name, "category": 0, "symbolSize": 44}
    return {
        "textStyle": {"fontFamily": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"},
        "tooltip": {},
        "legend": [{"data": categories, "top": 0}],
        "series": [
            {
                "type": "graph",
                "layout": "force",
                "roam": True,
                "draggable": True,
                "label": {"show": True, "position": "right", "fontSize": 11},
                "force": {"repulsion": 260, "edgeLength": [70, 130]},
                "edgeLabel": {"show": True, "formatter": "{c}", "fontSize": 10},
                "categories": [{"name": c} for c in categories],
                "data": [centre_node, *part["nodes"]],
                "links": part["links"],
            }
        ],
    }
