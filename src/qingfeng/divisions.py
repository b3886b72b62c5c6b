"""Administrative division codes (GB/T 2260, extended to townships and villages): one rule for
the whole platform.

A full code is 6 (county), 9 (township) or 12 (village) digits and never starts with 0; ingest
normalises every `division_code` column with this shape (`qingfeng.normalise`). An
organisation supervises an area named by a *prefix* of such codes, of the length its level
implies: a province 2 digits, a city 4, a county 6, a township 9 (a dispatched team has none).
"""

from __future__ import annotations

import re

# The shape of a full division code; ingest's DuckDB macros use the same text.
DIVISION_SHAPE = "[1-9][0-9]{5}([0-9]{3}([0-9]{3})?)?"
_DIVISION_RE = re.compile(DIVISION_SHAPE)

# How many digits the area prefix of each kind of organisation has.
ORG_CODE_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9}


def is_division_code(code: str) -> bool:
    """A full 6-, 9- or 12-digit division code, as ingest accepts it."""
    return _DIVISION_RE.fullmatch(code) is not None


def org_code_problem(kind: str, code: str | None) -> str | None:
    """Why `code` cannot be the area prefix of an organisation of `kind` (None when it can).

    The answer is bilingual (zh / en): the CLI prints it and the back office shows it.
    """
    if kind in ("team", "department"):  # they see what is dispatched to them, no area
        if code:
            return f"派驻组、被监督单位没有区划代码 / a {kind} has no division code (got {code!r})"
        return None
    length = ORG_CODE_LENGTH.get(kind)
    if length is None:
        return None  # an unknown kind is reported by its own check
    if not code:
        return (
            f"{kind} 单位需要 {length} 位区划代码 / a {kind} needs a {length}-digit division code"
        )
    # A province or city prefix is checked as the county code it begins (52 → 520000).
    if len(code) != length or not is_division_code(code.ljust(6, "0")):
        return (
            f"区划代码 {code!r} 无效：{kind} 单位应为 {length} 位数字且不以 0 开头 / "
            f"division code {code!r} is not valid for a {kind}: {length} digits, not starting "
            "with 0"
        )
    return None
