"""One file, two datasets (member rosters, bid-opening records); duplicates vs key conflicts."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest_helpers import (
    bid_opening_rows,
    make_id,
    make_uscc,
    registry_rows,
    roster_rows,
    write_csv,
    write_xlsx,
)
from qingfeng.ingest import IngestError, ingest_path
from qingfeng.ingest.mapping import find_mapping, load_mapping, propose
from qingfeng.ingest.pipeline import _connection
from qingfeng.ingest.readers import read_csv_source
from qingfeng.ingest.split import detect_split
from qingfeng.lake import Lake, connect
from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


def _by_dataset(report: object) -> dict[str, object]:
    return {s.dataset: s for s in report.sources}  # type: ignore[attr-defined]


def _counts(rep: object) -> tuple[int, int, int, int]:
    return (rep.rows_read, rep.rows_loaded, rep.rows_quarantined, rep.rows_duplicate)  # type: ignore[attr-defined]


def _every_row_once(con: duckdb.DuckDBPyConnection, dataset: str, rows: int) -> None:
    """Each source row is in exactly one place for `dataset`: its table, quarantine, duplicates."""
    got = con.execute(
        f"SELECT _source_row AS r FROM {dataset} UNION ALL "
        f"SELECT source_row FROM quarantine WHERE dataset = '{dataset}' UNION ALL "
        f"SELECT source_row FROM duplicates WHERE dataset = '{dataset}' ORDER BY r"
    ).fetchall()
    assert [r for (r,) in got] == list(range(2, rows + 2))


def test_member_roster_lands_in_households_and_members(ws: Settings, tmp_path: Path) -> None:
    rows = roster_rows()
    assert len(rows) - 1 == 800
    f = write_csv(tmp_path / "低保成员花名册.csv", rows)
    report = ingest_path(ws, f, assume_yes=True)
    by = _by_dataset(report)
    members, households = by["dibao_members"], by["dibao_households"]
    assert _counts(members) == (800, 800, 0, 0)
    assert _counts(households) == (800, 320, 0, 480)  # the repeated part, de-duplicated
    assert (members.split_role, members.split_with) == ("child", "dibao_households")  # type: ignore[attr-defined]
    assert (households.split_role, households.split_with) == ("parent", "dibao_members")  # type: ignore[attr-defined]
    assert "480" in households.message and "dibao_households" in members.message  # type: ignore[attr-defined]
    assert report.reconciled and all(s.status == "loaded" for s in report.sources)

    con = connect(ws)
    first = rows[1]
    assert con.execute(
        "SELECT case_no, head_name, head_id_no, household_no, division_code, "
        "start_date::VARCHAR, monthly_amount::VARCHAR, _source_row FROM dibao_households "
        "ORDER BY _source_row LIMIT 1"
    ).fetchone() == (first[0], first[1], first[2], first[3], "522701001001", "2024-01-01",
                     "500.00", 2)  # fmt: skip
    # Household 3 has four members (rows 8–11): the first is kept, the others point to it.
    assert con.execute(
        "SELECT source_row, kept_row FROM duplicates WHERE dataset = 'dibao_households' "
        "AND kept_row = 8 ORDER BY source_row"
    ).fetchall() == [(9, 8), (10, 8), (11, 8)]
    assert con.execute(
        "SELECT count(*), count(DISTINCT case_no), count(*) FILTER (WHERE relation_to_head = "
        "'head') FROM dibao_members"
    ).fetchone() == (800, 320, 320)
    _every_row_once(con, "dibao_households", 800)
    _every_row_once(con, "dibao_members", 800)
    # Both batches were published together and know it.
    batches = Lake(ws.lake_dir).batches()
    assert sorted(b.dataset for b in batches) == ["dibao_households", "dibao_members"]
    assert {b.meta["published_with"][0] for b in batches} == {b.batch_id for b in batches}


def test_either_proposal_of_a_roster_finds_the_pair(ws: Settings, tmp_path: Path) -> None:
    # Member columns first with generic headers (姓名, 身份证号 fit the head as well).
    rows = [[r[i] for i in (7, 8, 9, 0, 1, 2, 3, 4, 5, 6)] for r in roster_rows(60)]
    rows[0][:2] = ["姓名", "身份证号"]
    f = write_csv(tmp_path / "roster.csv", rows)
    src = read_csv_source(f, tmp_path / "staging")
    con = _connection(tmp_path / "staging")
    found = []
    for dataset in ("dibao_households", "dibao_members"):
        proposed = propose(src.headers, src.name, dataset, src.samples()).mapping
        assert proposed is not None
        both = detect_split(con, proposed, src)
        assert both is not None
        assert both.split is not None
        found.append((both.dataset, both.field_columns(), both.split.field_columns()))
    assert found[0] == found[1]
    child, parent = found[0][1], found[0][2]
    # 姓名 and 身份证号 change within a case: the member's; the head's come from 户主… columns.
    assert (child["name"], child["id_no"]) == ("姓名", "身份证号")
    assert (parent["head_name"], parent["head_id_no"]) == ("户主姓名", "户主身份证号")
    assert parent["case_no"] == child["case_no"] == "救助证编号"


def test_files_of_one_dataset_are_not_split(ws: Settings, tmp_path: Path) -> None:
    # One row per case (the household list itself) and a member list without household columns.
    rows = roster_rows(40)
    heads = [rows[0][:7]] + [r[:7] for r in rows[1:] if r[9] == "户主"]
    members = [[rows[0][0], *rows[0][7:]]] + [[r[0], *r[7:]] for r in rows[1:]]
    report = ingest_path(ws, write_csv(tmp_path / "a" / "低保家庭.csv", heads), assume_yes=True)
    assert [(s.dataset, s.split_role, s.rows_loaded) for s in report.sources] == [
        ("dibao_households", None, 40)
    ]
    report = ingest_path(ws, write_csv(tmp_path / "b" / "低保成员.csv", members), assume_yes=True)
    assert [(s.dataset, s.split_role, s.rows_loaded) for s in report.sources] == [
        ("dibao_members", None, len(members) - 1)
    ]


def test_bid_opening_record_lands_in_tenders_and_bids(ws: Settings, tmp_path: Path) -> None:
    rows = bid_opening_rows()
    f = write_xlsx(tmp_path / "开标记录.xlsx", {"开标一览表": rows})
    report = ingest_path(ws, f, assume_yes=True)
    by = _by_dataset(report)
    bids, tenders = by["bids"], by["tenders"]
    assert _counts(bids) == (111, 111, 0, 0)
    assert _counts(tenders) == (111, 28, 0, 83)
    con = connect(ws)
    assert con.execute(
        "SELECT tender_no, project_name, buyer_name, budget::VARCHAR, method, "
        "announce_date::VARCHAR, deadline_date::VARCHAR FROM tenders ORDER BY tender_no LIMIT 1"
    ).fetchone() == ("ZB2024-000", "道路维修工程0标段", "某县交通运输局", "100000.00", "open",
                     "2024-03-01", "2024-03-25")  # fmt: skip
    assert con.execute(
        "SELECT count(*), count(DISTINCT tender_no), min(bidder_uscc) FROM bids"
    ).fetchone() == (111, 28, make_uscc(0))
    _every_row_once(con, "tenders", 111)


def test_amounts_moved_between_the_two_sides_keep_their_header_unit(
    ws: Settings, tmp_path: Path
) -> None:
    """The bid price (开标价格（元）) first looks like the tender's winning price; it varies
    within a tender, so it is the bid's, and the tender takes its price from 成交额（万元）: in
    万元, converted to yuan like any amount whose header names the unit."""
    rows = bid_opening_rows(tenders=12)
    rows[0] = [h if h != "投标报价" else "开标价格（元）" for h in rows[0]] + ["成交额（万元）"]
    for row in rows[1:]:
        row.append(str(9 + int(row[0][-3:]) % 3))  # one winning price per tender, in 万元
    f = write_xlsx(tmp_path / "开标记录.xlsx", {"开标一览表": rows})
    report = ingest_path(ws, f, assume_yes=True)
    by = _by_dataset(report)
    assert set(by) == {"bids", "tenders"}
    mapping = load_mapping(Path(by["bids"].mapping_file))  # type: ignore[attr-defined]
    assert mapping.split is not None
    assert mapping.split.columns["成交额（万元）"] == "winning_price"
    assert mapping.split.units.get("成交额（万元）") == "wan"
    con = connect(ws)
    assert con.execute(
        "SELECT min(winning_price)::VARCHAR, max(winning_price)::VARCHAR FROM tenders"
    ).fetchone() == ("90000.00", "110000.00")
    assert con.execute("SELECT max(bid_price) < 200000 FROM bids").fetchone() == (True,)


def test_conflicting_repeated_values_are_quarantined_with_both_values(
    ws: Settings, tmp_path: Path
) -> None:
    rows = roster_rows(40)
    # Case DB00003 (rows 8–11): the second member's row gives another head ID (a valid one).
    other = make_id("522701", "19700101", 7)
    assert rows[8][0] == "DB00003"
    original = rows[8][2]
    rows[8][2] = other
    report = ingest_path(ws, write_csv(tmp_path / "roster.csv", rows), assume_yes=True)
    by = _by_dataset(report)
    members, households = by["dibao_members"], by["dibao_households"]
    n = len(rows) - 1
    assert _counts(members) == (n, n, 0, 0)  # every member still lands
    # The case's four rows are quarantined for the parent: never guessed, nothing lost.
    assert _counts(households) == (n, 39, 4, n - 39 - 4)
    assert households.rules == {"head_id_no:parent_conflict": 4}  # type: ignore[attr-defined]
    assert households.rows_key_conflict == 4  # type: ignore[attr-defined]
    con = connect(ws)
    got = con.execute(
        "SELECT source_row, rules, detail, original FROM quarantine "
        "WHERE dataset = 'dibao_households' ORDER BY source_row"
    ).fetchall()
    assert [(r, rule) for r, rule, _, _ in got] == [
        (r, "head_id_no:parent_conflict") for r in (8, 9, 10, 11)
    ]
    detail = json.loads(got[0][2])
    assert detail == {"户主身份证号": {"8": original, "9": other, "10": original, "11": original}}
    assert json.loads(got[1][3])["户主身份证号"] == other  # the row's own values kept
    assert con.execute(
        "SELECT count(*) FROM dibao_households WHERE case_no = 'DB00003'"
    ).fetchone() == (0,)
    _every_row_once(con, "dibao_households", n)


def test_a_blank_repeated_value_is_no_conflict(ws: Settings, tmp_path: Path) -> None:
    # Excel merged cells leave the repeated columns blank below the first row of a household.
    rows = roster_rows(12)
    for r in rows[2:]:
        if r[9] != "户主":
            r[4] = r[6] = ""  # division and amount written once per case
    report = ingest_path(ws, write_csv(tmp_path / "roster.csv", rows), assume_yes=True)
    households = _by_dataset(report)["dibao_households"]
    assert (households.rows_loaded, households.rows_quarantined) == (12, 0)  # type: ignore[attr-defined]
    assert connect(ws).execute(
        "SELECT count(*) FROM dibao_households WHERE monthly_amount IS NULL "
        "OR division_code IS NULL"
    ).fetchone() == (0,)


def test_key_collisions_that_differ_are_key_conflicts_not_duplicates(
    ws: Settings, tmp_path: Path
) -> None:
    rows = registry_rows()  # row 5 is an exact copy of row 2
    headers = [*rows[0], "备注"]
    body = [[*r, ""] for r in rows[1:]]
    body.append([*rows[3][:9], "13900000003", ""])  # row 8: row 4's person, another phone
    body.append([*rows[1], "迁入"])  # row 9: row 2 again, differing only in an unmapped column
    report = ingest_path(ws, write_csv(tmp_path / "户籍.csv", [headers, *body]), assume_yes=True)
    reg = report.sources[0]
    # 2 invalid rows (as before), rows 4 & 8 and 2 & 9 in conflict; row 5 (a copy of row 2)
    # removed as an exact duplicate.
    assert _counts(reg) == (8, 1, 6, 1)
    assert (reg.rows_key_conflict, reg.key_conflicts) == (4, "quarantined")
    assert "key_conflict" in reg.message
    assert reg.rules == {
        "id_no:check_digit": 1, "id_no:required": 1, "birth_date:invalid": 1,
        "phone:key_conflict": 2, "备注:key_conflict": 2,
    }  # fmt: skip
    con = connect(ws)
    got = dict(
        con.execute(
            "SELECT source_row, detail FROM quarantine WHERE rules LIKE '%key_conflict%'"
        ).fetchall()
    )
    assert sorted(got) == [2, 4, 8, 9]
    assert json.loads(got[8]) == {"联系电话": {"4": None, "8": "13900000003"}}
    assert json.loads(got[2]) == json.loads(got[9]) == {"备注": {"2": None, "9": "迁入"}}
    assert con.execute("SELECT source_row, kept_row FROM duplicates").fetchall() == [(5, 2)]
    _every_row_once(con, "household_registry", 8)


def test_key_conflicts_land_where_the_key_may_repeat(ws: Settings, tmp_path: Path) -> None:
    # A plate re-issued after the first vehicle was scrapped: both registrations are real.
    owner = make_id("522701", "19700101", 1)
    rows = [
        ["号牌号码", "车辆识别代号", "所有人身份证号", "所有人", "机动车状态"],
        ["贵A12345", "LSVAA4182E2000001", owner, "王伟", "注销"],
        ["贵A12345", "LSVAA4182E2000002", owner, "王伟", "正常"],
        ["贵A12345", "LSVAA4182E2000002", owner, "王伟", "正常"],
    ]
    report = ingest_path(ws, write_csv(tmp_path / "机动车.csv", rows), assume_yes=True)
    rep = report.sources[0]
    assert rep.dataset == "vehicles"
    assert _counts(rep) == (3, 2, 0, 1)
    assert (rep.rows_key_conflict, rep.key_conflicts) == (2, "landed")


def test_saved_split_mapping_is_reused_next_month(ws: Settings, tmp_path: Path) -> None:
    first = ingest_path(
        ws, write_csv(tmp_path / "花名册_01.csv", roster_rows(30, "2024-01")), assume_yes=True
    )
    saved = find_mapping(ws.mappings_dir, roster_rows(1)[0])
    assert saved is not None and saved.confirmed and saved.split is not None
    assert (saved.dataset, saved.split.dataset) == ("dibao_members", "dibao_households")
    assert find_mapping(ws.mappings_dir, roster_rows(1)[0], "dibao_households") is not None
    # Next month: same headers, no --yes: the saved mapping applies to both datasets.
    nxt = ingest_path(
        ws, write_csv(tmp_path / "花名册_02.csv", roster_rows(30, "2024-02")), assume_yes=False
    )
    assert [(s.dataset, s.status) for s in nxt.sources] == [
        ("dibao_members", "loaded"),
        ("dibao_households", "loaded"),
    ]
    assert {s.mapping_file for s in nxt.sources} == {s.mapping_file for s in first.sources}
    assert len(Lake(ws.lake_dir).batches("dibao_households")) == 2
    # The same file again changes nothing, for both datasets.
    again = ingest_path(ws, tmp_path / "花名册_02.csv", assume_yes=True)
    assert [(s.dataset, s.status) for s in again.sources] == [
        ("dibao_members", "already_ingested"),
        ("dibao_households", "already_ingested"),
    ]


def test_a_split_mapping_waits_for_confirmation_like_any(ws: Settings, tmp_path: Path) -> None:
    report = ingest_path(ws, write_csv(tmp_path / "r.csv", roster_rows(20)), assume_yes=False)
    assert [s.status for s in report.sources] == ["awaiting_confirmation"]
    text = Path(report.sources[0].mapping_file or "").read_text(encoding="utf-8")
    assert "split:" in text and "dibao_households" in text
    assert Lake(ws.lake_dir).batches() == []


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["split"].update(dataset="tenders"), "split.dataset 'tenders'"),
        (
            lambda d: d["split"]["columns"].update({"户主姓名": "nope"}),
            "split.columns: 户主姓名 → nope",
        ),
        (lambda d: d["split"].update(units={"月保障金额": "jiao"}), "split.units.月保障金额=jiao"),
        (lambda d: d["split"].update(columns=["户主姓名"]), "split.columns"),
        (lambda d: d.update(split="dibao_households"), "split.dataset 'dibao_households'"),
    ],
)
def test_malformed_split_mapping_names_the_entry(
    ws: Settings, tmp_path: Path, edit: object, named: str
) -> None:
    ingest_path(ws, write_csv(tmp_path / "r.csv", roster_rows(10)), assume_yes=False)
    (path,) = ws.mappings_dir.glob("*.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(IngestError) as err:
        load_mapping(path)
    assert named in str(err.value) and path.name in str(err.value)
    # The ingest reports it for that file and publishes nothing.
    report = ingest_path(ws, tmp_path / "r.csv", assume_yes=True)
    assert report.sources[0].status == "error" and named in report.sources[0].message
    assert Lake(ws.lake_dir).batches() == []


def test_rolling_back_one_half_of_a_split_file_unpublishes_both(
    ws: Settings, tmp_path: Path
) -> None:
    f = write_csv(tmp_path / "r.csv", roster_rows(10))
    report = ingest_path(ws, f, assume_yes=True)
    lake = Lake(ws.lake_dir)
    lake.rollback(report.sources[1].batch_id or "")
    assert lake.batches() == []
    assert not list(ws.lake_dir.glob("dibao_*/batch=*"))
    again = ingest_path(ws, f, assume_yes=True)
    assert [s.status for s in again.sources] == ["loaded", "loaded"]


def test_shareholder_list_repeating_its_company_lands_in_both(ws: Settings, tmp_path: Path) -> None:
    rows = [["统一社会信用代码", "企业名称", "法定代表人", "注册资本（万元）", "成立日期",
             "股东名称", "股东身份证号", "认缴出资额（万元）"]]  # fmt: skip
    for c in range(6):
        for s in range(2 + c % 2):
            holder = make_id("522701", f"19{70 + s}0{1 + c}01", 10 * c + s)
            rows.append([make_uscc(500 + c), f"某某商贸有限公司{c}", "王伟", "100", "2020-05-01",
                         f"股东{'甲乙丙'[s]}", holder, str(30 + s)])  # fmt: skip
    report = ingest_path(ws, write_csv(tmp_path / "股东名册.csv", rows), assume_yes=True)
    by = _by_dataset(report)
    assert _counts(by["shareholders"]) == (15, 15, 0, 0)
    assert _counts(by["companies"]) == (15, 6, 0, 9)
    con = connect(ws)
    assert con.execute(
        "SELECT count(*), min(registered_capital)::VARCHAR, min(legal_rep_name) FROM companies"
    ).fetchone() == (6, "1000000.00", "王伟")


def test_a_bid_list_whose_other_columns_vary_is_not_split(ws: Settings, tmp_path: Path) -> None:
    """Bids of several tenders with a remark that changes from bid to bid and a stamp of when
    the file was made: neither repeats with the tender as a tender's own column would, so the
    file lands in bids only."""
    rows = [
        ["项目编号", "投标人", "投标人统一社会信用代码", "投标报价（元）", "情况说明", "制表时间"]
    ]
    for t in range(20):
        for b in range(3 + t % 3):
            bidder = 10 * t + b
            rows.append(
                [f"ZB2024-{t:03d}", f"某建筑公司{bidder}", make_uscc(bidder),
                 str(95000 + 997 * b + 11 * t), f"第{b + 1}家递交，材料齐全", "2024-06-30 17:45:12"]
            )  # fmt: skip
    report = ingest_path(ws, write_csv(tmp_path / "投标.csv", rows), assume_yes=True)
    assert [(s.dataset, s.split_role, s.rows_loaded) for s in report.sources] == [
        ("bids", None, len(rows) - 1)
    ]
