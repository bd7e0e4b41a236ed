"""``POST /routes`` answered at the HTTP protocol: the route's bytes straight onto the socket.

A route request through ASGI costs, besides its route, a request task, the request and response
messages through ten middleware layers and two socket writes: about 0.1 ms back to back and
0.2 ms on a worker that has been idle for a few milliseconds (measured over HTTP with the route
itself stubbed: 0.26 against 0.14 ms, 0.40 against 0.19 ms with 4 ms pauses). For the
well-formed route request of ``stufenlos serve`` this module does without all of it.
:class:`DirectRoutes`, a mixin of the serving protocol
(:class:`api.http_protocol.HeadTimeoutHttpToolsProtocol`, uvicorn's httptools protocol), collects the
body itself, validates it as :mod:`api.fastpath` does, computes the same
:func:`~api.route_answers.route_answer` (a short route on the event loop, in turn with the
worker's other short routes, :mod:`api.loop_routes`, and those queued together computed
together, :func:`~api.route_answers.route_answers`, the same bytes; one with via points,
alternatives or a rest limit in the CPU thread from a request task in uvicorn's set) and writes
status line, headers and body in one ``transport.write``. The headers
are those the ASGI path's middlewares give a route answer (:func:`route_headers`), the access
line is the same (:func:`api.middleware.log_request`); ``tests/api/test_direct.py`` holds both
paths to the same bytes over real sockets.

Only a request the direct path can finish on its own takes it: HTTP/1.1 with keep-alive,
``POST /routes`` without a query, a JSON content type and a ``Content-Length`` within
``max_body_bytes``, no ``Expect``, no CORS configured (its middleware adds ``Vary: Origin`` to
every answer), no earlier request of the connection still being answered, a client that reads its answers, under the concurrency
limit. Everything else, and a body that does not validate, goes to the app through an ASGI
cycle as before (made when the body is complete, with the body handed over). A route that
raises (an unknown profile, no route with ``strict``, the search budget) is answered by the app
too: its cycle carries the validated request and the exception
(:data:`~api.fastpath.DIRECT_OUTCOME`), so the app's handler shapes the error and nothing is
computed twice.

A request that a client pipelines behind a route still in the CPU thread waits in uvicorn's own
queue (the connection's cycle reads as busy meanwhile) and starts when the route's answer is
written. ``STUFENLOS_DIRECT_ROUTES=false`` turns the path off; in process (test clients,
``httpx.ASGITransport``) it does not exist: there is no protocol.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle

from api.compression import accepts_gzip
from api.cpu import cpu_idle, run_cpu
from api.fastpath import (
    DIRECT_OUTCOME,
    ROUTE_PATH,
    json_media_type,
    parse_route_request,
    short_route,
)
from api.inflight import nothing_but_routes
from api.loop_routes import LoopRoutes, RunTogether, loop_routes
from api.middleware import REQUEST_ID_HEADER, log_request, request_id_of
from api.obstacles.read_ahead import Arrival
from api.responses import EncodedAnswer
from api.schemas import RouteRequest
from api.security_headers import API_HEADERS

if TYPE_CHECKING:
    from uvicorn._types import HTTPScope

    from api.settings import Settings

__all__ = ["DirectRoutes", "route_headers"]

Headers = Sequence[tuple[bytes, bytes]]

_ROUTE_URL = ROUTE_PATH.encode("ascii")
_NO_STORE = (b"cache-control", b"no-store")
_VARY = (b"vary", b"Accept-Encoding")


def _new_queue(loop: asyncio.AbstractEventLoop, settings: Settings) -> LoopRoutes:
    """A worker's queue of short routes (:mod:`api.loop_routes`): paused while the CPU thread
    works, several routes per turn while nothing but routes waits, the settings' turn limits."""
    return LoopRoutes(
        loop, cpu_idle, may_batch=nothing_but_routes, turn_routes=settings.loop_turn_routes,
        turn_s=settings.loop_turn_ms / 1e3,
    )  # fmt: skip


