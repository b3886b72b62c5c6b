"""Token buckets keyed by (purpose, key): per client address, per ID-number hash.

The portal draws from `qingfeng.store.shared.StoreBuckets` (the buckets are rows in the store, so
every web worker enforces one limit). `TokenBuckets` is the same arithmetic in one process's
memory, bounded by forgetting the least recently used keys: for a single process with no store
at hand (the benchmark's portal-only runs, unit tests of the arithmetic).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class Buckets(Protocol):
    def take(
        self, purpose: str, key: str, capacity: int, rate: float, cost: float = 1.0
    ) -> bool: ...

    def has(
        self, purpose: str, key: str, capacity: int, rate: float, cost: float = 1.0
    ) -> bool: ...

    def retry_after(self, purpose: str, key: str, capacity: int, rate: float) -> int: ...


class TokenBuckets:
    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_keys
        self._clock = clock

    def _level(self, key: tuple[str, str], capacity: int, rate: float, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(capacity), now))
        return min(float(capacity), tokens + (now - last) * rate)

    def take(self, purpose: str, key: str, capacity: int, rate: float, cost: float = 1.0) -> bool:
        """Take `cost` tokens; False (nothing taken) when the bucket has too few."""
        now = self._clock()
        k = (purpose, key)
        with self._lock:
            tokens = self._level(k, capacity, rate, now)
            ok = tokens >= cost
            if ok:
                tokens -= cost
            self._buckets[k] = (tokens, now)
            self._buckets.move_to_end(k)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
            return ok

    def has(self, purpose: str, key: str, capacity: int, rate: float, cost: float = 1.0) -> bool:
        """Whether `cost` tokens are available, without taking them."""
        now = self._clock()
        with self._lock:
            return self._level((purpose, key), capacity, rate, now) >= cost

    def retry_after(self, purpose: str, key: str, capacity: int, rate: float) -> int:
        now = self._clock()
        with self._lock:
            tokens = self._level((purpose, key), capacity, rate, now)
        return max(1, int((1.0 - tokens) / rate) + 1) if rate > 0 else 3600
