"""CSRF tokens for every unsafe request of the back office.

Passwords and the lock-out policy live in qingfeng.store.users (argon2, five failures → locked).
"""

from __future__ import annotations

import hmac
import secrets

CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: object, given: object) -> bool:
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(expected, given)
    )
