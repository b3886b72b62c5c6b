"""Small requests that arrive while a screening of the same dataset runs are screened together.

A screening call costs about the same for one candidate as for a few dozen: each model's query
is bound and optimised per call. Under a steady stream of single requests, therefore, the
requests that arrive while one call runs wait for it and are then screened as one batch by
the first of them; each gets back its own candidates' results, numbered as it sent them. A
request alone is screened at once (nothing waits for company), so the latency of a quiet
system is unchanged and a busy one answers more requests per second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from qingfeng.screening.candidates import RowError
from qingfeng.screening.engine import Outcome, Screener

MAX_ROWS = 256  # candidates screened together at most


@dataclass
class _Job:
    candidates: list[Any]
    refused: dict[int, list[RowError]]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    outcome: Outcome | None = None
    error: BaseException | None = None


@dataclass
class _Line:
    running: bool = False
    queue: list[_Job] = field(default_factory=list)


class Coalescer:
    def __init__(self, screener: Screener, max_rows: int = MAX_ROWS) -> None:
        self.screener = screener
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._lines: dict[tuple[str, dt.date], _Line] = {}

    def screen(
        self,
        dataset: str,
        candidates: list[Any],
        *,
        today: dt.date,
        refused: dict[int, list[RowError]] | None = None,
    ) -> Outcome:
        """`Screener.screen`, screened together with the requests waiting beside it."""
        job = _Job(list(candidates), dict(refused or {}))
        key = (dataset, today)
        with self._lock:
            line = self._lines.setdefault(key, _Line())
            line.queue.append(job)
            if not line.running:
                line.running = True
                job.lead = True
        if not job.lead:
            job.done.wait()
        if job.lead and job.outcome is None and job.error is None:
            self._run(key)
        if job.error is not None:
            raise job.error
        assert job.outcome is not None
        return job.outcome

    def _take(self, line: _Line) -> list[_Job]:
        jobs, rows = [], 0
        while line.queue and (not jobs or rows + len(line.queue[0].candidates) <= self.max_rows):
            job = line.queue.pop(0)
            jobs.append(job)
            rows += len(job.candidates)
        return jobs

    def _run(self, key: tuple[str, dt.date]) -> None:
        """Screen what waits (the leader's own job first in line), then hand on the lead."""
        dataset, today = key
        with self._lock:
            jobs = self._take(self._lines[key])
        try:
            self._screen(dataset, today, jobs)
        finally:
            with self._lock:
                line = self._lines[key]
                if line.queue:
                    line.queue[0].lead = True
                    line.queue[0].done.set()  # the next in line screens those waiting
                else:
                    line.running = False
            for job in jobs:
                job.done.set()

    def _screen(self, dataset: str, today: dt.date, jobs: list[_Job]) -> None:
        together: list[Any] = []
        refused: dict[int, list[RowError]] = {}
        offsets = []
        for job in jobs:
            offsets.append(len(together))
            for i, errors in job.refused.items():
                refused[len(together) + i] = errors
            together.extend(job.candidates)
        try:
            outcome = self.screener.screen(dataset, together, today=today, refused=refused)
        except BaseException as exc:  # every request of the batch gets the refusal
            for job in jobs:
                job.error = exc
            return
        for job, offset in zip(jobs, offsets, strict=True):
            results = []
            for result in outcome.results[offset : offset + len(job.candidates)]:
                index = result.index - offset
                results.append(
                    dataclasses.replace(
                        result,
                        index=index,
                        errors=[dataclasses.replace(e, index=index) for e in result.errors],
                    )
                )
            job.outcome = dataclasses.replace(outcome, results=results)
