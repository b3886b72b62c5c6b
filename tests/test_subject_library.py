"""Subject and relationship libraries over a tiny county built in an in-memory DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from qingfeng.subject_library import (
    LIBRARY_NAMES,
    LibraryBuildError,
    attach_libraries,
    build_libraries,
    relatives_within,
)
from qingfeng.subject_library.build import RELATION_TABLES
from qingfeng.subject_library.macros import install_macros
from subject_library_data import ORG, VILLAGE_A, P, create_county

NAME_OF = {v: k for k, v in P.items()}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, object]:
    lake = tmp_path_factory.mktemp("lake")
    con = duckdb.connect()
    create_county(con)
    report = build_libraries(con, lake / "_libraries")
    attach_libraries(con, lake)
    return con, report


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def kin(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], float]:
    out = {}
    for a, b, rel, conf in rows(
        con, "SELECT from_id, to_id, relation, confidence FROM rel_kinship"
    ):
        out[(NAME_OF[a], NAME_OF[b], rel)] = conf
    return out


def test_every_library_is_written_and_attached(county, tmp_path: Path) -> None:
    con, report = county
    assert [r.name for r in report.results] == list(LIBRARY_NAMES)
    for r in report.results:
        assert Path(r.path).exists()
        (n,) = con.execute(f"SELECT count(*) FROM {r.name}").fetchone()
        assert n == r.rows
    names = {r[0] for r in rows(con, "SELECT table_name FROM information_schema.tables")}
    assert {"relations", "close_relatives", "vehicles_lib", "rel_money_transfer"} <= names


def test_people_one_row_per_id_with_derived_fields(county) -> None:
    con, _ = county
    (n, distinct) = con.execute("SELECT count(*), count(DISTINCT id_no) FROM people").fetchone()
    assert n == distinct == len(P)
    row = con.execute(
        "SELECT name, birth_date::VARCHAR, gender, household_no, division_code, in_registry "
        "FROM people WHERE id_no = ?",
        [P["zhang_xin"]],
    ).fetchone()
    assert row == ("张欣", "2010-05-05", "female", "H1", VILLAGE_A, True)
    assert con.execute(
        "SELECT gender FROM people WHERE id_no = ?", [P["zhang_wei"]]
    ).fetchone() == ("male",)


def test_death_date_is_the_earliest_from_any_source(county) -> None:
    con, _ = county
    death = con.execute(
        "SELECT death_date::VARCHAR, death_source, death_sources, is_dead FROM people "
        "WHERE id_no = ?",
        [P["chen_lan"]],
    ).fetchone()
    # cremation says 03-01, medical insurance 02-27: the earliest wins, both are kept
    assert death == (
        "2023-02-27",
        "deaths:medical_insurance",
        ["deaths:cremation", "deaths:medical_insurance"],
        True,
    )
    registry_only = con.execute(
        "SELECT death_date::VARCHAR, death_source, is_dead FROM people WHERE id_no = ?",
        [P["sun_li"]],
    ).fetchone()
    assert registry_only == ("2020-05-01", "household_registry", True)
    (alive,) = con.execute("SELECT count(*) FROM people WHERE NOT is_dead").fetchone()
    assert alive == len(P) - 2


def test_organisations_by_credit_code_with_roles(county) -> None:
    con, _ = county
    orgs = {
        r[0]: r[1:]
        for r in rows(con, "SELECT uscc, name, roles, is_public_body FROM organisations")
    }
    assert set(orgs) == set(ORG.values())
    assert orgs[ORG["township"]] == ("一村镇人民政府", ["buyer", "employer"], True)
    assert orgs[ORG["winner"]][1] == ["bidder", "company", "winner"]
    assert orgs[ORG["company"]][2] is False


def test_kinship_derived_from_relations_to_the_head(county) -> None:
    con, _ = county
    k = kin(con)
    assert k[("zhang_wei", "li_fang", "spouse")] == 1.0
    assert k[("li_fang", "zhang_wei", "spouse")] == 1.0
    assert k[("zhang_wei", "zhang_qiang", "parent")] == 1.0
    assert k[("zhang_qiang", "zhang_wei", "child")] == 1.0
    # the head's spouse is a parent of the head's children (a step-parent is possible)
    assert k[("li_fang", "zhang_min", "parent")] == pytest.approx(0.9)
    # two children of the head are siblings
    assert k[("zhang_qiang", "zhang_min", "sibling")] == pytest.approx(0.9)
    # the head's mother is the grandmother of the head's children
    assert k[("chen_lan", "zhang_qiang", "grandparent")] == 1.0
    assert k[("zhang_wei", "wang_li", "parent_in_law")] == 1.0
    # the only daughter-in-law, the only son: spouses; with two sons the spouse is one of two
    assert k[("zhang_qiang", "wang_li", "spouse")] == pytest.approx(0.9)
    assert k[("zhao_da", "liu_mei", "spouse")] == pytest.approx(0.45)
    assert k[("zhao_er", "liu_mei", "spouse")] == pytest.approx(0.45)
    # no spouse of the same sex, no relation across households
    assert ("zhang_min", "wang_li", "spouse") not in k
    assert not any(a == "zhang_wei" and b.startswith("zhao") for a, b, _ in k)


def test_close_relatives_view_and_relatives_within(county) -> None:
    con, _ = county
    close = {
        (NAME_OF[b], rel)
        for b, rel in rows(
            con,
            "SELECT relative_id_no, relation FROM close_relatives WHERE id_no = ?",
            [P["zhang_qiang"]],
        )
    }
    assert close == {
        ("zhang_wei", "child"),
        ("li_fang", "child"),
        ("wang_li", "spouse"),
        ("zhang_min", "sibling"),
        ("zhang_xin", "parent"),
    }
    one = {NAME_OF[r[0]] for r in relatives_within(con, P["zhang_qiang"], 1)}
    assert one == {"zhang_wei", "li_fang", "wang_li", "zhang_min", "zhang_xin"}
    two = {NAME_OF[r[0]]: r for r in relatives_within(con, P["zhang_qiang"], 2)}
    assert two["chen_lan"][1:3] == (2, ["child", "child"])
    assert P["zhang_qiang"] not in {r[0] for r in relatives_within(con, P["zhang_qiang"], 3)}
    with pytest.raises(ValueError):
        relatives_within(con, P["zhang_qiang"], 0)


def test_household_employment_legal_rep_shareholding(county) -> None:
    con, _ = county
    assert rows(
        con, "SELECT to_id, detail FROM rel_household WHERE from_id = ?", [P["zhang_xin"]]
    ) == [("H1", "孙女")]
    assert rows(con, "SELECT from_id, to_id, position FROM rel_employment") == [
        (P["zhang_qiang"], ORG["township"], "科员")
    ]
    assert rows(con, "SELECT from_id, to_id FROM rel_legal_rep") == [
        (P["zhang_min"], ORG["company"])
    ]
    share = {
        r[1]: r
        for r in rows(
            con,
            "SELECT from_type, from_id, share_ratio, method, confidence FROM rel_shareholding",
        )
    }
    assert share[P["zhang_qiang"]] == ("person", P["zhang_qiang"], 0.4, "id_no", 1.0)
    assert share[ORG["holding"]][0] == "organisation"
    # a shareholder named without an ID: a name alone is weak evidence, so not linked at 0.8
    assert len(share) == 2


def test_a_linked_shareholder_joins_the_shareholding(tmp_path: Path) -> None:
    con = duckdb.connect()
    create_county(con, only={"household_registry", "companies", "shareholders"})
    build_libraries(con, tmp_path / "_libraries", link_threshold=0.3)
    attach_libraries(con, tmp_path)
    linked = rows(
        con,
        "SELECT method, confidence, shareholder_name FROM rel_shareholding WHERE from_id = ?",
        [P["wang_xiaoming"]],
    )
    assert len(linked) == 1 and linked[0][0] == "splink" and 0.3 <= linked[0][1] < 0.8
    assert linked[0][2] == "王小明"


def test_award_and_co_bidding(county) -> None:
    con, _ = county
    assert rows(con, "SELECT from_id, to_id, tender_no FROM rel_contract_award") == [
        (ORG["township"], ORG["winner"], "T1")
    ]
    pairs = {
        (a, b): (n, t)
        for a, b, n, t in rows(
            con, "SELECT from_id, to_id, tender_count, tender_nos FROM rel_co_bidding"
        )
    }
    assert pairs[(ORG["winner"], ORG["loser1"])] == (2, ["T1", "T2"])
    assert pairs[(ORG["loser1"], ORG["winner"])] == (2, ["T1", "T2"])
    assert pairs[(ORG["loser2"], ORG["winner"])] == (1, ["T1"])
    assert len(pairs) == 6


def test_money_transfer_resolves_counterparties(county) -> None:
    con, _ = county
    got = {
        (r[0], r[1], r[2], r[3]): r[4:]
        for r in rows(
            con,
            "SELECT from_type, from_id, to_type, to_id, method, txn_count, total_amount "
            "FROM rel_money_transfer",
        )
    }
    # ACC-ZM is where 张敏's subsidy is paid: the account names its holder
    assert got[("person", P["zhang_qiang"], "person", P["zhang_min"])] == ("account", 2, 8000)
    # an incoming transfer from a company named exactly as in the register
    assert got[("organisation", ORG["winner"], "person", P["zhang_qiang"])] == (
        "name_exact",
        1,
        20000,
    )
    # an unknown counterparty stays an account node
    assert got[("person", P["zhang_qiang"], "account", "ACC-X")] == ("account", 1, 10)


def test_accounts_vehicles_properties(county) -> None:
    con, _ = county
    assert rows(
        con, "SELECT holder_id_no, holder_method FROM accounts WHERE account_no = 'ACC-CL'"
    ) == [(P["chen_lan"], "subsidy_payee")]
    veh = dict(rows(con, "SELECT plate_no, owner_type FROM vehicles_lib"))
    assert veh == {"浙A12345": "person", "浙A88888": "organisation"}
    prop = rows(con, "SELECT owner_id_no, owner_ids, is_resettlement FROM properties")
    assert prop == [(P["zhang_qiang"], sorted([P["zhang_qiang"], P["wang_li"]]), True)]


def test_relations_union_has_the_common_columns(county) -> None:
    con, report = county
    described = rows(con, "DESCRIBE relations")
    assert {r[0]: r[1] for r in described}["confidence"] == "DOUBLE"
    for name in (r.name for r in report.results if r.name.startswith("rel_")):
        types = {r[0]: r[1] for r in rows(con, f"DESCRIBE {name}")}
        assert types["confidence"] == "DOUBLE" and types["from_id"] == "VARCHAR", name
    cols = [r[0] for r in described]
    assert cols == [
        "from_type", "from_id", "to_type", "to_id", "relation", "detail", "source",
        "confidence", "method",
    ]  # fmt: skip
    (total,) = con.execute("SELECT count(*) FROM relations").fetchone()
    # rel_close_kin is composed from the other ties and stays out of the union
    assert total == sum(r.rows for r in report.results if r.name in RELATION_TABLES)
    (bad,) = con.execute(
        "SELECT count(*) FROM relations WHERE confidence NOT BETWEEN 0 AND 1 OR method IS NULL"
    ).fetchone()
    assert bad == 0


def test_splink_links_names_without_id(county) -> None:
    con, report = county
    links = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT record_key, outcome, linked_id_no, best_candidate_id_no, method, confidence "
            "FROM person_links WHERE source = 'village_ledgers'",
        )
    }
    # 王晓明 in village A: same pinyin and village as 王小明
    assert links["V1"][:2] == ("linked", P["wang_xiaoming"])
    assert links["V1"][3] == "splink" and links["V1"][4] > 0.99
    # V2 has an ID number: it is not a mention at all
    assert "V2" not in links
    assert links["V3"][0] == "unmatched" and links["V3"][1] is None
    # two 李明 in the village: kept unlinked, the best candidate recorded
    assert links["V4"][0] == "ambiguous" and links["V4"][1] is None
    assert links["V4"][2] in (P["li_ming_1"], P["li_ming_2"])
    complaint = rows(
        con, "SELECT outcome, linked_id_no FROM person_links WHERE source = 'complaints'"
    )
    assert complaint == [("linked", P["zhang_qiang"])]
    assert report.linkage.linked == 2 and report.linkage.ambiguous == 1


def test_absent_inputs_give_empty_libraries_with_the_same_columns(county, tmp_path: Path) -> None:
    full, _ = county
    con = duckdb.connect()
    create_county(con, only={"household_registry"})
    report = build_libraries(con, tmp_path / "_libraries")
    attach_libraries(con, tmp_path)
    assert report.result("people").rows == len(P)
    assert report.result("rel_kinship").rows > 0
    orgs = report.result("organisations")
    assert orgs.rows == 0 and orgs.skipped and "companies" in orgs.missing_inputs
    for name in LIBRARY_NAMES:
        assert rows(con, f"DESCRIBE {name}") == rows(full, f"DESCRIBE {name}"), name


def test_the_model_compiler_knows_every_library_column(county) -> None:  # type: ignore[no-untyped-def]
    """entities.schema.LIBRARY_COLUMNS (what a model reading a library is checked against) is
    what the libraries and the views over them hold."""
    from qingfeng.subject_library.schema import LIBRARY_COLUMNS

    full, _ = county
    for view, columns in LIBRARY_COLUMNS.items():
        described = {row[0]: row[1] for row in rows(full, f"DESCRIBE {view}")}
        assert described == columns, view
    assert set(LIBRARY_COLUMNS) == {*LIBRARY_NAMES, "relations", "close_relatives", "relatives"}


def test_empty_inputs_are_reported(tmp_path: Path) -> None:
    con = duckdb.connect()
    create_county(con, only={"household_registry", "companies", "vehicles"})
    con.execute("DELETE FROM companies")
    report = build_libraries(con, tmp_path / "_libraries")
    legal = report.result("rel_legal_rep")
    assert legal.empty_inputs == ["companies"] and legal.skipped and legal.rows == 0
    assert not report.result("organisations").skipped  # vehicles owned by a company still count


def test_missing_column_is_reported(tmp_path: Path) -> None:
    con = duckdb.connect()
    create_county(con, only={"household_registry", "companies"})
    con.execute("ALTER TABLE companies DROP COLUMN phone")
    report = build_libraries(con, tmp_path / "_libraries")
    assert "companies.phone" in report.result("organisations").missing_columns


def test_a_failed_build_names_the_library_and_keeps_the_previous_files(tmp_path: Path) -> None:
    out = tmp_path / "_libraries"
    con = duckdb.connect()
    create_county(con, only={"household_registry", "deaths"})
    build_libraries(con, out)
    before = (out / "people.parquet").read_bytes()
    # a deaths table whose death_date holds text that is not a date
    bad = duckdb.connect()
    create_county(bad, only={"household_registry"})
    bad.execute(
        "CREATE TABLE deaths (id_no VARCHAR, name VARCHAR, death_date VARCHAR, source VARCHAR)"
    )
    bad.execute("INSERT INTO deaths VALUES (?, '陈兰', '不详', 'cremation')", [P["chen_lan"]])
    with pytest.raises(LibraryBuildError, match=r"people.*deaths"):
        build_libraries(bad, out)
    assert (out / "people.parquet").read_bytes() == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


_MACROS = duckdb.connect()
install_macros(_MACROS)


def _stdnum_ric_ok(number: str) -> bool:
    """stdnum's checks minus the birth-place lookup (that belongs to ingest's division rules)."""
    try:
        if number[-1] != ric.calc_check_digit(number):
            return False
        ric.get_birth_date(number)
    except Exception:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(
    body=st.from_regex(r"[1-6][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}", fullmatch=True),
    check=st.sampled_from("0123456789X"),
)
def test_resident_id_macro_agrees_with_stdnum(body: str, check: str) -> None:
    number = body + check
    (ours,) = _MACROS.execute("SELECT qf_is_resident_id(?)", [number]).fetchone()
    assert ours == _stdnum_ric_ok(number)


@settings(max_examples=150, deadline=None)
@given(body=st.from_regex(r"[159][123][0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True))
def test_uscc_macro_agrees_with_stdnum(body: str) -> None:
    for number in (body + uscc.calc_check_digit(body), body + "0"):
        (ours,) = _MACROS.execute("SELECT qf_is_uscc(?)", [number]).fetchone()
        assert ours == uscc.is_valid(number)
