"""One row per relative of a profiled person: the relation read from that person's side
("the relative is the profiled person's parent"), how close it is, and the relative's role in
a household they share.

Sources, best first: the `relatives` view (across households, with degree), else
`close_relatives` (household roles only). Household members the kinship libraries do not
relate (a lodger, a collective household's roommate) still get a row, with no relation.
"""

from __future__ import annotations

from typing import Any

import duckdb

MAX_RELATIVES = 100

_EMPTY_KIN = "SELECT NULL::VARCHAR AS rid, NULL::VARCHAR AS relation, NULL::INTEGER AS degree, NULL::DOUBLE AS confidence WHERE false"  # noqa: E501
_EMPTY_HOUSEHOLD = "SELECT NULL::VARCHAR AS rid, NULL::VARCHAR AS relation_to_head WHERE false"


def _kin_sql(views: set[str]) -> str:
    """(rid, relation, degree, confidence): `rid` is the profiled person's <relation>; one row
    per relative: the most confident tie, the closest among equally confident ones (a guessed
    parent at 45% does not outrank a sure aunt)."""
    if "relatives" in views:
        # relatives: "relative_id_no is the <relation> of id_no"
        return """SELECT relative_id_no AS rid,
                  arg_max(relation, round(confidence, 2) * 100 - degree) AS relation,
                  arg_max(degree, round(confidence, 2) * 100 - degree) AS degree,
                  arg_max(confidence, round(confidence, 2) * 100 - degree) AS confidence
            FROM relatives WHERE id_no = $id AND relative_id_no <> $id GROUP BY relative_id_no"""
    if "close_relatives" in views:
        # close_relatives: "id_no is the <relation> of relative_id_no"; the profiled person is
        # the relative_id_no of the rows that describe their relatives
        return """SELECT id_no AS rid, arg_max(relation, confidence) AS relation,
                  NULL::INTEGER AS degree, max(confidence) AS confidence
            FROM close_relatives WHERE relative_id_no = $id AND id_no <> $id GROUP BY id_no"""
    return _EMPTY_KIN


def _household_sql(views: set[str]) -> str:
    if "rel_household" not in views:
        return _EMPTY_HOUSEHOLD
    return """SELECT m.from_id AS rid, min(m.detail) AS relation_to_head
        FROM rel_household h
        JOIN rel_household m ON m.to_id = h.to_id AND m.to_type = h.to_type
        WHERE h.from_id = $id AND h.from_type = 'person' AND m.from_type = 'person'
          AND m.from_id <> $id
        GROUP BY m.from_id"""


def relatives_table(
    con: duckdb.DuckDBPyConnection, views: set[str], id_no: str
) -> list[dict[str, Any]]:
    """Rows id_no, name, relation, degree, confidence, relation_to_head; closest first."""
    name = "p.name" if "people" in views else "NULL"
    people = "LEFT JOIN people p ON p.id_no = coalesce(k.rid, h.rid)" if "people" in views else ""
    sql = f"""WITH kin AS ({_kin_sql(views)}), hh AS ({_household_sql(views)})
        SELECT coalesce(k.rid, h.rid) AS id_no, {name} AS name, k.relation, k.degree,
               k.confidence, h.relation_to_head
        FROM kin k FULL OUTER JOIN hh h ON h.rid = k.rid {people}
        ORDER BY k.degree NULLS LAST, k.relation NULLS LAST, h.relation_to_head, 1
        LIMIT {MAX_RELATIVES}"""
    cur = con.execute(sql, {"id": id_no})
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
