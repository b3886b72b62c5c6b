"""Vectorised cleaning: DuckDB macros for every semantic type, and the SQL that applies them.

Every normaliser is a SQL macro so that a whole column is cleaned in one DuckDB pass (no Python
row loops). For each catalogue field `field_sql` returns two expressions over the raw text column:
the normalised value, and the rule it broke (NULL when the value is fine or legitimately empty).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import duckdb

from qingfeng.dataspec.loader import (
    boolean_words,
    code_table,
    enum_code_values,
    vocabulary,
)
from qingfeng.dataspec.model import FieldSpec, Vocabulary, fold_value
from qingfeng.divisions import DIVISION_SHAPE

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space become their half-width forms.
_FW_FROM = "".join(chr(0xFF01 + i) for i in range(94)) + "\u3000"
_FW_TO = "".join(chr(0x21 + i) for i in range(94)) + " "
_FW_TABLE = str.maketrans(_FW_FROM, _FW_TO)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ID_SHAPE = "[0-9]{17}[0-9X]"
_USCC_SHAPE = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
_DIVISION_SHAPE = DIVISION_SHAPE  # qingfeng.divisions: one rule for ingest and the org tree
_BLANKS = (
    "",
    "null",
    "NULL",
    "Null",
    "None",
    "none",
    "nan",
    "NaN",
    "N/A",
    "n/a",
    "-",
    "—",
    "/",
    "\\N",
)
_WS = " \t\r\n\u00a0\u3000"
# Chinese numerals of dates: each digit character → its digit (〇 and the circle ○ are zero).
_CN_DIGITS = "〇○零一二三四五六七八九"
_CN_TO = "00012345678" + "9"
_CN_CLASS = "[〇○零一二三四五六七八九十廿卅]"
# Day, month and year (after qf_date_t turned / and . into -): 05-09-2024, 5-9-24.
_DMY = "[0-9]{1,2}-[0-9]{1,2}-([0-9]{2}|[0-9]{4})"
# The raw text of a day-first or month-first date (for the column's evidence).
_RAW_DMY = "^\\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2}|[0-9]{4})(\\s.*)?$"


def _lit(text: str) -> str:
    """A SQL string literal for a constant we control (never user data)."""
    return "'" + text.replace("'", "''") + "'"


@cache
def t2s_pairs() -> tuple[str, str]:
    """Traditional → simplified single-character table, taken from OpenCC's t2s conversion.

    OpenCC is run once over every CJK code point; the characters it changes one-for-one become a
    `translate()` table, so names are converted inside DuckDB at column speed.
    """
    ranges = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)]
    chars = "".join(chr(c) for lo, hi in ranges for c in range(lo, hi))
    converted = _opencc_t2s().convert("\n".join(chars)).split("\n")
    src, dst = [], []
    for a, b in zip(chars, converted, strict=True):
        if a != b and len(b) == 1:
            src.append(a)
            dst.append(b)
    return "".join(src), "".join(dst)


FW_CLASS = "[\\x{FF01}-\\x{FF5E}\\x{3000}]"


@cache
def trad_class() -> str:
    """An RE2 character class of every character OpenCC's t2s changes."""
    return "[" + t2s_pairs()[0] + "]"


@cache
def _opencc_t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def t2s_convert(values: list[str]) -> list[str]:
    """Traditional → simplified for a batch of distinct names, character by character.

    Names are not phrases: OpenCC's phrase conversion reads 沈厚廣 as containing a word and turns
    the surname 沈 into 沉. Each character is therefore converted on its own, with the table of
    OpenCC's single-character t2s conversions (`t2s_pairs`).
    """
    table = _t2s_table()
    return [v.translate(table) for v in values]


@cache
def _t2s_table() -> dict[int, int]:
    return str.maketrans(*t2s_pairs())


def _id_sum(n: str) -> str:
    """SQL: a number congruent mod 11 to the GB 11643 weighted digit sum of the 17-digit `n`.

    The weighted sum is Σ w_k·d_k over the digits d_k = (n // 10^k) % 10. Writing each digit as
    q_k - 10·q_(k+1) with q_k = n // 10^k and regrouping gives Σ q_k·(w_k - 10·w_(k-1)), and
    -10 ≡ 1 (mod 11): one division and one product per digit instead of three operations.
    The terms stay below 1.2·10^18, inside BIGINT, because q_k shrinks tenfold per digit.
    """
    weight = {k: _ID_WEIGHTS[16 - k] for k in range(17)}  # weight of the 10^k digit
    coef = {k: (weight[k] + (weight[k - 1] if k else 0)) % 11 for k in range(17)}
    return " + ".join(
        f"({n} // {10**k}) * {coef[k]}" if k else f"{n} * {coef[0]}" for k in range(17) if coef[k]
    )


def _id_birth_ok(d: str) -> str:
    """SQL: the YYYYMMDD integer `d` is a real calendar date from 1880-01-01 up to today.

    Same rule as parsing the eight digits with strptime, without building a string per row:
    make_date fails (and try() gives NULL) for a month or day that does not exist.
    """
    # Today as a constant of the query (a scalar subquery would become a join in DuckDB's plan).
    today = _dt.date.today().strftime("%Y%m%d")
    parts = f"CAST({d} // 10000 AS INTEGER), CAST(({d} // 100) % 100 AS INTEGER), "
    parts += f"CAST({d} % 100 AS INTEGER)"
    return f"({d} >= 18800101 AND {d} <= {today} AND try(make_date({parts})) IS NOT NULL)"


