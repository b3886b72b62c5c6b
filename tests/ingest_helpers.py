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
