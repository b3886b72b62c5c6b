"""People and households of the synthetic county, generated vectorised, one chunk at a time.

A chunk is a set of whole households. Household heads are drawn from an adult age pyramid
(shaped on China's 2020 census), spouses and children follow from the head, and some households
keep a parent of the head. Deaths follow a Gompertz mortality curve over the simulated period.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from qingfeng.synth import county, dates, ids, names

# Household sizes 1..7 (rural Guizhou households are a little larger than the national 2.62).
HOUSEHOLD_SIZE_P = np.array([0.20, 0.27, 0.20, 0.16, 0.10, 0.05, 0.02])
# Adult age bands for household heads (lower bound of 5-year band, relative weight).
_HEAD_BANDS = np.array([22, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95])
_HEAD_W = np.array([2.0, 5.0, 7.5, 7.0, 7.0, 8.5, 9.0, 8.0, 6.5, 6.5, 5.0, 3.8, 2.0, 1.0, 0.4, 0.1])
# Annual mortality q(age) = exp(A + B*age): about 1.3‰ at 40, 8‰ at 60, 50‰ at 80.
MORTALITY_A, MORTALITY_B = -10.3, 0.092

RELATIONS = np.array(["户主", "配偶", "子", "女", "父亲", "母亲"])
HEAD, SPOUSE, SON, DAUGHTER, FATHER, MOTHER = range(6)


@dataclass
class Persons:
    """One chunk of people; every attribute is an array of the same length."""

    pid: np.ndarray  # global person number, 0..N-1
    area_idx: np.ndarray
    birth_day: np.ndarray
    male: np.ndarray  # int 0/1
    id_no: np.ndarray  # 18-character ID
    surname: np.ndarray
    g1: np.ndarray
    g2: np.ndarray
    name: np.ndarray
    household: np.ndarray  # global household number
    household_no: np.ndarray  # str
    relation: np.ndarray  # index into RELATIONS
    village_idx: np.ndarray
    address: np.ndarray
    death_day: np.ndarray  # -1: alive at the end of the period
    registry_death_day: np.ndarray  # -1: registry not (yet) updated by the end of the period
    cremation_day: np.ndarray  # -1: no cremation record

    def __len__(self) -> int:
        return int(self.pid.size)

    def take(self, idx: np.ndarray) -> Persons:
        return Persons(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def age_on(self, day: int) -> np.ndarray:
        """Completed years of age on a day (vectorised)."""
        b = dates.ymd(self.birth_day)
        d = dates.ymd(np.array([day]))[0]
        return d[0] - b[:, 0] - ((d[1] < b[:, 1]) | ((d[1] == b[:, 1]) & (d[2] < b[:, 2])))


class PopulationGenerator:
    """Generates successive chunks; keeps the cross-chunk state (ID sequences, counters)."""

    def __init__(self, rng: np.random.Generator, start_day: int, end_day: int) -> None:
        self.rng = rng
        self.start_day = start_day
        self.end_day = end_day
        self._areas = np.array([a for a, _ in county.BIRTH_AREAS])
        self._area_p = np.array([w for _, w in county.BIRTH_AREAS])
        self._seq = ids.SequenceAllocator(len(self._areas))
        self._next_pid = 0
        self._next_household = 0
        vs = county.villages()
        self._village_prefix = np.array([v.address_prefix for v in vs])
        self._village_urban = np.array([v.urban for v in vs])
        # Urban communities are larger than villages.
        w = np.where(self._village_urban, 3.0, 1.0)
        self._village_p = w / w.sum()

    def chunk(self, n: int) -> Persons:
        rng = self.rng
        # Households: draw more sizes than needed, keep whole ones, trim the last to fit n.
        sizes = rng.choice(7, size=n // 2 + 8, p=HOUSEHOLD_SIZE_P) + 1
        cum = np.cumsum(sizes)
        k = int(np.searchsorted(cum, n)) + 1
        sizes = sizes[:k]
        sizes[-1] -= int(cum[k - 1] - n)
        sizes = sizes[sizes > 0]
        n_h = sizes.size
        hh_local = np.repeat(np.arange(n_h), sizes)
        member = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        size_of = sizes[hh_local]

        # Household-level attributes.
        band = rng.choice(_HEAD_BANDS.size, size=n_h, p=_HEAD_W / _HEAD_W.sum())
        head_age = _HEAD_BANDS[band] + rng.random(n_h) * 5
        # Single-person households are more often old people living alone.
        alone = sizes == 1
        head_age = np.where(alone & (rng.random(n_h) < 0.4), 65 + rng.random(n_h) * 25, head_age)
        head_male = rng.random(n_h) < 0.75
        has_parent = (sizes >= 3) & (rng.random(n_h) < 0.4) & (head_age < 62)
        has_spouse = (sizes >= 2) & (rng.random(n_h) < 0.85)
        village = rng.choice(self._village_p.size, size=n_h, p=self._village_p)
        hh_surname = names.draw_surname(rng, n_h)

        # Roles.
        rel = np.full(n, SON)
        rel[member == 0] = HEAD
        rel[(member == 1) & has_spouse[hh_local]] = SPOUSE
        is_parent = has_parent[hh_local] & (member == size_of - 1) & (member >= 2)
        rel[is_parent] = FATHER

        u = rng.random(n)
        h_age = head_age[hh_local]
        age = np.where(
            rel == HEAD,
            h_age,
            np.where(
                rel == SPOUSE,
                h_age + rng.normal(-1.5, 3.0, n),
                np.where(
                    rel == FATHER,
                    np.minimum(h_age + 24 + u * 14, 99.5),
                    np.maximum(h_age - 22 - u * 14, rng.random(n) * 3),
                ),
            ),
        )
        age = np.clip(age, 0.0, 103.0)
        hm = head_male[hh_local]
        male = np.where(
            rel == HEAD, hm, np.where(rel == SPOUSE, ~hm, rng.random(n) < 0.515)
        ).astype(np.int64)
        rel = np.where((rel == SON) & (male == 0), DAUGHTER, rel)
        rel = np.where((rel == FATHER) & (male == 0), MOTHER, rel)

        birth_day = (self.start_day - np.floor(age * 365.2425)).astype(np.int64)
        area_idx = rng.choice(self._areas.size, size=n, p=self._area_p)
        seq, birth_day = self._seq.allocate(area_idx, birth_day, male)
        id_no = ids.build18(self._areas[area_idx], birth_day, seq)

        # Children carry the father's surname; spouses and parents have their own.
        own = names.draw_surname(rng, n)
        kids = (rel == SON) | (rel == DAUGHTER) | (rel == HEAD) | ((rel == FATHER) & hm)
        surname = np.where(kids & hm, hh_surname[hh_local], own)
        surname = np.where(rel == HEAD, hh_surname[hh_local], surname)
        g1, g2 = names.draw_given(rng, male.astype(bool))
        name = names.compose(surname, g1, g2)

        # Deaths during the period, from completed age at the start.
        years = (self.end_day - self.start_day + 1) / 365.2425
        q = np.minimum(np.exp(MORTALITY_A + MORTALITY_B * age), 0.6)
        dies = rng.random(n) < 1 - (1 - q) ** years
        death_day = np.where(
            dies, self.start_day + rng.integers(0, self.end_day - self.start_day + 1, n), -1
        )
        # The registry lags: cancelled 2 weeks to several months after death, 10% never.
        lag = 14 + rng.exponential(60, n).astype(np.int64)
        reg = np.where(dies & (rng.random(n) >= 0.10), death_day + lag, -1)
        reg = np.where(reg > self.end_day, -1, reg)
        urban = self._village_urban[village][hh_local]
        cremated = dies & (rng.random(n) < np.where(urban, 0.92, 0.5))
        crem = np.where(cremated, death_day + rng.integers(1, 5, n), -1)
        crem = np.where(crem > self.end_day, -1, crem)

        h_global = self._next_household + np.arange(n_h)
        household_no = np.strings.add("52", dates.zfill((h_global + 1).astype(str), 9))
        group = rng.integers(1, 12, n_h)
        number = rng.integers(1, 120, n_h)
        house = np.where(
            self._village_urban[village],
            np.strings.add(number.astype(str), "号"),
            np.strings.add(
                np.strings.add(group.astype(str), "组"), np.strings.add(number.astype(str), "号")
            ),
        )
        address = np.strings.add(self._village_prefix[village], house)[hh_local]

        pid = self._next_pid + np.arange(n)
        self._next_pid += n
        self._next_household += n_h
        return Persons(
            pid=pid,
            area_idx=area_idx,
            birth_day=birth_day,
            male=male,
            id_no=id_no,
            surname=surname,
            g1=g1,
            g2=g2,
            name=name,
            household=h_global[hh_local],
            household_no=household_no[hh_local],
            relation=rel,
            village_idx=village[hh_local],
            address=address,
            death_day=death_day,
            registry_death_day=reg,
            cremation_day=crem,
        )
