"""Which CPU each worker of ``stufenlos serve`` runs on (``STUFENLOS_WORKER_CPU_AFFINITY``).

A worker is two threads that hand every route to each other: the event loop reads the request
and writes the answer, the CPU thread (:mod:`api.cpu`) computes it. Left to the kernel's
scheduler, they run on different cores whenever they can, and each hand-over then wakes a
thread on the other core: on this KVM machine an empty job's round trip through the CPU thread
takes about 100 µs that way, and 10 µs with both threads on one core.

``auto``: with at least as many workers as CPUs, worker ``i`` has a home CPU (``i``, round the
CPUs); its loop thread and CPU thread stay there while no worker has more than one job in, and
every thread of the worker is set free as soon as jobs queue in any worker, until the server
has been quiet for a while (:class:`LoopPin`, :class:`WorkerLoads`). Measured on this 2-core
machine (``benchmarks/bench_peers.py`` against 980815b in the same run): ``POST /routes`` p50 at
concurrency 1 0.88–0.89 of 980815b's (2.42 → 2.14 ms; 3.11 → 2.42 on a slower hour), routes/s
at c8 / c64 +8–16 % / +1–2 %. Under the load test (``bench_load.py``, alternating with
``off``), ``/health`` p99 was longer: median 16.5 ms against 7.4 over nine pairs, one run at
52.5 ms. Staff writes were live as soon (write → live p95 medians 45 and 38 ms over 15 and 13
runs; both modes have spikes of 170–250 ms when the host stalls); earlier versions that kept
every thread pinned all along, or while the worker itself had one job, made them wait 180–275
ms.

So ``off`` (the scheduler places every thread) is the default: it holds the ``/health`` target
with a margin. ``auto`` is for a host that serves few requests at a time and wants each one sooner.
With fewer workers than CPUs nothing is pinned either way.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Literal

from api.shared_counts import SharedCounts

__all__ = [
    "AffinityMode",
    "LoopPin",
    "WorkerLoads",
    "available_cpus",
    "loop_pin",
    "set_loop_home",
    "worker_cpus",
]

#: ``auto``: one CPU per worker when there are at least as many workers as CPUs; ``off``: never.
AffinityMode = Literal["auto", "off"]


def available_cpus() -> list[int]:
    """The CPUs this process may run on, ascending (all of them where that cannot be asked)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))  # pragma: no cover - macOS, Windows


def worker_cpus(mode: AffinityMode, workers: int, cpus: list[int]) -> list[int] | None:
    """The CPU of each worker slot (slot ``i`` runs on ``result[i]``), or None: not pinned.

    ``cpus``: those the server may use (:func:`available_cpus`). Pinned only with ``auto``, more
    than one CPU (one CPU needs no choosing) and at least as many workers as CPUs; then the slots
    go round the CPUs in order, so each CPU has ``workers // len(cpus)`` or one more.
    """
    if mode == "off" or len(cpus) < 2 or workers < len(cpus):
        return None
    return [cpus[slot % len(cpus)] for slot in range(workers)]


class WorkerLoads(SharedCounts):
    """How many jobs each worker has in (queued or running), one
    :class:`~api.shared_counts.SharedCounts` slot per worker (a stale count costs at most one
    pin too many or too few)."""

    def others_queue(self, slot: int) -> bool:
        """Whether a worker other than ``slot`` has more than one job in."""
        return any(n > 1 for i, n in enumerate(self.counts()) if i != slot)


class LoopPin:
    """A worker's event loop thread and CPU thread on its home CPU while the server is quiet;
    every thread of the worker anywhere once jobs queue in any worker.

    Quiet, a route's two hand-overs stay on one core. Under load the worker's threads run
    wherever the scheduler finds room: with the loop thread, the CPU thread and the database
    threads the loop had started (a thread inherits its creator's CPUs) kept on one core, staff
    writes waited behind the CPU thread (write → live p95 at concurrency 64: 20–35 ms free,
    180–200 ms pinned). A worker with one job at a time beside a loaded one stays free too:
    pinned, it could not leave its core to the other worker's roaming threads (at six
    connections, split five to one, the lone worker had stayed pinned all along). Once set
    free, the threads are pinned again only after :attr:`QUIET_S` without a queue, so a worker
    under changing load does not flap.
    """

    #: Seconds without a queue in any worker before the threads go back to the home CPU.
    QUIET_S = 0.5

    def __init__(self, home: int, everywhere: set[int], loads: WorkerLoads, slot: int) -> None:
        self.home, self.everywhere = home, everywhere
        self.loads, self.slot = loads, slot
        self.pinned = False
        self.queued_at_s = -math.inf  # monotonic clock (s) when jobs last queued somewhere

    def count(self, jobs: int) -> None:
        """This worker has ``jobs`` in now (told by the CPU thread as each job ends)."""
        self.loads.set(self.slot, jobs)

    def update(self, jobs: int, cpu_thread: int) -> None:
        """Called by the loop thread as it hands a job to the CPU thread (native id
        ``cpu_thread``); ``jobs``: this worker's jobs in, that one included. System calls only
        when the state changes."""
        self.loads.set(self.slot, jobs)
        if jobs > 1 or self.loads.others_queue(self.slot):
            self.queued_at_s = time.monotonic()
            if self.pinned:  # every thread, those that inherited the pin too (µs each)
                for task in os.listdir("/proc/self/task"):
                    with contextlib.suppress(OSError):  # a thread that has ended meanwhile
                        os.sched_setaffinity(int(task), self.everywhere)
                self.pinned = False
        elif not self.pinned and time.monotonic() - self.queued_at_s >= self.QUIET_S:
            os.sched_setaffinity(0, {self.home})
            if cpu_thread:
                with contextlib.suppress(OSError):  # it has ended (an interpreter shutting down)
                    os.sched_setaffinity(cpu_thread, {self.home})
            self.pinned = True


_loop_pin: LoopPin | None = None


def set_loop_home(cpu: int | None, loads: WorkerLoads | None = None, slot: int = 0) -> None:
    """This process's event loop thread pins itself to ``cpu`` while the server is quiet (None:
    never); ``loads``: the workers' job counts (this worker's is ``slot``; default: this
    process alone)."""
    global _loop_pin
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        _loop_pin = None
        return
    loads = loads if loads is not None else WorkerLoads(1)
    _loop_pin = LoopPin(cpu, set(available_cpus()), loads, slot)
    _loop_pin.update(jobs=0, cpu_thread=0)  # a new worker (a replaced one too): nothing in


def loop_pin() -> LoopPin | None:
    """This process's :class:`LoopPin`, if it has a home CPU."""
    return _loop_pin
