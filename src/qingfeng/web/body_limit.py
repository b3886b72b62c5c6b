"""Request bodies cut off as they arrive, not after.

A size declared in Content-Length is checked by the routes before reading; a chunked body
declares none, so without this the whole of it would be spooled to disk before any check. The
receive channel is wrapped: once more bytes than the limit for the path have arrived, reading
stops with 413 and the rest is never read.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"请求内容超过上限 {limit // (1024 * 1024)} MB / the request body is larger "
            f"than {limit} bytes",
        )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)
