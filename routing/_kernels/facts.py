"""The facts along a route (:mod:`routing.facts`, :mod:`routing.conditions`): one pass over the
route's edges each. Their totals repeat numpy's pairwise summation
(:func:`~routing._kernels.sums.pairwise_sum`) over the same values in the same order, so each
equals the ``values[mask].sum()`` it replaced bit for bit; rounding to tenths repeats
:func:`routing.rounding.round_like_python`'s fast path and leaves the values near a half to
Python's ``round``.

The incline profile's JSON text (:func:`incline_json_fill`, for
:func:`routing.facts.incline_profile_json`) is written from a route's arrays as orjson writes the
same values, byte for byte, without a Python object per value. A number there is a double
nearest some tenth (a value rounded to one decimal): orjson (like ``repr``) writes the shortest
decimal that reads back as it, which is that tenth with its one decimal ("12.0", "-0.0"), as
long as it has fewer than 16 digits (from 10^16 on it switches to an exponent; a tenth at or
above :data:`JSON_TENTHS_MAX` is handed back).
"""

from __future__ import annotations

import math

import numpy as np

from accessibility_rules.kernel_loading import kernel
from routing._kernels.rounding import NEEDS_ROUNDING, round_fast
from routing._kernels.sums import pairwise_sum

#: A facts kernel met an edge outside the columns it reads (numpy would raise IndexError).
EDGE_OUT_OF_RANGE = -2


@kernel
def incline_runs(
    edges: np.ndarray, walked_m: np.ndarray, incline_percent: np.ndarray,
    incline_source: np.ndarray, rounded: np.ndarray, source_min: int, source_max: int,
    to_m: np.ndarray, percent: np.ndarray, source: np.ndarray,
) -> int:  # fmt: skip
    """The incline profile's stretches (:func:`routing.facts.incline_profile`): over the edges
    walked (``walked_m`` > 0), runs of the same incline rounded to tenths (NaN, unknown, equals
    NaN) and the same source code (``source_min`` … ``source_max``; any other code, and every
    unknown incline, is -1). Per run its end (a running sum of the metres walked, as
    ``np.cumsum`` adds them, not rounded; a run starts where the one before ends, the first at
    0), its rounded incline and its source code. ``rounded`` holds the walked edges' inclines
    already rounded, or nothing: then each is rounded here (:func:`round_fill`'s arithmetic)
    and :data:`NEEDS_ROUNDING` is returned at the first near a half. Returns the number of runs
    (:data:`EDGE_OUT_OF_RANGE` for an edge outside the columns)."""
    size = min(incline_percent.size, incline_source.size)
    n = 0
    kept = 0
    at_m = 0.0
    for i in range(edges.size):
        walked = walked_m[i]
        if not walked > 0.0:
            continue
        e = edges[i]
        if e < -size or e >= size:  # negative edges count from the end, as in numpy
            return EDGE_OUT_OF_RANGE
        if rounded.size:
            value = rounded[kept]
        else:
            value, close = round_fast(np.float64(incline_percent[e]), 10.0)
            if close:
                return NEEDS_ROUNDING
        kept += 1
        code = np.int64(incline_source[e]) if value == value else -1
        if code < source_min or code > source_max:
            code = -1
        end_m = at_m + walked
        last = n - 1
        if (
            n > 0
            and code == source[last]
            and (value == percent[last] or (value != value and percent[last] != percent[last]))
        ):
            to_m[last] = end_m
        else:
            to_m[n], percent[n], source[n] = end_m, value, code
            n += 1
        at_m = end_m
    return n


#: :func:`incline_json_fill` met a value it does not write (at or above
#: :data:`JSON_TENTHS_MAX` in magnitude, or not finite where a number is due).
JSON_OUT_OF_RANGE = -3
#: The largest magnitude (exclusive) of a tenth the JSON kernels write themselves.
JSON_TENTHS_MAX = 1e14
#: The most bytes one stretch of :func:`incline_json_fill` takes besides its source's name:
#: its keys and punctuation (51 bytes) and three numbers of at most 17 characters.
JSON_STRETCH_BYTES = 51 + 3 * 17
_JSON_FROM = np.frombuffer(b'{"from_m":', dtype=np.uint8)
_JSON_TO = np.frombuffer(b',"to_m":', dtype=np.uint8)
_JSON_PERCENT = np.frombuffer(b',"incline_percent":', dtype=np.uint8)
_JSON_SOURCE = np.frombuffer(b',"source":', dtype=np.uint8)
_JSON_NULL = np.frombuffer(b"null", dtype=np.uint8)


@kernel
def _json_put(text: np.ndarray, first: int, last: int, out: np.ndarray, at: int) -> int:
    """``text[first:last]`` written into ``out`` at ``at``; the position after it."""
    for i in range(first, last):
        out[at] = text[i]
        at += 1
    return at


