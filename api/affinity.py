"""Which CPU each worker of ``stufenlos serve`` runs on.

A worker is two threads that hand every route to each other: the event loop reads the request
and writes the answer, the CPU thread (:mod:`api.cpu`) computes it. Left to the kernel's
scheduler, the two run on different cores whenever they can, and each hand-over then wakes a
thread on the other core: on this KVM machine an empty job's round trip through the CPU thread
takes about 100 µs that way and 10 µs with both threads on one core; the route's data also
changes caches twice. With one worker per CPU, pinning worker ``i`` to CPU ``i`` keeps a worker's
threads on one core. Measured on this 2-core machine, ``POST /routes`` at concurrency 1 took
0.15–0.2 ms less (``benchmarks/bench_fastpath.py`` in process, ``bench_peers.py`` over HTTP:
see the README), while routes/s at concurrency 8 and 64 stayed the same (two workers keep both
cores busy either way).

With fewer workers than CPUs, nothing is pinned: the scheduler may spread a worker's two threads
over otherwise idle cores. ``STUFENLOS_WORKER_CPU_AFFINITY=off`` leaves placement to the
scheduler always (a host shared with a database under load, say).
"""

from __future__ import annotations

import os
from typing import Literal

__all__ = ["AffinityMode", "available_cpus", "pin_to_cpu", "worker_cpus"]

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


def pin_to_cpu(cpu: int) -> bool:
    """Run the calling thread, and every thread it starts from now on, on ``cpu`` only.

    Called first thing in a freshly forked worker, whose only thread is the caller; False where
    the platform cannot pin (the worker then runs wherever the scheduler puts it).
    """
    if not hasattr(os, "sched_setaffinity"):  # pragma: no cover - macOS, Windows
        return False
    os.sched_setaffinity(0, {cpu})
    return True
