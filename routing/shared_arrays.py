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

Arrays with the same dtype, shape and bytes are stored once, and their views alias one
another (the presets' metrics repeat many of their arrays: on Kaiserslautern 14 metrics hold
15 MB of weights, 7.6 MB of them distinct). Nothing writes into these arrays in place (a patch
or a penalty makes a new array), which is what makes the aliasing invisible; a process that did
write would see the change in every alias of the view it wrote to.

The views are ordinary C-contiguous, aligned, writeable arrays (numba sees the same types as
before, so no kernel is compiled again). The memory lives as long as some view does.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Sequence

import numpy as np

#: Offsets of the arrays in the shared file are multiples of this (a cache line; numpy and
#: numba want at most 16).
ALIGN_BYTES = 64


def _aligned(n: int) -> int:
    return -(-n // ALIGN_BYTES) * ALIGN_BYTES


def _bytes(a: np.ndarray) -> np.ndarray:
    """The bytes of the C-contiguous ``a``, as a flat uint8 view."""
    return a.reshape(-1).view(np.uint8)


def _content_key(a: np.ndarray) -> tuple[str, tuple[int, ...], bytes]:
    """What makes two arrays interchangeable: dtype, shape and a digest of their bytes."""
    return a.dtype.str, a.shape, hashlib.blake2b(_bytes(a).data, digest_size=16).digest()


def share(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Copies of ``arrays`` (same dtype, shape and values, C order) in one shared file mapping;
    equal arrays (dtype, shape and every byte) become views of one copy.

    Empty input gives an empty list; zero-size arrays are returned as new empty arrays.
    Raises ``OSError`` where the system has no ``memfd_create`` (callers keep the originals).
    """
    sources = [np.ascontiguousarray(a) for a in arrays]
    offsets: list[int] = []
    writes: list[int] = []  # the indices whose bytes go into the file (the first of equals)
    stored: dict[tuple[str, tuple[int, ...], bytes], int] = {}  # content -> its index
    total = 0
    for i, a in enumerate(sources):
        if a.nbytes:
            first = stored.setdefault(_content_key(a), i)
            if first != i and np.array_equal(_bytes(sources[first]), _bytes(a)):
                offsets.append(offsets[first])  # stored already: a view of the same bytes
                continue
            writes.append(i)
        offsets.append(total)
        total += _aligned(a.nbytes)
    if total == 0:
        return [np.empty(a.shape, dtype=a.dtype) for a in sources]
    fd = os.memfd_create("stufenlos-shared-arrays", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, total)
        for i in writes:
            data, offset = _bytes(sources[i]).data, offsets[i]
            done = 0
            while done < len(data):
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


def memory_owner(array: np.ndarray) -> object:
    """What holds ``array``'s memory: the array that owns it, or the buffer under a view (for
    :func:`share`'s views, the file mapping)."""
    base: object = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return base.obj if isinstance(base, memoryview) else base


def is_shared(array: np.ndarray) -> bool:
    """Whether ``array`` is a view made by :func:`share` (its memory is a file mapping)."""
    return isinstance(memory_owner(array), mmap.mmap)
