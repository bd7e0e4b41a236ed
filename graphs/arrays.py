"""Small vectorised array helpers shared by the graph, snapping, route and obstacle code."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

__all__ = [
    "RowsView", "array_fields", "concat_ranges", "differing", "field_names", "segment_sums",
    "with_rows",
]  # fmt: skip


def field_names(cls: type) -> tuple[str, ...]:
    """The field names of a dataclass, in order (cached: ``dataclasses.fields`` builds its tuple
    anew on every call, and a staff write reads the fields of a few records some ten times)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def array_fields(obj: Any) -> dict[str, np.ndarray]:
    """The array-valued fields of a dataclass instance, by name (in field order): what a
    per-edge record (weights, effective view, landmarks) holds as arrays."""
    return {
        name: v
        for name in field_names(type(obj))
        if isinstance(v := getattr(obj, name), np.ndarray)
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


#: numpy's pairwise summation adds up to this many values with eight running sums, longer
#: arrays by halves (``PW_BLOCKSIZE`` in its loops).
_PAIRWISE_BLOCK = 128


def segment_sums(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per segment ``values[starts[i] : starts[i] + sizes[i]]``, its sum as ``np.sum`` of it
    gives it, to the bit (0.0 for an empty one), for many segments at once.

    ``np.add.reduceat`` adds in another order (the first value, then the rest), so its sums
    differ in the last bits; one ``np.sum`` per segment costs a call each (10,000 obstacles'
    centres at a reload: ~50 ms). numpy adds fewer than eight values in order from 0.0, up to
    128 with eight running sums over strides of eight, combined in pairs, then the rest in
    order; segments of one length are added so here column by column, those over 128 values
    (rare) by ``np.sum`` each. Float64 ``values``; ``sizes >= 0``, in bounds: the caller's."""
    values = np.asarray(values, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    out = np.zeros(sizes.size, dtype=np.float64)
    for n in np.unique(sizes).tolist():
        rows = np.flatnonzero(sizes == n)
        if n == 0:
            continue
        if n > _PAIRWISE_BLOCK:
            for r in rows.tolist():
                out[r] = np.sum(values[starts[r] : starts[r] + n])
            continue
        block = values[starts[rows][:, None] + np.arange(n)]
        if n < 8:
            acc = np.zeros(rows.size, dtype=np.float64)
            for j in range(n):
                acc += block[:, j]
        else:
            main = n - n % 8
            r = block[:, :8].copy()
            for i in range(8, main, 8):
                r += block[:, i : i + 8]
            acc = ((r[:, 0] + r[:, 1]) + (r[:, 2] + r[:, 3])) + (
                (r[:, 4] + r[:, 5]) + (r[:, 6] + r[:, 7])
            )
            for i in range(main, n):
                acc += block[:, i]
        out[rows] = acc
    return out


def differing(pairs: Iterable[tuple[np.ndarray | None, np.ndarray | None]], n: int) -> np.ndarray:
    """Where any ``(old, new)`` pair of arrays of length ``n`` differs (a bool mask; NaN equals
    NaN; a table's row differs when any of its values does). A pair of one array twice is
    skipped unread; an old array that is missing or of another shape counts as differing
    everywhere."""
    changed = np.zeros(n, dtype=bool)
    for old, new in pairs:
        if new is None or old is new:
            continue
        if old is None or old.shape != new.shape:
            return np.ones(n, dtype=bool)
        differ = old != new
        if new.dtype.kind == "f":  # (a dtype's kind: issubdtype costs more than a few rows)
            differ &= ~(np.isnan(old) & np.isnan(new))
        changed |= differ.reshape(n, -1).any(axis=1) if differ.ndim > 1 else differ
    return changed


def with_rows(table: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``table`` with ``rows`` set to ``values``: the same array when they hold these values
    already, else a copy (the old table stays as it was: a reader holding it meanwhile sees no
    change; the copy is read-only, as what queries read must be). How a write patches the
    per-edge arrays that queries read without a lock."""
    old = table[rows]
    if (
        old.shape == values.shape
        and old.dtype == values.dtype
        and old.tobytes() == values.tobytes()
    ):
        return table  # the same bits (most rows a write recomputes keep their values)
    if differing([(old, values)], rows.size).any():
        table = table.copy()
        table[rows] = values
        table.setflags(write=False)
    return table


class RowsView(Mapping[str, np.ndarray]):
    """The rows ``rows`` of every array of a table of named arrays, taken when read (the rules
    that recompute some edges read a few of the table's arrays, not all)."""

    __slots__ = ("_rows", "_table")

    def __init__(self, table: Mapping[str, np.ndarray], rows: np.ndarray) -> None:
        self._table = table
        self._rows = rows

    def __getitem__(self, name: str) -> np.ndarray:
        return np.ascontiguousarray(self._table[name][self._rows])

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)
