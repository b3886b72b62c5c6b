"""Recognition rules that read more than one value at a time: the order of two columns in a row,
a column that never changes, the unit a header names, the scale of the values, the role shared
by a name and its credit code, abbreviated vocabulary wordings, and a table whose columns a
dataset shares but whose required field no column comes near.

Every table here is written for the test; none of its headers is a catalogue synonym.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import duckdb
import pytest
from pydantic import ValidationError

from qingfeng.dataspec import DatasetSpec, load_catalogue, normalise_header
from qingfeng.dataspec.loader import vocabulary
from qingfeng.ingest.header_match import header_match
from qingfeng.ingest.mapping import Proposal, _abbreviated_in, propose
from qingfeng.normalise import install_macros, vocab_fold, vocab_sql
from recognise_data import company, person, resident_id, uscc

Row = dict[str, str]
Gen = Callable[[random.Random, Row], str]


def _day(rng: random.Random, start: str = "2022-01-01", span: int = 600) -> dt.date:
    return dt.date.fromisoformat(start) + dt.timedelta(days=rng.randint(0, span))


def _propose(columns: list[tuple[str, Gen]], rows: int = 60, seed: int = 3) -> Proposal:
    """propose() on a table whose columns are the same rows (each generator sees the row so
    far, so one column can follow another)."""
    rng = random.Random(seed)
    table: list[Row] = []
    for _ in range(rows):
        row: Row = {}
        for h, g in columns:
            row[h] = g(rng, row)
        table.append(row)
    values = {h: [r[h] for r in table] for h, _ in columns}
    return propose([h for h, _ in columns], "export.csv", None, values)


def _const(value: str) -> Gen:
    return lambda rng, row: value


def _id(rng: random.Random, row: Row) -> str:
    return resident_id(rng)


def _person(rng: random.Random, row: Row) -> str:
    return person(rng)


def _seq(prefix: str) -> Gen:
    counter = iter(range(1, 10**6))
    return lambda rng, row: f"{prefix}{next(counter):07d}"


def _mapped(p: Proposal) -> dict[str, str | None]:
    assert p.mapping is not None, p.reason
    return p.mapping.columns


def test_no_header_here_is_a_catalogue_synonym() -> None:
    synonyms = {
        normalise_header(h) for spec in load_catalogue().values() for f in spec.fields
        for h in f.synonyms
    }  # fmt: skip
    headers = ["甲日期", "乙日期", "合计费用（元）", "基金付（元）", "制表时间", "流水时间",
               "经办工号", "净重（公斤）", "货款（万元）", "发包方", "发包方信用代码", "出资额度",
               "社会信用码", "成员证件号", "成员称呼", "户主关系", "保障编码"]  # fmt: skip
    assert not [h for h in headers if normalise_header(h) in synonyms]


def test_dates_whose_headers_do_not_tell_are_ordered_by_the_values() -> None:
    """Two date columns the headers cannot tell apart (both '…那天'): in every row one is
    later, so it is the discharge whichever column comes first."""

    def admitted(rng: random.Random, row: Row) -> str:
        return str(dt.date.fromisoformat(row["甲日期"]) - dt.timedelta(days=rng.randint(1, 20)))

    p = _propose(
        [
            ("单据号", _seq("JS")),
            ("身份证号", _id),
            ("甲日期", lambda rng, row: str(_day(rng))),
            ("乙日期", admitted),
            ("医院", lambda rng, row: rng.choice(["县人民医院", "县中医院", "城关镇卫生院"])),
        ]
    )
    got = _mapped(p)
    assert got["甲日期"] == "discharge_date"
    assert got["乙日期"] == "admission_date"
    assert "按行内取值先后" in p.evidence["甲日期"].describe()


def test_the_part_paid_is_at_most_the_total() -> None:
    """Two money columns whose headers do not say which is the total: the fund's part is the
    smaller one in every row."""
    rng = random.Random(5)
    headers = ["单据号", "身份证号", "乙日期", "基金付（元）", "合计费用（元）"]
    rows = []
    for i in range(60):
        total = rng.uniform(800, 30000)
        rows.append([f"JS{i:07d}", resident_id(rng), str(_day(rng)), f"{total * 0.6:.2f}",
                     f"{total:.2f}"])  # fmt: skip
    values = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    got = _mapped(propose(headers, "export.csv", "medical_claims", values))
    assert got["基金付（元）"] == "fund_paid"
    assert got["合计费用（元）"] == "amount"


def test_a_column_with_one_value_on_every_row_is_no_event_time() -> None:
    """A bank export stamped with the moment it was made: the stamp does not become the
    transaction time, the column of varying times does."""

    def moment(rng: random.Random, row: Row) -> str:
        hour, minute, second = rng.randint(8, 17), rng.randint(0, 59), rng.randint(1, 59)
        return f"{_day(rng)} {hour:02d}:{minute:02d}:{second:02d}"

    p = _propose(
        [
            ("制表时间", _const("2024-06-30 17:45:12")),
            ("流水号", _seq("LS")),
            (
                "账号",
                lambda rng, row: "6228" + "".join(rng.choice("0123456789") for _ in range(15)),
            ),
            ("流水时间", moment),
            ("金额", lambda rng, row: f"{rng.uniform(10, 9000):.2f}"),
            ("收付", lambda rng, row: rng.choice(["收", "付"])),
        ]
    )
    got = _mapped(p)
    assert got["流水时间"] == "txn_time"
    assert got["制表时间"] is None


def test_numbers_with_a_leading_zero_are_codes_not_amounts() -> None:
    p = _propose(
        [
            ("经办工号", lambda rng, row: rng.choice(["0012", "0031", "0007"])),
            ("结算号", _seq("JS")),
            ("身份证号", _id),
            ("合计费用（元）", lambda rng, row: f"{rng.uniform(800, 30000):.2f}"),
            ("乙日期", lambda rng, row: str(_day(rng))),
        ]
    )
    got = _mapped(p)
    assert got["经办工号"] is None
    assert got["合计费用（元）"] == "amount"


def test_a_unit_in_the_header_names_the_kind_of_number() -> None:
    """Weight in 公斤 is no amount of money, and a sum in 万元 is no quantity."""
    p = _propose(
        [
            ("采购单号", _seq("CG")),
            ("学校统一社会信用代码", lambda rng, row: uscc(rng)),
            ("采购日期", lambda rng, row: str(_day(rng))),
            ("品名", lambda rng, row: rng.choice(["大米", "菜籽油", "猪肉", "鸡蛋"])),
            ("货款（万元）", lambda rng, row: f"{rng.uniform(0.01, 2):.4f}"),
            ("净重（公斤）", lambda rng, row: f"{rng.uniform(5, 400):.1f}"),
        ]
    )
    got = _mapped(p)
    assert got["货款（万元）"] == "amount"
    assert got["净重（公斤）"] == "quantity"


def test_a_name_takes_the_role_of_the_credit_code_whose_header_it_begins() -> None:
    """发包方 (not beside its code) is the buyer because 发包方信用代码 carries the buyer's
    credit code."""
    buyers = [(uscc(random.Random(i)), company(random.Random(i))) for i in range(8)]
    rng = random.Random(9)
    rows = []
    for i in range(60):
        code, name = buyers[rng.randrange(len(buyers))]
        rows.append([f"ZB{i:07d}", name, str(_day(rng)), code])
    headers = ["项目编号", "发包方", "公告日期", "发包方信用代码"]
    values = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    got = _mapped(propose(headers, "export.csv", "tenders", values))
    assert got["发包方信用代码"] == "buyer_uscc"
    assert got["发包方"] == "buyer_name"


def test_an_amount_in_yuan_under_a_silent_header_is_not_taken_for_wan() -> None:
    """Registered capital is kept in 万元 when the header names no unit; values in the
    millions are yuan."""
    rng = random.Random(4)
    rows = [
        [
            uscc(rng),
            company(rng),
            resident_id(rng),
            person(rng),
            f"{rng.randint(50, 5000) * 1000}.00",
        ]
        for _ in range(40)
    ]
    headers = ["社会信用码", "企业名称", "法定代表人身份证号", "法定代表人", "注册资本金"]
    values = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    p = propose(headers, "export.csv", "companies", values)
    assert p.mapping is not None and p.mapping.columns["注册资本金"] == "registered_capital"
    assert p.mapping.units.get("注册资本金") == "yuan"
    small = {**values, "注册资本金": [f"{rng.randint(50, 5000)}" for _ in range(40)]}
    p = propose(headers, "export.csv", "companies", small)
    assert p.mapping is not None and "注册资本金" not in p.mapping.units


def test_date_words_do_not_hide_the_role_before_them() -> None:
    """时刻, 时间 and 日期 only say the value is a moment: the words before them decide."""
    specs = load_catalogue()
    start = specs["dibao_households"].field("start_date")
    end = specs["dibao_households"].field("end_date")
    assert header_match("救助开始时刻", start).score > 0.6
    assert header_match("救助开始时刻", end).score < header_match("救助开始时刻", start).score


def test_a_member_roster_is_not_a_registry_without_its_status() -> None:
    """A roster with the members' IDs, names and relation to the head and a case number: a
    registry would share those columns, but a registry has a status and no column comes near
    it, so the roster is the dibao members'."""
    rng = random.Random(11)
    rows = []
    for case in range(30):
        for relation in ["户主", "配偶", "长子", "长女"][: rng.randint(1, 4)]:
            rows.append([f"MZ{case:06d}", resident_id(rng), person(rng), relation])
    headers = ["保障编码", "成员证件号", "成员称呼", "户主关系"]
    values = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    p = propose(headers, "export.csv", None, values)
    assert p.mapping is not None, p.reason
    assert p.mapping.dataset == "dibao_members"
    assert p.mapping.columns["成员证件号"] == "id_no"


