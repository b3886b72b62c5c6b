"""Property tests for every normaliser, with python-stdnum and OpenCC as the references.

Each example normalises a batch of values through exactly the SQL ingest uses
(`normalise_values`), so a single DuckDB query checks many values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from qingfeng.dataspec import FieldSpec
from qingfeng.ingest.stage import normalise_values
from qingfeng.normalise import install_macros

FAST = settings(max_examples=20, deadline=None)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    install_macros(c)
    yield c
    c.close()


def field(type_: str, **kw: object) -> FieldSpec:
    return FieldSpec.model_validate(
        {"name": "f", "type": type_, "sensitivity": "internal", "zh": "字段", "en": "field", **kw}
    )


ID = field("id_no", required=True)
FULLWIDTH = str.maketrans({chr(0x30 + i): chr(0xFF10 + i) for i in range(10)} | {"X": "Ｘ"})

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31))
regions = st.integers(min_value=110000, max_value=659999).map(str)
seqs = st.integers(min_value=0, max_value=999)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    body = draw(regions) + draw(births).strftime("%Y%m%d") + f"{draw(seqs):03d}"
    return body + ric.calc_check_digit(body + "0")


@FAST
@given(st.lists(valid_ids(), min_size=1, max_size=30))
def test_valid_ids_pass_and_messy_spellings_come_back_canonical(con, ids: list[str]) -> None:
    messy: list[str | None] = []
    expected: list[str] = []
    for id18 in ids:
        variants = [id18, id18.lower(), f" {id18[:6]} {id18[6:]} ", id18.translate(FULLWIDTH)]
        if id18[6:8] == "19":  # the old 15-digit form exists only for births in 19xx
            variants.append(id18[:6] + id18[8:17])
        for v in variants:
            messy.append(v)
            expected.append(id18)
        # The reference: stdnum's check digit and birth date (not its birth-place table, which
        # we deliberately do not apply: division codes change).
        assert ric.calc_check_digit(id18) == id18[-1]
        ric.get_birth_date(id18)
    got = normalise_values(con, ID, messy)
    assert [g[1] for g in got] == [None] * len(messy)
    assert [g[0] for g in got] == expected


@FAST
@given(
    st.lists(
        st.tuples(regions, births, seqs, st.sampled_from("0123456789X")), min_size=1, max_size=40
    )
)
def test_check_digit_agrees_with_stdnum(con, parts: list[tuple[str, dt.date, int, str]]) -> None:
    ids = [f"{r}{b:%Y%m%d}{s:03d}{c}" for r, b, s, c in parts]
    got = normalise_values(con, ID, list(ids))
    for id18, (value, error) in zip(ids, got, strict=True):
        reference_ok = ric.calc_check_digit(id18) == id18[-1]
        assert (error is None) == reference_ok, id18
        assert error in (None, "check_digit")
        assert value == (id18 if reference_ok else None)


@FAST
@given(st.lists(st.text(alphabet="0123456789Xx -", min_size=0, max_size=20), max_size=40))
def test_anything_accepted_is_accepted_by_stdnum(con, texts: list[str]) -> None:
    got = normalise_values(con, ID, list(texts))
    for _text, (value, error) in zip(texts, got, strict=True):
        if error is None:
            assert isinstance(value, str) and len(value) == 18
            assert ric.calc_check_digit(value) == value[-1]
            ric.get_birth_date(value)  # raises when the date is impossible
        else:
            assert value is None


def test_impossible_and_future_birth_dates_are_rejected(con) -> None:
    feb30 = "11010519490230001"
    future = "110105" + (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d") + "001"
    ids = [b + ric.calc_check_digit(b + "0") for b in (feb30, future)]
    assert [e for _, e in normalise_values(con, ID, ids)] == ["birth_date", "birth_date"]


def test_birth_date_calendar_edges_agree_with_stdnum(con) -> None:
    """The birth date is checked in integer arithmetic: every month end, leap years (1900 is not
    one, 2000 is), month 0/13, day 0/32 and the 1880 and today bounds, against stdnum."""
    eights = [
        f"{y:04d}{m:02d}{d:02d}"
        for y in (1879, 1880, 1900, 1996, 2000, 2023, 2024)
        for m in (0, 1, 2, 4, 6, 9, 11, 12, 13)
        for d in (0, 1, 28, 29, 30, 31, 32)
    ]
    while True:  # again if midnight passed meanwhile: the check uses the day it runs on
        today = dt.date.today()
        edge = [today.strftime("%Y%m%d"), (today + dt.timedelta(days=1)).strftime("%Y%m%d")]
        ids = [f"110105{e}001" + ric.calc_check_digit(f"110105{e}0010") for e in eights + edge]
        got = [e for _, e in normalise_values(con, ID, ids)]
        if dt.date.today() == today:
            break
    for id18, err in zip(ids, got, strict=True):
        try:
            born = ric.get_birth_date(id18)
            expected = None if dt.date(1880, 1, 1) <= born <= today else "birth_date"
        except Exception:  # stdnum: no such date
            expected = "birth_date"
        assert err == expected, id18[6:14]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def usccs(draw: st.DrawFn, first_letter: bool = False) -> str:
    first = draw(st.sampled_from("ABCDEFGHJKLMNPQRTUWXY" if first_letter else "123456789"))
    second = draw(st.sampled_from(USCC_ALPHABET if first_letter else "0123456789"))
    region = draw(st.integers(min_value=110000, max_value=659999))
    rest = "".join(draw(st.lists(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9)))
    body = f"{first}{second}{region}{rest}"
    return body + uscc.calc_check_digit(body)


@FAST
@given(st.lists(usccs(), min_size=1, max_size=30), st.lists(usccs(True), min_size=1, max_size=5))
def test_uscc_check_agrees_with_stdnum(
    con, digit_first: list[str], letter_first: list[str]
) -> None:
    f = field("uscc")
    got = normalise_values(con, f, [c.lower() for c in digit_first] + letter_first)
    assert [v for v, _ in got] == digit_first + letter_first
    assert all(uscc.is_valid(c) for c in digit_first)
    # GB 32100 allows letters in the first two places; stdnum's validate() does not, so those
    # are checked against its checksum only (calc_check_digit above).
    broken = [c[:-1] + ("0" if c[-1] != "0" else "1") for c in digit_first]
    assert [e for _, e in normalise_values(con, f, broken)] == ["check_digit"] * len(broken)


TRAD = [
    ("張", "张"),
    ("學", "学"),
    ("劉", "刘"),
    ("華", "华"),
    ("陳", "陈"),
    ("鄭", "郑"),
    ("黃", "黄"),
]
PLAIN = list("王李明英小秀红")


@FAST
@given(st.lists(st.lists(st.sampled_from(TRAD + [(c, c) for c in PLAIN]), min_size=2, max_size=4),
                min_size=1, max_size=30))  # fmt: skip
def test_names_become_simplified_without_inner_spaces(
    con, names: list[list[tuple[str, str]]]
) -> None:
    import opencc

    raw = [" ".join(t for t, _ in n) if i % 2 else "".join(t for t, _ in n) + "\u3000"
           for i, n in enumerate(names)]  # fmt: skip
    t2s = opencc.OpenCC("t2s")
    # A name is converted character by character, never as a phrase.
    expected = ["".join(t2s.convert(t) for t, _ in n) for n in names]
    got = normalise_values(con, field("name"), raw)
    assert [v for v, _ in got] == expected
    assert [v for v, _ in got] == ["".join(s for _, s in n) for n in names]


def test_surname_survives_traditional_conversion(con) -> None:
    """OpenCC's phrase conversion turns 沈厚廣 into 沉厚广; the registry holds 沈厚广."""
    got = normalise_values(con, field("name"), ["沈厚廣", "沈 厚 廣", "沈厚广", "劉沈陽"])
    assert [v for v, _ in got] == ["沈厚广", "沈厚广", "沈厚广", "刘沈阳"]


