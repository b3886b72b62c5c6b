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
    """Extra rows for files (by file key) and the truth entries they make."""

    rows: dict[str, list[Table]] = field(default_factory=dict)
    payments: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (who, month)
    planted: list[Planted] = field(default_factory=list)

    def add(self, model: str, subject: str, month: int, kind: str, note: str) -> None:
        period = str(dates.period_str(np.array([month]))[0])
        self.planted.append(Planted(model, subject, period, kind, note))  # type: ignore[arg-type]


class Pool:
    """Hands out people of chunk 0 at most once, so scenarios never share a person."""

    def __init__(self, p: Persons, ctx: Context, rng: np.random.Generator) -> None:
        self.p = p
        self.ctx = ctx
        self.rng = rng
        self.used = np.zeros(len(p), bool)

    def take(self, mask: np.ndarray, k: int, what: str) -> np.ndarray:
        idx = np.flatnonzero(mask & ~self.used)
        if idx.size < k:
            raise NotEnoughPeople(
                f"人口太少，无法植入场景 / too few people to plant: need {k} {what}, "
                f"found {idx.size}; use more --persons"
            )
        pick = np.sort(self.rng.choice(idx, size=k, replace=False))
        # Whole households are reserved, so one scenario's relatives never serve another.
        self.used |= np.isin(self.p.household, self.p.household[pick])
        return pick

    def kill(self, i: int, day: int, cremation: bool, registry_lag: int | None) -> None:
        """Make person i die on `day`, seen by cremation and/or the registry (lag in days)."""
        self.p.death_day[i] = day
        self.p.cremation_day[i] = day + 2 if cremation else -1
        reg = -1 if registry_lag is None else day + registry_lag
        self.p.registry_death_day[i] = reg if reg <= self.ctx.end_day else -1


def day_in(month: int, dom: int) -> int:
    return int(dates.first_day_of_month(np.array([month]))[0]) + dom - 1
