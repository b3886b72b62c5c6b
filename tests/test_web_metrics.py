"""/healthz for load balancers and /metrics for Prometheus: figures read from the store and the
lake (the same whichever worker answers), the token that guards them, and no personal data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from qingfeng.web.app import create_app
from qingfeng.web.metrics import observe_screening
from web_helpers import make_world

TOKEN = "scrape-token-0123456789"


def test_health_is_public_and_says_what_fails(tmp_path):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    client = TestClient(create_app(world.settings))
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    world.settings.store_url = f"sqlite:///{tmp_path}/missing/dir/store.db"
    broken = TestClient(create_app(world.settings))
    r = broken.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "fail" and "store" in r.json()


def test_metrics_need_their_token_and_count_from_the_store(tmp_path):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    assert TestClient(create_app(world.settings)).get("/metrics").status_code == 404  # off
    world.settings.metrics_token = TOKEN
    app = create_app(world.settings)
    client = TestClient(app)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    for seconds in (0.004, 0.03, 0.3, 30.0):
        observe_screening(app.state.sessions, seconds)
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    body = r.text
    assert 'qingfeng_warnings{status="new"} 5' in body  # the five warnings of the world
    assert 'qingfeng_queue_oldest_age_seconds{status="new"}' in body
    assert 'qingfeng_screening_latency_seconds_bucket{le="0.01"} 1' in body
    assert 'qingfeng_screening_latency_seconds_bucket{le="0.5"} 3' in body
    assert 'qingfeng_screening_latency_seconds_bucket{le="+Inf"} 4' in body
    assert "qingfeng_screening_latency_seconds_count 4" in body
    assert "王小明" not in body and "522701001002" not in body  # counts only, no one named
    # Another app over the same store (another worker) reports the same histogram.
    other = TestClient(create_app(world.settings))
    again = other.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "qingfeng_screening_latency_seconds_count 4" in again
