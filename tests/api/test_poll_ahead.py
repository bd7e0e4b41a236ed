"""The live obstacles' revision poll made between routes (:class:`api.obstacles.poll_ahead.PollAhead`).

The rule on a stand-in for the live obstacles and a real event loop: a poll falls due after an
answered route and is made in the background; not when a route made it meanwhile, not when the
worker has been idle for a poll interval, never with no interval. Then in the app: a route that
follows within the interval finds the obstacles polled and is computed on the loop, without a
database read in its path, and an idle worker makes no further poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api import inflight
from api.obstacles.poll_ahead import PollAhead

POLL_S = 0.05


class FakeLive:
    """A stand-in for :class:`~api.obstacles.live.LiveObstacles`: fresh for ``poll_s`` after a
    poll; counts the background polls; can be told to fail."""

    def __init__(self, poll_s: float = POLL_S) -> None:
        self.poll_s = poll_s
        self.checked_at = time.monotonic()
        self.polls = 0
        self.fail = False

    def poll_due_in_s(self) -> float:
        return max(0.0, self.checked_at + self.poll_s - time.monotonic())

    def fresh(self) -> bool:
        return self.poll_due_in_s() > 0.0

    def route_polled(self) -> None:
        """A route in the CPU thread found the poll due and made it (not counted)."""
        self.checked_at = time.monotonic()

    def ensure_fresh(self) -> None:
        if self.fail:
            raise RuntimeError("database unavailable")
        self.polls += 1
        self.checked_at = time.monotonic()


def _served() -> bool:
    return True  # as in a worker of ``stufenlos serve``


async def _inline(call: Callable[[], None]) -> None:
    """A runner without the CPU thread (the rule is what is tested here)."""
    call()


def test_an_answered_route_gets_the_next_poll_made_in_the_background() -> None:
    live = FakeLive()

    async def main() -> tuple[int, int, int]:
        ahead = PollAhead(live, _inline, _served)
        ahead.answered()
        await asyncio.sleep(POLL_S / 2)
        before = live.polls  # not due yet
        await asyncio.sleep(2 * POLL_S)
        due = live.polls
        await asyncio.sleep(3 * POLL_S)  # no route since: idle, no further poll
        await ahead.aclose()
        return before, due, live.polls

    assert asyncio.run(main()) == (0, 1, 1)


def test_routes_coming_faster_than_the_interval_never_find_the_poll_due() -> None:
    live = FakeLive()

    async def main() -> tuple[list[bool], int]:
        ahead = PollAhead(live, _inline, _served)
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
        ahead = PollAhead(live, _inline, _served)
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
        ahead = PollAhead(live, _inline, _served)
        ahead.answered()
        await asyncio.sleep(0.02)
        await ahead.aclose()
        return ahead.polls

    assert asyncio.run(main()) == 0


def test_a_failing_poll_is_logged_once_and_the_next_one_is_still_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    live = FakeLive()
    live.fail = True

    async def main() -> int:
        ahead = PollAhead(live, _inline, _served)
        for _ in range(2):  # two intervals, a route in each: two failed polls
            ahead.answered()
            await asyncio.sleep(POLL_S * 1.5)
        live.fail = False
        ahead.answered()
        await asyncio.sleep(POLL_S * 1.5)
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
        ahead = PollAhead(live, _inline, lambda: serving[0])
        ahead.answered()
        serving[0] = False  # e.g. a test that played a served worker has ended
        await asyncio.sleep(POLL_S * 2)
        await ahead.aclose()
        return ahead.polls

    assert asyncio.run(main()) == 0


def test_closing_disarms_the_timer() -> None:
    live = FakeLive()

    async def main() -> int:
        ahead = PollAhead(live, _inline, _served)
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
        _wait_for(lambda: not live.fresh())  # the start-up's read is an interval old
        assert _route(c) == 200  # finds the poll due: the CPU thread, after a read
        assert thread_calls == ["answer_route"]
        _wait_for(lambda: ahead.polls == 1 and live.fresh())  # made in the background
        assert _route(c) == 200  # within the interval of that poll
        assert thread_calls == ["answer_route"]  # on the loop this time
        time.sleep(2.5 * interval)  # idle: no poll after the one the last route asked for
        assert ahead.polls == 2


def test_in_process_routes_poll_for_themselves(client: TestClient) -> None:
    ahead = client.app.state.poll_ahead  # type: ignore[attr-defined]
    _wait_for(lambda: ahead.quiet)  # what earlier tests (as served workers) armed is over
    before = ahead.polls
    assert _route(client) == 200  # nothing counts the requests: not a served worker
    time.sleep(0.15)
    assert ahead.polls == before
    assert ahead.quiet