DATE_FORMATS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y.%m.%d"),
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: d.strftime("%Y/%m/%d") + " 08:30:00",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
]
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


@FAST
@given(st.lists(st.tuples(days, st.integers(0, len(DATE_FORMATS) - 1)), min_size=1, max_size=40))
def test_dates_in_every_common_format(con, items: list[tuple[dt.date, int]]) -> None:
    raw = [DATE_FORMATS[k](d) for d, k in items]
    got = normalise_values(con, field("date"), raw)
    assert [v for v, _ in got] == [d for d, _ in items]
    assert all(e is None for _, e in got)


def test_impossible_dates_are_invalid_not_guessed(con) -> None:
    raw = ["2024-02-30", "2023年2月29日", "20241301", "2024/13/1", "明天", "0000-00-00"]
    assert normalise_values(con, field("date"), raw) == [(None, "invalid")] * len(raw)


@FAST
@given(st.lists(st.tuples(days, st.integers(0, 5)), min_size=1, max_size=40))
def test_periods(con, items: list[tuple[dt.date, int]]) -> None:
    fmts = [
        lambda d: d.strftime("%Y-%m"),
        lambda d: d.strftime("%Y%m"),
        lambda d: f"{d.year}年{d.month}月",
        lambda d: f"{d.year}/{d.month}",
        lambda d: d.strftime("%Y.%m"),
        lambda d: d.isoformat(),
    ]
    got = normalise_values(con, field("period"), [fmts[k](d) for d, k in items])
    assert [v for v, _ in got] == [d.strftime("%Y-%m") for d, _ in items]


