"""Python's ``round(x, digits)`` over a whole array at once, with exactly Python's results.

The route report rounds what it lists the way Python's ``round`` does: to the decimal nearest
the exact binary value. ``np.round`` multiplies by a power of ten first; that product is itself
rounded, so a value just below a half (0.15 is stored as 0.1499999999999999944…) can come out
on the other side: ``np.round(0.15, 1)`` is 0.2 where ``round(0.15, 1)`` is 0.1.

:func:`round_like_python` takes numpy's fast path where it cannot differ and Python's ``round``
for the few values near a half. Why it is exact: for ``digits`` ≥ 1 no double is exactly a half
(``(2k + 1) / (2·10^digits)`` is not a dyadic fraction), so Python's result is never a tie; the
product ``x·10^digits`` is off by at most one unit in the last place, so its nearest integer is
Python's wherever the product lies farther than :data:`_NEAR_HALF` from a half; and that integer
divided by ``10^digits`` is the double nearest the decimal, which is what Python returns.
"""

from __future__ import annotations

import numpy as np

__all__ = ["round_like_python"]

#: Products this close to a half are rounded by Python's ``round`` (far more than the
#: product's rounding error for any value a route reports, which stays below 10^9).
_NEAR_HALF = 1e-6


def round_like_python(values: np.ndarray, digits: int = 1) -> list[float]:
    """``[round(float(x), digits) for x in values]`` (NaN stays NaN, ``-0.0`` stays ``-0.0``),
    computed for most values by numpy. ``digits`` ≥ 1."""
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0**digits
    scaled = x * scale
    out = np.rint(scaled) / scale
    with np.errstate(invalid="ignore"):  # ±inf − ±inf is NaN: not near a half, kept as is
        near = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < _NEAR_HALF
    result: list[float] = out.tolist()
    for i in np.flatnonzero(near).tolist():
        result[i] = round(float(x[i]), digits)
    return result
