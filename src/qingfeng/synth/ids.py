"""Resident ID numbers (GB 11643-1999), generated and rendered vectorised.

An 18-character ID is area (6) + birth date YYYYMMDD (8) + sequence (3, odd for men) + check
character (ISO 7064 MOD 11-2). The weighted digit sum is split into an area part, a date part and
a sequence part, each a table look-up, so computing millions of check characters is a few numpy
operations. python-stdnum's cn.ric is the reference the tests compare against.

Sequence numbers are allotted without collisions: a counter per (area, birth day, sex) cell gives
each new person the next free sequence, across chunks, so IDs are unique for any population size.
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import dates

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK_CHARS = np.array(list("10X98765432"))
SEQ_PER_SEX = 500  # sequence codes 000..999: even for women, odd for men

_DIGITS = np.arange(10)


def _weighted_sum(strings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum of digit*weight for fixed-width digit strings (vectorised over a byte view)."""
    width = weights.size
    raw = np.frombuffer(np.ascontiguousarray(strings.astype(f"S{width}")).tobytes(), np.uint8)
    digits = raw.reshape(-1, width).astype(np.int64) - 48
    return digits @ weights


def check_chars(area: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Check characters for area codes (str), birth day numbers and sequence codes (0..999)."""
    s = (
        _weighted_sum(area, WEIGHTS[:6])
        + _weighted_sum(dates.compact(birth_days), WEIGHTS[6:14])
        + (seq // 100) * 8
        + (seq // 10 % 10) * 4
        + (seq % 10) * 2
    )
    return CHECK_CHARS[s % 11]


def seq_str(seq: np.ndarray) -> np.ndarray:
    return dates.zfill(seq.astype(str), 3)


def build18(area: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> np.ndarray:
    body = np.strings.add(np.strings.add(area, dates.compact(birth_days)), seq_str(seq))
    return np.strings.add(body, check_chars(area, birth_days, seq))


def to15(id18: np.ndarray) -> np.ndarray:
    """The old 15-digit form (only meaningful for people born 1900-1999)."""
    return np.strings.add(np.strings.slice(id18, 0, 6), np.strings.slice(id18, 8, 17))


def born_19xx(id18: np.ndarray) -> np.ndarray:
    return np.strings.slice(id18, 6, 8) == "19"


def wrong_check(id18: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same IDs with a check character that is certainly wrong."""
    right = np.searchsorted(np.sort(CHECK_CHARS), np.strings.slice(id18, 17, 18))
    pool = np.sort(CHECK_CHARS)
    shift = rng.integers(1, pool.size, id18.size)
    wrong = pool[(right + shift) % pool.size]
    return np.strings.add(np.strings.slice(id18, 0, 17), wrong)


class SequenceAllocator:
    """Hands out collision-free sequence codes per (area, birth day, sex), chunk after chunk."""

    def __init__(self, n_areas: int) -> None:
        self._lo = dates.day_of(dates.TABLE_START)
        n_days = dates.day_of(dates.TABLE_END) - self._lo + 1
        self._n_days = n_days
        self._used = np.zeros(n_areas * n_days * 2, dtype=np.int16)

    def allocate(
        self, area_idx: np.ndarray, birth_days: np.ndarray, male: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sequence codes (0..999) and possibly moved birth days (a full cell moves a person one
        day later, which is rare: 500 people per sex, area and day)."""
        days = birth_days.copy()
        seq = np.empty(days.size, dtype=np.int64)
        todo = np.arange(days.size)
        while todo.size:
            cell = (area_idx[todo] * self._n_days + (days[todo] - self._lo)) * 2 + male[todo]
            order = np.argsort(cell, kind="stable")
            sorted_cells = cell[order]
            first = np.searchsorted(sorted_cells, sorted_cells, side="left")
            rank = np.empty(todo.size, dtype=np.int64)
            rank[order] = np.arange(todo.size) - first
            k = self._used[cell].astype(np.int64) + rank
            ok = k < SEQ_PER_SEX
            seq[todo[ok]] = 2 * k[ok] + male[todo[ok]]
            np.add.at(self._used, cell[ok], 1)
            todo = todo[~ok]
            days[todo] += 1
        return seq, days
