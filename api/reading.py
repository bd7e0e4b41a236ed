"""How ``stufenlos serve`` reads requests: a bounded head and a bounded pipeline per connection.

uvicorn's httptools protocol parses whatever a connection sends, as fast as it arrives. Two
kinds of client took a worker's memory that way (both found by a hostile-input battery):

* one header of any length: httptools buffers a header until its end, so a request with a 50 MB
  header held 50 MB of the worker and was answered 200 (so were 200,000 header lines). A head
  (request line and headers) past :data:`MAX_HEAD_BYTES` is answered 431 ``header_too_large``
  in the API's error shape, and the connection ends (:meth:`BoundedReads._refuse`).
* requests pipelined without reading the answers: uvicorn pauses reading when a request queues
  behind another but resumes it whenever the request being answered waits for its body and after
  every answer, and a read of 256 kB is parsed whole, so everything sent was parsed and queued,
  a request cycle of a few kB each: five connections sending 20,000 route requests took a worker
  from 92 to 284 MB and kept it there. Here the bytes are parsed :data:`FEED_BYTES` at a time;
  once :data:`MAX_PIPELINED` requests wait, the rest of the read is kept unparsed (a bytes
  object, at most about one read) and reading stays paused (:class:`PipelineFlow`) until the
  queue has room again.

And when the client goes, every request of the connection still unanswered is told so: uvicorn
told only the last one read, and the one being answered, with others queued behind it, wrote to
the closed transport, which uvloop refuses with an error (a 500 with a traceback in the log).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sized
from typing import Any

from uvicorn.protocols.http.flow_control import FlowControl

from api.middleware import REQUEST_ID_HEADER, log_request, new_request_id
from api.security_headers import API_HEADERS

#: The largest request head (request line and headers) a connection may send, in bytes; the h11
#: protocol's limit too (``h11_max_incomplete_event_size``). An API request's head is a few
#: hundred bytes; nginx allows 32 kB by default, Node.js 16 kB.
MAX_HEAD_BYTES = 16 * 1024
#: How long a connection refused for its head's size is still read (its bytes dropped) before it
#: is closed, so that a client still sending reads its 431 (nginx's lingering close): closed at
#: once, the unread bytes made the system reset the connection and the client lost the answer.
LINGER_S = 2.0
#: Requests a connection may have waiting behind the one being answered (HTTP/1.1 pipelining)
#: before the server parses no more of what it sends: a client that pipelines needs a few.
MAX_PIPELINED = 32
#: Bytes handed to the parser at a time: a read of pipelined requests adds at most this much
#: past :data:`MAX_PIPELINED` to the queue (a request is at least ~35 bytes).
FEED_BYTES = 4096


def error_answer(code: str, message: str) -> tuple[list[tuple[bytes, bytes]], bytes, str]:
    """The headers, body and request id of an error the protocol answers itself, before any
    request reached the app (a malformed request, a head too large): the API's error shape and
    headers, ``Connection: close``."""
    rid = new_request_id()
    problem = {"code": code, "message": message, "details": {}}
    body = json.dumps(problem, ensure_ascii=True).encode("ascii")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"connection", b"close"),
        *API_HEADERS,
        (REQUEST_ID_HEADER, rid.encode("ascii")),
    ]
    return headers, body, rid


def write_error_answer(
    transport: asyncio.Transport, status: int, reason: bytes, code: str, message: str
) -> None:
    """Write the :func:`error_answer` of ``code`` with status ``status`` onto ``transport`` and
    log its access line (the caller ends the connection)."""
    headers, body, rid = error_answer(code, message)
    head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    status_line = b"HTTP/1.1 %d %s\r\n" % (status, reason)
    transport.write(status_line + head + b"\r\n" + body)
    log_request(rid, None, None, status, time.perf_counter(), error_code=code)


class PipelineFlow(FlowControl):
    """uvicorn's flow control of a connection, except that reading resumes only when its
    ``pipeline`` (the protocol's queue) holds fewer than :data:`MAX_PIPELINED` requests, and
    after the bytes read but not yet parsed have been (``feed_held``, which says whether they
    filled the queue again)."""

    def __init__(
        self, transport: asyncio.Transport, pipeline: Sized, feed_held: Callable[[], bool]
    ) -> None:
        super().__init__(transport)
        self._pipeline = pipeline
        self._feed_held = feed_held

    def resume_reading(self) -> None:
        if len(self._pipeline) >= MAX_PIPELINED:
            return  # the answers to the queued requests first (each one tries again)
        if self._feed_held():
            return  # what was read before fills the queue again
        super().resume_reading()


class BoundedReads:
    """A mixin of the serving protocol (before uvicorn's ``HttpToolsProtocol``): the head limit,
    the bounded pipeline and the disconnect of every waiting request (the module docstring).
    The protocol calls :meth:`_head_ends` when the parser has a request's head and
    :meth:`_next_head` when it has the whole request."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    flow: Any
    pipeline: Any  # uvicorn's deque of (cycle, app), the newest first
    _head_seen: int = 0  # bytes of the current request's head so far; -1: the head is complete
    _head_tail: bytes = b""  # the last bytes of it (a CRLFCRLF split between two pieces)
    _refused: bool = False  # answered 431: what else arrives is dropped, then the connection ends
    _held: bytes = b""  # read, not yet parsed: the pipeline was full
    _feeding: bool = False  # the parser is being fed (a resume from inside it feeds nothing)
    _answering: Any = None  # the request cycle whose app runs (one at a time per connection)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self.flow = PipelineFlow(self.transport, self.pipeline, self._feed_held)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # dropped until the connection ends
        if self._held:  # (reading is paused; bytes already on their way)
            self._held += data
            return
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        """Parse ``data`` :data:`FEED_BYTES` at a time, counting each request's head; keep the
        rest unparsed once :data:`MAX_PIPELINED` requests wait."""
        self._feeding = True
        try:
            for start in range(0, len(data), FEED_BYTES):
                if len(self.pipeline) >= MAX_PIPELINED:
                    self._held = data[start:]
                    self.flow.pause_reading()
                    return
                piece = data[start : start + FEED_BYTES]
                if self._head_too_large(piece):
                    self._refuse()
                    return
                super().data_received(piece)  # type: ignore[misc]
                if self.transport.is_closing():
                    return
        finally:
            self._feeding = False

    def _feed_held(self) -> bool:
        """Parse what was read while the pipeline was full (the queue has room now); whether
        reading must stay paused (the queue filled up again)."""
        if self._feeding or not self._held:
            return bool(self._held)
        held, self._held = self._held, b""
        self._feed(held)
        return bool(self._held) or self.transport.is_closing()

    def _head_too_large(self, piece: bytes) -> bool:
        """Count ``piece`` (the next bytes parsed) into the current head, up to the blank line
        that ends it; whether the head is now larger than :data:`MAX_HEAD_BYTES`. Only a head
        in progress when the piece starts is counted (a head that begins inside a piece counts
        from the next one: never more than the head, at most a piece less), never a body."""
        if self._head_seen < 0:
            return False
        window = self._head_tail + piece
        end = window.find(b"\r\n\r\n")
        if end >= 0:  # the head ends in this piece
            self._head_seen += end + 4 - len(self._head_tail)
            over = self._head_seen > MAX_HEAD_BYTES
            self._head_seen, self._head_tail = -1, b""
            return over
        self._head_seen += len(piece)
        self._head_tail = window[-3:]
        return self._head_seen > MAX_HEAD_BYTES

    def _head_ends(self) -> None:
        """The parser has the request's head: what follows is its body (not counted)."""
        self._head_seen, self._head_tail = -1, b""

    def _next_head(self) -> None:
        """The request is in: the next bytes parsed are the next request's head."""
        self._head_seen, self._head_tail = 0, b""

    def _refuse(self) -> None:
        """The 431, then the connection's end: its write side at once, its read side after
        :data:`LINGER_S` (what the client still sends meanwhile is dropped)."""
        self._refused = True
        self._held = b""
        if self.transport.is_closing():
            return
        write_error_answer(
            self.transport, 431, b"Request Header Fields Too Large", "header_too_large",
            f"the request's head (request line and headers) is larger than {MAX_HEAD_BYTES} bytes",
        )  # fmt: skip
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()  # (the bytes still coming are read and dropped)
        self.loop.call_later(LINGER_S, self.transport.close)

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        self._answering = cycle
        super()._start_asgi_task(cycle, app)  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        waiting = [self._answering, *(cycle for cycle, _ in self.pipeline)]
        for cycle in waiting:
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()
        self._held = b""
        super().connection_lost(exc)  # type: ignore[misc]