def route_headers(
    default: Headers, answer: Headers, body_size: int, gzip_min_bytes: int, rid: str
) -> list[tuple[bytes, bytes]]:
    """The headers of a route answer as the ASGI path sends them: the server's ``default``
    (its date), the ``answer``'s own, ``Vary: Accept-Encoding`` on an uncompressed body of at
    least ``gzip_min_bytes`` (Starlette's gzip middleware adds it when it leaves a body as it
    is), ``Cache-Control: no-store`` and the security headers
    (:class:`api.security_headers.SecurityHeaders`), the request id
    (:class:`api.middleware.RequestContext`)."""
    headers = [*default, *answer]
    if body_size >= gzip_min_bytes and all(name != b"content-encoding" for name, _ in answer):
        headers.append(_VARY)
    headers.append(_NO_STORE)
    headers.extend(API_HEADERS)
    headers.append((REQUEST_ID_HEADER, rid.encode("ascii")))
    return headers


def _wire(status: int, headers: Headers, body: bytes) -> bytes:
    """Status line, headers and body as one HTTP/1.1 message."""
    parts = [STATUS_LINE[status]]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts += (b"\r\n", body)
    return b"".join(parts)


class _Busy:
    """The connection's cycle while a direct route is in the CPU thread: uvicorn queues a
    pipelined request behind it and lets a shutdown close the connection after its answer."""

    response_complete = False
    disconnected = False
    keep_alive = True

    def __init__(self) -> None:
        self.message_event = asyncio.Event()


@dataclass(slots=True)
class _Pending:
    """A direct route request while its body arrives."""

    app: Any  # the FastAPI app (its state holds the router, the settings, the live obstacles)
    scope: dict[str, Any]
    headers: list[tuple[bytes, bytes]]
    start_s: float
    #: the obstacle beacon's value when the head arrived (None: no live obstacles): writes
    #: made after it are not waited for (:mod:`api.obstacles.read_ahead`)
    arrived: Arrival = None
    chunks: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class _LoopJob:
    """A short route in the loop's queue (:class:`api.loop_routes.LoopRoutes`): computed alone
    (a call) or with the queue's next ones (:func:`_answer_together`)."""

    protocol: DirectRoutes
    pending: _Pending
    body: bytes
    req: RouteRequest
    gzip_ok: bool

    def __call__(self) -> Callable[[], None] | None:
        return self.protocol._direct_on_loop(self.pending, self.body, self.req, self.gzip_ok)

    @property
    def run_together(self) -> RunTogether:
        return _answer_together


def _answer_together(jobs: list[Any]) -> list[Callable[[], None] | None]:
    """The routes of several queued jobs (:class:`_LoopJob`) computed together, stage by stage
    (:func:`api.route_answers.route_answers`: every request's checks and day, every snap and
    search, every report, every step list, every answer's JSON and gzip), each answered as it
    would be alone: its write, or its request handed to the CPU thread or the app."""
    from api.route_answers import route_answers

    out: list[Callable[[], None] | None] = [None] * len(jobs)
    here = [
        i
        for i, j in enumerate(jobs)
        if j.protocol._direct_here(j.pending, j.body, j.req, j.gzip_ok)
    ]
    by_app: dict[int, list[int]] = {}
    for i in here:  # one app per worker; several only in a test process
        by_app.setdefault(id(jobs[i].pending.app), []).append(i)
    for group in by_app.values():
        state = jobs[group[0]].pending.app.state
        answers = route_answers(
            state.router, [jobs[i].req for i in group], state.settings,
            getattr(state, "live_obstacles", None), [jobs[i].gzip_ok for i in group],
            refresh=False,
        )  # fmt: skip
        for i, answer in zip(group, answers, strict=True):
            j = jobs[i]
            out[i] = j.protocol._direct_done(j.pending, j.body, j.req, answer)
    return out


