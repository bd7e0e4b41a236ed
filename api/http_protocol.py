"""The HTTP protocol the workers speak: uvicorn's, with a head and a body timeout, hardened.

A request head must arrive within ``header_timeout_s`` and a body within ``body_timeout_s`` of
the head (else the connection is answered 408 or closed: 2,000 half-open connections held a
worker before), heads are bounded in bytes, and a connection is counted while open
(:mod:`api.balance`, :func:`api.inflight.track`). :func:`uvicorn_options` are the options that
harden the server; ``stufenlos serve`` and the tests use them.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.balance import CountedConnection
from api.direct import DirectRoutes
from api.inflight import track
from api.reading import MAX_HEAD_BYTES, BoundedReads, write_error_answer

if TYPE_CHECKING:
    from api.settings import Settings

__all__ = [
    "BODY_TIMEOUT_ENV",
    "DEFAULT_BODY_TIMEOUT_S",
    "DEFAULT_HEADER_TIMEOUT_S",
    "HEADER_TIMEOUT_ENV",
    "HeadTimeoutH11Protocol",
    "HeadTimeoutHttpToolsProtocol",
    "body_timeout_s",
    "header_timeout_s",
    "uvicorn_options",
]


#: Environment variable through which the head timeout reaches the protocol of every worker.
HEADER_TIMEOUT_ENV = "STUFENLOS_HEADER_TIMEOUT_S"
DEFAULT_HEADER_TIMEOUT_S = 5.0
#: ... and the body timeout.
BODY_TIMEOUT_ENV = "STUFENLOS_BODY_TIMEOUT_S"
DEFAULT_BODY_TIMEOUT_S = 30.0


def header_timeout_s() -> float:
    """The head-read timeout of this process (``STUFENLOS_HEADER_TIMEOUT_S``, else 5 s)."""
    value = os.environ.get(HEADER_TIMEOUT_ENV)
    return float(value) if value else DEFAULT_HEADER_TIMEOUT_S


def body_timeout_s() -> float:
    """The body-read timeout of this process (``STUFENLOS_BODY_TIMEOUT_S``, else 30 s)."""
    value = os.environ.get(BODY_TIMEOUT_ENV)
    return float(value) if value else DEFAULT_BODY_TIMEOUT_S


class _HeadTimeout:
    """Close a connection that sends no complete request head within the timeout, or not the
    whole body of a request within the body timeout (and hand the process's request tasks to
    :func:`api.inflight.track`).

    uvicorn times out idle keep-alive connections only, and only until their first byte: a
    client that sends half a request line holds its connection forever, and so does one that
    announces a body (``Content-Length: 1000``) and sends ten bytes of it (found by a
    hostile-input battery: still open after 300 s, one of ``max_connections``). The head timer
    runs from the connection's start and from the end of each response (when no pipelined
    request waits) until a request head is complete; the body timer from then until the
    request's last byte. The app's work is not timed here.
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    timeout_keep_alive_task: asyncio.TimerHandle | None
    tasks: set[asyncio.Task[None]]
    _head_timer: asyncio.TimerHandle | None = None
    _head_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    _body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    _deferred_400: str | None = None  # a malformed request's, until the answer before it is out

    def _arm_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self._head_timeout_s, self._head_timed_out)

    def _arm_body_timer(self) -> None:
        """The head is complete: its body (if any) must follow within the body timeout."""
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self._body_timeout_s, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._head_timeout_s = header_timeout_s()  # read once per connection, not per response
        self._body_timeout_s = body_timeout_s()
        super().connection_made(transport)  # type: ignore[misc]
        track(self.tasks)  # the process's request tasks: a route alone may run on the loop
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self._deferred_400 is not None:  # a malformed request waited for this answer
            cycle = getattr(self, "cycle", None)
            if cycle is None or cycle.response_complete:  # (and any pipelined before it)
                self._write_400(self._deferred_400)
            return
        if self.timeout_keep_alive_task is not None:  # idle now: the next head is timed
            self._arm_head_timer()

    def _unsupported_upgrade_warning(self) -> None:
        """An ``Upgrade`` request is answered as plain HTTP (no WebSocket protocol:
        :func:`uvicorn_options`); uvicorn logged two warnings for each, one advising to install
        a WebSocket library. The access line records the request."""

    def send_400_response(self, msg: str) -> None:
        """A malformed request's 400 in the API's shape (:meth:`_write_400`),
        after the answer to a whole request before it on the connection that is still being
        made (pipelined): uvicorn wrote the 400 at once and closed the connection, and that
        request, well-formed, went unanswered (found by a hostile-input battery: a
        ``Content-Length`` shorter than the body, whose rest reads as a malformed request).
        A request whose own body broke the parser gets it at once."""
        if self._deferred_400 is not None:
            return  # said once (the parser, broken, may fail again on more data)
        cycle = getattr(self, "cycle", None)
        owed = (
            cycle is not None
            and not cycle.response_complete
            and not getattr(cycle, "more_body", False)  # its body is whole: not the malformed one
            and getattr(self, "_direct", None) is None  # (nor a direct route's, still coming)
            and not self.transport.is_closing()
        )
        if owed:
            self._deferred_400 = msg
            return
        self._write_400(msg)

    def _write_400(self, msg: str) -> None:
        """Write the 400 of :meth:`send_400_response` and close the connection, as uvicorn does:
        in the API's error shape and headers, where uvicorn wrote ``Invalid HTTP request
        received.`` as plain text without them (a bad chunk size, ``Content-Length`` with
        ``Transfer-Encoding``, a control byte in a header …; found by a hostile-input
        battery)."""
        if self.transport.is_closing():  # the client has gone meanwhile
            return
        problem = f"malformed HTTP request: {msg.rstrip('.')}"
        write_error_answer(self.transport, 400, b"Bad Request", "invalid_request", problem)
        self.transport.close()


