"""End to end: values as departments write them land canonical, or are reported, never guessed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from stdnum.cn import uscc as std_uscc

from ingest_helpers import A, B, C, write_csv
from qingfeng.ingest import ingest_path
from qingfeng.lake import connect
from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


def _uscc(seq: int) -> str:
    body = f"91522701MA{seq:07d}"
    return body + std_uscc.calc_check_digit(body)


def test_payments_without_a_period_take_the_pay_month_and_get_subsidy_codes(ws, tmp_path):
    src = write_csv(
        tmp_path / "in" / "补贴发放.csv",
        [
            ["发放流水号", "身份证号", "姓名", "补贴项目", "发放日期", "发放金额"],
            ["P1", A, "王小明", "高龄补贴", "二〇二三年十二月五日", "100"],
            ["P2", B, "李秀英", "高龄老人生活补贴", "2024/1/10", "100"],
            ["P3", C, "张三", "最低生活保障金", "2024-01-10", "600"],
            ["P4", C, "张三", "乡村振兴特别奖励", "2024-01-10", "50"],
            ["P5", A, "王小明", "乡村振兴特别奖励", "2024-02-10", "50"],
        ],
    )
    report = ingest_path(ws, src, assume_yes=True, dataset="subsidy_payments")
    (source,) = report.sources
    assert (source.rows_loaded, source.rows_quarantined) == (5, 0)
    # An unknown wording is kept as written, has no code, and is reported with its rows.
    assert source.unmatched_values == {"subsidy_code": {"乡村振兴特别奖励": 2}}
    con = connect(ws)
    rows = con.execute(
        "SELECT payment_no, subsidy_type, subsidy_code, period, pay_date "
        "FROM subsidy_payments ORDER BY payment_no"
    ).fetchall()
    assert rows == [
        ("P1", "高龄补贴", "old_age_allowance", "2023-12", dt.date(2023, 12, 5)),
        ("P2", "高龄老人生活补贴", "old_age_allowance", "2024-01", dt.date(2024, 1, 10)),
        ("P3", "最低生活保障金", "dibao", "2024-01", dt.date(2024, 1, 10)),
        ("P4", "乡村振兴特别奖励", None, "2024-01", dt.date(2024, 1, 10)),
        ("P5", "乡村振兴特别奖励", None, "2024-02", dt.date(2024, 2, 10)),
    ]


def test_a_period_column_wins_over_the_pay_date(ws, tmp_path):
    src = write_csv(
        tmp_path / "in" / "补贴发放.csv",
        [
            ["发放流水号", "身份证号", "补贴项目", "发放批次", "发放日期", "发放金额"],
            ["P1", A, "高龄津贴", "202312", "2024-01-05", "100"],
            ["P2", B, "高龄津贴", "202313", "2024-01-05", "100"],
        ],
    )
    report = ingest_path(ws, src, assume_yes=True, dataset="subsidy_payments")
    (source,) = report.sources
    assert source.rules == {"period:invalid": 1}
    con = connect(ws)
    assert con.execute("SELECT payment_no, period FROM subsidy_payments").fetchall() == [
        ("P1", "2023-12")
    ]


def test_shares_written_as_percent_strings_land_in_percent(ws, tmp_path):
    company = _uscc(1)
    src = write_csv(
        tmp_path / "in" / "股东.csv",
        [
            ["统一社会信用代码", "股东名称", "出资比例"],
            [company, "王小明", "60%"],
            [company, "李秀英", "40.00％"],
            [_uscc(2), "张三", "120%"],
        ],
    )
    report = ingest_path(ws, src, assume_yes=True, dataset="shareholders")
    (source,) = report.sources
    assert source.rules == {"share_ratio:above_max": 1}
    con = connect(ws)
    got = con.execute(
        "SELECT shareholder_name, share_ratio FROM shareholders ORDER BY share_ratio DESC"
    ).fetchall()
    assert got == [("王小明", 60.0), ("李秀英", 40.0)]


def test_code_columns_with_unknown_codes_and_ambiguous_dates_are_quarantined(ws, tmp_path):
    src = write_csv(
        tmp_path / "in" / "户籍.csv",
        [
            ["公民身份号码", "姓名", "性别", "出生日期", "与户主关系", "人员状态"],
            [A, "王小明", "1", "1945-03-12", "02", "正常"],
            [B, "李秀英", "2", "05/11/1950", "10", "正常"],
            [C, "张三", "3", "1938-01-01", "20", "正常"],
        ],
    )
    report = ingest_path(ws, src, assume_yes=True, dataset="household_registry")
    (source,) = report.sources
    assert source.rules == {"birth_date:ambiguous_date": 1, "gender:unknown_code": 1}
    con = connect(ws)
    assert con.execute(
        "SELECT name, gender, relation_to_head FROM household_registry"
    ).fetchall() == [("王小明", "male", "head")]
    quarantined = con.execute("SELECT rules FROM quarantine ORDER BY source_row").fetchall()
    assert quarantined == [("birth_date:ambiguous_date",), ("gender:unknown_code",)]


_DATASET = """id: people
zh: 人员
en: People
department: 测试
description_zh: 测试
description_en: Test
fields:
  - {name: id_no, type: id_no, sensitivity: sensitive, zh: 身份证号, en: ID}
  - name: gender
    type: enum
    sensitivity: personal
    zh: 性别
    en: Gender
    codes: CODES
    values:
      male: [男, 男性]
      female: [女, 女性]