def _uscc_sum(c: str) -> str:
    alpha = _lit(_USCC_ALPHABET)
    return " + ".join(
        f"(instr({alpha}, {c}[{i + 1}]) - 1) * {w}" for i, w in enumerate(_USCC_WEIGHTS)
    )


def macro_sql() -> list[str]:
    """The CREATE MACRO statements; `install_macros` runs them on a connection.

    Each macro is one expression of its argument; the field SQL below chains them in stacked
    SELECT layers so that an argument used several times is computed once.
    """
    t_src, t_dst = t2s_pairs()
    blanks = ", ".join(_lit(b) for b in _BLANKS)
    ws = _lit(_WS)
    return [
        # Empty-looking cells are missing values, not data.
        f"CREATE OR REPLACE MACRO qf_blank(s) AS "
        f"CASE WHEN list_contains([{blanks}], trim(s, {ws})) THEN NULL ELSE trim(s, {ws}) END",
        # translate() costs time in proportion to its table on every row, so it only runs on
        # the rare values that hold a full-width character (a cheap RE2 test finds them).
        f"CREATE OR REPLACE MACRO qf_hw(s) AS CASE WHEN regexp_matches(s, {_lit(FW_CLASS)}) "
        f"THEN translate(s, {_lit(_FW_FROM)}, {_lit(_FW_TO)}) ELSE s END",
        "CREATE OR REPLACE MACRO qf_nospace(s) AS "
        "replace(replace(replace(replace(s, ' ', ''), chr(9), ''), chr(160), ''), '-', '')",
        # --- resident ID numbers (GB 11643): clean, 15 -> 18 digits, then validate ---
        f"CREATE OR REPLACE MACRO qf_id_check_n(n) AS "
        f"substr('10X98765432', CAST((({_id_sum('n')}) % 11) + 1 AS INTEGER), 1)",
        "CREATE OR REPLACE MACRO qf_id_check(c) AS qf_id_check_n(TRY_CAST(c[1:17] AS BIGINT))",
        "CREATE OR REPLACE MACRO qf_id_clean(s) AS upper(qf_nospace(qf_hw(s)))",
        "CREATE OR REPLACE MACRO qf_id_up(c) AS CASE WHEN length(c) = 15 "
        "AND regexp_full_match(c, '[0-9]{15}') "
        "THEN [b || qf_id_check(b) for b in [c[1:6] || '19' || c[7:15]]][1] ELSE c END",
        "CREATE OR REPLACE MACRO qf_id_error(c) AS CASE WHEN c IS NULL THEN NULL "
        "WHEN NOT regexp_full_match(c, '[0-9]{17}[0-9X]') THEN 'format' "
        "WHEN try_strptime(c[7:14], '%Y%m%d') IS NULL OR c[7:14] < '18800101' "
        "OR c[7:14] > strftime(current_date, '%Y%m%d') THEN 'birth_date' "
        "WHEN qf_id_check(c) <> c[18] THEN 'check_digit' END",
        # Convenience for ad-hoc use (models, tests): raw text -> valid 18-char ID or NULL.
        # (A list comprehension binds the cleaned text once; nested macros would repeat it.)
        "CREATE OR REPLACE MACRO qf_id18(s) AS "
        "[qf_id_up(c) for c in [qf_id_clean(qf_blank(s))]][1]",
        "CREATE OR REPLACE MACRO qf_id_valid(s) AS "
        "[c IS NOT NULL AND qf_id_error(c) IS NULL for c in [qf_id18(s)]][1]",
        # --- unified social credit codes (GB 32100) ---
        "CREATE OR REPLACE MACRO qf_uscc_clean(s) AS upper(qf_nospace(qf_hw(s)))",
        f"CREATE OR REPLACE MACRO qf_uscc_check(c) AS substr({_lit(_USCC_ALPHABET)}, "
        f"((31 - (({_uscc_sum('c')}) % 31)) % 31) + 1, 1)",
        "CREATE OR REPLACE MACRO qf_uscc_error(c) AS CASE WHEN c IS NULL THEN NULL "
        "WHEN NOT regexp_full_match(c, '[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}') "
        "THEN 'format' WHEN qf_uscc_check(c) <> c[18] THEN 'check_digit' END",
        "CREATE OR REPLACE MACRO qf_uscc_valid(s) AS "
        "[c IS NOT NULL AND qf_uscc_error(c) IS NULL for c in [qf_uscc_clean(qf_blank(s))]][1]",
        # --- names: OpenCC t2s table, half-width, no spaces inside Chinese names ---
        # For ad-hoc use; ingest converts the distinct traditional names with OpenCC instead
        # (translate() with a 4,000-character table is slow per row).
        f"CREATE OR REPLACE MACRO qf_name_t(s) AS CASE "
        f"WHEN regexp_matches(s, {_lit(trad_class())}) "
        f"THEN translate(qf_hw(s), {_lit(t_src)}, {_lit(t_dst)}) ELSE qf_hw(s) END",
        "CREATE OR REPLACE MACRO qf_name_s(x) AS CASE WHEN regexp_matches(x, '\\p{Han}') "
        "THEN regexp_replace(translate(x, '•‧・∙', '····'), '\\s+', '', 'g') "
        "ELSE regexp_replace(x, '\\s+', ' ', 'g') END",
        "CREATE OR REPLACE MACRO qf_name(s) AS qf_name_s(qf_name_t(qf_blank(s)))",
        # --- Chinese numerals in dates: 二〇二四年五月九日, 二零二四年十二月三十一日 ---
        # Digits are translated one for one; 十 (and 廿 20, 卅 30) then become the tens digit.
        # Only values holding a numeral pay for it (a cheap RE2 test finds them).
        f"CREATE OR REPLACE MACRO qf_cn_num(s) AS CASE WHEN regexp_matches(s, {_lit(_CN_CLASS)}) "
        "THEN replace(regexp_replace(regexp_replace(regexp_replace("
        f"translate(replace(replace(s, '廿', '2十'), '卅', '3十'), {_lit(_CN_DIGITS)}, "
        f"{_lit(_CN_TO)}), '([0-9])十([0-9])', '\\1\\2', 'g'), '([0-9])十', '\\10', 'g'), "
        "'十([0-9])', '1\\1', 'g'), '十', '10') ELSE s END",
        # --- dates: 2024-05-01, 2024/5/1, 20240501, 2024年5月1日, 2024.05.01, time or not ---
        "CREATE OR REPLACE MACRO qf_date_t(s) AS "
        "regexp_replace(replace(replace(regexp_replace(split_part(split_part("
        "qf_cn_num(qf_hw(s)), ' ', 1), 'T', 1), "
        "'[年月/.]', '-', 'g'), '日', ''), '号', ''), '-+$', '')",
        # Day and month before the year (05-09-2024, 5-9-24 after qf_date_t): a part above 12
        # settles the order; otherwise `ord` ('dmy', 'mdy', or '' when the column does not
        # settle it) decides, and with '' the value is ambiguous and parses to NULL.
        # Two-digit years follow the spreadsheet convention: 00-29 → 20xx, 30-99 → 19xx.
        "CREATE OR REPLACE MACRO qf_date_y(y) AS CASE WHEN y >= 100 THEN y WHEN y < 30 "
        "THEN 2000 + y ELSE 1900 + y END",
        "CREATE OR REPLACE MACRO qf_date_dm(a, b, y, ord) AS CASE "
        "WHEN a > 12 OR a = b OR (ord = 'dmy' AND b <= 12) THEN try(make_date(y, b, a)) "
        "WHEN b > 12 OR ord = 'mdy' THEN try(make_date(y, a, b)) END",
        "CREATE OR REPLACE MACRO qf_date_dmy(d, ord) AS qf_date_dm("
        "TRY_CAST(split_part(d, '-', 1) AS INTEGER), TRY_CAST(split_part(d, '-', 2) AS INTEGER), "
        "qf_date_y(TRY_CAST(split_part(d, '-', 3) AS INTEGER)), ord)",
        # True when d is day/month/year whose order nothing settles (both parts ≤ 12, unequal).
        "CREATE OR REPLACE MACRO qf_date_amb(a, b) AS a <= 12 AND b <= 12 AND a <> b",
        f"CREATE OR REPLACE MACRO qf_date_ambiguous(d) AS [regexp_full_match(x, {_lit(_DMY)}) "
        "AND qf_date_amb(TRY_CAST(split_part(x, '-', 1) AS INTEGER), "
        "TRY_CAST(split_part(x, '-', 2) AS INTEGER)) for x in [d]][1]",
        "CREATE OR REPLACE MACRO qf_date_p(d) AS CAST(CASE WHEN contains(d, '-') "
        "THEN try_strptime(d, '%Y-%m-%d') ELSE try_strptime(d, '%Y%m%d') END AS DATE)",
        "CREATE OR REPLACE MACRO qf_date_po(d, ord) AS CASE "
        f"WHEN regexp_full_match(d, {_lit(_DMY)}) THEN qf_date_dmy(d, ord) ELSE qf_date_p(d) END",
        "CREATE OR REPLACE MACRO qf_date_ok(v) AS CASE WHEN v BETWEEN DATE '1880-01-01' "
        "AND DATE '2100-12-31' THEN v END",
        # (The list comprehension binds the cleaned text once: nested macros would expand it
        # at every use, and binding the expansion costs more than running it.)
        "CREATE OR REPLACE MACRO qf_date(s) AS "
        "[qf_date_ok(qf_date_po(d, '')) for d in [qf_date_t(qf_blank(s))]][1]",
        "CREATE OR REPLACE MACRO qf_ts_t(s) AS regexp_replace(trim(regexp_replace("
        "regexp_replace(replace(replace(regexp_replace(replace(qf_cn_num(qf_hw(s)), 'T', ' '), "
        "'[年月/.]', '-', 'g'), '日', ' '), '秒', ''), '[时分点]', ':', 'g'), '\\s+', ' ', 'g')), "
        "':$', '')",
        "CREATE OR REPLACE MACRO qf_ts_p(t) AS CAST(coalesce("
        "try_strptime(t, '%Y-%m-%d %H:%M:%S'), try_strptime(t, '%Y-%m-%d %H:%M'), "
        "try_strptime(t, '%Y-%m-%d %H:%M:%S.%f'), try_strptime(t, '%Y%m%d%H%M%S'), "
        "try_strptime(t, '%Y-%m-%d'), try_strptime(t, '%Y%m%d')) AS TIMESTAMP)",
        "CREATE OR REPLACE MACRO qf_ts_ok(v) AS CASE WHEN v BETWEEN TIMESTAMP '1880-01-01' "
        "AND TIMESTAMP '2101-01-01' THEN v END",
        "CREATE OR REPLACE MACRO qf_timestamp(s) AS "
        "[qf_ts_ok(qf_ts_p(t)) for t in [qf_ts_t(qf_blank(s))]][1]",
        # --- periods (YYYY-MM): 2024-05, 202405, 2024年5月, 2024/5, 2024.05, 12/2024, 二〇二四年
        # 五月, or a full date. A month number (2024年第12期) is not a month: never read as one.
        "CREATE OR REPLACE MACRO qf_period_t(s) AS regexp_replace(replace(regexp_replace("
        "split_part(replace(replace(qf_cn_num(qf_hw(s)), '日', ''), '号', ''), ' ', 1), "
        "'[年月/.]', '-', 'g'), '月', ''), '-+$', '')",
        "CREATE OR REPLACE MACRO qf_period_p(p) AS CASE "
        "WHEN regexp_full_match(p, '[0-9]{1,2}-[0-9]{4}') "
        "THEN try_strptime(split_part(p, '-', 2) || '-' || split_part(p, '-', 1), '%Y-%m') "
        "WHEN contains(p, '-') "
        "THEN coalesce(try_strptime(p, '%Y-%m'), try_strptime(p, '%Y-%m-%d')) "
        "WHEN length(p) = 6 THEN try_strptime(p, '%Y%m') ELSE try_strptime(p, '%Y%m%d') END",
        "CREATE OR REPLACE MACRO qf_period_ok(v) AS CASE WHEN v BETWEEN TIMESTAMP '1900-01-01' "
        "AND TIMESTAMP '2100-12-31' THEN strftime(v, '%Y-%m') END",
        "CREATE OR REPLACE MACRO qf_period(s) "
        "AS [qf_period_ok(qf_period_p(p)) for p in [qf_period_t(qf_blank(s))]][1]",
        # --- amounts in yuan: 元 or 万元, thousands separators, currency signs ---
        "CREATE OR REPLACE MACRO qf_amount_t(s) AS "
        "regexp_replace(qf_hw(s), '[\\s,，¥￥元圆]|RMB|CNY', '', 'g')",
        "CREATE OR REPLACE MACRO qf_amount_p(t, mult) AS TRY_CAST(CASE WHEN t[-1:] = '万' "
        "THEN TRY_CAST(t[:-2] AS DECIMAL(24,6)) * 10000 "
        "ELSE TRY_CAST(t AS DECIMAL(24,6)) * mult END AS DECIMAL(18,2))",
        "CREATE OR REPLACE MACRO qf_amount(s, mult) AS qf_amount_p(qf_amount_t(qf_blank(s)), mult)",
        "CREATE OR REPLACE MACRO qf_decimal(s) AS "
        "TRY_CAST(regexp_replace(qf_hw(s), '[\\s,，]', '', 'g') AS DOUBLE)",
        # Ratios: '60%', '60.00％', '0.6', '60', '6‰' → [number, scale] where scale says what
        # the text itself declares: 100 for a percent sign, 1000 for per mille, NULL for none.
        "CREATE OR REPLACE MACRO qf_ratio_t(s) AS regexp_replace(qf_hw(s), '[\\s,，]', '', 'g')",
        "CREATE OR REPLACE MACRO qf_ratio_scale(t) AS CASE WHEN suffix(t, '%') THEN 100 "
        "WHEN suffix(t, '‰') THEN 1000 END",
        "CREATE OR REPLACE MACRO qf_ratio_num(t) AS TRY_CAST(CASE WHEN qf_ratio_scale(t) IS NULL "
        "THEN t ELSE t[:-2] END AS DECIMAL(24,8))",
        "CREATE OR REPLACE MACRO qf_integer(s) AS TRY_CAST(regexp_replace(regexp_replace("
        "qf_hw(s), '[\\s,，]', '', 'g'), '\\.0+$', '') AS BIGINT)",
        # --- division codes: 6 (county), 9 (township) or 12 (village) digits, stored as 12 ---
        "CREATE OR REPLACE MACRO qf_division_t(s) AS qf_nospace(qf_hw(s))",
        "CREATE OR REPLACE MACRO qf_division_p(t) AS CASE WHEN "
        f"regexp_full_match(t, '{_DIVISION_SHAPE}') THEN rpad(t, 12, '0') END",
        "CREATE OR REPLACE MACRO qf_division(s) AS qf_division_p(qf_division_t(qf_blank(s)))",
        # --- phones: mobile 1xxxxxxxxxx, landline 0 + area code + number, optional +86 ---
        "CREATE OR REPLACE MACRO qf_phone_t(s) AS regexp_replace(regexp_replace(qf_hw(s), "
        "'[\\s\\-()（）]', '', 'g'), '^(\\+86|0086)', '')",
        "CREATE OR REPLACE MACRO qf_phone_p(t) AS CASE WHEN "
        "regexp_full_match(t, '1[3-9][0-9]{9}|0[1-9][0-9]{8,10}') THEN t END",
        "CREATE OR REPLACE MACRO qf_phone(s) AS qf_phone_p(qf_phone_t(qf_blank(s)))",
        "CREATE OR REPLACE MACRO qf_code(s) "
        "AS upper(replace(replace(qf_hw(s), ' ', ''), chr(9), ''))",
        "CREATE OR REPLACE MACRO qf_bool(s) AS CASE lower(qf_hw(s)) "
        "WHEN '是' THEN true WHEN '有' THEN true WHEN 'y' THEN true WHEN 'yes' THEN true "
        "WHEN '1' THEN true WHEN 'true' THEN true WHEN 't' THEN true "
        "WHEN '否' THEN false WHEN '无' THEN false WHEN 'n' THEN false WHEN 'no' THEN false "
        "WHEN '0' THEN false WHEN 'false' THEN false WHEN 'f' THEN false END",
    ]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create every qf_* normalisation macro on this connection."""
    for stmt in macro_sql():
        con.execute(stmt)


@dataclass(frozen=True)
class FieldPlan:
    """How one field is normalised, as SQL templates over the previous layer's column `{x}`.

    Layer 0 is always `qf_blank(raw)`; `stages` follow; `value` and `error` are computed from the
    last stage (`{x}`) and the blanked text (`{b}`). `error` is the broken rule or NULL.
    """

    stages: tuple[str, ...]
    value: str
    error: str
    aux: str | None = None  # computed once from the last stage as `{a}`, used by value/error
    # Fast path: an RE2 pattern a raw value may match in full only when it is already canonical
    # (no surrounding space, not a blank token, unchanged by every stage). Such values skip
    # trimming, blanking and the stages; `fast_*` replace aux/value/error for them when a cheaper
    # form exists. Most values in a department file take this path.
    fast: str | None = None
    fast_aux: str | None = None
    fast_value: str | None = None
    fast_error: str | None = None


_SIMPLE: dict[str, tuple[tuple[str, ...], str]] = {
    # type: (stage templates, final value template)
    "date": (("qf_date_t({x})", "qf_date_p({x})"), "qf_date_ok({x})"),
    "timestamp": (("qf_ts_t({x})", "qf_ts_p({x})"), "qf_ts_ok({x})"),
    "period": (("qf_period_t({x})", "qf_period_p({x})"), "qf_period_ok({x})"),
    "division_code": (("qf_division_t({x})",), "qf_division_p({x})"),
    "phone": (("qf_phone_t({x})",), "qf_phone_p({x})"),
    "decimal": ((), "qf_decimal({x})"),
    "integer": ((), "qf_integer({x})"),
    "boolean": ((), "qf_bool({x})"),
}


def _enum_value(field: FieldSpec, inferred: tuple[tuple[str, str], ...] = ()) -> str:
    """CASE over the folded value: every spelling, then every code of the field's code table,
    then the wordings the column's evidence settled (`inferred`)."""
    assert field.values is not None
    whens: list[str] = []
    seen: set[str] = set()

    def when(spelling: str, canon: str) -> None:
        # The same folding as the value side: half-width, no spaces, lower case, so that a
        # catalogue spelling such as 村（社区） matches 村(社区) and 村（社区） alike.
        key = fold_value(spelling)
        if key not in seen:
            seen.add(key)
            whens.append(f"WHEN {_lit(key)} THEN {_lit(canon)}")

    for canon, spellings in field.values.items():
        for sp in [canon, *spellings]:
            when(sp, canon)
    combined: list[str] = []
    if field.codes:
        table = code_table(field.codes)
        linked = enum_code_values(field, table)
        fallback = field.fallback
        for code, linked_value in linked.items():
            target = linked_value or fallback
            if target is None:
                continue  # the loader refuses such a table for a field without a fallback
            when(code, target)
            # A spreadsheet drops the leading zeros of a numeric code (01 → 1).
            if code.isdigit() and code != code.lstrip("0") and code.lstrip("0"):
                when(code.lstrip("0"), target)
        if table.combinable:
            # Several one-letter codes written together (KL: seized and detained) name a value
            # only when every letter names that same value; a mix is not resolved by guess.
            by_value: dict[str, str] = {}
            for code, linked_value in linked.items():
                if linked_value is not None:
                    by_value[linked_value] = by_value.get(linked_value, "") + fold_value(code)
            for value, letters in by_value.items():
                cls = "[" + "".join(re.escape(c) for c in letters) + "]{2,}"
                combined.append(f"WHEN regexp_full_match({{k}}, {_lit(cls)}) THEN {_lit(value)}")
    for wording, canon in inferred:
        when(wording, canon)
    key = "lower(replace(qf_hw({x}), ' ', ''))"
    case = f"CASE {key} {' '.join(whens)} END"
    if not combined:
        return case
    rest = " ".join(c.replace("{k}", key) for c in combined)
    return f"coalesce({case}, CASE {rest} END)"


