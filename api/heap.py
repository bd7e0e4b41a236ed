"""The C heap of a serving process: freed memory handed back to the system.

glibc's allocator keeps the pages of freed memory resident for reuse, where they count in the
process's RSS. Arrays of a few hundred kB (a profile's weights, a write's patched columns) are
made and dropped all the time in a worker; once a freed chunk of that size was ``mmap``-ed,
glibc raises its threshold and serves the next ones from the heap, whose holes between live
objects stay resident. Returning every free page after start-up and after each change of the
live obstacles (the points where generations of arrays are replaced) keeps a worker's RSS
near what it holds (one Kaiserslautern worker under the mixed traffic of
``benchmarks/traffic_mix.py``, with staff writes, in a scratch run: 181.5 MB against 192.8–193.7
without); a trim costs 0.3–2 ms once per change.

Besides, every thread that allocates gets a malloc arena of its own (up to eight per core), and
each keeps its own free pages and holes: the CPU thread, the event loop and the database's
threads each held megabytes apart. Most of a worker's work is serialised by the interpreter
lock anyway (the kernels, which release it, allocate nothing; SQLite allocates without it, for
moments), so one arena costs next to no waiting: :func:`limit_heap_arenas` sets it before the
server starts any thread. Two workers under the mixed traffic with staff writes
(``benchmarks/bench_memory.py --sustained 90``, alternating): 152.5 / 152.4 MB a worker against
155.2 / 156.4 with glibc's default; ``benchmarks/bench_load.py`` (two rounds against the default):
routes/s at concurrency 8 0.96×, 64 1.00×, 64 with writes 1.01×, write → live p95 17.4 → 17.8 ms.

A trim returns whole free pages only: what stays are the holes that dropped arrays leave
between live objects. glibc maps an allocation from the system when it is above its mmap
threshold, but raises that threshold to the size of every mapped chunk freed (up to 32 MiB), so
after the first per-edge array dropped, all of them come from the heap. :func:`fix_mmap_threshold`
holds it at 128 KiB: every array of 8 bytes an edge (174 kB on Kaiserslautern: a profile's costs,
the copies a staff write patches for every preset in use, the rules' and the alternatives'
temporaries) gets a mapping of its own, which leaves the process with it and never splits the
heap; smaller objects stay on the heap. Two workers under the mixed traffic
(``benchmarks/bench_memory.py --sustained 90``, the threshold set through glibc's
``MALLOC_MMAP_THRESHOLD_``, alternating with its dynamic one): 148.7–149.4 MB a worker (three
runs) against 151.6–154.1 (nine); set here, 148.5–149.4 (four) against 152.5–155.2 (four).
Measured and not taken: 256 KiB and 1 MiB (151.2–151.6: the per-edge arrays are below them);
64 KiB (148.4–148.7: no lower, more and smaller mappings); mapping only the arrays that live
on, the weights and the patched copies, where the code makes them (152.5–152.9 against
151.9–152.8: the holes are the temporaries'). The price is page faults on fresh pages: a new
profile's first route, weighed into new mappings, took 0.15–0.25 ms longer
(``benchmarks/bench_new_profile.py``, two rounds: first ÷ cached, served in process 2.33 / 2.41
→ 2.78 / 2.71, over HTTP 1.81 / 1.71 → 2.08 / 2.08; the target is 3); once the metric cache is
full, a new profile is now weighed into the arrays of the metric it evicts instead
(:mod:`routing.recycling`: no faults there). A library that takes a
large buffer for every call pays it every call: route answers are gzipped at ISA-L's smallest
memory level for that (:mod:`api.compression`).
"""

from __future__ import annotations

import contextlib
import os
import sys

#: glibc's ``mallopt`` parameters (``malloc.h``): the most arenas; the mmap threshold.
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
#: Allocations of at least this many bytes are mapped from the system (:func:`fix_mmap_threshold`).
MMAP_THRESHOLD_BYTES = 128 * 1024
#: glibc's largest mmap threshold on 64-bit systems (``HEAP_MAX_SIZE / 2``).
MAX_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024


def limit_heap_arenas(count: int = 1) -> bool:
    """Let at most ``count`` malloc arenas serve this process and its forks (glibc's
    ``mallopt(M_ARENA_MAX)``): threads started later share them. True when set; False when the
    environment sets ``MALLOC_ARENA_MAX`` (glibc read it at start: the operator's choice
    stands), elsewhere than Linux, or when glibc refuses. Raises ``ValueError`` when ``count``
    < 1."""
    if count < 1:
        raise ValueError(f"at least one malloc arena, not {count}")
    return _mallopt(M_ARENA_MAX, count, "MALLOC_ARENA_MAX")


def fix_mmap_threshold(nbytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Map every allocation of at least ``nbytes`` from the system, this process's and its
    forks', and keep glibc from raising that threshold (``mallopt(M_MMAP_THRESHOLD)``). True when
    set; False when the environment sets ``MALLOC_MMAP_THRESHOLD_`` (the operator's choice
    stands), elsewhere than Linux, or when glibc refuses. Raises ``ValueError`` for ``nbytes``
    outside 1 … :data:`MAX_MMAP_THRESHOLD_BYTES`."""
    if not 1 <= nbytes <= MAX_MMAP_THRESHOLD_BYTES:
        raise ValueError(
            f"an mmap threshold of 1 to {MAX_MMAP_THRESHOLD_BYTES} bytes, not {nbytes}"
        )
    return _mallopt(M_MMAP_THRESHOLD, nbytes, "MALLOC_MMAP_THRESHOLD_")


def _mallopt(parameter: int, value: int, variable: str) -> bool:
    """glibc's ``mallopt(parameter, value)`` unless the environment's ``variable`` set it."""
    if variable in os.environ:
        return False
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(parameter, value))
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


def release_free_heap() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``; no-op elsewhere)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
