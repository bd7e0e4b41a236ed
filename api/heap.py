"""The C heap of a serving process: freed memory handed back to the system.

glibc's allocator keeps the pages of freed memory resident for reuse, where they count in the
process's RSS. Arrays of a few hundred kB (a profile's weights, a write's patched columns) are
made and dropped all the time in a worker; once a freed chunk of that size was ``mmap``-ed,
glibc raises its threshold and serves the next ones from the heap, whose holes between live
objects stay resident. Returning every free page after start-up and after each change of the
live obstacles (the points where generations of arrays are replaced) keeps a worker's RSS
near what it holds (one Kaiserslautern worker under the mixed traffic of
``benchmarks/traffic_mix.py``, with staff writes, in a scratch run: 181.5 MB against 192.8–193.7
without). A fixed ``mmap`` threshold (``MALLOC_MMAP_THRESHOLD_``) would do it for every
allocation, but then every new profile's arrays cost page faults (its first route served in
1.8–2.0 ms against 1.3–1.6, ``benchmarks/bench_new_profile.py``); a trim costs 0.3–2 ms once per
change.

Besides, every thread that allocates gets a malloc arena of its own (up to eight per core), and
each keeps its own free pages and holes: the CPU thread, the event loop and the database's
threads each held megabytes apart. Most of a worker's work is serialised by the interpreter
lock anyway (the kernels, which release it, allocate nothing; SQLite allocates without it, for
moments), so one arena costs next to no waiting: :func:`limit_heap_arenas` sets it before the
server starts any thread. Two workers under the mixed traffic with staff writes
(``benchmarks/bench_memory.py --sustained 90``, alternating): 152.5 / 152.4 MB a worker against
155.2 / 156.4 with glibc's default; ``benchmarks/bench_load.py`` (two rounds against the default):
routes/s at concurrency 8 0.96×, 64 1.00×, 64 with writes 1.01×, write → live p95 17.4 → 17.8 ms.
"""

from __future__ import annotations

import contextlib
import os
import sys

#: glibc's ``mallopt`` parameter for the most arenas (``malloc.h``).
M_ARENA_MAX = -8


def limit_heap_arenas(count: int = 1) -> bool:
    """Let at most ``count`` malloc arenas serve this process and its forks (glibc's
    ``mallopt(M_ARENA_MAX)``): threads started later share them. True when set; False when the
    environment sets ``MALLOC_ARENA_MAX`` (glibc read it at start: the operator's choice
    stands), elsewhere than Linux, or when glibc refuses. Raises ``ValueError`` when ``count``
    < 1."""
    if count < 1:
        raise ValueError(f"at least one malloc arena, not {count}")
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, count))
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


def release_free_heap() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``; no-op elsewhere)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
