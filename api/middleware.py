"""Request ids and the access log: one pure ASGI middleware, a few microseconds per request.

Every HTTP request gets a request id: the client's ``X-Request-ID`` when it is a sane token
(:data:`REQUEST_ID_PATTERN`: 1–64 letters, digits, ``.``, ``_``, ``:``, ``-``), else a fresh
random one. It is returned in the ``X-Request-ID`` response header and kept in the request's
state (``request.state.request_id``), so error logs can name it.

When the response is complete, one structured line (JSON) goes to the ``stufenlos.access``
logger::

    {"event":"access","request_id":"…","method":"POST","path":"/routes","status":200,
     "ms":3.1,"profile":"wheelchair"}

``profile`` is there when an endpoint set ``request.state.profile`` (the route endpoints do);
``error`` holds the error code of a 4xx/5xx answer in the API's error shape. An exception that
escapes the app is logged (``stufenlos.api``, with its traceback and the request id) and answered
with the plain 500 ``internal_error`` body, the request id in its header; it is not re-raised.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import random
import re
import sys
import threading
import time
from typing import Any

import orjson

from api.asgi_types import ASGIApp, Message, Receive, Scope, Send

#: What a client-sent ``X-Request-ID`` must look like to be echoed (else a fresh id is made).
REQUEST_ID_PATTERN = re.compile(rb"[A-Za-z0-9._:\-]{1,64}")
REQUEST_ID_HEADER = b"x-request-id"

access_log = logging.getLogger("stufenlos.access")
error_log = logging.getLogger("stufenlos.api")

#: Error bodies larger than this are not parsed for their code.
_MAX_ERROR_BODY = 4096


#: The plain stderr handler :func:`_ensure_handler` gave a logger, by logger name.
_OWN_HANDLERS: dict[str, logging.StreamHandler[Any]] = {}


def _ensure_handler(logger: logging.Logger) -> None:
    """Give ``logger`` a plain stderr handler at INFO unless it (or the root) is configured."""
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    _OWN_HANDLERS[logger.name] = handler


#: How long an access line may wait for the ones after it, to be written together (seconds).
ACCESS_FLUSH_S = 0.01


class _Batch:
    """Access lines for the default handler's stream, written together: at most
    :data:`ACCESS_FLUSH_S` after the first of them, from the event loop that logged it.

    Every write to the stream releases the interpreter lock, and taking it back waits for the
    route thread's Python (up to the 1 ms switch interval): once per batch instead of once per
    request. A batch whose loop has ended (a test client's) is written with the next line;
    :func:`flush_access_lines` writes what waits (at shutdown, and at exit)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lines: list[str] = []
        self.handler: logging.StreamHandler[Any] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def add(self, handler: logging.StreamHandler[Any], text: str) -> None:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self.lock:
            stale = self.loop is not None and (self.loop is not loop or self.loop.is_closed())
            waiting = self.timer is not None and not stale
            self.lines.append(text + handler.terminator)
            self.handler = handler
        if loop is None or stale:
            self.flush()
            return
        if not waiting:
            with self.lock:
                self.loop = loop
                self.timer = loop.call_later(ACCESS_FLUSH_S, self.flush)

    def flush(self) -> None:
        with self.lock:
            lines, self.lines = self.lines, []
            handler, timer = self.handler, self.timer
            self.timer = self.loop = None
        if timer is not None:
            timer.cancel()  # harmless when it is the one running now
        if not lines or handler is None:
            return
        try:
            with handler.lock or contextlib.nullcontext():
                handler.stream.write("".join(lines))
                handler.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nowhere left to write to
            pass


_BATCH = _Batch()


def flush_access_lines() -> None:
    """Write the access lines that wait for their batch (the app's shutdown calls it)."""
    _BATCH.flush()


atexit.register(flush_access_lines)


def _log_access(line: dict[str, Any], level: int) -> None:
    """Write one access line (JSON) to the ``stufenlos.access`` logger.

    When that logger has nothing but the plain handler :func:`_ensure_handler` gave it (the
    server's default), the line goes to that handler's stream as its ``emit`` would write it
    (message and newline), in a batch with the lines of the next few milliseconds
    (:class:`_Batch`), without a ``LogRecord``, the logger's handler chain and the formatter:
    those and a write per request took about a quarter of the event loop's time per route
    request. Any other set-up (handlers, filters of the operator's or a test's) gets the line
    through the logger at once, as before.
    """
    try:
        text = orjson.dumps(line).decode()
    except TypeError:  # a lone surrogate in a request's text (a profile's name): escaped
        text = json.dumps(line, ensure_ascii=True, default=str)
    own = _OWN_HANDLERS.get(access_log.name)
    handlers = access_log.handlers
    if (
        own is not None
        and len(handlers) == 1
        and handlers[0] is own
        and not access_log.filters
        and not own.filters
        and own.level <= level
    ):
        _BATCH.add(own, text)
        return
    access_log.log(level, text)


def log_request(
    rid: str,
    method: str | None,
    path: str | None,
    status: int,
    start_s: float,
    profile: str | None = None,
    error_code: str | None = None,
) -> None:
    """The access line of one answered request (``start_s``: its ``time.perf_counter()`` when it
    arrived), in the shape the module doc shows; for :class:`RequestContext` and for the routes
    answered at the HTTP protocol (:mod:`api.direct`)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    line: dict[str, Any] = {
        "event": "access",
        "request_id": rid,
        "method": method,
        "path": path,
        "status": status,
        "ms": round((time.perf_counter() - start_s) * 1000.0, 2),
    }
    if profile is not None:
        line["profile"] = profile
    if error_code is not None:
        line["error"] = error_code
    _log_access(line, logging.WARNING if status >= 500 else logging.INFO)


def new_request_id() -> str:
    """A fresh random request id (16 hex digits). From the ``random`` module, not the OS: an id
    needs to be unique, not secret, and a system call per request costs more than the rest of
    the id handling (``random`` is re-seeded in every forked worker)."""
    return f"{random.getrandbits(64):016x}"


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a fresh id."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if REQUEST_ID_PATTERN.fullmatch(value):
                return value.decode("ascii")
            break
    return new_request_id()


class RequestContext:
    """Pure ASGI middleware: a request id per request, in a header, and one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        _ensure_handler(access_log)
        _ensure_handler(error_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = request_id_of(scope.get("headers") or [])
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = rid
        header = (REQUEST_ID_HEADER, rid.encode("ascii"))
        status = 0
        error_code: str | None = None
        parse_error = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, parse_error, error_code
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
                headers.append(header)
                message["headers"] = headers
                if status >= 400:
                    parse_error = all(k != b"content-encoding" for k, _ in headers)
            elif parse_error and message["type"] == "http.response.body":
                parse_error = False
                error_code = _error_code(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # imported here: api.errors loads the routing engine, and the serving protocol
            # imports this module before numba may be (api/server.py: api.http_protocol first)
            from api.errors import unexpected_error_response

            where = f"request_id={rid} {scope.get('method')} {scope.get('path')}"
            response = unexpected_error_response(exc, where)  # an outage: one line, a 503
            error_code = "database_unavailable" if response.status_code == 503 else "internal_error"
            if status == 0:  # nothing sent yet: answer in the error shape, with the id
                status = response.status_code
                response.headers.append("x-request-id", rid)
                await response(scope, receive, send)
        finally:
            log_request(
                rid, scope.get("method"), scope.get("path"), status, start,
                state.get("profile"), error_code,
            )  # fmt: skip


def _error_code(body: bytes) -> str | None:
    """The ``code`` of an error body in the API's shape (None if it is not one)."""
    if not body or len(body) > _MAX_ERROR_BODY:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    code = parsed.get("code") if isinstance(parsed, dict) else None
    return code if isinstance(code, str) else None
