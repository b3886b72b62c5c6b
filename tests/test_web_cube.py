"""The dashboard cube cache: one build at a time, stale-while-revalidate."""

from __future__ import annotations

import threading
import time

from qingfeng.web.queries import dashboard
from qingfeng.web.queries.dashboard import CubeCache
from web_helpers import make_world


def test_first_requests_share_one_build_and_stale_cube_is_served_while_rebuilding(
    tmp_path, monkeypatch
):
    world = make_world(tmp_path)
    builds = []
    real = dashboard.build_cube

    def slow_build(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(time.monotonic())
        time.sleep(0.3)
        return real(session, *args, **kwargs)

    monkeypatch.setattr(dashboard, "build_cube", slow_build)
    cache = CubeCache(world.factory, ttl_s=0.5)
    cache.warm()
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(builds) == 1 and len({id(c) for c in results}) == 1
    assert sum(p.totals.count for p in results[0].parts.values()) == 5
    time.sleep(0.6)  # stale now
    started = time.monotonic()
    stale = cache.get()
    assert stale is results[0] and time.monotonic() - started < 0.2  # no waiting
    deadline = time.monotonic() + 5
    while cache.get() is stale and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get() is not stale and len(builds) == 2