@kernel
def _json_tenths(value: float, out: np.ndarray, at: int) -> int:
    """The double ``value``, nearest a tenth, as orjson writes it (the sign of a zero kept);
    the position after it, or -1 when ``value`` is not finite or not below
    :data:`JSON_TENTHS_MAX` in magnitude."""
    if not abs(value) < JSON_TENTHS_MAX:
        return -1
    if value < 0.0 or (value == 0.0 and math.copysign(1.0, value) < 0.0):
        out[at] = 45  # "-"
        at += 1
    tenths = np.int64(np.rint(abs(value) * 10.0))  # exact: |value|·10 is within an ulp of it
    whole = tenths // 10
    digits = 1
    scale = np.int64(1)
    while whole // scale >= 10:
        scale *= 10
        digits += 1
    for _ in range(digits):
        out[at] = 48 + (whole // scale) % 10
        at += 1
        scale //= 10
    out[at] = 46  # "."
    out[at + 1] = 48 + tenths % 10
    return at + 2


@kernel
def incline_json_fill(
    to_m: np.ndarray, percent: np.ndarray, source: np.ndarray, n: int, names: np.ndarray,
    name_first: np.ndarray, out: np.ndarray,
) -> int:  # fmt: skip
    """The JSON array of the incline profile's ``n`` stretches found by :func:`incline_runs`
    (``to_m``, ``percent``, ``source``), as orjson writes the list of
    :func:`routing.facts.incline_profile`: ``{"from_m", "to_m", "incline_percent", "source"}``
    each, the ends rounded to tenths here (:func:`round_fill`'s arithmetic; a stretch starts
    at the rounded end before it, the first at 0.0), an unknown (NaN) incline ``null``, the
    source code ``c`` written as ``names[name_first[c + 1]:name_first[c + 2]]`` (its JSON
    value; code -1 is index 0). ``out`` holds at least ``2 + n·(JSON_STRETCH_BYTES + the
    longest name)`` bytes. Returns the bytes written, :data:`NEEDS_ROUNDING` at an end near a
    half (Python's ``round`` decides it) or :data:`JSON_OUT_OF_RANGE`."""
    at = 0
    out[at] = 91  # "["
    at += 1
    start = 0.0
    for i in range(n):
        end, close = round_fast(to_m[i], 10.0)
        if close:
            return NEEDS_ROUNDING
        if i:
            out[at] = 44  # ","
            at += 1
        at = _json_put(_JSON_FROM, 0, _JSON_FROM.size, out, at)
        at = _json_tenths(start, out, at)
        if at < 0:
            return JSON_OUT_OF_RANGE
        at = _json_put(_JSON_TO, 0, _JSON_TO.size, out, at)
        at = _json_tenths(end, out, at)
        if at < 0:
            return JSON_OUT_OF_RANGE
        at = _json_put(_JSON_PERCENT, 0, _JSON_PERCENT.size, out, at)
        value = percent[i]
        if value != value:
            at = _json_put(_JSON_NULL, 0, _JSON_NULL.size, out, at)
        else:
            at = _json_tenths(value, out, at)
            if at < 0:
                return JSON_OUT_OF_RANGE
        at = _json_put(_JSON_SOURCE, 0, _JSON_SOURCE.size, out, at)
        code = source[i] + 1
        at = _json_put(names, name_first[code], name_first[code + 1], out, at)
        out[at] = 125  # "}"
        at += 1
        start = end
    out[at] = 93  # "]"
    return at + 1


#: Rows of :func:`green_light_sums`' ``sums`` (and of its ``scratch``: the values summed there).
SUM_GREEN_KNOWN_M, SUM_GREEN_M, SUM_GREEN_UNKNOWN_M = 0, 1, 2
SUM_LIT_M, SUM_UNLIT_M, SUM_LIGHT_UNKNOWN_M = 3, 4, 5
SUM_ROWS = 6


@kernel
def green_light_sums(
    edges: np.ndarray, walked_m: np.ndarray, size: int, green_share: np.ndarray,
    park_id: np.ndarray, lit: np.ndarray, yes: int, no: int, scratch: np.ndarray,
    sums: np.ndarray, parks: np.ndarray, park_m: np.ndarray,
) -> int:  # fmt: skip
    """A route's green and light (:mod:`routing.conditions`) in one pass over its edges.

    Into ``sums`` (rows ``SUM_*``): the metres walked where ``green_share`` is known, those
    metres times the share, the metres where it is not (NaN); the metres walked where ``lit``
    is ``yes``, where it is ``no`` and where it is anything else (unknown). Each is summed as
    numpy sums the values in walking order (:func:`pairwise_sum`), in ``scratch`` (``SUM_ROWS``
    rows of at least the route's length). Into ``parks`` the ``park_id`` of each park met (≥ 0), in the
    order met, and into ``park_m`` the metres walked in it (added in walking order). An empty
    column is not read: green is then unknown everywhere, no park is met, and the light sums
    are 0 (a graph built without the column, or a caller that wants only the other facts).
    Returns the number of parks (:data:`EDGE_OUT_OF_RANGE` when an edge lies outside ``size``)."""
    counts = np.zeros(SUM_ROWS, dtype=np.int64)
    n_parks = 0
    for i in range(edges.size):
        e = edges[i]
        if e < -size or e >= size:  # negative edges count from the end, as in numpy
            return EDGE_OUT_OF_RANGE
        walked = walked_m[i]
        share = np.float64(green_share[e]) if green_share.size else np.nan
        if share == share:
            scratch[SUM_GREEN_KNOWN_M, counts[SUM_GREEN_KNOWN_M]] = walked
            scratch[SUM_GREEN_M, counts[SUM_GREEN_M]] = share * walked
            counts[SUM_GREEN_KNOWN_M] += 1
            counts[SUM_GREEN_M] += 1
        else:
            scratch[SUM_GREEN_UNKNOWN_M, counts[SUM_GREEN_UNKNOWN_M]] = walked
            counts[SUM_GREEN_UNKNOWN_M] += 1
        if lit.size:
            value = lit[e]
            row = SUM_LIT_M if value == yes else SUM_UNLIT_M if value == no else SUM_LIGHT_UNKNOWN_M
            scratch[row, counts[row]] = walked
            counts[row] += 1
        if park_id.size and park_id[e] >= 0:
            pid = np.int64(park_id[e])
            j = 0
            while j < n_parks and parks[j] != pid:
                j += 1
            if j == n_parks:
                parks[j] = pid
                park_m[j] = 0.0
                n_parks += 1
            park_m[j] += walked
    for row in range(SUM_ROWS):
        sums[row] = pairwise_sum(scratch[row], counts[row])
    return n_parks
