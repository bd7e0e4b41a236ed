"""Per-item arrays kept joined: one array of every item's values, and where each item's run begins.

The live obstacles keep, per active obstacle, a few small arrays (its edges, nodes, ends, where
a walk meets it); every staff write makes every worker build them for the whole new list. With
thousands active, joining them anew (``np.concatenate`` of thousands of arrays, ~2 ms a column
at 10,000) took a good part of a write's reload, though a write changes one or two items. Here
a new list keeps the runs of the items it kept (by position) and joins only the new items'
arrays (:class:`Relayout`), and the runs of a few items are read by their offsets
(:func:`runs_of`) instead of a mask over every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from graphs.arrays import concat_ranges

__all__ = ["Relayout", "joined", "offsets_of", "owners_of", "runs_of"]


def offsets_of(counts: np.ndarray) -> np.ndarray:
    """Where each run of ``counts`` values begins, and the end of the last (``len + 1``)."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def joined(arrays: Sequence[np.ndarray], dtype: DTypeLike) -> tuple[np.ndarray, np.ndarray]:
    """``arrays`` one after the other as one array of ``dtype``, and their offsets."""
    counts = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    if not arrays:
        return np.zeros(0, dtype=dtype), offsets_of(counts)
    return np.concatenate(arrays).astype(dtype, copy=False), offsets_of(counts)


def owners_of(offsets: np.ndarray) -> np.ndarray:
    """Per value, the item whose run holds it."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


def runs_of(offsets: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the values of ``items`` (positions) are, run after run, and the item of each."""
    starts, stops = offsets[items], offsets[items + 1]
    return concat_ranges(starts, stops), np.repeat(items, stops - starts)


@dataclass(frozen=True, slots=True)
class Relayout:
    """The runs of a new list of items made from an old one's: the items at the new positions
    ``kept`` are the old list's at ``old`` (their values copied), those at ``fresh`` new ones
    (their values joined beforehand, with ``made_offsets``). ``offsets`` are the new list's.

    Kept items that follow each other in both lists are copied as one slice (``blocks``: new
    start, new end, old start, old end): a reload keeps thousands of obstacles in a few
    stretches between the one or two it changes, and copying those took a fancy index over
    every value (~1 ms a column at 10,000 obstacles) where a few slices take ~0.05."""

    offsets: np.ndarray
    blocks: list[tuple[int, int, int, int]]
    into_fresh: np.ndarray

    @classmethod
    def of(
        cls,
        offsets: np.ndarray,
        made_offsets: np.ndarray,
        kept: np.ndarray,
        old: np.ndarray,
        fresh: np.ndarray,
    ) -> Relayout:
        """The layout for ``kept`` (new positions) from ``old`` (their positions in the runs of
        ``offsets``) and ``fresh`` (new positions, in the order of ``made_offsets``' runs)."""
        counts = np.empty(kept.size + fresh.size, dtype=np.int64)
        counts[kept] = offsets[old + 1] - offsets[old]
        counts[fresh] = np.diff(made_offsets)
        new = offsets_of(counts)
        # stretches of kept items adjacent in both lists
        breaks = np.flatnonzero((np.diff(kept) != 1) | (np.diff(old) != 1)) + 1
        firsts = np.concatenate(([0], breaks)).astype(np.int64)
        lasts = np.concatenate((breaks - 1, [kept.size - 1])).astype(np.int64)
        if not kept.size:
            firsts = lasts = np.zeros(0, dtype=np.int64)
        blocks = list(
            zip(
                new[kept[firsts]].tolist(), new[kept[lasts] + 1].tolist(),
                offsets[old[firsts]].tolist(), offsets[old[lasts] + 1].tolist(),
                strict=True,
            )
        )  # fmt: skip
        return cls(offsets=new, blocks=blocks, into_fresh=concat_ranges(new[fresh], new[fresh + 1]))

    def join(self, values: np.ndarray, made: np.ndarray) -> np.ndarray:
        """The new list's values: the kept items' from ``values``, the fresh ones' ``made``."""
        out = np.empty(int(self.offsets[-1]), dtype=values.dtype)
        for new_start, new_end, old_start, old_end in self.blocks:
            out[new_start:new_end] = values[old_start:old_end]
        out[self.into_fresh] = made
        return out
