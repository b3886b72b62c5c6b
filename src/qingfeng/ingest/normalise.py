"""Vectorised cleaning: DuckDB macros for every semantic type, and the SQL that applies them.

Every normaliser is a SQL macro so that a whole column is cleaned in one DuckDB pass (no Python
row loops). For each catalogue field `field_sql` returns two expressions over the raw text column:
the normalised value, and the rule it broke (NULL when the value is fine or legitimately empty).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import duckdb

from qingfeng.catalogue.model import FieldSpec
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
        # --- dates: 2024-05-01, 2024/5/1, 20240501, 2024年5月1日, 2024.05.01, time or not ---
        "CREATE OR REPLACE MACRO qf_date_t(s) AS "
        "regexp_replace(replace(regexp_replace(split_part(split_part(qf_hw(s), ' ', 1), 'T', 1), "
        "'[年月/.]', '-', 'g'), '日', ''), '-+$', '')",
        "CREATE OR REPLACE MACRO qf_date_p(d) AS CAST(CASE WHEN contains(d, '-') "
        "THEN try_strptime(d, '%Y-%m-%d') ELSE try_strptime(d, '%Y%m%d') END AS DATE)",
        "CREATE OR REPLACE MACRO qf_date_ok(v) AS CASE WHEN v BETWEEN DATE '1880-01-01' "
        "AND DATE '2100-12-31' THEN v END",
        "CREATE OR REPLACE MACRO qf_date(s) AS qf_date_ok(qf_date_p(qf_date_t(qf_blank(s))))",
        "CREATE OR REPLACE MACRO qf_ts_t(s) AS regexp_replace(trim(regexp_replace("
        "regexp_replace(replace(replace(regexp_replace(replace(qf_hw(s), 'T', ' '), "
        "'[年月/.]', '-', 'g'), '日', ' '), '秒', ''), '[时分点]', ':', 'g'), '\\s+', ' ', 'g')), "
        "':$', '')",
        "CREATE OR REPLACE MACRO qf_ts_p(t) AS CAST(coalesce("
        "try_strptime(t, '%Y-%m-%d %H:%M:%S'), try_strptime(t, '%Y-%m-%d %H:%M'), "
        "try_strptime(t, '%Y-%m-%d %H:%M:%S.%f'), try_strptime(t, '%Y%m%d%H%M%S'), "
        "try_strptime(t, '%Y-%m-%d'), try_strptime(t, '%Y%m%d')) AS TIMESTAMP)",
        "CREATE OR REPLACE MACRO qf_ts_ok(v) AS CASE WHEN v BETWEEN TIMESTAMP '1880-01-01' "
        "AND TIMESTAMP '2101-01-01' THEN v END",
        "CREATE OR REPLACE MACRO qf_timestamp(s) AS qf_ts_ok(qf_ts_p(qf_ts_t(qf_blank(s))))",
        # --- periods (YYYY-MM): 2024-05, 202405, 2024年5月, 2024/5, 2024.05, or a full date ---
        "CREATE OR REPLACE MACRO qf_period_t(s) AS regexp_replace(replace(regexp_replace("
        "split_part(replace(qf_hw(s), '日', "
        "''), ' ', 1), '[年月/.]', '-', 'g'), '月', ''), '-+$', '')",
        "CREATE OR REPLACE MACRO qf_period_p(p) AS CASE WHEN contains(p, '-') "
        "THEN coalesce(try_strptime(p, '%Y-%m'), try_strptime(p, '%Y-%m-%d')) "
        "WHEN length(p) = 6 THEN try_strptime(p, '%Y%m') ELSE try_strptime(p, '%Y%m%d') END",
        "CREATE OR REPLACE MACRO qf_period_ok(v) AS CASE WHEN v BETWEEN TIMESTAMP '1900-01-01' "
        "AND TIMESTAMP '2100-12-31' THEN strftime(v, '%Y-%m') END",
        "CREATE OR REPLACE MACRO qf_period(s) "
        "AS qf_period_ok(qf_period_p(qf_period_t(qf_blank(s))))",
        # --- amounts in yuan: 元 or 万元, thousands separators, currency signs ---
        "CREATE OR REPLACE MACRO qf_amount_t(s) AS "
        "regexp_replace(qf_hw(s), '[\\s,，¥￥元圆]|RMB|CNY', '', 'g')",
        "CREATE OR REPLACE MACRO qf_amount_p(t, mult) AS TRY_CAST(CASE WHEN t[-1:] = '万' "
        "THEN TRY_CAST(t[:-2] AS DECIMAL(24,6)) * 10000 "
        "ELSE TRY_CAST(t AS DECIMAL(24,6)) * mult END AS DECIMAL(18,2))",
        "CREATE OR REPLACE MACRO qf_amount(s, mult) AS qf_amount_p(qf_amount_t(qf_blank(s)), mult)",
        "CREATE OR REPLACE MACRO qf_decimal(s) AS "
        "TRY_CAST(regexp_replace(qf_hw(s), '[\\s,，]', '', 'g') AS DOUBLE)",
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


def _enum_value(field: FieldSpec) -> str:
    assert field.values is not None
    whens: list[str] = []
    seen: set[str] = set()
    for canon, spellings in field.values.items():
        for sp in [canon, *spellings]:
            # The same folding as the value side: half-width, no spaces, lower case, so that a
            # catalogue spelling such as 村（社区） matches 村(社区) and 村（社区） alike.
            key = sp.translate(_FW_TABLE).replace(" ", "").lower()
            if key not in seen:
                seen.add(key)
                whens.append(f"WHEN {_lit(key)} THEN {_lit(canon)}")
    return f"CASE lower(replace(qf_hw({{x}}), ' ', '')) {' '.join(whens)} END"


def field_plan(field: FieldSpec, *, amount_multiplier: int = 1) -> FieldPlan:
    """The normalisation plan of one catalogue field."""
    t = field.type
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
    elif t == "enum":
        stages, value = (), _enum_value(field)
        if field.fallback:
            value = (
                f"CASE WHEN {{x}} IS NOT NULL THEN coalesce({value}, {_lit(field.fallback)}) END"
            )
            error = "NULL"
        else:
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
