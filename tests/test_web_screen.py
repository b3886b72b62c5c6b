"""The leader's big screen: every tile and chart element opens a list of the size it shows, and
a case archived with funds recovered shows on the screen within seconds, not after the cache's
minute."""

from __future__ import annotations

import base64
import html
import json
import re
import time

import pytest
from fastapi.testclient import TestClient

from qingfeng.store.users import create_user
from qingfeng.web.app import create_app
from web_helpers import PASSWORD, add_warning, client_for, make_world, sign_in


@pytest.fixture
def world(tmp_path, store_url):
    """On SQLite and, when configured, PostgreSQL."""
    world = make_world(tmp_path, None if store_url.startswith("sqlite") else store_url)
    with world.factory() as s, s.begin():
        add_warning(s, "522701001005", "周九", model_id="payroll_dibao", status="dispatched")
        add_warning(s, "522701001005", "郑十", severity="yellow", amount="800.00")
        add_warning(s, "522702003009", "吴十", model_id="payroll_dibao", status="archived")
        add_warning(s, None, "无区划", amount="50.00")
        # Periods of other shapes: a day falls in its month, a year is a bucket of its own.
        add_warning(s, "522701001005", "冯一", status="archived").period = "2024-05-17"
        add_warning(s, "522701001005", "陈二", status="archived").period = "2024"
        create_user(s, "ver_t", PASSWORD, "verifier", world.orgs["township"].id)
    return world


def list_count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    page = client.get(html.unescape(url))
    assert page.status_code == 200, (url, page.text[-400:])
    m = re.search(r"共 ([\d,]+) 条预警", page.text)
    assert m, url
    return int(m.group(1).replace(",", ""))


def tiles(page: str) -> dict[str, tuple[str, int]]:
    """Division code → (list URL, open leads) of every map tile."""
    return {
        code: (href, int(n))
        for href, code, n in re.findall(
            r'href="([^"]+)"\s+data-testid="tile-(\d+)" data-open="(\d+)"', page
        )
    }


def charts(page: str) -> dict[str, dict]:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(
            r'<script type="application/json" id="chart-(\w+)">(.*?)</script>', page, re.S
        )
    }


def test_every_tile_and_chart_element_drills_to_a_list_of_its_size(world):
    client = sign_in(client_for(world), "leader")
    page = client.get("/dashboard/screen")
    assert page.status_code == 200
    found = tiles(page.text)
    # Townships and villages by division code; an archived lead is not open.
    assert {c: n for c, (_u, n) in found.items()} == {
        "522701001": 5,
        "522701001002": 3,
        "522701001005": 2,
        "522702003": 2,
        "522702003004": 2,
    }
    for code, (url, n) in found.items():
        assert list_count(client, url) == n, code
    # The KPI counts the open leads of the whole scope, and its list agrees.
    open_kpi = re.search(r'data-testid="screen-open">([\d,]+)<', page.text)
    assert open_kpi and int(open_kpi.group(1)) == 7
    assert list_count(client, "/warnings?open=1") == 7
    checked = 0
    drawn = charts(page.text)
    assert {"period", "found", "severity", "loop", "field"} <= set(drawn)
    for name, option in drawn.items():
        for series in option["series"]:
            for item in series["data"]:
                if item.get("url") and item["value"]:
                    assert list_count(client, item["url"]) == item["value"], (name, item)
                    checked += 1
    assert checked >= 12
    # The period trend is by the period of the irregularity, not by the day it was found.
    periods = drawn["period"]["xAxis"]["data"]
    assert periods == sorted(periods) and "2024" in periods
    assert all(re.fullmatch(r"2024(-\d\d)?", p) for p in periods)


def test_units_ranked_by_overdue_drill_to_their_overdue_items(world):
    from datetime import UTC, datetime, timedelta

    from qingfeng.store.models import Warning

    with world.factory() as s, s.begin():
        for wid in world.warnings["county_a"][:2]:
            w = s.get(Warning, wid)
            w.status, w.org_id = "verifying", world.orgs["township"].id
            w.due_at = datetime.now(UTC) - timedelta(days=3)
    client = sign_in(client_for(world), "leader")
    units = charts(client.get("/dashboard/screen").text)["units"]
    assert units["yAxis"]["data"] == ["广惠街道纪工委"]
    item = units["series"][0]["data"][0]
    assert item["value"] == 2 and list_count(client, item["url"]) == 2


