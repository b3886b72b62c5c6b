"""The synthetic county's working days: China's statutory holidays and make-up working days (调休)
from `qingfeng.holidays`, as day numbers.

Receptions and official-car trips are planted and kept clean against this calendar; a day of a
year the national calendar does not cover follows the plain Monday–Friday rule.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from qingfeng.holidays import national_holidays, national_workdays
from qingfeng.synth import dates


@cache
def _sets() -> tuple[frozenset[int], frozenset[int]]:
    hol = {dates.day_of(d) for d in national_holidays()}
    work = {dates.day_of(d) for d in national_workdays()}
    return frozenset(hol), frozenset(work)


def is_workday(days: np.ndarray) -> np.ndarray:
    hol, work = _sets()
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    base = weekday < 5
    is_hol = np.isin(days, np.fromiter(hol, np.int64))
    is_work = np.isin(days, np.fromiter(work, np.int64))
    return (base & ~is_hol) | is_work


def workdays(start_day: int, end_day: int) -> np.ndarray:
    d = np.arange(start_day, end_day + 1)
    return d[is_workday(d)]


def holidays_in(start_day: int, end_day: int) -> np.ndarray:
    d = np.arange(start_day, end_day + 1)
    return d[~is_workday(d)]


def makeup_in(start_day: int, end_day: int) -> np.ndarray:
    _, work = _sets()
    return np.array(sorted(w for w in work if start_day <= w <= end_day), dtype=np.int64)