@FAST
@given(st.lists(st.tuples(days, st.times()), min_size=1, max_size=30))
def test_timestamps(con, items: list[tuple[dt.date, dt.time]]) -> None:
    stamps = [dt.datetime.combine(d, t.replace(microsecond=0)) for d, t in items]
    raw = [
        s.strftime("%Y-%m-%d %H:%M:%S") if i % 3 == 0
        else f"{s.year}/{s.month}/{s.day} {s.hour}:{s.minute:02d}:{s.second:02d}" if i % 3 == 1
        else s.strftime("%Y年%m月%d日 %H时%M分%S秒")
        for i, s in enumerate(stamps)
    ]  # fmt: skip
    got = normalise_values(con, field("timestamp"), raw)
    assert [v for v, _ in got] == stamps


cents = st.integers(min_value=-(10**12), max_value=10**12)


@FAST
@given(st.lists(st.tuples(cents, st.integers(0, 4)), min_size=1, max_size=40))
def test_amounts_in_yuan(con, items: list[tuple[int, int]]) -> None:
    def fmt(c: int, k: int) -> str:
        yuan = Decimal(c) / 100
        return [f"{yuan:,.2f}", f"{yuan:.2f}元", f"¥{yuan:,.2f}", f" {yuan:.2f} ", f"{yuan}"][k]

    got = normalise_values(con, field("amount"), [fmt(c, k) for c, k in items])
    assert [v for v, _ in got] == [Decimal(c) / 100 for c, _ in items]


@FAST
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40))
def test_amounts_in_wan(con, cents_: list[int]) -> None:
    raw = [str(Decimal(c) / 1_000_000) for c in cents_]  # 万元 with 6 decimals = exact fen
    got = normalise_values(con, field("amount"), raw, amount_multiplier=10000)
    assert [v for v, _ in got] == [Decimal(c) / 100 for c in cents_]
    inline = normalise_values(con, field("amount"), [f"{Decimal(c) / 1_000_000}万" for c in cents_])
    assert [v for v, _ in inline] == [Decimal(c) / 100 for c in cents_]


