"""Short routes computed on the event loop, a few per turn of the loop, in order, their answers
written together at the end of the turn.

A worker with several route requests in hand used to hand each to its CPU thread
(:mod:`api.cpu`). For the short ones (one leg, no alternatives, no distance between rests:
:func:`api.fastpath.short_route`) that hand-over cost more than it gave: the route's Python code
holds the GIL for most of its time, so the two threads took turns rather than running side by
side, and every job paid a queue, a thread wake-up, a future and ``call_soon_threadsafe`` back,
with the route's objects warm in the cache of the other core. Measured on the 2-core machine
(``stufenlos serve``, 2 workers, wrk, seeded trips, CPU time of the workers' threads from /proc):
at concurrency 64 the event loop threads spent 0.21 ms per route on the hand-over and the CPU
threads 0.59 ms on the route, 0.80 ms in all, against 0.69-0.73 ms with one route per turn.

A turn computes up to :data:`TURN_ROUTES` routes (fewer when its time, :data:`TURN_S`, is up
after one of them; one only while ``may_batch()`` says no: the worker has a request task in hand
or a connection being set up, :func:`api.inflight.nothing_but_routes`) and only then writes
their answers, one after the other. Interleaved (route, write, route, write), each route started
on caches that the write before it had emptied (the kernel's TCP path, the access line, the
client woken on the same core); back to back, the routes find the caches as the route before
left them, and the writes go out in one burst. Measured the same way (one server per setting, alternating, two
rounds): user CPU per route 0.67-0.69 ms with one route per turn and 0.58-0.61 with eight,
system CPU 0.055 against 0.022-0.035 ms; ``bench_peers.py`` alternating with the commit before
(two rounds, two runs): 2,834-2,895 / 3,054-3,097 against 2,519-2,602 / 2,452-2,536 routes/s at
concurrency 8 / 64, the server's CPU per answer 0.654-0.662 / 0.615-0.625 against
0.713-0.737 / 0.730-0.755 ms. At concurrency 8 a worker holds four connections, so its turns
compute two to four routes. A worker with a single request in hand takes the same way: its route
is a turn of one (one more turn of the loop than computing it where the request was read;
concurrency 1, ``bench_api.py --sequential``, four alternating rounds: p50 1.468 against 1.454
ms).

Jobs that say how to be computed together (a ``run_together`` attribute: :mod:`api.direct`'s,
whose routes :func:`api.route_answers.route_answers` computes stage by stage,
:mod:`routing.route_batch`) are handed over as one group of the queue's consecutive such jobs,
as many as end within the turn's time at the mean time of a job in the groups so far; a group
of one is computed alone. Stage by stage, each stage finds its code and tables as the route
before left them: the workers' CPU per answer fell from 0.720 to 0.633 ms at concurrency 8
(``bench_peers.py`` alternating with the commit before, three rounds, 2026-12-04; 2,541 → 2,958
routes/s).

The loop stays responsive because a turn is bounded: the queue's callback runs a turn and
schedules the next with ``call_soon``, so the loop polls its sockets and runs every other ready
callback (a ``/health`` request, a staff write's task, the poll timer) between two turns.
Nothing waits for the loop longer than a turn: at most :data:`TURN_S` plus one route, or one
group sized by the mean time of a job to end within :data:`TURN_S` (a short route takes 0.3-1.3 ms median on Kaiserslautern, at most the search budget), and once a request
task or a new connection exists the turns are single. The price is that wait: ``bench_load.py``
alternating with the commit before, ``/health`` (a new connection each time) p50 6.4 ms under
load (4.4 with one route per turn; 13.1 when only request tasks made the turns single), p99 12.4
(17.5); a staff write's POST p50 20.9 against 19.5 ms (48.9 with eight-route turns throughout). Routes with via
points, alternatives or a rest limit (up to tens of milliseconds), a matrix, and a route whose
live obstacles need a database read first go to the CPU thread; while that thread has a job the
queue waits (the thread's job may reload the live obstacles, which changes what routes read, so
a route on the loop never runs beside it), and the thread's answer resumes it
(:func:`wake_loop_routes`, called by :mod:`api.cpu` when its last job is done).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable

__all__ = [
    "TURN_ROUTES",
    "TURN_S",
    "Job",
    "LoopRoutes",
    "RunTogether",
    "loop_idle",
    "loop_routes",
    "wake_loop_routes",
]

logger = logging.getLogger("stufenlos.loop_routes")

#: Routes a turn of the loop computes at most before it writes their answers (the setting
#: ``loop_turn_routes``; 4 and 16 measured within the noise of 8 at concurrency 64).
TURN_ROUTES = 8
#: Seconds after which a turn computes no further route (the setting ``loop_turn_ms``): what a
#: ``/health`` request or a staff write waits for the loop at most, besides one route.
TURN_S = 0.004

#: A queued job: computes its route and returns what writes its answer (called at the end of
#: the turn), or None when it answered otherwise (handed to the CPU thread or to the app, or
#: its client has gone).
Job = Callable[[], Callable[[], None] | None]
#: What computes several queued jobs together and returns each one's write (or None), in
#: order: a job's ``run_together`` attribute, when it has one (:class:`LoopRoutes`).
RunTogether = Callable[[list[Job]], list[Callable[[], None] | None]]


class LoopRoutes:
    """A first-in, first-out queue of jobs run on ``loop``, up to ``turn_routes`` per turn of the
    loop (one when ``may_batch()`` says no at the turn's start) and no further one after
    ``turn_s`` seconds of the turn, their answers written at its end, while ``may_run()`` says
    so (the CPU thread is idle: a job must not compute a route while that thread may change
    what routes read); paused otherwise until :meth:`resume`. Consecutive jobs with the same
    ``run_together`` (:data:`RunTogether`) are computed by it as one group, sized to end within
    the turn's time (module doc)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        may_run: Callable[[], bool],
        *,
        may_batch: Callable[[], bool] = lambda: True,
        turn_routes: int = TURN_ROUTES,
        turn_s: float = TURN_S,
    ) -> None:
        if turn_routes < 1 or not turn_s > 0:
            raise ValueError(f"a turn needs a route and some time: {turn_routes}, {turn_s} s")
        self.loop = loop
        self._may_run = may_run
        self._may_batch = may_batch
        self._turn_routes = turn_routes
        self._turn_s = turn_s
        self._jobs: collections.deque[Job] = collections.deque()
        #: mean seconds of a job computed in a group (0: none yet), see :meth:`_fitting`
        self._job_s = 0.0
        self._scheduled = False  # a callback that runs the next turn is on the loop's ready queue

    def __len__(self) -> int:
        return len(self._jobs)

    def put(self, job: Job) -> None:
        """Run ``job()`` on the loop after the jobs put before it, and call what it returns
        after the last job of its turn. A job and its write must answer their request
        themselves (their errors included); one that raises is logged."""
        self._jobs.append(job)
        self.resume()

    def resume(self) -> None:
        """Schedule the next turn, unless it is scheduled or nothing waits (called when a job
        is put and when the CPU thread becomes idle)."""
        if self._jobs and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._turn)

    def _turn(self) -> None:
        self._scheduled = False
        writes: list[Callable[[], None]] = []
        try:
            self._compute(writes)
        finally:
            for write in writes:
                try:
                    write()
                except Exception:  # as a job's
                    logger.exception("writing a route's answer on the event loop raised")
            # the next turn (the loop polls its sockets first), unless the queue is paused: then
            # the CPU thread's last job resumes it (wake_loop_routes, after it counts as idle).
            # Scheduling turns that find it paused would spin the loop, taking the interpreter
            # from the very job the queue waits for (a write's reload ran 2-3x its CPU time).
            if self._may_run():
                self.resume()

    def _compute(self, writes: list[Callable[[], None]]) -> None:
        """The turn's jobs, their writes appended to ``writes``."""
        jobs, may_run = self._jobs, self._may_run
        deadline = time.perf_counter() + self._turn_s
        # one route only while other requests wait for the loop (each of their steps is a turn)
        room = self._turn_routes if self._may_batch() else 1
        while room > 0:
            if not jobs or not may_run():  # paused: the CPU thread's last job resumes it
                return
            together = getattr(jobs[0], "run_together", None)
            if together is None:
                self._run_alone(jobs.popleft(), writes)
                room -= 1
            else:
                group = self._group(together, min(room, self._fitting(deadline)))
                room -= len(group)
                self._run_group(together, group, writes)
            if time.perf_counter() >= deadline:
                return

    def _group(self, together: RunTogether, most: int) -> list[Job]:
        """The first job and up to ``most - 1`` that follow it with the same ``run_together``."""
        jobs = self._jobs
        group = [jobs.popleft()]
        while len(group) < most and jobs and getattr(jobs[0], "run_together", None) == together:
            group.append(jobs.popleft())
        return group

    def _fitting(self, deadline: float) -> int:
        """How many jobs computed together still end within the turn's time, by the mean time of
        a job in the groups so far (at least one: a turn computes a route)."""
        if self._job_s <= 0.0:
            return self._turn_routes
        return max(1, int((deadline - time.perf_counter()) / self._job_s))

    def _run_alone(self, job: Job, writes: list[Callable[[], None]]) -> None:
        try:
            write = job()
        except Exception:  # a job answers its own errors; this is a bug, not a request's fault
            logger.exception("a route job on the event loop raised")
        else:
            if write is not None:
                writes.append(write)

    def _run_group(
        self, together: RunTogether, group: list[Job], writes: list[Callable[[], None]]
    ) -> None:
        if len(group) == 1:
            self._run_alone(group[0], writes)
            return
        started = time.perf_counter()
        try:
            done = together(group)
        except Exception:  # as a job's
            logger.exception("route jobs computed together on the event loop raised")
            return
        per_job = (time.perf_counter() - started) / len(group)
        # a moving mean (the last few groups weigh most): what sizes the next groups
        self._job_s = per_job if self._job_s <= 0.0 else 0.7 * self._job_s + 0.3 * per_job
        writes.extend(write for write in done if write is not None)


