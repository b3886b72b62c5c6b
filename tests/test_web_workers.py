"""Several web workers behave as one: two `qingfeng serve` processes on their own ports over one
PostgreSQL store and one lake. A model run started on one is watched to the end on the other, a
graph node drawn by one is expanded by the other, and the portal's rate limit counts requests to
both."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from unittest.mock import patch

import duckdb
import httpx
import pytest
from sqlalchemy import create_engine, select, text

from built_in_models import built_in_models
from conftest import PG_URL_ENV, _pg_base_url, _require_or_skip
from qingfeng.store import users as store_users
from qingfeng.store.models import ModelRun
from qingfeng.store.users import create_org, create_user
from qingfeng.subject_library import build_libraries
from qingfeng.subject_library.attach import libraries_dir
from subject_library_data import P, create_county
from test_web_model_runs import MODEL, _publish
from web_helpers import PASSWORD, make_world, password_hash
from web_workers import serving

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = _pg_base_url()
    if not base:
        _require_or_skip(f"{PG_URL_ENV} is not set; the multi-worker test needs PostgreSQL")
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def workspace(tmp_path, pg_url):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path, pg_url)
    ws = world.settings.workspace
    for dataset, rows in built_in_models().get(MODEL).tests[0].tables.items():
        _publish(world.settings.lake_dir, dataset, rows)
    con = duckdb.connect()
    create_county(con)
    build_libraries(con, libraries_dir(world.settings.lake_dir))
    con.close()
    with (
        patch.object(store_users, "hash_password", lambda _p: password_hash()),
        world.factory() as s,
        s.begin(),
    ):
        org = create_org(s, "上城区纪委监委", "county", "330102")
        create_user(s, "sup_hz", PASSWORD, "supervisor", org.id, display_name="上城 监督员")
    # A small page budget, so that the test reaches the limit in a few requests.
    with (ws / "qingfeng.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[portal]\npage_burst = 4\npage_rate = 0.001\n")
    return world


def _signed_in(base: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = CSRF_RE.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 303, r.text
    return client, CSRF_RE.search(client.get("/people").text).group(1)  # type: ignore[union-attr]


def _on(base: str, other: httpx.Client) -> httpx.Client:
    """A client of another worker carrying the same session cookie."""
    return httpx.Client(base_url=base, cookies=other.cookies, follow_redirects=False, timeout=30)


def test_two_workers_share_runs_graph_tokens_and_rate_limits(workspace, pg_url):
    # The builder's city holds this county: the workspace is theirs to run models on.
    env = {"QINGFENG_STORE_URL": pg_url, "QINGFENG_COUNTY_DIVISION_CODE": "522701"}
    ws = workspace.settings.workspace
    with serving(ws, env) as one, serving(ws, env) as two:
        # A model run started on one worker, watched on the other until it is done.
        builder_one, csrf = _signed_in(one, "builder")
        builder_two = _on(two, builder_one)
        r = builder_one.post("/models/run", data={"csrf_token": csrf, "model_ids": MODEL})
        assert r.status_code == 303, r.text
        busy = builder_two.post("/models/run", data={"csrf_token": csrf, "model_ids": MODEL})
        fragment = builder_two.get("/models/run/progress").text
        if 'data-state="running"' in fragment:  # still going: the other worker refuses a second
            assert busy.status_code == 409 and "已有一次模型运行正在进行" in busy.text
        for _ in range(300):
            fragment = builder_two.get("/models/run/progress").text
            if 'data-state="running"' not in fragment:
                break
            time.sleep(0.2)
        assert 'data-state="done"' in fragment and "1 / 1" in fragment and MODEL in fragment
        with workspace.factory() as s:
            runs = s.scalars(select(ModelRun).where(ModelRun.model_id == MODEL)).all()
            assert len(runs) == (1 if busy.status_code == 409 else 2)
            assert all(run.hits == 2 for run in runs)

        # A graph drawn by one worker, expanded by the other.
        sup_one, csrf = _signed_in(one, "sup_hz")
        page = sup_one.post("/people", data={"csrf_token": csrf, "q": P["zhang_min"]}).text
        graph = json.loads(re.search(r'id="chart-lib-graph">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
        company = next(n for n in graph["series"][0]["data"] if "杭州敏捷贸易有限公司" in n["name"])
        sup_two = _on(two, sup_one)
        r = sup_two.post(
            "/people/graph", json={"node": company["expand"]}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 200, r.text
        assert any("张强" in n["name"] for n in r.json()["nodes"])
        # ... and the token is still this user's only, whichever worker is asked.
        builder_csrf = CSRF_RE.search(builder_two.get("/people").text).group(1)  # type: ignore[union-attr]
        r = builder_two.post(
            "/people/graph",
            json={"node": company["expand"]},
            headers={"X-CSRF-Token": builder_csrf},
        )
        assert r.status_code in (403, 404)

        # The portal's page budget (4) is one budget across both workers.
        answers = [httpx.get(f"{base}/public/", timeout=30).status_code for base in (one, two) * 3]
        assert answers[:4] == [200, 200, 200, 200]
        assert answers[4:] == [429, 429]


def test_serve_with_two_worker_processes_answers(workspace, pg_url):
    env = {"QINGFENG_STORE_URL": pg_url}
    with serving(workspace.settings.workspace, env, workers=2) as base:
        client, _csrf = _signed_in(base, "admin")
        assert client.get("/models").status_code == 200
