"""Small department files for ingest tests (written fresh in each test's tmp_path)."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.cn import ric

REGISTRY_HEADERS = [
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "户号",
    "与户主关系",
    "行政区划代码",
    "人员状态",
    "注销日期",
    "联系电话",
]


def make_id(prefix: str, birth: str, seq: int) -> str:
    """A valid 18-digit ID (stdnum computes the check digit)."""
    body = f"{prefix}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    wb.close()
    return path


A = make_id("522701", "19450312", 1)  # ends in a check digit
B = make_id("522701", "19501105", 2)
C = make_id("522701", "19380101", 3)


def registry_rows() -> list[list[str]]:
    """Six data rows: 4 good (two spellings of one person = one duplicate), 2 bad."""
    return [
        REGISTRY_HEADERS,
        [
            A,
            "王小明",
            "男",
            "1945-03-12",
            "H001",
            "户主",
            "522701001001",
            "正常",
            "",
            "13800000001",
        ],
        [B, "李 秀英", "女", "1950/11/5", "H001", "配偶", "522701001001", "正常", "", ""],
        [
            C,
            "張學友",
            "男",
            "19380101",
            "H002",
            "户主",
            "522701001002",
            "死亡注销",
            "2023年5月1日",
            "",
        ],
        [
            A,
            "王小明",
            "男",
            "1945-03-12",
            "H001",
            "户主",
            "522701001001",
            "正常",
            "",
            "13800000001",
        ],
        [
            A[:-1] + ("0" if A[-1] != "0" else "1"),
            "赵四",
            "男",
            "1945-03-12",
            "H003",
            "户主",
            "522701001001",
            "正常",
            "",
            "",
        ],
        ["", "钱五", "男", "1945-02-30", "H004", "户主", "522701001001", "正常", "", ""],
    ]


# --- files that carry two datasets ----------------------------------------------------------
ROSTER_HEADERS = [
    "救助证编号", "户主姓名", "户主身份证号", "户号", "所属村（社区）", "保障起始日期",
    "月保障金额", "成员姓名", "成员身份证号", "与户主关系",
]  # fmt: skip
_SURNAMES = "王李张刘陈杨黄赵吴周"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
_RELATIONS = ["户主", "配偶", "子", "女"]


def person_name(k: int, m: int = 0) -> str:
    return _SURNAMES[k % 10] + _GIVEN[(k // 10) % 20] + _GIVEN[(k + 7 * m) % 20]


def roster_rows(households: int = 320, month: str = "2024-01") -> list[list[str]]:
    """A member-level dibao roster: one row per member, the household's columns repeated.

    Household k has 1 + k % 4 members (320 households → 800 rows); the head is a member too.
    """
    rows = [list(ROSTER_HEADERS)]
    for k in range(households):
        head_id = make_id("522701", f"{1950 + k % 40}0{1 + k % 9}1{k % 9}", k % 1000)
        for m in range(1 + k % 4):
            member = head_id
            if m:
                member = make_id("522701", f"{1980 + m}0{1 + k % 9}2{k % 9}", (4 * k + m) % 1000)
            rows.append(
                [
                    f"DB{k:05d}", person_name(k), head_id, f"H{k:05d}", "522701001001",
                    f"{month}-01", str(500 + 10 * (k % 7)), person_name(k, m), member,
                    _RELATIONS[m],
                ]
            )  # fmt: skip
    return rows


def make_uscc(seq: int) -> str:
    from stdnum.cn import uscc

    body = f"91522701MA{seq:07d}"
    return body + uscc.calc_check_digit(body)


BID_HEADERS = [
    "项目编号", "项目名称", "采购人", "预算金额", "采购方式", "公告日期", "开标日期",
    "投标人", "统一社会信用代码", "投标报价",
]  # fmt: skip


def bid_opening_rows(tenders: int = 28) -> list[list[str]]:
    """A bid-opening record: one row per bid, the tender's columns repeated (3–5 bids each)."""
    rows = [list(BID_HEADERS)]
    for t in range(tenders):
        for b in range(3 + t % 3):
            bidder = 10 * t + b
            rows.append(
                [
                    f"ZB2024-{t:03d}", f"道路维修工程{t}标段", "某县交通运输局",
                    str(100000 + 1000 * t), "公开招标", "2024-03-01", "2024-03-25",
                    f"某建筑公司{bidder}", make_uscc(bidder), str(95000 + 997 * b + 11 * t),
                ]
            )  # fmt: skip
    return rows
