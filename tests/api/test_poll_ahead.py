"""The live obstacles' revision poll made between routes (:class:`api.obstacles.poll_ahead.PollAhead`).

The rule on a stand-in for the live obstacles and a real event loop: a poll falls due after an
answered route and is made in the background, shortly before it falls due; not when a route made
it meanwhile, not when the worker has been idle for a poll interval, never with no interval; a
change it finds is read beside the routes too and applied in the CPU thread. Then in the app: a route
that follows within the interval finds the obstacles polled and is computed on the loop, without
a database read in its path, and an idle worker makes no further poll; the background read goes
through no job of the CPU thread, and finds a write of another host.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import inflight
from api.obstacles.poll_ahead import LEAD_S, PollAhead

POLL_S = 0.05


class FakeLive:
    """A stand-in for :class:`~api.obstacles.live.LiveObstacles`: fresh for ``poll_s`` after a
    poll; counts the background polls; can be told to fail."""

    def __init__(self, poll_s: float = POLL_S) -> None:
        self.poll_s = poll_s
        self.checked_at = time.monotonic()
        self.polls = 0
        self.reloads = 0
        self.reads_ahead = 0
        self.fail = False
        self.changed = False  # the next read finds a write of another host
        self.read_at: list[float] = []  # when each read was made, before its poll fell due

    def poll_due_in_s(self) -> float:
        return max(0.0, self.checked_at + self.poll_s - time.monotonic())

    def fresh(self) -> bool:
        return self.poll_due_in_s() > 0.0

    def route_polled(self) -> None:
        """A route in the CPU thread found the poll due and made it (not counted)."""
        self.checked_at = time.monotonic()

    def check_revision(self) -> bool:
        if self.fail:
            raise RuntimeError("database unavailable")
        self.polls += 1
        self.read_at.append(self.poll_due_in_s())
        if self.changed:
            self.checked_at = time.monotonic() - self.poll_s  # due now: reload first
            return False
        self.checked_at = time.monotonic()
        return True

    def read_ahead(self) -> bool:
        """What changed, read (beside the routes outside tests)."""
        self.reads_ahead += 1
        return True

    def apply_ahead(self) -> bool:
        """The reload of what was read (in the CPU thread outside tests)."""
        self.reloads += 1
        self.changed = False
        self.checked_at = time.monotonic()
        return True


def _served() -> bool:
    return True  # as in a worker of ``stufenlos serve``


async def _inline(call: Callable[[], bool]) -> bool:
    """A runner without the CPU thread (the rule is what is tested here)."""
    return call()


async def _inline_check(call: Callable[[], bool]) -> bool:
    """A revision read without a thread."""
    return call()


def _ahead(live: FakeLive, in_use: Callable[[], bool] = lambda: True) -> PollAhead:
    return PollAhead(live, _inline, in_use, _inline_check)


def test_an_answered_route_gets_the_next_poll_made_in_the_background() -> None:
    live = FakeLive()

    async def main() -> tuple[int, int, int]:
        ahead = _ahead(live)
        ahead.answered()
        await asyncio.sleep(POLL_S / 2)
        before = live.polls  # not due yet
        await asyncio.sleep(2 * POLL_S)
        due = live.polls
        await asyncio.sleep(3 * POLL_S)  # no route since: idle, no further poll
        await ahead.aclose()
        return before, due, live.polls

    assert asyncio.run(main()) == (0, 1, 1)
    # made before it fell due (the lead, less what the loop held the timer back)
    assert 0.0 < live.read_at[0] <= LEAD_S
    assert live.reloads == 0  # nothing changed: nothing to reload


def test_a_change_the_read_finds_is_read_beside_the_routes_and_applied_in_the_cpu_thread() -> None:
    live = FakeLive()
    live.changed = True
    ran: list[str] = []

    async def run(call: Callable[[], bool]) -> bool:
        ran.append(call.__name__)
        return call()

    async def main() -> bool:
        ahead = PollAhead(live, run, _served, _inline_check)
        ahead.answered()
        await asyncio.sleep(POLL_S)  # read and reloaded LEAD_S before it fell due
        fresh = live.fresh()  # what the next route finds: the change applied
        await ahead.aclose()
        return fresh

    assert asyncio.run(main())
    assert (live.polls, live.reads_ahead, live.reloads, ran) == (1, 1, 1, ["apply_ahead"])


def test_routes_coming_faster_than_the_interval_never_find_the_poll_due() -> None:
    live = FakeLive()

    async def main() -> tuple[list[bool], int]:
        ahead = _ahead(live)
        found_fresh = []
        for _ in range(12):  # a route every 20 ms for a quarter of a second
            found_fresh.append(live.fresh())
            ahead.answered()
            await asyncio.sleep(0.02)
        await ahead.aclose()
        return found_fresh, ahead.polls

    found_fresh, polls = asyncio.run(main())
    # all of them, unless the machine holds the loop back past a due time (a poll is a task:
    # a route already waiting runs first)
    assert sum(found_fresh) >= len(found_fresh) - 2
    assert 3 <= polls <= 7  # one per interval, not one per route


def test_no_poll_when_a_route_made_it_or_the_worker_went_idle() -> None:
    live = FakeLive()

    async def main() -> int:
        ahead = _ahead(live)
        ahead.answered()
        await asyncio.sleep(POLL_S * 0.6)
        live.route_polled()  # so at the due time it is fresh: the timer waits on
        await asyncio.sleep(POLL_S * 3)  # due again, but no route for a whole interval: idle
        await ahead.aclose()
        return ahead.polls

    assert asyncio.run(main()) == 0
    assert live.polls == 0


def test_no_interval_means_no_background_poll() -> None:
    live = FakeLive(poll_s=0.0)  # every route polls first: nothing to make ahead

    async def main() -> int:
        ahead = _ahead(live)
        ahead.answered()
        await asyncio.sleep(0.02)
        await ahead.aclose()
        return ahead.polls

    assert asyncio.run(main()) == 0


async def _made(ahead: PollAhead) -> None:
    """Wait an interval and a half, and then until the armed poll has been made: on a loaded
    host (CI beside other tests) the loop can run a timer or a task late, and a route answered
    while the last poll still runs arms none (seen once: 2 polls made of 3)."""
    await asyncio.sleep(POLL_S * 1.5)
    deadline = time.monotonic() + 5.0
    while not ahead.quiet and time.monotonic() < deadline:
        await asyncio.sleep(POLL_S / 10)


def test_a_failing_poll_is_logged_once_and_the_next_one_is_still_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    live = FakeLive()
    live.fail = True

    async def main() -> int:
        ahead = _ahead(live)
        for _ in range(2):  # two intervals, a route in each: two failed polls
            ahead.answered()
            await _made(ahead)
        live.fail = False
        ahead.answered()
        await _made(ahead)
        await ahead.aclose()
        return ahead.polls

    with caplog.at_level(logging.WARNING, logger="stufenlos.obstacles"):
        assert asyncio.run(main()) == 3
    assert live.polls == 1
    failed = [r for r in caplog.records if "background poll" in r.getMessage()]
    assert len(failed) == 1
    assert "database unavailable" in failed[0].getMessage()


def test_no_poll_outside_a_served_worker() -> None:
    live = FakeLive()
    serving = [True]

    async def main() -> int:
        ahead = _ahead(live, lambda: serving[0])
        ahead.answered()
        serving[0] = False  # e.g. a test that played a served worker has ended
        await asyncio.sleep(POLL_S * 2)
        await ahead.aclose()
        return ahead.polls

    assert asyncio.run(main()) == 0


def test_closing_disarms_the_timer() -> None:
    live = FakeLive()

    async def main() -> int:
        ahead = _ahead(live)
        ahead.answered()
        await ahead.aclose()
        await asyncio.sleep(POLL_S * 2)
        return ahead.polls

    assert asyncio.run(main()) == 0


# --- in the app -------------------------------------------------------------------------------


def _route(client: TestClient) -> int:
    graph = client.app.state.router.graph  # type: ignore[attr-defined]
    lat, lon = graph.node["lat"], graph.node["lon"]
    body = {
        "origin": {"lat": float(lat[3]), "lon": float(lon[3])},
        "destination": {"lat": float(lat[-5]), "lon": float(lon[-5])},
        "profile": {"name": "walk"},
        "departure_time": "2024-06-20T10:00",
    }
    sent = {"content-type": "application/json"}
    return client.post("/routes", content=json.dumps(body).encode(), headers=sent).status_code


def _wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_next_route_finds_the_obstacles_polled_and_stays_on_the_loop(
    make_client: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
    thread_calls: list[str],
) -> None:
    monkeypatch.setattr(inflight, "_tasks", {"this request"})  # as in a served worker
    interval = 0.5
    with make_client(obstacle_poll_s=interval) as c:
        live = c.app.state.live_obstacles  # type: ignore[attr-defined]
        ahead = c.app.state.poll_ahead  # type: ignore[attr-defined]
        read_in: list[str] = []
        check = live.check_revision

        def recorded() -> bool:
            read_in.append(threading.current_thread().name)
            return check()

        monkeypatch.setattr(live, "check_revision", recorded)
        _wait_for(lambda: not live.fresh())  # the start-up's read is an interval old
        assert _route(c) == 200  # finds the poll due: the CPU thread, after a read
        assert thread_calls == ["route_answer"]
        _wait_for(lambda: ahead.polls == 1 and live.fresh())  # made in the background
        assert _route(c) == 200  # within the interval of that poll
        assert thread_calls == ["route_answer"]  # on the loop this time
        time.sleep(2.5 * interval)  # idle: no poll after the one the last route asked for
        assert ahead.polls == 2
        # the reads were made beside the routes, not as jobs of the CPU thread
        assert len(read_in) == 2
        assert "stufenlos-cpu" not in read_in


def test_the_background_read_finds_a_write_of_another_host(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write this worker did not see (another host's: the revision moves, no beacon) is found
    by the read made before the poll falls due, read in the same thread (not the CPU thread's:
    the routes go on meanwhile) and applied in the CPU thread before the next route."""
    monkeypatch.setattr(inflight, "_tasks", {"this request"})  # as in a served worker
    interval = 0.4
    with make_client(obstacle_poll_s=interval) as c:
        live = c.app.state.live_obstacles  # type: ignore[attr-defined]
        ahead = c.app.state.poll_ahead  # type: ignore[attr-defined]
        revision = live.revision
        assert _route(c) == 200  # polls (due since start-up) and arms the background read
        monkeypatch.setattr(live, "revision_now", lambda: revision + 1)  # another host wrote
        read, apply = live._read_changes, live.apply_ahead
        threads: list[tuple[str, str]] = []

        def read_changes(*args: Any, **options: Any) -> Any:
            threads.append(("read", threading.current_thread().name))
            return read(*args, **options)

        def applied() -> bool:
            threads.append(("apply", threading.current_thread().name))
            return apply()

        monkeypatch.setattr(live, "_read_changes", read_changes)
        monkeypatch.setattr(live, "apply_ahead", applied)
        _wait_for(lambda: len(threads) == 2)
        (_, reader), applier = threads
        assert reader != "stufenlos-cpu"  # beside the routes
        assert applier == ("apply", "stufenlos-cpu")  # the reload, in the CPU thread
        assert ahead.polls == 1
        assert live.ahead.reads == 1


def test_in_process_routes_poll_for_themselves(client: TestClient) -> None:
    ahead = client.app.state.poll_ahead  # type: ignore[attr-defined]
    _wait_for(lambda: ahead.quiet)  # what earlier tests (as served workers) armed is over
    before = ahead.polls
    assert _route(client) == 200  # nothing counts the requests: not a served worker
    time.sleep(0.15)
    assert ahead.polls == before
    assert ahead.quiet