# Negations that turn a field's own yes-word into its no-word (中标 → 未中标, 合格 → 不合格).
_NEGATIONS = ("未", "不", "非", "没", "无", "没有")


def _bool_value(field: FieldSpec) -> str:
    """CASE over the folded value: the field's own spellings first, then the shared set."""
    shared = boolean_words()
    pairs: list[tuple[str, bool]] = [(v, True) for v in field.true_values]
    pairs += [(v, False) for v in field.false_values]
    pairs += [(n + v, False) for v in field.true_values for n in _NEGATIONS]
    pairs += [(v, True) for v in shared.true_values] + [(v, False) for v in shared.false_values]
    whens: list[str] = []
    seen: set[str] = set()
    for spelling, truth in pairs:
        key = fold_value(spelling)
        if key and key not in seen:
            seen.add(key)
            whens.append(f"WHEN {_lit(key)} THEN {'true' if truth else 'false'}")
    key_sql = "lower(replace(qf_hw({x}), ' ', ''))"
    exact = f"CASE {key_sql} {' '.join(whens)} END"
    held = bool_held_words(field)
    if not held:
        return exact
    # A longer wording that holds one of the field's own words (审核不合格, 资格审查通过): the
    # longest word held decides (不合格 before 合格).
    contains = " ".join(
        f"WHEN contains({key_sql}, {_lit(w)}) THEN {'true' if t else 'false'}" for w, t in held
    )
    return f"coalesce({exact}, CASE {contains} END)"


