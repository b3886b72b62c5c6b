"""Close relatives across households: household roles (current and past households), marriage
registrations and birth records composed into one library with degree and derivation."""

from __future__ import annotations

import duckdb
import pytest

from qingfeng.subject_library import attach_libraries, build_libraries
from subject_library_data import pid

VILLAGE = "330102001001"
P = {
    "guan": pid("19700101", 1, True),  # the official
    "guan_wife": pid("19720202", 2, False),
    "guan_son": pid("19950303", 3, True),
    "guan_daughter": pid("19970404", 4, False),  # married out, lives in her husband's household
    "xu": pid("19960505", 5, True),  # the daughter's husband
    "guan_brother": pid("19740606", 6, True),  # split off (分户) into his own household
    "bro_wife": pid("19750707", 7, False),
    "wife_father": pid("19450808", 8, True),  # known from birth records only
    "wife_brother": pid("19760909", 9, True),
    "son_ex": pid("19961010", 10, False),  # the son's wife, divorced
    "guan_decoy": pid("19711111", 11, True),  # same surname, same village, no tie
    "dorm_a": pid("19800112", 12, True),  # a collective household (集体户)
    "dorm_b": pid("20000113", 13, True),
}
NAME_OF = {v: k for k, v in P.items()}

REGISTRY = [
    # id, name, household_no, relation_to_head, household_type
    ("guan", "关国栋", "H10", "户主", "家庭户"),
    ("guan_wife", "李秀", "H10", "配偶", "家庭户"),
    ("guan_son", "关明", "H10", "子", "家庭户"),
    ("xu", "徐亮", "H11", "户主", "家庭户"),
    ("guan_daughter", "关丽", "H11", "配偶", "家庭户"),
    ("guan_brother", "关国梁", "H12", "户主", None),
    ("bro_wife", "杨芳", "H12", "妻", None),
    ("wife_brother", "李强", "H13", "户主", "家庭户"),
    ("son_ex", "赵敏", "H15", "户主", "家庭户"),
    ("guan_decoy", "关国富", "H14", "户主", "家庭户"),
    # the registry's roles in a collective household mean nothing: same number, no family
    ("dorm_a", "周一", "C1", "户主", "集体户"),
    ("dorm_b", "周二", "C1", "子", "集体户"),
]

# id, household left, relation to its head, move type, date, new household
MOVES = [
    ("guan_brother", "H10", "sibling", "split", "2001-03-01", "H12"),
    ("guan_daughter", "H10", "女", "迁出", "2020-06-01", "H11"),
]
# registration number, type, date, husband, wife
MARRIAGES = [
    ("J1", "marriage", "2020-05-20", "xu", "guan_daughter"),
    ("J2", "结婚", "2019-01-01", "guan_son", "son_ex"),
    ("L1", "离婚", "2022-08-01", "guan_son", "son_ex"),
]
# certificate, child, birth date, mother, father
BIRTHS = [
    ("B1", "guan_wife", "1972-02-02", None, "wife_father"),
    ("B2", "wife_brother", "1976-09-09", None, "wife_father"),
    ("B3", "guan_daughter", "1997-04-04", "guan_wife", "guan"),
]


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE household_registry (id_no VARCHAR, name VARCHAR, household_no VARCHAR, "
        "relation_to_head VARCHAR, household_type VARCHAR, division_code VARCHAR)"
    )
    con.executemany(
        "INSERT INTO household_registry VALUES (?, ?, ?, ?, ?, ?)",
        [(P[k], n, h, r, t, VILLAGE) for k, n, h, r, t in REGISTRY],
    )
    con.execute(
        "CREATE TABLE household_moves (id_no VARCHAR, name VARCHAR, household_no VARCHAR, "
        "relation_to_head VARCHAR, move_type VARCHAR, move_date DATE, new_household_no VARCHAR)"
    )
    con.executemany(
        "INSERT INTO household_moves VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(P[k], None, h, r, m, d, nh) for k, h, r, m, d, nh in MOVES],
    )
    con.execute(
        "CREATE TABLE marriage_registrations (reg_no VARCHAR, reg_type VARCHAR, reg_date DATE, "
        "husband_id_no VARCHAR, husband_name VARCHAR, wife_id_no VARCHAR, wife_name VARCHAR)"
    )
    con.executemany(
        "INSERT INTO marriage_registrations VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(no, t, d, P[h], None, P[w], None) for no, t, d, h, w in MARRIAGES],
    )
    con.execute(
        "CREATE TABLE birth_records (cert_no VARCHAR, child_id_no VARCHAR, birth_date DATE, "
        "mother_id_no VARCHAR, father_id_no VARCHAR)"
    )
    con.executemany(
        "INSERT INTO birth_records VALUES (?, ?, ?, ?, ?)",
        [(no, P[c], d, P[m] if m else None, P[f] if f else None) for no, c, d, m, f in BIRTHS],
    )


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    lake = tmp_path_factory.mktemp("lake")
    con = duckdb.connect()
    create_tables(con)
    build_libraries(con, lake / "_libraries")
    attach_libraries(con, lake)
    return con


