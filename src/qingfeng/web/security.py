"""Passwords (argon2), CSRF tokens and the sign-in lock-out policy.

Plain functions with no web framework in them, so the CLI (`qingfeng users add`) and the web app
hash and check passwords the same way.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("qingfeng-dummy-password")


class PasswordPolicyError(ValueError):
    """A new password is too weak; the message says why."""


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 / password needs {MIN_PASSWORD_LENGTH}+ characters"
        )
    if password.isdigit() or password.isalpha():
        raise PasswordPolicyError("密码须同时包含字母和数字 / password needs letters and digits")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user (None) still pays for one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    if locked_until is None:
        return False
    if locked_until.tzinfo is None:  # SQLite returns naive datetimes; the store writes UTC
        now = now.replace(tzinfo=None)
    return locked_until > now


def lock_after_failure(failed_logins: int, now: datetime) -> datetime | None:
    """The new locked_until after a failure brought the count to `failed_logins`."""
    return now + LOCKOUT if failed_logins >= MAX_FAILED_LOGINS else None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
