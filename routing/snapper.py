"""A request's points on the network: the area's O(1) test, then the nearest point of a path.

One :class:`Snapper` per router. It decides "out of the area" before any search (the area's box
widened by the maximum snap distance), snaps within that distance only (a bounded search: no
retries with a wider radius), and says whether a profile can start or end a walk at the point
snapped to. Snapping is the same for every profile and every state of the staff's obstacles
(the geometry never changes), so each thread remembers its latest snaps.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator

import numpy as np

from accessibility_rules.attributes import Sidewalk
from accessibility_rules.weights import EdgeWeights
from graphs.geodesy import great_circle_m
from graphs.model import CompiledGraph
from routing._kernels.snap import usable_end
from routing.errors import OutOfAreaError
from routing.metric import Metric, weights_of
from routing.query import LatLon, check_latlon
from routing.snapping import EndRule, SnapPoint, SpatialIndex, snap_penalty_m

__all__ = ["SNAP_MEMO_SIZE", "AreaBox", "Snapper"]

#: Snaps each thread remembers (the latest; the place asked for, snapped the same for every
#: profile and every state of the obstacles: the geometry never changes): a route with staff
#: obstacles active snaps its points again for the searches on the map without them
#: (``obstacles.avoided``), 2.9 more snaps an answer, ~14 µs each.
SNAP_MEMO_SIZE = 8


@dataclasses.dataclass(frozen=True, slots=True)
class AreaBox:
    """The bounding box of every path of a graph (degrees): the O(1) out-of-area test.

    A point farther than the maximum snap distance from the box is farther than that from
    every path, so it is out of the area without any search (:meth:`Snapper.snap`).
    """

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    @classmethod
    def of(cls, graph: CompiledGraph) -> AreaBox:
        """The box of the graph's edge geometry (every point a snap can reach)."""
        lat, lon = graph.geom_lat, graph.geom_lon
        return cls(float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max()))

    def distance_m(self, lat: float, lon: float) -> float:
        """Great-circle metres from ``(lat, lon)`` to the nearest point of the box (0 inside)."""
        near_lat = min(self.lat_max, max(self.lat_min, lat))
        near_lon = min(self.lon_max, max(self.lon_min, lon))
        if near_lat == lat and near_lon == lon:
            return 0.0
        return great_circle_m((lon, lat), (near_lon, near_lat))


