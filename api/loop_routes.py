"""Short routes of a busy worker computed on its event loop, one per turn of the loop, in order.

A worker with several route requests in hand used to hand each to its CPU thread
(:mod:`api.cpu`). For the short ones (one leg, no alternatives, no distance between rests: the
same as :func:`api.fastpath.on_idle_loop` computes on the loop when it is alone) that hand-over
cost more than it gave: the route's Python code holds the GIL for most of its time, so the two
threads took turns rather than running side by side, and every job paid a queue, a thread
wake-up, a future and ``call_soon_threadsafe`` back, with the route's objects warm in the cache
of the other core. Measured on the 2-core machine (``stufenlos serve``, 2 workers, wrk, seeded
trips, CPU time of the workers' threads from /proc): at concurrency 64 the event loop threads
spent 0.21 ms per route on the hand-over and the CPU threads 0.59 ms on the route, 0.80 ms in
all, against 0.69–0.73 ms with this queue; alternating with the commit before, 2,520–2,545
against 2,220–2,340 routes/s (``bench_peers.py``: 2,541 against 2,396, CPU per route 0.725
against 0.779 ms; concurrency 8 and 1 unchanged: there a route mostly finds its worker alone).

The loop stays responsive because it computes one route per turn: :class:`LoopRoutes` is a
queue whose next job is run by a callback that schedules the job after it with ``call_soon``,
so the loop polls its sockets and runs every other ready callback (a ``/health`` request, a
staff write's task, a timer) between two routes. Nothing waits for the loop longer than one
short route (0.3–1.3 ms median on Kaiserslautern, at most the search budget). Routes with via
points, alternatives or a rest limit (up to tens of milliseconds), a matrix, and a route whose
live obstacles need a database read first still go to the CPU thread; while that thread has a
job the queue waits (the thread's job may reload the live obstacles, which changes what routes
read, so a route on the loop never runs beside it), and the thread's answer resumes it
(:func:`wake_loop_routes`, called by :mod:`api.cpu` when its last job is done).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable

__all__ = ["LoopRoutes", "loop_idle", "loop_routes", "wake_loop_routes"]

logger = logging.getLogger("stufenlos.loop_routes")


class LoopRoutes:
    """A first-in, first-out queue of jobs run on ``loop``, one per turn of the loop, while
    ``may_run()`` says so (the CPU thread is idle: a job must not compute a route while that
    thread may change what routes read); paused otherwise until :meth:`resume`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, may_run: Callable[[], bool]) -> None:
        self.loop = loop
        self._may_run = may_run
        self._jobs: collections.deque[Callable[[], None]] = collections.deque()
        self._scheduled = False  # a callback that runs the next job is on the loop's ready queue

    def __len__(self) -> int:
        return len(self._jobs)

    def put(self, job: Callable[[], None]) -> None:
        """Run ``job()`` on the loop after the jobs put before it, on a turn of its own. A job
        must answer its request itself (its errors included); one that raises is logged."""
        self._jobs.append(job)
        self.resume()

    def resume(self) -> None:
        """Schedule the next job's turn, unless it is scheduled or nothing waits (called when
        a job is put and when the CPU thread becomes idle)."""
        if self._jobs and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._next)

    def _next(self) -> None:
        self._scheduled = False
        if not self._may_run():  # paused: the CPU thread's last job resumes it
            return
        job = self._jobs.popleft()
        try:
            job()
        except Exception:  # a job answers its own errors; this is a bug, not a request's fault
            logger.exception("a route job on the event loop raised")
        finally:
            self.resume()  # the next one on the next turn: the loop polls its sockets first


class _Local(threading.local):
    queue: LoopRoutes | None = None


#: Every queue made (each of a loop), for :func:`wake_loop_routes`.
_queues: weakref.WeakSet[LoopRoutes] = weakref.WeakSet()
#: The queue of the loop running in each thread (a worker has one loop; a test process may run
#: several servers, each with its loop in a thread of its own).
_local = _Local()


def loop_routes(loop: asyncio.AbstractEventLoop, may_run: Callable[[], bool]) -> LoopRoutes:
    """The queue of ``loop``, the loop running in the calling thread, made with ``may_run``
    (:func:`api.cpu.cpu_idle`) the first time."""
    queue = _local.queue
    if queue is None or queue.loop is not loop:
        queue = _local.queue = LoopRoutes(loop, may_run)
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
