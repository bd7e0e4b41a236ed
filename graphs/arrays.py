"""Small vectorised array helpers shared by the graph, snapping, route and obstacle code."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["array_fields", "concat_ranges"]


def array_fields(obj: Any) -> dict[str, np.ndarray]:
    """The array-valued fields of a dataclass instance, by name (in field order): what a
    per-edge record (weights, effective view, landmarks) holds as arrays."""
    return {
        f.name: v
        for f in dataclasses.fields(obj)
        if isinstance(v := getattr(obj, f.name), np.ndarray)
    }


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
