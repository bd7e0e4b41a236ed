"""Snap a coordinate to the nearest point on an edge (not the nearest node).

Edge geometry is projected once into a local flat frame in metres and its segments are bucketed
in a uniform grid; the query itself is the numba kernel :func:`routing._kernels.snap.snap_nearest`.
Each two-way piece of street is indexed once (the edge whose twin has a higher index); a snap
reports the position along that edge, and the engine starts from either direction. Which edges
are preferred is the caller's per-edge penalty in metres (:func:`snap_penalty_m`), not a rule
inside the kernel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accessibility_rules.weights import BITS_DTYPE
from graphs.arrays import concat_ranges
from graphs.geodesy import metres_per_degree
from graphs.model import CompiledGraph
from routing._kernels import snap as snap_kernels

GRID_CELL_M = 60.0
#: A snap this close to an end node of its edge is at the node (fraction exactly 0 or 1).
AT_NODE_M = 1.0e-3
#: A snap is also at an end node of its edge when that node is at most this many metres
#: farther from the point than the nearest point is, within :data:`NODE_SLIVER_MAX_M` of it.
#: A point beside a junction often lies nearest to a spot a few centimetres into one of the
#: ways there, less than a millimetre nearer than the junction itself: the walk would start or
#: end on a sliver of that way, and its steps or barrier would break the route (found by the
#: independent truth check: 2–5 cm of steps, a gate, bad smoothness).
NODE_SLACK_M = 0.01
NODE_SLIVER_MAX_M = 0.5

#: A way below ground (``level_offset < 0``: tunnel, underground platform or passage) is snapped
#: to only when it is this many metres nearer than every way at ground level or above: a point
#: in the street above a subway station stays in the street. A request can allow underground ways.
UNDERGROUND_SNAP_PENALTY_M = 100.0
#: A carriageway whose sidewalks are mapped as ways of their own is snapped to only when it is
#: this many metres nearer than any other way: a point on the road snaps to its sidewalk (mapped
#: typically 4–12 m from the road's centre line), for every profile alike.
CARRIAGEWAY_SNAP_PENALTY_M = 15.0


def snap_penalty_m(
    level_offset: np.ndarray,
    reverse_edge: np.ndarray,
    *,
    separate_sidewalks: np.ndarray | None = None,
    allow_underground: bool = False,
) -> np.ndarray:
    """Per-edge snapping preference in metres (see :meth:`SpatialIndex.snap`), the same for
    every profile (so no profile's end moves away from what stands between it and the place).

    A way below ground costs :data:`UNDERGROUND_SNAP_PENALTY_M` unless ``allow_underground``; a
    carriageway whose sidewalks are mapped as ways of their own (``separate_sidewalks``, bool
    per edge) costs :data:`CARRIAGEWAY_SNAP_PENALTY_M`: a place beside such a road is reached
    from its sidewalk. Read on either direction: the index holds one edge of each two-way piece.
    """

    def either(mask: np.ndarray) -> np.ndarray:
        return mask | ((reverse_edge >= 0) & mask[np.maximum(reverse_edge, 0)])

    below = either(np.asarray(level_offset) < 0) & (not allow_underground)
    pen = np.where(below, UNDERGROUND_SNAP_PENALTY_M, 0.0)
    if separate_sidewalks is not None:
        pen += np.where(
            either(np.asarray(separate_sidewalks, dtype=bool)), CARRIAGEWAY_SNAP_PENALTY_M, 0.0
        )
    return np.ascontiguousarray(pen, dtype=np.float64)


@dataclass(frozen=True, slots=True, eq=False)
class EndRule:
    """Where a walk may start (``origin``) or end without breaking a profile's limits: its
    ``violations`` and ``at_head`` bits (:class:`~accessibility_rules.weights.EdgeWeights`);
    :func:`routing._kernels.snap.usable_end` is the rule."""

    violations: np.ndarray
    at_head: np.ndarray
    origin: bool


#: The end-rule bits :meth:`SpatialIndex.snap` passes without a rule (of the kernel's types;
#: not read).
_NO_BITS = np.zeros(1, dtype=BITS_DTYPE)


@dataclass(frozen=True, slots=True)
class SnapPoint:
    """A point on an edge: ``fraction`` of the edge's length from its tail (0..1)."""

    edge: int
    fraction: float
    distance_m: float
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """Equirectangular projection around the graph's centre (metres)."""

    lon0: float
    lat0: float
    mx: float
    my: float

    def project(
        self, lon: np.ndarray | float, lat: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(lon, lat) in degrees → (x, y) in metres."""
        return (np.asarray(lon) - self.lon0) * self.mx, (np.asarray(lat) - self.lat0) * self.my

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        """:meth:`project` of one point, on Python floats (the same doubles without numpy's cost
        per scalar: a search projects its target, a snap its point)."""
        return (float(lon) - self.lon0) * self.mx, (float(lat) - self.lat0) * self.my

    def unproject(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) in metres → (lon, lat) in degrees."""
        return self.lon0 + x / self.mx, self.lat0 + y / self.my

    def distance_underestimate(self, lat_min: float, lat_max: float) -> float:
        """Factor ≤ 1 so that factor × frame distance ≤ true distance anywhere in the range."""
        far = max(abs(lat_min), abs(lat_max))
        return float(np.cos(np.radians(far)) / np.cos(np.radians(self.lat0))) * 0.999


class SpatialIndex:
    """Uniform grid over the segments of every edge's polyline."""

    def __init__(self, graph: CompiledGraph, *, cell_m: float = GRID_CELL_M) -> None:
        lat0 = float(np.mean(graph.node["lat"]))
        lon0 = float(np.mean(graph.node["lon"]))
        self.frame = LocalFrame(lon0, lat0, *metres_per_degree(lat0))
        self.graph = graph
        self.cell_m = cell_m
        self.reverse_edge = np.ascontiguousarray(graph.edge["reverse_edge"], dtype=np.int64)
        self._no_penalty = np.zeros(graph.edge_count, dtype=np.float64)
        m = graph.edge_count
        rev = graph.edge["reverse_edge"]
        canonical = np.flatnonzero((rev < 0) | (np.arange(m) < rev))
        self.canonical_edges = canonical
        gx, gy = self.frame.project(graph.geom_lon, graph.geom_lat)
        self.geom_x, self.geom_y = gx, gy
        first = graph.geom_first
        counts = np.diff(first)[canonical] - 1
        seg_edge = np.repeat(canonical, counts).astype(np.int32)
        starts = concat_ranges(first[canonical], first[canonical] + counts)
        self.seg_edge = seg_edge
        self.seg_x0, self.seg_y0 = gx[starts], gy[starts]
        self.seg_x1, self.seg_y1 = gx[starts + 1], gy[starts + 1]
        seg_len = np.hypot(self.seg_x1 - self.seg_x0, self.seg_y1 - self.seg_y0)
        # kept: a snap reads its segment's length here (the same double ``np.hypot`` of the
        # point's own differences gives, without a numpy call per snap)
        self.seg_len_m = seg_len
        # offset of each segment from the start of its edge, and each edge's length, in frame metres
        cum = np.cumsum(seg_len) - seg_len
        edge_start = np.repeat(
            cum[np.r_[0, np.cumsum(counts)[:-1]]] if len(counts) else cum, counts
        )
        self.seg_offset = cum - edge_start
        self.edge_frame_len = np.zeros(m)
        np.add.at(self.edge_frame_len, seg_edge, seg_len)
        self._build_grid()

    def _build_grid(self) -> None:
        x0 = float(min(self.seg_x0.min(), self.seg_x1.min())) - self.cell_m
        y0 = float(min(self.seg_y0.min(), self.seg_y1.min())) - self.cell_m
        x1 = float(max(self.seg_x0.max(), self.seg_x1.max())) + self.cell_m
        y1 = float(max(self.seg_y0.max(), self.seg_y1.max())) + self.cell_m
        w = int(np.ceil((x1 - x0) / self.cell_m))
        h = int(np.ceil((y1 - y0) / self.cell_m))
        cx0 = np.floor((np.minimum(self.seg_x0, self.seg_x1) - x0) / self.cell_m).astype(np.int64)
        cx1 = np.floor((np.maximum(self.seg_x0, self.seg_x1) - x0) / self.cell_m).astype(np.int64)
        cy0 = np.floor((np.minimum(self.seg_y0, self.seg_y1) - y0) / self.cell_m).astype(np.int64)
        cy1 = np.floor((np.maximum(self.seg_y0, self.seg_y1) - y0) / self.cell_m).astype(np.int64)
        cells: list[np.ndarray] = []
        segs: list[np.ndarray] = []
        for dx in range(int((cx1 - cx0).max()) + 1):
            for dy in range(int((cy1 - cy0).max()) + 1):
                ok = (cx0 + dx <= cx1) & (cy0 + dy <= cy1)
                idx = np.flatnonzero(ok)
                cells.append((cy0[idx] + dy) * w + cx0[idx] + dx)
                segs.append(idx)
        cell_ids = np.concatenate(cells)
        seg_ids = np.concatenate(segs)
        order = np.argsort(cell_ids, kind="stable")
        self.cell_segments = seg_ids[order].astype(np.int32)
        self.cell_first = np.zeros(w * h + 1, dtype=np.int64)
        np.cumsum(np.bincount(cell_ids, minlength=w * h), out=self.cell_first[1:])
        self.grid = (x0, y0, w, h)

    def snap(
        self,
        lon: float,
        lat: float,
        edge_penalty_m: np.ndarray | None,
        max_dist_m: float,
        ends: EndRule | None = None,
    ) -> SnapPoint | None:
        """The point within ``max_dist_m`` whose distance plus its edge's penalty is least.

        ``edge_penalty_m`` (float64 per edge, read at the indexed edge of each two-way piece):
        0 for a preferred edge, more metres for a less preferred one, ``inf`` to never snap to
        it; ``None`` ranks by distance alone. ``ends``: only edges where a walk can start (or
        end) without breaking the profile's limits (:class:`EndRule`, tested in the kernel for
        the few edges it looks at). Returns None when nothing is near enough.
        """
        if edge_penalty_m is None:
            edge_penalty_m = self._no_penalty
        if ends is None:
            bits, at_head, mode = _NO_BITS, _NO_BITS, snap_kernels.END_ANY
        else:
            bits, at_head = ends.violations, ends.at_head
            mode = snap_kernels.END_AT_ORIGIN if ends.origin else snap_kernels.END_AT_TARGET
        px, py = self.frame.point(lon, lat)
        x0, y0, w, h = self.grid
        seg, t, d = snap_kernels.snap_nearest(
            px, py, x0, y0, self.cell_m, w, h, self.cell_first, self.cell_segments,
            self.seg_x0, self.seg_y0, self.seg_x1, self.seg_y1, self.seg_edge,
            edge_penalty_m, max_dist_m, bits, at_head, self.reverse_edge, mode,
        )  # fmt: skip
        if seg < 0:
            return None
        e = int(self.seg_edge[seg])
        # Python floats from here (the same doubles: numpy scalars only cost more per operation)
        x0s, y0s = float(self.seg_x0[seg]), float(self.seg_y0[seg])
        dx, dy = float(self.seg_x1[seg]) - x0s, float(self.seg_y1[seg]) - y0s
        along = float(self.seg_offset[seg]) + t * float(self.seg_len_m[seg])
        total = float(self.edge_frame_len[e])
        fraction = min(1.0, max(0.0, along / total)) if total > 0 else 0.0
        if along <= AT_NODE_M:  # at an end node: exactly there, so no sliver of an edge is walked
            fraction = 0.0
        elif total - along <= AT_NODE_M:
            fraction = 1.0
        elif along <= NODE_SLIVER_MAX_M or total - along <= NODE_SLIVER_MAX_M:
            at_node = self._near_end_node(e, px, py, float(d), along, total)
            if at_node is not None:
                return at_node
        slon, slat = self.frame.unproject(x0s + t * dx, y0s + t * dy)
        return SnapPoint(edge=e, fraction=fraction, distance_m=float(d), lon=slon, lat=slat)

    def _near_end_node(
        self, e: int, px: float, py: float, d: float, along: float, total: float
    ) -> SnapPoint | None:
        """The snap at an end node of edge ``e`` (its position, its distance) when the nearest
        point ``along`` metres from the tail is a sliver away from it (:data:`NODE_SLACK_M`);
        None otherwise."""
        graph = self.graph
        for sliver, node, fraction in (
            (along, int(graph.tail[e]), 0.0),
            (total - along, int(graph.head[e]), 1.0),
        ):
            if sliver > NODE_SLIVER_MAX_M:
                continue
            lon, lat = float(graph.node["lon"][node]), float(graph.node["lat"][node])
            nx_, ny_ = self.frame.point(lon, lat)
            to_node = math.hypot(px - nx_, py - ny_)
            if to_node - d <= NODE_SLACK_M:
                return SnapPoint(edge=e, fraction=fraction, distance_m=to_node, lon=lon, lat=lat)
        return None
