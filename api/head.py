"""``HEAD`` wherever ``GET`` is answered (RFC 9110 9.3.2): the GET answer's status and headers,
without its body.

FastAPI routes a ``GET`` endpoint for GET only, so ``HEAD /health`` (what uptime monitors send)
was answered 405. This pure ASGI middleware hands a HEAD request to the app as a GET (in a copy
of the scope: the access line still says HEAD) and sends no body bytes; the headers, the
``Content-Length`` of the body a GET would get included, pass unchanged. A path without GET
answers its 405 as before.
"""

from __future__ import annotations

from api.asgi_types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGet"]


class HeadAsGet:
    """Pure ASGI middleware: HEAD answered as GET without a body (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the body's parts are dropped; the last message ends the answer
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
