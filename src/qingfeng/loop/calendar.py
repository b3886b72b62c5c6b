"""Working-day arithmetic on weekends, holidays and 调休 days: the national calendar plus the
deployment's own dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from qingfeng import holidays as national
from qingfeng.loop.config import CalendarConfig, LoopConfig


@dataclass(frozen=True)
class WorkCalendar:
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days that are worked

    @classmethod
    def from_config(cls, cfg: CalendarConfig) -> WorkCalendar:
        off, worked = set(cfg.holidays), set(cfg.workdays)
        clash = off & worked
        if clash:
            raise ValueError(f"dates both holiday and workday: {sorted(clash)}")
        if cfg.national:
            # The deployment's own dates win: a local holiday, or a day a unit works anyway.
            off |= national.national_holidays() - worked
            worked |= national.national_workdays() - off
        return cls(frozenset(cfg.weekend), frozenset(off), frozenset(worked))

    def knows_year(self, year: int) -> bool:
        """Whether any holiday of `year` is known (every year has at least New Year's Day)."""
        return any(d.year == year for d in self.holidays)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself not counted); n=0 gives start
        moved forward to a working day."""
        if n < 0:
            raise ValueError("n must be ≥ 0")
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        left = n
        for _ in range(n * 7 + 400):  # bounded: a calendar cannot be all holidays
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
                if left == 0:
                    return day
        raise ValueError(f"no {n} working days after {start}: is the calendar all holidays?")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end ≤ start."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


@dataclass(frozen=True)
class Clock:
    """Deadlines in the local time zone: a stage due on day D is due at the end of D."""

    calendar: WorkCalendar
    zone: ZoneInfo

    @classmethod
    def from_config(cls, cfg: LoopConfig) -> Clock:
        return cls(WorkCalendar.from_config(cfg.calendar), cfg.zone)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def end_of_day(self, day: date) -> datetime:
        # 23:59:59 local; stored in UTC by the store
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.zone)

    def due(self, start: datetime, working_days: int) -> datetime:
        return self.end_of_day(self.calendar.add_working_days(self.local_date(start), working_days))

    def extend(self, due_at: datetime, paused_from: datetime, resumed_at: datetime) -> datetime:
        """The due date moved on by the working days the clock was paused."""
        lost = self.calendar.working_days_between(
            self.local_date(paused_from), self.local_date(resumed_at)
        )
        return self.end_of_day(self.calendar.add_working_days(self.local_date(due_at), lost))
