"""What lies near a walk: the staff's obstacles a route passes or avoids.

Whether a closure's circles or ends lie within a distance of a walk's points
(:func:`any_circle_within`, :func:`ends_near_walk`, :func:`any_end_within`), which obstacles a
walk's pieces meet (:func:`obstacles_met`), and whether every walk through a set of edges costs
more than a route found (:func:`walks_through_cost_more`, on the landmark bound): the answer's
``obstacles.passed`` and ``obstacles.avoided`` (:mod:`routing.obstacles`,
:mod:`api.obstacles.reference_bound`).
"""

from __future__ import annotations

import math

import numpy as np

from accessibility_rules.kernel_loading import kernel


@kernel
def any_circle_within(
    cx: np.ndarray,
    cy: np.ndarray,
    radius: np.ndarray,
    candidate: np.ndarray,
    ax: float,
    ay: float,
    bx: float,
    by: float,
    bound_m: float,
) -> bool:
    """Whether some ``candidate`` circle ``(cx, cy, radius)`` lies wholly inside the ellipse of
    foci ``a``, ``b`` whose points are at most ``bound_m`` from both summed: its centre's sum
    plus twice its radius within the bound (the triangle inequality). Stops at the first one:
    where obstacles are dense (thousands in a city) the first few circles decide, where
    numpy's test went over all of them (:meth:`api.obstacles.walkers.WalkerObstacles.any_near`,
    0.2 ms a route at 10,000)."""
    for i in range(cx.shape[0]):
        if candidate[i]:
            via = math.hypot(cx[i] - ax, cy[i] - ay) + math.hypot(cx[i] - bx, cy[i] - by)
            if via + 2.0 * radius[i] <= bound_m:
                return True
    return False


@kernel
def _end_within(x: float, y: float, px: np.ndarray, py: np.ndarray, bound_m: float) -> bool:
    """Whether ``(x, y)`` lies within ``bound_m`` summed from two consecutive points."""
    for j in range(px.shape[0] - 1):
        via = math.hypot(x - px[j], y - py[j]) + math.hypot(x - px[j + 1], y - py[j + 1])
        if via <= bound_m:
            return True
    return False


@kernel
def _ends_within(
    i: int,
    end_x: np.ndarray,
    end_y: np.ndarray,
    end_offsets: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bound_m: float,
) -> bool:
    """Whether an end of obstacle ``i`` (``end_offsets[i]:end_offsets[i + 1]``) lies within
    ``bound_m`` summed from two consecutive points (:func:`_end_within`); stops at the first."""
    for k in range(end_offsets[i], end_offsets[i + 1]):
        if _end_within(end_x[k], end_y[k], px, py, bound_m):
            return True
    return False


@kernel
def ends_near_walk(
    walked: np.ndarray,
    hit: np.ndarray,
    candidate: np.ndarray,
    edges: np.ndarray,
    edge_offsets: np.ndarray,
    end_x: np.ndarray,
    end_y: np.ndarray,
    end_offsets: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bound_m: float,
    out: np.ndarray,
) -> int:
    """Per ``candidate`` obstacle ``i`` (its edges ``edges[edge_offsets[i]:edge_offsets[i +
    1]]``, its ends likewise by ``end_offsets``): ``out[i]`` set when one of its edges is among
    ``walked`` and one of its ends lies within ``bound_m`` summed from two consecutive points
    ``(px, py)`` (the ellipse every way of at most ``bound_m`` between them stays in); how many.
    ``hit`` (a bool per directed edge, all False) is the caller's room to mark the walk in,
    left all False (:func:`routing.marks.edge_marks`; a binary search over the walk's sorted
    edges instead, no array the size of the graph, made the call 2.3 times as long with 3,000
    obstacles active, 2026-12-07); ``out`` the caller's, all False. The ends are tested of the
    obstacles on the walk only, as numpy's ``hypot`` sums them
    (:meth:`api.obstacles.walkers.WalkerObstacles.on_walk`: about 20 numpy calls a route before,
    58 µs with 300 obstacles active)."""
    for k in range(walked.shape[0]):
        hit[walked[k]] = True
    found = 0
    for i in range(candidate.shape[0]):
        if not candidate[i]:
            continue
        on = False
        for k in range(edge_offsets[i], edge_offsets[i + 1]):
            if hit[edges[k]]:
                on = True
                break
        if on and _ends_within(i, end_x, end_y, end_offsets, px, py, bound_m):
            out[i] = True
            found += 1
    for k in range(walked.shape[0]):
        hit[walked[k]] = False
    return found


@kernel
def any_end_within(
    candidate: np.ndarray,
    end_x: np.ndarray,
    end_y: np.ndarray,
    end_offsets: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    bound_m: float,
) -> bool:
    """Whether an end of some ``candidate`` obstacle lies within ``bound_m`` summed from two
    consecutive points ``(px, py)``; stops at the first (the test of every end, made when no
    obstacle's circle lies wholly inside an ellipse: :func:`any_circle_within`)."""
    for i in range(candidate.shape[0]):
        if candidate[i] and _ends_within(i, end_x, end_y, end_offsets, px, py, bound_m):
            return True
    return False


