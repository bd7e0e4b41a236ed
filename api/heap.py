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
"""

from __future__ import annotations

import contextlib
import sys


def release_free_heap() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``; no-op elsewhere)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
