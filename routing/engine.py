"""The Router: snap → customise → query → path, around the numba kernels.

One object per loaded graph, composed of the phases' owners: a :class:`~routing.snapper.Snapper`
(the area's O(1) test and the nearest point of a path), a :class:`~routing.customizer.Customizer`
(the current attributes and the metrics customised on them: weights, vectorised, plus ALT
landmarks, a few milliseconds once per profile, cached) and each thread's reusable
:class:`routing.query.Query`, so the FastAPI threadpool can route concurrently (the search
kernels release the GIL). A whole route is :func:`routing.route_batch.route_many` of one trip,
a route through via points :func:`routing.via_routes.route_via`, a walk with a limit between
rests :mod:`routing.rest_walks`. Typical use::

    router = Router(load_graph(path))
    route = router.route((49.4447, 7.7690), (49.4400, 7.7550), profile="wheelchair",
                         max_kerb_height_cm=4)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.made_profiles import made_profile
from accessibility_rules.profile import Profile, load_preset, make_profile
from accessibility_rules.weights import BITS_DTYPE, EdgeWeights
from graphs.geodesy import flat_bearing_deg
from graphs.model import CompiledGraph
from routing._kernels.verdict import VERDICT_COLUMNS
from routing.customizer import Customizer
from routing.errors import NoRouteError, RoutingError
from routing.facts import route_facts
from routing.instructions import instructions
from routing.landmark_refresh import LandmarkRefresher
from routing.landmarks import choose_landmarks
from routing.metric import Metric
from routing.query import (
    LatLon,
    Path,
    PathPiece,
    Query,
    broken_limits,
    check_latlon,
    piece_cost,
)
from routing.rests import RestQuery
from routing.route_batch import Trip, route_many, route_one
from routing.shared_arrays import share
from routing.snapper import Snapper
from routing.snapping import SnapPoint, SpatialIndex
from routing.verdict import verdict_masks
from routing.via_routes import route_via

if TYPE_CHECKING:
    from routing.route import Route

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SETTLE_BUDGET_FACTOR",
    "LatLon",
    "Path",
    "PathPiece",
    "Router",
    "check_latlon",
    "piece_cost",
]

#: Default distance within which a point snaps to a path; farther is "out of area".
DEFAULT_MAX_SNAP_M = 250.0
#: Default settle budget of one search, as a multiple of the graph's node count. A search
#: settles each node at most once, so a factor of 1 never cuts a real route; it bounds the cost
#: of every search (and a smaller factor bounds it further on a large graph).
DEFAULT_SETTLE_BUDGET_FACTOR = 1.0
#: The pollen day of the warm-up route's facts (any day: the kernels are the same).
_WARM_UP_DAY = dt.date(2026, 6, 21)


def _movable(value: object) -> bool:
    """An array :meth:`Router.share_memory` moves: one that owns a non-empty buffer (views of
    the graph's memory-mapped files and empty arrays stay as they are)."""
    return isinstance(value, np.ndarray) and value.size > 0 and value.base is None


class Router:
    """Routes on one compiled graph for any profile.

    The phases of RoutingKit: construction is the preprocessing (spatial index, projected node
    coordinates, landmark choice: no weights needed); :meth:`customize` turns a profile into a
    :class:`Metric` (cached, :attr:`customizer`); :meth:`query` hands out this thread's
    reusable :class:`Query`. :attr:`snapper` puts a request's points on the network.
    """

    def __init__(
        self,
        graph: CompiledGraph,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        use_landmarks: bool = True,
        metric_cache_bytes: int | None = None,
        per_profile_landmarks: bool = False,
        settle_budget_factor: float = DEFAULT_SETTLE_BUDGET_FACTOR,
        refresh_landmarks: bool = False,
    ) -> None:
        self.graph = graph
        #: Most nodes one search may settle (:class:`~routing.errors.SearchBudgetError` past it).
        self.max_settled = max(1, math.ceil(settle_budget_factor * graph.node_count))
        self.index = SpatialIndex(graph)
        frame = self.index.frame
        self.node_x, self.node_y = (
            np.ascontiguousarray(a) for a in frame.project(graph.node["lon"], graph.node["lat"])
        )
        h_factor = frame.distance_underestimate(
            float(graph.node["lat"].min()), float(graph.node["lat"].max())
        )
        self._local = threading.local()
        landmark_nodes = choose_landmarks(self.node_x, self.node_y)
        #: The attributes as they are now (obstacles patch them) and the metrics customised on
        #: them, cached in a byte bound.
        self.customizer = Customizer(
            graph, landmark_nodes, h_factor, use_landmarks=use_landmarks,
            per_profile_landmarks=per_profile_landmarks, metric_cache_bytes=metric_cache_bytes,
        )  # fmt: skip
        #: The area's O(1) test and the snaps within ``max_snap_m``.
        self.snapper = Snapper(graph, self.index, self.customizer.effective.is_road, max_snap_m)
        #: With ``refresh_landmarks`` (the server's routers): fresh own landmarks for a patched
        #: metric once its searches settled as many nodes as they cost (routing/landmark_refresh.py).
        self.landmark_refresher = (
            LandmarkRefresher(len(landmark_nodes) * graph.node_count, self._refresh_landmarks)
            if refresh_landmarks and use_landmarks
            else None
        )

    # --- customisation and snapping (the phases' owners) -------------------------------------
    def customize(
        self, profile: Profile, conditions: Conditions = DEFAULT_CONDITIONS, *, keep: bool = False
    ) -> Metric:
        """The :class:`Metric` of ``profile`` in ``conditions`` on the current attributes
        (cached): :meth:`Customizer.customize <routing.customizer.Customizer.customize>`."""
        return self.customizer.customize(profile, conditions, keep=keep)

    def snap(
        self,
        point: LatLon,
        usable: Metric | EdgeWeights,
        role: str = "origin",
        *,
        allow_underground: bool = False,
    ) -> tuple[SnapPoint, bool]:
        """Snap ``(lat, lon)`` to the nearest point of the network, whatever the profile, and
        whether the profile can use it: :meth:`Snapper.snap <routing.snapper.Snapper.snap>`."""
        return self.snapper.snap(point, usable, role, allow_underground=allow_underground)

    @staticmethod
    def profile(
        profile: str | Profile = "walk", overrides: Mapping[str, Any] | None = None
    ) -> Profile:
        """A preset (by name) or a profile, with overrides applied and validated."""
        if not overrides:
            return profile if isinstance(profile, Profile) else load_preset(profile)
        if isinstance(profile, str):  # a user's own limits: made once (made_profiles.py)
            return made_profile(profile, overrides)
        return make_profile(profile, dict(overrides))

    # --- search --------------------------------------------------------------------------------
    def query(self, metric: Metric) -> Query:
        """This thread's reusable :class:`Query`, reset for ``metric``."""
        q: Query | None = getattr(self._local, "query", None)
        if q is None or q.node_count != self.graph.node_count:
            q = Query(self.graph, self.node_x, self.node_y, self.index.frame)
            self._local.query = q
        q.max_settled = self.max_settled
        return q.reset(metric)

    def shortest_path(self, source: SnapPoint, target: SnapPoint, metric: Metric) -> Path:
        """Least-cost path between two snapped points under ``metric`` (A* with landmarks).

        Raises :class:`NoRouteError` when the target cannot be reached.
        """
        if not isinstance(metric, Metric):
            raise TypeError(
                f"shortest_path needs a Metric (Router.customize(profile)), "
                f"not {type(metric).__name__}"
            )
        q = self.query(metric)
        edges, start, end, cost = q.between(source, target, self.index.reverse_edge)
        self.charge_rent(metric, q.settled_nodes, source, target)
        return Path(edges, start, end, cost, source, target, q.settled_nodes)

    def charge_rent(
        self, metric: Metric, settled: int, source: SnapPoint, target: SnapPoint
    ) -> None:
        """Charge a search's ``settled`` nodes to ``metric``'s rent when its own landmarks are of
        costs before an obstacle (looser: :attr:`Metric.rent`) and this router refreshes them
        (:mod:`routing.landmark_refresh`); the two searches that read a metric's landmarks call
        it (:meth:`shortest_path`, :func:`routing.rest_walks.rest_path`)."""
        rent = metric.rent
        if rent is not None and self.landmark_refresher is not None:
            self.landmark_refresher.charge(metric, rent, settled, source, target)

    def _refresh_landmarks(self, key: Hashable) -> bool | None:
        """:meth:`Customizer.refresh_landmarks
        <routing.customizer.Customizer.refresh_landmarks>` of the metric cached under ``key``,
        judged by this router's searches (the refresher's call)."""
        return self.customizer.refresh_landmarks(key, self._settled)

    def _settled(self, source: SnapPoint, target: SnapPoint, metric: Metric) -> int | None:
        """The nodes the search between two snapped points settles on ``metric`` (None: no
        route, or past the budget); no rent charged."""
        q = self.query(metric)
        try:
            q.between(source, target, self.index.reverse_edge)
        except RoutingError:
            return None
        return q.settled_nodes

    def rest_query(self) -> RestQuery:
        """This thread's reusable :class:`~routing.rests.RestQuery` (the searches of
        :mod:`routing.rest_walks`)."""
        q: RestQuery | None = getattr(self._local, "rest_query", None)
        if q is None or q.graph is not self.graph:
            q = RestQuery(self.graph, self.node_x, self.node_y, self.index.frame)
            self._local.rest_query = q
        return q

    def walk_between(self, source: SnapPoint, target: SnapPoint) -> Path | None:
        """The plain walking route between points already snapped (the reference for detours;
        snapping is the same for every profile, :meth:`snap`), or None if there is none."""
        try:
            return self.shortest_path(source, target, self.customize(self.profile("walk")))
        except NoRouteError:
            return None

    # --- the fork -----------------------------------------------------------------------------
    def share_memory(self) -> int:
        """Move the arrays derived at start-up into a shared file mapping; the bytes moved.

        The customizer's (the effective view and its event words, the report table, the
        shared landmarks and every cached metric's weights and own landmarks) and the
        snapper's (the spatial index, the snap penalties) are copied into
        :func:`~routing.shared_arrays.share`'s mapping, with the same values: forked workers then
        map the pages they read instead of inheriting all of them (``stufenlos serve`` calls
        this before forking). Arrays made later (a write's new view, a new profile's metric) are
        ordinary memory, private to the process that made them. Without ``memfd_create`` nothing
        moves (0).
        """
        with self.customizer.lock:
            found: dict[int, np.ndarray] = {}
            for array in (*self.customizer.arrays(), *self.snapper.arrays()):
                if _movable(array):
                    found.setdefault(id(array), array)
            try:
                copies = dict(zip(found, share(list(found.values())), strict=True))
            except OSError:  # pragma: no cover - Linux has memfd_create
                return 0

            def moved(array: np.ndarray) -> np.ndarray:
                return copies.get(id(array), array)

            self.customizer.use_moved(moved)
            self.snapper.use_moved(moved)
            return int(sum(a.nbytes for a in found.values()))

    def warm_up(self) -> None:
        """Compile (or load from numba's cache) the kernels before the first real query.

        Every kernel a route request runs (the search, the report, the instructions, the facts)
        is loaded here: ``stufenlos serve`` calls this in the parent, before the fork, so the
        workers share numba's code for them instead of each loading its own (several MB a
        worker; ``tests/api/test_server_fork.py`` checks that requests load none)."""
        n = self.graph.node_count
        lat, lon = float(self.graph.node["lat"][0]), float(self.graph.node["lon"][0])
        lat2, lon2 = float(self.graph.node["lat"][n - 1]), float(self.graph.node["lon"][n - 1])
        walk = self.route((lat, lon), (lat2, lon2), "walk")
        instructions(walk)  # the legs kernel too
        # a route without segment rows (the Python rule: the legs kernel's reference) takes the
        # turn kernel, which the via steps take too
        instructions(dataclasses.replace(walk, segment_runs=None))
        walk_profile = self.profile("walk")  # the answer's facts: the incline profile's JSON too
        route_facts(
            self.graph, walk, walk_profile, DEFAULT_CONDITIONS, _WARM_UP_DAY, fragments=True
        )
        # the rest-constrained search (its kernels compile on first use otherwise)
        self.route(
            (lat, lon),
            (lat2, lon2),
            "walk",
            compare_walk=False,
            max_distance_between_rests_m=2000.0,
        )
        none, zero = np.zeros(1, dtype=BITS_DTYPE), np.zeros(1, dtype=bool)
        columns = dict.fromkeys(VERDICT_COLUMNS, np.zeros(1))
        verdict_masks(self.profile("walk"), none, none, none, columns, zero, zero, zero)  # matrix

    #: The route through ``points`` in order, then up to ``alternatives`` different ones
    #: (:func:`routing.via_routes.route_via`, this router its first argument).
    route_via = route_via

    def route(
        self,
        origin: LatLon,
        destination: LatLon,
        profile: str | Profile = "walk",
        *,
        strict: bool = False,
        compare_walk: bool = True,
        allow_underground: bool = False,
        conditions: Conditions = DEFAULT_CONDITIONS,
        **overrides: Any,
    ) -> Route:
        """Best route from ``origin`` to ``destination`` (``(lat, lon)``) for a profile.

        Both ends snap to the nearest point of the network whatever the profile (:meth:`snap`),
        so the route always ends at the place asked for, and whatever stands between (steps
        below a destination, a barrier) is on the route and reported. If no route honours the
        profile's hard limits, the least-bad route is returned with verdict ``"no"``
        and every broken limit located, plus ``ends_short``: the route that honours the limits
        and ends at the nearest points the profile can use, if there is one (how far short of
        the place asked for, and why) — unless ``strict``, which raises :class:`NoRouteError`
        naming the limits that block the way. Ways below ground are snapped to only when much
        nearer than any other, unless ``allow_underground``. ``conditions``: the day's pollen
        and darkness the profile is weighed in (the walk it is compared with reacts to neither).
        """
        trip = Trip(
            origin, destination, profile, overrides, strict=strict, compare_walk=compare_walk,
            allow_underground=allow_underground, conditions=conditions,
        )  # fmt: skip
        return route_one(self, trip)

    def route_many(self, trips: Sequence[Trip]) -> list[Route | Exception]:
        """:meth:`route` of several trips at once, stage by stage (each trip's exception in its
        place): :func:`routing.route_batch.route_many`."""
        return route_many(self, trips)

    def ends_short(
        self,
        origin: LatLon,
        destination: LatLon,
        path: Path,
        metric: Metric,
        broken: list[str],
        allow_underground: bool,
    ) -> list[dict[str, Any]]:
        """For a route that breaks the limits ``broken``: where a route honouring them would end.

        The nearest points the profile can start and end at
        (:meth:`Snapper.snap_usable <routing.snapper.Snapper.snap_usable>`); if a search
        between them breaks no limit, one record per end that moved: ``{"role", "distance_m"``
        (straight line from that end to the place asked for)``, "bearing_deg"`` (from the place
        asked for to that end, 0 = north, clockwise: the steps say which way it lies)``, "lon",
        "lat", "reason"`` (the limits the route to the place itself breaks)``}``. Empty when there
        is no such route.
        """
        s = self.snapper.snap_usable(origin, metric, "origin", allow_underground=allow_underground)
        t = self.snapper.snap_usable(
            destination, metric, "destination", allow_underground=allow_underground
        )
        if s is None or t is None:
            return []
        moved = [
            (role, alt)
            for role, alt, asked in (("origin", s, path.source), ("destination", t, path.target))
            if (alt.edge, alt.fraction) != (asked.edge, asked.fraction)
        ]
        if not moved:
            return []
        try:
            alt_path = self.shortest_path(s, t, metric)
        except NoRouteError:
            return []
        if broken_limits(metric.weights, alt_path.pieces):
            return []
        asked_at = {"origin": origin, "destination": destination}
        return [
            {
                "role": role,
                "distance_m": round(alt.distance_m, 1),
                "bearing_deg": round(flat_bearing_deg(asked_at[role][::-1], (alt.lon, alt.lat)))
                % 360,
                "lon": alt.lon,
                "lat": alt.lat,
                "reason": broken,
            }
            for role, alt in moved
        ]
