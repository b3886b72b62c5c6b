"""Bid bonds (投标保证金) reach `bids.bond_account` from an OCDS package's `bidBond` extension
field and from a trading centre's bond records as CSV, and `bid_bonds_same_account` flags a
tender whose bidders' bonds left one account."""

from __future__ import annotations

import copy
from pathlib import Path

from ocds_data import A, B, C, release_package, releases, write_json
from qingfeng.ingest import ingest_path
from qingfeng.lake import connect
from qingfeng.operations.model_runs import run_models
from qingfeng.store.findings import store_warnings
from qingfeng.workspace import init_workspace


def _lake(settings, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    con = connect(settings)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_ocds_bid_bond_and_bid_file_extension_fields_land_in_bids(tmp_path: Path) -> None:
    rels = copy.deepcopy(releases())
    details = rels[1]["bids"]["details"]
    for d in details:
        d["bidBond"] = {
            "form": "transfer",
            "value": {"amount": 20000, "currency": "CNY"},
            "payer": {"name": "王某", "accountNumber": "6228 4800 1234 5678 901"},
        }
        d["bidFile"] = {"author": "张工", "machineId": "3C-97-0E-11-22-33"}
    details[1]["bidBond"] = {"form": "guarantee"}
    settings = init_workspace(tmp_path / "ws")
    report = ingest_path(
        settings, write_json(tmp_path / "centre.json", release_package(rels)), assume_yes=True
    )
    assert report.reconciled
    rows = _lake(
        settings,
        "SELECT bidder_name, bond_account, bond_payer_name, file_creator, file_machine_id "
        "FROM bids WHERE bond_account IS NOT NULL OR file_creator IS NOT NULL ORDER BY 1",
    )
    assert ("甲建设公司", "6228480012345678901", "王某", "张工", "3C-97-0E-11-22-33") in rows
    assert ("乙建设公司", None, None, "张工", "3C-97-0E-11-22-33") in rows


def test_bond_records_as_csv_land_and_the_model_flags_the_shared_account(
    tmp_path: Path,
) -> None:
    settings = init_workspace(tmp_path / "ws")
    opening = tmp_path / "开标记录.csv"
    head = (
        "项目编号,项目名称,采购人,预算金额,公告日期,投标人统一社会信用代码,投标人,投标报价,"
        "保证金缴款账号,保证金缴款人"
    )
    t1 = "ZB2024-001,乡村公路硬化,县交通局,2000000,2024-03-01"
    t2 = "ZB2024-002,河道整治,县水务局,900000,2024-04-10"
    rows = [
        f"{t1},{A},甲建设公司,1900000,2406-0001-0920-0011-01,甲建设公司",
        f"{t1},{B},乙建设公司,1950000,240600010920001101,甲建设公司",
        f"{t1},{C},丙建设公司,1980000,240600030920003303,丙建设公司",
        f"{t2},{A},甲建设公司,850000,,",  # bank guarantees: no account
        f"{t2},{B},乙建设公司,870000,,",
    ]
    opening.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    report = ingest_path(settings, opening, assume_yes=True)
    assert report.reconciled
    assert {s.dataset for s in report.sources} >= {"bids"}
    accounts = _lake(settings, "SELECT COUNT(bond_account), COUNT(bond_payer_name) FROM bids")
    assert accounts == [(3, 3)]
    run_models(settings, model_ids=["bid_bonds_same_account"])
    found = {(s, p) for m, s, p in store_warnings(settings.database_url)}
    assert found == {("ZB2024-001", "2024-03")}
