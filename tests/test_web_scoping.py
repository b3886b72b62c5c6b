"""Organisational scope in the back office: a county sees only its own warnings, whatever URL,
id, filter or form field is typed."""

from __future__ import annotations

import pytest

from web_helpers import client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path, store_url):
    """On SQLite and, when configured, PostgreSQL."""
    return make_world(tmp_path, None if store_url.startswith("sqlite") else store_url)


def test_county_supervisor_lists_only_own_county(world):
    client = sign_in(client_for(world), "sup_a")
    page = client.get("/warnings")
    assert "共 3 条预警" in page.text
    for wid in world.warnings["county_a"]:
        assert f'href="/warnings/{wid}"' in page.text
    for wid in world.warnings["county_b"]:
        assert f'href="/warnings/{wid}"' not in page.text


def test_other_countys_warning_id_is_404(world):
    client = sign_in(client_for(world), "sup_a")
    own = world.warnings["county_a"][0]
    other = world.warnings["county_b"][0]
    assert client.get(f"/warnings/{own}").status_code == 200
    r = client.get(f"/warnings/{other}")
    assert r.status_code == 404
    assert "不在您的管辖范围内" in r.text
    # A warning that does not exist at all answers exactly the same.
    assert client.get("/warnings/999999").status_code == 404


def test_region_filter_cannot_widen_the_scope(world):
    client = sign_in(client_for(world), "sup_a")
    for region in ("522702", "52", "5227"):
        page = client.get(f"/warnings?region={region}")
        assert page.status_code == 200
        for wid in world.warnings["county_b"]:
            assert f'href="/warnings/{wid}"' not in page.text


def test_search_by_other_countys_id_finds_nothing(world):
    client = sign_in(client_for(world), "sup_a")
    page = client.get("/warnings?q=522702")
    assert "没有符合条件的预警" in page.text


def test_export_is_scoped_and_masks_ids(world):
    client = sign_in(client_for(world), "sup_a")
    r = client.get("/warnings/export.csv")
    assert r.status_code == 200
    lines = r.text.strip().splitlines()
    assert len(lines) == 1 + 3
    assert all("522702" not in line for line in lines[1:])
    assert "********" in lines[1]


def test_city_leader_sees_both_counties(world):
    client = sign_in(client_for(world), "leader")
    page = client.get("/warnings")
    assert "共 5 条预警" in page.text


def test_township_scope_is_narrower_than_its_county(world):
    from qingfeng.store.users import create_user
    from web_helpers import PASSWORD, add_warning

    with world.factory() as s, s.begin():
        create_user(s, "town", PASSWORD, "supervisor", world.orgs["township"].id)
        outside = add_warning(s, "522701002001", "赵六").id  # same county, other township
    client = sign_in(client_for(world), "town")
    page = client.get("/warnings")
    assert "共 3 条预警" in page.text
    assert client.get(f"/warnings/{outside}").status_code == 404


def test_bad_filter_value_is_a_clear_400(world):
    client = sign_in(client_for(world), "sup_a")
    r = client.get("/warnings?severity=purple")
    assert r.status_code == 400
    assert "severity" in r.text
    r = client.get("/warnings?region=52%25")
    assert r.status_code == 400 and "region" in r.text
    r = client.get("/warnings?page=0")
    assert r.status_code == 400 and "page" in r.text


def test_logout_form_carries_token(world):
    client = sign_in(client_for(world), "sup_a")
    assert csrf_from(client.get("/warnings").text)
