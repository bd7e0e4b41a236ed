"""Connections spread over workers by least connections (api/balance.py).

The listeners run as the workers of ``stufenlos serve`` run them, each on its own uvloop event
loop, here in threads of one process sharing a listening socket and the connection counts; a
protocol answers each connection with its worker's slot. The real server's split is checked in
``tests/api/test_server_fork.py``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvloop

from api.balance import (
    PAUSE_S,
    STALLED_HOLD_S,
    BalancedListener,
    ConnectionShares,
    CountedConnection,
    may_accept,
)
from api.http_protocol import HeadTimeoutH11Protocol, HeadTimeoutHttpToolsProtocol


class SlotAnswer(CountedConnection, asyncio.Protocol):
    """Answers any bytes with its worker's slot."""

    def __init__(self, slot: int) -> None:
        self.slot = slot

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(str(self.slot).encode())


class Worker:
    """A thread with its own uvloop event loop and one listener of ``slot`` on ``sock``."""

    def __init__(self, sock: Any, shares: ConnectionShares, slot: int, factory: Any = None):
        self.loop = uvloop.new_event_loop()
        self.ready = threading.Event()
        self.listener: BalancedListener | None = None
        factory = factory or (lambda: SlotAnswer(slot))

        def run() -> None:
            asyncio.set_event_loop(self.loop)

            def start() -> None:
                self.listener = BalancedListener(self.loop, sock, factory, shares, slot)
                self.ready.set()

            self.loop.call_soon(start)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert self.ready.wait(5)

    def call(self, fn: Any) -> None:
        done = threading.Event()

        def call_then_signal() -> None:
            fn()
            done.set()

        self.loop.call_soon_threadsafe(call_then_signal)
        assert done.wait(5)

    def stop(self) -> None:
        assert self.listener is not None
        self.call(self.listener.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock
    sock.close()


@contextmanager
def workers(
    sock: socket.socket, shares: ConnectionShares, slots: list[int]
) -> Iterator[list[Worker]]:
    """A worker per slot, each listening on its own duplicate of ``sock`` (as forked workers
    hold their own descriptor of the parent's socket)."""
    started = [Worker(sock.dup(), shares, slot) for slot in slots]
    try:
        yield started
    finally:
        for w in started:
            w.stop()


@contextmanager
def stalled(started: list[Worker]) -> Iterator[None]:
    """Every worker's event loop blocked inside the block (as stopped or busy workers), all
    released at once at its end."""
    go = threading.Event()
    for w in started:
        w.loop.call_soon_threadsafe(go.wait)
    time.sleep(0.05)  # each loop is in the blocking call
    try:
        yield
    finally:
        go.set()


def connect(sock: socket.socket, n: int) -> list[socket.socket]:
    port = sock.getsockname()[1]
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]


def slots_of(clients: list[socket.socket]) -> list[int]:
    """Each client's worker slot (asked over the connection)."""
    out = []
    for c in clients:
        c.sendall(b"?")
        out.append(int(c.recv(16)))
    return out


def wait_for(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("counts", "slot", "expected"),
    [
        ([0, 0], 0, True),  # a tie: whoever comes first
        ([1, 0], 0, False),  # another holds fewer: step aside
        ([1, 0], 1, True),
        ([3, 3, 2], 0, False),
        ([2, 3, 2], 0, True),
        ([5], 0, True),  # alone
    ],
)
def test_a_worker_may_accept_while_no_other_holds_fewer(
    counts: list[int], slot: int, expected: bool
) -> None:
    assert may_accept(counts, slot) is expected


def test_the_counts_are_shared_with_forked_workers() -> None:
    shares = ConnectionShares(2)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        shares.add(1, 3)
        os._exit(0)
    os.waitpid(pid, 0)
    assert shares.counts() == [0, 3]
    shares.mark_gone(1)  # ended: the others never step aside for it
    assert may_accept([50, 0], 0) is False
    assert may_accept([50, shares.counts()[1]], 0) is True
    shares.reset(1)
    assert shares.counts() == [0, 0]