"""


def test_the_catalogue_refuses_code_tables_that_do_not_fit_the_field(tmp_path: Path) -> None:
    from qingfeng.dataspec import CatalogueError
    from qingfeng.dataspec.loader import load_catalogue_from, load_vocabularies

    vocabs = load_vocabularies()
    folder = tmp_path / "ds"
    folder.mkdir()
    # GB/T 2261.1's 0 and 9 name no value of this field, which has no fallback.
    (folder / "people.yaml").write_text(
        _DATASET.replace("CODES", "gb_t_2261_1_sex"), encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match=r"'0'.*names no value"):
        load_catalogue_from(folder, vocabs)
    (folder / "people.yaml").write_text(_DATASET.replace("CODES", "no_such"), encoding="utf-8")
    with pytest.raises(CatalogueError, match="unknown code table 'no_such'"):
        load_catalogue_from(folder, vocabs)
    # A code spelled as another value of the field is a contradiction.
    clash = _DATASET.replace("CODES", "gb_t_2261_1_sex").replace(
        "female: [女, 女性]", 'female: [女, 女性, "1"]\n      unknown: [未知的性别, 未说明的性别]'
    )
    (folder / "people.yaml").write_text(clash, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"code '1'.*means 'male' but is spelled 'female'"):
        load_catalogue_from(folder, vocabs)


def test_broken_vocabulary_files_are_reported(tmp_path: Path) -> None:
    from qingfeng.dataspec import CatalogueError
    from qingfeng.dataspec.loader import load_vocabularies_from

    (tmp_path / "a.yaml").write_text("id: a\nkind: nonsense\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        "id: b\nkind: vocabulary\nzh: 乙\nen: B\nterms: {Not-Snake: {zh: 甲, en: A}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as err:
        load_vocabularies_from(tmp_path)
    assert "a.yaml" in str(err.value) and "b.yaml" in str(err.value)


def _registry_rows(statuses: list[tuple[str, str]]) -> list[list[str]]:
    from ingest_helpers import make_id

    rows = [["公民身份号码", "姓名", "出生日期", "人员状态", "死亡日期"]]
    for k, (status, died) in enumerate(statuses):
        rows.append([make_id("522701", f"19{40 + k % 50}0101", k), "王小明", "", status, died])
    return rows


def test_enum_wordings_no_spelling_names_are_settled_by_the_column(ws, tmp_path):
    """A registry exported with its own status words: the most frequent one is the usual
    value (living residents), the one whose rows, and only whose rows, carry a death date is
    the deceased, one that holds a catalogue spelling (…迁出…) takes that value; a wording no
    evidence settles is still quarantined. Every settled wording is reported with its rule."""
    statuses = [("在户", "")] * 12 + [("已故", "2024-03-0" + str(d)) for d in range(1, 4)]
    statuses += [("户口迁出外省", ""), ("户口迁出外省", ""), ("待核实", "")]
    src = write_csv(tmp_path / "in" / "户籍.csv", _registry_rows(statuses))
    report = ingest_path(ws, src, assume_yes=True, dataset="household_registry")
    (source,) = report.sources
    assert source.rules == {"status:unknown_code": 1}
    assert source.inferred_values == {
        "status": {
            "在户": "active (usual)",
            "已故": "deceased (implied_by:registry_death_date)",
            "户口迁出外省": "moved_out (holds)",
        }
    }
    con = connect(ws)
    got = dict(
        con.execute("SELECT status, count(*) FROM household_registry GROUP BY status").fetchall()
    )
    assert got == {"active": 12, "deceased": 3, "moved_out": 2}


def test_weak_evidence_settles_nothing(ws, tmp_path):
    """No usual value when the most frequent wording is under half the rows, and no implied
    value when other wordings carry the death date too: the rows stay in quarantine."""
    statuses = [("甲类", "")] * 12 + [("乙类", "")] * 9 + [("丙类", "")] * 9
    statuses += [("已故", "2024-03-01"), ("已故", "2024-03-02")] + [("甲类", "2024-01-01")] * 2
    src = write_csv(tmp_path / "in" / "户籍.csv", _registry_rows(statuses))
    report = ingest_path(ws, src, assume_yes=True, dataset="household_registry")
    (source,) = report.sources
    assert source.inferred_values == {}
    assert source.rules == {"status:unknown_code": 34}
    assert source.rows_loaded == 0


def test_shared_wording_needs_one_value_and_no_negation() -> None:
    from qingfeng.dataspec import get_dataset
    from qingfeng.ingest.enum_evidence import Wording, infer_values

    status = get_dataset("companies").field("status")
    kind = get_dataset("real_estate").field("property_type")

    def settle(field, *keys):  # type: ignore[no-untyped-def]
        return infer_values(field, [Wording(k, 1, {}, False) for k in keys])

    # 注销手续办结 holds 注销 (cancelled); 吊销未注销 holds 吊销 and, after a negation, 注销.
    assert settle(status, "注销手续办结") == {"注销手续办结": ("cancelled", "holds")}
    assert settle(status, "营业执照被吊销未注销") == {"营业执照被吊销未注销": ("revoked", "holds")}
    # A run of two characters shared with one value's spelling (商品住宅), none with another.
    assert settle(kind, "商品住宅楼") == {"商品住宅楼": ("commercial", "holds")}
    assert settle(kind, "商品住") == {"商品住": ("commercial", "shares")}
    # One character in common is no evidence, nor a common ending that is a small part of
    # the spelling (用房 of 经济适用房); the fallback (其他) is never inferred.
    assert settle(kind, "房", "其他类型用房") == {}


def test_yes_no_wordings_that_hold_a_fields_own_word(ws, tmp_path):
    """A bid list whose conclusion column says more than yes or no (审核通过, 审核未通过,
    资格不合格): a wording that holds one of the field's own words means what the longest such
    word means (未通过 before 通过, 不合格 before 合格); the column is found by those words."""
    rows = [["项目编号", "投标人", "统一社会信用代码", "投标报价", "审核结果"]]
    verdicts = ["审核通过", "审核通过", "审核未通过", "资格不合格", "审核通过", "资格合格"]
    for k in range(24):
        rows.append([f"ZB-{k // 4}", f"某建设公司{k}", _uscc(k), str(1000 + k), verdicts[k % 6]])
    src = write_csv(tmp_path / "in" / "投标.csv", rows)
    report = ingest_path(ws, src, assume_yes=True, dataset="bids")
    (source,) = report.sources
    assert (source.rows_loaded, source.rules) == (24, {})
    con = connect(ws)
    got = con.execute("SELECT disqualified, count(*) FROM bids GROUP BY 1 ORDER BY 1").fetchall()
    assert got == [(False, 16), (True, 8)]
