"""``POST /routes`` without the framework's per-request machinery, for the well-formed request.

A route request is the service's hot path: about a millisecond of route, report and
instructions, and, through FastAPI, about 0.2–0.3 ms more of routing the path over every
endpoint, solving dependencies, wrapping the body in a ``Request`` and passing the answer through
the exception and gzip middlewares (measured in process; the route itself already compresses
its answer in the CPU thread). :class:`FastRoutes` is a pure ASGI middleware inside the request
id, access log, security headers, body size limit, CORS and gzip middlewares (so what they add
is the same for every request)
that answers ``POST /routes`` itself when, and only when, the body is a JSON object that
:class:`~api.schemas.RouteRequest` accepts:

- it validates as FastAPI does (the parsed JSON through the model in Python mode) and calls the
  same :func:`api.route_answers.route_answer` in the same CPU thread, or, for a short one-leg
  route that is the only request its worker has in hand, on the event loop itself
  (:func:`on_idle_loop`: no thread hand-over when nothing else waits); after answering, it
  arms the live obstacles' background poll (in a served worker)
  (:class:`~api.obstacles.poll_ahead.PollAhead`), so that the next route finds them polled
  and stays on the loop;
- an exception of the route (no route, out of area, a parameter out of range …) is answered by
  the handler the app registered for it (:mod:`api.errors`), looked up the way Starlette does;
- anything else — another path or method, no JSON content type, a body that does not parse or
  validate — goes to the app unchanged, with the body it read handed on, so every error answer
  and everything the OpenAPI document says come from one place, the FastAPI route.

Equivalence (identical bodies and headers on both paths, for answers and errors) is tested in
``tests/api/test_fastpath.py``; ``STUFENLOS_FAST_ROUTES=false`` turns it off.

Under ``stufenlos serve`` most well-formed route requests do not reach this middleware: the
serving protocol answers them itself (:mod:`api.direct`), and what it cannot finish comes here
as an ordinary request, a route's error with it (:data:`DIRECT_OUTCOME`). In process (test
clients) every route request comes here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError
from starlette.requests import Request

from accessibility_rules.profile import load_preset
from accessibility_rules.profile_errors import ProfileError
from api.asgi_types import ASGIApp, Message, Receive, Scope, Send
from api.compression import accepts_gzip
from api.cpu import cpu_idle, run_cpu
from api.inflight import alone
from api.loop_routes import loop_idle
from api.schemas import RouteRequest
from api.unique_keys import has_duplicate_keys

if TYPE_CHECKING:
    from api.obstacles.live import LiveObstacles


ROUTE_PATH = "/routes"


def json_media_type(content_type: bytes) -> bool:
    """Whether a ``Content-Type`` value says JSON (``application/json``, parameters allowed)."""
    return content_type.split(b";", 1)[0].strip().lower() == b"application/json"


def _json_content(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request says its body is JSON (:func:`json_media_type`)."""
    for name, value in headers:
        if name == b"content-type":
            return json_media_type(value)
    return False


def _handler_for(app: Any, exc: Exception) -> Callable[..., Awaitable[Any]] | None:
    """The app's exception handler for ``exc`` (the nearest class in its MRO, as Starlette's
    exception middleware looks it up). Not the catch-all one for ``Exception``: an unexpected
    error escapes the app on both paths, and :class:`api.middleware.RequestContext` logs it and
    answers 500."""
    handlers = app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            handler: Callable[..., Awaitable[Any]] = handlers[cls]
            return handler
    return None


