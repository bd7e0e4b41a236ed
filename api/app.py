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
from api.routes import health, matrix, obstacles, profiles, reports, routing
from api.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodySizeLimit:
    """Reject request bodies over ``max_bytes`` with 413, whether or not Content-Length is sent."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None
    ) -> None:
        self.app, self.max_bytes, self.per_path = app, max_bytes, per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(scope, receive, send, max_bytes)
            return
        seen = 0
        too_large = False

        async def limited() -> Message:
            # past the limit the app is told the client went away; we answer 413 ourselves
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                too_large = True
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not too_large:  # whatever the app answers to a cut-off body is dropped
                await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not too_large:
                raise
        if too_large:
            await self._reject(scope, receive, send, max_bytes)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        response = error_response(
            413, "payload_too_large", f"request body is larger than {max_bytes} bytes",
            {"max_bytes": max_bytes},
        )  # fmt: skip
        await response(scope, receive, send)


def create_app(settings: Settings | None = None, *, router: Any = None) -> FastAPI:
    """Build the app. ``router`` (a :class:`routing.engine.Router`) skips loading from disk."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.router is None:
            from graphs.store import load_graph
            from routing.engine import Router

            app.state.router = Router(
                # memory-mapped: the workers share the graph's pages instead of copying them
                load_graph(settings.graph_dir, mmap=True),
                max_snap_m=settings.max_snap_m,
                metric_cache_bytes=settings.metric_cache_bytes,
            )
            app.state.router.warm_up()
        from api.obstacles.wiring import start_obstacles

        close_database = start_obstacles(app, settings)  # after the Router: obstacles patch it
        try:
            yield
        finally:
            close_database()

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
    app.include_router(matrix.router)
    app.include_router(obstacles.router)
    app.include_router(reports.router)
    app.add_middleware(
        GZipMiddleware, minimum_size=settings.gzip_min_bytes, compresslevel=settings.gzip_level
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["*"],
        )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        per_path={
            "/reports": settings.max_report_bytes,
            "/obstacles/import": settings.max_import_bytes,
        },
    )
    return app
