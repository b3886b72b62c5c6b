"""Deadline arithmetic on working days across weekends, holidays and 调休 make-up workdays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingfeng.loop.calendar import Clock, WorkCalendar
from qingfeng.loop.config import LoopConfig, LoopConfigError, load_loop_config

# National Day 2026 as an example calendar: 1–7 October off, Saturday 10 October worked.
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
CAL = WorkCalendar(holidays=NATIONAL_DAY, workdays=frozenset({date(2026, 10, 10)}))
PLAIN = WorkCalendar()


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 23), 1, date(2026, 11, 24)),  # Mon + 1 → Tue
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Fri + 1 → Mon (weekend skipped)
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Sat + 1 → Mon
        (date(2026, 11, 27), 5, date(2026, 12, 4)),  # Fri + 5 → next Fri
        (date(2026, 11, 23), 10, date(2026, 12, 7)),  # two full weeks
        (date(2026, 11, 28), 0, date(2026, 11, 30)),  # n=0 on a weekend → next working day
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
    ],
)
def test_weekends(start: date, n: int, expected: date) -> None:
    assert PLAIN.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # Wed before the holiday → Thu after it
        (date(2026, 9, 30), 2, date(2026, 10, 9)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # the make-up Saturday counts
        (date(2026, 9, 30), 4, date(2026, 10, 12)),  # then Sunday is off again
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # started inside the holiday
        (date(2026, 9, 25), 3, date(2026, 9, 30)),  # Fri + 3 → Wed, before the holiday
    ],
)
def test_holidays_and_makeup_workdays(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert PLAIN.working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5
    assert PLAIN.working_days_between(date(2026, 11, 30), date(2026, 11, 23)) == 0


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 60))
def test_add_and_count_agree(start: date, n: int) -> None:
    due = CAL.add_working_days(start, n)
    assert CAL.is_working_day(due)
    if n > 0:
        assert CAL.working_days_between(start, due) == n


def test_due_is_end_of_local_day_in_the_configured_zone() -> None:
    clock = Clock(PLAIN, LoopConfig().zone)
    # Friday 27 Nov 20:00 UTC is already Saturday 04:00 in Beijing: counting starts Saturday.
    friday_night_utc = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    due = clock.due(friday_night_utc, 1)
    assert due.astimezone(clock.zone).date() == date(2026, 11, 30)
    assert (due.astimezone(clock.zone).hour, due.astimezone(clock.zone).minute) == (23, 59)
    assert due.astimezone(UTC) == datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)


def test_pause_extends_by_working_days_only() -> None:
    clock = Clock(CAL, LoopConfig().zone)
    due = clock.end_of_day(date(2026, 10, 9))
    paused = datetime(2026, 9, 29, 2, tzinfo=UTC)  # Tue
    resumed = datetime(2026, 10, 8, 2, tzinfo=UTC)  # Thu after the holiday
    # (Tue 29 Sep, Thu 8 Oct] holds Wed 30 Sep and Thu 8 Oct: two working days lost
    new_due = clock.extend(due, paused, resumed)
    assert clock.local_date(new_due) == date(2026, 10, 12)  # Fri 9 → Sat 10 (worked) → Mon 12


def test_calendar_cannot_be_both() -> None:
    from qingfeng.loop.config import CalendarConfig

    with pytest.raises(ValueError, match="both holiday and workday"):
        WorkCalendar.from_config(
            CalendarConfig(holidays=[date(2026, 1, 1)], workdays=[date(2026, 1, 1)])
        )


def test_config_from_the_workspace_file(tmp_path: Path) -> None:
    f = tmp_path / "qingfeng.toml"
    f.write_text(
        'secret_key = "x"\n[loop]\ndue_soon_working_days = 3\n'
        "[loop.deadlines.verifying]\nred = 4\n"
        '[loop.calendar]\nholidays = [2026-10-01]\nworkdays = ["2026-10-10"]\n',
        encoding="utf-8",
    )
    cfg = load_loop_config(f)
    assert cfg.due_soon_working_days == 3
    assert cfg.deadlines["verifying"] == {"red": 4, "orange": 15, "yellow": 20, "blue": 30}
    assert cfg.calendar.holidays == [date(2026, 10, 1)]
    assert cfg.calendar.workdays == [date(2026, 10, 10)]
    assert load_loop_config(tmp_path / "missing.toml") == LoopConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[loop.deadlines.lunch]\nred = 1\n", "unknown stage 'lunch'"),
        ("[loop.deadlines.verifying]\npurple = 1\n", "unknown severity 'purple'"),
        ("[loop.deadlines.verifying]\nred = 0\n", "whole number"),
        ('[loop]\ntimezone = "Mars/Olympus"\n', "loop.timezone"),
        ('[loop.calendar]\nholidays = ["not a date"]\n', "loop.calendar.holidays.0"),
        ("[loop\n", "qingfeng.toml"),
    ],
)
def test_bad_config_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "qingfeng.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(LoopConfigError, match=r"qingfeng\.toml") as err:
        load_loop_config(f)
    assert message in str(err.value)


def test_short_deadline_is_soon_after_the_start() -> None:
    clock = Clock(PLAIN, LoopConfig().zone)
    start = datetime(2026, 11, 23, 1, tzinfo=UTC)
    assert clock.due(start, 1) - start < timedelta(days=2)


def test_the_national_calendar_is_on_by_default() -> None:
    """The State Council's 2026 notice: National Day 1–7 Oct, Saturday 10 Oct worked; Spring
    Festival 15–23 Feb, Saturdays 14 and 28 Feb worked."""
    cal = Clock.from_config(LoopConfig()).calendar
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.is_working_day(date(2026, 10, 10)) and cal.is_working_day(date(2026, 2, 14))
    assert cal.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)  # Sat 14, then Tue 24
    assert not cal.is_working_day(date(2025, 1, 28))  # Spring Festival 2025, a Tuesday


def test_the_deployment_s_dates_win_over_the_national_ones() -> None:
    from qingfeng.loop.config import CalendarConfig

    cfg = CalendarConfig(holidays=[date(2026, 10, 10)], workdays=[date(2026, 10, 8)])
    cal = WorkCalendar.from_config(cfg)
    assert not cal.is_working_day(date(2026, 10, 10))  # a local day off on the make-up Saturday
    assert cal.is_working_day(date(2026, 10, 8))  # a unit that works the last holiday
    assert not cal.is_working_day(date(2026, 10, 7))  # the rest of the notice still applies
    plain = WorkCalendar.from_config(CalendarConfig(national=False))
    assert plain.is_working_day(date(2026, 10, 1)) and not plain.knows_year(2026)


def test_national_calendar_facts() -> None:
    from qingfeng import holidays

    years = holidays.covered_years()
    assert years.start <= 2023 and 2026 in years
    assert all(d.weekday() >= 5 for d in holidays.national_workdays())
    assert not holidays.national_workdays() & holidays.national_holidays()
    # Every covered year has New Year's Day off.
    assert all(date(y, 1, 1) in holidays.national_holidays() for y in years)
    assert not any(d.year == years.stop for d in holidays.national_holidays())
