"""Rounding to tenths as Python's ``round`` does, in kernels: ``x·10``, ``rint``, ``/10``
(:func:`round_fast`), and the values near a half left to Python's ``round``
(:data:`NEEDS_ROUNDING`; :mod:`routing.rounding` explains the bound :data:`NEAR_HALF`)."""

from __future__ import annotations

import numpy as np

from accessibility_rules.kernel_loading import kernel

#: A product ``x·10^digits`` closer than this to a half is rounded by Python's ``round``
#: (:mod:`routing.rounding` explains the bound).
NEAR_HALF = 1e-6
#: :func:`incline_runs` met an incline near a half: only Python's ``round`` rounds it exactly.
NEEDS_ROUNDING = -1


@kernel
def round_fast(x: float, scale: float) -> tuple[float, bool]:
    """``x`` rounded to ``1/scale`` as numpy rounds it (``rint(x·scale) / scale``) and whether
    the product lies near a half, where that may differ from Python's ``round``."""
    scaled = x * scale
    return np.rint(scaled) / scale, abs(abs(scaled - np.floor(scaled)) - 0.5) < NEAR_HALF


@kernel
def round_fill(values: np.ndarray, scale: float, out: np.ndarray, near: np.ndarray) -> int:
    """``rint(values·scale) / scale`` into ``out`` and the positions of the values whose product
    lies near a half into ``near`` (:func:`routing.rounding.round_like_python` rounds those
    with Python's ``round``); returns how many there are."""
    count = 0
    for i in range(values.size):
        out[i], close = round_fast(values[i], scale)
        if close:
            near[count] = i
            count += 1
    return count
