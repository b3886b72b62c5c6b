"""China's statutory holidays and make-up working days (调休), from the State Council's notices.

The dates come from the `chinesecalendar` package, which carries every year's notice since 2004
and is updated when the next year's notice appears (each November or December). A year it does
not carry is not guessed: `covered_years()` says which years are known, and a deployment adds a
newer year in qingfeng.toml (`[loop.calendar]`) until the package is upgraded.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import chinese_calendar


@cache
def national_holidays() -> frozenset[date]:
    """Every day off by notice (weekend days inside a holiday period included where listed)."""
    return frozenset(chinese_calendar.holidays)


@cache
def national_workdays() -> frozenset[date]:
    """Weekend days worked by notice (调休上班)."""
    return frozenset(d for d in chinese_calendar.workdays if d.weekday() >= 5)


@cache
def covered_years() -> range:
    """The years whose notice the installed package carries."""
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)
