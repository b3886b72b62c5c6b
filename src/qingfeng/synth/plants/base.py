"""What every planting module works with: the first chunk of people and a pool of candidates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qingfeng.synth import dates
from qingfeng.synth.context import Context
from qingfeng.synth.population import Persons
from qingfeng.synth.tables import Table
from qingfeng.synth.truth import Planted


class NotEnoughPeople(ValueError):
    """The county is too small to plant every scenario."""


@dataclass
class Plan:
    """Extra person-level rows for files (by file key), changes to background payments, and the
    truth entries they make."""

    rows: dict[str, list[Table]] = field(default_factory=dict)
    payments: list[tuple[np.ndarray, np.ndarray]] = field(
        default_factory=list
    )  # old-age (who, month)
    planted: list[Planted] = field(default_factory=list)
    stop_old_age: dict[int, int] = field(default_factory=dict)  # person → first unpaid month
    drop: set[tuple[int, int]] = field(default_factory=set)  # (person, month) old-age rows removed
    overrides: list[tuple[int, int, str, object, bool]] = field(default_factory=list)
    death_fixed: set[int] = field(default_factory=set)  # deaths whose sources the plant wrote
    moved_out: dict[int, int] = field(default_factory=dict)  # person → day moved out
    collective: set[int] = field(default_factory=set)  # households registered as 集体户

    def add(self, model: str, subject: str, month: int, kind: str, note: str) -> None:
        period = str(dates.period_str(np.array([month]))[0])
        self.planted.append(Planted(model, subject, period, kind, note))  # type: ignore[arg-type]

    def add_rows(self, key: str, table: Table) -> None:
        n = int(next(iter(table.values())).size)
        table = {**table, "#planted": np.ones(n, bool)}
        self.rows.setdefault(key, []).append(table)

    def override(
        self, person: int, month: int, field_name: str, value: object, nomess: bool = True
    ) -> None:
        """Change one field of the person's old-age payment for a month."""
        self.overrides.append((person, month, field_name, value, nomess))


class Pool:
    """Hands out people of chunk 0 so that scenarios never share a household.

    `take` reserves whole households: one scenario's relatives never serve another, and the
    background generators leave reserved households alone (no dibao, cars, certificates... unless
    a scenario adds them). `take_shared` hands out distinct people whose households may be shared
    with other company people only (owners of unrelated companies can live together).
    """

    def __init__(
        self, p: Persons, ctx: Context, rng: np.random.Generator, pop: object = None
    ) -> None:
        self.pop = pop  # the PopulationGenerator (to re-issue an ID after a birth-date change)
        self.p = p
        self.ctx = ctx
        self.rng = rng
        self.used = np.zeros(len(p), bool)  # person's household is reserved
        self._shared = np.zeros(len(p), bool)  # household reserved for company people only
        self._person_taken = np.zeros(len(p), bool)

    def _fail(self, k: int, what: str, found: int) -> NotEnoughPeople:
        return NotEnoughPeople(
            f"人口太少，无法植入场景 / too few people to plant: need {k} {what}, "
            f"found {found}; use more --persons"
        )

    def _reserve(self, pick: np.ndarray) -> None:
        self.used |= np.isin(self.p.household, self.p.household[pick])
        self._person_taken[pick] = True

    def take(self, mask: np.ndarray, k: int, what: str) -> np.ndarray:
        idx = np.flatnonzero(mask & ~self.used)
        if idx.size < k:
            raise self._fail(k, what, idx.size)
        # One person per household, so k picks are k households.
        hh = self.p.household[idx]
        perm = self.rng.permutation(idx.size)
        _, first = np.unique(hh[perm], return_index=True)
        cand = idx[perm[first]]
        if cand.size < k:
            raise self._fail(k, what, cand.size)
        pick = np.sort(self.rng.choice(cand, size=k, replace=False))
        self._reserve(pick)
        return pick

    def take_shared(self, mask: np.ndarray, k: int, what: str) -> np.ndarray:
        ok = mask & ~self._person_taken & (~self.used | self._shared)
        idx = np.flatnonzero(ok)
        if idx.size < k:
            raise self._fail(k, what, idx.size)
        pick = np.sort(self.rng.choice(idx, size=k, replace=False))
        newly = np.isin(self.p.household, self.p.household[pick]) & ~self.used
        self._shared |= newly
        self._reserve(pick)
        return pick

    def adults(self, lo: int = 25, hi: int = 60) -> np.ndarray:
        """People aged lo..hi at the start who live through the period."""
        age = self.p.age_on(self.ctx.start_day)
        return (age >= lo) & (age <= hi) & (self.p.death_day < 0)

    def kill(self, i: int, day: int, cremation: bool, registry_lag: int | None) -> None:
        """Make person i die on `day`, seen by cremation and/or the registry (lag in days)."""
        self.p.death_day[i] = day
        self.p.cremation_day[i] = day + 2 if cremation else -1
        reg = -1 if registry_lag is None else day + registry_lag
        self.p.registry_death_day[i] = reg if reg <= self.ctx.end_day else -1


def day_in(month: int, dom: int) -> int:
    return int(dates.first_day_of_month(np.array([month]))[0]) + dom - 1


def month_of(day: int) -> int:
    return int(dates.month_index(np.array([day]))[0])


def household_has(p: Persons, mask: np.ndarray) -> np.ndarray:
    """Per person: does anyone in the person's household satisfy mask?"""
    return np.isin(p.household, np.unique(p.household[mask]))
