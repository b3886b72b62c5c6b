"""Sign-in over the store's users (qingfeng.store.users): authenticate with lock-out and load the
signed-in principal with its organisational scope. Adding and changing users is
qingfeng.store.admin (shared with the CLI)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.store import users as store_users
from qingfeng.store.models import Organisation, User, utcnow
from qingfeng.store.scope import subtree_ids, subtree_prefixes
from qingfeng.web.scope import Principal

_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$LDDJTZnTQ0KUUruYBZSkBw$"
    "sXuS6Bt3StOWZVi0ivLY3nWPXVdg8cXfq55PgF33UT4"
)


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    user_id: int | None = None
    stamp: str = ""
    reason: str = ""  # "" | "invalid" | "locked"


def session_stamp(password_hash: str) -> str:
    """Changes whenever the password does, so older session cookies stop working."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def authenticate(
    db: Session, username: str, password: str, now: datetime | None = None
) -> SignInResult:
    """Check a username and password; failures are counted (and committed) by the store, which
    locks the account after five. Unknown users and wrong passwords get the same answer."""
    now = now or utcnow()
    username = username.strip()
    user = store_users.authenticate(db, username, password, now)
    if user is None:
        # The store counted the failure; say "locked" only when the account now is.
        row = db.execute(
            select(User.id, User.locked_until).where(User.username == username)
        ).first()
        if row is None:
            # Unknown user: spend the same time as a wrong password would.
            store_users.verify_password(_DUMMY_HASH, password)
            db.rollback()
            return SignInResult(False, reason="invalid")
        locked = row.locked_until is not None and row.locked_until > now
        audit.append(db, username, "auth.sign_in_failed", "user", row.id, {"locked": locked})
        db.commit()
        return SignInResult(False, reason="locked" if locked else "invalid")
    result = SignInResult(True, user_id=user.id, stamp=session_stamp(user.password_hash))
    audit.append(db, username, "auth.sign_in", "user", user.id, {})
    db.commit()
    return result


def load_principal(db: Session, user_id: int) -> tuple[Principal, str] | None:
    """The active user `user_id` with their scope, and the stamp their session must carry."""
    user = db.get(User, user_id)
    if user is None or not user.active:
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
