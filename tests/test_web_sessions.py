"""Sessions held in the store and sign-in that resists abuse: a replayed cookie after sign-out,
a password change, a disabled or locked account; throttling per client and per account; the
same answer for known and unknown names; every failure audited."""

from __future__ import annotations

import base64
import statistics
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from qingfeng.store.models import AuditLog, User, WebSession, utcnow
from qingfeng.web.app import SESSION_COOKIE, create_app
from web_helpers import PASSWORD, client_for, csrf_from, make_world, sign_in


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return make_world(tmp_path)
    store_url = request.getfixturevalue("store_url_pg")
    return make_world(tmp_path, store_url)


@pytest.fixture
def store_url_pg(tmp_path):  # type: ignore[no-untyped-def]
    import uuid

    from sqlalchemy import create_engine, text

    from conftest import PG_URL_ENV, _pg_base_url, _require_or_skip

    base = _pg_base_url()
    if not base:
        _require_or_skip(f"{PG_URL_ENV} is not set; PostgreSQL store tests skipped")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _replay(world, cookie: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A different browser that only has the saved cookie."""
    thief = client_for(world)
    thief.cookies.set(SESSION_COOKIE, cookie)
    return thief


def _signed_in_cookie(world, username: str = "sup_a") -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), username)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return client, cookie


def test_cookie_holds_only_a_random_token(world) -> None:  # type: ignore[no-untyped-def]
    _client, cookie = _signed_in_cookie(world)
    assert "." not in cookie and len(cookie) < 64  # no signed payload, just the token
    assert b"uid" not in base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    with world.factory() as s:
        rows = s.scalars(select(WebSession)).all()
        assert [r.data.get("uid") for r in rows if r.user_id is not None] == [
            s.scalar(select(User.id).where(User.username == "sup_a"))
        ]
        assert all(r.id != cookie for r in rows)  # the store keeps only its hash


def test_cookie_replayed_after_logout_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    client, cookie = _signed_in_cookie(world)
    warning = world.warnings["county_a"][0]
    assert _replay(world, cookie).get("/api/v1/me").status_code == 200
    token = csrf_from(client.get("/warnings").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    thief = _replay(world, cookie)
    assert thief.get("/api/v1/me").status_code == 401
    page = thief.get(f"/warnings/{warning}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_sign_in_issues_a_new_token(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world)
    client.get("/login")
    before = client.cookies.get(SESSION_COOKIE)
    assert before
    sign_in(client, "sup_a")
    after = client.cookies.get(SESSION_COOKIE)
    assert after and after != before
    assert _replay(world, before).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("change", ["disable", "lock", "password_reset"])
def test_disable_lock_or_reset_ends_open_sessions(world, change: str) -> None:  # type: ignore[no-untyped-def]
    _, cookie = _signed_in_cookie(world, "sup_a")
    if change == "lock":
        with world.factory() as s, s.begin():
            s.execute(
                update(User)
                .where(User.username == "sup_a")
                .values(locked_until=utcnow() + timedelta(minutes=15))
            )
    else:
        admin = sign_in(client_for(world), "admin")
        with world.factory() as s:
            uid = s.scalar(select(User.id).where(User.username == "sup_a"))
        token = csrf_from(admin.get("/users").text)
        if change == "disable":
            r = admin.post(f"/users/{uid}/disable", data={"csrf_token": token})
        else:
            r = admin.post(
                f"/users/{uid}/password",
                data={"csrf_token": token, "password": "brand new pass 7"},
            )
        assert r.status_code == 303, r.text
        with world.factory() as s:
            assert s.scalars(select(WebSession).where(WebSession.user_id == uid)).all() == []
    thief = _replay(world, cookie)
    assert thief.get("/api/v1/me").status_code == 401
    assert thief.get("/warnings").status_code == 303


def test_idle_session_ends(world) -> None:  # type: ignore[no-untyped-def]
    _, cookie = _signed_in_cookie(world)
    idle = timedelta(minutes=world.settings.session_idle_minutes + 1)
    with world.factory() as s, s.begin():
        s.execute(update(WebSession).values(last_seen_at=utcnow() - idle))
    assert _replay(world, cookie).get("/api/v1/me").status_code == 401


def test_absolute_timeout_ends_a_busy_session(world) -> None:  # type: ignore[no-untyped-def]
    _, cookie = _signed_in_cookie(world)
    age = timedelta(hours=world.settings.session_absolute_hours, minutes=1)
    with world.factory() as s, s.begin():
        s.execute(update(WebSession).values(created_at=utcnow() - age, last_seen_at=utcnow()))
    assert _replay(world, cookie).get("/api/v1/me").status_code == 401


def _basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_anonymous_basic_failures_do_not_lock_the_owner_out(world) -> None:  # type: ignore[no-untyped-def]
    attacker = client_for(world)
    codes = [
        attacker.get("/api/v1/me", headers=_basic("sup_a", "wrong pass 9")).status_code
        for _ in range(7)
    ]
    assert codes[:6] == [401] * 6 and codes[6] == 429
    owner = TestClient(
        create_app(world.settings), follow_redirects=False, client=("10.1.2.3", 4000)
    )
    assert owner.get("/api/v1/me", headers=_basic("sup_a", PASSWORD)).status_code == 200


def test_known_and_unknown_names_get_the_same_answer_and_are_audited(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world)
    token = csrf_from(client.get("/login").text)
    secret = "guess-Pa55word"

    def attempt(name: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        r = client.post("/login", data={"username": name, "password": secret, "csrf_token": token})
        return r.status_code, r.text.replace(name, "NAME"), time.perf_counter() - started

    with world.factory() as s, s.begin():
        s.execute(update(User).where(User.username == "ver_a").values(active=False))
        s.execute(
            update(User)
            .where(User.username == "sup_b")
            .values(locked_until=utcnow() + timedelta(minutes=5))
        )
    results = {
        name: [attempt(name) for _ in range(3)] for name in ("sup_a", "ghost", "ver_a", "sup_b")
    }
    bodies = {name: {(code, text) for code, text, _ in runs} for name, runs in results.items()}
    assert all(b == bodies["sup_a"] for b in bodies.values())
    assert {code for code, _ in bodies["sup_a"]} == {401}
    times = {name: statistics.median(t for *_, t in runs) for name, runs in results.items()}
    slowest, fastest = max(times.values()), min(times.values())
    assert fastest > slowest / 3, times  # every path checks one argon2 hash
    with world.factory() as s:
        failures = s.scalars(select(AuditLog).where(AuditLog.action == "auth.sign_in_failed")).all()
    actors = [row.actor for row in failures]
    for name in ("sup_a", "ghost", "ver_a", "sup_b"):
        assert actors.count(name) == 3
    assert all(secret not in str(row.detail) for row in failures)
    assert {row.detail["known_user"] for row in failures if row.actor == "ghost"} == {False}