def test_connections_waiting_at_once_are_split_evenly(listening: socket.socket) -> None:
    """Eight connections queued while the workers were busy (wrk opening its connections, a
    proxy its pool): the event loop's own accepting takes all that wait at one wake-up."""
    shares = ConnectionShares(2)
    with workers(listening, shares, [0, 1]) as started:
        with stalled(started):
            clients = connect(listening, 8)
        split = Counter(slots_of(clients))
        assert split == {0: 4, 1: 4}
        assert shares.counts() == [4, 4]
        more = connect(listening, 4)  # one by one too
        assert Counter(slots_of(more)) == {0: 2, 1: 2}
        for c in clients + more:
            c.close()
        wait_for(lambda: shares.counts() == [0, 0])  # the counts follow the connections


def test_the_less_loaded_worker_gets_the_next_connection(listening: socket.socket) -> None:
    shares = ConnectionShares(3)
    with workers(listening, shares, [0, 1, 2]):
        first = connect(listening, 6)
        slots = slots_of(first)
        assert sorted(Counter(slots).values()) == [2, 2, 2]
        for c, slot in zip(first, slots, strict=True):
            if slot == 1:  # worker 1's clients leave
                c.close()
        wait_for(lambda: shares.counts()[1] == 0)
        later = []
        for _ in range(2):  # one by one, as the counts move
            later += connect(listening, 1)
            assert slots_of(later[-1:]) == [1]


def test_a_worker_that_does_not_accept_delays_one_connection_once(
    listening: socket.socket,
) -> None:
    """Worker 1 holds no connection but does not accept (busy, stopped, starting): worker 0
    steps aside once, sees that nobody took the connection within STEP_ASIDE_S, and takes it
    and every later one at once, for STALLED_HOLD_S or until worker 1's count moves."""
    shares = ConnectionShares(2)
    with workers(listening, shares, [0]) as (worker,):
        clients = connect(listening, 1)
        assert slots_of(clients) == [0]
        t0 = time.monotonic()
        clients += connect(listening, 6)
        assert slots_of(clients[1:]) == [0] * 6
        assert time.monotonic() - t0 < 1.0
        assert worker.listener is not None
        assert worker.listener.steps_aside == 1
        assert shares.counts() == [7, 0]
        with workers(listening, shares, [1]):  # worker 1 accepts again: the fewer gets more
            time.sleep(STALLED_HOLD_S)  # (its count did not move: worker 0 asks again after this)
            for _ in range(7):
                clients += connect(listening, 1)
                slots_of(clients[-1:])
            assert abs(shares.counts()[0] - shares.counts()[1]) <= 1
        for c in clients:
            c.close()


def test_no_worker_steps_aside_for_one_that_has_ended(listening: socket.socket) -> None:
    shares = ConnectionShares(2)
    shares.mark_gone(1)  # the supervisor's mark until the replacement starts
    with workers(listening, shares, [0]) as (worker,):
        clients = connect(listening, 6)
        assert slots_of(clients) == [0] * 6
        assert worker.listener is not None
        assert worker.listener.steps_aside == 0
    shares = ConnectionShares(2)
    shares.mark_gone(1)
    with workers(listening, shares, [1]):  # the replacement: its count starts at zero
        assert shares.counts()[1] == 0


def test_a_closed_listener_accepts_no_more(listening: socket.socket) -> None:
    shares = ConnectionShares(1)
    with workers(listening, shares, [0]) as (worker,):
        assert slots_of(connect(listening, 1)) == [0]
        assert worker.listener is not None
        worker.call(worker.listener.close)
        (late,) = connect(listening, 1)  # the kernel's queue takes it; nobody answers
        late.settimeout(0.3)
        late.sendall(b"?")
        with pytest.raises(TimeoutError):
            late.recv(16)
        worker.call(worker.listener.close)  # twice is harmless


