"""In-process token buckets keyed by (purpose, key): per client address, per ID-number hash.

One process holds its own buckets (the portal runs as one process per host; behind several
processes, each enforces its share). Memory is bounded by forgetting the least recently used keys.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


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
