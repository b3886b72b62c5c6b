"""A tiny county in standard tables, shared by the entities tests (real DuckDB, inline rows)."""

from __future__ import annotations

import duckdb
from stdnum.cn import ric, uscc

VILLAGE_A = "330102001001"
VILLAGE_B = "330102002003"


def pid(birth: str, seq: int, male: bool) -> str:
    """A valid resident ID born on `birth` (YYYYMMDD); the sequence parity gives the sex."""
    order = seq * 2 + (1 if male else 0)
    body = f"330102{birth}{order:03d}"
    return body + ric.calc_check_digit(body + "0")  # the argument includes a placeholder


def org(seq: int, kind: str = "91") -> str:
    body = f"{kind}330102MA{seq:07d}"
    return body + uscc.calc_check_digit(body)


# People: (key, name, birth, male)
P = {
    "zhang_wei": pid("19600101", 1, True),
    "li_fang": pid("19620202", 2, False),
    "zhang_qiang": pid("19850303", 3, True),
    "wang_li": pid("19870404", 4, False),
    "zhang_xin": pid("20100505", 5, False),
    "zhang_min": pid("19900606", 6, False),
    "chen_lan": pid("19350707", 7, False),
    "zhao_gang": pid("19580808", 8, True),
    "sun_li": pid("19600909", 9, False),
    "zhao_da": pid("19821010", 10, True),
    "zhao_er": pid("19841111", 11, True),
    "liu_mei": pid("19851212", 12, False),
    "wang_xiaoming": pid("19700115", 13, True),
    "li_ming_1": pid("19750301", 14, True),
    "li_ming_2": pid("19790302", 15, True),
}
ORG = {
    "township": org(1, "11"),  # a government body (authority 1)
    "company": org(2),
    "holding": org(3),
    "winner": org(4),
    "loser1": org(5),
    "loser2": org(6),
}

REGISTRY = [
    # id, name, household_no, relation_to_head, division, address, status, death date
    (P["zhang_wei"], "张伟", "H1", "户主", VILLAGE_A, "上城区一村1号", "正常", None),
    (P["li_fang"], "李芳", "H1", "配偶", VILLAGE_A, "上城区一村1号", "正常", None),
    (P["zhang_qiang"], "张强", "H1", "长子", VILLAGE_A, "上城区一村1号", "正常", None),
    (P["wang_li"], "王丽", "H1", "儿媳", VILLAGE_A, "上城区一村1号", "正常", None),
    (P["zhang_xin"], "张欣", "H1", "孙女", VILLAGE_A, "上城区一村1号", "正常", None),
    (P["zhang_min"], "张敏", "H1", "女", VILLAGE_A, "上城区一村1号", "正常", None),
    (P["chen_lan"], "陈兰", "H1", "母亲", VILLAGE_A, "上城区一村1号", "正常", None),
    # household H2 in the catalogue's normalised codes (relation_to_head and status enums)
    (P["zhao_gang"], "赵刚", "H2", "head", VILLAGE_B, "上城区二村9号", "active", None),
    (P["sun_li"], "孙丽", "H2", "spouse", VILLAGE_B, "上城区二村9号", "deceased", "2020-05-01"),
    (P["zhao_da"], "赵大", "H2", "child", VILLAGE_B, "上城区二村9号", "active", None),
    (P["zhao_er"], "赵二", "H2", "child", VILLAGE_B, "上城区二村9号", "active", None),
    (P["liu_mei"], "刘梅", "H2", "child_in_law", VILLAGE_B, "上城区二村9号", "active", None),
    (P["wang_xiaoming"], "王小明", "H3", "户主", VILLAGE_A, "上城区一村7号", "正常", None),
    # two namesakes in one village: a payee named 李明 there cannot be told apart
    (P["li_ming_1"], "李明", "H4", "户主", VILLAGE_B, "上城区二村2号", "正常", None),
    (P["li_ming_2"], "李明", "H5", "户主", VILLAGE_B, "上城区二村5号", "正常", None),
]


