"""Route polylines: cutting an edge's polyline at fractions of its length, and assembling the
polyline of a walk (whole middle edges gathered at once, only the end pieces cut)."""

from __future__ import annotations

import itertools

import numpy as np

from graphs.geodesy import great_circle_m
from graphs.model import CompiledGraph
from routing._kernels.polyline import polyline_capacity, route_polyline_fill

__all__ = ["cut_polyline", "route_polyline"]


def cut_polyline(coords: np.ndarray, start: float, end: float) -> np.ndarray:
    """Part of a polyline between two fractions of its (great-circle) length.

    Plain Python: route ends are a few points long, where numpy's per-call cost dominates.
    """
    pts = coords.tolist()
    if start <= 0.0 and end >= 1.0:
        return coords
    seg = [great_circle_m(a, b) for a, b in itertools.pairwise(pts)]
    total = sum(seg)
    if total <= 0.0:
        return np.array([pts[0], pts[-1]])
    lo, hi = start * total, end * total
    out: list[list[float]] = []
    walked = 0.0
    for (a, b), length in zip(itertools.pairwise(pts), seg, strict=True):
        nxt = walked + length
        if not out and lo <= nxt:
            t = (lo - walked) / length if length > 0 else 0.0
            out.append([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
        if out and hi <= nxt:
            t = (hi - walked) / length if length > 0 else 0.0
            out.append([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
            break
        if out:
            out.append(b)
        walked = nxt
    if len(out) < 2:
        out = [pts[0], pts[-1]] if not out else [out[0], out[0]]
    return np.array(out)


def route_polyline(
    graph: CompiledGraph, edges: np.ndarray, start: float, end: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Route polyline (``[lon, lat]`` rows) and, per piece, the index of its first and last
    point in it.

    The walk starts at fraction ``start`` of the first edge, ends at fraction ``end`` of the
    last and walks every edge between whole. Consecutive pieces share their
    junction point, which is kept once; only the first and last piece are cut
    (:func:`cut_polyline`). One kernel call (:func:`routing._kernels.polyline.route_polyline_fill`).
    """
    edges = np.ascontiguousarray(edges, dtype=np.int64)
    k = len(edges)
    gf = graph.geom_first
    out = np.empty((polyline_capacity(gf, edges), 2), dtype=np.float64)
    first_pt = np.empty(k, dtype=np.int64)
    last_pt = np.empty(k, dtype=np.int64)
    rows = route_polyline_fill(
        gf, graph.geom_lon, graph.geom_lat, edges, float(start), float(end),
        out, first_pt, last_pt,
    )  # fmt: skip
    return out[:rows], first_pt, last_pt
