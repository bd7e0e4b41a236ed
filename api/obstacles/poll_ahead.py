"""Polling the database's revision ahead of the routes that would wait for it.

:class:`~api.obstacles.live.LiveObstacles` reads the database's revision counter before a route
whenever ``poll_s`` (50 ms) has passed since it last did (how a worker learns of the writes of
workers on other hosts). A route that finds the poll due is computed in the CPU thread after a
database read, not on the idle event loop (:func:`api.fastpath.on_idle_loop`): at concurrency 1,
with a route every 5–15 ms, that is every third to tenth route, and it costs each of them the
thread's round trip and the read (0.12–0.24 ms of the median at concurrency 1, measured with the
poll every 50 ms and every 60 s in one run).

:class:`PollAhead` makes that read in the background instead, while the worker is in use: each
answered route arms one timer for :data:`LEAD_S` before the poll falls due; when it fires, and
a route was answered within the interval (``poll_s``) before that moment, the revision is read
(:meth:`~api.obstacles.live.LiveObstacles.check_revision`) in a thread of the loop's executor,
**not** the CPU thread: the read changes nothing a route reads, so a route that arrives meanwhile
is still computed on the idle loop, and made before the poll falls due, the next route finds the
obstacles fresh. When the read finds a change, what changed is read in the same thread
(:meth:`~api.obstacles.live.LiveObstacles.read_ahead`) and applied as a job of the CPU thread
(:meth:`~api.obstacles.live.LiveObstacles.apply_ahead`, where the routes' own reloads run, so the
overlay is never swapped under a route); until 2026-12-07 the CPU thread read it too, and the
worker's routes waited for that read (:mod:`api.obstacles.read_ahead`). Nothing changes in what
a route honours: a route still polls first when it finds the poll due (an idle worker's first
route, a timer held back by a long route on the loop). An idle worker polls no more than
before: at most one background poll per answered route and per ``poll_s``.

Measured at concurrency 1 (one worker, a route each in turn to a server polling every 50 ms and
one polling every 60 s): with the poll made in the CPU thread at its due time, 35 of 1,000 routes
went to the CPU thread (16 found the poll due while the timer waited behind the route before,
18 found the thread busy with the poll) and the median was 2.5–4 % slower than without polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from api.cpu import run_cpu
from api.inflight import served

log = logging.getLogger("stufenlos.obstacles")

#: How long before the poll falls due the background read is made (seconds; at most half the
#: interval): longer than a short route computed on the loop (which holds the timer back), so
#: that the read is done before any route can find the poll due.
LEAD_S = 0.01

T = TypeVar("T")


class Polled(Protocol):
    """What :class:`PollAhead` reads of :class:`~api.obstacles.live.LiveObstacles`."""

    poll_s: float

    def poll_due_in_s(self) -> float: ...

    def fresh(self) -> bool: ...

    def check_revision(self) -> bool: ...

    def read_ahead(self) -> bool: ...

    def apply_ahead(self) -> bool: ...


#: How a read made ahead is applied: ``run_cpu`` (the worker's CPU thread) outside tests.
Runner = Callable[[Callable[[], bool]], Awaitable[bool]]
#: How the revision is read: :func:`off_loop` (a thread of the loop's executor) outside tests.
Checker = Callable[[Callable[[], bool]], Awaitable[bool]]


async def off_loop(call: Callable[[], T]) -> T:
    """``call()`` in a thread of the running loop's default executor (neither the loop nor the
    CPU thread: a database read that routes need not wait for)."""
    return await asyncio.get_running_loop().run_in_executor(None, call)


class PollAhead:
    """Poll the live obstacles' revision in the background when it falls due, while routes are
    being answered. Used on the event loop only."""

    def __init__(
        self,
        live: Polled,
        run: Runner = run_cpu,
        in_use: Callable[[], bool] = served,
        check: Checker = off_loop,
    ) -> None:
        self._live = live
        self._run = run
        self._check = check
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

    def _lead_s(self) -> float:
        return min(LEAD_S, self._live.poll_s / 2)

    def _arm(self) -> None:
        due = self._live.poll_due_in_s()
        self._due_at_s = time.monotonic() + due
        delay = max(0.0, due - self._lead_s())
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        """The poll is about to fall due (or was made by a route meanwhile): poll if the worker
        is in use, that is, if a route was answered within the interval before it falls due."""
        fired = self._timer
        try:
            if not self._in_use() or self._answered_at_s < self._due_at_s - self._live.poll_s:
                return  # idle: its next route polls first, as it always did
            # a route polled meanwhile: the poll falls due a whole interval later, far beyond the
            # lead (twice the lead: a timer that fires a little early is not mistaken for it)
            if self._live.poll_due_in_s() > 2 * self._lead_s():
                self._arm()
                return
            self.polls += 1
            self._poll = asyncio.get_running_loop().create_task(self._polled())
        finally:
            if self._timer is fired:  # not re-armed (cleared last: never quiet while busy)
                self._timer = None

    async def _polled(self) -> None:
        try:
            # a change: read it beside the routes too, apply it in the CPU thread
            if not await self._check(self._live.check_revision) and await self._check(
                self._live.read_ahead
            ):
                await self._run(self._live.apply_ahead)
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
