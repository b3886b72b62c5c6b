"""Named dependencies for page routes: the database session, the signed-in user, CSRF, roles."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from qingfeng.loop.config import LoopConfig, load_loop_config
from qingfeng.loop.machine import Actor
from qingfeng.loop.service import actor_for
from qingfeng.settings import SETTINGS_FILE, Settings
from qingfeng.store.models import User
from qingfeng.web import accounts
from qingfeng.web.model_index import ModelInfo, load_model_catalogue
from qingfeng.web.roles import Area, allows
from qingfeng.web.scope import Principal
from qingfeng.web.security import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, csrf_matches

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_SESSION_KEY = "uid"
STAMP_SESSION_KEY = "stamp"
CATALOGUE_TTL_S = 60.0


class NotSignedIn(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the sign-in page."""


class PasswordChangeRequired(Exception):
    """The user signed in with a temporary password: every page but the password form and
    sign-out sends them there first."""


PASSWORD_PAGE = "/account/password"
# What a user with a temporary password may still reach.
_PASSWORD_EXEMPT = frozenset({PASSWORD_PAGE, "/logout"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request (pages and API). Writing endpoints commit explicitly; anything else
    is rolled back."""
    with request.app.state.sessions() as session:
        yield session


DbDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_principal(request: Request, db: DbDep) -> Principal:
    """The signed-in user, re-read from the store on every request so that a lock, a role change
    or a password change takes effect at once."""
    user_id = request.session.get(USER_SESSION_KEY)
    if not isinstance(user_id, int):
        raise NotSignedIn
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal) and known.user_id == user_id:
        return known  # read once per request: by the policy's door, then by the route
    loaded = accounts.load_principal(db, user_id)
    if loaded is None or loaded[1] != request.session.get(STAMP_SESSION_KEY):
        request.session.clear()
        raise NotSignedIn
    principal = loaded[0]
    request.state.principal = principal
    if principal.must_change_password and request.url.path not in _PASSWORD_EXEMPT:
        raise PasswordChangeRequired
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(area: Area) -> Callable[[Principal], Principal]:
    """A dependency that lets through only roles allowed into `area` (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
        if not allows(principal.role, area):
            raise HTTPException(
                status_code=403, detail=f"role {principal.role} may not open {area}"
            )
        return principal

    return check


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    from qingfeng.web.security import new_csrf_token

    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        request.session[CSRF_SESSION_KEY] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse any unsafe request whose form field or header does not carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_SESSION_KEY)
    given = request.headers.get(CSRF_HEADER)
    if not given:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(expected, given):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


def get_catalogue(request: Request) -> dict[str, ModelInfo]:
    """The model catalogue, read lazily and kept for a minute (specs change rarely)."""
    cache = request.app.state.catalogue_cache
    now = time.monotonic()
    if cache.get("at") is None or now - cache["at"] > CATALOGUE_TTL_S:
        cache["value"] = load_model_catalogue(request.app.state.settings)
        cache["at"] = now
    return cache["value"]


CatalogueDep = Annotated[dict[str, ModelInfo], Depends(get_catalogue)]


def get_loop_config(request: Request) -> LoopConfig:
    """The workspace's [loop] settings (deadlines, calendar), read once per app."""
    cache = request.app.state.catalogue_cache
    if "loop_config" not in cache:
        settings: Settings = request.app.state.settings
        cache["loop_config"] = load_loop_config(settings.workspace / SETTINGS_FILE)
    return cache["loop_config"]


def get_actor(request: Request, db: DbDep, principal: PrincipalDep) -> Actor:
    """The closed loop's view of this request: who acts, under which rules, at what time."""
    user = db.get(User, principal.user_id)
    if user is None:
        raise NotSignedIn
    return actor_for(db, user, get_loop_config(request))


ActorDep = Annotated[Actor, Depends(get_actor)]
