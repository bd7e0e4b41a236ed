"""Standard output and error of ``stufenlos serve`` written by a thread of their own, never
waited for by a request.

A served process's log (an access line per request, warnings, errors) goes to a pipe or a
socket: journald, a container runtime's log driver, ``| tee``, a terminal. When the reader
stops reading or falls behind, the pipe's buffer (64 KiB on Linux) fills and every write waits
until the reader takes some. Found 2026-12-07: ``stufenlos serve 2>&1 | <a reader that does not
read>`` answered 472 routes, then a worker's event loop stood in the write of an access line
and every request of that worker waited with it (5 s client timeouts; the other worker
followed).

:class:`QueuedStream` takes the place of ``sys.stdout`` and ``sys.stderr`` while the server
runs (:func:`queued_output`, entered before its log handlers are made, so that they write to
it): ``write`` hands the text to a queue and returns; a daemon thread writes the queue to the
real stream, in order. The queue holds at most :data:`MAX_PENDING_BYTES`; text past that is
dropped and counted, and once the reader takes text again the writer says how much, where the
loss began:
``{"event": "log_dropped", "writes": …, "lines": …, "bytes": …}``. Losing log lines is the
lesser harm: a request that waits for its access line is a service that stops.

Forked workers get a new lock, an empty queue (the parent writes what it had queued) and their
own writer thread (``os.register_at_fork``). At exit, and before a forked child ends
(:func:`drain_output`), what is queued is written, waiting at most :data:`DRAIN_WAIT_S`.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

import orjson

#: Text a stream may hold for its writer before it drops what comes (bytes of UTF-8, about
#: 7,000 access lines).
MAX_PENDING_BYTES = 1 << 20
#: How long :func:`drain_output` waits for the writers to empty their queues (seconds).
DRAIN_WAIT_S = 1.0


class QueuedStream:
    """A text stream whose :meth:`write` queues the text for a writer thread (see the module)."""

    def __init__(self, target: TextIO, max_pending_bytes: int = MAX_PENDING_BYTES) -> None:
        self.target = target
        self.max_pending_bytes = max_pending_bytes
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        """A new lock, an empty queue and no writer thread: at start and in a forked child
        (whose copy of the lock may have been held by the parent's writer)."""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pending: collections.deque[str] = collections.deque()
        self._pending_bytes = 0
        self._writing = False
        self._dropped = [0, 0, 0]  # writes, lines, bytes
        self._dropped_at = 0  # where in the queue the first of them would have been
        self._thread: threading.Thread | None = None

    def write(self, text: str) -> int:
        """Queue ``text`` (dropped and counted when the queue is full); never waits for the
        reader."""
        size = len(text.encode("utf-8", "replace")) if not text.isascii() else len(text)
        with self._lock:
            if self._pending_bytes + size > self.max_pending_bytes:
                writes, lines, dropped = self._dropped
                if writes == 0:
                    self._dropped_at = len(self._pending)
                self._dropped = [writes + 1, lines + text.count("\n"), dropped + size]
                return len(text)
            self._pending.append(text)
            self._pending_bytes += size
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._write_queued, name="log-writer", daemon=True
                )
                self._thread.start()
            self._changed.notify()
        return len(text)

    def flush(self) -> None:
        """Nothing to wait for: the writer flushes after each piece (see :meth:`drain`)."""

    def drain(self, timeout_s: float = DRAIN_WAIT_S) -> bool:
        """Wait until the queue is written (at most ``timeout_s``); whether it was."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._pending or self._writing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _write_queued(self) -> None:
        """The writer thread: everything queued, in order, and what was dropped before it."""
        while True:
            with self._lock:
                while not self._pending:
                    self._writing = False
                    self._changed.notify_all()  # a drain waits for this
                    self._changed.wait()
                pieces = list(self._pending)
                self._pending.clear()
                self._pending_bytes = 0
                dropped, self._dropped = self._dropped, [0, 0, 0]
                dropped_at = self._dropped_at
                self._writing = True
            if dropped[0]:  # said where the loss began: after what was queued before it
                notice = {"event": "log_dropped", "writes": dropped[0], "lines": dropped[1],
                          "bytes": dropped[2]}  # fmt: skip
                pieces.insert(dropped_at, orjson.dumps(notice).decode() + "\n")
            try:
                self.target.write("".join(pieces))
                self.target.flush()
            except Exception:  # the reader has gone, the stream was closed: nowhere to say it
                pass

    def __getattr__(self, name: str) -> Any:
        """Everything else (``fileno``, ``isatty``, ``encoding`` …) is the real stream's."""
        return getattr(self.target, name)


@contextlib.contextmanager
def queued_output() -> Iterator[None]:
    """:class:`QueuedStream` in place of ``sys.stdout`` and ``sys.stderr`` inside; afterwards
    what they hold is written (:func:`drain_output`) and the streams before are back (a
    command's last sentence, an error, then goes to them at once)."""
    before = sys.stdout, sys.stderr
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, QueuedStream):
            setattr(sys, name, QueuedStream(stream))
    try:
        yield
    finally:
        drain_output()
        sys.stdout, sys.stderr = before


def drain_output(timeout_s: float = DRAIN_WAIT_S) -> None:
    """Write what ``sys.stdout`` and ``sys.stderr`` hold queued (each at most ``timeout_s``),
    then flush the real streams: before a process ends."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, QueuedStream):
            stream.drain(timeout_s)
            stream = stream.target
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


atexit.register(drain_output)
