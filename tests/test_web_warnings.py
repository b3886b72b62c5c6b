"""The warnings list (filters, search, sort, pages, HTMX fragment, export) and detail page."""

from __future__ import annotations

import re

import pytest

from qingfeng.store.models import Warning
from web_helpers import add_warning, client_for, make_world, sign_in


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    with world.factory() as s, s.begin():
        add_warning(
            s,
            "522701001003",
            "张三丰",
            model_id="payroll_dibao",
            severity="orange",
            amount="88000.00",
            status="verifying",
        )
        add_warning(
            s, "522701001003", "钱七", model_id="payroll_dibao", severity="blue", amount="50.00"
        )
    return world


def ids_in(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/warnings/(\d+)"', html)]


def test_filters_by_model_severity_status(world):
    client = sign_in(client_for(world), "sup_a")
    assert len(ids_in(client.get("/warnings?model=payroll_dibao").text)) == 2
    assert len(ids_in(client.get("/warnings?severity=orange").text)) == 1
    page = client.get("/warnings?status=verifying")
    assert len(ids_in(page.text)) == 1 and "张三丰" in page.text
    assert "核查中" in page.text


def test_search_by_name_prefix_and_by_whole_id_only(world):
    client = sign_in(client_for(world), "sup_a")
    assert len(ids_in(client.get("/warnings?q=张三").text)) == 1  # names match by prefix
    # A person's ID number is found whole or not at all: a prefix would rebuild a masked one.
    assert len(ids_in(client.get("/warnings?q=522701").text)) == 0
    with world.factory() as s:
        whole = s.get(Warning, world.warnings["county_a"][0]).subject_id
    assert ids_in(client.get(f"/warnings?q={whole}").text) == [world.warnings["county_a"][0]]
    assert len(ids_in(client.get("/warnings?q=%25").text)) == 0  # a LIKE wildcard is literal


def test_sort_by_amount(world):
    client = sign_in(client_for(world), "sup_a")
    by_amount = client.get("/warnings?sort=amount").text
    assert by_amount.index("¥88,000.00") < by_amount.index("¥1,200.00") < by_amount.index("¥50.00")
    assert client.get("/warnings?sort=severity").status_code == 400  # filter by it instead


def test_pagination_and_htmx_fragment(world):
    with world.factory() as s, s.begin():
        for _ in range(25):
            add_warning(s, "522701001009", "孙八")
    client = sign_in(client_for(world), "sup_a")
    first = client.get("/warnings?per_page=20")
    assert "共 30 条预警" in first.text and "第 1 / 2 页" in first.text
    second = client.get("/warnings?per_page=20&page=2", headers={"HX-Request": "true"})
    assert second.status_code == 200
    assert not second.text.lstrip().startswith("<!doctype")  # the partial only
    assert 'id="warnings-table"' in second.text
    assert len(ids_in(second.text)) == 10
    assert set(ids_in(first.text)).isdisjoint(ids_in(second.text))
    # A page past the end shows the last page instead of an empty table.
    assert len(ids_in(client.get("/warnings?per_page=20&page=99").text)) == 10


def test_export_follows_the_filters(world):
    client = sign_in(client_for(world), "sup_a")
    r = client.get("/warnings/export.csv?model=payroll_dibao&sort=amount")
    rows = r.text.lstrip("\ufeff").strip().splitlines()
    assert rows[0].startswith("预警编号,模型编号,监督模型,预警级别,办理状态")
    assert len(rows) == 3 and ",88000.00," in rows[1]
    assert r.headers["content-type"].startswith("text/csv")
    # Labels, not codes, in the reader's language; times in the pages' time zone.
    severity, status, subject_type = rows[1].split(",")[3:6]
    assert (severity, status, subject_type) == ("橙色", "核查中", "个人")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", rows[1])
    english = client.get("/warnings/export.csv?model=payroll_dibao&sort=amount&lang=en")
    head, first = english.text.lstrip("\ufeff").strip().splitlines()[:2]
    assert head.startswith("Warning no.,Model id,Model,Severity,Status")
    assert first.split(",")[3:6] == ["Orange", "Verifying", "Person"]


def test_export_link_only_for_roles_that_may_export(world):
    assert "export.csv" in sign_in(client_for(world), "sup_a").get("/warnings").text
    verifier = sign_in(client_for(world), "ver_a")
    assert "export.csv" not in verifier.get("/warnings").text
    assert verifier.get("/warnings/export.csv").status_code == 403


def test_detail_shows_explanation_evidence_and_masks_ids(world):
    client = sign_in(client_for(world), "sup_a")
    wid = world.warnings["county_a"][0]
    page = client.get(f"/warnings/{wid}")
    assert "死亡，此后仍领取高龄补贴3次" in page.text
    assert "2024-01-03" in page.text  # evidence row
    assert "证据数据" in page.text and "办理记录" in page.text
    # The full 18-digit ID number never appears, only its masked form.
    assert not re.search(r"\b5227\d{14}\b", page.text)
    assert "5227**********" in page.text


def test_names_masked_for_roles_without_people_access(world):
    leader = sign_in(client_for(world), "leader").get("/warnings").text
    assert "王*明" in leader and "王小明" not in leader
    supervisor = sign_in(client_for(world), "sup_a").get("/warnings").text
    assert "王小明" in supervisor


def test_saved_views_round_trip_through_the_loop(world):
    from web_helpers import csrf_from

    client = sign_in(client_for(world), "sup_a")
    page = client.get("/warnings?severity=orange&sort=amount")
    token = csrf_from(page.text)
    r = client.post(
        "/warnings/views",
        data={"csrf_token": token, "name": "橙色大额", "qs": "severity=orange&sort=amount"},
    )
    assert r.status_code == 303
    listing = client.get("/warnings").text
    assert "橙色大额" in listing and 'href="/warnings?severity=orange&amp;sort=amount"' in listing
    refused = client.post(
        "/warnings/views", data={"csrf_token": token, "name": "x", "qs": "q=张三"}
    )
    assert refused.status_code == 400
    view_id = re.search(r"/warnings/views/(\d+)/delete", listing).group(1)
    assert (
        client.post(f"/warnings/views/{view_id}/delete", data={"csrf_token": token}).status_code
        == 303
    )
    assert "橙色大额" not in client.get("/warnings").text
    # Another user's view id cannot be deleted.
    other = sign_in(client_for(world), "sup_b")
    client.post("/warnings/views", data={"csrf_token": token, "name": "mine", "qs": "severity=red"})
    mine = re.search(r"/warnings/views/(\d+)/delete", client.get("/warnings").text).group(1)
    other_token = csrf_from(other.get("/warnings").text)
    assert (
        other.post(f"/warnings/views/{mine}/delete", data={"csrf_token": other_token}).status_code
        == 404
    )


def test_roles_without_people_access_read_names_masked_everywhere(world):
    wid = world.warnings["county_a"][0]
    leader = sign_in(client_for(world), "leader")
    detail = leader.get(f"/warnings/{wid}").text
    assert "王小明" not in detail and "王*明" in detail  # explanation and facts
    export = leader.get("/warnings/export.csv").text
    assert "王小明" not in export and "张三丰" not in export
    supervisor = sign_in(client_for(world), "sup_a").get(f"/warnings/{wid}").text
    assert "王小明于2024-01-03死亡" in supervisor
