"""A write's obstacles read beside the routes (:mod:`api.obstacles.read_ahead`).

The slot on its own: one read at a time, in a thread of its own or the caller's, its result kept
until taken, its errors logged. Then on two apps of one database and host (a writer and a reader
worker, the reader polling the database only every minute, so that the beacon alone tells it):
a route that arrived before a write is computed at once and the write is read in the background
and applied by a later route; a route that arrived after it waits for that read (no second
one) or makes its own; a read made ahead waits for a read that holds the lock of the reads;
a read made ahead that gets no answer holds a route no longer than any read, then the outage
starts; a read made against a state that a reload replaced is not applied; a
beacon that went back (a new file) is never taken for one that has every write. And over a
real socket, on the direct path: a route asked after a write was answered names it.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.obstacles.live import LiveObstacles
from api.obstacles.read_ahead import Ahead, ReadAhead
from tests.api.serving import app_state, threaded_server
from tests.api.support import DESTINATION, ORIGIN, ids, obstacle_body, route

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _ahead(tag: str) -> Ahead[str, str]:
    return Ahead(state=tag, beacon=1, now=T0, read=tag)


def test_one_read_at_a_time_in_its_own_thread_and_its_result_kept_until_taken() -> None:
    slot: ReadAhead[str, str] = ReadAhead()
    release = threading.Event()
    threads: list[str] = []

    def read() -> Ahead[str, str]:
        threads.append(threading.current_thread().name)
        release.wait(5.0)
        return _ahead("first")

    assert slot.start(read)
    assert slot.running
    assert not slot.ready
    assert not slot.start(lambda: _ahead("second"))  # one at a time
    release.set()
    slot.wait(5.0)
    assert threads == ["obstacle-read-ahead"]
    assert slot.ready
    assert not slot.running
    assert not slot.run_here(lambda: _ahead("third"))  # a result waits: not read again
    taken = slot.take()
    assert taken is not None
    assert taken.read == "first"
    assert slot.take() is None
    assert slot.reads == 1


def test_a_result_put_back_does_not_replace_a_newer_one_and_run_here_reads_in_the_caller() -> None:
    slot: ReadAhead[str, str] = ReadAhead()
    threads: list[str] = []

    def read() -> Ahead[str, str]:
        threads.append(threading.current_thread().name)
        return _ahead("newer")

    assert slot.run_here(read)
    assert threads == [threading.current_thread().name]
    slot.put_back(_ahead("older"))
    taken = slot.take()
    assert taken is not None
    assert taken.read == "newer"
    slot.put_back(_ahead("older"))
    again = slot.take()
    assert again is not None
    assert again.read == "older"


def test_a_read_that_fails_or_cannot_read_leaves_nothing_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slot: ReadAhead[str, str] = ReadAhead()

    def fails() -> Ahead[str, str]:
        raise RuntimeError("database unavailable")

    with caplog.at_level(logging.WARNING, logger="stufenlos.obstacles"):
        assert slot.run_here(fails)
        assert slot.run_here(fails)  # a run of failures: logged once
    assert caplog.text.count("database unavailable") == 1
    assert slot.run_here(lambda: None)  # another read held the lock: nothing read
    assert not slot.ready
    assert not slot.running
    assert slot.reads == 0


# --- on the live obstacles of two workers ---------------------------------------------------


@dataclass
class Workers:
    """Two workers of one database and host: ``writer`` and ``reader`` (whose ``live``
    obstacles poll the database only every minute, so that the beacon alone tells it)."""

    writer: TestClient
    reader: TestClient
    live: LiveObstacles
    staff: dict[str, str]
    point: list[float]

    def write(self) -> str:
        """A closure on the test's route, written by the writer: its id."""
        answer = self.writer.post("/obstacles", json=obstacle_body(self.point), headers=self.staff)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def delete(self, oid: str) -> None:
        assert self.writer.delete(f"/obstacles/{oid}", headers=self.staff).status_code == 200


@pytest.fixture
def workers(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> Workers:
    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)
    live = app_state(reader).live_obstacles
    assert live.beacon.enabled
    live.ensure_fresh()
    return Workers(writer, reader, live, keys["staff"], on_route)