def bool_held_words(field: FieldSpec) -> list[tuple[str, bool]]:
    """The field's own yes/no words of two characters or more (and their negations), longest
    first: a wording that holds one means what the word means."""
    pairs = [(fold_value(v), True) for v in field.true_values]
    pairs += [(fold_value(v), False) for v in field.false_values]
    pairs += [(fold_value(n + v), False) for v in field.true_values for n in _NEGATIONS]
    pairs += [(fold_value(n + v), True) for v in field.false_values for n in _NEGATIONS]
    seen: dict[str, bool] = {}
    for w, t in pairs:
        if len(w) >= 2 and w not in seen:
            seen[w] = t
    return sorted(seen.items(), key=lambda wt: -len(wt[0]))


# Punctuation and brackets ignored when a wording is compared with a vocabulary (one pattern
# for Python's re and DuckDB's RE2).
_VOCAB_PUNCT = r"[\s·・、，,。.．（）()【】\[\]《》<>\"“”‘’'_-]"


def vocab_fold(text: str) -> str:
    """A wording as vocabularies compare it (the Python twin of `_vocab_key_sql`)."""
    return re.sub(_VOCAB_PUNCT, "", fold_value(text))


def _vocab_key_sql(x: str) -> str:
    return f"regexp_replace(lower(qf_hw({x})), {_lit(_VOCAB_PUNCT)}, '', 'g')"


