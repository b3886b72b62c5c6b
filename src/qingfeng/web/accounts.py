"""Sign-in over the store's users (qingfeng.store.users): authenticate with back-off and load the
signed-in principal with its organisational scope. Adding and changing users is
qingfeng.operations.admin (shared with the CLI)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.store import throttle
from qingfeng.store import users as store_users
from qingfeng.store.models import Organisation, User, utcnow
from qingfeng.store.scope import subtree_ids, subtree_prefixes
from qingfeng.web.scope import Principal


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    user_id: int | None = None
    stamp: str = ""
    reason: str = ""  # "" | "invalid" | "throttled"
    retry_after: int = 0  # seconds, when throttled


def session_stamp(password_hash: str) -> str:
    """Changes whenever the password does, so older session cookies stop working."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def authenticate(
    db: Session, username: str, password: str, client: str = "", now: datetime | None = None
) -> SignInResult:
    """Check a username and password from `client` (its address).

    Unknown names, wrong passwords, disabled and locked accounts all get the same answer after
    the same work (one argon2 check); too many failures from this client or for this name are
    answered "wait N seconds" before any check. Every failure is audited with the client's
    address (never the password)."""
    now = now or utcnow()
    username = username.strip()
    wait = throttle.wait_seconds(db, username, client, now)
    if wait:
        _audit_failure(db, username, client, "throttled")
        db.commit()
        return SignInResult(False, reason="throttled", retry_after=wait)
    user = store_users.authenticate(db, username, password, now)
    if user is None:
        throttle.record_failure(db, username, client, now)
        _audit_failure(db, username, client, "invalid")
        db.commit()
        return SignInResult(False, reason="invalid")
    throttle.record_success(db, username, client)
    result = SignInResult(True, user_id=user.id, stamp=session_stamp(user.password_hash))
    audit.append(db, username, "auth.sign_in", "user", user.id, {"client": client})
    db.commit()
    return result


def _audit_failure(db: Session, username: str, client: str, reason: str) -> None:
    user_id = db.scalar(select(User.id).where(User.username == username))
    audit.append(
        db,
        username[:80] or "-",
        "auth.sign_in_failed",
        "user",
        user_id if user_id is not None else "",
        {"client": client, "reason": reason, "known_user": user_id is not None},
    )


def load_principal(db: Session, user_id: int) -> tuple[Principal, str] | None:
    """The active user `user_id` with their scope, and the stamp their session must carry."""
    user = db.get(User, user_id)
    if user is None or not user.active or store_users.is_locked(user):
        return None
    org = db.get(Organisation, user.org_id) if user.org_id is not None else None
    principal = Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        org_id=org.id if org else None,
        org_name=org.name if org else "",
        org_ids=tuple(subtree_ids(db, org)) if org else (),
        prefixes=tuple(subtree_prefixes(db, org)) if org else (),
        must_change_password=user.must_change_password,
    )
    return principal, session_stamp(user.password_hash)