def _counted_reads(live: LiveObstacles, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads in which ``live`` reads what changed, one entry per read."""
    reads: list[str] = []
    read = live._read_changes

    def counted(*args: Any, **options: Any) -> Any:
        reads.append(threading.current_thread().name)
        return read(*args, **options)

    monkeypatch.setattr(live, "_read_changes", counted)
    return reads


def test_a_route_that_arrived_before_a_write_goes_on_and_a_later_one_applies_the_read(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = workers.live
    reads = _counted_reads(live, monkeypatch)
    before = live.beacon.value()
    assert live.fresh_for(before)
    oid = workers.write()
    after = live.beacon.value()
    assert after > before
    assert not live.fresh_for(after)  # asked after the write: it waits for it
    assert not live.fresh_for(None)
    reloads = live.reloads
    live.ensure_fresh(before)  # asked before the write: computed at once, the write read aside
    assert oid not in live.active
    live.ahead.wait(5.0)
    assert reads == ["obstacle-read-ahead"]
    assert live.ahead.ready
    assert not live.fresh_for(before)  # in: applied before the next route, whichever
    live.ensure_fresh(before)
    assert oid in live.active
    assert live.reloads == reloads + 1
    assert live.fresh_for(after)
    assert live.fresh()
    assert ids(route(workers.reader)["obstacles"]["avoided"]) == [oid]
    assert reads == ["obstacle-read-ahead"]  # the route found nothing more to read


def test_a_route_that_arrived_after_a_write_waits_for_the_read_under_way_not_a_second(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = workers.live
    before = live.beacon.value()
    oid = workers.write()
    after = live.beacon.value()
    release = threading.Event()
    reads = _counted_reads(live, monkeypatch)
    read = live._read_changes

    def slow(*args: Any, **options: Any) -> Any:
        release.wait(5.0)
        return read(*args, **options)

    monkeypatch.setattr(live, "_read_changes", slow)
    assert live.fresh_for(before)  # starts the read
    assert live.ahead.running
    threading.Timer(0.05, release.set).start()
    live.ensure_fresh(after)  # waits for that read and applies it
    assert oid in live.active
    assert len(reads) == 1
    assert live.fresh()


def test_a_read_ahead_that_gets_no_answer_holds_a_route_after_the_write_a_second_at_most(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database stops answering while the write is read ahead: a route asked after the
    write waits for that read the bound of every read, then the outage starts and the route
    goes on with the obstacles as read (no second wait for a read of its own)."""
    import api.obstacles.live as live_module

    monkeypatch.setattr(live_module, "READ_WAIT_S", 0.2)
    live = workers.live
    before = live.beacon.value()
    oid = workers.write()
    after = live.beacon.value()
    frozen = threading.Event()
    read = live._read_changes

    def stuck(*args: Any, **options: Any) -> Any:
        frozen.wait(10.0)
        return read(*args, **options)

    monkeypatch.setattr(live, "_read_changes", stuck)
    try:
        assert live.fresh_for(before)  # starts the read, which gets no answer
        t0 = time.monotonic()
        live.ensure_fresh(after)
        waited_s = time.monotonic() - t0
        assert 0.15 <= waited_s < 0.6
        assert live.outage.down
        assert oid not in live.active  # as read
    finally:
        frozen.set()
        live.ahead.wait(5.0)


def test_without_a_read_under_way_a_route_after_the_write_reads_it_itself(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = workers.live
    reads = _counted_reads(live, monkeypatch)
    oid = workers.write()
    live.ensure_fresh(live.beacon.value())
    assert oid in live.active
    assert len(reads) == 1
    assert threading.current_thread().name != "obstacle-read-ahead"
    assert not live.ahead.ready
    assert not live.ahead.running


def test_a_read_ahead_waits_for_another_read_that_holds_the_lock(workers: Workers) -> None:
    """A background poll holds the lock of the reads (a slow database): the read made ahead
    waits for it in its own thread, it does not give up (routes would start one after another)."""
    live = workers.live
    before = live.beacon.value()
    oid = workers.write()
    with live._lock:
        assert live.fresh_for(before)
        time.sleep(0.05)
        assert live.ahead.running
        assert not live.ahead.ready
    live.ahead.wait(5.0)
    assert live.apply_ahead()
    assert oid in live.active
    assert live.ahead.reads == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_write_made_before_a_route_arrived_is_applied_when_it_is_computed(
    workers: Workers, seed: int
) -> None:
    """Writes, route arrivals, reads ahead and routes in a seeded random order: whenever a
    route is computed (at once on the loop when :meth:`fresh_for` says so, else after
    :meth:`ensure_fresh`), every closure written before it arrived is applied."""
    rng = random.Random(seed)
    live = workers.live
    written: list[tuple[int, str]] = []  # (the beacon after the write, the obstacle's id)
    arrivals: list[int] = []

    def check(arrived: int) -> None:
        if not live.fresh_for(arrived):
            live.ensure_fresh(arrived)
        missing = [oid for bump, oid in written if bump <= arrived and oid not in live.active]
        assert missing == []

    for _ in range(40):
        action = rng.random()
        if action < 0.25 and len(written) < 8:
            oid = workers.write()
            written.append((live.beacon.value(), oid))
        elif action < 0.55:
            arrivals.append(live.beacon.value())
        elif action < 0.65:
            live.ahead.wait(5.0)
        elif arrivals:
            check(arrivals.pop(rng.randrange(len(arrivals))))
    for arrived in arrivals:
        check(arrived)
    check(live.beacon.value())
    assert {oid for _, oid in written} <= set(live.active)


def test_a_read_made_against_a_state_a_reload_replaced_is_not_applied(workers: Workers) -> None:
    live = workers.live
    before = live.beacon.value()
    first = workers.write()
    assert live.fresh_for(before)
    live.ahead.wait(5.0)
    assert live.ahead.ready
    # meanwhile the obstacle is deleted and this worker reloads on its own
    workers.delete(first)
    live.refresh(force=True)
    assert first not in live.active
    assert not live.apply_ahead()  # read before that reload: not applied over it
    assert first not in live.active
    assert not live.ahead.ready


def test_a_beacon_that_went_back_never_counts_as_applied(workers: Workers) -> None:
    live = workers.live
    live._beacon_seen = live.beacon.value() + 5  # what an older file had counted
    assert not live._honoured(0, live.beacon.value())
    assert not live.fresh_for(0)
    live.ensure_fresh(0)  # read at once: the new file's count is seen
    assert live._beacon_seen == live.beacon.value()
    assert live.fresh_for(0)


def test_over_a_socket_a_route_asked_after_a_write_was_answered_names_it(
    workers: Workers, centre_graph_dir: Path, database_url: str
) -> None:
    """The direct path (a short route on the worker's loop, or in its CPU thread) of a served
    worker whose beacon another worker bumps: every route sent after a write's answer names
    it, and after its deletion's answer no longer does."""
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(graph_dir=centre_graph_dir, database_url=database_url, obstacle_poll_s=60)
    with threaded_server(create_app(settings), settings) as base:
        port = int(base.rsplit(":", 1)[1])
        for _ in range(3):
            assert _avoided(port) == []
            oid = workers.write()
            assert _avoided(port) == [oid]
            assert _avoided(port) == [oid]
            workers.delete(oid)


def _avoided(port: int) -> list[str]:
    """The ids a wheelchair route of ORIGIN → DESTINATION avoids, asked over a new connection."""
    import json

    body = json.dumps(
        {"origin": ORIGIN, "destination": DESTINATION, "profile": {"name": "wheelchair"}}
    ).encode()
    head = (
        f"POST /routes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        data = b""
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            data += sock.recv(65536)
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":", 1)[1]
                for line in head_bytes.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        while len(rest) < length:
            rest += sock.recv(65536)
    assert head_bytes.startswith(b"HTTP/1.1 200"), head_bytes
    return ids(json.loads(rest[:length])["routes"][0]["obstacles"]["avoided"])
