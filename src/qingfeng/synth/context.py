"""State shared by the table builders of one synthetic county run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qingfeng.synth import county, dates


@dataclass
class Context:
    start_day: int
    end_day: int
    village_codes: np.ndarray = field(init=False)
    village_township: np.ndarray = field(init=False)  # township index per village
    pay_dom: np.ndarray = field(init=False)  # day of month each township pays on
    approver_id: np.ndarray = field(init=False)  # per township, filled once chunk 0 exists
    counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        vs = county.villages()
        t_codes = [t[0] for t in county.TOWNSHIPS]
        self.village_codes = np.array([v.code for v in vs])
        self.village_township = np.array([t_codes.index(v.township_code) for v in vs])
        # Townships pay on the 10th..19th; every pay day is before the 20th of the month.
        self.pay_dom = 10 + np.arange(len(t_codes))
        self.approver_id = np.full(len(t_codes), "", dtype="<U18")

    @property
    def months(self) -> np.ndarray:
        first = dates.month_index(np.array([self.start_day]))[0]
        last = dates.month_index(np.array([self.end_day]))[0]
        return np.arange(first, last + 1)

    def serial(self, name: str, n: int) -> np.ndarray:
        """n consecutive numbers of a named counter (global across chunks), starting at 1."""
        start = self.counters.get(name, 0)
        self.counters[name] = start + n
        return np.arange(start + 1, start + n + 1)

    def pay_day(self, township: np.ndarray, month: np.ndarray) -> np.ndarray:
        return dates.first_day_of_month(month) + self.pay_dom[township] - 1
