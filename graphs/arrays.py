"""Small vectorised array helpers shared by the graph, snapping, route and obstacle code."""

from __future__ import annotations

import numpy as np

__all__ = ["concat_ranges"]


def concat_ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(starts[i], stops[i])`` for every ``i``, as one ``int64`` array.

    The CSR idiom (edges of some nodes, polyline points of some edges) without a Python loop:
    each element is its range's start plus its position inside the range. Empty ranges add
    nothing; ``stops[i] >= starts[i]`` is the caller's promise.
    """
    starts = np.asarray(starts, dtype=np.int64)
    counts = np.asarray(stops, dtype=np.int64) - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets
