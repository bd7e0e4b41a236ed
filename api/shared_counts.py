"""One integer per worker of ``stufenlos serve``, in memory the forked workers share.

Made by the serving parent before the fork (an anonymous shared mapping survives it). Each
worker writes only its own slot and reads the others' as they are, without a lock: a stale
figure costs one decision made on it (a pin too many, an uneven accept), never a wrong answer.
Used for the workers' queued jobs (:class:`api.affinity.WorkerLoads`) and open connections
(:class:`api.balance.ConnectionShares`).
"""

from __future__ import annotations

import mmap

__all__ = ["SharedCounts"]


class SharedCounts:
    """``slots`` C ints, zero at first, shared with every process forked after this is made."""

    def __init__(self, slots: int) -> None:
        self._map = mmap.mmap(-1, 4 * max(1, slots))  # MAP_SHARED | MAP_ANONYMOUS
        self._counts = memoryview(self._map).cast("i")

    def counts(self) -> list[int]:
        """Every slot's figure, as it is now."""
        return self._counts.tolist()

    def set(self, slot: int, value: int) -> None:
        self._counts[slot] = value

    def add(self, slot: int, change: int) -> None:
        """Change ``slot``'s figure (only its own worker may: read and write are two steps)."""
        self._counts[slot] += change