def _api(client, user: str, path: str, body: dict) -> dict:  # type: ignore[no-untyped-def]
    token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    r = client.post(path, json=body, headers={"Authorization": f"Basic {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_funds_recovered_show_within_seconds_of_an_archive_through_the_api(world):
    app = create_app(world.settings)  # one server: the leader's browser and an API caller
    client = sign_in(TestClient(app, follow_redirects=False), "leader")
    funds = re.compile(r'data-testid="screen-funds"[^>]*>([^<]+)<')
    assert funds.search(client.get("/dashboard/screen").text).group(1) == "¥0.00"  # type: ignore[union-attr]
    api = TestClient(app, follow_redirects=False)
    wid = world.warnings["county_a"][0]
    url = f"/api/v1/warnings/{wid}/actions"
    _api(api, "sup_a", f"{url}/dispatch", {"org_id": world.orgs["township"].id})
    _api(api, "ver_t", f"{url}/accept", {})
    body = {"finding": "confirmed", "measures": ["funds_recovered"], "funds_recovered": "3600"}
    _api(api, "ver_t", f"{url}/dispose", body)
    _api(api, "ver_t", f"{url}/feedback", {"report": "已整改"})
    _api(api, "ver_t", f"{url}/follow_up", {})
    _api(api, "ver_t", f"{url}/archive", {"note": "已追缴"})
    # The commit marked the figures stale: the next request starts a rebuild (it may still be
    # served the old figures); well within the minute the screen shows the money.
    deadline = time.monotonic() + 10
    shown = ""
    while time.monotonic() < deadline:
        page = client.get("/dashboard/screen").text
        shown = funds.search(page).group(1)  # type: ignore[union-attr]
        if shown == "¥3,600.00":
            break
        time.sleep(0.2)
    assert shown == "¥3,600.00"
    assert "¥3,600.00" in client.get("/dashboard").text


def test_screen_in_english_and_refused_without_the_dashboard(world):
    page = sign_in(client_for(world), "leader").get("/dashboard/screen?lang=en&metric=amount")
    assert page.status_code == 200
    assert "Townships and villages" in page.text and "Units ranked by overdue items" in page.text
    assert 'hx-trigger="every 60s"' in page.text
    assert sign_in(client_for(world), "ver_a").get("/dashboard/screen").status_code == 403
    bad = sign_in(client_for(world), "leader").get("/dashboard/screen?metric=x")
    assert bad.status_code in (400, 422)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("period=2024/05", "period"),
        ("open=yes", "open"),
        ("org=-1", "org"),
        ("density=x", "density"),
    ],
)
def test_new_list_filters_refuse_bad_values_naming_them(world, query, names):
    page = sign_in(client_for(world), "leader").get(f"/warnings?{query}")
    assert page.status_code == 400 and names in html.unescape(page.text)


def visible_text(page: str) -> str:
    """What a reader sees: the page without its scripts, styles, tags and attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screen_shows_no_codes_in_either_language(world, lang):
    client = sign_in(client_for(world), "leader")
    page = client.get(f"/dashboard/screen?lang={lang}")
    text = visible_text(page.text)
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text)  # snake_case identifiers
    assert not re.findall(r"\b(?:screen|dash|status|severity|field)\.[a-z_.]+\b", text)
    labels = [
        label
        for option in charts(page.text).values()
        for axis in ("xAxis", "yAxis")
        for label in (option.get(axis) or {}).get("data", [])
    ] + [
        item["name"]
        for option in charts(page.text).values()
        for s in option["series"]
        for item in s["data"]
        if "name" in item
    ]
    assert not [x for x in labels if re.fullmatch(r"[a-z_]+", x)], labels
    if lang == "zh":
        assert not re.search(r"[A-Za-z]{4,}", text.replace("English", "")), text
