"""Libraries over a generated county of a few thousand people: invariants, linkage quality."""

from __future__ import annotations

import duckdb
import pytest

from qingfeng.bench.county import generate_county
from qingfeng.subject_library import attach_libraries, build_libraries

pytestmark = pytest.mark.slow  # a whole bench county, its libraries built


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, object]:
    lake = tmp_path_factory.mktemp("lake")
    con = duckdb.connect()
    counts = generate_county(con, 3000, truth=True)
    assert counts["household_registry"] == 3000
    report = build_libraries(con, lake / "_libraries")
    attach_libraries(con, lake)
    return con, report


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def test_people_cover_the_registry_once(county) -> None:
    con, _ = county
    assert one(con, "SELECT count(*) FROM people WHERE in_registry") == 3000
    assert one(con, "SELECT count(*) - count(DISTINCT id_no) FROM people") == 0
    # birth date and gender derived from the ID agree with the registry's own fields
    assert (
        one(
            con,
            "SELECT count(*) FROM people p JOIN household_registry r USING (id_no) "
            "WHERE p.birth_date <> r.birth_date OR p.gender <> r.gender",
        )
        == 0
    )
    dead = one(con, "SELECT count(*) FROM people WHERE is_dead")
    assert dead >= one(con, "SELECT count(DISTINCT id_no) FROM deaths")


def test_every_kinship_edge_has_its_inverse(county) -> None:
    con, report = county
    assert report.result("rel_kinship").rows > 3000
    missing = one(
        con,
        """SELECT count(*) FROM rel_kinship k
           JOIN qf_inverse i ON i.relation = k.relation
           LEFT JOIN rel_kinship b ON b.from_id = k.to_id AND b.to_id = k.from_id
                                  AND b.relation = i.inverse
           WHERE b.from_id IS NULL""",
    )
    assert missing == 0
    # every household head's spouse (shape 2 and up) is found with full confidence
    assert one(
        con,
        "SELECT count(*) FROM rel_kinship WHERE relation = 'spouse' AND confidence = 1.0",
    ) == 2 * one(con, "SELECT count(*) FROM household_registry WHERE relation_to_head = 'spouse'")


def test_relations_are_well_formed(county) -> None:
    con, _ = county
    assert (
        one(
            con,
            "SELECT count(*) FROM relations WHERE from_id IS NULL OR to_id IS NULL "
            "OR confidence NOT BETWEEN 0 AND 1 OR method IS NULL OR relation IS NULL",
        )
        == 0
    )
    # a transfer's payer and payee are never the same node
    assert one(con, "SELECT count(*) FROM rel_money_transfer WHERE from_id = to_id") == 0


def test_linkage_precision_on_the_planted_payees(county) -> None:
    con, report = county
    planted, linked, correct = con.execute(
        """SELECT count(*), count(l.linked_id_no), count(*) FILTER (WHERE l.linked_id_no = t.id_no)
           FROM truth_village_payees t
           LEFT JOIN person_links l ON l.source = 'village_ledgers' AND l.record_key = t.voucher_no
        """
    ).fetchall()[0]
    assert planted > 20
    assert correct / max(linked, 1) >= 0.95  # precision
    assert linked / planted >= 0.7  # recall: namesakes in one village stay unlinked
    assert report.linkage.pairs_scored > 0