def create_county(con: duckdb.DuckDBPyConnection, *, only: set[str] | None = None) -> None:
    """Create the standard tables (all, or only those in `only`) with a few rows each."""

    def want(name: str) -> bool:
        return only is None or name in only

    if want("household_registry"):
        con.execute(
            "CREATE TABLE household_registry (id_no VARCHAR, name VARCHAR, gender VARCHAR, "
            "birth_date DATE, household_no VARCHAR, relation_to_head VARCHAR, "
            "division_code VARCHAR, address VARCHAR, status VARCHAR, registry_death_date DATE, "
            "phone VARCHAR)"
        )
        con.executemany(
            "INSERT INTO household_registry VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, NULL)",
            REGISTRY,
        )
    if want("deaths"):
        con.execute(
            "CREATE TABLE deaths (id_no VARCHAR, name VARCHAR, death_date DATE, source VARCHAR, "
            "record_date DATE)"
        )
        con.executemany(
            "INSERT INTO deaths VALUES (?, ?, ?, ?, ?)",
            [
                (P["chen_lan"], "陈兰", "2023-03-01", "cremation", "2023-03-02"),
                (P["chen_lan"], "陈兰", "2023-02-27", "medical_insurance", "2023-04-01"),
            ],
        )
    if want("public_payroll"):
        con.execute(
            "CREATE TABLE public_payroll (id_no VARCHAR, name VARCHAR, org_uscc VARCHAR, "
            "org_name VARCHAR, position VARCHAR, start_date DATE, end_date DATE, "
            "monthly_salary DECIMAL(18,2))"
        )
        con.execute(
            "INSERT INTO public_payroll VALUES (?, '张强', ?, '一村镇人民政府', '科员', "
            "'2010-07-01', NULL, 6000)",
            [P["zhang_qiang"], ORG["township"]],
        )
    if want("companies"):
        con.execute(
            "CREATE TABLE companies (uscc VARCHAR, name VARCHAR, legal_rep_id_no VARCHAR, "
            "legal_rep_name VARCHAR, registered_capital DECIMAL(18,2), status VARCHAR, "
            "established_date DATE, cancelled_date DATE, address VARCHAR, phone VARCHAR)"
        )
        con.executemany(
            "INSERT INTO companies VALUES (?, ?, ?, ?, 1000000, '存续', '2015-01-01', NULL, "
            "NULL, NULL)",
            [
                (ORG["company"], "杭州敏捷贸易有限公司", P["zhang_min"], "张敏"),
                (ORG["holding"], "杭州控股有限公司", None, None),
                (ORG["winner"], "杭州中标建设有限公司", None, None),
            ],
        )
    if want("shareholders"):
        con.execute(
            "CREATE TABLE shareholders (uscc VARCHAR, shareholder_id_no VARCHAR, "
            "shareholder_name VARCHAR, share_ratio DOUBLE, subscribed_capital DECIMAL(18,2))"
        )
        con.executemany(
            "INSERT INTO shareholders VALUES (?, ?, ?, ?, NULL)",
            [
                (ORG["company"], P["zhang_qiang"], "张强", 0.4),
                (ORG["company"], ORG["holding"], "杭州控股有限公司", 0.5),
                (ORG["company"], None, "王小明", 0.1),  # no ID: linked by name
            ],
        )
    if want("tenders"):
        con.execute(
            "CREATE TABLE tenders (tender_no VARCHAR, project_name VARCHAR, buyer_uscc VARCHAR, "
            "buyer_name VARCHAR, budget DECIMAL(18,2), method VARCHAR, announce_date DATE, "
            "deadline_date DATE, award_date DATE, winner_uscc VARCHAR, "
            "winning_price DECIMAL(18,2))"
        )
        con.executemany(
            "INSERT INTO tenders VALUES (?, ?, ?, '一村镇人民政府', 500000, '公开招标', ?, NULL, "
            "?, ?, ?)",
            [
                (
                    "T1",
                    "村道硬化",
                    ORG["township"],
                    "2024-01-05",
                    "2024-02-01",
                    ORG["winner"],
                    480000,
                ),
                ("T2", "路灯安装", ORG["township"], "2024-03-05", None, None, None),
            ],
        )
    if want("bids"):
        con.execute(
            "CREATE TABLE bids (tender_no VARCHAR, bidder_uscc VARCHAR, bidder_name VARCHAR, "
            "bid_price DECIMAL(18,2), disqualified BOOLEAN, disqualify_reason VARCHAR, "
            "file_creator VARCHAR, file_machine_id VARCHAR, file_created_at TIMESTAMP, "
            "contact_phone VARCHAR, address VARCHAR)"
        )
        con.executemany(
            "INSERT INTO bids (tender_no, bidder_uscc, bidder_name) VALUES (?, ?, ?)",
            [
                ("T1", ORG["winner"], "杭州中标建设有限公司"),
                ("T1", ORG["loser1"], "陪标一公司"),
                ("T1", ORG["loser2"], "陪标二公司"),
                ("T2", ORG["winner"], "杭州中标建设有限公司"),
                ("T2", ORG["loser1"], "陪标一公司"),
            ],
        )
    if want("subsidy_payments"):
        con.execute(
            "CREATE TABLE subsidy_payments (payment_no VARCHAR, id_no VARCHAR, name VARCHAR, "
            "subsidy_type VARCHAR, period VARCHAR, pay_date DATE, amount DECIMAL(18,2), "
            "account_no VARCHAR, division_code VARCHAR, approver_id_no VARCHAR, "
            "machine_serial VARCHAR)"
        )
        con.executemany(
            "INSERT INTO subsidy_payments VALUES (?, ?, ?, '高龄补贴', ?, ?, 100, ?, ?, NULL, "
            "NULL)",
            [
                ("S1", P["chen_lan"], "陈兰", "2023-05", "2023-05-10", "ACC-CL", VILLAGE_A),
                ("S2", P["zhang_min"], "张敏", "2023-05", "2023-05-10", "ACC-ZM", VILLAGE_A),
            ],
        )
    if want("bank_transactions"):
        con.execute(
            "CREATE TABLE bank_transactions (txn_id VARCHAR, account_no VARCHAR, "
            "holder_id_no VARCHAR, counterparty_account VARCHAR, counterparty_name VARCHAR, "
            "txn_time TIMESTAMP, amount DECIMAL(18,2), direction VARCHAR)"
        )
        con.executemany(
            "INSERT INTO bank_transactions VALUES (?, 'ACC-ZQ', ?, ?, ?, ?, ?, ?)",
            [
                ("B1", P["zhang_qiang"], "ACC-ZM", "张敏", "2024-01-02 10:00", 5000, "out"),
                ("B2", P["zhang_qiang"], "ACC-ZM", "张敏", "2024-01-03 10:00", 3000, "out"),
                (
                    "B3",
                    P["zhang_qiang"],
                    None,
                    "杭州中标建设有限公司",
                    "2024-02-02 09:00",
                    20000,
                    "in",
                ),
                ("B4", P["zhang_qiang"], "ACC-X", "无名氏", "2024-02-03 09:00", 10, "out"),
            ],
        )
    if want("village_ledgers"):
        con.execute(
            "CREATE TABLE village_ledgers (voucher_no VARCHAR, division_code VARCHAR, "
            "entry_date DATE, payee_id_no VARCHAR, payee_name VARCHAR, amount DECIMAL(18,2), "
            "pay_method VARCHAR, purpose VARCHAR, decision_no VARCHAR)"
        )
        con.executemany(
            "INSERT INTO village_ledgers VALUES (?, ?, '2024-01-10', ?, ?, 800, '现金', "
            "'误工补贴', NULL)",
            [
                ("V1", VILLAGE_A, None, "王晓明"),  # homophone of 王小明, same village
                ("V2", VILLAGE_A, P["zhang_wei"], "张伟"),  # has an ID: not a mention
                ("V3", VILLAGE_B, None, "欧阳修"),  # nobody of that name
                ("V4", VILLAGE_B, None, "李明"),  # two namesakes there
            ],
        )
    if want("complaints"):
        con.execute(
            "CREATE TABLE complaints (complaint_no VARCHAR, received_at TIMESTAMP, "
            "complainant_phone VARCHAR, division_code VARCHAR, target_name VARCHAR, "
            "target_org VARCHAR, category VARCHAR, content VARCHAR, replied_at TIMESTAMP, "
            "reply VARCHAR, status VARCHAR)"
        )
        con.execute(
            "INSERT INTO complaints (complaint_no, division_code, target_name, target_org) "
            "VALUES ('C1', ?, '张强', '一村镇人民政府')",
            [VILLAGE_A],
        )
    if want("vehicles"):
        con.execute(
            "CREATE TABLE vehicles (plate_no VARCHAR, vin VARCHAR, owner_id_no VARCHAR, "
            "owner_name VARCHAR, vehicle_type VARCHAR, use_type VARCHAR, register_date DATE, "
            "status VARCHAR)"
        )
        con.executemany(
            "INSERT INTO vehicles VALUES (?, ?, ?, ?, '小型轿车', '非营运', ?, '正常')",
            [
                ("浙A12345", "VIN1", P["zhao_gang"], "赵刚", "2019-01-01"),
                ("浙A88888", "VIN2", ORG["company"], "杭州敏捷贸易有限公司", "2021-01-01"),
            ],
        )
    if want("real_estate"):
        con.execute(
            "CREATE TABLE real_estate (property_no VARCHAR, owner_id_no VARCHAR, "
            "owner_name VARCHAR, property_type VARCHAR, project_name VARCHAR, address VARCHAR, "
            "area DECIMAL(18,2), register_date DATE)"
        )
        con.executemany(
            "INSERT INTO real_estate VALUES (?, ?, ?, ?, '一村安置小区', '一村安置小区3幢', 90, ?)",
            [
                ("R1", P["zhang_qiang"], "张强", "resettlement", "2022-01-01"),
                ("R1", P["wang_li"], "王丽", "resettlement", "2022-01-02"),
            ],
        )
