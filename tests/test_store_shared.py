"""The state web workers share through the store: token buckets that many threads (standing in
for workers) draw from at once, a claim only one of them wins, and graph tokens that only their
user can resolve. On SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from qingfeng.store.db import make_engine, session_factory, upgrade_store
from qingfeng.store.shared import StoreBuckets, StoreNodeRefs, claim_state, read_state


def _factory(store_url: str):  # type: ignore[no-untyped-def]
    upgrade_store(store_url)
    return session_factory(make_engine(store_url))


def test_buckets_hold_one_limit_under_concurrent_takes(store_url: str) -> None:
    factory = _factory(store_url)
    now = [1_000_000.0]
    buckets = StoreBuckets(factory, clock=lambda: now[0])
    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda _i: buckets.take("page", "10.0.0.1", 5, 0.5), range(20)))
    assert taken.count(True) == 5  # no more than the capacity, however the takes interleave
    assert not buckets.has("page", "10.0.0.1", 5, 0.5)
    assert buckets.retry_after("page", "10.0.0.1", 5, 0.5) == 3
    assert buckets.take("page", "10.0.0.2", 5, 0.5)  # another address, its own bucket
    now[0] += 2.0  # one token back at 0.5 per second
    assert buckets.take("page", "10.0.0.1", 5, 0.5)
    assert not buckets.take("page", "10.0.0.1", 5, 0.5)


def test_only_one_claim_wins(store_url: str) -> None:
    factory = _factory(store_url)

    def claim(i: int) -> bool:
        return claim_state(factory, "model_run", lambda current, _at: current is None, {"owner": i})

    with ThreadPoolExecutor(6) as pool:
        won = list(pool.map(claim, range(6)))
    assert won.count(True) == 1
    found = read_state(factory, "model_run")
    assert found is not None and found[0] == {"owner": won.index(True)}


def test_graph_tokens_are_their_users_and_expire(store_url: str) -> None:
    factory = _factory(store_url)
    refs = StoreNodeRefs(factory)
    a, b = refs.issue_many([(7, "person", "330102199001011234"), (7, "organisation", "X1")])
    assert refs.resolve(a, 7) == ("person", "330102199001011234")
    assert refs.resolve(b, 7) == ("organisation", "X1")
    assert refs.resolve(a, 8) is None  # another user
    assert refs.resolve("forged", 7) is None
    assert StoreNodeRefs(factory, ttl=timedelta(seconds=-1)).resolve(a, 7) is None  # expired