def _served_app(app: Any) -> Any:
    """The FastAPI app inside uvicorn's wrappers (the proxy-headers middleware), or None."""
    for _ in range(8):
        if hasattr(app, "exception_handlers") and hasattr(app, "state"):
            return app
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class DirectRoutes:
    """Mixin for uvicorn's httptools protocol: a well-formed ``POST /routes`` answered without
    ASGI (see the module doc). The attributes below are the protocol's."""

    app: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    parser: Any
    url: bytes
    headers: list[tuple[bytes, bytes]]
    scope: Any
    cycle: Any
    flow: Any
    tasks: set[asyncio.Task[None]]
    connections: set[Any]
    limit_concurrency: int | None
    server_state: Any
    expect_100_continue: bool
    logger: Any
    access_logger: Any
    access_log: bool
    _direct: _Pending | None = None
    _answering: Any = None  # the cycle whose app runs (api.reading: told when the client goes)

    def on_headers_complete(self) -> None:
        pending = self._direct_head()
        if pending is None:
            super().on_headers_complete()  # type: ignore[misc]
            return
        self._direct = pending

    def on_body(self, body: bytes) -> None:
        if self._direct is not None:
            self._direct.chunks.append(body)
            return
        super().on_body(body)  # type: ignore[misc]

    def on_message_complete(self) -> None:
        pending = self._direct
        if pending is None:
            super().on_message_complete()  # type: ignore[misc]
            return
        self._direct = None
        self._direct_begin(pending)

    # --- deciding -----------------------------------------------------------------------
    def _direct_head(self) -> _Pending | None:
        """The pending request when this head is one the direct path can finish, else None."""
        if self.url != _ROUTE_URL or self.parser.get_method() != b"POST":
            return None
        app = _served_app(self.app)
        settings = getattr(app.state, "settings", None) if app is not None else None
        if settings is None or not (settings.direct_routes and settings.fast_routes):
            return None
        if settings.cors_origins:  # CORS headers (and its Vary: Origin) are the app's to add
            return None
        if (
            self.parser.get_http_version() != "1.1"
            or not self.parser.should_keep_alive()
            or self.parser.should_upgrade()
            or self.expect_100_continue
            or (self.cycle is not None and not self.cycle.response_complete)
            or self.flow.write_paused  # a client that does not read: ASGI waits for it
        ):
            return None
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            return None  # uvicorn answers 503
        length = -1
        json_body = False
        for name, value in self.headers:
            if name == b"content-length":
                if not value.isdigit():
                    return None
                length = int(value)
            elif name == b"content-type":
                json_body = json_media_type(value)
            elif name in (b"transfer-encoding", b"content-encoding"):
                return None  # the app's path (a chunked body; 415 for an encoded one)
        if not json_body or not 0 <= length <= settings.max_body_bytes:
            return None
        scope = self.scope
        scope.update(method="POST", path=ROUTE_PATH, raw_path=_ROUTE_URL, query_string=b"")
        live = getattr(app.state, "live_obstacles", None)
        arrived = live.beacon.value() if live is not None else None
        return _Pending(app, scope, self.headers, time.perf_counter(), arrived)

    def _direct_begin(self, pending: _Pending) -> None:
        """Answer a complete direct request: on the loop, in the CPU thread or through ASGI."""
        body = b"".join(pending.chunks)
        req = parse_route_request(body)
        if req is None:  # the app's validation answers it (422 with the problems)
            self._direct_to_app(pending, body, None)
            return
        state = pending.app.state
        settings = state.settings
        gzip_ok = accepts_gzip(pending.headers)
        from api.route_answers import refuse_far_away  # (loads the engine)

        try:
            refuse_far_away(state.router, req, settings)
        except Exception as exc:  # the app's handler shapes it (api.fastpath.DIRECT_OUTCOME)
            self._direct_to_app(pending, body, (req, exc))
            return
        self.cycle = _Busy()
        if settings.idle_loop_routes and short_route(req):  # in turn, on the loop
            job = _LoopJob(self, pending, body, req, gzip_ok)
            loop_routes(self.loop, lambda loop: _new_queue(loop, settings)).put(job)
        else:
            self._request_task(self._direct_in_thread(pending, body, req, gzip_ok))

    def _direct_on_loop(
        self, pending: _Pending, body: bytes, req: RouteRequest, gzip_ok: bool
    ) -> Callable[[], None] | None:
        """A short route's job on the loop (:class:`api.loop_routes.LoopRoutes`): computed here,
        its answer's write returned (for the end of the turn); or in the CPU thread when the
        live obstacles need a database read first; not at all when its client has gone
        meanwhile (the connection is closing)."""
        if not self._direct_here(pending, body, req, gzip_ok):
            return None
        from api.route_answers import route_answer

        state = pending.app.state
        live = getattr(state, "live_obstacles", None)
        try:
            response = route_answer(state.router, req, state.settings, live, gzip_ok, refresh=False)
        except Exception as exc:
            return self._direct_done(pending, body, req, exc)
        return self._direct_done(pending, body, req, response)

    def _direct_here(
        self, pending: _Pending, body: bytes, req: RouteRequest, gzip_ok: bool
    ) -> bool:
        """Whether a queued short route is to be computed on the loop now: not when its client
        has gone meanwhile (the connection is closing), nor when the live obstacles need a
        database read or a reload first (then it goes to the CPU thread; a write made after
        the request arrived is read in the background instead, :mod:`api.obstacles.read_ahead`)."""
        if self.transport.is_closing():
            self.cycle = None
            return False
        live = getattr(pending.app.state, "live_obstacles", None)
        if live is not None and not live.fresh_for(pending.arrived):
            self._request_task(self._direct_in_thread(pending, body, req, gzip_ok))
            return False
        return True

    def _direct_done(
        self, pending: _Pending, body: bytes, req: RouteRequest, outcome: EncodedAnswer | Exception
    ) -> Callable[[], None] | None:
        """The write of a route's answer computed on the loop (for the end of the turn), or, for
        a route that raised, its request handed to the app with the exception."""
        if isinstance(outcome, Exception):
            self._direct_to_app(pending, body, (req, outcome))
            return None
        return functools.partial(self._direct_write, pending, req, outcome)

    async def _direct_in_thread(
        self, pending: _Pending, body: bytes, req: RouteRequest, gzip_ok: bool
    ) -> None:
        from api.route_answers import route_answer

        state = pending.app.state
        live = getattr(state, "live_obstacles", None)
        try:
            response = await run_cpu(
                route_answer, state.router, req, state.settings, live, gzip_ok,
                arrived=pending.arrived,
            )  # fmt: skip
        except Exception as exc:
            self._direct_to_app(pending, body, (req, exc))
            return
        self._direct_write(pending, req, response)

    # --- answering ----------------------------------------------------------------------
    def _direct_write(self, pending: _Pending, req: RouteRequest, response: EncodedAnswer) -> None:
        """Write the answer in one piece, log it, and let the connection go on (keep-alive, a
        pipelined request, a shutdown that waited for it)."""
        state = pending.app.state
        rid = request_id_of(pending.headers)
        body = response.body
        headers = route_headers(
            self.server_state.default_headers, response.raw_headers, len(body),
            state.settings.gzip_min_bytes, rid,
        )  # fmt: skip
        busy = self.cycle if isinstance(self.cycle, _Busy) else None
        closing = self.transport.is_closing()
        if not closing:
            self.transport.write(_wire(response.status_code, headers, body))
        log_request(
            rid, "POST", ROUTE_PATH, response.status_code, pending.start_s, req.profile.name
        )
        if busy is not None:
            self.cycle = None
            if not busy.keep_alive and not closing:  # a shutdown began meanwhile
                self.transport.close()
                return
        self.on_response_complete()  # type: ignore[attr-defined]
        poll_ahead = getattr(state, "poll_ahead", None)
        if poll_ahead is not None and state.settings.idle_loop_routes:
            poll_ahead.answered()

    def _direct_to_app(
        self, pending: _Pending, body: bytes, outcome: tuple[RouteRequest, Exception] | None
    ) -> None:
        """Hand the request to the app through an ASGI cycle, with its body (and, when its route
        raised, the request and the exception: :data:`~api.fastpath.DIRECT_OUTCOME`)."""
        if self.transport.is_closing():  # the client went away while its route ran
            return
        scope = pending.scope
        if outcome is not None:
            scope.setdefault("state", {})[DIRECT_OUTCOME] = outcome
        on_response = self.on_response_complete  # type: ignore[attr-defined]
        cycle = RequestResponseCycle(
            scope=cast("HTTPScope", scope), transport=self.transport, flow=self.flow, logger=self.logger,
            access_logger=self.access_logger, access_log=self.access_log,
            default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
            expect_100_continue=False, keep_alive=True, on_response=on_response,
        )  # fmt: skip
        # bytes where uvicorn keeps a bytearray: its receive() hands on bytes(body), the same object
        cycle.body = body  # type: ignore[assignment]
        cycle.more_body = False
        cycle.message_event.set()  # the whole body is there
        if self.cycle is None or isinstance(self.cycle, _Busy) or self.cycle.response_complete:
            self.cycle = cycle  # (a pipelined request already parsed stays the current one)
        self._answering = cycle
        self._request_task(cycle.run_asgi(self.app))

    def _request_task(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a request task that uvicorn counts (its concurrency limit, a graceful
        shutdown, :func:`api.inflight.alone`), as its own cycles are."""
        task = self.loop.create_task(work)
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)
