"""DuckDB macros the libraries use: resident-ID and credit-code checks, birth date and gender.

The checks are unrolled arithmetic (no lambdas), so DuckDB evaluates them vectorised at millions of
rows per second. python-stdnum's cn.ric / cn.uscc are the reference in the tests.
"""

from __future__ import annotations

import duckdb

# GB 11643: weights of the first 17 digits and the check characters indexed by (sum mod 11).
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
# GB 32100: the 31-character alphabet (no I, O, S, V, Z) and the weights of the first 17 characters.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _ric_sum() -> str:
    return " + ".join(
        f"(ascii(substr(s, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(_RIC_WEIGHTS)
    )


def _uscc_sum() -> str:
    return " + ".join(
        f"(strpos('{_USCC_ALPHABET}', substr(s, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(_USCC_WEIGHTS)
    )


MACROS: tuple[str, ...] = (
    # The check character of the first 17 characters of a resident ID / a credit code.
    f"""CREATE OR REPLACE TEMP MACRO qf_ric_check_char(s) AS
        substr('{_RIC_CHECK}', (({_ric_sum()}) % 11) + 1, 1)""",
    f"""CREATE OR REPLACE TEMP MACRO qf_uscc_check_char(s) AS
        substr('{_USCC_ALPHABET}', ((31 - (({_uscc_sum()}) % 31)) % 31) + 1, 1)""",
    # A valid 18-character resident ID: digits, a real birth date, the right check character.
    """CREATE OR REPLACE TEMP MACRO qf_is_resident_id(s) AS (
        coalesce(regexp_full_match(s, '[0-9]{17}[0-9X]')
          AND try_strptime(substr(s, 7, 8), '%Y%m%d') IS NOT NULL
          AND qf_ric_check_char(s) = substr(s, 18, 1), false))""",
    """CREATE OR REPLACE TEMP MACRO qf_is_uscc(s) AS (
        coalesce(regexp_full_match(s, '[0-9A-HJ-NPQRTUWXY]{18}')
          AND qf_uscc_check_char(s) = substr(s, 18, 1), false))""",
    """CREATE OR REPLACE TEMP MACRO qf_id_birth_date(s) AS
        CAST(try_strptime(substr(s, 7, 8), '%Y%m%d') AS DATE)""",
    # The 17th digit is odd for men, even for women; the catalogue's gender codes.
    """CREATE OR REPLACE TEMP MACRO qf_id_gender(s) AS
        CASE (ascii(substr(s, 17, 1)) - 48) % 2 WHEN 1 THEN 'male' WHEN 0 THEN 'female' END""",
    # Shape-only keys for columns the catalogue types as a resident ID or a credit code: ingest
    # has validated their check characters already, so the libraries need not pay for it again.
    """CREATE OR REPLACE TEMP MACRO qf_person_key(s) AS (
        coalesce(regexp_full_match(s, '[0-9]{17}[0-9X]')
          AND try_strptime(substr(s, 7, 8), '%Y%m%d') IS NOT NULL, false))""",
    """CREATE OR REPLACE TEMP MACRO qf_org_key(s) AS
        coalesce(regexp_full_match(s, '[0-9A-HJ-NPQRTUWXY]{18}'), false)""",
    # Who a mixed identifier column (owner, shareholder, account holder) points at: full checks,
    # since an all-digit credit code can look like a resident ID.
    """CREATE OR REPLACE TEMP MACRO qf_subject_type(s) AS
        CASE WHEN qf_is_resident_id(s) THEN 'person'
             WHEN qf_is_uscc(s) THEN 'organisation' END""",
)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for sql in MACROS:
        con.execute(sql)
