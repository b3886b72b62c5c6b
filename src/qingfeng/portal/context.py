"""Everything the portal's routes share, built once per app from explicit settings."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.clients import request_client
from qingfeng.localtime import format_time, zone
from qingfeng.portal.challenge import ChallengeBook
from qingfeng.portal.config import PortalConfig
from qingfeng.portal.ratelimit import Buckets
from qingfeng.settings import Settings

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

# Pages carry no inline script or style: a strict policy makes any injected markup inert.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def templates(timezone: str | None = None) -> Jinja2Templates:
    """The portal's templates; `local` / `local_day` print an instant in the workspace's zone
    (the same helper as the back office, so both show the same clock time)."""
    t = Jinja2Templates(directory=str(TEMPLATES_DIR))
    assert t.env.autoescape, "portal templates must autoescape"
    where = zone(timezone)
    t.env.filters["local"] = lambda v: format_time(v, where, "minute")
    t.env.filters["local_day"] = lambda v: format_time(v, where, "day")
    return t


class PageCache:
    """A small LRU of rendered pages (bytes), bounded by entry count, safe across threads."""

    def __init__(self, max_entries: int) -> None:
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._data.get(key)
            if body is not None:
                self._data.move_to_end(key)
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        if self._max <= 0:
            return
        with self._lock:
            self._data[key] = body
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


@dataclass
class PortalContext:
    settings: Settings
    config: PortalConfig
    factory: sessionmaker[Session]
    buckets: Buckets
    challenges: ChallengeBook
    templates: Jinja2Templates
    prefix: str
    page_cache: PageCache
    places: Any = None  # portal.places.PlaceRefresher (import kept out of this module's cycle)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.factory() as session, session.begin():
            yield session

    def client(self, request: Request) -> str:
        """The address limits are keyed on: X-Forwarded-For is read only from the proxies in
        settings.trusted_proxies, right to left (qingfeng.clients)."""
        return request_client(request, self.settings.trusted_proxies)

    def bucket(self, name: str) -> tuple[int, float]:
        return (getattr(self.config, f"{name}_burst"), getattr(self.config, f"{name}_rate"))

    def take(self, request: Request, name: str, key: str | None = None) -> bool:
        cap, rate = self.bucket(name)
        return self.buckets.take(name, key or self.client(request), cap, rate)

    def has(self, request: Request, name: str, key: str | None = None) -> bool:
        cap, rate = self.bucket(name)
        return self.buckets.has(name, key or self.client(request), cap, rate)

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        *,
        no_store: bool = False,
    ) -> HTMLResponse:
        ctx = {"prefix": self.prefix, **(context or {})}
        resp = self.templates.TemplateResponse(request, name, ctx, status_code=status_code)
        resp.headers.update(SECURITY_HEADERS)
        if no_store:
            resp.headers["Cache-Control"] = "no-store"
        return resp

    def refused(self, request: Request, name: str, key: str | None = None) -> Response:
        cap, rate = self.bucket(name)
        retry = self.buckets.retry_after(name, key or self.client(request), cap, rate)
        resp = self.render(
            request, "refused.html", {"retry_after": retry, "title": "请求过于频繁"}, 429
        )
        resp.headers["Retry-After"] = str(retry)
        return resp
