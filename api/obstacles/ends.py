"""Where many obstacles lie, at once: the ends of their matched edges in the router's frame, and
the circle around each obstacle's ends.

A reload keeps what it found for the versions it applied before and finds it for the new ones
(:meth:`api.obstacles.live.LiveObstacles._reload`): the ends of each one's matched edges and
nodes, projected, and the circle around them that the routes' ellipse tests rule most obstacles
out with (:mod:`api.obstacles.walkers`). Made obstacle by obstacle, with numpy calls on arrays
of a few ends each, that took ~150 ms of the reload of an import of 10,000 obstacles, which
every worker makes before its next route; here it is a few calls for all of them.

The circles are those numpy gives one obstacle at a time (its mean of the ends, the largest
distance to it): the same floats, so the ellipse tests answer as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphs.arrays import concat_ranges, segment_sums
from graphs.model import CompiledGraph
from graphs.runs import joined, offsets_of
from routing.obstacles.matching import ObstacleMatch
from routing.snapping import LocalFrame

__all__ = ["NO_CIRCLE", "PlacedEnds", "circles", "placed_ends"]

#: The circle of an obstacle without ends: radius −1, near no route.
NO_CIRCLE = (0.0, 0.0, -1.0)


@dataclass(frozen=True, slots=True)
class PlacedEnds:
    """The ends of many obstacles: obstacle ``i``'s are ``x[starts[i] : starts[i] + sizes[i]]``
    (and ``y``), in metres of the router's frame, and ``circles[i]`` is ``(x, y, radius)``
    around them."""

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    circles: list[tuple[float, float, float]]

    def of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Obstacle ``i``'s ends (views of the shared arrays)."""
        start, stop = int(self.starts[i]), int(self.starts[i] + self.sizes[i])
        return self.x[start:stop], self.y[start:stop]


def placed_ends(
    graph: CompiledGraph, frame: LocalFrame, matches: Sequence[ObstacleMatch]
) -> PlacedEnds:
    """Per match, the tails of its edges, their heads and its nodes, in that order (what one
    obstacle's ``np.concatenate((tail[edges], head[edges], nodes))`` gives), projected, with
    their circles."""
    edges, edge_offsets = joined([m.edges for m in matches], np.int64)
    nodes, node_offsets = joined([m.nodes for m in matches], np.int64)
    n_edges, n_nodes = np.diff(edge_offsets), np.diff(node_offsets)
    sizes = 2 * n_edges + n_nodes
    starts = offsets_of(sizes)[:-1]
    ends = np.empty(int(sizes.sum()), dtype=np.int64)
    ends[concat_ranges(starts, starts + n_edges)] = graph.tail[edges]
    ends[concat_ranges(starts + n_edges, starts + 2 * n_edges)] = graph.head[edges]
    ends[concat_ranges(starts + 2 * n_edges, starts + sizes)] = nodes
    x, y = frame.project(graph.node["lon"][ends], graph.node["lat"][ends])
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return PlacedEnds(x, y, starts, sizes, circles(x, y, starts, sizes))


def circles(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, sizes: np.ndarray
) -> list[tuple[float, float, float]]:
    """Per obstacle (its ends ``x``, ``y`` from ``starts`` on, ``sizes`` of them): the circle
    around them, ``(cx, cy, radius)`` as Python floats: numpy's mean of its ends for the
    centre, the largest distance from it for the radius (to the bit what ``x.mean()`` and
    ``np.hypot(x - cx, y - cy).max()`` of the one obstacle give); :data:`NO_CIRCLE` without
    ends."""
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    has = sizes > 0
    count = np.where(has, sizes, 1)
    cx = segment_sums(x, starts, sizes) / count
    cy = segment_sums(y, starts, sizes) / count
    radius = np.full(sizes.size, NO_CIRCLE[2])
    if has.any():
        at, n = starts[has], sizes[has]
        where = concat_ranges(at, at + n)  # every end, obstacle by obstacle
        owner = np.repeat(np.flatnonzero(has), n)
        distance = np.hypot(x[where] - cx[owner], y[where] - cy[owner])
        radius[has] = np.maximum.reduceat(distance, np.cumsum(n) - n)
    cx[~has], cy[~has] = NO_CIRCLE[0], NO_CIRCLE[1]
    return list(zip(cx.tolist(), cy.tolist(), radius.tolist(), strict=True))
