"""The relationship graph of a profile, grown hop by hop: the neighbours of one node from the
libraries' `relations` view, one node and one edge per neighbour, a page at a time.

A kinship tie is stored both ways ("A is the child of B" and "B is the parent of A"); the graph
keeps the one read from the expanded node's side ("B is the parent of A"), as the relatives
table does. Nodes carry an opaque token (what an expansion names) and a keyed digest (so the
page merges a subject reached twice into one node without learning its identifier).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from qingfeng.masking import mask_id
from qingfeng.subject_library.kinship import INVERSE

MAX_NEIGHBOURS = 30  # per expansion; the rest come a page at a time ("more")
KIN_RELATIONS = tuple(sorted(INVERSE))
CATEGORY = {"person": 0, "organisation": 1, "household": 2, "dibao_case": 2, "account": 3}
# Edge colours by relation type, also drawn as the filter's legend.
RELATION_COLOURS = {
    "kinship": "#c0392b",
    "household_member": "#8e44ad",
    "employed_by": "#2471a3",
    "legal_rep_of": "#117a65",
    "shareholder_of": "#1e8449",
    "awarded_contract_to": "#b9770e",
    "co_bid_with": "#a04000",
    "transferred_to": "#5d6d7e",
}
# Details worth showing on an edge (a household role, a position); others are record keys.
DETAILED = ("household_member", "employed_by")


def relation_group(relation: str) -> str:
    """The filter group of a relation: every kinship term is one group."""
    return "kinship" if relation in INVERSE else relation


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


def node_key(secret: str, ref: NodeRef) -> str:
    """The same subject gives the same key for one user; the key does not reveal the subject
    (an ID number's space is small enough to enumerate a plain hash)."""
    msg = f"{ref.user_id}\x1f{ref.kind}\x1f{ref.identifier}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:20]


def neighbours(
    con: duckdb.DuckDBPyConnection,
    views: set[str],
    kind: str,
    identifier: str,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One row per node one relation away from (kind, identifier): type, id, name,
    division_code and `edges` (relation, detail, outward); and how many neighbours there are."""
    if "relations" not in views:
        return [], 0
    people = (
        "LEFT JOIN people p ON p.id_no = g.id AND g.type = 'person'" if "people" in views else ""
    )
    orgs = (
        "LEFT JOIN organisations o ON o.uscc = g.id AND g.type = 'organisation'"
        if "organisations" in views
        else ""
    )
    names = [x for x in ("p.name" if people else "", "o.name" if orgs else "") if x]
    name = "coalesce(" + ", ".join([*names, "NULL"]) + ")"
    division = "p.division_code" if people else "NULL"
    kin = ", ".join(f"'{r}'" for r in KIN_RELATIONS)
    cur = con.execute(
        f"""WITH n AS (
              SELECT to_type AS type, to_id AS id, relation, detail, true AS outward
              FROM relations WHERE from_type = $kind AND from_id = $id
                -- the other direction of a kinship tie says the same, read from this side
                AND NOT (from_type = 'person' AND to_type = 'person' AND relation IN ({kin}))
              UNION ALL
              SELECT from_type, from_id, relation, detail, false FROM relations
              WHERE to_type = $kind AND to_id = $id),
            g AS (
              SELECT type, id, min(relation) AS first_relation,
                     list(DISTINCT {{'relation': relation, 'detail': detail,
                                    'outward': outward}}) AS edges
              FROM n WHERE NOT (type = $kind AND id = $id) GROUP BY type, id)
            SELECT g.type, g.id, g.edges, {name} AS name, {division} AS division_code,
                   count(*) OVER () AS total
            FROM g {people} {orgs}
            ORDER BY g.first_relation, g.type, g.id LIMIT $limit OFFSET $offset""",
        {"kind": kind, "id": identifier, "limit": limit or MAX_NEIGHBOURS, "offset": offset},
    )
    cols = [d[0] for d in cur.description or []]
    rows = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    if rows:
        return rows, int(rows[0]["total"])
    if offset == 0:
        return [], 0
    total = con.execute(
        "SELECT count(*) FROM (SELECT to_type, to_id FROM relations "
        "WHERE from_type = $kind AND from_id = $id UNION "
        "SELECT from_type, from_id FROM relations WHERE to_type = $kind AND to_id = $id)",
        {"kind": kind, "id": identifier},
    ).fetchone()
    return [], int(total[0]) if total else 0


def node_label(kind: str, identifier: str, name: str | None, unmasked: bool) -> str:
    if kind == "person":
        shown = identifier if unmasked else mask_id(identifier)
        return f"{name or ''} {shown}".strip()
    return name or identifier


Translate = Callable[[str, str], str]  # (key, fallback) -> text (Translator.maybe)


def edge_label(edges: list[dict[str, Any]], maybe: Translate) -> str:
    parts = []
    for edge in sorted(edges, key=lambda e: str(e["relation"])):
        relation = str(edge["relation"])
        text = maybe(f"relation.{relation}", relation)
        detail = edge.get("detail")
        if relation in DETAILED and detail:
            text += f"（{maybe(f'relation.{detail}', str(detail))}）"
        if text not in parts:
            parts.append(text)
    return "、".join(parts)


@dataclass(frozen=True)
class GraphContext:
    """What drawing a fragment needs besides the rows: who asks, their area, the key secret and
    the reader's language."""

    refs: NodeRefs
    user_id: int
    covers: Callable[[str | None], bool]
    secret: str
    maybe: Translate
    more_label: Callable[[int], str]
    outside_label: str


def graph_fragment(
    ctx: GraphContext,
    centre_token: str,
    rows: list[dict[str, Any]],
    *,
    total: int,
    offset: int = 0,
) -> dict[str, Any]:
    """ECharts nodes and links for a page of the neighbours of one node, plus a "more" node when
    neighbours are left. People outside the user's area appear without a name and cannot be
    expanded further."""
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    refs = [NodeRef(ctx.user_id, str(r["type"]), str(r["id"])) for r in rows]
    inside = [
        r.kind != "person" or bool(ctx.covers(row.get("division_code")))
        for r, row in zip(refs, rows, strict=True)
    ]
    tokens = iter(ctx.refs.issue_many([r for r, ok in zip(refs, inside, strict=True) if ok]))
    for ref, row, ok in zip(refs, rows, inside, strict=True):
        node: dict[str, Any] = {
            "category": CATEGORY.get(ref.kind, 3),
            "symbolSize": 26 if ref.kind == "person" else 22,
            "key": node_key(ctx.secret, ref),
        }
        if ok:
            token = next(tokens)
            node.update(id=token, name=node_label(ref.kind, ref.identifier, row.get("name"), False))
            node["expand"] = token
        else:
            node.update(id="x:" + secrets.token_urlsafe(6), name=ctx.outside_label)
        nodes.append(node)
        edges = list(row.get("edges") or [])
        groups = sorted({relation_group(str(e["relation"])) for e in edges})
        outward = bool(edges and edges[0].get("outward"))
        links.append(
            {
                "source": centre_token if outward else node["id"],
                "target": node["id"] if outward else centre_token,
                "value": edge_label(edges, ctx.maybe),
                "groups": groups,
                "lineStyle": {
                    "color": RELATION_COLOURS.get(groups[0], "#888") if groups else "#888"
                },
            }
        )
    left = total - offset - len(rows)
    if left > 0:
        more_id = f"more:{centre_token}:{offset + len(rows)}"
        nodes.append(
            {
                "id": more_id,
                "name": ctx.more_label(left),
                "category": 3,
                "symbol": "roundRect",
                "symbolSize": 18,
                "expand": centre_token,
                "offset": offset + len(rows),
                "more": True,
            }
        )
        links.append({"source": centre_token, "target": more_id, "value": "", "groups": []})
    return {"nodes": nodes, "links": links, "total": total}


def library_graph_option(
    ctx: GraphContext,
    centre: NodeRef,
    centre_name: str,
    rows: list[dict[str, Any]],
    total: int,
    categories: list[str],
) -> dict[str, Any]:
    token = ctx.refs.issue(centre)
    part = graph_fragment(ctx, token, rows, total=total)
    centre_node = {
        "id": token,
        "name": centre_name,
        "category": 0,
        "symbolSize": 44,
        "key": node_key(ctx.secret, centre),
        "centre": True,
    }
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
                "top": 40,
                "bottom": 20,
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 6,
                "label": {"show": True, "position": "right", "fontSize": 11},
                # gravity keeps a large neighbourhood inside the frame
                "force": {"repulsion": 200, "gravity": 0.12, "edgeLength": [60, 120]},
                "edgeLabel": {"show": True, "formatter": "{c}", "fontSize": 10},
                "categories": [{"name": c} for c in categories],
                "data": [centre_node, *part["nodes"]],
                "links": part["links"],
            }
        ],
    }
