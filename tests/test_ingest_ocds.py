"""OCDS packages land in the procurement datasets: compiled, checked, every row accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocds_data import (
    BUYER,
    A,
    B,
    C,
    record_package,
    release_package,
    releases,
    write_json,
    write_lines,
)
from qingfeng.ingest import ingest_path
from qingfeng.lake import connect
from qingfeng.workspace import init_workspace

DATASETS = ["tenders", "lots", "bids", "awards", "contracts", "parties", "items"]
# Rows each dataset gets from the two processes (a dataset without rows is reported empty).
EXPECTED = {
    "tenders": 2,
    "lots": 1,
    "bids": 3,
    "awards": 1,
    "contracts": 1,
    "parties": 5,
    "items": 2,
}


def _ingest(tmp_path: Path, file: Path):
    settings = init_workspace(tmp_path / "ws")
    report = ingest_path(settings, file, assume_yes=True)
    return settings, report


def _lake(settings, sql: str) -> list[tuple]:
    con = connect(settings)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_release_package_is_compiled_and_lands_in_every_procurement_dataset(
    tmp_path: Path,
) -> None:
    settings, report = _ingest(tmp_path, write_json(tmp_path / "centre.json", release_package()))
    by_dataset = {s.dataset: s for s in report.sources}
    assert sorted(by_dataset) == sorted(DATASETS)
    assert report.reconciled
    for ds, rows in EXPECTED.items():
        src = by_dataset[ds]
        assert src.status == "loaded", (ds, src.message)
        assert (src.rows_read, src.rows_loaded, src.rows_quarantined) == (rows, rows, 0), ds
        assert "3 个发布 → 2 个采购过程" in src.message
    # The later release's title wins; the award's supplier becomes the tender's winner.
    assert _lake(
        settings,
        "SELECT tender_no, project_name, buyer_uscc, budget, method, category, "
        "CAST(announce_date AS VARCHAR), CAST(deadline_at AS VARCHAR), winner_uscc, "
        "winning_price FROM tenders ORDER BY tender_no",
    ) == [
        (
            "OCDS-QF-0001",
            "乡村公路硬化（一标段）",
            BUYER,
            2000000,
            "open",
            "works",
            "2024-03-01",
            "2024-03-21 09:30:00",
            A,
            1900000,
        ),
        (
            "OCDS-QF-0002",
            "路灯维修",
            BUYER,
            80000,
            "single_source",
            "services",
            "2024-05-01",
            "2024-05-04 00:00:00",
            None,
            None,
        ),
    ]
    # A tenderer's address and phone (its party) travel with its bid, for the ties models.
    assert _lake(
        settings, f"SELECT address, contact_phone FROM bids WHERE bidder_uscc = '{A}'"
    ) == [("某县人民路1号", "13800138000")]
    assert _lake(
        settings,
        "SELECT tender_no, bidder_uscc, bid_price, disqualified, "
        "CAST(submitted_at AS VARCHAR) FROM bids ORDER BY tender_no, bid_price",
    ) == [
        ("OCDS-QF-0001", B, 1800000, True, "2024-03-21 11:00:00"),
        ("OCDS-QF-0001", A, 1900000, False, "2024-03-20 10:00:00"),
        ("OCDS-QF-0002", C, 79000, False, None),
    ]
    assert _lake(
        settings, "SELECT stage, parent_id, item_id, quantity, unit_price FROM items ORDER BY stage"
    ) == [("award", "A1", "1", 100.0, 4800), ("tender", "OCDS-QF-0001", "1", 100.0, 5000)]
    assert _lake(
        settings, "SELECT award_id, award_status, supplier_uscc, lot_id, related_bid FROM awards"
    ) == [("A1", "active", A, "L1", "B1")]
    assert _lake(
        settings, "SELECT contract_id, award_id, CAST(date_signed AS VARCHAR) FROM contracts"
    ) == [("K1", "A1", "2024-04-10")]
    assert _lake(
        settings,
        "SELECT org_uscc, roles, party_address, party_phone FROM parties WHERE party_id = 'P-A'",
    ) == [(A, "tenderer,supplier", "某县人民路1号", "13800138000")]


@pytest.mark.parametrize("form", ["record package", "release lines", "record lines"])
def test_records_and_json_lines_land_the_same_rows(tmp_path: Path, form: str) -> None:
    if form == "record package":
        file = write_json(tmp_path / "records.json", record_package())
    elif form == "release lines":
        file = write_lines(tmp_path / "releases.jsonl", releases())
    else:
        file = write_lines(tmp_path / "records.jsonl", record_package()["records"])
    settings, report = _ingest(tmp_path, file)
    assert report.reconciled
    assert {s.dataset: s.rows_loaded for s in report.sources} == EXPECTED
    reference, _ = _ingest(tmp_path / "ref", write_json(tmp_path / "ref.json", release_package()))
    for ds in DATASETS:
        cols = "* EXCLUDE (_batch_id, _source_row)"
        assert _lake(settings, f"SELECT {cols} FROM {ds} ORDER BY ALL") == _lake(
            reference, f"SELECT {cols} FROM {ds} ORDER BY ALL"
        ), ds


def test_the_same_package_again_changes_nothing(tmp_path: Path) -> None:
    file = write_json(tmp_path / "centre.json", release_package())
    settings, _ = _ingest(tmp_path, file)
    again = ingest_path(settings, file, assume_yes=True)
    assert {s.status for s in again.sources} == {"already_loaded"} or all(
        "未重复导入" in s.message for s in again.sources
    )
    assert _lake(settings, "SELECT COUNT(*) FROM bids") == [(3,)]


def test_rows_that_break_a_rule_are_quarantined_and_counted(tmp_path: Path) -> None:
    rels = releases()
    rels[1]["bids"]["details"][0]["tenderers"] = []  # a bid without a tenderer
    rels[1]["parties"] = [
        {
            "id": "P-A",
            "name": "甲建设公司",
            "identifier": {"scheme": "CN-USCC", "id": "91522701MA6DK12340"},
        }
    ]
    _, report = _ingest(tmp_path, write_json(tmp_path / "centre.json", release_package(rels)))
    bids = next(s for s in report.sources if s.dataset == "bids")
    assert report.reconciled
    assert (bids.rows_read, bids.rows_loaded, bids.rows_quarantined) == (3, 2, 1)
    assert "bidder_uscc" in json.dumps(bids.rules, ensure_ascii=False)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"releases": [', "not valid JSON at line 1"),
        ('[{"ocid": "x"}]', "package: 须为 JSON 对象"),
        ('{"uri": "x", "records": [{"releases": []}]}', "records[0]: 记录须有 ocid"),
        ('{"releases": {"ocid": "x"}}', "releases: 须为数组"),
    ],
)
def test_a_malformed_package_is_refused_with_where_and_why(
    tmp_path: Path, content: str, expected: str
) -> None:
    file = tmp_path / "bad.json"
    file.write_text(content, encoding="utf-8")
    settings, report = _ingest(tmp_path, file)
    (src,) = report.sources
    assert src.status == "error"
    assert expected in src.message and "bad.json" in src.message
    assert _lake(settings, "SELECT COUNT(*) FROM tenders") == [(0,)]


def test_a_release_breaking_the_schema_names_its_path_and_nothing_lands(tmp_path: Path) -> None:
    rels = releases()
    rels[1]["bids"]["details"][1]["value"]["amount"] = "一百八十万"
    del rels[2]["ocid"]
    settings, report = _ingest(
        tmp_path, write_json(tmp_path / "centre.json", release_package(rels))
    )
    (src,) = report.sources
    assert src.status == "error"
    assert "package.releases[1].bids.details[1].value.amount" in src.message
    assert "package.releases[2]" in src.message and '"ocid" is a required property' in src.message
    assert _lake(settings, "SELECT COUNT(*) FROM bids") == [(0,)]


def test_a_bad_line_of_json_lines_is_named(tmp_path: Path) -> None:
    file = write_lines(tmp_path / "releases.jsonl", releases())
    file.write_text(
        file.read_text(encoding="utf-8") + '{"ocid": "ocds-qf-0003", \n', encoding="utf-8"
    )
    _, report = _ingest(tmp_path, file)
    (src,) = report.sources
    assert src.status == "error" and "line 4" in src.message


def test_json_lines_that_are_not_ocds_still_load_as_a_table(tmp_path: Path) -> None:
    file = write_lines(
        tmp_path / "bids.jsonl",
        [
            {"项目编号": "T1", "投标人统一社会信用代码": A, "投标人": "甲", "投标报价": 100},
        ],
    )
    _, report = _ingest(tmp_path, file)
    (src,) = report.sources
    assert src.kind == "jsonl"


def test_a_json_file_that_is_not_ocds_is_reported_unsupported(tmp_path: Path) -> None:
    file = write_json(tmp_path / "settings.json", {"uri": "x", "publishedDate": "2024-01-01"})
    _, report = _ingest(tmp_path, file)
    (src,) = report.sources
    assert src.status == "unrecognised" and "OCDS" in src.message
