"""Builders for back-office tests: a workspace with an organisation tree, users and warnings,
an app over it, and a signed-in TestClient. Each test gets its own (no shared state)."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import count
from pathlib import Path
from unittest.mock import patch

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.hits import fingerprint
from qingfeng.settings import Settings, load_settings
from qingfeng.store import users as store_users
from qingfeng.store.db import make_engine, session_factory, upgrade_store
from qingfeng.store.models import Organisation, Warning
from qingfeng.store.users import create_org, create_user
from qingfeng.web.app import create_app
from qingfeng.workspace import init_workspace

PASSWORD = "correct horse 42"
_serial = count(1)
_REAL_HASH = store_users.hash_password


@dataclass
class World:
    settings: Settings
    factory: sessionmaker[Session]
    orgs: dict[str, Organisation]
    warnings: dict[str, list[int]]  # org key → ids of warnings located in its area


@cache
def _template_workspace() -> Path:
    """One migrated, empty workspace per test session; each test works on its own copy."""
    folder = Path(tempfile.mkdtemp(prefix="qf-web-template-")) / "ws"
    init_workspace(folder)
    return folder


@cache
def password_hash() -> str:
    """A real argon2 hash of PASSWORD, computed once (argon2 is slow on purpose)."""
    return _REAL_HASH(PASSWORD)


def make_world(tmp_path: Path, store_url: str | None = None) -> World:
    folder = tmp_path / "ws"
    shutil.copytree(_template_workspace(), folder)
    settings = load_settings(folder, **({"store_url": store_url} if store_url else {}))
    if store_url:
        upgrade_store(settings.database_url)
    factory = session_factory(make_engine(settings.database_url))
    with (
        patch.object(store_users, "hash_password", lambda _p: password_hash()),
        factory() as s,
        s.begin(),
    ):
        prov = create_org(s, "贵州省纪委监委", "province", "52")
        city = create_org(s, "黔南州纪委监委", "city", "5227", prov)
        county_a = create_org(s, "都匀市纪委监委", "county", "522701", city)
        county_b = create_org(s, "福泉市纪委监委", "county", "522702", city)
        town = create_org(s, "广惠街道纪工委", "township", "522701001", county_a)
        orgs = {
            "province": prov,
            "city": city,
            "county_a": county_a,
            "county_b": county_b,
            "township": town,
        }
        for key, role, org in (
            ("admin", "administrator", prov),
            ("sup_a", "supervisor", county_a),
            ("sup_b", "supervisor", county_b),
            ("ver_a", "verifier", county_a),
            ("leader", "leader", city),
            ("auditor", "auditor", prov),
            ("builder", "model_builder", city),
            ("data", "data_officer", city),
        ):
            create_user(s, key, PASSWORD, role, org.id, display_name=f"{key} 用户")
        warnings = {
            "county_a": [add_warning(s, "522701001002", "王小明").id for _ in range(3)],
            "county_b": [add_warning(s, "522702003004", "李四").id for _ in range(2)],
        }
        s.expunge_all()
    return World(settings, factory, orgs, warnings)


def add_warning(
    s: Session,
    division_code: str | None,
    name: str = "王小明",
    model_id: str = "dead_still_paid",
    severity: str = "red",
    amount: str = "1200.00",
    status: str = "new",
) -> Warning:
    n = next(_serial)
    subject_id = f"{(division_code or '520000')[:6]}19500101{n:04d}"
    w = Warning(
        fingerprint=fingerprint(model_id, "person", subject_id, f"2024-{n % 12 + 1:02d}"),
        model_id=model_id,
        model_version="1",
        subject_type="person",
        subject_id=subject_id,
        subject_name=name,
        period=f"2024-{n % 12 + 1:02d}",
        severity=severity,
        amount=Decimal(amount),
        division_code=division_code,
        explanation=f"{name}于2024-01-03死亡，此后仍领取高龄补贴3次",
        evidence={"deaths": [{"id_no": subject_id, "death_date": "2024-01-03"}], "payments": 3},
        status=status,
        present=True,
    )
    s.add(w)
    s.flush()
    return w


def client_for(world: World) -> TestClient:
    return TestClient(create_app(world.settings), follow_redirects=False)


_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    return client


def all_routes(routes, prefix: str = ""):  # type: ignore[no-untyped-def]
    """(path, methods) of every route, descending into included routers (FastAPI ≥0.160
    includes routers lazily, so app.routes lists them unexpanded)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from all_routes(inner.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "path"):
            yield prefix + route.path, set(getattr(route, "methods", None) or ())
