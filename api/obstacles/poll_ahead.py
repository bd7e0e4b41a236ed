"""Polling the database's revision ahead of the routes that would wait for it.

:class:`~api.obstacles.live.LiveObstacles` reads the database's revision counter before a route
whenever ``poll_s`` (50 ms) has passed since it last did (how a worker learns of the writes of
workers on other hosts). A route that finds the poll due is computed in the CPU thread after a
database read, not on the idle event loop (:func:`api.fastpath.on_idle_loop`): at concurrency 1,
with a route every 5–15 ms, that is every third to tenth route, and it costs each of them the
thread's round trip and the read (0.12–0.24 ms of the median at concurrency 1, measured with the
poll every 50 ms and every 60 s in one run).

:class:`PollAhead` makes that read in the background instead, while the worker is in use: each
answered route arms one timer for the moment the poll falls due; when it fires, and a route was
answered within the interval (``poll_s``) before that moment, the poll runs as a job of the CPU
thread
(:meth:`LiveObstacles.ensure_fresh`, where the routes' own polls run, so the overlay is never
swapped under a route). The next route then finds the obstacles fresh. Nothing changes in what a
route honours: a route still polls first when it finds the poll due (an idle worker's first
route, a timer that has not fired yet). An idle worker polls no more than before: at most one
background poll per answered route and per ``poll_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from api.cpu import run_cpu
from api.inflight import served

log = logging.getLogger("stufenlos.obstacles")


class Polled(Protocol):
    """What :class:`PollAhead` reads of :class:`~api.obstacles.live.LiveObstacles`."""

    poll_s: float

    def poll_due_in_s(self) -> float: ...

    def fresh(self) -> bool: ...

    def ensure_fresh(self) -> None: ...


#: How a poll is run: ``run_cpu`` (the worker's CPU thread) outside tests.
Runner = Callable[[Callable[[], None]], Awaitable[None]]


class PollAhead:
    """Poll the live obstacles' revision in the background when it falls due, while routes are
    being answered. Used on the event loop only."""

    def __init__(
        self, live: Polled, run: Runner = run_cpu, in_use: Callable[[], bool] = served
    ) -> None:
        self._live = live
        self._run = run
        self._in_use = in_use  # false in process (tests, ASGI calls): routes poll themselves
        self._timer: asyncio.TimerHandle | None = None
        self._poll: asyncio.Task[None] | None = None
        self._answered_at_s = -float("inf")
        self._due_at_s = 0.0  # when the armed timer's poll falls due (monotonic seconds)
        self._failing = False
        self.polls = 0  # background polls started (for tests and benchmarks)

    @property
    def quiet(self) -> bool:
        """Whether no timer is armed and no poll runs (nothing will poll before the next route)."""
        return self._timer is None and self._poll is None

    def answered(self) -> None:
        """A route was answered: note when, and arm the timer for the poll's next due time
        (unless it is armed, a poll is running, or this is no served worker)."""
        self._answered_at_s = time.monotonic()
        if self._live.poll_s > 0 and self.quiet and self._in_use():
            self._arm()

    def _arm(self) -> None:
        delay = self._live.poll_due_in_s()
        self._due_at_s = time.monotonic() + delay
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        """The poll is due (or was made by a route meanwhile): poll if the worker is in use,
        that is, if a route was answered within the interval before the poll fell due."""
        fired = self._timer
        try:
            if not self._in_use() or self._answered_at_s < self._due_at_s - self._live.poll_s:
                return  # idle: its next route polls first, as it always did
            if self._live.fresh():  # a route in the CPU thread polled meanwhile
                self._arm()
                return
            self.polls += 1
            self._poll = asyncio.get_running_loop().create_task(self._polled())
        finally:
            if self._timer is fired:  # not re-armed (cleared last: never quiet while busy)
                self._timer = None

    async def _polled(self) -> None:
        try:
            await self._run(self._live.ensure_fresh)
        except Exception as exc:  # the routes that follow poll (and report) it themselves
            if not self._failing:
                log.warning("background poll of the obstacles failed: %s", exc)
            self._failing = True
        else:
            self._failing = False
        finally:
            self._poll = None

    async def aclose(self) -> None:
        """Stop: disarm the timer and wait for a poll that is running (at shutdown, before the
        database is released)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        poll = self._poll
        if poll is not None:
            with contextlib.suppress(Exception):
                await poll
