"""The Router: snap → customise → query → path, around the numba kernels.

One object per loaded graph. A profile is customised into a :class:`routing.metric.Metric`
(weights, vectorised, plus ALT landmarks: a few milliseconds) once and cached; each thread gets
its own reusable :class:`routing.query.Query`, so the FastAPI threadpool can route concurrently
(the search kernels release the GIL). Typical use::

    router = Router(load_graph(path))
    route = router.route((49.4447, 7.7690), (49.4400, 7.7550), profile="wheelchair",
                         max_kerb_height_cm=4)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import threading
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility_rules.attributes import Sidewalk
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.made_profiles import made_profile
from accessibility_rules.profile import Profile, load_preset, make_profile
from accessibility_rules.profile_errors import UnknownProfileError
from accessibility_rules.weights import (
    BITS_DTYPE,
    VIOLATION_PENALTY_S,
    EdgeWeights,
    compute_weights,
    weights_profile,
)
from graphs.arrays import array_fields
from graphs.features import surroundings_read
from graphs.geodesy import flat_bearing_deg, great_circle_m
from graphs.model import CompiledGraph
from routing._kernels.snap import usable_end
from routing._kernels.verdict import VERDICT_COLUMNS
from routing.array_sharing import equal_landmarks, share_equal_arrays
from routing.edge_tables import EdgeTables, edge_tables, patch_edge_tables
from routing.errors import (
    InvalidCoordinateError,
    NoRouteError,
    OutOfAreaError,
    RoutingError,
    SearchBudgetError,
)
from routing.facts import route_facts
from routing.instructions import instructions
from routing.landmark_refresh import LandmarkRefresher, pays
from routing.landmarks import Landmarks, choose_landmarks, length_landmarks
from routing.metric import (
    WEIGHT_BYTES_PER_EDGE,
    Metric,
    MetricCache,
    build_metric,
    changed_edges,
    default_cache_bytes,
    patch_metric,
    with_borrowed_landmarks,
    with_own_landmarks,
)
from routing.query import (
    LatLon,
    Path,
    PathPiece,
    Query,
    broken_limits,
    check_latlon,
    piece_cost,
    walked_ends,
)
from routing.recycling import recyclable
from routing.report import build_route, combine_routes
from routing.report_table import ReportTable
from routing.rests import (
    LEAST_BAD_STEPS,
    LEAST_BAD_TOLERANCE_M,
    LabelBudget,
    RestQuery,
    RestsAsked,
    combine_rests,
    direct_keeps,
    pieces_longest_gap,
    rests_report,
    walk_seats,
)
from routing.route import Accessibility, Break, Place, Reliance, Violation
from routing.route_batch import Trip, route_many
from routing.shared_arrays import share
from routing.snapping import EndRule, SnapPoint, SpatialIndex, snap_penalty_m
from routing.verdict import verdict_masks
from routing.walking import detour

if TYPE_CHECKING:
    from routing.route import Route

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SETTLE_BUDGET_FACTOR",
    "AreaBox",
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
#: Attribute changes remembered for bringing cached metrics up to date (a metric older than
#: all of them is recomputed in full when its profile is next asked for).
CHANGE_HISTORY = 256


def _movable(value: object) -> bool:
    """An array :meth:`Router.share_memory` moves: one that owns a non-empty buffer (views of
    the graph's memory-mapped files and empty arrays stay as they are)."""
    return isinstance(value, np.ndarray) and value.size > 0 and value.base is None


def _profile_of(key: Hashable) -> object:
    """The profile of a metric cache key (``(profile, conditions)``: :attr:`Metric.key`)."""
    return key[0] if isinstance(key, tuple) else None


def _weights(usable: Metric | EdgeWeights) -> EdgeWeights:
    return usable.weights if isinstance(usable, Metric) else usable


@dataclasses.dataclass(frozen=True, slots=True)
class AreaBox:
    """The bounding box of every path of a graph (degrees): the O(1) out-of-area test.

    A point farther than the maximum snap distance from the box is farther than that from
    every path, so it is out of the area without any search (:meth:`Router.snap`).
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


def seat_cost_ceiling(plain: Path) -> float:
    """What a walk that keeps a limit between rests must cost less than to be taken: the cost
    of ``plain``, the profile's cheapest walk under the same metric, plus one broken limit's
    flat part (:data:`~accessibility_rules.weights.VIOLATION_PENALTY_S`). By the severity rule
    a walk that breaks a limit the plain route keeps costs at least that much more, and a walk
    of a city far less: below the ceiling a walk breaks no more of the profile's limits. A
    stretch without a seat ranks below every other limit: an elderly user's seats were bought
    with a closed sidewalk (the rest search had taken the only walk with seats close enough,
    through a staff closure, where the plain route went around it). The rest searches take it
    as their bound (``max_cost``), so such walks are not even searched for."""
    return plain.cost_s + VIOLATION_PENALTY_S


#: Snaps each thread remembers (the latest; the place asked for, snapped the same for every
#: profile and every state of the obstacles: the geometry never changes): a route with staff
#: obstacles active snaps its points again for the searches on the map without them
#: (``obstacles.avoided``), 2.9 more snaps an answer, ~14 µs each.
SNAP_MEMO_SIZE = 8


class Router:
    """Routes on one compiled graph for any profile.

    The phases of RoutingKit: construction is the preprocessing (spatial index, projected node
    coordinates, landmark choice: no weights needed); :meth:`customize` turns a profile into a
    :class:`Metric` (cached); :meth:`query` hands out this thread's reusable :class:`Query`.
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
        self.use_landmarks = use_landmarks
        self.max_snap_m = max_snap_m
        self.index = SpatialIndex(graph)
        #: The area's box: a point farther than ``max_snap_m`` from it is out of the area.
        self.area = AreaBox.of(graph)
        frame = self.index.frame
        self.node_x, self.node_y = (
            np.ascontiguousarray(a) for a in frame.project(graph.node["lon"], graph.node["lat"])
        )
        self._h_factor = frame.distance_underestimate(
            float(graph.node["lat"].min()), float(graph.node["lat"].max())
        )
        self._local = threading.local()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # attribute changes, one at a time
        tables = edge_tables(graph.edge, graph.node, graph.head, graph.tail)
        self.effective: EffectiveEdges = tables.effective
        #: What the weights read of every edge that no profile changes (with the attributes).
        self._events = tables.events
        self._report = tables.report
        self.revision = 0
        self._landmark_nodes = choose_landmarks(self.node_x, self.node_y)
        # one landmark set for every profile (routing/landmarks.py says why, and when not)
        self._shared_landmarks = (
            length_landmarks(graph, self._landmark_nodes)
            if use_landmarks and not per_profile_landmarks
            else None
        )
        self._snap_penalties: dict[bool, np.ndarray] = {}
        if metric_cache_bytes is None:  # the default: some metrics of this graph
            landmarks = len(self._landmark_nodes) if use_landmarks else 0
            metric_cache_bytes = default_cache_bytes(graph.edge_count, graph.node_count, landmarks)
        #: The customised metrics, by profile and conditions (read it, do not fill it:
        #: :meth:`customize` does, under the router's lock, and brings a metric of older
        #: attributes up to date when it is asked for).
        self.metric_cache = MetricCache(metric_cache_bytes)
        #: With ``refresh_landmarks`` (the server's routers): fresh own landmarks for a patched
        #: metric once its searches settled as many nodes as they cost (routing/landmark_refresh.py).
        self.landmark_refresher = (
            LandmarkRefresher(len(self._landmark_nodes) * graph.node_count, self._refresh_landmarks)
            if refresh_landmarks and use_landmarks
            else None
        )
        #: ``(revision, edges changed to reach it)`` of the latest attribute changes: what a
        #: cached metric of an older revision needs re-weighted (older ones are recomputed).
        self._changes: deque[tuple[int, np.ndarray]] = deque(maxlen=CHANGE_HISTORY)
        #: The map's own attributes (revision 0: raw edge arrays, effective view) and the edges
        #: whose attributes differ from them now (sorted): what a kept metric's original needs
        #: re-weighted whatever the history of changes holds.
        self._map_attributes: tuple[Mapping[str, np.ndarray], EffectiveEdges] = (
            graph.edge,
            self.effective,
        )
        self._changed_from_map = np.zeros(0, dtype=np.int64)

    # --- attributes (obstacles patch them) ----------------------------------------------------
    def refresh(self) -> None:
        """Recompute effective attributes after the graph's arrays were patched (obstacles)."""
        self.replace_attributes(self.graph.edge, self.graph.node)

    def replace_attributes(
        self,
        edge: dict[str, np.ndarray],
        node: dict[str, np.ndarray],
        *,
        edges: np.ndarray | None = None,
    ) -> None:
        """Swap in new attribute arrays (obstacle patches) atomically with their effective view.

        Queries read ``graph.edge`` and ``effective`` together under the lock, so none sees new
        raw arrays with an old effective view. The cached metrics are not recomputed: the edges
        whose attributes changed are recorded with the new revision, and :meth:`customize`
        re-weights only those edges of a cached metric when its profile is next asked for
        (:func:`~routing.metric.patch_metric`). A write so costs the profiles in use, not every
        cached one.

        ``edges``, when given, holds every edge the change can reach: those whose own attributes
        differ from the current ones and those entering or leaving a node whose attributes
        differ. Only their rows of the derived tables are recomputed
        (:func:`~routing.edge_tables.patch_edge_tables`), so a write costs its few edges, not
        the graph; None recomputes every row.
        """
        with self._write_lock:  # one change at a time: each starts from the one before
            if edges is None:
                fresh = edge_tables(edge, node, self.graph.head, self.graph.tail)
                changed = changed_edges(self.graph.edge, self.effective, edge, fresh.effective)
            else:
                tables = EdgeTables(self.effective, self._events, self._report)
                fresh, changed = patch_edge_tables(
                    tables, self.graph.edge, edge, node, self.graph.head, self.graph.tail, edges
                )
            map_edge, map_eff = self._map_attributes  # the others are known to equal the map's
            rows = np.union1d(self._changed_from_map, changed)
            from_map = changed_edges(map_edge, map_eff, edge, fresh.effective, rows)
            with self._lock:
                self.graph.edge = edge
                self.graph.node = node
                self.effective = fresh.effective
                self._events = fresh.events
                self._report = fresh.report
                self.revision += 1
                self._changes.append((self.revision, changed))
                self._changed_from_map = from_map

    def _changed_since(self, revision: int) -> np.ndarray | None:
        """The edges whose attributes changed after ``revision`` up to now (call under the
        lock): the record of changes, or for revision 0 the edges that differ from the map's
        own attributes; None when the record no longer reaches back that far."""
        parts = [edges for rev, edges in self._changes if rev > revision]
        if len(parts) != self.revision - revision:
            return self._changed_from_map if revision == 0 else None
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def report_table(self) -> ReportTable:
        """What route reports read, stacked per edge (consistent with the current attributes)."""
        with self._lock:
            return self._report

    def attributes(self) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
        """The current raw edge arrays and effective view, read together (a consistent pair)."""
        with self._lock:
            return self.graph.edge, self.effective

    # --- customisation ----------------------------------------------------------------------------
    def customize(
        self, profile: Profile, conditions: Conditions = DEFAULT_CONDITIONS, *, keep: bool = False
    ) -> Metric:
        """The :class:`Metric` of ``profile`` in ``conditions`` on the current attributes (cached).

        One cache, keyed by ``(profile, conditions)`` (both frozen and hashable; the profile as
        its weights see it, :func:`~accessibility_rules.weights.weights_profile`, so a personal
        profile that changed only its rest limit gets its preset's metric; conditions hold
        only what the profile reacts to, :func:`~accessibility_rules.conditions.resolve_conditions`),
        bounded by the bytes
        of the metrics' arrays (``metric_cache_bytes``) and patched on the changed edges when
        obstacles change the attributes (:meth:`replace_attributes`). Presets get landmarks of
        their own at once; a personal profile starts on the shared ones (or its preset's) and
        gets its own after :data:`~routing.metric.OWN_LANDMARKS_AFTER_HITS` cached uses, and so
        does a preset in other conditions than a metric of it cached or kept (another day's
        pollen: no landmark search on the request that asks). ``keep`` keeps this
        metric cached whatever the bound (:meth:`MetricCache.keep
        <routing.metric.MetricCache.keep>`: the server's presets, which :meth:`share_memory`
        then shares with its workers).
        """
        profile = weights_profile(profile)  # equal weights, one metric
        key = (profile, conditions)
        with self._lock:
            if keep:
                self.metric_cache.keep(key)
            cached, upgrade = self.metric_cache.lookup(key)
            eff, edge, events, revision = (
                self.effective,
                self.graph.edge,
                self._events,
                self.revision,
            )
            if cached is not None and cached.revision == revision and not upgrade:
                if keep and revision == 0:  # customised before it was kept (walk, at start-up)
                    self.metric_cache.put(key, cached)  # its original now
                return cached
            stale = cached is not None and cached.revision != revision
            changed = self._changed_since(cached.revision) if cached is not None and stale else None
        if cached is not None and stale and changed is not None:  # obstacles changed some edges
            if len(changed):
                metric = patch_metric(
                    cached, profile, edge, eff, changed, shared_landmarks=self._shared_landmarks,
                    h_factor=self._h_factor, revision=revision,
                )  # fmt: skip
                metric = self._sharing_with_preset(metric, profile, conditions)
            else:  # new arrays, equal values: the same weights serve the new revision
                metric = dataclasses.replace(cached, revision=revision)
            if upgrade and metric.shared_landmarks:
                metric = self._with_own_landmarks(metric, profile, conditions)
        elif cached is not None and not stale:  # asked for again and again: own landmarks
            metric = self._with_own_landmarks(cached, profile, conditions)
        else:  # presets get their own landmarks at once, personal profiles the shared ones
            # or their preset's, scaled, where those bound tighter; so does a preset in other
            # conditions than its metrics' (another day's pollen, a forecast): one Dijkstra per
            # landmark is for a preset the server keeps, or one asked for again and again
            base = self._preset_metric(profile, conditions)
            if (
                base is not None
                and base.profile is not None
                and base.revision != revision
                and base.key != key
            ):  # brought up to date (most often a patch): what the new weights may equal now
                base = self.customize(base.profile, base.conditions)
            own = keep or (not profile.customised and base is None)
            alike = self._alike(base, keep)
            into = self._recycled(len(eff.kerb_count)) if not keep else None
            weights = share_equal_arrays(
                compute_weights(profile, edge, eff, conditions, events, into=into),
                (m.weights for m in alike),
            )  # arrays equal to a held metric's are that one's (routing/array_sharing.py)
            same = self._equal_landmarks(weights, alike) if own else None
            metric = self.metric(
                weights, profile=profile, revision=revision, own_landmarks=own and same is None,
                conditions=conditions, landmarks=same,
            )  # fmt: skip
            if metric.shared_landmarks and base is not None:
                metric = with_borrowed_landmarks(metric, base)
        with self._lock:
            self.metric_cache.put(key, metric)  # never over a metric of newer attributes
        return metric

    def _recycled(self, edge_count: int) -> dict[str, np.ndarray]:
        """Room in the metric cache for new weights of ``edge_count`` edges, made now (the
        least recently used metrics evicted before the new one is weighed, not after), and the
        arrays of an evicted metric that nothing else holds, to write the new weights into
        (:mod:`routing.recycling`: no page faults on fresh memory)."""
        with self._lock:
            evicted = self.metric_cache.make_room(WEIGHT_BYTES_PER_EDGE * edge_count)
        return recyclable(evicted)

    def _sharing_with_preset(
        self, metric: Metric, profile: Profile, conditions: Conditions
    ) -> Metric:
        """A personal profile's patched ``metric`` with the arrays equal to its preset's metric
        of the same revision shared (the preset's, when cached, patched first): each patch
        copies the arrays the change touches, and without this a personal profile kept its own
        copy of every one of them, also where it weighs as its preset."""
        preset = self._preset_of(profile) if profile.customised else None
        if preset is None:
            return metric
        with self._lock:
            cached = (preset, conditions) in self.metric_cache
        if not cached:
            return metric
        base = self.customize(preset, conditions)
        if base.revision != metric.revision:
            return metric
        weights = share_equal_arrays(metric.weights, (base.weights,))
        return metric if weights is metric.weights else dataclasses.replace(metric, weights=weights)

    def originals_alike(self, profile: Profile, conditions: Conditions) -> list[Metric]:
        """The kept metrics of the preset ``profile`` was made from, as customised on the map's
        own attributes (revision 0; :meth:`original_metric`), those in ``conditions`` first:
        what a metric of ``profile`` on the map without obstacles may share arrays with
        (:func:`routing.array_sharing.share_equal_arrays`)."""
        preset = self._preset_of(profile)
        if preset is None:
            return []
        with self._lock:
            found = [m for key, m in self.metric_cache.originals() if _profile_of(key) == preset]
        return sorted(found, key=lambda m: m.conditions != conditions)

    @staticmethod
    def _preset_of(profile: Profile) -> Profile | None:
        """The preset ``profile`` was made from (by its name), or None (a profile built
        elsewhere, without a preset of its name)."""
        try:
            return load_preset(profile.name)
        except UnknownProfileError:
            return None

    def _alike(self, base: Metric | None, keep: bool) -> list[Metric]:
        """The metrics whose arrays a new one may share (:mod:`routing.array_sharing`): its
        preset's (``base``, :meth:`_preset_metric`), and for a kept one also every metric held
        (the server's presets at start-up: a dark variant equal to the day's but for its
        unknowns, the allergy preset outside the pollen season equal to walk)."""
        found = [] if base is None else [base]
        if keep:
            with self._lock:
                held = [m for _, m in (*self.metric_cache.items(), *self.metric_cache.originals())]
            found += [m for m in {id(m): m for m in held}.values() if m is not base]
        return found

    def _equal_landmarks(self, weights: EdgeWeights, alike: list[Metric]) -> Landmarks | None:
        """Own landmarks of one of ``alike`` computed on the very arrays of ``weights`` they
        read (what computing them again would give), or None."""
        if not self.use_landmarks:
            return None
        own = (
            (m.weights, m.landmarks)
            for m in alike
            if not m.shared_landmarks and m.landmark_cost_s is None
        )
        return equal_landmarks(weights, own, self._landmark_nodes)

    def _with_own_landmarks(
        self, metric: Metric, profile: Profile, conditions: Conditions
    ) -> Metric:
        """``metric`` with own landmarks: its preset's when computed on the very arrays they
        read (a personal profile that weighs as its preset), else computed."""
        same = self._equal_landmarks(metric.weights, self._alike(
            self._preset_metric(profile, conditions), keep=False
        ))  # fmt: skip
        if same is None:
            return with_own_landmarks(self.graph, metric, self._landmark_nodes)
        return dataclasses.replace(metric, landmarks=same, shared_landmarks=False)

    def original_metric(self, profile: Profile, conditions: Conditions) -> Metric | None:
        """The kept metric of ``profile`` in ``conditions`` (:meth:`customize` with ``keep``)
        as customised on the map's own attributes, before any change of them (revision 0), or
        None. The live obstacles compare routes with routes on the map without obstacles
        (``obstacles.avoided``): for the server's presets these are the metrics the parent
        customised and shares, not a copy weighed again in each worker."""
        with self._lock:
            return self.metric_cache.original((weights_profile(profile), conditions))

    def _preset_metric(self, profile: Profile, conditions: Conditions) -> Metric | None:
        """The cached metric of the preset ``profile`` was made from (in ``conditions``, else
        in none, else a kept original of that preset, one in ``conditions`` first:
        :meth:`originals_alike`), or None;
        marked as used, so a preset whose landmarks new personal profiles borrow stays cached
        while they come."""
        preset = self._preset_of(profile)
        if preset is None:
            return None
        with self._lock:
            found = self.metric_cache.get((preset, conditions)) or self.metric_cache.get(
                (preset, DEFAULT_CONDITIONS)
            )
        return found or next(iter(self.originals_alike(profile, conditions)), None)

    def cached_metric(self, key: Hashable) -> Metric | None:
        """The metric :meth:`cache_metric` cached under ``key`` (marked as used), or None."""
        with self._lock:
            return self.metric_cache.get(key)

    def cache_metric(self, key: Hashable, metric: Metric) -> None:
        """Cache ``metric`` under ``key``, a key of its own (not :attr:`Metric.key`, which
        :meth:`customize` uses: e.g. a profile's metric of the map without obstacles), in the
        metric cache's byte bound with every other metric."""
        with self._lock:
            self.metric_cache.put(key, metric)

    def metric(
        self,
        weights: EdgeWeights,
        *,
        profile: Profile | None = None,
        revision: int | None = None,
        own_landmarks: bool = False,
        conditions: Conditions = DEFAULT_CONDITIONS,
        landmarks: Landmarks | None = None,
    ) -> Metric:
        """Customise the graph with any ``weights`` (e.g. of the map without obstacles): the
        landmark bound (the shared one scaled, or with ``own_landmarks`` one Dijkstra per
        landmark on these weights, or ``landmarks`` given: own ones computed on these very
        weights' arrays) and heuristic scale. Not cached; :meth:`customize` is."""
        return build_metric(
            self.graph,
            weights,
            landmark_nodes=self._landmark_nodes if self.use_landmarks else None,
            h_factor=self._h_factor,
            profile=profile,
            revision=self.revision if revision is None else revision,
            shared_landmarks=(
                None if own_landmarks or landmarks is not None else self._shared_landmarks
            ),
            conditions=conditions,
            landmarks=landmarks,
        )

    def weights(self, profile: Profile, conditions: Conditions = DEFAULT_CONDITIONS) -> EdgeWeights:
        """Edge weights of ``profile`` in ``conditions`` (those of :meth:`customize`)."""
        return self.customize(profile, conditions).weights

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

    # --- snapping -----------------------------------------------------------------------------
    def _level_penalty(self, allow_underground: bool) -> np.ndarray:
        """Per-edge snapping preference (:func:`~routing.snapping.snap_penalty_m`; cached: levels
        and sidewalks never change with obstacles)."""
        cached = self._snap_penalties.get(allow_underground)
        if cached is None:
            edge = self.graph.edge
            level = edge.get("level_offset", np.zeros(self.graph.edge_count, dtype=np.int8))
            separate = self.effective.is_road & (edge["sidewalk"] == Sidewalk.SEPARATE)
            cached = snap_penalty_m(
                level, edge["reverse_edge"], separate_sidewalks=separate,
                allow_underground=allow_underground,
            )  # fmt: skip
            self._snap_penalties[allow_underground] = cached
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
        (:func:`usable_at_point`). Raises :class:`OutOfAreaError` with the distance when no
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
            hit = self._nearest(lat, lon, self._level_penalty(allow_underground), role)
            memo[key] = hit
            if len(memo) > SNAP_MEMO_SIZE:
                del memo[next(iter(memo))]
        return hit, self.usable_at_point(hit, _weights(usable), role)

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
        w = _weights(usable)
        ends = EndRule(w.violations, w.violations_at_head, role == "origin")
        penalty = self._level_penalty(allow_underground)
        return self.index.snap(lon, lat, penalty, self.max_snap_m, ends)

    # --- search --------------------------------------------------------------------------------
    def query(self, metric: Metric) -> Query:
        """This thread's reusable :class:`Query`, reset for ``metric``."""
        q: Query | None = getattr(self._local, "query", None)
        if q is None or q.node_count != self.graph.node_count:
            q = Query(self.graph, self.node_x, self.node_y, self.index.frame)
            self._local.query = q
        q.max_settled = self.max_settled
        return q.reset(metric)

    def start_pieces(self, snap: SnapPoint) -> list[PathPiece]:
        """The directed pieces from a snapped point to each end node of its edge."""
        e, f = snap.edge, snap.fraction
        pieces = [PathPiece(e, f, 1.0)]
        rev = int(self.graph.edge["reverse_edge"][e])
        if rev >= 0:
            pieces.append(PathPiece(rev, 1.0 - f, 1.0))
        return pieces

    def exit_pieces(self, snap: SnapPoint) -> list[PathPiece]:
        """The directed pieces from each end node of a snapped point's edge to the point.

        A point on a node (:meth:`end_node`) is reached along every edge into that node as
        well, each walked whole as the walk's last piece (after the edge's own two pieces, in
        the order of the node's out-edges, whose twins they are): a walk that ends on a node
        does not cross what the arriving edge's head holds (its kerb, its crossing, a limit
        broken there), so it must not pay for it, as a walk that starts on a node does not
        (:meth:`start_pieces`' piece from the head). What
        :func:`routing._kernels.search.point_search` makes in its kernel."""
        pieces = [PathPiece(p.edge, 0.0, p.start) for p in self.start_pieces(snap)]
        node = self.end_node(snap)
        if node >= 0:
            g = self.graph
            rev = g.edge["reverse_edge"]
            have = {p.edge for p in pieces}
            for o in range(int(g.first_out[node]), int(g.first_out[node + 1])):
                into = int(rev[o])
                if into >= 0 and into not in have:
                    pieces.append(PathPiece(into, 0.0, 1.0))
        return pieces

    def end_node(self, snap: SnapPoint) -> int:
        """The node a snapped point lies on (its edge's head at fraction 1, its tail at 0),
        or -1 when it lies inside its edge."""
        if snap.fraction >= 1.0:
            return int(self.graph.head[snap.edge])
        if snap.fraction <= 0.0:
            return int(self.graph.tail[snap.edge])
        return -1

    def direct_piece(
        self, source: SnapPoint, target: SnapPoint, usable: Metric | EdgeWeights
    ) -> tuple[PathPiece, float] | None:
        """Walking along a single edge when both points lie on the same street piece, or the
        target on a node that piece runs to (:meth:`end_node`; the walk then ends on that node
        without crossing what the edge's head holds, as :meth:`exit_pieces` says)."""
        rev = int(self.graph.edge["reverse_edge"][source.edge])
        node = -1 if target.edge == source.edge or target.edge == rev else self.end_node(target)
        if target.edge == source.edge:
            fs, ft = source.fraction, target.fraction
        elif rev >= 0 and target.edge == rev:
            fs, ft = source.fraction, 1.0 - target.fraction
        elif node >= 0 and node == int(self.graph.head[source.edge]):
            fs, ft = source.fraction, 1.0  # a target on the node the source's edge runs to
        elif node >= 0 and rev >= 0 and node == int(self.graph.head[rev]):
            fs, ft = source.fraction, 0.0  # ... or on the node its twin runs to
        else:
            return None
        piece = PathPiece(source.edge, fs, ft) if ft >= fs else PathPiece(rev, 1.0 - fs, 1.0 - ft)
        if piece.edge < 0:
            return None
        return piece, piece_cost(_weights(usable), piece, last=True)

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
        self._charge_rent(metric, q.settled_nodes, source, target)
        return Path(edges, start, end, cost, source, target, q.settled_nodes)

    def _charge_rent(
        self, metric: Metric, settled: int, source: SnapPoint, target: SnapPoint
    ) -> None:
        """Charge a search's ``settled`` nodes to ``metric``'s rent when its own landmarks are of
        costs before an obstacle (looser: :attr:`Metric.rent`) and this router refreshes them
        (:mod:`routing.landmark_refresh`); the two searches that read a metric's landmarks call
        it (:meth:`shortest_path`, :meth:`rest_path`)."""
        rent = metric.rent
        if rent is not None and self.landmark_refresher is not None:
            self.landmark_refresher.charge(metric, rent, settled, source, target)

    def _refresh_landmarks(self, key: Hashable) -> bool | None:
        """Give the metric cached under ``key`` own landmarks of its costs, if it still runs on
        landmarks of older ones (:attr:`Metric.rent`) and they pay
        (:func:`~routing.landmark_refresh.pays`); put in its place only if the cache still holds
        it when they are done (a later patch carries the rent on and asks again). Whether they
        paid; None when no such metric is cached (nothing judged)."""
        with self._lock:
            metric = self.metric_cache.peek(key)
        if metric is None or metric.rent is None:
            return None
        fresh = with_own_landmarks(self.graph, metric, self._landmark_nodes)
        if not pays(metric, fresh, self._settled):
            return False
        with self._lock:
            self.metric_cache.replace_cached(key, metric, fresh)
        return True

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
        """This thread's reusable :class:`~routing.rests.RestQuery`."""
        q: RestQuery | None = getattr(self._local, "rest_query", None)
        if q is None or q.graph is not self.graph:
            q = RestQuery(self.graph, self.node_x, self.node_y, self.index.frame)
            self._local.rest_query = q
        return q

    def rest_path(
        self,
        source: SnapPoint,
        target: SnapPoint,
        metric: Metric,
        limit_m: float,
        max_labels: int | None = None,
        max_cost: float = math.inf,
    ) -> Path | None:
        """Least-cost path between two snapped points under ``metric`` on which no stretch
        without a seat is longer than ``limit_m`` (exact:
        :func:`routing._kernels.rests.rest_search`),
        or None when there is none (costing less than ``max_cost``). The walk starts rested at
        the origin. ``max_labels``: a smaller label budget than the search's own
        (:meth:`least_bad_rest_path`'s probes)."""
        query = self.rest_query()
        try:
            res = query.run(
                metric, limit_m, self.start_pieces(source), self.exit_pieces(target),
                (target.lat, target.lon), max_labels, max_cost,
            )  # fmt: skip
        finally:  # its labels searched on the metric's landmarks too (a probe past its budget)
            self._charge_rent(metric, query.last_settled, source, target)
        direct = self.direct_piece(source, target, metric)
        if (
            direct is not None
            and direct[1] < max_cost
            and math.isfinite(direct[1])
            and direct_keeps(self.graph, direct[0], limit_m)
            and (res is None or direct[1] <= res.cost_s)
        ):
            piece = direct[0]
            settled = 0 if res is None else res.settled_labels
            return Path(
                np.array([piece.edge]), piece.start, piece.end, direct[1], source, target, settled
            )
        if res is None:
            return None
        edges, start, end = walked_ends(res.edges, res.start, res.end)  # as shortest_path
        return Path(edges, start, end, res.cost_s, source, target, res.settled_labels)

    def rest_walk(
        self,
        source: SnapPoint,
        target: SnapPoint,
        metric: Metric,
        limit_m: float,
        *,
        least_bad: bool = True,
        budget: LabelBudget | None = None,
    ) -> tuple[Path, bool]:
        """The path a profile with ``limit_m`` between rests walks, and whether it is not the
        cheapest walk keeping the limit: the least bad one (:meth:`least_bad_rest_path`; the
        plain optimum when not ``least_bad``), because no walk keeps the limit or each that does
        breaks more of the profile's other limits than the plain optimum
        (:func:`seat_cost_ceiling`: seats are never bought with a closure or a flight of steps).
        ``budget``: what the request's least-bad probes may still settle (its legs share it)."""
        plain = self.shortest_path(source, target, metric)
        found = self.rest_path(source, target, metric, limit_m, max_cost=seat_cost_ceiling(plain))
        if found is not None:
            return found, False
        if not least_bad:
            return plain, True
        return self.least_bad_rest_path(source, target, metric, limit_m, plain, budget), True

    def least_bad_budget(self) -> LabelBudget:
        """A fresh label budget for one request's least-bad probes
        (:data:`~routing.rests.LEAST_BAD_BUDGETS` rest searches'), to share between its legs."""
        return LabelBudget.of_request(self.rest_query().max_labels)

    def least_bad_rest_path(
        self,
        source: SnapPoint,
        target: SnapPoint,
        metric: Metric,
        limit_m: float,
        plain: Path | None = None,
        budget: LabelBudget | None = None,
    ) -> Path:
        """When no path keeps ``limit_m`` (without breaking more of the profile's other limits
        than the plain optimum, :func:`seat_cost_ceiling`): the cheapest among such paths whose
        longest stretch without a seat is shortest, to within
        :data:`~routing.rests.LEAST_BAD_TOLERANCE_M` (bisection over the limit between
        ``limit_m`` and the plain optimum's longest stretch; see :mod:`routing.rests` for why
        this and not the plain optimum). ``plain``: that optimum, if the caller has it. A probe
        that runs out of its label budget counts as "not kept" (the result stays a real walk),
        and all probes together settle at most :data:`~routing.rests.LEAST_BAD_BUDGETS`
        searches' budgets, or what is left of the request's ``budget`` (drawn from here): then
        the best walk found so far is the answer (its longest stretch is what the route
        reports)."""
        best = plain if plain is not None else self.shortest_path(source, target, metric)
        lo, hi = limit_m, pieces_longest_gap(self.graph, best.pieces)
        ceiling = seat_cost_ceiling(best)
        query = self.rest_query()
        if budget is None:
            budget = self.least_bad_budget()
        left = budget.left
        for _ in range(LEAST_BAD_STEPS):
            if hi - lo <= LEAST_BAD_TOLERANCE_M or left <= 0:
                break
            mid = 0.5 * (lo + hi)
            try:
                found = self.rest_path(
                    source, target, metric, mid, max_labels=left, max_cost=ceiling
                )
            except SearchBudgetError:
                found = None
            left -= query.last_settled
            if found is None:
                lo = mid
            else:
                best, hi = found, pieces_longest_gap(self.graph, found.pieces)
        budget.left = max(0, left)
        return best

    def with_rests(
        self, route: Route, path: Path, profile: Profile, *, least_bad: bool = False
    ) -> Route:
        """``route`` with its rests report (:func:`~routing.rests.rests_report`; the one it has
        when :func:`~routing.report.build_route` made it, as :meth:`route` and :meth:`route_via`
        ask) and, when its longest stretch without a seat exceeds the profile's limit, a break
        of limit ``"rests"`` there (verdict ``"no"``). On a graph whose source was not read for seats
        (a download, :func:`~graphs.features.surroundings_read`) that stretch is one without
        seat data: the route relies on unknown ``seat`` data there (verdict at best
        ``"unknown"``), it breaks nothing known."""
        limit = profile.max_distance_between_rests_m
        report = route.rests
        if report is None:
            seats = walk_seats(self.graph, path.edges, path.start, path.end)
            ends = ((path.source.lon, path.source.lat), (path.target.lon, path.target.lat))
            if route.geometry:
                ends = (tuple(route.geometry[0]), tuple(route.geometry[-1]))  # type: ignore[assignment]
            report = rests_report(
                seats, route.distance_m, ends, limit, least_bad=least_bad,
                seats_known=surroundings_read(self.graph),
            )  # fmt: skip
            route = dataclasses.replace(route, rests=report)
        if limit is None or report["keeps_limit"]:
            return route
        known = report["seats_known"]
        gap = report["longest_gap"]
        where = gap["from"]
        acc = route.accessibility
        if not known:
            place = Place(where["at_m"], where["lon"], where["lat"])
            reliance = Reliance("seat", None, report["longest_gap_m"], [place])
            verdict = "unknown" if acc.verdict == "yes" else acc.verdict
            return dataclasses.replace(
                route,
                accessibility=Accessibility(
                    verdict, acc.known_share, acc.breaks, [*acc.relies_on, reliance]
                ),
            )
        brk = Break(
            "rests", "seat", where["at_m"], where["lon"], where["lat"], report["longest_gap_m"],
            limit, "m", False,
            f"{report['longest_gap_m']:.0f} m without a seat from {gap['from']['at_m']:.0f} m to "
            f"{gap['to']['at_m']:.0f} m (limit {limit:.0f} m between rests)",
        )  # fmt: skip
        breaks = sorted([*acc.breaks, brk], key=lambda b: b.at_m)
        violation = Violation(brk.limit, brk.at_m, brk.lon, brk.lat, brk.message)
        return dataclasses.replace(
            route,
            accessibility=Accessibility("no", acc.known_share, breaks, acc.relies_on),
            violations=sorted([*route.violations, violation], key=lambda v: v.at_m),
        )

    def walk_path(
        self, origin: LatLon, destination: LatLon, *, allow_underground: bool = False
    ) -> Path | None:
        """The plain walking route (the reference for detours), or None if there is none."""
        walk = self.customize(self.profile("walk"))
        source, _ = self.snap(origin, walk, "origin", allow_underground=allow_underground)
        target, _ = self.snap(destination, walk, "destination", allow_underground=allow_underground)
        try:
            return self.shortest_path(source, target, walk)
        except NoRouteError:
            return None

    def walk_between(self, source: SnapPoint, target: SnapPoint) -> Path | None:
        """:meth:`walk_path` between points already snapped (snapping is the same for every
        profile, :meth:`snap`), or None if there is none."""
        try:
            return self.shortest_path(source, target, self.customize(self.profile("walk")))
        except NoRouteError:
            return None

    # --- the public query -------------------------------------------------------------------
    def share_memory(self) -> int:
        """Move the arrays derived at start-up into a shared file mapping; the bytes moved.

        The effective view and its event words, the report table, the spatial index, the
        landmark distances, the snap penalties and every cached metric's weights and own
        landmarks are copied into
        :func:`~routing.shared_arrays.share`'s mapping, with the same values: forked workers then
        map the pages they read instead of inheriting all of them (``stufenlos serve`` calls
        this before forking). Arrays made later (a write's new view, a new profile's metric) are
        ordinary memory, private to the process that made them. Without ``memfd_create`` nothing
        moves (0).
        """
        with self._lock:
            metrics = self.metric_cache.items()
            index_names = sorted(k for k, v in vars(self.index).items() if _movable(v))
            found: dict[int, np.ndarray] = {}
            for array in (
                *array_fields(self.effective).values(),
                *array_fields(self._events).values(),
                self._report.rows,
                *(getattr(self.index, n) for n in index_names),
                *self._snap_penalties.values(),
                *(() if self._shared_landmarks is None else (self._shared_landmarks.dist,)),
                *(a for _, m in metrics for a in array_fields(m.weights).values()),
                *(m.landmarks.dist for _, m in metrics),
            ):
                if _movable(array):
                    found.setdefault(id(array), array)
            try:
                copies = dict(zip(found, share(list(found.values())), strict=True))
            except OSError:  # pragma: no cover - Linux has memfd_create
                return 0

            def moved(array: np.ndarray) -> np.ndarray:
                return copies.get(id(array), array)

            def moved_fields(obj: Any) -> Any:
                fields = {n: moved(a) for n, a in array_fields(obj).items()}
                return dataclasses.replace(obj, **fields)

            self.effective = moved_fields(self.effective)
            self._events = moved_fields(self._events)
            if self.revision == 0:  # not the copies moved: a worker would hold them too
                self._map_attributes = (self.graph.edge, self.effective)
            self._report = dataclasses.replace(self._report, rows=moved(self._report.rows))
            for n in index_names:
                setattr(self.index, n, moved(getattr(self.index, n)))
            for k, penalty in self._snap_penalties.items():
                self._snap_penalties[k] = moved(penalty)
            if self._shared_landmarks is not None:
                self._shared_landmarks = moved_fields(self._shared_landmarks)
            shared: dict[int, Metric] = {}  # id of a cached metric -> its moved copy
            for key, metric in metrics:
                shared[id(metric)] = dataclasses.replace(
                    metric,
                    weights=moved_fields(metric.weights),
                    landmarks=moved_fields(metric.landmarks),
                )
                self.metric_cache.swap(key, shared[id(metric)])  # a kept one's original too
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

    def route_via(
        self,
        points: list[LatLon],
        profile: str | Profile = "walk",
        *,
        strict: bool = False,
        alternatives: int = 0,
        allow_underground: bool = False,
        conditions: Conditions = DEFAULT_CONDITIONS,
        **overrides: Any,
    ) -> list[Route]:
        """The route through ``points`` in order, then up to ``alternatives`` different ones.

        Alternatives (only without via points) come from the penalty method: edges of the routes
        found so far cost 1.5× more, and a new route is kept if it shares at most 80 % of its
        length with each earlier one. A search for an alternative that exceeds its budget (the
        penalised costs loosen the search's bound) ends the alternatives: the routes found
        stand, where the whole request had failed.
        """
        if len(points) < 2:
            raise InvalidCoordinateError("a route needs an origin and a destination")
        legs: list[Route] = []
        budget = self.least_bad_budget()  # the legs' together
        for a, b in itertools.pairwise(points):
            # each leg after the first goes on from the edge the last one arrived on
            arrived = legs[-1].edges[-1] if legs and legs[-1].edges else -1
            trip = Trip(
                a, b, profile, overrides, strict=strict, allow_underground=allow_underground,
                conditions=conditions, arrived_on=arrived, least_bad_labels=budget,
            )  # fmt: skip
            legs.append(self._route_trip(trip))
        main = combine_routes(legs)
        if len(legs) > 1:  # each leg starts rested: a via point is a stop
            main = dataclasses.replace(
                main,
                rests=combine_rests([leg.rests for leg in legs], [leg.distance_m for leg in legs]),
            )
        routes = [main]
        if alternatives <= 0 or len(points) != 2:
            return routes
        prof = self.profile(profile, overrides)
        metric = self.customize(prof, conditions)
        weights = metric.weights
        source, _ = self.snap(points[0], metric, "origin", allow_underground=allow_underground)
        target, _ = self.snap(points[1], metric, "destination", allow_underground=allow_underground)
        cost = weights.cost_s.copy()
        rev = self.graph.edge["reverse_edge"]
        length = self.graph.edge["length_m"]
        for _ in range(3 * alternatives):
            if len(routes) > alternatives:
                break
            used = np.array(routes[-1].edges, dtype=np.int64)
            cost[used] *= 1.5
            twins = rev[used]
            cost[twins[twins >= 0]] *= 1.5
            # the penalised copy keeps the metric's landmarks: no customisation per alternative
            penalised = metric.penalised(cost.copy())
            limit = prof.max_distance_between_rests_m
            try:
                path = (
                    self.shortest_path(source, target, penalised)
                    if limit is None
                    else self.rest_walk(source, target, penalised, limit, least_bad=False)[0]
                )
            except SearchBudgetError:  # a wish past its budget: the routes found so far stand
                break
            edges = set(int(p.edge) for p in path.pieces) | {int(rev[p.edge]) for p in path.pieces}
            own = sum(float(length[p.edge]) for p in path.pieces)
            if own <= 0:
                break
            similar = any(
                sum(float(length[e]) for e in set(r.edges) if e in edges) / own > 0.8
                for r in routes
            )
            if similar:
                continue
            pieces = path.pieces
            true_cost = sum(
                piece_cost(weights, p, last=i == len(pieces) - 1) for i, p in enumerate(pieces)
            )
            path = dataclasses.replace(path, cost_s=true_cost)
            routes.append(
                self.with_rests(
                    build_route(
                        self.graph,
                        self.report_table(),
                        prof,
                        weights,
                        path,
                        None,
                        rests=RestsAsked(limit, False, surroundings_read(self.graph)),
                    ),
                    path,
                    prof,
                )
            )
        walk_m = main.detour["walk_distance_m"] if main.detour else None
        return [main] + [
            dataclasses.replace(
                alt, detour=None if walk_m is None else detour(alt.distance_m, walk_m)
            )
            for alt in routes[1:]
        ]

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
        return self._route_trip(trip)

    def _route_trip(self, trip: Trip) -> Route:
        """The route of one trip (the steps of a batch, in order), or its error raised."""
        (route,) = route_many(self, [trip])
        if isinstance(route, Exception):
            raise route
        return route

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

        The nearest points the profile can start and end at (:meth:`snap_usable`); if a search
        between them breaks no limit, one record per end that moved: ``{"role", "distance_m"``
        (straight line from that end to the place asked for)``, "bearing_deg"`` (from the place
        asked for to that end, 0 = north, clockwise: the steps say which way it lies)``, "lon",
        "lat", "reason"`` (the limits the route to the place itself breaks)``}``. Empty when there
        is no such route.
        """
        s = self.snap_usable(origin, metric, "origin", allow_underground=allow_underground)
        t = self.snap_usable(
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