def vocab_sql(vocab: Vocabulary, key: str) -> str:
    """SQL: the vocabulary's code for the folded wording `key`, or NULL.

    An exact spelling (or the code itself) wins; otherwise the entry whose key terms all
    appear in the wording, when exactly one entry's do. Two candidates (or none) give NULL:
    a wording is never assigned by guess.
    """
    whens: list[str] = []
    seen: set[str] = set()
    for code, term in vocab.terms.items():
        for sp in [code, term.zh, *term.spellings]:
            k = vocab_fold(sp)
            if k and k not in seen:
                seen.add(k)
                whens.append(f"WHEN {_lit(k)} THEN {_lit(code)}")
    conds: list[tuple[str, str]] = []
    for code, term in vocab.terms.items():
        groups = [
            " AND ".join(f"contains({key}, {_lit(vocab_fold(t))})" for t in g)
            for g in term.key_terms
            if g
        ]
        if not groups:
            continue
        cond = " OR ".join(f"({g})" for g in groups)
        if term.exclude:
            excl = " OR ".join(f"contains({key}, {_lit(vocab_fold(t))})" for t in term.exclude)
            cond = f"({cond}) AND NOT ({excl})"
        conds.append((code, f"({cond})"))
    short = _abbreviation_sql(vocab, key)
    contained = short
    if conds:
        count = " + ".join(f"CAST({c} AS INTEGER)" for _, c in conds)
        pick = " ".join(f"WHEN {c} THEN {_lit(code)}" for code, c in conds)
        contained = f"CASE WHEN {count} = 1 THEN CASE {pick} END ELSE {short} END"
    return f"CASE {key} {' '.join(whens)} ELSE {contained} END"


