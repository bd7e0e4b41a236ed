"""The edges' polylines and the nodes of one graph in a local metric frame, for obstacle matching.

Obstacle matching (:mod:`routing.obstacles.matching`) asks which pieces of way and which nodes
lie within a distance of a drawn geometry, or meet an area, and how far the nearest path is.
This index answers with exactly what shapely's ``STRtree`` over one ``LineString`` per piece and
one ``Point`` per node would answer, without holding those objects: the polylines are the
snapping index's projected points (:class:`~routing.snapping.SpatialIndex`), a piece's bounding
box decides which pieces can qualify, and shapely's predicate decides on ``LineString`` objects
made for those candidates only. Per-piece shapely objects and their trees held ~6 MB of C heap
in every serving process (built in the serving parent, counted in each forked worker's RSS);
the boxes and the nodes' coordinates hold 0.5 MB for Kaiserslautern. Matching happens on staff
writes, where the few candidate objects cost microseconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import shapely

from graphs.arrays import concat_ranges
from graphs.model import CompiledGraph
from routing.snapping import SpatialIndex

__all__ = ["EdgeGeometryIndex", "edge_geometry_index"]

#: Pieces whose exact distance :meth:`EdgeGeometryIndex.nearest_distance_m` measures at a time,
#: nearest bounding box first.
_NEAREST_CHUNK = 64


class EdgeGeometryIndex:
    """Every two-way piece of way once (``canonical_edges``, as in the snapping index) and every
    node, in the snapping index's frame (metres).

    The pieces' points are the snapping index's (``geom_x``, ``geom_y``: every polyline point
    projected once, in the file mapping the workers share after ``Router.share_memory``); this
    index adds each piece's bounding box and the nodes' coordinates. A piece is named by its
    *position* in ``canonical_edges``; the methods take and return positions, sorted and
    unique. Built once per graph by :func:`edge_geometry_index`.
    """

    def __init__(self, graph: CompiledGraph, index: SpatialIndex) -> None:
        self.graph = graph
        self.index = index
        self.frame = index.frame
        self.canonical_edges = np.asarray(index.canonical_edges, dtype=np.int64)
        self.geom_first = graph.geom_first
        first = graph.geom_first[self.canonical_edges]
        point_ids = concat_ranges(first, graph.geom_first[self.canonical_edges + 1])
        gx, gy = index.geom_x[point_ids], index.geom_y[point_ids]
        starts = np.concatenate(([0], np.cumsum(np.diff(graph.geom_first)[self.canonical_edges])))
        #: each piece's bounding box: rows ``x_min, y_min, x_max, y_max`` (each row contiguous)
        self.boxes = np.stack(
            (
                np.minimum.reduceat(gx, starts[:-1]),
                np.minimum.reduceat(gy, starts[:-1]),
                np.maximum.reduceat(gx, starts[:-1]),
                np.maximum.reduceat(gy, starts[:-1]),
            )
        )
        nx, ny = self.frame.project(graph.node["lon"], graph.node["lat"])
        #: the nodes' coordinates: rows ``x, y`` (each contiguous)
        self.node_rows = np.ascontiguousarray(np.stack((nx, ny)), dtype=np.float64)
        for arr in (self.boxes, self.node_rows):
            arr.setflags(write=False)

    @property
    def piece_count(self) -> int:
        """How many pieces the index holds."""
        return int(self.canonical_edges.size)

    @property
    def node_xy(self) -> np.ndarray:
        """The nodes' coordinates as ``(node_count, 2)`` (a new array)."""
        return np.column_stack((self.node_rows[0], self.node_rows[1]))

    def lines(self, positions: np.ndarray) -> np.ndarray:
        """The pieces at ``positions`` as shapely ``LineString`` objects, in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        if positions.size == 0:
            return np.empty(0, dtype=object)
        edges = self.canonical_edges[positions]
        starts, stops = self.geom_first[edges], self.geom_first[edges + 1]
        ids = concat_ranges(starts, stops)
        return shapely.linestrings(
            self.index.geom_x[ids],
            self.index.geom_y[ids],
            indices=np.repeat(np.arange(positions.size), stops - starts),
        )

    @staticmethod
    def _boxed(
        low: tuple[np.ndarray, np.ndarray],
        high: tuple[np.ndarray, np.ndarray],
        bounds: np.ndarray,
        distance_m: float,
    ) -> np.ndarray:
        """Positions of the boxes (corners ``low``, ``high``: x and y rows) that meet
        ``bounds`` grown by ``distance_m``."""
        x0, y0, x1, y1 = (float(v) for v in bounds)
        hit = low[0] <= x1 + distance_m
        hit &= high[0] >= x0 - distance_m
        hit &= low[1] <= y1 + distance_m
        hit &= high[1] >= y0 - distance_m
        return np.flatnonzero(hit)

    def _piece_boxed(self, bounds: np.ndarray, distance_m: float) -> np.ndarray:
        b = self.boxes
        return self._boxed((b[0], b[1]), (b[2], b[3]), bounds, distance_m)

    def _node_boxed(self, bounds: np.ndarray, distance_m: float) -> np.ndarray:
        xy = (self.node_rows[0], self.node_rows[1])
        return self._boxed(xy, xy, bounds, distance_m)

    def _node_points(self, nodes: np.ndarray) -> np.ndarray:
        return shapely.points(self.node_rows[0][nodes], self.node_rows[1][nodes])

    def pieces_within(self, geometries: np.ndarray, distance_m: float) -> np.ndarray:
        """Positions of the pieces within ``distance_m`` of any of ``geometries``."""
        return _within(self._piece_boxed, self.lines, geometries, distance_m)

    def pieces_meeting(self, area: shapely.Geometry) -> np.ndarray:
        """Positions of the pieces that intersect ``area``."""
        return _meeting(self._piece_boxed, self.lines, area)

    def nodes_within(self, geometries: np.ndarray, distance_m: float) -> np.ndarray:
        """The nodes within ``distance_m`` of any of ``geometries``."""
        return _within(self._node_boxed, self._node_points, geometries, distance_m)

    def nodes_meeting(self, area: shapely.Geometry) -> np.ndarray:
        """The nodes that intersect ``area``."""
        return _meeting(self._node_boxed, self._node_points, area)

    def nearest_distance_m(self, geometries: np.ndarray) -> float:
        """The distance from the nearest of ``geometries`` to the nearest piece (``inf`` with no
        geometry or no piece): pieces in the order of their bounding boxes' distance, a lower
        bound of theirs, measured until the next box lies farther than the nearest found."""
        best = np.inf
        boxes = self.boxes
        for geom in np.atleast_1d(geometries):
            x0, y0, x1, y1 = (float(v) for v in shapely.bounds(geom))
            dx = np.maximum(0.0, np.maximum(boxes[0] - x1, x0 - boxes[2]))
            dy = np.maximum(0.0, np.maximum(boxes[1] - y1, y0 - boxes[3]))
            low = np.hypot(dx, dy)
            order = np.argsort(low, kind="stable")
            for begin in range(0, order.size, _NEAREST_CHUNK):
                if low[order[begin]] > best:
                    break
                chunk = order[begin : begin + _NEAREST_CHUNK]
                best = min(best, float(np.min(shapely.distance(self.lines(chunk), geom))))
        return float(best)


#: The candidates whose boxes lie within a distance of given bounds (``xmin, ymin, xmax,
#: ymax``), and the shapes of candidates: a piece's polyline or a node's point.
_Boxed = Callable[[np.ndarray, float], np.ndarray]
_Shapes = Callable[[np.ndarray], np.ndarray]


def _within(
    boxed: _Boxed, shapes: _Shapes, geometries: np.ndarray, distance_m: float
) -> np.ndarray:
    """The candidates of ``boxed`` whose shapes lie within ``distance_m`` of any of
    ``geometries`` (boxes pick them, shapely decides)."""
    found = [np.zeros(0, dtype=np.int64)]
    for geom in np.atleast_1d(geometries):
        cand = boxed(shapely.bounds(geom), distance_m)
        if cand.size:
            found.append(cand[shapely.dwithin(shapes(cand), geom, distance_m)])
    return np.unique(np.concatenate(found))


def _meeting(boxed: _Boxed, shapes: _Shapes, area: shapely.Geometry) -> np.ndarray:
    """The candidates of ``boxed`` whose shapes intersect ``area``."""
    cand = boxed(shapely.bounds(area), 0.0)
    if cand.size == 0:
        return cand
    return cand[shapely.intersects(shapes(cand), area)]


_INDEX_CACHE: OrderedDict[int, EdgeGeometryIndex] = OrderedDict()
_INDEX_CACHE_SIZE = 4
_INDEX_LOCK = threading.Lock()


def edge_geometry_index(graph: CompiledGraph, index: SpatialIndex) -> EdgeGeometryIndex:
    """The :class:`EdgeGeometryIndex` of ``graph`` in ``index``'s frame, built once and cached.

    Obstacles never change geometry, so the cache stays valid while the overlay swaps attribute
    arrays; it is keyed by the graph's geometry array and the snapping index (identity).
    """
    key = id(index)
    with _INDEX_LOCK:
        cached = _INDEX_CACHE.get(key)
        if (
            cached is not None
            and cached.frame is index.frame
            and cached.geom_first is graph.geom_first
        ):
            _INDEX_CACHE.move_to_end(key)
            return cached
    built = EdgeGeometryIndex(graph, index)
    with _INDEX_LOCK:
        _INDEX_CACHE[key] = built
        _INDEX_CACHE.move_to_end(key)
        while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
    return built
