"""Snapping a point to the nearest usable edge (:mod:`routing.snapping`): the grid's candidates
read in one pass (:func:`snap_nearest`), each edge's end tested by the rule of where a walk may
start or end on it (:func:`usable_end`)."""

from __future__ import annotations

import numpy as np

from accessibility_rules.kernel_loading import kernel

#: ``end_rule`` of :func:`snap_nearest`: any edge; a walk's start; a walk's end.
END_ANY, END_AT_ORIGIN, END_AT_TARGET = 0, 1, 2


@kernel
def usable_end(
    e: int, violations: np.ndarray, at_head: np.ndarray, reverse_edge: np.ndarray, origin: bool
) -> bool:
    """Whether a walk can start (``origin``) or end on edge ``e`` (in either direction) without
    breaking a limit: no limit broken along ``e`` or its twin (the bits of ``violations`` that
    are not only at the head, ``at_head``); for a start, also a clean head on one side (a walk
    that ends on the edge comes from one end and never crosses the other; one that starts there
    may leave by the clean end). :meth:`routing.snapper.Snapper.usable_at_point` for one edge."""
    v = violations[e]
    h = at_head[e]
    rev = reverse_edge[e]
    twin = np.uint16(0)
    twin_h = np.uint16(0)
    if rev >= 0:
        twin = violations[rev]
        twin_h = at_head[rev]
    if (v & ~h) | (twin & ~twin_h):
        return False
    return not origin or h == 0 or (rev >= 0 and twin_h == 0)


@kernel
def snap_nearest(
    px: float,
    py: float,
    grid_x0: float,
    grid_y0: float,
    cell_m: float,
    grid_w: int,
    grid_h: int,
    cell_first: np.ndarray,
    cell_segments: np.ndarray,
    seg_x0: np.ndarray,
    seg_y0: np.ndarray,
    seg_x1: np.ndarray,
    seg_y1: np.ndarray,
    seg_edge: np.ndarray,
    edge_penalty_m: np.ndarray,
    max_dist_m: float,
    violations: np.ndarray,
    at_head: np.ndarray,
    reverse_edge: np.ndarray,
    end_rule: int,
) -> tuple[int, float, float]:
    """Best point on a segment within ``max_dist_m`` of ``(px, py)`` (metres).

    "Best" is the least distance plus ``edge_penalty_m`` of the segment's edge (a preference:
    0 for a preferred edge, more metres for a less preferred one, ``inf`` for one that must not
    be snapped to). Only the true distance counts against ``max_dist_m``. With ``end_rule``
    :data:`END_AT_ORIGIN` or :data:`END_AT_TARGET`, edges where a walk cannot start or end
    without breaking a limit (:func:`usable_end`, on the profile's ``violations`` and
    ``at_head`` bits and the edges' ``reverse_edge``) count as ``inf``; with :data:`END_ANY`
    those three arrays are not read.

    Segments are bucketed in a uniform grid (``cell_first``/``cell_segments`` CSR by cell id
    ``cy * grid_w + cx``); rings of cells are scanned outwards until no better segment can exist
    (the penalty is never negative, so a segment at least ``lower`` away ranks at least
    ``lower``). Returns ``(segment, t in [0, 1] along it, distance)`` or ``(-1, 0, inf)``.
    """
    cx = int(np.floor((px - grid_x0) / cell_m))
    cy = int(np.floor((py - grid_y0) / cell_m))
    best_seg = -1
    best_t = 0.0
    best_d = np.inf
    best_rank = np.inf
    max_d2 = max_dist_m * max_dist_m
    max_ring = int(np.ceil(max_dist_m / cell_m)) + 1
    for ring in range(max_ring + 1):
        # a segment in ring r is at least (r - 1) * cell_m away
        lower = (ring - 1) * cell_m
        if lower > 0 and lower > best_rank:
            break
        for gy in range(cy - ring, cy + ring + 1):
            if gy < 0 or gy >= grid_h:
                continue
            on_edge_row = gy == cy - ring or gy == cy + ring
            step = 1 if on_edge_row else 2 * ring
            gx = cx - ring
            while gx <= cx + ring:
                if 0 <= gx < grid_w:
                    cell = gy * grid_w + gx
                    for k in range(cell_first[cell], cell_first[cell + 1]):
                        s = cell_segments[k]
                        e = seg_edge[s]
                        pen = edge_penalty_m[e]
                        if not pen < np.inf:
                            continue
                        if end_rule != END_ANY and not usable_end(
                            e, violations, at_head, reverse_edge, end_rule == END_AT_ORIGIN
                        ):
                            continue
                        dx = seg_x1[s] - seg_x0[s]
                        dy = seg_y1[s] - seg_y0[s]
                        ll = dx * dx + dy * dy
                        t = 0.0
                        if ll > 0.0:
                            t = ((px - seg_x0[s]) * dx + (py - seg_y0[s]) * dy) / ll
                            t = min(1.0, max(0.0, t))
                        qx = seg_x0[s] + t * dx - px
                        qy = seg_y0[s] + t * dy - py
                        d2 = qx * qx + qy * qy
                        if d2 > max_d2:
                            continue
                        d = np.sqrt(d2)
                        if d + pen < best_rank:
                            best_rank = d + pen
                            best_d = d
                            best_seg = s
                            best_t = t
                if ring == 0:
                    break
                gx += step
    if best_seg < 0:
        return -1, 0.0, np.inf
    return best_seg, best_t, best_d
