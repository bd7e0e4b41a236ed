"""Python's ``round(x, digits)`` over a whole array at once, with exactly Python's results.

The route report rounds what it lists the way Python's ``round`` does: to the decimal nearest
the exact binary value. ``np.round`` multiplies by a power of ten first; that product is itself
rounded, so a value just below a half (0.15 is stored as 0.1499999999999999944…) can come out
on the other side: ``np.round(0.15, 1)`` is 0.2 where ``round(0.15, 1)`` is 0.1.

:func:`round_like_python` takes numpy's fast path where it cannot differ and Python's ``round``
for the few values near a half. Why it is exact: the product ``x·10^digits`` is off by at most
one unit in the last place, so its nearest integer is Python's wherever the product lies farther
than :data:`~routing._kernels.rounding.NEAR_HALF` from a half (far more than that rounding error for
any value a route reports, which stays below 10^9); and that integer divided by ``10^digits`` is the
double nearest the decimal, which is what Python returns. A value exactly halfway between two
decimals (0.25 at one digit: Python rounds such a tie to even) has a product of exactly a half,
so it is among the values near a half that Python's ``round`` decides.

:func:`round_as_numpy` is ``np.round`` of one float without numpy's per-call cost: what the
route report gives where it has always rounded as numpy does.

:func:`round_float` is ``round(x, digits)`` of one Python float by the same argument, in plain
Python: Python's own ``round`` with digits formats the value as decimal text and parses it back
(``_Py_dg_dtoa``, ``PyOS_snprintf``, ``_Py_dg_strtod``: some two thousand instructions), and a
route answer rounds some sixty distances and places that way.

The fast path is one kernel pass (:func:`routing._kernels.rounding.round_fill`: a route's few dozen
values cost a microsecond instead of a dozen numpy calls).
"""

from __future__ import annotations

import math

import numpy as np

from routing._kernels.rounding import NEAR_HALF, round_fill

__all__ = ["round_as_numpy", "round_float", "round_like_python"]


def round_like_python(values: np.ndarray, digits: int = 1) -> list[float]:
    """``[round(float(x), digits) for x in values]`` (NaN stays NaN, ``-0.0`` stays ``-0.0``),
    computed for most values by the kernel. ``values``: one dimension; ``digits`` ≥ 1."""
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    x = np.ascontiguousarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"values must have one dimension, got {x.ndim}")
    out = np.empty(x.size)
    near = np.empty(x.size, dtype=np.int64)
    count = round_fill(x, 10.0**digits, out, near)
    result: list[float] = out.tolist()
    for i in near[:count].tolist():
        result[i] = round(float(x[i]), digits)
    return result


#: ``10 ** digits`` for :func:`round_float` and :func:`round_as_numpy`.
_DECIMAL_SCALES = (1.0, 10.0, 100.0, 1000.0)
#: The fractional parts of a product ``x·10^digits`` that :func:`round_float` leaves to Python's
#: ``round``: within :data:`~routing._kernels.rounding.NEAR_HALF` of a half.
_NEAR_HALF_LOW, _NEAR_HALF_HIGH = 0.5 - NEAR_HALF, 0.5 + NEAR_HALF
#: Products at least this large (and NaN, ±inf) go to Python's ``round``: below it a product's
#: own rounding error (half a unit in its last place, < 6e-8) is far below NEAR_HALF.
_FAST_PRODUCT_LIMIT = 1e9


def round_float(x: float, digits: int = 1) -> float:
    """``round(x, digits)`` of a Python float, the same value (the same double, the same sign of
    a zero, NaN and ±inf as they are), without Python's decimal text round trip for most
    values (see the module doc for why it is exact). ``digits`` 0 to 3. Give it a ``float``:
    a numpy float's own ``round`` rounds as numpy does (:func:`round_as_numpy`)."""
    scale = _DECIMAL_SCALES[digits]
    y = x * scale
    if -_FAST_PRODUCT_LIMIT < y < _FAST_PRODUCT_LIMIT:  # false for NaN and ±inf
        k = math.floor(y)  # an int, exact
        part = y - k  # exact, but for -1 < y < 0 (then off by far less than NEAR_HALF)
        if part > _NEAR_HALF_HIGH:
            k += 1
        elif part >= _NEAR_HALF_LOW:  # near a half, or on it: Python's round decides
            return round(x, digits)
        # k / scale: the double nearest the decimal (one correctly rounded division of exact
        # operands), as Python's round returns; a zero keeps the sign of x (round(-0.04, 1))
        return k / scale if k else x * 0.0
    return round(x, digits)


def round_as_numpy(x: float, digits: int) -> float:
    """``float(np.round(x, digits))`` for one float, without numpy's per-call cost (route
    reports round a few such values each). ``np.round`` multiplies by ``10 ** digits``, rounds
    half to even (``np.rint``) and divides (the module doc on how that differs from Python's
    ``round(x, digits)``); so does this, keeping the sign of a zero (``-0.04`` gives
    ``-0.0``). NaN and ±inf stay as they are. ``digits`` 0 to 3."""
    scale = _DECIMAL_SCALES[digits]
    y = x * scale
    if not math.isfinite(y):
        return y / scale
    # round(): half to even, an int (exact: y is a double); copysign keeps rint's sign of zero
    return math.copysign(round(y), y) / scale