@FAST
@given(st.lists(st.integers(min_value=100000, max_value=999999999999), min_size=1, max_size=40))
def test_division_codes(con, codes: list[int]) -> None:
    raw = [str(c) for c in codes]
    got = normalise_values(con, field("division_code"), raw)
    for text, (value, error) in zip(raw, got, strict=True):
        if len(text) in (6, 9, 12):
            assert (value, error) == (text.ljust(12, "0"), None)
        else:
            assert (value, error) == (None, "invalid")


@FAST
@given(st.lists(st.tuples(st.integers(3, 9), st.integers(0, 10**9 - 1), st.integers(0, 3)),
                min_size=1, max_size=40))  # fmt: skip
def test_mobile_phones(con, items: list[tuple[int, int, int]]) -> None:
    numbers = [f"1{a}{b:09d}" for a, b, _ in items]
    styles = [lambda n: n, lambda n: f"+86 {n}", lambda n: f"{n[:3]}-{n[3:7]}-{n[7:]}",
              lambda n: f"0086{n}"]  # fmt: skip
    got = normalise_values(
        con, field("phone"), [styles[k](n) for n, (_, _, k) in zip(numbers, items, strict=True)]
    )
    assert [v for v, _ in got] == numbers


def test_landlines_and_bad_phones(con) -> None:
    got = normalise_values(
        con, field("phone"), ["0851-8888 6666", "(010)12345678", "12345", "电话"]
    )
    assert got == [
        ("085188886666", None),
        ("01012345678", None),
        (None, "invalid"),
        (None, "invalid"),
    ]


def test_enums_booleans_codes_and_blanks(con) -> None:
    g = field("enum", values={"male": ["男", "1"], "female": ["女", "2"]})
    assert normalise_values(con, g, ["男", " 女 ", "Male", "1", "未知", None]) == [
        ("male", None), ("female", None), ("male", None), ("male", None), (None, "unknown_code"),
        (None, None),
    ]  # fmt: skip
    b = field("boolean")
    assert [v for v, _ in normalise_values(con, b, ["是", "否", "Y", "0", "TRUE"])] == [
        True, False, True, False, True,
    ]  # fmt: skip
    c = field("code")
    assert [v for v, _ in normalise_values(con, c, ["ｐ００１ ", "a b"])] == ["P001", "AB"]
    blanks = ["", "  ", "NULL", "-", "/", "N/A", None]
    assert normalise_values(con, field("text", required=True), blanks) == [
        (None, "required")
    ] * len(blanks)


def test_min_max_and_pattern_rules(con) -> None:
    f = field("integer", min=1, max=30)
    assert [e for _, e in normalise_values(con, f, ["0", "5", "31", "3.0", "x"])] == [
        "below_min", None, "above_max", None, "invalid",
    ]  # fmt: skip
    vin = field("code", pattern="[A-HJ-NPR-Z0-9]{17}")
    assert [e for _, e in normalise_values(con, vin, ["LSVAU2180N2183291", "SHORT"])] == [
        None, "pattern",
    ]  # fmt: skip


def test_adhoc_macros_match_the_ingest_path(con) -> None:
    row = con.execute(
        "SELECT qf_id18(' 110105491231002 '), qf_id_valid('11010519491231002x'), "
        "qf_id_valid('110105194912310021'), qf_name('張 學友'), qf_date('2024年5月1日'), "
        "qf_amount('1,200.5元', 1), qf_period('2024/5'), qf_division('522701'), "
        "qf_uscc_valid('91350100M000100Y43')"
    ).fetchone()
    assert row == (
        "11010519491231002X", True, False, "张学友", dt.date(2024, 5, 1), Decimal("1200.50"),
        "2024-05", "522701000000", True,
    )  # fmt: skip


