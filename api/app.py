"""The FastAPI application: ``create_app()`` composes the routers; the graph loads once at start.

Run with ``stufenlos serve`` (uvicorn). Settings come from the environment (:mod:`api.settings`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response

from accessibility_rules.attributes import OSM_ATTRIBUTION
from api.admission import DatabaseAdmission, MapReadAdmission
from api.asgi_types import ASGIApp, Message, Receive, Scope, Send
from api.auth import refuse_before_body
from api.compression import NegotiatedGZip
from api.cpu import short_gil_switches
from api.declared_query import DeclaredQuery
from api.errors import error_response, install_error_handlers
from api.fastpath import FastRoutes
from api.head import HeadAsGet
from api.heap import release_free_heap
from api.middleware import RequestContext, flush_access_lines
from api.obstacles.public_map import ActiveMap
from api.routes import (
    bench,
    health,
    matrix,
    network,
    obstacles,
    priorities,
    profiles,
    reports,
    routing,
)
from api.security_headers import (
    CONSOLE_PATH,
    DOCS_ASSETS_PATH,
    DOCS_PATH,
    SecurityHeaders,
    console_csp,
)
from api.settings import Settings
from api.unique_keys import UniqueKeysRoute


class EncodedBodyRefusal:
    """Refuse a request body sent with a ``Content-Encoding`` (gzip, br …) with 415
    ``unsupported_encoding``: a body is read as it is sent (a gzip body was answered 422 "error
    parsing the body", and plain JSON labelled gzip was read as if the label were not there).
    The serving protocol's direct route path hands such requests to the app (:mod:`api.direct`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            encoding = headers.get(b"content-encoding", b"").strip().lower()
            has_body = (
                headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
            )
            if encoding not in (b"", b"identity") and has_body:
                named = encoding.decode("latin-1")
                response = error_response(
                    415, "unsupported_encoding",
                    f"request bodies are read as sent: Content-Encoding {named!r} is not "
                    "supported; send the body uncompressed",
                    {"content_encoding": named},
                )  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


#: The console's built files, by default (``make console`` writes them).
CONSOLE_DIST = Path(__file__).resolve().parent.parent / "console" / "dist"


_SWAGGER_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} – API docs</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{docs}/init.js"></script>
</body>
</html>
"""

_SWAGGER_INIT = """window.ui = SwaggerUIBundle({{
  url: "{openapi}",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout"
}});
"""


_NOT_BUILT_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title} – not built</title></head>
<body>
<main>
<h1>{heading_en}</h1>
<p>Run <code>make console</code> (or <code>make run</code>) in the checkout, then reload this
page.{more_en}</p>
<p lang="de">{heading_de}: <code>make console</code> ausführen (oder <code>make run</code>),
dann die Seite neu laden.{more_de}</p>
</main>
</body>
</html>
"""


def _not_built_page(
    title: str, heading_en: str, heading_de: str, more_en: str = "", more_de: str = ""
) -> HTMLResponse:
    """The 503 page of a part that comes with the web console's build: what is missing (in
    English and German), how to build it (``make console``), and ``more_*`` after that."""
    html = _NOT_BUILT_HTML.format(
        title=title, heading_en=heading_en, heading_de=heading_de, more_en=more_en, more_de=more_de
    )
    return HTMLResponse(html, status_code=503)