@pytest.mark.parametrize(
    ("wording", "code"),
    [
        ("困难残疾生活补贴", "disability_living"),  # 人 left out
        ("重度残疾护理补贴", "disability_nursing"),
        ("高龄老人生活津贴", "old_age_allowance"),  # a key term, as before
        ("补助", None),  # too short to abbreviate anything
        ("助学补贴", None),  # abbreviates no entry
    ],
)
def test_vocabulary_wordings_that_abbreviate_one_entry(wording: str, code: str | None) -> None:
    con = duckdb.connect()
    install_macros(con)
    sql = vocab_sql(vocabulary("subsidy_types"), "k")
    assert con.execute(f"SELECT {sql} FROM (SELECT ? AS k)", [vocab_fold(wording)]).fetchone() == (
        code,
    )


def _spec(fields: list[dict[str, object]]) -> dict[str, object]:
    return {
        "id": "t",
        "zh": "测试",
        "en": "Test",
        "department": "测试",
        "description_zh": "测试",
        "description_en": "Test",
        "fields": fields,
    }


def test_order_declarations_are_checked() -> None:
    day = {"type": "date", "sensitivity": "public", "en": "day"}
    money = {"type": "amount", "sensitivity": "public", "en": "money"}
    a, b = {"name": "a", "zh": "甲", **day}, {"name": "b", "zh": "乙", **day}
    DatasetSpec.model_validate(_spec([{**a, "before": "b"}, b]))
    with pytest.raises(ValidationError, match="unknown fields"):
        DatasetSpec.model_validate(_spec([{**a, "before": "c"}]))
    with pytest.raises(ValidationError, match="not a date"):
        DatasetSpec.model_validate(_spec([{**a, "before": "b"}, {**b, **money}]))
    with pytest.raises(ValidationError, match="only applies to amounts"):
        DatasetSpec.model_validate(_spec([{**a, "at_most": "b"}, b]))