# Text built from the pieces real cells are made of: digits, letters, Chinese characters,
# separators, full-width forms, blank tokens and stray whitespace.
_PIECES = st.sampled_from(
    [*"0123456789", "X", "x", "A", "Z", "P", "-", ".", "/", "#", " ", "\u3000", "\t",
     "１", "Ｘ", "王", "張", "學", "·", "元", ",", "万", "+86", "NULL", "N/A", "null"]
)  # fmt: skip
_CELLS = st.one_of(
    valid_ids(),
    valid_ids().map(lambda s: s[:6] + s[8:17]),  # 15-digit form
    st.lists(_PIECES, max_size=20).map("".join),
    st.integers(0, 10**12).map(str),
    st.text(max_size=8),
    # Nearly canonical: the characters of codes, amounts and phone numbers, any case.
    st.text(alphabet="0123456789XxAaZzPp-./#,万元 ", max_size=20),
    st.none(),
)
_FAST_TYPES = [
    field("id_no", required=True),
    field("uscc"),
    field("name"),
    field("amount", min=0, max=10**6),
    field("division_code"),
    field("phone"),
    field("code"),
    field("code", required=True, pattern="[A-Z0-9]{3,20}"),
    field("date"),
    field("period"),
]


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=60))
def test_fast_paths_never_change_a_result(con, cells: list[str | None]) -> None:
    # Values already in canonical form skip the cleaning; the result must be exactly what the
    # full cleaning gives, value and broken rule alike, for every type that has a fast path.
    for f in _FAST_TYPES:
        fast = normalise_values(con, f, cells)
        full = normalise_values(con, f, cells, fast_paths=False)
        assert fast == full, f.type


def test_fast_paths_take_the_common_values(con) -> None:
    # The fast path is not vacuous: canonical values of each type are really recognised.
    from qingfeng.normalise import field_plan

    samples = {
        "id_no": "11010519491231002X",
        "uscc": "91350100M000100Y43",
        "name": "王小明",
        "amount": "1200.50",
        "division_code": "522701",
        "phone": "13912345678",
        "code": "P000123",
    }
    for type_, value in samples.items():
        pattern = field_plan(field(type_)).fast
        assert pattern is not None, type_
        assert con.execute("SELECT regexp_full_match(?, ?)", [value, pattern]).fetchone() == (
            True,
        ), type_
    for blank in ["NULL", "N/A", "-", "/", " 11010519491231002X"]:
        assert not con.execute(
            "SELECT regexp_full_match(?, ?)", [blank, field_plan(field("code")).fast]
        ).fetchone()[0]


# --- values as departments write them -------------------------------------------------------

CN_DIGITS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..31 in Chinese numerals as dates write them (十二, 二十, 三十一)."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else CN_DIGITS[tens] + "十"
    return head + (CN_DIGITS[units] if units else "")


def _cn_date(d: dt.date, zero: str) -> str:
    year = "".join(CN_DIGITS[int(c)] for c in str(d.year)).replace("〇", zero)
    return f"{year}年{_cn_number(d.month)}月{_cn_number(d.day)}日"


@FAST
@given(st.lists(st.tuples(days, st.sampled_from(["〇", "零", "○"])), min_size=1, max_size=40))
def test_dates_in_chinese_numerals(con, items: list[tuple[dt.date, str]]) -> None:
    raw = [_cn_date(d, z) for d, z in items]
    got = normalise_values(con, field("date"), raw)
    assert got == [(d, None) for d, _ in items]


def test_chinese_numeral_edges(con) -> None:
    got = normalise_values(
        con,
        field("date"),
        ["二〇二四年五月九日", "二零二四年十二月三十一日", "二〇二四年二月三十日", "廿"],
    )
    assert got == [
        (dt.date(2024, 5, 9), None), (dt.date(2024, 12, 31), None), (None, "invalid"),
        (None, "invalid"),
    ]  # fmt: skip
    assert normalise_values(con, field("period"), ["二〇二三年十二月"]) == [("2023-12", None)]


@FAST
@given(st.lists(days, min_size=1, max_size=30), st.booleans())
def test_day_first_dates_are_read_when_the_column_settles_the_order(
    con, items: list[dt.date], day_first: bool
) -> None:
    # One value whose first (or second) part is above 12 settles the whole column.
    anchor = dt.date(2024, 1, 25)
    values = [anchor, *items]
    raw = [
        f"{d.day:02d}/{d.month:02d}/{d.year}" if day_first else f"{d.month}/{d.day}/{d.year}"
        for d in values
    ]
    assert normalise_values(con, field("date"), raw) == [(d, None) for d in values]


