"""Arrays that forked workers share the way they share the graph's files: mapped, not inherited.

``stufenlos serve`` computes derived arrays once in the parent (the presets' metrics, the report
table, the spatial index …) and forks its workers from it. An ordinary numpy array lives in the
parent's anonymous memory, and a fork copies the page tables of all of it: every worker starts
with every such page resident (shared copy-on-write, but counted in its RSS), used or not.

:func:`share` copies arrays into one anonymous file (``memfd_create``) and returns views of a
*private* (copy-on-write) mapping of it, as ``np.load(mmap_mode="c")`` maps the graph's ``.npy``
files. Linux does not copy the page tables of a file mapping that nothing has written to, so a
forked worker maps these pages only when it reads them: its RSS holds the arrays it uses, and all
processes share one copy of each page. A process that writes to a view gets a private copy of
that page, exactly as with anonymous memory, so nothing written in one worker reaches another.

The views are ordinary C-contiguous, aligned, writeable arrays (numba sees the same types as
before, so no kernel is compiled again). The memory lives as long as some view does.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Sequence

import numpy as np

#: Offsets of the arrays in the shared file are multiples of this (a cache line; numpy and
#: numba want at most 16).
ALIGN_BYTES = 64


def _aligned(n: int) -> int:
    return -(-n // ALIGN_BYTES) * ALIGN_BYTES


def share(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Copies of ``arrays`` (same dtype, shape and values, C order) in one shared file mapping.

    Empty input gives an empty list; zero-size arrays are returned as new empty arrays.
    Raises ``OSError`` where the system has no ``memfd_create`` (callers keep the originals).
    """
    sources = [np.ascontiguousarray(a) for a in arrays]
    offsets: list[int] = []
    total = 0
    for a in sources:
        offsets.append(total)
        total += _aligned(a.nbytes)
    if total == 0:
        return [np.empty(a.shape, dtype=a.dtype) for a in sources]
    fd = os.memfd_create("stufenlos-shared-arrays", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, total)
        for a, offset in zip(sources, offsets, strict=True):
            if a.nbytes:
                data = a.data.cast("B")
                done = 0
                while done < a.nbytes:
                    done += os.pwrite(fd, data[done:], offset + done)
        mapped = mmap.mmap(fd, total, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)  # the mapping keeps the file
    return [
        np.frombuffer(mapped, dtype=a.dtype, count=a.size, offset=offset).reshape(a.shape)
        if a.size
        else np.empty(a.shape, dtype=a.dtype)
        for a, offset in zip(sources, offsets, strict=True)
    ]


def is_shared(array: np.ndarray) -> bool:
    """Whether ``array`` is a view made by :func:`share` (its memory is a file mapping)."""
    base = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return isinstance(base, mmap.mmap)
