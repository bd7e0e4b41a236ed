"""A route's line: its polyline cut from the edges' geometry at the snapped ends
(:func:`route_polyline_fill`, sized by :func:`polyline_capacity`) and the turns at its
junctions (:func:`turn_deltas`), on the sphere as :mod:`graphs.geodesy` measures it. Floating
point repeats the numpy code it replaced operation by operation (the figures of a response stay
byte for byte)."""

from __future__ import annotations

import math

import numpy as np

from accessibility_rules.kernel_loading import kernel

#: Mean earth radius (metres), as :data:`graphs.geodesy.EARTH_RADIUS_M` (no import: kernels
#: stay free of the layers above numpy).
_EARTH_RADIUS_M = 6_371_008.8


@kernel
def _great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """:func:`graphs.geodesy.great_circle_m`, the same operations in the same order."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2.0 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@kernel
def _flat_bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """:func:`graphs.geodesy.flat_bearing_deg`, the same operations in the same order."""
    dx = (lon2 - lon1) * math.cos(math.radians(lat1))
    dy = lat2 - lat1
    return math.degrees(math.atan2(dx, dy)) % 360.0


@kernel
def _point_along(
    lon: np.ndarray, lat: np.ndarray, i: int, step: int, base_m: float
) -> tuple[float, float]:
    """The point ``base_m`` from point ``i`` along the polyline (``step`` ±1), interpolated on
    the piece it falls in (great-circle metres, then linear in degrees), or the line's end
    when it is shorter. Point ``i`` itself when that side has no length."""
    n = len(lon)
    walked = 0.0
    j = i
    while 0 <= j + step < n:
        k = j + step
        d = _great_circle_m(lon[j], lat[j], lon[k], lat[k])
        if d > 0.0 and walked + d >= base_m:
            t = (base_m - walked) / d
            return lon[j] + t * (lon[k] - lon[j]), lat[j] + t * (lat[k] - lat[j])
        walked += d
        j = k
    return lon[j], lat[j]


@kernel
def turn_deltas(
    lon: np.ndarray, lat: np.ndarray, at: np.ndarray, back_m: np.ndarray, ahead_m: np.ndarray,
    out: np.ndarray,
) -> None:  # fmt: skip
    """For each polyline point ``at[q]``: the change of bearing (degrees, not normalised) between
    the way in and the way out, the one taken over ``back_m[q]`` of the line before the point
    (to the point that far back, :func:`_point_along`), the other over ``ahead_m[q]`` after it;
    NaN where either side has no length (a route's end, or points in one place).

    The instructions' turns: one call per route instead of a Python walk per junction."""
    for q in range(len(at)):
        i = at[q]
        ax, ay = _point_along(lon, lat, i, -1, back_m[q])
        cx, cy = _point_along(lon, lat, i, 1, ahead_m[q])
        if (ax == lon[i] and ay == lat[i]) or (cx == lon[i] and cy == lat[i]):
            out[q] = np.nan
            continue
        out[q] = _flat_bearing_deg(lon[i], lat[i], cx, cy) - _flat_bearing_deg(
            ax, ay, lon[i], lat[i]
        )


@kernel
def polyline_capacity(geom_first: np.ndarray, edges: np.ndarray) -> int:
    """Points of the edges' polylines together: room enough for :func:`route_polyline_fill`."""
    total = 0
    for e in edges:
        total += geom_first[e + 1] - geom_first[e]
    return total


@kernel
def _cut_into(
    lon: np.ndarray, lat: np.ndarray, a: int, b: int, start: float, end: float,
    out: np.ndarray, pos: int,
) -> int:  # fmt: skip
    """Write the part of polyline points ``a .. b-1`` between fractions ``start`` and ``end`` of
    its great-circle length into ``out`` from row ``pos`` (:func:`routing.geometry.cut_polyline`,
    the same operations in the same order); returns the next free row."""
    if start <= 0.0 and end >= 1.0:
        for p in range(a, b):
            out[pos, 0], out[pos, 1] = lon[p], lat[p]
            pos += 1
        return pos
    total = 0.0
    for p in range(a, b - 1):
        total += _great_circle_m(lon[p], lat[p], lon[p + 1], lat[p + 1])
    if total <= 0.0:
        out[pos, 0], out[pos, 1] = lon[a], lat[a]
        out[pos + 1, 0], out[pos + 1, 1] = lon[b - 1], lat[b - 1]
        return pos + 2
    lo, hi = start * total, end * total
    begin = pos
    walked = 0.0
    for p in range(a, b - 1):
        length = _great_circle_m(lon[p], lat[p], lon[p + 1], lat[p + 1])
        nxt = walked + length
        if pos == begin and lo <= nxt:
            t = (lo - walked) / length if length > 0 else 0.0
            out[pos, 0] = lon[p] + t * (lon[p + 1] - lon[p])
            out[pos, 1] = lat[p] + t * (lat[p + 1] - lat[p])
            pos += 1
        if pos > begin and hi <= nxt:
            t = (hi - walked) / length if length > 0 else 0.0
            out[pos, 0] = lon[p] + t * (lon[p + 1] - lon[p])
            out[pos, 1] = lat[p] + t * (lat[p + 1] - lat[p])
            pos += 1
            break
        if pos > begin:
            out[pos, 0], out[pos, 1] = lon[p + 1], lat[p + 1]
            pos += 1
        walked = nxt
    if pos == begin:
        out[pos, 0], out[pos, 1] = lon[a], lat[a]
        out[pos + 1, 0], out[pos + 1, 1] = lon[b - 1], lat[b - 1]
        pos += 2
    elif pos == begin + 1:
        out[pos, 0], out[pos, 1] = out[begin, 0], out[begin, 1]
        pos += 1
    return pos


@kernel
def route_polyline_fill(
    geom_first: np.ndarray, lon: np.ndarray, lat: np.ndarray, edges: np.ndarray,
    start: float, end: float, out: np.ndarray, first_pt: np.ndarray, last_pt: np.ndarray,
) -> int:  # fmt: skip
    """The polyline of a walk over ``edges`` from fraction ``start`` of the first to ``end`` of
    the last, into ``out`` (``(polyline_capacity, 2)`` rows of lon, lat); per piece the row of
    its first and last point into ``first_pt``/``last_pt``. Consecutive pieces share their
    junction point, kept once; only the first and the last piece are cut. Returns the rows
    written (:func:`routing.geometry.route_polyline`)."""
    k = len(edges)
    e = edges[0]
    pos = _cut_into(
        lon, lat, geom_first[e], geom_first[e + 1], start, end if k == 1 else 1.0, out, 0
    )
    first_pt[0], last_pt[0] = 0, pos - 1
    if k == 1:
        return pos
    for i in range(1, k - 1):
        e = edges[i]
        for p in range(geom_first[e] + 1, geom_first[e + 1]):
            out[pos, 0], out[pos, 1] = lon[p], lat[p]
            pos += 1
        first_pt[i], last_pt[i] = last_pt[i - 1], pos - 1
    e = edges[k - 1]
    mark = pos
    pos = _cut_into(lon, lat, geom_first[e], geom_first[e + 1], 0.0, end, out, pos)
    for p in range(mark + 1, pos):  # without its first point (the junction)
        out[p - 1, 0], out[p - 1, 1] = out[p, 0], out[p, 1]
    pos -= 1
    first_pt[k - 1], last_pt[k - 1] = last_pt[k - 2], pos - 1
    return pos
