"""China's statutory holidays and make-up working days (调休) 2023–2025, per State Council notices.

Receptions and official-car trips are planted and kept clean against this calendar; a day not
covered here follows the plain Monday–Friday rule.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

from qingfeng.synth import dates

_HOLIDAY_RANGES = (
    ("2023-01-01", "2023-01-02"),
    ("2023-01-21", "2023-01-27"),
    ("2023-04-05", "2023-04-05"),
    ("2023-04-29", "2023-05-03"),
    ("2023-06-22", "2023-06-24"),
    ("2023-09-29", "2023-10-06"),
    ("2023-12-30", "2024-01-01"),
    ("2024-02-10", "2024-02-17"),
    ("2024-04-04", "2024-04-06"),
    ("2024-05-01", "2024-05-05"),
    ("2024-06-08", "2024-06-10"),
    ("2024-09-15", "2024-09-17"),
    ("2024-10-01", "2024-10-07"),
    ("2025-01-01", "2025-01-01"),
    ("2025-01-28", "2025-02-04"),
    ("2025-04-04", "2025-04-06"),
    ("2025-05-01", "2025-05-05"),
    ("2025-05-31", "2025-06-02"),
    ("2025-10-01", "2025-10-08"),
)
# Weekend days that are working days (调休上班).
MAKEUP_WORKDAYS = (
    "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07",
    "2023-10-08", "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
    "2024-09-14", "2024-09-29", "2024-10-12", "2025-01-26", "2025-02-08", "2025-04-27",
    "2025-09-28", "2025-10-11",
)  # fmt: skip


@cache
def _sets() -> tuple[frozenset[int], frozenset[int]]:
    hol: set[int] = set()
    for a, b in _HOLIDAY_RANGES:
        d0, d1 = dates.day_of(dt.date.fromisoformat(a)), dates.day_of(dt.date.fromisoformat(b))
        hol.update(range(d0, d1 + 1))
    work = {dates.day_of(dt.date.fromisoformat(d)) for d in MAKEUP_WORKDAYS}
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
