"""The Router: snap → weights → search → path, around the numba kernels.

One object per loaded graph. Weights are computed per profile (vectorised, a few milliseconds)
and cached; each thread gets its own search workspace, so the FastAPI threadpool can route
concurrently. Typical use::

    router = Router(load_graph(path))
    route = router.route((49.4447, 7.7690), (49.4400, 7.7550), profile="wheelchair",
                         max_kerb_height_cm=4)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility_rules.effective import EffectiveEdges, effective_edges
from accessibility_rules.profile import Profile, load_preset, make_profile
from accessibility_rules.weights import VIOLATION_PENALTY_S, EdgeWeights, compute_weights
from graphs.model import CompiledGraph
from routing import _kernels
from routing.errors import InvalidCoordinateError, NoRouteError, OutOfAreaError
from routing.landmarks import Landmarks, choose_landmarks, compute_landmarks
from routing.report import ReportTable, build_route, combine_routes
from routing.snapping import SnapPoint, SpatialIndex
from routing.walking import detour

if TYPE_CHECKING:
    from routing.route import Route

#: Default distance within which a point snaps to a path; farther is "out of area".
DEFAULT_MAX_SNAP_M = 250.0
_WEIGHT_CACHE_SIZE = 64

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class PathPiece:
    """Part of a directed edge walked from fraction ``start`` to ``end`` (0 = tail, 1 = head)."""

    edge: int
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Path:
    """A search result: the directed edges walked in order, and where the walk starts on the
    first edge and ends on the last (fractions 0 = tail, 1 = head), its cost and end points."""

    edges: np.ndarray  # int64, walking order
    start: float
    end: float
    cost_s: float
    source: SnapPoint
    target: SnapPoint
    settled_nodes: int

    @property
    def pieces(self) -> tuple[PathPiece, ...]:
        """The walk as pieces of edges (built on demand)."""
        e = [int(x) for x in self.edges]
        if len(e) == 1:
            return (PathPiece(e[0], self.start, self.end),)
        middle = tuple(PathPiece(x, 0.0, 1.0) for x in e[1:-1])
        return (PathPiece(e[0], self.start, 1.0), *middle, PathPiece(e[-1], 0.0, self.end))


def piece_cost(weights: EdgeWeights, piece: PathPiece, *, last: bool) -> float:
    """Cost of one piece: the travelled share, the head transition unless it is the last piece."""
    e = piece.edge
    cost = (piece.end - piece.start) * float(weights.travel_s[e])
    if not last:
        cost += float(weights.transition_s[e])
    if weights.violations[e]:  # the fixed part, plus the share of the length-dependent part
        extra = float(weights.violation_s[e]) - VIOLATION_PENALTY_S
        cost += VIOLATION_PENALTY_S + (piece.end - piece.start) * extra
    return cost


class _Workspace:
    """Per-thread search arrays, reused across queries via generation stamps."""

    def __init__(self, n: int, m: int) -> None:
        self.dist = np.zeros(n, dtype=np.float64)
        self.pred = np.full(n, -1, dtype=np.int64)
        self.stamp = np.zeros(n, dtype=np.int64)
        self.closed = np.zeros(n, dtype=np.int64)
        self.marked = np.zeros(n, dtype=np.int64)
        self.heap_key = np.zeros(m + 8, dtype=np.float64)
        self.heap_node = np.zeros(m + 8, dtype=np.int64)
        self.path = np.zeros(m + 2, dtype=np.int64)
        self.gen = 0

    def next_gen(self) -> int:
        self.gen += 1
        return self.gen


def check_latlon(point: LatLon, role: str) -> tuple[float, float]:
    """Validate a (lat, lon) pair; return it as floats or raise InvalidCoordinateError."""
    try:
        lat, lon = float(point[0]), float(point[1])
    except (TypeError, ValueError, IndexError):
        raise InvalidCoordinateError(
            f"{role} must be a (latitude, longitude) pair", field=role
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InvalidCoordinateError(
            f"{role} has a coordinate that is not a finite number", field=role
        )
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InvalidCoordinateError(
            f"{role} ({lat}, {lon}) is not a latitude in [-90, 90] and longitude in [-180, 180]",
            field=role,
        )
    return lat, lon


class Router:
    """Routes on one compiled graph for any profile."""

    def __init__(
        self,
        graph: CompiledGraph,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        use_landmarks: bool = True,
    ) -> None:
        self.graph = graph
        self.use_landmarks = use_landmarks
        self.max_snap_m = max_snap_m
        self.index = SpatialIndex(graph)
        frame = self.index.frame
        self.node_x, self.node_y = (
            np.ascontiguousarray(a) for a in frame.project(graph.node["lon"], graph.node["lat"])
        )
        self._h_factor = frame.distance_underestimate(
            float(graph.node["lat"].min()), float(graph.node["lat"].max())
        )
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cache: OrderedDict[Profile, EdgeWeights] = OrderedDict()
        self.effective: EffectiveEdges = effective_edges(graph)
        self._report = ReportTable.build(graph.edge, self.effective)
        self.revision = 0
        self._landmark_nodes = choose_landmarks(self.node_x, self.node_y)
        self._landmark_cache: OrderedDict[int, tuple[EdgeWeights, Landmarks]] = OrderedDict()
        self._no_landmarks = Landmarks(np.zeros(0, dtype=np.int64), np.zeros((graph.node_count, 0)))

    # --- profiles and weights -------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute effective attributes after the graph's arrays were patched (obstacles)."""
        self.replace_attributes(self.graph.edge, self.graph.node)

    def replace_attributes(self, edge: dict[str, np.ndarray], node: dict[str, np.ndarray]) -> None:
        """Swap in new attribute arrays (obstacle patches) atomically with their effective view.

        Queries read ``graph.edge`` and ``effective`` together under the lock, so none sees new
        raw arrays with an old effective view; cached weights and landmarks are dropped.
        """
        eff = effective_edges(dataclasses.replace(self.graph, edge=edge, node=node))
        report = ReportTable.build(edge, eff)
        with self._lock:
            self.graph.edge = edge
            self.graph.node = node
            self.effective = eff
            self._report = report
            self._cache.clear()
            self._landmark_cache.clear()
            self.revision += 1

    def report_table(self) -> ReportTable:
        """What route reports read, stacked per edge (consistent with the current attributes)."""
        with self._lock:
            return self._report

    def attributes(self) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
        """The current raw edge arrays and effective view, read together (a consistent pair)."""
        with self._lock:
            return self.graph.edge, self.effective

    def weights(self, profile: Profile) -> EdgeWeights:
        """Edge weights of ``profile`` (cached per profile and graph revision)."""
        key = profile  # profiles are frozen and hashable
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            eff, edge = self.effective, self.graph.edge
        weights = compute_weights(profile, edge, eff)
        with self._lock:
            if self.effective is eff:
                self._cache[key] = weights
                while len(self._cache) > _WEIGHT_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return weights

    @staticmethod
    def profile(
        profile: str | Profile = "walk", overrides: Mapping[str, Any] | None = None
    ) -> Profile:
        """A preset (by name) or a profile, with overrides applied and validated."""
        if not overrides:
            return profile if isinstance(profile, Profile) else load_preset(profile)
        return make_profile(profile, dict(overrides))

    # --- snapping -----------------------------------------------------------------------------
    def _workspace(self) -> _Workspace:
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.dist.shape[0] != self.graph.node_count:
            ws = _Workspace(self.graph.node_count, self.graph.edge_count)
            self._local.ws = ws
        return ws

    def snap(
        self, point: LatLon, weights: EdgeWeights, role: str = "origin"
    ) -> tuple[SnapPoint, bool]:
        """Snap ``(lat, lon)`` to the nearest usable edge; fall back to any edge.

        Returns the snap and whether it lies on an edge that honours the profile. Raises
        :class:`OutOfAreaError` with the distance when no path is within ``max_snap_m``.
        """
        lat, lon = check_latlon(point, role)
        hit = self.index.snap(lon, lat, weights.violations, self.max_snap_m)
        if hit is not None:
            return hit, True
        hit = self.index.snap(lon, lat, None, self.max_snap_m)
        if hit is not None:
            return hit, False
        nearest = self.index.snap(lon, lat, None, 1.0e7)
        far = f"{nearest.distance_m / 1000:.1f} km" if nearest else "very far"
        raise OutOfAreaError(
            f"{role} ({lat:.6f}, {lon:.6f}) is {far} from the nearest path of this map; "
            f"points must be within {self.max_snap_m:.0f} m of a path",
            field=role,
            distance_m=round(nearest.distance_m, 1) if nearest else None,
            max_distance_m=self.max_snap_m,
        )

    # --- search --------------------------------------------------------------------------------
    def start_pieces(self, snap: SnapPoint) -> list[PathPiece]:
        """The directed pieces from a snapped point to each end node of its edge."""
        e, f = snap.edge, snap.fraction
        pieces = [PathPiece(e, f, 1.0)]
        rev = int(self.graph.edge["reverse_edge"][e])
        if rev >= 0:
            pieces.append(PathPiece(rev, 1.0 - f, 1.0))
        return pieces

    def landmarks(self, weights: EdgeWeights) -> Landmarks:
        """The ALT landmark distances of ``weights`` (computed once per weights, then cached)."""
        key = id(weights)
        with self._lock:
            hit = self._landmark_cache.get(key)
        if hit is not None and hit[0] is weights:
            return hit[1]
        lm = compute_landmarks(self.graph, weights, self._landmark_nodes)
        with self._lock:
            self._landmark_cache[key] = (weights, lm)
            while len(self._landmark_cache) > _WEIGHT_CACHE_SIZE:
                self._landmark_cache.popitem(last=False)
        return lm

    def shortest_path(
        self,
        source: SnapPoint,
        target: SnapPoint,
        weights: EdgeWeights,
        *,
        bounds: EdgeWeights | None = None,
    ) -> Path:
        """Least-cost path between two snapped points under ``weights`` (A* with landmarks).

        ``bounds`` are weights that never exceed ``weights`` (default: ``weights`` itself);
        their landmarks give the heuristic, so searches on penalised copies reuse them.
        """
        g = self.graph
        starts = self.start_pieces(source)
        exits = self.exit_pieces(target)
        src_nodes = np.array([g.head[p.edge] for p in starts], dtype=np.int64)
        src_costs = np.array([piece_cost(weights, p, last=False) for p in starts])
        tgt_nodes = np.array([g.tail[p.edge] for p in exits], dtype=np.int64)
        tgt_costs = np.array([piece_cost(weights, p, last=True) for p in exits])
        lm = self.landmarks(bounds or weights) if self.use_landmarks else self._no_landmarks
        ws = self._workspace()
        gen = ws.next_gen()
        tx, ty = self.index.frame.project(target.lon, target.lat)
        best, exit_i, settled = _kernels.astar(
            g.first_out, g.head, weights.cost_s, self.node_x, self.node_y,
            src_nodes, src_costs, tgt_nodes, tgt_costs, float(tx), float(ty),
            self._h_factor * (bounds or weights).min_cost_per_m, lm.dist, lm.at(tgt_nodes),
            ws.dist, ws.pred, ws.stamp, ws.closed, gen, ws.heap_key, ws.heap_node,
        )  # fmt: skip
        direct = self.direct_piece(source, target, weights)
        if direct is not None and direct[1] <= best:
            piece = direct[0]
            return Path(
                np.array([piece.edge]), piece.start, piece.end, direct[1], source, target, settled
            )
        if exit_i < 0:
            raise NoRouteError("the destination cannot be reached from the origin on this map")
        count = _kernels.extract_path(ws.pred, g.tail, int(tgt_nodes[exit_i]), ws.path)
        first_node = int(g.tail[ws.path[0]]) if count else int(tgt_nodes[exit_i])
        start = min(
            (p for p, node in zip(starts, src_nodes, strict=True) if node == first_node),
            key=lambda p: piece_cost(weights, p, last=False),
        )
        edges = np.empty(count + 2, dtype=np.int64)
        edges[0] = start.edge
        edges[1 : count + 1] = ws.path[:count]
        edges[-1] = exits[exit_i].edge
        return Path(edges, start.start, exits[exit_i].end, float(best), source, target, settled)

    def exit_pieces(self, snap: SnapPoint) -> list[PathPiece]:
        """The directed pieces from each end node of a snapped point's edge to the point."""
        return [PathPiece(p.edge, 0.0, p.start) for p in self.start_pieces(snap)]

    def direct_piece(
        self, source: SnapPoint, target: SnapPoint, weights: EdgeWeights
    ) -> tuple[PathPiece, float] | None:
        """Walking along a single edge when both points lie on the same street piece."""
        rev = int(self.graph.edge["reverse_edge"][source.edge])
        if target.edge == source.edge:
            fs, ft = source.fraction, target.fraction
        elif rev >= 0 and target.edge == rev:
            fs, ft = source.fraction, 1.0 - target.fraction
        else:
            return None
        piece = PathPiece(source.edge, fs, ft) if ft >= fs else PathPiece(rev, 1.0 - fs, 1.0 - ft)
        if piece.edge < 0:
            return None
        return piece, piece_cost(weights, piece, last=True)

    def walk_path(self, origin: LatLon, destination: LatLon) -> Path | None:
        """The plain walking route (the reference for detours), or None if there is none."""
        walk = self.profile("walk")
        walk_w = self.weights(walk)
        source, _ = self.snap(origin, walk_w, "origin")
        target, _ = self.snap(destination, walk_w, "destination")
        try:
            return self.shortest_path(source, target, walk_w)
        except NoRouteError:
            return None

    # --- the public query -------------------------------------------------------------------
    def warm_up(self) -> None:
        """Compile (or load from numba's cache) the kernels before the first real query."""
        n = self.graph.node_count
        lat, lon = float(self.graph.node["lat"][0]), float(self.graph.node["lon"][0])
        lat2, lon2 = float(self.graph.node["lat"][n - 1]), float(self.graph.node["lon"][n - 1])
        self.route((lat, lon), (lat2, lon2), "walk")

    def route_via(
        self,
        points: list[LatLon],
        profile: str | Profile = "walk",
        *,
        strict: bool = False,
        alternatives: int = 0,
        **overrides: Any,
    ) -> list[Route]:
        """The route through ``points`` in order, then up to ``alternatives`` different ones.

        Alternatives (only without via points) come from the penalty method: edges of the routes
        found so far cost 1.5× more, and a new route is kept if it shares at most 80 % of its
        length with each earlier one.
        """
        if len(points) < 2:
            raise InvalidCoordinateError("a route needs an origin and a destination")
        legs = [
            self.route(a, b, profile, strict=strict, **overrides)
            for a, b in itertools.pairwise(points)
        ]
        main = combine_routes(legs)
        routes = [main]
        if alternatives <= 0 or len(points) != 2:
            return routes
        prof = self.profile(profile, overrides)
        weights = self.weights(prof)
        source, ok_s = self.snap(points[0], weights, "origin")
        target, ok_t = self.snap(points[1], weights, "destination")
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
            path = self.shortest_path(
                source, target, dataclasses.replace(weights, cost_s=cost.copy())
            )
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
                build_route(
                    self.graph,
                    self.report_table(),
                    prof,
                    weights,
                    path,
                    None,
                    snapped_on_usable=ok_s and ok_t,
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
        **overrides: Any,
    ) -> Route:
        """Best route from ``origin`` to ``destination`` (``(lat, lon)``) for a profile.

        If no route honours the profile's hard limits, the least-bad route is returned with
        ``fully_accessible = False`` and every broken limit located — unless ``strict``, which
        raises :class:`NoRouteError` naming the limits that block the way.
        """
        prof = self.profile(profile, overrides)
        weights = self.weights(prof)
        source, source_ok = self.snap(origin, weights, "origin")
        target, target_ok = self.snap(destination, weights, "destination")
        path = self.shortest_path(source, target, weights)
        walk_path = None
        if compare_walk:
            plain_walk = prof == self.profile("walk")
            walk_path = path if plain_walk else self.walk_path(origin, destination)
        route = build_route(
            self.graph, self.report_table(), prof, weights, path, walk_path,
            snapped_on_usable=source_ok and target_ok,
        )  # fmt: skip
        if strict and not route.fully_accessible:
            limits = sorted({v.limit for v in route.violations})
            raise NoRouteError(
                "no route honours the profile's limits; the destination is reachable only by "
                f"breaking: {', '.join(limits)}",
                broken_limits=limits,
                violations=[v.as_dict() for v in route.violations[:20]],
            )
        return route