class _Local(threading.local):
    queue: LoopRoutes | None = None


#: Every queue made (each of a loop), for :func:`wake_loop_routes`.
_queues: weakref.WeakSet[LoopRoutes] = weakref.WeakSet()
#: The queue of the loop running in each thread (a worker has one loop; a test process may run
#: several servers, each with its loop in a thread of its own).
_local = _Local()


def loop_routes(
    loop: asyncio.AbstractEventLoop, make: Callable[[asyncio.AbstractEventLoop], LoopRoutes]
) -> LoopRoutes:
    """The queue of ``loop``, the loop running in the calling thread, made by ``make(loop)`` the
    first time (:mod:`api.direct`: with :func:`api.cpu.cpu_idle`,
    :func:`api.inflight.nothing_but_routes` and the settings' turn limits)."""
    queue = _local.queue
    if queue is None or queue.loop is not loop:
        queue = _local.queue = make(loop)
        _queues.add(queue)
    return queue


def loop_idle() -> bool:
    """Whether no route waits in the queue of the calling thread's loop (none made: idle too)."""
    queue = _local.queue
    return queue is None or not queue


def wake_loop_routes() -> None:
    """Let every queue with jobs go on, on its own loop (called by the CPU thread when its last
    job is done: the queues wait while it has jobs; a test process may run several loops)."""
    for queue in list(_queues):
        if queue:
            with contextlib.suppress(RuntimeError):  # its loop was closed meanwhile
                queue.loop.call_soon_threadsafe(queue.resume)
