"""The people profile from the subject and relationship libraries: identity, household, relatives,
companies, subsidies; the scope rule (registry division inside the user's area); masking; and the
relationship graph growing hop by hop through an audited, scoped endpoint."""

from __future__ import annotations

import json
import re
from unittest.mock import patch

import duckdb
import pytest
from sqlalchemy import select

from qingfeng.lake.store import Batch, Lake, new_batch_id, now_iso
from qingfeng.store import users as store_users
from qingfeng.store.models import AuditLog
from qingfeng.store.users import create_org, create_user
from qingfeng.subject_library import build_libraries
from qingfeng.subject_library.attach import libraries_dir
from subject_library_data import ORG, P, create_county
from web_helpers import PASSWORD, client_for, csrf_from, make_world, password_hash, sign_in

ZHANG_MIN = P["zhang_min"]


def _publish_subsidies(con: duckdb.DuckDBPyConnection, lake_dir) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(lake_dir)
    batch_id = new_batch_id("0" * 64)
    staging = lake.staging_dir(batch_id)
    con.execute(f"COPY subsidy_payments TO '{staging / 'part-0.parquet'}' (FORMAT parquet)")
    rel = f"subsidy_payments/batch={batch_id}"
    lake.publish(
        Batch(
            batch_id=batch_id,
            dataset="subsidy_payments",
            source="民政_补贴.csv",
            sha256="0" * 64,
            created_at=now_iso(),
            files=[f"{rel}/part-0.parquet"],
            counts={"rows": 2},
        ),
        {rel: staging},
    )


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    con = duckdb.connect()
    create_county(con)
    build_libraries(con, libraries_dir(world.settings.lake_dir))
    _publish_subsidies(con, world.settings.lake_dir)
    con.close()
    with (
        patch.object(store_users, "hash_password", lambda _p: password_hash()),
        world.factory() as s,
        s.begin(),
    ):
        here = create_org(s, "上城区纪委监委", "county", "330102")
        there = create_org(s, "拱墅区纪委监委", "county", "330105")
        create_user(s, "sup_hz", PASSWORD, "supervisor", here.id, display_name="上城 监督员")
        create_user(s, "sup_far", PASSWORD, "supervisor", there.id, display_name="拱墅 监督员")
    return world


def _search(client, identifier: str, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/people").text)
    return client.post("/people", data={"csrf_token": token, "q": identifier, **extra})


def _graph(html: str) -> dict:
    found = re.search(r'id="chart-lib-graph">(.*?)</script>', html, re.S)
    assert found, "no library graph on the page"
    return json.loads(found.group(1))


def test_profile_from_the_libraries_inside_the_area(world):
    client = sign_in(client_for(world), "sup_hz")
    page = _search(client, ZHANG_MIN)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-testid="library-profile"' in html and "张敏" in html
    # Masked everywhere (graph included); only the unmask form carries back what was typed.
    assert html.count(ZHANG_MIN) == 1 and f'name="q" value="{ZHANG_MIN}"' in html
    assert ZHANG_MIN[:4] + "**********" + ZHANG_MIN[-4:] in html
    for section in ("relatives", "companies", "subsidies"):
        assert f'data-testid="lib-{section}"' in html, section
    assert "张伟" in html and P["zhang_wei"] not in html  # a relative, masked
    assert "杭州敏捷贸易有限公司" in html  # legal representative
    assert "高龄补贴" in html
    graph = _graph(html)["series"][0]
    assert graph["type"] == "graph" and len(graph["data"]) > 3
    assert all(ZHANG_MIN not in json.dumps(n) for n in graph["data"])


def test_people_outside_the_area_are_not_found(world):
    far = sign_in(client_for(world), "sup_far")
    assert _search(far, ZHANG_MIN).status_code == 404


def test_unmasking_shows_relatives_ids_with_a_reason(world):
    client = sign_in(client_for(world), "sup_hz")
    page = _search(client, ZHANG_MIN, unmask="1", reason="核查补贴线索需要")
    assert page.status_code == 200
    assert ZHANG_MIN in page.text and P["zhang_wei"] in page.text


def test_graph_expands_hop_by_hop_scoped_and_audited(world):
    client = sign_in(client_for(world), "sup_hz")
    html = _search(client, ZHANG_MIN).text
    company = next(
        n for n in _graph(html)["series"][0]["data"] if "杭州敏捷贸易有限公司" in n["name"]
    )
    assert ORG["company"] not in company["expand"]  # an opaque token, not the credit code
    headers = {"X-CSRF-Token": csrf_from(html)}
    r = client.post("/people/graph", json={"node": company["expand"]}, headers=headers)
    assert r.status_code == 200, r.text
    part = r.json()
    names = [n["name"] for n in part["nodes"]]
    assert any("张强" in n for n in names)  # a shareholder of the company
    assert any("杭州控股有限公司" in n for n in names)  # the corporate shareholder
    # every edge touches the expanded company, drawn from the side that holds the relation
    centre = company["expand"]
    assert all(centre in (link["source"], link["target"]) for link in part["links"])
    assert any(link["target"] == centre and link["value"] == "股东" for link in part["links"])
    assert client.post("/people/graph", json={"node": company["expand"]}).status_code == 403
    assert client.post("/people/graph", json={"node": "forged"}, headers=headers).status_code == 404
    # Another user cannot use this user's node ids.
    far = sign_in(client_for(world), "sup_far")
    far_headers = {"X-CSRF-Token": csrf_from(far.get("/people").text)}
    r = far.post("/people/graph", json={"node": company["expand"]}, headers=far_headers)
    assert r.status_code == 404
    with world.factory() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "person.graph_expand")).all()
        assert [(a.actor, a.object_type) for a in rows] == [("sup_hz", "organisation")]
        assert ORG["company"] not in json.dumps(rows[0].detail) + rows[0].object_id
