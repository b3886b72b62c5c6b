"""The dashboard: figures per scope, and every figure drills down to a list with the same count."""

from __future__ import annotations

import json
import re
import threading

import pytest

from web_helpers import add_warning, client_for, make_world, sign_in


@pytest.fixture
def world(tmp_path, store_url):
    """On SQLite and, when configured, PostgreSQL."""
    world = make_world(tmp_path, None if store_url.startswith("sqlite") else store_url)
    with world.factory() as s, s.begin():
        add_warning(s, "522701001005", "周九", model_id="payroll_dibao", severity="yellow")
        add_warning(s, "522702003009", "吴十", model_id="payroll_dibao", severity="blue")
    return world


def charts(html: str) -> dict[str, dict]:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(
            r'<script type="application/json" id="chart-(\w+)">(.*?)</script>', html, re.S
        )
    }


def kpi_total(html: str) -> int:
    m = re.search(r'data-testid="kpi-total">([\d,]+)<', html)
    assert m, "no total on the dashboard"
    return int(m.group(1).replace(",", ""))


def list_count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    m = re.search(r"共 ([\d,]+) 条预警", client.get(url).text)
    assert m, url
    return int(m.group(1).replace(",", ""))


def test_totals_follow_the_scope(world):
    assert kpi_total(sign_in(client_for(world), "leader").get("/dashboard").text) == 7
    assert kpi_total(sign_in(client_for(world), "sup_a").get("/dashboard").text) == 4
    assert kpi_total(sign_in(client_for(world), "sup_b").get("/dashboard").text) == 3


def test_every_chart_point_drills_down_to_a_list_of_the_same_size(world):
    client = sign_in(client_for(world), "leader")
    page = client.get("/dashboard")
    assert page.status_code == 200
    found = charts(page.text)
    assert set(found) == {"region", "field", "month", "severity", "loop", "models"}
    checked = 0
    for name, option in found.items():
        for series in option["series"]:
            for item in series["data"]:
                if item.get("url") and item["value"]:
                    assert list_count(client, item["url"]) == item["value"], (name, item)
                    checked += 1
    assert checked >= 10
    regions = found["region"]["xAxis"]["data"]
    assert regions == ["都匀市纪委监委", "福泉市纪委监委"]


def test_cube_refreshes_after_an_action(world, monkeypatch):
    from qingfeng.web.queries import dashboard
    from web_helpers import csrf_from

    client = sign_in(client_for(world), "sup_a")
    before = charts(client.get("/dashboard").text)["loop"]["series"][0]["data"]
    assert before[0]["value"] == 4  # all new
    wid = world.warnings["county_a"][0]
    page = client.get(f"/warnings/{wid}")
    r = client.post(
        f"/warnings/{wid}/actions/dispatch",
        data={"csrf_token": csrf_from(page.text), "org_id": str(world.orgs["township"].id)},
    )
    assert r.status_code == 303
    rebuilds: list[threading.Thread] = []
    started = threading.Event()
    real = dashboard.build_cube

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        rebuilds.append(threading.current_thread())
        started.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard, "build_cube", recorded)
    stale = charts(client.get("/dashboard").text)["loop"]["series"][0]["data"]
    assert stale == before  # the old cube is served at once while the new one is built
    assert started.wait(30) and len(rebuilds) == 1
    rebuilds[0].join(30)  # the background build has stored the new cube
    after = charts(client.get("/dashboard").text)["loop"]["series"][0]["data"]
    assert after[0]["value"] == 3 and after[1]["value"] == 1


def test_roles_without_dashboard_get_403(world):
    assert sign_in(client_for(world), "ver_a").get("/dashboard").status_code == 403


def test_dashboard_in_english(world):
    page = sign_in(client_for(world), "leader").get("/dashboard?lang=en")
    assert "Overdue" in page.text and "Progress through the loop" in page.text


def test_dashboard_shows_funds_screening_held_stopped_and_released(world):
    from decimal import Decimal

    from qingfeng.screening import service
    from qingfeng.store.screening_models import ScreenDecision, ScreenRequest

    with world.factory() as s, s.begin():
        key, _ = service.create_key(s, "民政一卡通", ["subsidy_payments"], ["5227"], "admin")
        request = ScreenRequest(
            key_id=key.id, request_id="D-1", dataset="subsidy_payments", inputs_hash="0" * 64,
            candidates=4, decision="block", snapshot_id="s", response={},
        )  # fmt: skip
        s.add(request)
        s.flush()
        for idx, (status, amount, code) in enumerate(
            [
                ("held", "120.50", "522701001001"),
                ("stopped", "300.00", "522701001002"),
                ("released", "80.00", "522701001001"),
                ("stopped", "999.00", "522702003004"),  # the other county
            ]
        ):
            s.add(
                ScreenDecision(
                    request_pk=request.id, idx=idx, inputs_hash="0" * 64, decision="block",
                    status=status, amount=Decimal(amount), division_code=code, models=[],
                )
            )  # fmt: skip
    page = sign_in(client_for(world), "sup_a").get("/dashboard").text
    held = re.search(r'data-testid="screen-held">(.*?)</div></div>', page, re.S)
    stopped = re.search(r'data-testid="screen-stopped">(.*?)</div></div>', page, re.S)
    released = re.search(r'data-testid="screen-released">(.*?)</div></div>', page, re.S)
    assert held and "¥120.50" in held.group(1) and "暂缓" in held.group(1)
    assert stopped and "¥300.00" in stopped.group(1) and "1 笔" in stopped.group(1)
    assert released and "¥80.00" in released.group(1)
    leader = sign_in(client_for(world), "leader").get("/dashboard").text
    assert "¥1,299.00" in leader  # the city sees both counties' stopped payments
