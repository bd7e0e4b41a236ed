"""CPU-bound work of the endpoints, off the event loop, in one thread of its own per process.

Routes and matrices run in a dedicated CPU thread (:func:`run_cpu`), one job at a time per
worker process, in the order they were asked for: the event loop keeps answering (``/health``,
obstacle reads) while they compute, and they never take the threads of the default pool that
other blocking work (an import, a citizen's report) needs. Nothing in it waits for the database
unbounded: the staff's writes and every key check run in the pool (:mod:`api.routes.obstacles`
says why), the obstacles' reads before a route are bounded (:mod:`api.obstacles.bounded_read`).
A thread rather than a process pool: the searches and the snapping are numba kernels compiled with
``nogil=True``, so the event loop runs while they search, on the graph already in memory,
without pickling requests and results or a copy of the graph per process. One thread rather than many: what holds the GIL (the report, the
instructions) is most of a route now, and fewer threads competing for it keep the event loop's
wait for the GIL short (measured: 452 vs 520 routes/s at concurrency 8 on 2 cores with two
threads against one); the server scales with worker processes (``--workers``). So does a GIL
switch interval of 1 ms instead of 5 ms (set once, for the process, by the first job).

The hand-over is a plain queue and ``call_soon_threadsafe``, not ``anyio.to_thread``: a job's
round trip (queue, wake the thread, hand the result back to the loop) takes about 50 µs here
against about 105 µs through anyio's capacity limiter and worker machinery, and at concurrency
1 that is part of every route's latency (``benchmarks/bench_fastpath.py`` times the whole path).
Most of what is left is waking a thread on the other core: an empty job's round trip under
uvloop takes about 100 µs with the two threads free to run on either of this VM's two cores, and
10 µs with both threads on one (``STUFENLOS_WORKER_CPU_AFFINITY=auto`` keeps them there while
no worker has jobs queued, at a cost under load: :mod:`api.affinity`). A short one-leg route
skips the round trip altogether and is computed on the event loop, in turn
(:mod:`api.loop_routes`, which waits while :func:`cpu_idle` says no; through ASGI,
:func:`api.fastpath.on_idle_loop` when nothing else is in hand).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from api.affinity import loop_pin
from api.loop_routes import wake_loop_routes

T = TypeVar("T")

#: How long a thread holding the GIL keeps it while another waits (CPython's default is 5 ms).
#: Shorter, the event loop waits at most about this long for a route thread's Python code.
GIL_SWITCH_INTERVAL_S = 0.001

#: A job: the loop to answer on, the future to resolve, the call (in its caller's context).
_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


def _resolve(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """On the loop: hand the job's outcome to its awaiting caller (gone if it was cancelled)."""
    if fut.cancelled():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


class CpuThread:
    """One daemon thread that runs jobs one after another, in the order they were put."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._pin = loop_pin()  # None unless the worker has a home CPU
        self._pending = 0  # jobs put and not finished or dropped (the pin's count, idle())
        self._count = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="stufenlos-cpu", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            loop, fut, call = self._jobs.get()
            if fut.cancelled():  # its caller gave up while it waited: nobody wants the answer
                self._finished()
                continue
            result: Any = None
            error: BaseException | None = None
            try:
                result = call()
            except StopIteration as exc:  # a future refuses it: it would leave the caller waiting
                error = RuntimeError(f"{call!r} raised StopIteration")
                error.__cause__ = exc
            except BaseException as exc:  # every outcome goes back to the caller
                error = exc
            self._finished()
            # RuntimeError: the loop was closed meanwhile (a test client that ended)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, fut, result, error)

    def _finished(self) -> None:
        """A job is done or dropped (in this thread); the last one lets the routes queued on
        the event loops go on (:mod:`api.loop_routes`: they wait while this thread has jobs)."""
        with self._count:
            self._pending -= 1
            if self._pin is not None:
                self._pin.count(self._pending)
            idle = self._pending == 0
        if idle:
            wake_loop_routes()

    def idle(self) -> bool:
        """Whether every job put has finished (or been dropped): nothing runs or waits here."""
        return self._pending == 0

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` in this thread; the caller awaits its result or its exception."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        with self._count:
            self._pending += 1
            jobs = self._pending
        if self._pin is not None:  # tell it how many jobs are in (api/affinity.py)
            self._pin.update(jobs, self._thread.native_id or 0)
        self._jobs.put((loop, fut, call))
        return await fut


_cpu: CpuThread | None = None
_start = threading.Lock()


def _thread() -> CpuThread:
    """This process's CPU thread, started on first use (a forked worker starts its own: threads
    do not survive ``fork``)."""
    global _cpu
    cpu = _cpu
    if cpu is not None and cpu.pid == os.getpid():
        return cpu
    with _start:
        if _cpu is None or _cpu.pid != os.getpid():
            short_gil_switches()
            _cpu = CpuThread()
        return _cpu


def short_gil_switches() -> None:
    """Set the process's GIL switch interval to :data:`GIL_SWITCH_INTERVAL_S` (unless it is
    shorter): by the CPU thread's first job, and by the app's start, since a worker that
    computes its routes on the event loop (:mod:`api.loop_routes`) may start no CPU thread for
    a long time while its executor threads (database writes, the obstacles' revision check)
    wait for the GIL behind those routes."""
    if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def cpu_idle() -> bool:
    """Whether this process's CPU thread has no job in (none started: idle too)."""
    cpu = _cpu
    return cpu is None or cpu.pid != os.getpid() or cpu.idle()


async def run_cpu(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` in the process's CPU thread (in the caller's context
    variables), one job at a time, first come first served."""
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await _thread().run(call)
