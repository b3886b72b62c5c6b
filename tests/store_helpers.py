"""Small builders for workflow-store tests (no shared state between tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.hits import fingerprint
from qingfeng.store.db import make_engine, session_factory, upgrade_store
from qingfeng.store.models import Organisation, User, Warning
from qingfeng.store.users import create_org, hash_password

PASSWORD = "correct horse"

_serial = count(1)


def migrated_factory(url: str) -> sessionmaker[Session]:
    upgrade_store(url)
    return session_factory(make_engine(url))


@contextmanager
def tx(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session, session.begin():
        yield session


def make_warning(
    session: Session,
    division_code: str | None = "522701001001",
    severity: str = "red",
    model_id: str = "dead_still_paid",
    amount: str | None = "1200.00",
    **extra: object,
) -> Warning:
    n = next(_serial)
    subject_id = f"522701195001{n:06d}"
    fields: dict[str, object] = {
        "fingerprint": fingerprint(model_id, "person", subject_id, "2024-05"),
        "model_id": model_id,
        "model_version": "1",
        "subject_type": "person",
        "subject_id": subject_id,
        "subject_name": "王小明",
        "period": "2024-05",
        "severity": severity,
        "amount": Decimal(amount) if amount is not None else None,
        "division_code": division_code,
        "explanation": "死亡后仍领取补贴 / paid after death",
        "evidence": {"id_no": subject_id, "death_date": "2024-01-03", "payments": 3},
        "status": "new",
        "present": True,
    }
    fields.update(extra)
    w = Warning(**fields)
    session.add(w)
    session.flush()
    return w


@contextmanager
def org_tree(factory: sessionmaker[Session]) -> Iterator[dict[str, Organisation]]:
    """Province 52 → city 5227 → counties 522701 / 522702 → township 522701001, team."""
    with tx(factory) as s:
        prov = create_org(s, "贵州省纪委监委", "province", "52")
        city = create_org(s, "黔南州纪委监委", "city", "5227", prov)
        county_a = create_org(s, "都匀市纪委监委", "county", "522701", city)
        county_b = create_org(s, "福泉市纪委监委", "county", "522702", city)
        town = create_org(s, "广惠街道纪工委", "township", "522701001", county_a)
        team = create_org(s, "派驻民政局纪检监察组", "team", None, county_a)
        s.expunge_all()
    yield {
        "province": prov,
        "city": city,
        "county_a": county_a,
        "county_b": county_b,
        "township": town,
        "team": team,
    }


@lru_cache(maxsize=1)
def _known_hash() -> str:
    # argon2 is deliberately slow (~0.4 s here): hash the shared test password once per run
    return hash_password(PASSWORD)


def quick_user(session: Session, username: str, role: str, org_id: int | None) -> User:
    """A user with the test password, without paying for a fresh argon2 hash."""
    user = User(
        username=username,
        display_name=username,
        password_hash=_known_hash(),
        role=role,
        org_id=org_id,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def add_user(
    factory: sessionmaker[Session], username: str, role: str, org: Organisation | None
) -> User:
    with tx(factory) as s:
        user = quick_user(s, username, role, org.id if org else None)
        s.expunge(user)
    return user


def shared_store_url(backend: str, folder: Path) -> Iterator[str]:
    """Like conftest's `store_url`, for a module-scoped fixture: one migrated store shared by
    the many small cases of a parametrised table (each case makes its own rows)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
        return
    base = os.environ.get("QINGFENG_TEST_PG_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required under CI=true")
        pytest.skip("QINGFENG_TEST_PG_URL is not set; PostgreSQL store tests skipped")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {base} is unreachable")
    yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def assert_routed_visibility(session: Session) -> int:
    """Every warning of the store has an area and a unit, and is visible to exactly the units
    its route names (its responsible unit and every unit above it) and to the county
    administrator; returns the number of warnings checked. Adds a supervisor per unit and a
    user `routing_admin` (the caller rolls back)."""
    from sqlalchemy import func, select

    from qingfeng.store.scope import scoped_warnings

    warnings = {w.id: w for w in session.scalars(select(Warning))}
    assert all(w.division_code and w.org_id for w in warnings.values())
    orgs = {o.id: o for o in session.scalars(select(Organisation))}
    seen_by: dict[int, set[int]] = {wid: set() for wid in warnings}
    for org in orgs.values():
        user = quick_user(session, f"routing_{org.id}", "supervisor", org.id)
        for wid in session.scalars(scoped_warnings(session, user).with_only_columns(Warning.id)):
            seen_by[wid].add(org.id)
    for wid, w in warnings.items():
        routed = {int(i) for i in orgs[w.org_id].path.strip("/").split("/")}
        assert seen_by[wid] == routed, (w.model_id, w.division_code, orgs[w.org_id].name)
    county = min(
        (o for o in orgs.values() if o.kind == "county"), key=lambda o: len(o.path), default=None
    )
    assert county is not None, "no county unit"
    admin = quick_user(session, "routing_admin", "administrator", county.id)
    seen = session.scalar(
        select(func.count()).select_from(scoped_warnings(session, admin).subquery())
    )
    assert seen == len(warnings)
    return len(warnings)
