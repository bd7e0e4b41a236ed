"""The ASGI interface's types, named once for the pure ASGI middlewares of :mod:`api`
(:mod:`api.app`, :mod:`api.fastpath`, :mod:`api.middleware`, :mod:`api.security_headers`).
Imports nothing of the app, so the serving protocol may import its users early."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