def add_local_docs(app: FastAPI, console_dir: Path) -> None:
    """``/docs``: Swagger UI served from this machine, no CDN, no inline script (so that the CSP
    can forbid them).

    The files come from the console's build (``make console``: npm's ``swagger-ui-dist`` 5,
    which reads the OpenAPI 3.1 that FastAPI writes). Without it ``/docs`` answers 503 with a
    page that says how to build it and links ``/openapi.json``: the Swagger UI 4 of PyPI's
    ``swagger-ui-bundle``, served here before, showed only "Unable to render this definition"
    for OpenAPI 3.1."""
    from fastapi.staticfiles import StaticFiles

    assets = console_dir / "vendor" / "swagger-ui"
    if not (assets / "swagger-ui-bundle.js").is_file():
        link = f'<a href="{app.openapi_url}">{app.openapi_url}</a>'
        missing = (
            f"{app.title} API docs",
            "The API docs page is not built (it comes with the web console)",
            "Die API-Dokumentation ist nicht gebaut (sie kommt mit der Web-Konsole)",
            f" The API's description is served all the same, as OpenAPI 3.1: {link}.",
            f" Die Beschreibung der API als OpenAPI 3.1: {link}.",
        )

        @app.get(DOCS_PATH, include_in_schema=False)
        def docs_missing() -> HTMLResponse:
            return _not_built_page(*missing)

        return
    html = _SWAGGER_HTML.format(title=app.title, assets=DOCS_ASSETS_PATH, docs=DOCS_PATH)
    init = _SWAGGER_INIT.format(openapi=app.openapi_url)
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=assets), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html)

    @app.get(f"{DOCS_PATH}/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(init, media_type="text/javascript")


def add_console(app: FastAPI, directory: Path) -> None:
    """``/console/``: the built web console (static files, ``index.html`` for directories) when
    ``directory`` exists, else a page saying how to build it (503)."""
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles

    @app.get(CONSOLE_PATH, include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse(CONSOLE_PATH + "/", status_code=308)

    if directory.is_dir():
        app.mount(CONSOLE_PATH, StaticFiles(directory=directory, html=True), name="console")
        return

    @app.get(CONSOLE_PATH + "/{rest:path}", include_in_schema=False)
    def console_missing(rest: str) -> HTMLResponse:
        return _not_built_page(
            f"{app.title} console",
            "The web console is not built",
            "Die Web-Konsole ist nicht gebaut",
        )


def build_route_handlers(app: FastAPI) -> None:
    """Have the framework build every route's request machinery now, not on a first request.

    FastAPI builds a route's dependency tree and its body and response fields lazily, for all
    routes of an included router at once, when a request first walks them: about 35–50 ms on
    the event loop of a worker's first request that leaves the route fast path (a staff write
    under load was its victim, 60–90 ms late). Matching a path that no route answers walks
    every route through Starlette's public ``matches``; ``stufenlos serve`` calls this in the
    parent before forking, so every worker starts with it, in shared pages."""
    for route in app.router.routes:  # a fresh scope each: matching writes into it
        route.matches(
            {"type": "http", "method": "GET", "path": "/", "root_path": "", "headers": [],
             "query_string": b""}
        )  # fmt: skip


def load_router(settings: Settings) -> Any:
    """The :class:`routing.engine.Router` of ``settings.graph_dir``, its kernels loaded."""
    from graphs.store import load_graph
    from routing.engine import Router

    router = Router(
        # memory-mapped: the workers share the graph's pages instead of copying them
        load_graph(settings.graph_dir, mmap=True),
        max_snap_m=settings.max_snap_m,
        metric_cache_bytes=settings.metric_cache_bytes,
        settle_budget_factor=settings.settle_budget_factor,
        refresh_landmarks=settings.landmark_refresh,  # obstacles loosen the bound: bought back
    )
    router.warm_up()
    return router


def create_app(settings: Settings | None = None, *, router: Any = None) -> FastAPI:
    """Build the app. ``router`` (a :class:`routing.engine.Router`) skips loading from disk."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.router is None:  # ``stufenlos serve`` preloads it, before forking
            app.state.router = load_router(settings)
        from api.obstacles.wiring import start_obstacles

        close_database = start_obstacles(app, settings)  # after the Router: obstacles patch it
        release_free_heap()  # start-up's temporaries (a few MB a worker) back to the system
        short_gil_switches()  # routes on the loop hold the GIL: threads get it within 1 ms
        try:
            yield
        finally:
            # runs of the testers end at their next step, before the interpreter would end
            # their threads inside a library's C++ code (an abort)
            await asyncio.get_running_loop().run_in_executor(None, app.state.bench_jobs.stop)
            poll_ahead = getattr(app.state, "poll_ahead", None)
            if poll_ahead is not None:
                await poll_ahead.aclose()  # before the database it polls is released
            close_database()
            flush_access_lines()  # the access lines still waiting for their batch

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
        docs_url=None,
        redoc_url=None,
    )
    app.router.route_class = UniqueKeysRoute  # the app's own endpoints too (api/unique_keys.py)
    app.state.settings = settings
    app.state.router = router
    app.state.active_map = ActiveMap(
        f"{settings.obstacles_attribution}; map data {OSM_ATTRIBUTION}",
        settings.gzip_level,
        settings.gzip_min_bytes,
    )  # the public map of the obstacles (GET /obstacles/active)
    install_error_handlers(app, caller_check=refuse_before_body)
    app.include_router(health.router)
    app.include_router(profiles.router)
    app.include_router(routing.router)
    app.include_router(matrix.router)
    app.include_router(obstacles.router)
    app.include_router(reports.router)
    app.include_router(network.router)
    app.include_router(priorities.router)
    app.include_router(bench.router)
    from graphs import settings as graph_settings
    from testers.jobs import BenchJobs

    app.state.bench_jobs = BenchJobs(
        settings.bench_dir or graph_settings.cache_dir / "bench_runs", settings.max_bench_jobs
    )
    if settings.docs:
        add_local_docs(app, settings.console_dir or CONSOLE_DIST)
    add_console(app, settings.console_dir or CONSOLE_DIST)
    if settings.fast_routes:  # inside gzip, CORS and the size limit: their headers and 413 stay
        app.add_middleware(FastRoutes)
    app.add_middleware(MapReadAdmission)  # one map read at a time beside the routes
    app.add_middleware(DatabaseAdmission)  # the database's paths hold at most 12 pool threads
    app.add_middleware(
        NegotiatedGZip, minimum_size=settings.gzip_min_bytes, compresslevel=settings.gzip_level
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
    app.add_middleware(EncodedBodyRefusal)  # before the size limit: nothing of it is read
    app.add_middleware(DeclaredQuery, routes_of=app)  # ?profile=a&profile=b, unknown ones: 422
    app.add_middleware(
        SecurityHeaders, console_csp=console_csp(settings.console_tile_origins)
    )  # also on 413s and errors of the others
    app.add_middleware(HeadAsGet)  # HEAD wherever GET: every layer inside sees a GET
    app.add_middleware(RequestContext)  # outermost: every answer gets an id and a log line
    return app
