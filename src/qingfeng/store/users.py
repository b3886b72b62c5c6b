"""Users and organisations: creating them, passwords (argon2) and the organisation tree."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.store.models import MAX_ID, ORG_KINDS, ROLES, Organisation, User, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

# The order of levels in the tree: a child must sit below its parent (a team below anything).
_LEVEL = {"province": 0, "city": 1, "county": 2, "township": 3}


class UserError(ValueError):
    """A user or organisation cannot be created as asked; the message says why."""


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_org(
    session: Session,
    name: str,
    kind: str,
    division_code: str | None,
    parent: Organisation | None = None,
) -> Organisation:
    """Add a unit to the tree. `division_code` is the prefix of the area it supervises."""
    if kind not in ORG_KINDS:
        raise UserError(f"unknown organisation kind {kind!r}; expected one of {ORG_KINDS}")
    if division_code is not None and not (division_code.isdigit() and len(division_code) <= 12):
        raise UserError(f"division code {division_code!r} of {name!r} must be 1–12 digits")
    if kind == "team":
        if parent is None:
            raise UserError(f"dispatched team {name!r} needs a parent unit")
    elif parent is not None:
        if parent.kind != "team" and _LEVEL[kind] <= _LEVEL[parent.kind]:
            raise UserError(f"a {kind} cannot sit below a {parent.kind} ({name!r})")
        if parent.kind == "team":
            raise UserError(f"{name!r}: only teams may have a team as parent")
        if (
            division_code
            and parent.division_code
            and not division_code.startswith(parent.division_code)
        ):
            raise UserError(
                f"division code {division_code} of {name!r} is outside its parent's "
                f"{parent.division_code}"
            )
    org = Organisation(
        name=name, kind=kind, division_code=division_code or None, parent=parent, path=""
    )
    session.add(org)
    session.flush()  # the id is part of the path
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    org_id: int | None,
    display_name: str = "",
) -> User:
    """Add a user with an argon2 password hash."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; expected one of {ROLES}")
    username = username.strip()
    if not username:
        raise UserError("username must not be empty")
    if len(password) < 8:
        raise UserError(f"password of {username!r} is too short (8 characters at least)")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise UserError(f"organisation {org_id} does not exist")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        org_id=org_id,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> User | None:
    """The user if the password is right and the account is active and not locked.

    Failed attempts are counted; after MAX_FAILED_LOGINS the account is locked for LOCKOUT.
    The caller commits (so the counter survives a failed attempt).
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def org_by_code_or_id(session: Session, ref: str) -> Organisation | None:
    """An organisation by numeric id, exact division code, or exact name."""
    if ref.isdigit():
        org = session.scalar(select(Organisation).where(Organisation.division_code == ref))
        if org is not None:
            return org
        return session.get(Organisation, int(ref)) if int(ref) <= MAX_ID else None
    return session.scalar(select(Organisation).where(Organisation.name == ref))
