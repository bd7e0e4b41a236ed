"""The FastAPI application: ``create_app()`` composes the routers; the graph loads once at start.

Run with ``stufenlos serve`` (uvicorn). Settings come from the environment (:mod:`api.settings`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from accessibility_rules.attributes import OSM_ATTRIBUTION
from api.errors import error_response, install_error_handlers
from api.routes import health, profiles, routing
from api.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodySizeLimit:
    """Reject request bodies over ``max_bytes`` with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLargeError:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"request body is larger than {self.max_bytes} bytes",
            {"max_bytes": self.max_bytes},
        )  # fmt: skip
        await response(scope, receive, send)


class _BodyTooLargeError(Exception):
    pass


def create_app(settings: Settings | None = None, *, router: Any = None) -> FastAPI:
    """Build the app. ``router`` (a :class:`routing.engine.Router`) skips loading from disk."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.router is None:
            from graphs.store import load_graph
            from routing.engine import Router

            app.state.router = Router(
                load_graph(settings.graph_dir), max_snap_m=settings.max_snap_m
            )
            app.state.router.warm_up()
        yield

    app = FastAPI(
        title="stufenlos",
        version="0.1.0",
        summary="Step-free pedestrian routing for Kaiserslautern",
        description=(
            "Barrier-free routes for personal profiles (wheelchair, rollator, stroller, blind, "
            f"low vision, elderly …). Map data {OSM_ATTRIBUTION} "
            "(https://www.openstreetmap.org/copyright)."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.router = router
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(profiles.router)
    app.include_router(routing.router)
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