def parse_route_request(body: bytes) -> RouteRequest | None:
    """The request when ``body`` is a JSON object :class:`RouteRequest` accepts (validated as
    FastAPI does: the parsed JSON through the model in Python mode) and no object of it names
    a key twice (:mod:`api.unique_keys`), else ``None``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or has_duplicate_keys(body, data):
        return None
    try:
        return RouteRequest.model_validate(data)
    except (ValidationError, ValueError, TypeError):
        return None


#: Where a route request that :mod:`api.direct` began and could not finish hands this path what
#: it found (``scope["state"][DIRECT_OUTCOME]``: the validated request and the exception its route
#: raised), so that the error is answered here, from the app's handler, without a second route.
DIRECT_OUTCOME = "stufenlos.direct_outcome"


#: The profile parameter whose exact rest-constrained search can take tens of milliseconds.
_RESTS_PARAMETER = "max_distance_between_rests_m"


def on_idle_loop(req: RouteRequest, live: LiveObstacles | None) -> bool:
    """Whether to compute this route on the event loop itself rather than in the CPU thread.

    Yes when nothing else waits for the loop or the thread: the request is the only one the
    worker has in hand (:func:`api.inflight.alone`), the CPU thread has no job in, no route
    waits in the loop's queue (:func:`api.loop_routes.loop_idle`), and the live obstacles need
    no database read first (:meth:`LiveObstacles.fresh`; while the worker answers routes,
    :class:`~api.obstacles.poll_ahead.PollAhead` makes that read between them);
    and the route is a short job: one leg, no alternatives, no distance between rests to honour (on
    Kaiserslautern such a whole answer takes 0.6–1.3 ms median and at most about 11 ms for trips
    of up to 8 km, where the exact rest search of ``elderly`` takes up to 43 ms). The hand-over
    to the thread and back costs an idle worker about 0.1–0.2 ms of a concurrency-1 request's
    latency (two thread wake-ups). A request that arrives meanwhile waits for this one route.
    This is the ASGI path's rule (a route request the HTTP protocol does not answer itself);
    a short route that the protocol answers is computed on the loop in turn, alone in its
    worker or not (:mod:`api.direct`, :mod:`api.loop_routes`).
    """
    return (
        short_route(req)
        and alone()
        and cpu_idle()
        and loop_idle()
        and (live is None or live.fresh())
    )


def short_route(req: RouteRequest) -> bool:
    """Whether ``req`` asks for a short job, one the event loop may compute: one leg, no
    alternatives, no distance between rests to honour (:func:`on_idle_loop`; the routes the
    HTTP protocol answers itself are computed on the loop in turn, :mod:`api.loop_routes`)."""
    return not req.via and not req.alternatives and not _rests_asked(req)


def _rests_asked(req: RouteRequest) -> bool:
    """Whether the request's profile limits the distance between rests (an unknown preset
    counts as yes: the CPU thread answers its error)."""
    parameters = req.profile.parameters
    if _RESTS_PARAMETER in parameters:
        return parameters[_RESTS_PARAMETER] is not None
    try:
        return load_preset(req.profile.name).max_distance_between_rests_m is not None
    except (ProfileError, ValueError):
        return True


class FastRoutes:
    """Answer a well-formed ``POST /routes`` directly; hand everything else to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != ROUTE_PATH
            or not _json_content(scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        outcome = scope.get("state", {}).pop(DIRECT_OUTCOME, None)
        if outcome is not None:  # begun at the protocol (api.direct): its error, answered here
            req, raised = outcome
            await self._answer(scope, receive, send, req, raised=raised)
            return
        chunks: list[bytes] = []
        message: Message = {"type": "http.request", "body": b"", "more_body": True}
        while message.get("more_body", False):
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the app decides
                break
            chunks.append(message.get("body", b""))
        body = b"".join(chunks)
        request = parse_route_request(body) if message["type"] == "http.request" else None
        if request is None:
            await self.app(scope, self._replay(body, message, receive), send)
            return
        await self._answer(scope, receive, send, request)

    @staticmethod
    def _replay(body: bytes, last: Message, receive: Receive) -> Receive:
        """A ``receive`` that gives the app the body already read (then the client's own)."""
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                if last["type"] != "http.request":
                    return last
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        req: RouteRequest,
        *,
        raised: Exception | None = None,
    ) -> None:
        from api.route_answers import refuse_far_away, route_answer

        app = scope["app"]
        state = scope.setdefault("state", {})
        state["profile"] = req.profile.name  # for the access log (api.middleware)
        app_state = app.state
        router, settings = app_state.router, app_state.settings
        live = getattr(app_state, "live_obstacles", None)
        try:
            if raised is not None:
                raise raised
            refuse_far_away(router, req, settings)
            gzip_ok = accepts_gzip(scope["headers"])
            if settings.idle_loop_routes and on_idle_loop(req, live):
                answer = route_answer(router, req, settings, live, gzip_ok, refresh=False)
            else:
                answer = await run_cpu(route_answer, router, req, settings, live, gzip_ok)
            response = answer.response()
        except Exception as exc:
            handler = _handler_for(app, exc)
            if handler is None:
                raise  # the request context middleware logs it and answers 500
            response = await handler(Request(scope, receive), exc)
        await response(scope, receive, send)
        poll_ahead = getattr(app_state, "poll_ahead", None)
        if poll_ahead is not None and settings.idle_loop_routes:
            poll_ahead.answered()  # the next route finds the obstacles polled: on the loop
