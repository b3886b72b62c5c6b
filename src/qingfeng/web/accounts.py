"""Sign-in over the store's users and organisations: authenticate with lock-out, load the
signed-in principal, add users (CLI and demo seed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.store.models import Organisation, User
from qingfeng.web.roles import parse_role
from qingfeng.web.scope import Principal
from qingfeng.web.security import (
    check_password_policy,
    hash_password,
    is_locked,
    lock_after_failure,
    needs_rehash,
    verify_password,
)


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    user_id: int | None = None
    stamp: str = ""
    reason: str = ""  # "" | "invalid" | "locked" | "disabled"


def session_stamp(password_hash: str) -> str:
    """Changes whenever the password does, so old session cookies stop working."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def authenticate(db: Session, username: str, password: str, now: datetime | None = None) -> SignInResult:
    """Check a username and password, counting failures and locking after too many.

    The failure counter is committed even when sign-in fails; a locked account is refused
    without looking at the password, and an unknown user costs the same time as a known one.
    """
    now = now or datetime.now(UTC)
    user = db.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        verify_password(None, password)
        return SignInResult(False, reason="invalid")
    if not getattr(user, "active", True):
        return SignInResult(False, reason="disabled")
    if is_locked(user.locked_until, now):
        return SignInResult(False, reason="locked")
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        locked_until = lock_after_failure(user.failed_logins, now)
        if locked_until is not None:
            user.locked_until = locked_until
            user.failed_logins = 0
        db.commit()
        return SignInResult(False, reason="locked" if locked_until else "invalid")
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.commit()
    return SignInResult(True, user_id=user.id, stamp=session_stamp(user.password_hash))


def load_principal(db: Session, user_id: int) -> tuple[Principal, str] | None:
    user = db.get(User, user_id)
    if user is None or not getattr(user, "active", True):
        return None
    org = db.get(Organisation, user.organisation_id) if user.organisation_id else None
    principal = Principal(
        user_id=user.id,
        username=user.username,
        display_name=getattr(user, "display_name", None) or user.username,
        role=user.role,
        org_id=org.id if org else None,
        org_name=org.name if org else "",
        division_prefix=(org.division_code or "") if org else "",
    )
    return principal, session_stamp(user.password_hash)


def add_user(
    db: Session,
    username: str,
    password: str,
    role: str,
    org_code: str,
    display_name: str | None = None,
) -> User:
    """Create a user in the organisation whose code is `org_code`; the caller commits."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError(f"用户名无效 / invalid username: {username!r}")
    try:
        parse_role(role)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    try:
        check_password_policy(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户已存在 / user already exists: {username}")
    org = db.scalar(select(Organisation).where(Organisation.code == org_code))
    if org is None:
        raise AccountError(f"找不到组织 / no organisation with code {org_code!r}")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
        organisation_id=org.id,
        failed_logins=0,
    )
    db.add(user)
    db.flush()
    return user