def test_day_month_order_nothing_settles_is_ambiguous_not_guessed(con) -> None:
    raw = ["05/09/2024", "5/9/24", "07.08.2023", "03/03/2024", "2024/05/09"]
    assert normalise_values(con, field("date"), raw) == [
        (None, "ambiguous_date"), (None, "ambiguous_date"), (None, "ambiguous_date"),
        (dt.date(2024, 3, 3), None), (dt.date(2024, 5, 9), None),
    ]  # fmt: skip
    # Contradicting evidence (one value day-first, one month-first) settles nothing: each
    # value that settles itself is read, the others stay ambiguous.
    got = normalise_values(con, field("date"), ["13/09/2024", "09/13/2024", "05/09/2024"])
    assert got == [
        (dt.date(2024, 9, 13), None), (dt.date(2024, 9, 13), None), (None, "ambiguous_date"),
    ]  # fmt: skip
    # A day that does not exist is invalid, never ambiguous.
    assert normalise_values(con, field("date"), ["31/02/2024", "45/09/2024"]) == [
        (None, "invalid"), (None, "invalid"),
    ]  # fmt: skip


def test_periods_from_what_departments_write(con) -> None:
    raw = ["202312", "2023年12月", "2023-12", "2023.12", "2023/12", "12/2023", "2023-12-05"]
    assert normalise_values(con, field("period"), raw) == [("2023-12", None)] * len(raw)
    # A month 13, and a period number (not a month), are never read as a month.
    bad = ["202313", "2023-00", "2023年第12期", "2023年13月"]
    assert normalise_values(con, field("period"), bad) == [(None, "invalid")] * len(bad)


RATIO = field("decimal", unit="percent", min=0, max=100)


@FAST
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def test_ratios_with_a_percent_sign_or_as_fractions(con, hundredths: list[int]) -> None:
    exact = [Decimal(h) / 100 for h in hundredths]  # percent, two decimals
    with_sign = normalise_values(con, RATIO, [f"{p}%" for p in exact])
    assert [v for v, _ in with_sign] == [float(p) for p in exact]
    full_width = normalise_values(con, RATIO, [f"{p:.2f}％" for p in exact])
    assert [v for v, _ in full_width] == [float(p) for p in exact]
    # The same shares written as fractions (every value ≤ 1): read as fractions of 100.
    fractions = normalise_values(con, RATIO, [str(p / 100) for p in exact])
    assert [v for v, _ in fractions] == pytest.approx([float(p) for p in exact])


def test_ratio_columns_and_values_that_settle_themselves(con) -> None:
    # Plain numbers above 1 in the column: the plain values are percents; % decides per value.
    got = normalise_values(con, RATIO, ["60", "0.6", "60%", "60.00%", " 40 ％", "6‰"])
    assert [v for v, _ in got] == [60.0, 0.6, 60.0, 60.0, 40.0, 0.6]
    assert normalise_values(con, RATIO, ["0.6", "0.4", "30%"]) == [
        (60.0, None), (40.0, None), (30.0, None),
    ]  # fmt: skip
    assert [e for _, e in normalise_values(con, RATIO, ["120%", "-5%", "六成", "1.5"])] == [
        "above_max", "below_min", "invalid", None,
    ]  # fmt: skip
    fraction = field("decimal", unit="fraction", min=0, max=1)
    assert [v for v, _ in normalise_values(con, fraction, ["60%", "0.6"])] == [0.6, 0.6]
    assert [v for v, _ in normalise_values(con, fraction, ["60", "40"])] == [0.6, 0.4]