@kernel
def _landmark_gap(lm_dist: np.ndarray, lm_scale: float, x: int, y: int) -> float:
    """The landmark lower bound of a walk's cost between nodes ``x`` and ``y`` (either way; 0
    at the least): :func:`walks_through_cost_more`'s ``lb``."""
    k = lm_dist.shape[1] - 1  # (the last column: tau)
    if k <= 0:
        return 0.0
    best = 0.0
    for j in range(k):
        d = abs(lm_dist[x, j] - lm_dist[y, j])
        if d > best:  # (False for NaN)
            best = d
    return max(0.0, lm_scale * (best - (lm_dist[x, k] + lm_dist[y, k]) / 2.0))


@kernel
def walks_through_cost_more(
    edges: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    way_s: np.ndarray,
    head_s: np.ndarray,
    lm_dist: np.ndarray,
    lm_scale: float,
    starts: np.ndarray,
    stops: np.ndarray,
    limit_s: float,
) -> bool:
    """Whether every walk that leaves one of the nodes ``starts``, walks one of the directed
    ``edges`` whole and reaches one of the nodes ``stops`` costs more than ``limit_s`` by the
    landmark bound: for each edge ``e`` from ``u`` to ``v``, ``lb(a, u) + way_s[e] + head_s[e]
    + lb(v, b)`` at the least over ``a`` in ``starts`` and ``b`` in ``stops`` is above
    ``limit_s`` (strictly; no edges: True). Where ``v`` is one of ``stops`` the walk may end on
    it, and a last piece pays no transition at its head: ``head_s[e]`` is left out there.
    ``lb(x, y)`` is the bound :func:`search` steers by, ``lm_scale * (max_k |lm_dist[x, k] -
    lm_dist[y, k]| - (tau[x] + tau[y]) / 2)`` over the landmark columns (the last column is the
    transition bound ``tau``: :func:`routing.landmarks.compute_landmarks`), and at least 0; it
    bounds a walk from ``x`` to ``y`` whether or not the walk pays the transition at ``y``. A
    landmark that reaches neither node (NaN) is passed over. Stops at the first edge the bound
    does not rule out (:mod:`api.obstacles.reference_bound`)."""
    for i in range(edges.shape[0]):
        e = edges[i]
        u, v = tail[e], head[e]
        to_u = math.inf
        for a in range(starts.shape[0]):
            to_u = min(to_u, _landmark_gap(lm_dist, lm_scale, starts[a], u))
        from_v = math.inf
        along = way_s[e] + head_s[e]
        for b in range(stops.shape[0]):
            from_v = min(from_v, _landmark_gap(lm_dist, lm_scale, v, stops[b]))
            if stops[b] == v:  # it may end here: the head's transition unpaid
                along = way_s[e]
        if not to_u + along + from_v > limit_s:
            return False
    return True


@kernel
def obstacles_met(
    edges: np.ndarray,
    meets: np.ndarray,
    on: np.ndarray,
    met: np.ndarray,
    met_needs: np.ndarray,
    owned: np.ndarray,
    owner: np.ndarray,
    needs: np.ndarray,
    out: np.ndarray,
) -> int:
    """Which obstacles a walk over the directed ``edges`` meets: ``out[owner[r]]`` set for
    every row ``r`` whose edge ``owned[r]`` the walk has a piece on (``on``: a bool per edge,
    whether any row is on it) that meets the row's ``needs`` (bit ``needs[r]`` of
    ``met_needs[meets[k]]`` for the walk's piece ``k``; every piece wholly when ``meets`` is
    empty); how many rows met. ``met`` (a uint8 per edge, all 0) is the caller's room to mark
    what the walk meets of each edge, left all 0 (:func:`routing.marks.edge_marks`; a binary
    search of each row's edge among the few the walk meets instead took 3.7 times as long with
    3,000 obstacles active: every row is read, and rows are many), ``out`` (a bool per
    obstacle, all False) its answer
    (:meth:`routing.obstacles.overlay.ObstacleOverlay.obstacles_on`)."""
    whole = met_needs[met_needs.shape[0] - 1]
    any_on = False
    for k in range(edges.shape[0]):
        e = edges[k]
        if on[e]:
            bits = whole if meets.shape[0] == 0 else met_needs[meets[k] & (met_needs.shape[0] - 1)]
            met[e] |= bits
            any_on = True
    if not any_on:
        return 0
    found = 0
    for r in range(owned.shape[0]):
        bits = met[owned[r]]
        if bits != 0 and (bits >> needs[r]) & 1:
            out[owner[r]] = True
            found += 1
    for k in range(edges.shape[0]):
        met[edges[k]] = 0
    return found
