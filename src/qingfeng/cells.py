"""Cells written for spreadsheets: text that a spreadsheet would run as a formula is defused.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets strip before
looking) is a formula to Excel, WPS and LibreOffice when the file is opened; a complaint titled
`=HYPERLINK(...)` would become a live link in a supervisor's export. Such text gets a leading
apostrophe, the spreadsheets' own "this is text" mark. Plain numbers (-12.50) stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutralise(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would read as a formula."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


def safe_record(record: dict[str, Any]) -> dict[str, Any]:
    return {k: neutralise(v) for k, v in record.items()}
