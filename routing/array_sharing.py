"""A new metric's per-edge arrays that equal those of a metric already held are that metric's.

Many metrics a server weighs differ from one it holds in few of their arrays, or in none: a
personal profile that moves the wheelchair's kerb limit between two kerb heights the map does not
have weighs every edge as the preset does (15 of 29 personal profiles of
``benchmarks/traffic_mix.py``, measured on Kaiserslautern), one that moves its incline limit
keeps the preset's head costs and violations at the heads; a preset in the dark differs from its
day metric in its unknowns only (no lit-way preference), and the allergy preset outside the
pollen season weighs as walk does. Each array is 44–174 kB on Kaiserslautern, a metric's six
0.65 MB; a worker caches a dozen metrics and more.

:func:`share_equal_arrays` replaces each array of new weights by an earlier metric's array of
the same field when their bits are equal: one copy in memory, the values unchanged. Sharing is
safe because no one writes a metric's array after it is made: a change of the weights
(:func:`routing.metric.patch_weights`) makes new arrays (:func:`graphs.arrays.with_rows`); the
next new metric is written into an evicted metric's arrays only where nothing else holds them
(:mod:`routing.recycling`), and a metric that shares an array holds it.
:func:`equal_landmarks` finds landmarks computed on the very same arrays the landmarks read
(:data:`routing.landmarks.LANDMARK_INPUTS`), so that a kept metric whose bound would be
computed again from equal inputs takes them instead (the same distances, no Dijkstra).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from accessibility_rules.weights import EdgeWeights
from graphs.arrays import array_fields
from routing.landmarks import LANDMARK_INPUTS, Landmarks

__all__ = ["equal_bits", "equal_landmarks", "share_equal_arrays"]


def equal_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` hold the same bits: equal dtype and shape, equal bytes (``NaN``
    equals a ``NaN`` of the same bits, ``-0.0`` differs from ``0.0``: what the kernels read
    is the same only then)."""
    if a is b:
        return True
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.itemsize in (1, 2, 4, 8) and a.flags.c_contiguous and b.flags.c_contiguous:
        as_int = np.dtype(f"u{a.dtype.itemsize}")
        return bool(np.array_equal(a.view(as_int), b.view(as_int)))
    return a.tobytes() == b.tobytes()


def share_equal_arrays(weights: EdgeWeights, others: Iterable[EdgeWeights]) -> EdgeWeights:
    """``weights`` with each array that has the bits of the same field of one of ``others``
    replaced by that array (the first found); ``weights`` itself when none is."""
    fields = array_fields(weights)
    found: dict[str, np.ndarray] = {}
    for other in others:
        for name, theirs in array_fields(other).items():
            mine = fields.get(name)
            if mine is not None and name not in found and equal_bits(mine, theirs):
                found[name] = theirs
        if len(found) == len(fields):
            break
    replaced = {n: a for n, a in found.items() if a is not fields[n]}
    return dataclasses.replace(weights, **replaced) if replaced else weights  # type: ignore[arg-type]


def equal_landmarks(
    weights: EdgeWeights, candidates: Iterable[tuple[EdgeWeights, Landmarks]], nodes: np.ndarray
) -> Landmarks | None:
    """Landmarks of ``candidates`` (weights and the landmarks computed on them, at ``nodes``)
    whose inputs are the very arrays of ``weights`` (:data:`LANDMARK_INPUTS`, the same objects,
    as :func:`share_equal_arrays` leaves them): the landmarks ``weights`` would get computed.
    None when no candidate has them."""
    for theirs, landmarks in candidates:
        if not np.array_equal(landmarks.nodes, nodes) or landmarks.scale != 1.0:
            continue
        if all(getattr(weights, n) is getattr(theirs, n) for n in LANDMARK_INPUTS):
            return landmarks
    return None