def vocab_code(vocab: Vocabulary, text: str) -> str | None:
    """The Python twin of `vocab_sql` on one wording (for recognition's small samples)."""
    key = vocab_fold(text)
    for code, term in vocab.terms.items():
        if key in {vocab_fold(sp) for sp in [code, term.zh, *term.spellings]}:
            return code
    hits = [
        code
        for code, term in vocab.terms.items()
        if any(g and all(vocab_fold(t) in key for t in g) for g in term.key_terms)
        and not any(vocab_fold(t) in key for t in term.exclude)
    ]
    return hits[0] if len(hits) == 1 else None


ABBREVIATION_MIN = 3  # characters an abbreviation keeps, at least


def _abbreviation_sql(vocab: Vocabulary, key: str) -> str:
    """SQL: the code of the one entry the wording `key` abbreviates, else NULL.

    Chinese abbreviations keep some characters of the full name in order, from its first to
    its last (困难残疾人生活补贴 → 困难残疾生活补贴): the wording must match the regex in which
    every inner character of a spelling is optional. Two entries abbreviated alike give NULL.
    """
    conds: list[tuple[str, str]] = []
    for code, term in vocab.terms.items():
        pats = []
        for sp in dict.fromkeys(vocab_fold(x) for x in [term.zh, *term.spellings]):
            if len(sp) > ABBREVIATION_MIN:
                inner = "".join(f"{re.escape(c)}?" for c in sp[1:-1])
                pats.append(f"{re.escape(sp[0])}{inner}{re.escape(sp[-1])}")
        if pats:
            pattern = "|".join(f"(?:{x})" for x in pats)
            conds.append((code, f"regexp_full_match({key}, {_lit(pattern)})"))
    if not conds:
        return "NULL"
    count = " + ".join(f"CAST({c} AS INTEGER)" for _, c in conds)
    pick = " ".join(f"WHEN {c} THEN {_lit(code)}" for code, c in conds)
    return f"CASE WHEN length({key}) >= {ABBREVIATION_MIN} AND {count} = 1 THEN CASE {pick} END END"


def vocab_sql_plain(vocab: Vocabulary, text: str) -> str:
    """`vocab_sql` over raw text without the qf_* macros (for views over older batches)."""
    key = f"regexp_replace(lower(translate({text}, {_lit(_FW_FROM)}, {_lit(_FW_TO)})), "
    key += f"{_lit(_VOCAB_PUNCT)}, '', 'g')"
    return f"[{vocab_sql(vocab, 'k')} for k in [{key}]][1]"


