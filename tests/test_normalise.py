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

from qingfeng.catalogue import FieldSpec
from qingfeng.ingest.normalise import install_macros
from qingfeng.ingest.stage import normalise_values

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
    today = dt.date.today()
    eights = [
        f"{y:04d}{m:02d}{d:02d}"
        for y in (1879, 1880, 1900, 1996, 2000, 2023, 2024)
        for m in (0, 1, 2, 4, 6, 9, 11, 12, 13)
        for d in (0, 1, 28, 29, 30, 31, 32)
    ]
    eights += [today.strftime("%Y%m%d"), (today + dt.timedelta(days=1)).strftime("%Y%m%d")]
    ids = [f"110105{e}001" + ric.calc_check_digit(f"110105{e}0010") for e in eights]
    got = [e for _, e in normalise_values(con, ID, ids)]
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
    from qingfeng.ingest.normalise import field_plan

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