class HeadTimeoutHttpToolsProtocol(
    BoundedReads, _HeadTimeout, CountedConnection, DirectRoutes, HttpToolsProtocol
):
    """uvicorn's httptools protocol with a head-read timeout, a head-size limit and a bounded
    pipeline (:class:`api.reading.BoundedReads`), answering a well-formed route request itself
    (:class:`api.direct.DirectRoutes`), counted in its worker's share of the connections
    (:class:`api.balance.CountedConnection`)."""

    def on_headers_complete(self) -> None:
        self._arm_body_timer()
        self._head_ends()
        self.first_head()  # the request's task (if it gets one) is made just below
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_head_timer()  # the body is in
        self._next_head()
        super().on_message_complete()


class HeadTimeoutH11Protocol(_HeadTimeout, CountedConnection, H11Protocol):
    """uvicorn's h11 protocol with a head-read timeout (when httptools is not installed)."""

    _timing_body = False  # the head is in and the body timer runs

    def handle_events(self) -> None:
        super().handle_events()
        state = self.conn.their_state
        if state is h11.IDLE or self._head_timer is None:
            return
        if state is h11.SEND_BODY:  # the head is in, its body follows
            if not self._timing_body:
                self._timing_body = True
                self._arm_body_timer()
                self.first_head()
            return
        if not self._timing_body:  # head and (empty) body came at once
            self.first_head()
        self._timing_body = False
        self._stop_head_timer()  # the request is in


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that harden the server (``stufenlos serve`` and the tests use them).

    ``X-Forwarded-For`` is believed only from ``settings.forwarded_allow_ips`` (uvicorn's own
    default trusts every process on loopback); connections per worker are bounded (503 past
    ``max_connections``) and a request head must arrive within ``header_timeout_s``. No
    ``Server: uvicorn`` header: it tells an attacker the software and helps no client. No
    WebSocket protocol: the API has no WebSocket endpoint, and uvicorn upgraded any request
    asking for one, then answered 403 with an empty text body (no error shape, no request id,
    no security headers; found by a hostile-input battery). A request with ``Upgrade:
    websocket`` is now answered as the HTTP request it also is.
    """
    allow = settings.forwarded_allow_ips.strip()
    try:
        import httptools  # noqa: F401

        protocol = "api.http_protocol:HeadTimeoutHttpToolsProtocol"
    except ImportError:  # pragma: no cover - uvicorn[standard] ships httptools
        protocol = "api.http_protocol:HeadTimeoutH11Protocol"
    return {
        "http": protocol,
        "proxy_headers": bool(allow),
        "forwarded_allow_ips": allow or None,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "server_header": False,
        "ws": "none",
    }
