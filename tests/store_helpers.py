"""Small builders for workflow-store tests (no shared state between tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session, sessionmaker

from qingfeng.hits import fingerprint
from qingfeng.store.db import make_engine, session_factory, upgrade_store
from qingfeng.store.models import Organisation, User, Warning
from qingfeng.store.users import create_org, create_user

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
    subject_id = f"52270119500101{n:04d}"
    w = Warning(
        fingerprint=fingerprint(model_id, "person", subject_id, "2024-05"),
        model_id=model_id,
        model_version="1",
        subject_type="person",
        subject_id=subject_id,
        subject_name="王小明",
        period="2024-05",
        severity=severity,
        amount=Decimal(amount) if amount is not None else None,
        division_code=division_code,
        explanation="死亡后仍领取补贴 / paid after death",
        evidence={"id_no": subject_id, "death_date": "2024-01-03", "payments": 3},
        status="new",
        present=True,
        **extra,
    )
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


def add_user(
    factory: sessionmaker[Session], username: str, role: str, org: Organisation | None
) -> User:
    with tx(factory) as s:
        user = create_user(s, username, "correct horse", role, org.id if org else None)
        s.expunge(user)
    return user