def test_a_file_name_that_abbreviates_an_enum_spelling_names_the_value() -> None:
    """deaths.source is required: 死亡证明 in the file name abbreviates the spelling 死亡医学证明
    of `hospital`."""
    assert _abbreviated_in("死亡医学证明", "县医院死亡证明汇总")
    assert not _abbreviated_in("死亡医学证明", "死明")  # too short
    assert not _abbreviated_in("死亡医学证明", "死亡名单")
    rng = random.Random(2)
    headers = ["证件号", "死者", "去世日期"]
    rows = [[resident_id(rng), person(rng), str(_day(rng))] for _ in range(30)]
    values = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    p = propose(headers, "县医院死亡证明汇总.csv", "deaths", values)
    assert p.mapping is not None, p.reason
    assert p.mapping.constants == {"source": "hospital"}


def test_sentences_and_addresses_are_placed_by_their_values() -> None:
    """A ticket's two columns of sentences are its content and its reply (the header words
    before 记录 pick which), and a column of addresses under a header that names no field is
    a company's address; a column of bodies' names is not taken for an address."""
    rng = random.Random(6)
    streets = ["文峰路", "沙包堡大道", "剑江中路", "东山路"]
    rows = []
    for i in range(40):
        who = company(rng)
        rows.append(
            [
                f"GD{i:06d}",
                f"2023-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:{rng.randint(10, 59)}:00",
                f"群众来电称{who}长期存在噪音扰民问题，影响附近居民休息，请求相关部门尽快处理。",
                f"经核查，已责成{who}限期整改，相关部门将持续跟踪并在十个工作日内回访。",
                rng.choice(["已办结", "办理中"]),
            ]
        )
    headers = ["单号", "来电时间", "来电记录", "答复记录", "办理状态"]
    values = {h: [r[i] for r in rows] for i, h in enumerate(headers)}
    got = _mapped(propose(headers, "export.csv", None, values))
    assert got["来电记录"] == "content"
    assert got["答复记录"] == "reply"

    rows2 = [
        [uscc(rng), company(rng), f"某县{rng.choice(streets)}{rng.randint(1, 300)}号"]
        for _ in range(40)
    ]
    headers2 = ["社会信用码", "企业名称", "所在地"]
    values2 = {h: [r[i] for r in rows2] for i, h in enumerate(headers2)}
    got2 = _mapped(propose(headers2, "export.csv", "companies", values2))
    assert got2["所在地"] == "address"
    assert got2["企业名称"] == "name"
