"""Connections spread evenly over the workers of ``stufenlos serve`` (least connections first).

The workers share one listening socket. Left to the event loops, whichever loop wakes first
accepts every connection waiting (libuv accepts until the queue is empty), and a connection
stays with its worker for its life: under ``wrk -c 8`` against two workers, one worker held six
or more of the eight connections in 7, 12 and 16 of 20 runs in three runs of
``benchmarks/bench_balance.py`` (8/0 in one, eight and five), and with all eight it did all the
work while the other idled (732 routes/s against a median of 1,763). A reverse proxy that keeps
a few connections open to the server would meet the same.

So each worker accepts through :class:`BalancedListener`: one connection at a time, and only
while no other worker holds fewer open connections (:class:`ConnectionShares`, counts in memory
the workers share; the serving protocol, a :class:`CountedConnection`, counts its end). A
worker that holds more steps aside and looks at the counts every :data:`TICK_S`: it listens
again as soon as it holds no more than the others, or they take a connection; if their counts
have not moved for :data:`STEP_ASIDE_S` (they are busy, stopped or being replaced), it takes the
connection itself, and for :data:`STALLED_HOLD_S` every later one too. In the same runs with
balancing: 4/4 in 20 of 20 on a quiet machine (19 of 20 and one 6/2 in a busy hour); the
worst run 1,225 routes/s, the median as before. The accept in Python costs a new connection
little: its ``GET /health`` took 0.662 against 0.664 ms (p50 of 3,000 each, alternating; 0.542
against 0.505 in a busier hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any, cast

import uvicorn

from api.inflight import connection_opened, first_head_read
from api.shared_counts import SharedCounts

__all__ = [
    "STALLED_HOLD_S",
    "STEP_ASIDE_S",
    "TICK_S",
    "BalancedListener",
    "BalancedServer",
    "ConnectionShares",
    "CountedConnection",
    "may_accept",
]

#: How long a worker with more connections than another leaves a waiting connection to the
#: others (seconds) before it takes the connection itself.
STEP_ASIDE_S = 0.01
#: After finding the others not accepting, a worker takes every connection for at most this long
#: (seconds) while their counts stay as they were, then asks again (by stepping aside once): a
#: worker that was stopped or busy gets connections again soon after it can take them.
STALLED_HOLD_S = 0.2
#: While stepping aside, a worker looks at the counts this often (seconds).
TICK_S = 0.001
#: The count of a worker that has ended, until its replacement starts.
GONE = 2**30
#: After an accept fails (out of file descriptors, say), accepting pauses this long (seconds), as
#: asyncio's own server does.
PAUSE_S = 1.0

_log = logging.getLogger("stufenlos.balance")


def may_accept(counts: list[int], slot: int) -> bool:
    """Whether worker ``slot`` may take a waiting connection now: no other worker holds fewer
    open connections (``counts``: each worker's)."""
    mine = counts[slot]
    return all(mine <= n for i, n in enumerate(counts) if i != slot)


class ConnectionShares(SharedCounts):
    """How many connections each worker holds open, one
    :class:`~api.shared_counts.SharedCounts` slot per worker, written from the worker's event
    loop; the parent marks the slot of a worker that has ended. A stale count costs at most one
    uneven accept."""

    def reset(self, slot: int) -> None:
        """Worker ``slot`` starts: it holds no connection."""
        self.set(slot, 0)

    def mark_gone(self, slot: int) -> None:
        """Worker ``slot`` has ended (its replacement resets the count): the others take every
        connection meanwhile, none steps aside for it."""
        self.set(slot, GONE)


class CountedConnection:
    """Mixin of a serving protocol: tells the :class:`BalancedListener` that accepted its
    connection when the connection ends, so the worker's count goes down, and when its first
    request head has been read (:meth:`first_head`, so the connection no longer counts as new
    in :func:`api.inflight.nothing_but_routes`)."""

    on_connection_lost: Callable[[], None] | None = None
    #: Called once, when the connection's first request head has been read or it ends before
    #: (:func:`api.inflight.first_head_read`: the event loop's turns are short meanwhile).
    on_first_head: Callable[[], None] | None = None

    def first_head(self) -> None:
        """The first request head is read (the serving protocol calls it for every head)."""
        if self.on_first_head is not None:
            self.on_first_head()
            self.on_first_head = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.first_head()
        if self.on_connection_lost is not None:
            self.on_connection_lost()
            self.on_connection_lost = None
        super().connection_lost(exc)  # type: ignore[misc]


class BalancedListener:
    """Accepts connections from a listening socket shared with other workers, one at a time and
    only while this worker holds no more than any other (see the module doc); each accepted
    connection is served by ``protocol_factory``'s protocol (a :class:`CountedConnection`).

    Stands in uvicorn's list of servers for its shutdown: :meth:`close` stops accepting,
    :meth:`wait_closed` returns once no accepted connection is still being set up.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], CountedConnection],
        shares: ConnectionShares,
        slot: int,
        backlog: int = 2048,
    ) -> None:
        self.loop, self.sock, self.factory = loop, sock, protocol_factory
        self.shares, self.slot = shares, slot
        self._fd = sock.fileno()
        self._timer: asyncio.TimerHandle | None = None
        self._setting_up: set[asyncio.Task[object]] = set()
        self._closing = False
        self.steps_aside = 0  # how often it left a waiting connection to the others
        self._aside_from: list[int] = []  # the others' counts while it steps aside
        self._aside_since_s = 0.0  # loop time since when they have not moved
        self._stalled: list[int] | None = None  # the others' counts while they do not accept
        self._stalled_until_s = 0.0  # loop time until which it takes connections without asking
        shares.reset(slot)
        sock.setblocking(False)
        sock.listen(backlog)
        loop.add_reader(self._fd, self._readable)

    def _others(self, counts: list[int]) -> list[int]:
        return counts[: self.slot] + counts[self.slot + 1 :]

    def _readable(self) -> None:
        """A connection waits: take it, or step aside for a worker with fewer. One per call:
        while more wait, the loop calls again, and the counts are read afresh for each."""
        if self._closing:
            return
        counts = self.shares.counts()
        others = self._others(counts)
        stalled = others == self._stalled and self.loop.time() < self._stalled_until_s
        if stalled or may_accept(counts, self.slot):
            self._accept()
            return
        self._stalled = None
        self.steps_aside += 1
        self.loop.remove_reader(self._fd)
        self._aside_from, self._aside_since_s = others, self.loop.time()
        self._timer = self.loop.call_later(TICK_S, self._tick)

    def _tick(self) -> None:
        """While stepping aside: listen again as soon as no other worker holds fewer or the
        others' counts move; if they have not moved for :data:`STEP_ASIDE_S` (the others are
        busy, stopped or starting), take the connection if it still waits, and every later one
        without stepping aside, until their counts move again or :data:`STALLED_HOLD_S` has
        passed."""
        self._timer = None
        if self._closing:
            return
        counts = self.shares.counts()
        others = self._others(counts)
        if may_accept(counts, self.slot) or others != self._aside_from:
            # this worker holds no more than the others now, or they took a connection (or
            # closed one): listen again, and step aside afresh if still ahead
            self.loop.add_reader(self._fd, self._readable)
            return
        if self.loop.time() - self._aside_since_s >= STEP_ASIDE_S:
            if self._accept():  # it still waited: nobody else takes connections now
                self._stalled, self._stalled_until_s = others, self.loop.time() + STALLED_HOLD_S
            if self._timer is None:  # (not paused by a failed accept)
                self.loop.add_reader(self._fd, self._readable)
            return
        self._timer = self.loop.call_later(TICK_S, self._tick)

    def _accept(self) -> bool:
        """Take one waiting connection, if one waits; whether one was taken."""
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return False  # another worker took it, or the client gave up
        except OSError as exc:  # out of descriptors or memory: not this client's fault
            _log.error("cannot accept connections (%s); pausing %.0f s", exc, PAUSE_S)
            self.loop.remove_reader(self._fd)
            self._timer = self.loop.call_later(PAUSE_S, self._resume)
            return False
        self.shares.add(self.slot, 1)
        connection_opened()
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self.loop.create_task(self._serve(conn))
        self._setting_up.add(task)
        task.add_done_callback(self._setting_up.discard)
        return True

    async def _serve(self, conn: socket.socket) -> None:
        """Serve an accepted connection with a protocol that gives its place back once, when the
        connection ends or if it cannot be set up."""
        counted = new = True

        def release() -> None:
            nonlocal counted
            if counted:
                counted = False
                self.shares.add(self.slot, -1)

        def head_read() -> None:
            nonlocal new
            if new:
                new = False
                first_head_read()

        def protocol() -> asyncio.Protocol:
            made = self.factory()
            if not isinstance(made, CountedConnection):
                raise TypeError(f"{type(made).__name__} is no CountedConnection")
            made.on_connection_lost = release
            made.on_first_head = head_read
            return cast(asyncio.Protocol, made)

        try:
            await self.loop.connect_accepted_socket(protocol, conn)
        except Exception as exc:
            head_read()
            release()
            with contextlib.suppress(OSError):
                conn.close()
            _log.warning("connection dropped while being set up: %s", exc)

    def _resume(self) -> None:
        self._timer = None
        if not self._closing:
            self.loop.add_reader(self._fd, self._readable)

    def close(self) -> None:
        """Stop accepting (the socket itself is closed by its owner)."""
        if self._closing:
            return
        self._closing = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.loop.remove_reader(self._fd)

    async def wait_closed(self) -> None:
        if self._setting_up:
            await asyncio.gather(*self._setting_up, return_exceptions=True)


class BalancedServer(uvicorn.Server):
    """A uvicorn server of worker ``slot`` that accepts from its sockets through
    :class:`BalancedListener` instead of the event loop's own server."""

    def __init__(self, config: uvicorn.Config, shares: ConnectionShares, slot: int) -> None:
        super().__init__(config)
        self.shares, self.slot = shares, slot

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not issubclass(self.config.http_protocol_class, CountedConnection):
            await super().startup(sockets)  # a protocol that cannot be counted: the loop's own
            return
        await super().startup(sockets=[])  # the lifespan and the server state, no listener
        if not self.started:
            return
        loop = asyncio.get_running_loop()
        config = self.config

        def protocol() -> CountedConnection:
            return config.http_protocol_class(  # type: ignore[return-value,call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        self.servers = [  # close() and wait_closed(): what uvicorn's shutdown uses of a server
            cast(
                Any, BalancedListener(loop, sock, protocol, self.shares, self.slot, config.backlog)
            )
            for sock in sockets or []
        ]
