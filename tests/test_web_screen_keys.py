"""The paying-system keys page (付款系统密钥): an administrator creates a key scoped to datasets
and areas (shown once), rotates and revokes it; the key then opens, or no longer opens,
POST /api/v1/screen; other roles are refused; every change is audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from qingfeng.screening import service
from qingfeng.store.models import AuditLog
from web_helpers import client_for, csrf_from, make_world, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:.*expression-based index")

TOKEN_RE = re.compile(r'data-testid="token-value">(qfs_[^<]+)<')


@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    return make_world(tmp_path)


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    token = csrf_from(client.get("/screen-keys").text)
    return client.post(url, data={"csrf_token": token, **data})


def _token(html: str) -> str:
    match = TOKEN_RE.search(html)
    assert match, "the new key is not on the page"
    return match.group(1)


def _screen(client: Any, token: str) -> Any:
    return client.post(
        "/api/v1/screen",
        json={"request_id": "K-1", "candidates": []},
        headers={"X-API-Key": token},
    )


def test_create_rotate_revoke_through_the_page(world) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), "admin")
    page = client.get("/screen-keys")
    assert page.status_code == 200
    assert "付款系统密钥" in page.text and "subsidy_payments" in page.text

    created = _post(
        client,
        "/screen-keys",
        {"name": "民政一卡通", "datasets": ["subsidy_payments"], "areas": "522701，522702"},
    )
    assert created.status_code == 200
    token = _token(created.text)
    assert "只显示这一次" in created.text
    with world.factory() as s:
        (key,) = service.list_keys(s)
        assert key.datasets == ["subsidy_payments"] and key.areas == ["522701", "522702"]
        assert token not in key.key_hash and key.prefix in token
    # shown once: the list shows the prefix, never the key again
    assert token not in client.get("/screen-keys").text
    assert _screen(client, token).status_code != 401

    rotated = _post(client, f"/screen-keys/{key.prefix}/rotate", {})
    assert rotated.status_code == 200
    new_token = _token(rotated.text)
    assert new_token != token
    assert _screen(client, token).status_code == 401
    assert _screen(client, new_token).status_code != 401

    new_prefix = new_token.split("_")[1]
    revoked = _post(client, f"/screen-keys/{new_prefix}/revoke", {})
    assert revoked.status_code == 303
    listing = client.get("/screen-keys").text
    assert f"密钥 {new_prefix} 已吊销" in listing
    assert _screen(client, new_token).status_code == 401

    with world.factory() as s:
        actions = [a.action for a in s.scalars(select(AuditLog))]
    for action in ("screen.key_create", "screen.key_rotate", "screen.key_revoke"):
        assert action in actions


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "datasets": ["subsidy_payments"], "areas": "522701"}, "name"),
        ({"name": "甲", "areas": "522701"}, "at least one dataset"),
        ({"name": "甲", "datasets": ["subsidy_payments"], "areas": "52a"}, "52a"),
        ({"name": "甲", "datasets": ["subsidy_payments"], "areas": ""}, "area"),
        ({"name": "甲", "datasets": ["contracts"], "areas": "522701"}, "contracts"),
    ],
)
def test_bad_forms_are_refused_naming_the_field(world, form, message) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), "admin")
    answer = _post(client, "/screen-keys", form)
    assert answer.status_code == 400
    assert message in answer.text
    assert "token-value" not in answer.text
    with world.factory() as s:
        assert service.list_keys(s) == []


def test_unknown_prefix_and_other_roles(world) -> None:  # type: ignore[no-untyped-def]
    admin = sign_in(client_for(world), "admin")
    assert _post(admin, "/screen-keys/000000000000/revoke", {}).status_code == 404
    supervisor = sign_in(client_for(world), "sup_a")
    assert supervisor.get("/screen-keys").status_code == 403
    assert "/screen-keys" not in supervisor.get("/dashboard").text