def relatives_of(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, tuple[str, int]]:
    rows = con.execute(
        "SELECT relative_id_no, relation, degree FROM relatives WHERE id_no = ?", [P[key]]
    ).fetchall()
    out: dict[str, tuple[str, int]] = {}
    for rid, relation, degree in rows:
        # one person may be reached as two relations (a sibling's parent is a parent): the closest
        if NAME_OF[rid] not in out or degree < out[NAME_OF[rid]][1]:
            out[NAME_OF[rid]] = (relation, degree)
    return out


def test_relatives_across_households_with_their_degree(con) -> None:  # type: ignore[no-untyped-def]
    assert relatives_of(con, "guan") == {
        "guan_wife": ("spouse", 1),
        "guan_son": ("child", 1),
        "guan_daughter": ("child", 1),  # birth record; she left the household (迁出)
        "xu": ("child_in_law", 2),  # her husband, from the marriage registration
        "guan_brother": ("sibling", 2),  # split off: the past household keeps the tie
        "bro_wife": ("sibling_in_law", 3),
        "wife_father": ("parent_in_law", 2),
        "wife_brother": ("sibling_in_law", 3),  # spouse + father (birth) + father's son (birth)
    }


def test_no_tie_for_namesakes_divorced_spouses_or_collective_households(con) -> None:  # type: ignore[no-untyped-def]
    assert "guan_decoy" not in relatives_of(con, "guan")
    assert relatives_of(con, "guan_decoy") == {}
    assert "son_ex" not in relatives_of(con, "guan_son")
    assert relatives_of(con, "dorm_a") == {}
    assert relatives_of(con, "dorm_b") == {}


def test_each_tie_records_its_sources_and_derivation(con) -> None:  # type: ignore[no-untyped-def]
    source, derivation, facts, method = con.execute(
        "SELECT source, derivation, facts, method FROM rel_close_kin "
        "WHERE from_id = ? AND to_id = ? AND relation = 'sibling_in_law'",
        [P["guan"], P["wife_brother"]],
    ).fetchone()
    assert source == "birth_records+household_registry"
    assert facts == 3 and method == "composed"
    assert derivation.startswith("spouse[household_registry household:H10 H→S]")
    assert "parent[birth_records B2]" in derivation
    brother = con.execute(
        "SELECT source, derivation FROM relatives WHERE id_no = ? AND relative_id_no = ?",
        [P["guan"], P["guan_brother"]],
    ).fetchone()
    assert brother == ("household_moves", "sibling[household_moves household:H10 B→H]")
    # the couple is seen in the registry and the marriage register: both sources are kept
    couple = con.execute(
        "SELECT source FROM relatives WHERE id_no = ? AND relative_id_no = ?",
        [P["xu"], P["guan_daughter"]],
    ).fetchone()[0]
    assert couple == "household_registry+marriage_registrations"
    married_son = con.execute(
        "SELECT derivation FROM rel_close_kin WHERE from_id = ? AND relation = 'spouse'",
        [P["xu"]],
    ).fetchall()
    assert len(married_son) == 1


def test_ties_are_symmetric(con) -> None:  # type: ignore[no-untyped-def]
    one_way = con.execute(
        "SELECT count(*) FROM relatives a LEFT JOIN relatives b "
        "ON b.id_no = a.relative_id_no AND b.relative_id_no = a.id_no WHERE b.id_no IS NULL"
    ).fetchone()[0]
    assert one_way == 0