class FailingSocket:
    """A listening socket whose accept fails as when the process is out of descriptors."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.accepts = sock, 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def setblocking(self, flag: bool) -> None:
        self.sock.setblocking(flag)

    def listen(self, backlog: int) -> None:
        self.sock.listen(backlog)

    def accept(self) -> Any:
        self.accepts += 1
        raise OSError(errno.EMFILE, "Too many open files")


@pytest.mark.parametrize("ahead", [False, True])
def test_a_failing_accept_pauses_instead_of_spinning(
    listening: socket.socket, caplog: pytest.LogCaptureFixture, ahead: bool
) -> None:
    """Also when the accept comes after stepping aside (``ahead``: the worker holds more than a
    worker that does not accept, and takes the connection after STEP_ASIDE_S)."""
    failing = FailingSocket(listening)
    shares = ConnectionShares(2)
    caplog.set_level(logging.ERROR, logger="stufenlos.balance")
    worker = Worker(failing, shares, 0)
    if ahead:
        shares.add(0, 2)
    try:
        client = connect(listening, 1)
        wait_for(lambda: failing.accepts >= 1)
        time.sleep(min(0.3, PAUSE_S / 2))
        assert failing.accepts == 1  # paused, not called again and again
        assert "cannot accept connections" in caplog.text
        assert shares.counts() == [2 if ahead else 0, 0]
        assert worker.listener is not None
        assert worker.listener.steps_aside == int(ahead)
        client[0].close()
    finally:
        worker.stop()


def test_a_protocol_that_cannot_be_counted_is_refused_and_not_counted(
    listening: socket.socket,
) -> None:
    shares = ConnectionShares(1)
    worker = Worker(listening.dup(), shares, 0, factory=asyncio.Protocol)
    try:
        (client,) = connect(listening, 1)
        client.settimeout(5)
        assert client.recv(16) == b""  # closed by the server
        wait_for(lambda: shares.counts() == [0])
    finally:
        worker.stop()


def test_the_serving_protocols_are_counted() -> None:
    assert issubclass(HeadTimeoutHttpToolsProtocol, CountedConnection)
    assert issubclass(HeadTimeoutH11Protocol, CountedConnection)


class HeadReader(SlotAnswer):
    """Reads its first bytes as its first request head."""

    def data_received(self, data: bytes) -> None:
        self.first_head()
        super().data_received(data)


def test_an_accepted_connection_counts_as_new_until_its_first_head(
    listening: socket.socket,
) -> None:
    """From the accept to the first head (or the end, or a failed set-up) the connection is
    new (:func:`api.inflight.nothing_but_routes` is false: the loop's turns are single)."""
    from api import inflight

    base = inflight._new_connections  # 0 unless another test left a connection unread
    shares = ConnectionShares(1)
    worker = Worker(listening.dup(), shares, 0, factory=lambda: HeadReader(0))
    try:
        # the first head read: not new any more, while the connection stays open
        (client,) = connect(listening, 1)
        wait_for(lambda: shares.counts() == [1])
        assert inflight._new_connections == base + 1
        assert not inflight.nothing_but_routes()
        assert slots_of([client]) == [0]
        wait_for(lambda: inflight._new_connections == base)
        client.close()
        wait_for(lambda: shares.counts() == [0])
        # closed before any request: counted once, released once
        (client,) = connect(listening, 1)
        wait_for(lambda: inflight._new_connections == base + 1)
        client.close()
        wait_for(lambda: shares.counts() == [0])
        assert inflight._new_connections == base
    finally:
        worker.stop()
    refused = Worker(listening.dup(), ConnectionShares(1), 0, factory=asyncio.Protocol)
    try:  # a set-up that fails releases it too
        (client,) = connect(listening, 1)
        client.settimeout(5)
        assert client.recv(16) == b""
        wait_for(lambda: inflight._new_connections == base)
    finally:
        refused.stop()
