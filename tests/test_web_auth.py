"""Sign-in, sessions, CSRF and lock-out of the back office."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from qingfeng.store.models import SavedFilter, User
from qingfeng.web.app import create_app
from web_helpers import PASSWORD, all_routes, client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def test_pages_need_sign_in(world):
    client = client_for(world)
    response = client.get("/warnings?severity=red")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/warnings%3Fseverity%3Dred"


def test_sign_in_lands_on_role_home_and_shows_chinese(world):
    client = client_for(world)
    sign_in(client, "sup_a")
    home = client.get("/")
    assert home.headers["location"] == "/warnings?queue=to_dispatch"  # the queue 待分办
    page = client.get("/warnings")
    assert page.status_code == 200
    assert "预警管理" in page.text and "都匀市纪委监委" in page.text


def test_wrong_password_is_refused_without_saying_which_part(world):
    client = client_for(world)
    token = csrf_from(client.get("/login").text)
    for user in ("sup_a", "nobody"):
        r = client.post(
            "/login", data={"username": user, "password": "wrong pass 1", "csrf_token": token}
        )
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text
    assert client.get("/warnings").status_code == 303


def test_failures_slow_one_client_down_without_locking_the_account(world):
    client = client_for(world)
    token = csrf_from(client.get("/login").text)
    answers = []
    for _ in range(6):
        r = client.post(
            "/login", data={"username": "sup_a", "password": "nope nope 1", "csrf_token": token}
        )
        answers.append(r.status_code)
    assert answers == [401] * 6
    r = client.post("/login", data={"username": "sup_a", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "尝试次数过多" in r.text
    with world.factory() as s:
        user = s.scalar(select(User).where(User.username == "sup_a"))
        assert user is not None and user.locked_until is None  # nothing a stranger can lock
    # The owner, from another address, signs in at once; another account is untouched.
    elsewhere = TestClient(
        create_app(world.settings), follow_redirects=False, client=("10.9.8.7", 50000)
    )
    sign_in(elsewhere, "sup_a")
    sign_in(client_for(world), "sup_b")


def test_login_without_csrf_token_is_refused(world):
    client = client_for(world)
    client.get("/login")
    r = client.post("/login", data={"username": "sup_a", "password": PASSWORD})
    assert r.status_code == 403
    r = client.post(
        "/login", data={"username": "sup_a", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403


def test_logout_needs_csrf_and_ends_the_session(world):
    client = sign_in(client_for(world), "sup_a")
    assert client.post("/logout").status_code == 403
    token = csrf_from(client.get("/warnings").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/warnings").status_code == 303


def test_every_page_post_route_checks_csrf(world):
    """Walk the app's routes: every unsafe page route answers 403 without a token."""
    from fastapi.testclient import TestClient

    from qingfeng.portal.models import Complaint, Publication, PublicationVersion
    from qingfeng.store.models import Warning
    from qingfeng.web.app import create_app

    app = create_app(world.settings)
    client = sign_in(TestClient(app, follow_redirects=False), "admin")
    with world.factory() as s, s.begin():  # id 1 of every kind is the admin's to touch
        admin_id = s.scalar(select(User.id).where(User.username == "admin"))
        s.add(SavedFilter(id=1, user_id=admin_id, name="mine", query={}))
        # a county-wide disclosure: its routes are in the admin's scope, so CSRF is what refuses
        s.add(Publication(id=1, kind="subsidy_roll", title="t", created_by="admin"))
        s.add(
            PublicationVersion(id=1, publication_id=1, version_no=1, title="t", created_by="admin")
        )
        warning = s.get(Warning, 1)
        s.add(
            Complaint(
                complaint_no="1", tracking_hash="0" * 64, division_code=warning.division_code,
                category="other", title="t", content="c", created_month="2024-01",
                warning_id=warning.id,
            )
        )  # fmt: skip
    checked = []
    for path, methods in all_routes(app.routes):
        if path.startswith("/api/") or not (methods & {"POST", "PUT", "PATCH", "DELETE"}):
            continue
        if path.startswith("/public/"):
            # The public portal's forms are anonymous (no session to ride on) and carry its own
            # signed, single-use challenge instead; tests/test_portal_security.py covers them.
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = client.post(url, data={"x": "1"})
        assert r.status_code == 403, f"{url} accepted a POST without CSRF token ({r.status_code})"
        checked.append(url)
    assert "/logout" in checked and "/login" in checked


def test_password_change_invalidates_old_sessions(world):
    client = sign_in(client_for(world), "sup_a")
    assert client.get("/warnings").status_code == 200
    from qingfeng.store.users import hash_password

    with world.factory() as s, s.begin():
        user = s.scalar(select(User).where(User.username == "sup_a"))
        assert user is not None
        user.password_hash = hash_password("another pass 9")
    assert client.get("/warnings").status_code == 303


def test_session_cookie_is_httponly_and_samesite(world):
    client = client_for(world)
    page = client.get("/login")
    cookie = page.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_next_parameter_cannot_send_users_to_another_site(world):
    client = client_for(world)
    token = csrf_from(client.get("/login").text)
    r = client.post(
        "/login",
        data={
            "username": "sup_a",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert r.headers["location"] == "/warnings?queue=to_dispatch"


def test_role_without_area_gets_403(world):
    client = sign_in(client_for(world), "data")
    r = client.get("/warnings")
    assert r.status_code == 403
    assert "无权访问" in r.text


def test_create_app_refuses_missing_secret(world):
    from qingfeng.settings import load_settings
    from qingfeng.web.app import ConfigurationError, create_app

    with pytest.raises(ConfigurationError, match="secret_key"):
        create_app(load_settings(world.settings.workspace, secret_key=""))
