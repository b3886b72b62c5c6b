"""The lead's money path: the transfers a money model wrote into its evidence, as a graph."""

from __future__ import annotations

from qingfeng.web.evidence import EvidenceTable, money_path_chart

PATH = "2024-03-18 612.5元→6217990000000000001；2024-03-21 580元→6217990000000000002"


def test_each_transfer_is_an_edge_with_its_date_and_amount() -> None:
    table = EvidenceTable("rows", ["payment_no", "path"], [["BT1", PATH], ["BT2", PATH]])
    option = money_path_chart([table], "领款账户", unmask=True)
    assert option is not None
    series = option["series"][0]
    assert [n["name"] for n in series["data"]] == [
        "领款账户",
        "6217990000000000001",
        "6217990000000000002",
    ]
    assert [(link["source"], link["target"], link["value"]) for link in series["links"]] == [
        ("领款账户", "6217990000000000001", 612.5),
        ("6217990000000000001", "6217990000000000002", 580.0),
    ]  # the same path twice is drawn once
    assert series["links"][0]["label"]["formatter"] == "2024-03-18\n612.50元"


def test_accounts_are_masked_unless_revealed_and_no_path_no_chart() -> None:
    table = EvidenceTable("rows", ["path"], [[PATH]])
    option = money_path_chart([table], "start")
    assert option is not None
    names = [n["name"] for n in option["series"][0]["data"][1:]]
    assert all("*" in n and "6217990000000000001" not in n for n in names)
    assert money_path_chart([EvidenceTable("rows", ["amount"], [["1"]])], "start") is None


def test_the_evidence_path_column_masks_the_accounts_it_names() -> None:
    from qingfeng.web.evidence import evidence_tables

    (masked,) = evidence_tables({"rows": [{"path": PATH}]})
    assert "6217990000000000001" not in masked.rows[0][0]
    assert masked.rows[0][0].startswith("2024-03-18 612.5元→")
    (clear,) = evidence_tables({"rows": [{"path": PATH}]}, unmask=True)
    assert clear.rows[0][0] == PATH