def test_booleans_in_any_form_and_unknown_spellings(con) -> None:
    b = field("boolean")
    yes = ["是", "Y", "y", "1", "true", "TRUE", "√", "有"]
    no = ["否", "N", "n", "0", "false", "×", "无"]
    assert normalise_values(con, b, yes + no) == [(True, None)] * len(yes) + [(False, None)] * len(
        no
    )
    assert normalise_values(con, b, ["中标", "合格", "也许", None]) == [
        (None, "unknown_boolean"), (None, "unknown_boolean"), (None, "unknown_boolean"),
        (None, None),
    ]  # fmt: skip
    # A field's own spellings, and the negations of its yes-words.
    won = field("boolean", true_values=["中标"], false_values=["落标"])
    got = normalise_values(con, won, ["中标", "未中标", "不中标", "落标", "是"])
    assert [v for v, _ in got] == [True, False, False, False, True]


def test_national_code_tables_and_unknown_codes(con) -> None:
    from qingfeng.dataspec import get_dataset

    gender = get_dataset("household_registry").field("gender")
    assert normalise_values(con, gender, ["1", "2", "0", "9", "3", "男", "Ｘ"]) == [
        ("male", None), ("female", None), ("unknown", None), ("unknown", None),
        (None, "unknown_code"), ("male", None), (None, "unknown_code"),
    ]  # fmt: skip
    status = get_dataset("vehicles").field("status")
    got = [v for v, _ in normalise_values(con, status, ["A", "B", "C", "E", "M", "P", "K", "Q"])]
    assert got == [
        "normal", "transferred", "stolen", "scrapped", "scrapped", "scrapped", "seized",
        "pending",
    ]  # fmt: skip
    # vehicles.status declares a fallback: an unknown letter is `other`, as its spellings are.
    assert normalise_values(con, status, ["Z"]) == [("other", None)]
    # Letters written together name a value only when they all name it; a mix falls back.
    got = [v for v, _ in normalise_values(con, status, ["KL", "gq", "EM", "GK"])]
    assert got == ["seized", "pending", "scrapped", "other"]
    relation = get_dataset("household_registry").field("relation_to_head")
    got = normalise_values(con, relation, ["01", "02", "1", "10", "22", "38", "40", "51", "61"])
    assert [v for v, _ in got] == [
        "head", "head", "head", "spouse", "child", "child_in_law", "grandchild", "parent",
        "grandparent",
    ]  # fmt: skip
    level = get_dataset("disability_certificates").field("level")
    assert normalise_values(con, level, ["1", "二级", "三", "4级", "五级"]) == [
        ("一级", None), ("二级", None), ("三级", None), ("四级", None), (None, "unknown_code"),
    ]  # fmt: skip
    claim = get_dataset("medical_claims").field("claim_type")
    assert [v for v, _ in normalise_values(con, claim, ["11", "21", "41", "52", "门诊"])] == [
        "outpatient", "inpatient", "other", "inpatient", "outpatient",
    ]  # fmt: skip


def test_subsidy_wordings_become_one_code_and_unknown_ones_none(con) -> None:
    from qingfeng.dataspec import get_dataset

    code = get_dataset("subsidy_payments").field("subsidy_code")
    cases = {
        "高龄补贴": "old_age_allowance",
        "高龄津贴": "old_age_allowance",
        "高龄老人生活补贴": "old_age_allowance",
        " 高龄津贴（80-89周岁） ": "old_age_allowance",
        "低保金": "dibao",
        "最低生活保障金": "dibao",
        "农村最低生活保障金": "dibao",
        "重度残疾人护理补贴": "disability_nursing",
        "困难残疾人生活补贴": "disability_living",
        "残疾人两项补贴": "disability_both",
        "耕地地力保护补贴": "cultivated_land",
        "农机购置与应用补贴": "farm_machinery",
        "dibao": "dibao",
        # Unknown, or naming two entries at once: no code (reported, never quarantined).
        "某某奖励金": None,
        "高龄低保合并发放": None,
    }
    got = normalise_values(con, code, list(cases))
    assert got == [(c, None) for c in cases.values()]