@dataclass(frozen=True)
class ColumnEvidence:
    """What a whole column says about values that cannot settle themselves.

    `date_order` is 'dmy' or 'mdy' when some day/month/year value has a first (or second) part
    above 12 and none says the opposite, else ''. `plain_ratio_max` is the largest ratio written
    without a percent sign (None when there is none).
    """

    date_order: str = ""
    plain_ratio_max: float | None = None
    # enum: (folded wording, value) pairs the column's evidence settles (enum_evidence.py)
    inferred: tuple[tuple[str, str], ...] = ()


def evidence_query(field: FieldSpec, raw: str, table: str) -> str | None:
    """A one-row SELECT over `table` whose named columns give the column's ColumnEvidence
    (None: this field needs none)."""
    if field.type == "date":
        # Only values with a separator in second or third place can be day/month/year: a
        # cheap substring test keeps the regex off every other row.
        sep = "('/', '.', '-')"
        pre = f"(substr({raw}, 2, 1) IN {sep} OR substr({raw}, 3, 1) IN {sep})"
        part = f"TRY_CAST(regexp_extract({raw}, {_lit(_RAW_DMY)}, GROUP) AS INTEGER)"
        return (
            "SELECT count(*) FILTER (WHERE a > 12 AND b <= 12) AS dmy, "
            "count(*) FILTER (WHERE b > 12 AND a <= 12) AS mdy "
            f"FROM (SELECT {part.replace('GROUP', '1')} AS a, {part.replace('GROUP', '2')} AS b "
            f"FROM {table} WHERE {pre})"
        )
    if field.type == "decimal" and field.unit in ("percent", "fraction"):
        t = f"qf_ratio_t({raw})"
        return (
            f"SELECT max(abs(n)) AS plain_max FROM (SELECT qf_ratio_num({t}) AS n "
            f"FROM {table} WHERE qf_ratio_scale({t}) IS NULL)"
        )
    return None


def evidence_from(field: FieldSpec, got: dict[str, Any]) -> ColumnEvidence:
    """ColumnEvidence from the named values of `evidence_query`'s row."""
    if field.type == "date":
        dmy, mdy = int(got.get("dmy") or 0), int(got.get("mdy") or 0)
        order = "dmy" if dmy and not mdy else "mdy" if mdy and not dmy else ""
        return ColumnEvidence(date_order=order)
    plain = got.get("plain_max")
    return ColumnEvidence(plain_ratio_max=None if plain is None else float(plain))