class Snapper:
    """Snaps points to ``index``'s paths within ``max_snap_m`` of the area of ``graph``.

    ``is_road``: the edges that are carriageways (the effective view's; no obstacle changes
    it): with their sidewalks mapped as ways of their own, such a road is snapped to only when
    much nearer (:func:`~routing.snapping.snap_penalty_m`).
    """

    def __init__(
        self, graph: CompiledGraph, index: SpatialIndex, is_road: np.ndarray, max_snap_m: float
    ) -> None:
        self.graph = graph
        self.index = index
        self.max_snap_m = max_snap_m
        #: The area's box: a point farther than ``max_snap_m`` from it is out of the area.
        self.area = AreaBox.of(graph)
        self._is_road = is_road
        self._penalties: dict[bool, np.ndarray] = {}
        self._local = threading.local()

    def level_penalty(self, allow_underground: bool) -> np.ndarray:
        """Per-edge snapping preference (:func:`~routing.snapping.snap_penalty_m`; cached: levels
        and sidewalks never change with obstacles)."""
        cached = self._penalties.get(allow_underground)
        if cached is None:
            edge = self.graph.edge
            level = edge.get("level_offset", np.zeros(self.graph.edge_count, dtype=np.int8))
            separate = self._is_road & (edge["sidewalk"] == Sidewalk.SEPARATE)
            cached = snap_penalty_m(
                level, edge["reverse_edge"], separate_sidewalks=separate,
                allow_underground=allow_underground,
            )  # fmt: skip
            self._penalties[allow_underground] = cached
        return cached

    def in_area(self, lat: float, lon: float) -> bool:
        """Whether ``(lat, lon)`` is within ``max_snap_m`` of the area's box (O(1))."""
        return self.area.distance_m(lat, lon) <= self.max_snap_m

    def check_in_area(self, lat: float, lon: float, role: str) -> None:
        """Raise :class:`OutOfAreaError` when ``(lat, lon)`` is farther than ``max_snap_m`` from
        the area's box (O(1), before any search), with the distance to the box and, when the
        point with latitude and longitude swapped lies in the area, a hint saying so."""
        if self.in_area(lat, lon):
            return
        box_m = self.area.distance_m(lat, lon)
        swapped = abs(lon) <= 90.0 and self.in_area(lon, lat)
        hint = " — did you swap latitude and longitude?" if swapped else ""
        raise OutOfAreaError(
            f"{role} ({lat:.6f}, {lon:.6f}) is {box_m / 1000:.1f} km from the area of this map; "
            f"points must be within {self.max_snap_m:.0f} m of a path{hint}",
            field=role,
            distance_m=round(box_m, 1),
            max_distance_m=self.max_snap_m,
            swapped=swapped,
            **({"hint": "did you swap latitude and longitude?"} if swapped else {}),
        )

    def _nearest(self, lat: float, lon: float, penalty_m: np.ndarray, role: str) -> SnapPoint:
        """The snap within ``max_snap_m`` (a bounded search: the out-of-area test comes first)."""
        self.check_in_area(lat, lon, role)
        hit = self.index.snap(lon, lat, penalty_m, self.max_snap_m)
        if hit is not None:
            return hit
        raise OutOfAreaError(
            f"{role} ({lat:.6f}, {lon:.6f}) has no path of this map within "
            f"{self.max_snap_m:.0f} m; points must be within {self.max_snap_m:.0f} m of a path",
            field=role,
            distance_m=None,
            max_distance_m=self.max_snap_m,
            swapped=False,
        )

    def snap(
        self,
        point: LatLon,
        usable: Metric | EdgeWeights,
        role: str = "origin",
        *,
        allow_underground: bool = False,
    ) -> tuple[SnapPoint, bool]:
        """Snap ``(lat, lon)`` to the nearest point of the network, whatever the profile.

        The place asked for is the nearest point of the network (ways below ground only when
        :data:`~routing.snapping.UNDERGROUND_SNAP_PENALTY_M` nearer than any other, unless
        ``allow_underground``; carriageways with separately mapped sidewalks only when
        :data:`~routing.snapping.CARRIAGEWAY_SNAP_PENALTY_M` nearer), the same for every
        profile, never a point the profile likes better farther away: a
        destination below a flight of steps stays below them, and the least-bad search and the
        report name the steps. Returns the snap and whether the profile can leave (``origin``)
        or reach (any other role) the snapped point along its edge without breaking a limit
        (:meth:`usable_at_point`). Raises :class:`OutOfAreaError` with the distance when no
        path is within ``max_snap_m``. :meth:`snap_usable` finds the nearest point the profile
        can use instead.
        """
        lat, lon = check_latlon(point, role)
        memo: dict[tuple[float, float, bool], SnapPoint] | None = getattr(
            self._local, "snaps", None
        )
        if memo is None:
            memo = self._local.snaps = {}
        key = (lat, lon, allow_underground)
        hit = memo.get(key)
        if hit is None:
            hit = self._nearest(lat, lon, self.level_penalty(allow_underground), role)
            memo[key] = hit
            if len(memo) > SNAP_MEMO_SIZE:
                del memo[next(iter(memo))]
        return hit, self.usable_at_point(hit, weights_of(usable), role)

    def usable_at_point(self, snap: SnapPoint, weights: EdgeWeights, role: str) -> bool:
        """Whether a walk can start (``role == "origin"``) or end (other roles) at ``snap``
        along its edge without breaking a limit of ``weights``.

        Limits along the edge always count. Limits broken only at an end node (kerb, barrier,
        crossing signals, a node's ``wheelchair=no``: ``EdgeWeights.violations_at_head``) count
        only for a start, and only when both ends hold one: a walk that ends on the edge comes
        from one end and never crosses the other; a walk that starts there may leave by the
        clean end (:func:`routing._kernels.snap.usable_end`, the rule the usable snapping applies in
        its kernel).
        """
        return bool(
            usable_end(  # the index's reverse_edge: the array (and type) snapping passes it
                snap.edge, weights.violations, weights.violations_at_head,
                self.index.reverse_edge, role == "origin",
            )
        )  # fmt: skip

    def snap_usable(
        self,
        point: LatLon,
        usable: Metric | EdgeWeights,
        role: str = "origin",
        *,
        allow_underground: bool = False,
    ) -> SnapPoint | None:
        """The nearest point (within ``max_snap_m``) the profile can start or end a walk at
        without breaking a limit (:meth:`usable_at_point`), or None."""
        lat, lon = check_latlon(point, role)
        self.check_in_area(lat, lon, role)
        w = weights_of(usable)
        ends = EndRule(w.violations, w.violations_at_head, role == "origin")
        penalty = self.level_penalty(allow_underground)
        return self.index.snap(lon, lat, penalty, self.max_snap_m, ends)

    def arrays(self) -> Iterator[np.ndarray]:
        """The arrays the snapper holds (:meth:`routing.engine.Router.share_memory` moves them):
        the index's, the snap penalties and the roads' mask."""
        yield from (v for v in vars(self.index).values() if isinstance(v, np.ndarray))
        yield from self._penalties.values()
        yield self._is_road

    def use_moved(self, moved: Callable[[np.ndarray], np.ndarray]) -> None:
        """Hold ``moved(array)`` in place of every array of :meth:`arrays` (the same values)."""
        for name, value in vars(self.index).items():
            if isinstance(value, np.ndarray):
                setattr(self.index, name, moved(value))
        for key, penalty in self._penalties.items():
            self._penalties[key] = moved(penalty)
        self._is_road = moved(self._is_road)
