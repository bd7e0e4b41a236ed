"""CPU-bound work of the endpoints, off the event loop, in a bounded set of threads.

Routes and matrices run in a worker thread (:func:`run_cpu`), at most :data:`CPU_THREADS` at a time
per worker process, through a capacity limiter of their own: the event loop keeps answering
(``/health``, obstacle reads) while they compute, and they never take the threads of the
default pool that other blocking work (database writes) needs. A thread rather than a process pool:
the searches and the snapping are numba kernels compiled with ``nogil=True``, so the event loop
runs while they search, on the graph already in memory, without pickling requests and results
or a copy of the graph per process. One thread rather than many: what holds the GIL (the
report, the instructions) is most of a route now, and fewer threads competing for it keep the
event loop's wait for the GIL short; so does a GIL switch interval of 1 ms instead of 5 ms (set once,
for the process, when the first CPU job of a worker starts).
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

#: Route and matrix computations running at once in one worker process. One: most of a route's
#: CPU time is Python (report, instructions) holding the GIL, so a second thread in the same
#: process only contends for it (measured: 452 vs 520 routes/s at concurrency 8 on 2 cores);
#: the server scales with worker processes (``--workers``).
CPU_THREADS = 1

#: How long a thread holding the GIL keeps it while another waits (CPython's default is 5 ms).
#: Shorter, the event loop waits at most about this long for a route thread's Python code.
GIL_SWITCH_INTERVAL_S = 0.001

_limiters: dict[int, anyio.CapacityLimiter] = {}


def _limiter() -> anyio.CapacityLimiter:
    """The limiter of the running event loop (a limiter belongs to one loop)."""
    key = id(asyncio.get_running_loop())
    limiter = _limiters.get(key)
    if limiter is None:
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        if len(_limiters) > 64:  # loops of finished test clients
            _limiters.clear()
        limiter = _limiters[key] = anyio.CapacityLimiter(CPU_THREADS)
    return limiter


async def run_cpu(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` in a worker thread, at most :data:`CPU_THREADS` at a time."""
    call = functools.partial(func, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=_limiter())