def field_plan(
    field: FieldSpec, *, amount_multiplier: int = 1, evidence: ColumnEvidence | None = None
) -> FieldPlan:
    """The normalisation plan of one catalogue field (`evidence`: what its column settles)."""
    t = field.type
    evidence = evidence or ColumnEvidence()
    aux: str | None = None
    fast: str | None = None
    fast_value: str | None = None
    fast_error: str | None = None
    invalid = "CASE WHEN {b} IS NOT NULL AND ({v}) IS NULL THEN 'invalid' END"
    stages: tuple[str, ...]
    if t == "id_no":
        # Fast path: most IDs arrive clean (or differ only by a lower-case x); only the
        # others are cleaned. A separate layer upgrades 15-digit numbers (a cheap byte-length
        # test first), in integer arithmetic. No list lambdas: they cost per vector, not per row.
        # 15 digits = 6-digit area + 9 digits; the 17-digit body puts "19" between them.
        body15 = (
            "((CAST({x} AS BIGINT) // 1000000000) * 100000000000 + 19000000000 "
            "+ CAST({x} AS BIGINT) % 1000000000)"
        )
        stages = (
            "CASE WHEN regexp_full_match({x}, '[0-9]{17}[0-9X]') THEN {x} "
            "WHEN regexp_full_match({x}, '[0-9]{17}x') THEN upper({x}) "
            "ELSE qf_id_clean({x}) END",
            "CASE WHEN strlen({x}) <> 15 THEN {x} "
            "WHEN regexp_full_match({x}, '[0-9]{15}') "
            f"THEN {{x}}[1:6] || '19' || {{x}}[7:15] || qf_id_check_n({body15}) ELSE {{x}} END",
        )
        value = "{x}"
        # The shape test runs once (in aux): the 17-digit body as a BIGINT, NULL when the
        # shape is wrong. The birth date is then checked in integer arithmetic on that number
        # (no per-row string parsing), against today's date when the plan is made.
        aux = (
            "CASE WHEN regexp_full_match({x}, '[0-9]{17}[0-9X]') "
            "THEN CAST(left({x}, 17) AS BIGINT) END"
        )
        error = (
            "CASE WHEN {x} IS NULL THEN NULL "
            "WHEN {a} IS NULL THEN 'format' "
            f"WHEN NOT {_id_birth_ok('(({a} // 1000) % 100000000)')} THEN 'birth_date' "
            "WHEN NOT suffix({x}, qf_id_check_n({a})) THEN 'check_digit' END"
        )
        return _with_checks(
            field,
            FieldPlan(
                stages=stages,
                value=value,
                error=error,
                aux=aux,
                fast=_ID_SHAPE,
                fast_aux="CAST(left({x}, 17) AS BIGINT)",
            ),
        )
    elif t == "uscc":
        stages, value, error = ("qf_uscc_clean({x})",), "{x}", "qf_uscc_error({x})"
        fast = _USCC_SHAPE
        fast_error = "CASE WHEN qf_uscc_check({x}) <> {x}[18] THEN 'check_digit' END"
    elif t == "name":
        # Traditional characters are converted after staging (see stage.convert_traditional).
        stages, value = ("qf_hw({x})",), "qf_name_s({x})"
        error = "CASE WHEN regexp_matches({x}, '[0-9]') THEN 'format' END"
        # Chinese characters only: nothing to fold, no digit.
        fast, fast_value, fast_error = "\\p{Han}+", "{x}", "NULL"
    elif t == "amount":
        stages, value = ("qf_amount_t({x})",), f"qf_amount_p({{x}}, {int(amount_multiplier)})"
        error = invalid
        fast = "-?[0-9]+(\\.[0-9]+)?"
    elif field.vocabulary is not None:
        # Canonicalised through a vocabulary: an unknown wording keeps a NULL code (reported
        # by the ingest, never quarantined).
        stages = (_vocab_key_sql("{x}"),)
        value, error = vocab_sql(vocabulary(field.vocabulary), "{x}"), "NULL"
    elif t == "enum":
        stages, value = (), _enum_value(field, evidence.inferred)
        if field.fallback:
            value = (
                f"CASE WHEN {{x}} IS NOT NULL THEN coalesce({value}, {_lit(field.fallback)}) END"
            )
            error = "NULL"
        else:
            error = "CASE WHEN {b} IS NOT NULL AND ({v}) IS NULL THEN 'unknown_code' END"
    elif t == "boolean":
        stages, value = (), _bool_value(field)
        error = "CASE WHEN {b} IS NOT NULL AND ({v}) IS NULL THEN 'unknown_boolean' END"
    elif t == "date":
        order = _lit(evidence.date_order)
        # (Parsing is part of the value, not a stage: a stage keeps the text's type for the
        # values on the fast path.)
        stages, value = ("qf_date_t({x})",), f"qf_date_ok(qf_date_po({{x}}, {order}))"
        # A value that failed is ambiguous, not invalid, when only its day/month order is
        # unknown (both parts ≤ 12 and the column does not settle it).
        error = (
            "CASE WHEN {b} IS NOT NULL AND ({v}) IS NULL THEN CASE WHEN "
            "qf_date_ambiguous(qf_date_t({b})) THEN 'ambiguous_date' ELSE 'invalid' END END"
        )
        fast, fast_value = "[0-9]{4}-[0-9]{2}-[0-9]{2}", "qf_date_ok(TRY_CAST({x} AS DATE))"
    elif t == "period":
        stages, value = ("qf_period_t({x})",), "qf_period_ok(qf_period_p({x}))"
        error = invalid
        fast, fast_value = "[0-9]{4}-[0-9]{2}", "qf_period_ok(try_strptime({x}, '%Y-%m'))"
    elif t == "decimal" and field.unit in ("percent", "fraction"):
        # A percent sign (or per mille) decides per value; a plain number is read by the
        # column: all plain values ≤ 1 are fractions, otherwise percents.
        stages, aux = ("qf_ratio_t({x})",), "qf_ratio_scale({x})"
        plain = evidence.plain_ratio_max
        fractions = plain is not None and plain <= 1
        if field.unit == "percent":
            scaled = "qf_ratio_num({x}) * 100 / {a}"
            plain_value = "qf_ratio_num({x})" + (" * 100" if fractions else "")
        else:
            scaled = "qf_ratio_num({x}) / {a}"
            plain_value = "qf_ratio_num({x})" + ("" if fractions or plain is None else " / 100")
        value = f"CAST(CASE WHEN {{a}} IS NOT NULL THEN {scaled} ELSE {plain_value} END AS DOUBLE)"
        error = invalid
    elif t in _SIMPLE:
        stages, value = _SIMPLE[t]
        error = invalid
        if t == "division_code":
            fast, fast_value, fast_error = _DIVISION_SHAPE, "rpad({x}, 12, '0')", "NULL"
        elif t == "phone":
            fast, fast_value, fast_error = "1[3-9][0-9]{9}", "{x}", "NULL"
    elif t == "code":
        # Fast path: codes already in upper-case ASCII without spaces pass untouched.
        stages, error = (), "NULL"
        value = "CASE WHEN regexp_full_match({x}, '[0-9A-Z._/#-]*') THEN {x} ELSE qf_code({x}) END"
        # (At least one digit: a code is never a blank token such as NULL, N/A or "-".)
        fast, fast_value = "[0-9A-Z._/#-]*[0-9][0-9A-Z._/#-]*", "{x}"
    else:  # text
        stages, value, error = (), "{x}", "NULL"
    plan = FieldPlan(
        stages=stages,
        value=value,
        error=error,
        aux=aux,
        fast=fast,
        fast_value=fast_value,
        fast_error=fast_error,
    )
    return _with_checks(field, plan)


def _with_checks(field: FieldSpec, plan: FieldPlan) -> FieldPlan:
    """Add the catalogue's bounds, pattern and required rule to both error templates."""
    checks: list[str] = []
    if field.min is not None:
        checks.append(f"WHEN ({{v}}) < {float(field.min)!r} THEN 'below_min'")
    if field.max is not None:
        checks.append(f"WHEN ({{v}}) > {float(field.max)!r} THEN 'above_max'")
    if field.pattern is not None:
        checks.append(f"WHEN NOT regexp_full_match({{v}}, {_lit(field.pattern)}) THEN 'pattern'")

    def wrap(error: str, *, blank_possible: bool) -> str:
        if checks:
            error = f"coalesce({error}, CASE {' '.join(checks)} END)"
        if field.required and blank_possible:
            error = f"CASE WHEN {{b}} IS NULL THEN 'required' ELSE {error} END"
        return error

    fast_error = plan.fast_error if plan.fast_error is not None else plan.error
    return replace(
        plan,
        error=wrap(plan.error, blank_possible=True),
        # A value on the fast path is never blank.
        fast_error=wrap(fast_error, blank_possible=False) if plan.fast else None,
    )
