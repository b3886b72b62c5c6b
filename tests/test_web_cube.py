"""The dashboard cube cache: one build at a time, stale-while-revalidate."""

from __future__ import annotations

import threading
import time

from qingfeng.web.queries import dashboard
from qingfeng.web.queries.dashboard import CubeCache
from web_helpers import make_world

WAIT_S = 30  # a bound for a stuck test only: every wait below ends on an event


class Clock:
    """The cache's monotonic clock, moved by the test instead of slept through."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(time, name)  # build_cube's perf_counter and the rest: the real ones


def test_first_requests_share_one_build_and_stale_cube_is_served_while_rebuilding(
    tmp_path, monkeypatch
):
    world = make_world(tmp_path)
    clock = Clock()
    monkeypatch.setattr(dashboard, "time", clock)
    builds: list[threading.Thread] = []
    started = threading.Semaphore(0)  # released once per build that starts
    gate = threading.Event()  # a build blocks here until the test lets it finish
    real = dashboard.build_cube

    def gated_build(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(threading.current_thread())
        started.release()
        assert gate.wait(WAIT_S), "the test never released the build"
        return real(session, *args, **kwargs)

    monkeypatch.setattr(dashboard, "build_cube", gated_build)
    cache = CubeCache(world.factory, ttl_s=0.5)
    cache.warm()
    assert started.acquire(timeout=WAIT_S)  # the first build runs, held at the gate

    # Four first requests arrive while it runs: they wait for that build, none starts its own.
    arrived = threading.Barrier(5)
    results = []

    def request() -> None:
        arrived.wait(WAIT_S)
        results.append(cache.get())

    threads = [threading.Thread(target=request) for _ in range(4)]
    for th in threads:
        th.start()
    arrived.wait(WAIT_S)
    assert results == []  # nobody is served before the first cube exists
    gate.set()
    for th in threads:
        th.join(WAIT_S)
    assert len(builds) == 1 and len(results) == 4 and len({id(c) for c in results}) == 1
    assert sum(p.totals.count for p in results[0].parts.values()) == 5

    # Past its time to live the cube is served at once while a new one is built in the background.
    gate.clear()
    clock.now += 0.6
    stale = cache.get()  # returns although the rebuild it started is held at the gate
    assert stale is results[0]
    assert started.acquire(timeout=WAIT_S) and len(builds) == 2
    assert cache.get() is stale  # still building: one rebuild, the old cube meanwhile
    gate.set()
    builds[1].join(WAIT_S)
    assert cache.get() is not stale and len(builds) == 2
