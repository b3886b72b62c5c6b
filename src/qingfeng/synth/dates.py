"""Dates as integer day numbers (days since 1970-01-01) and their department renderings.

Formatting is a table look-up: every day from 1900 to 2040 is formatted once per format, so
rendering millions of dates is one numpy indexing operation.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

EPOCH = dt.date(1970, 1, 1)
TABLE_START = dt.date(1900, 1, 1)
TABLE_END = dt.date(2040, 12, 31)
_OFFSET = (TABLE_START - EPOCH).days  # negative

# A missing date in a table column (day numbers of real dates are far above it).
NONE = -(10**6)

# The four date formats departments use: 2024-05-01, 2024/5/1, 20240501, 2024年5月1日.
FORMATS = ("iso", "slash", "compact", "cn")
# Renderings of other systems' exports (`qingfeng synth --style`): 二〇二四年五月九日.
EXTRA_FORMATS = ("cnnum",)
_CN_DIGITS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..31 in Chinese numerals as dates write them (九, 十, 十二, 二十, 三十一)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")


def day_of(d: dt.date) -> int:
    return (d - EPOCH).days


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def _fmt(d: dt.date, fmt: str) -> str:
    if fmt == "iso":
        return d.isoformat()
    if fmt == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if fmt == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if fmt == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if fmt == "cnnum":
        year = "".join(_CN_DIGITS[int(c)] for c in str(d.year))
        return f"{year}年{_cn_number(d.month)}月{_cn_number(d.day)}日"
    raise ValueError(fmt)


def impossible(fmt: str, year: int) -> str:
    """An impossible calendar date (30 February) in the given format."""
    if fmt == "iso":
        return f"{year}-02-30"
    if fmt == "slash":
        return f"{year}/2/30"
    if fmt == "compact":
        return f"{year}0230"
    if fmt == "cnnum":
        return _fmt(dt.date(year, 1, 1), "cnnum").replace("一月一日", "二月三十日")
    return f"{year}年2月30日"


@cache
def _tables() -> dict[str, np.ndarray]:
    n = (TABLE_END - TABLE_START).days + 1
    days = [TABLE_START + dt.timedelta(days=i) for i in range(n)]
    out = {f: np.array([_fmt(d, f) for d in days]) for f in FORMATS + EXTRA_FORMATS}
    out["ymd"] = np.array([[d.year, d.month, d.day] for d in days], dtype=np.int32)
    return out


def render(days: np.ndarray, fmt: str) -> np.ndarray:
    """Format an int day array (every entry must be a real day; mask missing dates first)."""
    return _tables()[fmt][days - _OFFSET]


def ymd(days: np.ndarray) -> np.ndarray:
    """(n, 3) array of year, month, day."""
    return _tables()["ymd"][days - _OFFSET]


def compact(days: np.ndarray) -> np.ndarray:
    """YYYYMMDD strings (the birth-date part of an ID number)."""
    return render(days, "compact")


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (for periods)."""
    y = ymd(days)
    return (y[:, 0] - 1970) * 12 + (y[:, 1] - 1)


def first_day_of_month(month: np.ndarray) -> np.ndarray:
    """Day number of the first day of each month index (vectorised via datetime64)."""
    return np.asarray(month, dtype="datetime64[M]").astype("datetime64[D]").astype(np.int64)


def period_str(month: np.ndarray) -> np.ndarray:
    """YYYY-MM strings for month indices."""
    return np.datetime_as_string(np.asarray(month, dtype="datetime64[M]"), unit="M")


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """Same calendar day `years` later (29 Feb → 1 Mar), vectorised."""
    y = ymd(days)
    first = (
        np.asarray(y[:, 0] + years - 1970, dtype="datetime64[Y]").astype("datetime64[M]")
        + (y[:, 1] - 1)
    ).astype("datetime64[D]")
    return (first + (y[:, 2] - 1)).astype(np.int64)


MINUTES_PER_DAY = 1440


@cache
def _clock() -> dict[str, np.ndarray]:
    mins = range(MINUTES_PER_DAY)
    return {
        "iso": np.array([f" {m // 60:02d}:{m % 60:02d}:00" for m in mins]),
        "slash": np.array([f" {m // 60}:{m % 60:02d}" for m in mins]),
        "compact": np.array([f"{m // 60:02d}{m % 60:02d}00" for m in mins]),
    }


def render_time(minutes: np.ndarray, fmt: str) -> np.ndarray:
    """Format minute numbers (minutes since 1970-01-01 00:00) as 'date time' text; `compact`
    is a database timestamp, YYYYMMDDHHMMSS."""
    day, minute = np.divmod(minutes, MINUTES_PER_DAY)
    date_fmt = fmt if fmt in ("iso", "slash", "compact") else "iso"
    return np.strings.add(render(day, date_fmt), _clock()[date_fmt][minute])


def impossible_time(fmt: str, year: int) -> str:
    if fmt == "compact":
        return f"{year}0230100000"
    return impossible(fmt if fmt in ("iso", "slash") else "iso", year) + " 10:00:00"


def day_of_iso(text: str) -> int:
    return day_of(dt.date.fromisoformat(text))


def zfill(a: np.ndarray, width: int) -> np.ndarray:
    """np.strings.zfill that also accepts an empty array."""
    return np.strings.zfill(a, width) if a.size else np.asarray(a).astype(f"<U{width}")
