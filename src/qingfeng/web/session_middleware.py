"""ASGI middleware giving each request `request.session` backed by the store.

The cookie carries only a random token (qingfeng.store.sessions); the data stays server-side.
A new token is issued whenever the signed-in user changes (sign-in), so a token planted before
sign-in is worthless after it (fixation). An emptied session (sign-out) deletes its row.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qingfeng.store import sessions as store
from qingfeng.store.models import utcnow

SESSION_KEY_SCOPE = "qingfeng.session_key"


class StoreSessionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        factory: sessionmaker[Session],
        cookie_name: str,
        timeouts: store.Timeouts,
        https_only: bool = False,
    ) -> None:
        self.app = app
        self.factory = factory
        self.cookie_name = cookie_name
        self.timeouts = timeouts
        self.flags = "path=/; httponly; samesite=lax" + ("; secure" if https_only else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = HTTPConnection(scope).cookies.get(self.cookie_name)
        loaded = None
        if token and len(token) <= 128:
            loaded = await anyio.to_thread.run_sync(self._load, token)
        scope["session"] = dict(loaded.data) if loaded else {}
        scope[SESSION_KEY_SCOPE] = loaded.key if loaded else None
        before = _frozen(loaded.data) if loaded else _frozen({})

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await anyio.to_thread.run_sync(
                    self._persist, scope, loaded, before, token is not None
                )
                if cookie is not None:
                    MutableHeaders(scope=message).append("Set-Cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load(self, token: str) -> store.Loaded | None:
        with self.factory() as db:
            return store.load(db, token, self.timeouts)

    def _persist(
        self, scope: Scope, loaded: store.Loaded | None, before: str, had_cookie: bool
    ) -> str | None:
        """Write what changed; returns a Set-Cookie value when the browser's token changes."""
        data: dict[str, Any] = scope["session"]
        now = utcnow()
        with self.factory() as db:
            if not data:
                if loaded is not None:
                    store.drop(db, loaded.key)
                return self._expired() if had_cookie else None
            if loaded is not None and data.get(store.USER_KEY) == loaded.user_id:
                if _frozen(data) != before:
                    if store.save(db, loaded.key, data, now):
                        return None
                    # revoked while this request ran: nothing to keep
                    return self._expired()
                elif now - loaded.last_seen_at > store.TOUCH_EVERY:
                    store.touch(db, loaded.key, now)
                return None
            if loaded is not None:  # the user changed (sign-in): a new token, the old one ends
                store.drop(db, loaded.key)
            token = store.create(db, data, now)
            return f"{self.cookie_name}={token}; {self.flags}"

    def _expired(self) -> str:
        return f"{self.cookie_name}=null; {self.flags}; expires=Thu, 01 Jan 1970 00:00:00 GMT"


def _frozen(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def session_key(scope_holder: Any) -> str | None:
    """The store key of the request's session (None before one exists)."""
    return scope_holder.scope.get(SESSION_KEY_SCOPE)


def timeouts_from(idle_minutes: float, absolute_hours: float) -> store.Timeouts:
    return store.Timeouts(timedelta(minutes=idle_minutes), timedelta(hours=absolute_hours))
