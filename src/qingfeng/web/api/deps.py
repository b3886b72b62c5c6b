"""Dependencies of the API: the store session, the acting user, the loop's rules.

The user comes from the back office's signed session (`uid` + password `stamp`, set at sign-in;
unsafe methods then need the session's CSRF token in `X-CSRF-Token`) or from HTTP Basic
credentials for scripts (checked with the sign-in form's back-off, qingfeng.store.throttle).
No `WWW-Authenticate: Basic` challenge is sent, so browsers never cache Basic credentials and
replay them cross-site.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.loop.config import LoopConfig, load_loop_config
from qingfeng.loop.machine import Actor
from qingfeng.loop.service import actor_for
from qingfeng.settings import SETTINGS_FILE, Settings
from qingfeng.store import users as store_users
from qingfeng.store.models import User, utcnow
from qingfeng.web.deps import get_db, get_settings

SESSION_USER_KEY = "uid"
SESSION_STAMP_KEY = "stamp"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_loop_config(request: Request) -> LoopConfig:
    state = request.app.state
    config = getattr(state, "loop_config", None)
    if config is None:
        config = load_loop_config(state.settings.workspace / SETTINGS_FILE)
        state.loop_config = config
    return config


DbDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LoopConfigDep = Annotated[LoopConfig, Depends(get_loop_config)]


def _unauthorised(detail: str = "not signed in") -> HTTPException:
    return HTTPException(status_code=401, detail=detail)


def _from_session(request: Request, db: Session) -> User | None:
    if "session" not in request.scope:
        return None
    uid = request.session.get(SESSION_USER_KEY)
    if not isinstance(uid, int):
        return None
    user = db.get(User, uid)
    if user is None or not user.active or store_users.is_locked(user):
        raise _unauthorised()
    try:  # the back office's stamp: a password change ends older sessions
        from qingfeng.web.accounts import session_stamp  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        if request.session.get(SESSION_STAMP_KEY) != session_stamp(user.password_hash):
            raise _unauthorised("session expired")
    if request.method not in SAFE_METHODS:
        _check_csrf(request)
    return user


def _check_csrf(request: Request) -> None:
    import hmac

    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if not (
        isinstance(expected, str) and expected and given and hmac.compare_digest(expected, given)
    ):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong (X-CSRF-Token)")


def _from_basic(request: Request, db: Session) -> User | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        username, sep, password = base64.b64decode(value).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorised("malformed Basic credentials") from None
    if not sep:
        raise _unauthorised("malformed Basic credentials")
    cached = _cached_basic(request, db, username, password)
    if cached is not None:
        return cached
    from qingfeng.clients import request_client
    from qingfeng.web.accounts import authenticate

    client = request_client(request, request.app.state.settings.trusted_proxies)
    # Same back-off and audit as the sign-in form; committed inside, whatever happens next.
    result = authenticate(db, username[:64], password, client)
    if result.reason == "throttled":
        raise HTTPException(
            status_code=429,
            detail=f"too many failed attempts: try again in {result.retry_after} seconds",
            headers={"Retry-After": str(result.retry_after)},
        )
    user = db.get(User, result.user_id) if result.ok else None
    if user is None:
        raise _unauthorised("wrong username or password, or the account is locked")
    _basic_cache(request)[_basic_key(request, user, password)] = time.monotonic() + BASIC_CACHE_S
    return user


# A script calling the API sends its password on every request; argon2 is deliberately slow,
# so a success is remembered for a few minutes, keyed by a salted digest of the password and
# the stored hash (a password change or a lock takes effect at once).
BASIC_CACHE_S = 300.0


def _basic_cache(request: Request) -> dict[str, float]:
    state = request.app.state
    if getattr(state, "basic_auth_cache", None) is None:
        state.basic_auth_cache = {}
        state.basic_auth_salt = secrets.token_bytes(16)
    cache: dict[str, float] = state.basic_auth_cache
    return cache


def _basic_key(request: Request, user: User, password: str) -> str:
    _basic_cache(request)
    salt: bytes = request.app.state.basic_auth_salt
    raw = salt + f"{user.id}\x1f{user.password_hash}\x1f{password}".encode()
    return hashlib.sha256(raw).hexdigest()


def _cached_basic(request: Request, db: Session, username: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return None
    if user.locked_until is not None and user.locked_until > utcnow():
        return None
    cache = _basic_cache(request)
    key = _basic_key(request, user, password)
    expiry = cache.get(key)
    if expiry is None or expiry < time.monotonic():
        cache.pop(key, None)
        return None
    return user


def current_user(request: Request, db: DbDep) -> User:
    user = _from_session(request, db) or _from_basic(request, db)
    if user is None:
        raise _unauthorised()
    if user.must_change_password:
        # A temporary password (set by an administrator) opens nothing until it is replaced.
        raise HTTPException(
            status_code=403, detail="change your temporary password in the back office first"
        )
    return user


UserDep = Annotated[User, Depends(current_user)]


def get_actor(db: DbDep, user: UserDep, config: LoopConfigDep) -> Actor:
    return actor_for(db, user, config)


ActorDep = Annotated[Actor, Depends(get_actor)]
