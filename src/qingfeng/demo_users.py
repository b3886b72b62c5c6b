"""Demo accounts for `make demo`: one user per role in the workspace's county (the supervised unit's
in a township government below it), with known passwords.

Only the demo calls this. It is idempotent: a second run resets the demo users' passwords and
lifts any lock, and reuses the organisations it finds.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.settings import Settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Organisation, User
from qingfeng.store.users import create_org, create_user, hash_password

DEMO_PASSWORD = "qingfeng-demo-2026"
DEFAULT_COUNTY = "522701"

# (username, role, display name); all belong to the county's commission.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "administrator", "系统管理员"),
    ("jiandu", "supervisor", "县纪委监督员"),
    ("hecha", "verifier", "县纪委核查员"),
    ("lingdao", "leader", "县纪委领导"),
    ("jianmo", "model_builder", "县纪委建模员"),
    ("shuju", "data_officer", "县数据专员"),
    ("shenji", "auditor", "平台审计员"),
)


def _org(s: Session, name: str, kind: str, code: str, parent: Organisation | None) -> Organisation:
    found = s.scalar(
        select(Organisation).where(Organisation.division_code == code, Organisation.kind == kind)
    )
    return found or create_org(s, name, kind, code, parent)


def _geography(county_code: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    """Names of the province, city and county and the townships, from the synthetic county's
    map when it is that county, else plain code-based names."""
    from qingfeng.synth import county as synth_county

    if county_code == synth_county.COUNTY_CODE:
        return (
            synth_county.PROVINCE_NAME,
            synth_county.PREFECTURE_NAME,
            synth_county.COUNTY_NAME,
            tuple((code, name) for code, name, _urban in synth_county.TOWNSHIPS),
        )
    return (f"{county_code[:2]}省", f"{county_code[:4]}市", f"{county_code}县", ())


def ensure_demo_orgs(s: Session, county_code: str) -> tuple[Organisation, list[Organisation]]:
    """Province → city → county (→ townships) for `county_code`; returns county and townships."""
    province_name, city_name, county_name, townships = _geography(county_code)
    province = _org(s, f"{province_name}纪委监委", "province", county_code[:2], None)
    city = _org(s, f"{city_name}纪委监委", "city", county_code[:4], province)
    county = _org(s, f"{county_name}纪委监委", "county", county_code, city)
    towns = [_org(s, f"{name}纪（工）委", "township", code, county) for code, name in townships]
    return county, towns


def ensure_supervised_unit(
    s: Session, county: Organisation, town: Organisation | None
) -> Organisation:
    """The supervised unit of the demo: the first township's government (or the county's civil
    affairs bureau), a unit without an area below the county's commission."""
    name = f"{town.name.removesuffix('纪（工）委')}人民政府" if town else "县民政局"
    found = s.scalar(
        select(Organisation).where(
            Organisation.name == name,
            Organisation.kind == "department",
            Organisation.parent_id == county.id,
        )
    )
    return found or create_org(s, name, "department", None, county)


def seed_demo_users(settings: Settings) -> list[tuple[str, str, str]]:
    """Create (or reset) one demo user per role; returns (username, password, role) to print."""
    county_code = (settings.county_division_code or DEFAULT_COUNTY)[:6]
    engine = make_engine(settings.database_url)
    seeded: list[tuple[str, str, str]] = []
    try:
        with session_factory(engine)() as s, s.begin():
            county, towns = ensure_demo_orgs(s, county_code)
            accounts = [(u, r, d, county) for u, r, d in DEMO_USERS]
            if towns:  # a township supervisor shows scoping: they see their township only
                accounts.append(("xiangzhen", "supervisor", f"{towns[0].name}监督员", towns[0]))
            # The supervised unit answers what the county dispatches to it, and sees nothing else.
            unit = ensure_supervised_unit(s, county, towns[0] if towns else None)
            accounts.append(("beijiandu", "supervised_unit", f"{unit.name}联络员", unit))
            for username, role, display, org in accounts:
                user = s.scalar(select(User).where(User.username == username))
                if user is None:
                    create_user(s, username, DEMO_PASSWORD, role, org.id, display)
                else:
                    user.password_hash = hash_password(DEMO_PASSWORD)
                    user.role, user.org_id, user.active = role, org.id, True
                    user.failed_logins, user.locked_until = 0, None
                    user.must_change_password = False
                seeded.append((username, DEMO_PASSWORD, role))
            audit.append(s, "demo", "user.seed_demo", "user", "*", {"count": len(seeded)})
    finally:
        engine.dispose()
    return seeded
