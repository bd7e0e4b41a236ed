"""Obstacles reported by city staff, as time-bounded patches of edge and node attributes.

A construction site that closes a sidewalk, an elevator out of service, a kerb lowered last week,
a sidewalk narrowed by scaffolding: each is a *geometry* (where) and an :class:`ObstacleEffect`
(what changes there). The effect does not carry costs of its own; it rewrites the same attribute
arrays the OSM build writes (``closed``, ``width_m``, ``kerb_height_cm`` …), so that the rules of
:mod:`accessibility_rules.weights` turn it into costs and hard limits for every profile alike
(a 0.8 m passage stops a wheelchair but not a walker; a closed sidewalk stops everyone).

Three steps, each its own name:

1. :func:`match_geometry` finds the edges and nodes a GeoJSON geometry (WGS84 lon/lat) refers to,
   in the router's local metric frame, with a shapely STRtree over the edge polylines built once
   per graph. Points take what lies within the tolerance, lines take the paths they run *along*
   (not every street they cross), polygons take what they cover. The result is an
   :class:`ObstacleMatch` (both directions of every matched piece) that staff can review.
2. :class:`ObstacleEffect` is the validated attribute patch (units in the names, ranges enforced,
   NaN rejected, an effect that changes nothing rejected).
3. :class:`ObstacleOverlay` applies the set of currently active obstacles to a
   :class:`~routing.engine.Router`: pristine arrays + patches → new arrays, swapped in as new
   dictionaries (never modified in place, so a query running concurrently keeps a consistent
   view), then :meth:`~routing.engine.Router.refresh`. Applying is idempotent and complete: the
   active list *replaces* the previous one, and ``apply([])`` restores the OSM state exactly.

Node-level effects (``closed``, ``wheelchair``) reach the matched *nodes* only when the geometry is
a point (or multipoint): a point on a crossing closes the crossing itself. For lines and areas
they act on the matched edges alone, since the nodes along a closed sidewalk are also where the
crossing streets start, and those stay open. ``kerb_height_cm`` is the exception by design: a kerb
*is* a node feature, so it goes to the matched nodes whatever the geometry, and to the matched
edges only when the match has no node.

The time bounds are the caller's: whoever stores obstacles decides which are active now and calls
:meth:`ObstacleOverlay.apply` with exactly those. :meth:`ObstacleOverlay.passed_and_avoided` then
tells which of them a route passes and which it avoids.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import shapely
import shapely.geometry
from pydantic import BaseModel, ConfigDict, Field, model_validator
from shapely.errors import ShapelyError

from accessibility_rules.attributes import (
    KerbHeightSource,
    Smoothness,
    SurfaceClass,
    Wheelchair,
)
from accessibility_rules.profile import SmoothnessName, SurfaceName
from accessibility_rules.tags import kerb_kind_from_height
from graphs.model import INVALID_ID, CompiledGraph

if TYPE_CHECKING:
    from routing.engine import Router
    from routing.route import Route
    from routing.snapping import LocalFrame, SpatialIndex

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "EDGE_PATCHED_ATTRIBUTES",
    "LINE_COVER_SHARE",
    "NODE_PATCHED_ATTRIBUTES",
    "SHORT_EDGE_TOLERANCES",
    "EdgeGeometryIndex",
    "ObstacleEffect",
    "ObstacleMatch",
    "ObstacleMatchError",
    "ObstacleOverlay",
    "edge_geometry_index",
    "match_geometry",
]

#: Default distance (metres) within which a drawn geometry refers to a path or node.
DEFAULT_TOLERANCE_M = 5.0
#: Largest accepted tolerance: beyond this a geometry no longer says which path it means.
MAX_TOLERANCE_M = 100.0
#: A line matches an edge when at least this share of the edge lies within the tolerance.
LINE_COVER_SHARE = 0.5
#: Edges shorter than this many tolerances must lie *entirely* within a line's tolerance: the
#: first few metres of every crossing street lie next to a closed sidewalk, and on a short
#: crossing edge that would already be half of it.
SHORT_EDGE_TOLERANCES = 3.0
#: Edge attributes an obstacle can change (the overlay keeps pristine copies of exactly these).
EDGE_PATCHED_ATTRIBUTES: tuple[str, ...] = (
    "closed", "width_m", "kerb", "kerb_height_cm", "surface", "smoothness", "is_steps",
    "step_count", "wheelchair",
)  # fmt: skip
#: Node attributes an obstacle can change.
NODE_PATCHED_ATTRIBUTES: tuple[str, ...] = (
    "closed", "kerb", "kerb_height_cm", "kerb_height_source", "wheelchair",
)  # fmt: skip

_GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)
_POINT_TYPES = frozenset({"Point", "MultiPoint"})
_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
_TYPE_ID_POINT, _TYPE_ID_LINE, _TYPE_ID_POLYGON = 0, 1, 3


# --- the effect ------------------------------------------------------------------------------
class ObstacleEffect(BaseModel):
    """What an obstacle changes on the paths it is matched to (an attribute patch).

    Every field left at its default changes nothing; at least one must be set. Units are in the
    names; values out of range, NaN and infinity are rejected, never clamped.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    closed: bool = Field(
        default=False, description="Impassable for everyone (a closed sidewalk or crossing)."
    )
    width_m: float | None = Field(
        default=None,
        ge=0.0,
        le=20.0,
        allow_inf_nan=False,
        description="The passage is narrowed to this clear width in metres (never widened).",
    )
    kerb_height_cm: float | None = Field(
        default=None,
        ge=0.0,
        le=50.0,
        allow_inf_nan=False,
        description=(
            "A kerb of this height in centimetres at the matched nodes (on the matched edges if "
            "no node matched); also corrects a kerb, e.g. 'lowered to 2 cm'."
        ),
    )
    surface: SurfaceName | None = Field(default=None, description="The surface is now this.")
    smoothness: SmoothnessName | None = Field(
        default=None, description="The smoothness is now this."
    )
    step_count: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="The way is steps with this many steps (e.g. a ramp removed).",
    )
    elevator_out_of_service: bool = Field(
        default=False,
        description=(
            "Closes the matched elevator edges and nodes; if the match holds no elevator, "
            "closes the matched edges."
        ),
    )
    wheelchair: Literal["yes", "limited", "no"] | None = Field(
        default=None, description="The OSM wheelchair=* judgement for the matched paths."
    )

    @model_validator(mode="after")
    def _changes_something(self) -> ObstacleEffect:
        if not (self.closed or self.elevator_out_of_service) and all(
            getattr(self, name) is None
            for name in (
                "width_m", "kerb_height_cm", "surface", "smoothness", "step_count", "wheelchair",
            )
        ):  # fmt: skip
            raise ValueError(
                "the obstacle effect changes nothing: set closed, width_m, kerb_height_cm, "
                "surface, smoothness, step_count, elevator_out_of_service or wheelchair"
            )
        return self


# --- the match -------------------------------------------------------------------------------
class ObstacleMatchError(ValueError):
    """A geometry is not usable for an obstacle or refers to no path of the map."""


def _frozen_ids(values: Any) -> np.ndarray:
    arr = np.unique(np.asarray(values, dtype=np.int64).ravel())
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class ObstacleMatch:
    """The edges and nodes an obstacle's geometry refers to.

    ``edges`` holds both directions of every matched piece of way; both arrays are sorted,
    unique, read-only ``int64``. ``geometry_type`` is the GeoJSON type that was matched; node-level
    effects (closed, wheelchair) reach ``nodes`` only for point geometries. Ids are only valid for
    the graph they were matched on: store the geometry, not the ids, and match again after a
    rebuild.
    """

    edges: np.ndarray
    nodes: np.ndarray
    geometry_type: str = "Point"

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", _frozen_ids(self.edges))
        object.__setattr__(self, "nodes", _frozen_ids(self.nodes))

    @property
    def is_point(self) -> bool:
        """Whether the matched geometry was a point or multipoint."""
        return self.geometry_type in _POINT_TYPES

    def pieces(self, graph: CompiledGraph) -> np.ndarray:
        """The matched edges with each two-way piece once (the direction with the lower id)."""
        rev = graph.edge["reverse_edge"][self.edges]
        return self.edges[(rev < 0) | (self.edges < rev)]

    def as_dict(self, graph: CompiledGraph) -> dict[str, Any]:
        """What staff see: counts, total length, street names and the matched geometry.

        ``edge_count`` counts directed edges (a two-way piece twice), ``piece_count`` pieces of
        way; ``length_m`` sums each piece once; ``geometry`` is a GeoJSON MultiLineString in
        lon/lat.
        """
        pieces = self.pieces(graph)
        names = {graph.edge_name(int(e)) for e in pieces}
        lines = [
            [[round(float(lon), 7), round(float(lat), 7)] for lon, lat in graph.edge_coords(int(e))]
            for e in pieces
        ]
        return {
            "edge_count": int(self.edges.size),
            "piece_count": int(pieces.size),
            "node_count": int(self.nodes.size),
            "length_m": round(float(graph.edge["length_m"][pieces].sum()), 1),
            "street_names": sorted(n for n in names if n),
            "geometry_type": self.geometry_type,
            "geometry": {"type": "MultiLineString", "coordinates": lines},
        }


class EdgeGeometryIndex:
    """Edge polylines and node points of one graph in a local metric frame, with STRtrees.

    Each two-way piece of way is indexed once (``canonical_edges``, as in the snapping index).
    Built once per graph (about 10 ms for the city) by :func:`edge_geometry_index`.
    """

    def __init__(
        self, graph: CompiledGraph, frame: LocalFrame, canonical_edges: np.ndarray
    ) -> None:
        self.graph = graph
        self.frame = frame
        self.canonical_edges = np.asarray(canonical_edges, dtype=np.int64)
        self.geom_first = graph.geom_first
        first = graph.geom_first
        counts = np.diff(first)[self.canonical_edges]
        starts = np.repeat(first[self.canonical_edges], counts)
        point_ids = (
            starts
            + np.arange(int(counts.sum()), dtype=np.int64)
            - np.repeat(np.cumsum(counts) - counts, counts)
        )
        gx, gy = frame.project(graph.geom_lon[point_ids], graph.geom_lat[point_ids])
        part = np.repeat(np.arange(self.canonical_edges.size), counts)
        self.lines = shapely.linestrings(np.column_stack((gx, gy)), indices=part)
        self.lengths = shapely.length(self.lines)
        self.edge_tree = shapely.STRtree(self.lines)
        nx, ny = frame.project(graph.node["lon"], graph.node["lat"])
        self.node_points = shapely.points(np.asarray(nx), np.asarray(ny))
        self.node_tree = shapely.STRtree(self.node_points)


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
    built = EdgeGeometryIndex(graph, index.frame, index.canonical_edges)
    with _INDEX_LOCK:
        _INDEX_CACHE[key] = built
        _INDEX_CACHE.move_to_end(key)
        while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
    return built


def _parse_geometry(geometry: Mapping[str, Any] | shapely.Geometry) -> shapely.Geometry:
    """Validate a GeoJSON geometry (WGS84 lon/lat) and return it as a shapely geometry."""
    allowed = ", ".join(_GEOMETRY_TYPES)
    if isinstance(geometry, shapely.Geometry):
        geom = geometry
    elif isinstance(geometry, Mapping):
        kind = geometry.get("type")
        if kind not in _GEOMETRY_TYPES:
            raise ObstacleMatchError(
                f"the geometry must be a GeoJSON geometry of type {allowed}, not {kind!r}"
            )
        if "coordinates" not in geometry:
            raise ObstacleMatchError(f"the GeoJSON {kind} has no 'coordinates'")
        try:
            geom = shapely.geometry.shape(geometry)
        except (ShapelyError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ObstacleMatchError(f"the GeoJSON {kind} is malformed ({detail})") from None
    else:
        raise ObstacleMatchError(
            f"the geometry must be a GeoJSON object (a dict), not {type(geometry).__name__}"
        )
    if geom.geom_type not in _GEOMETRY_TYPES:
        raise ObstacleMatchError(f"the geometry must be of type {allowed}, not {geom.geom_type}")
    coords = shapely.get_coordinates(geom)
    if not np.all(np.isfinite(coords)):
        raise ObstacleMatchError("the geometry has a coordinate that is not a finite number")
    if geom.is_empty or coords.size == 0:
        raise ObstacleMatchError("the geometry is empty")
    lon, lat = coords[:, 0], coords[:, 1]
    if not (np.all(np.abs(lon) <= 180.0) and np.all(np.abs(lat) <= 90.0)):
        raise ObstacleMatchError(
            "the geometry has a coordinate outside longitude [-180, 180] / latitude [-90, 90] "
            "(GeoJSON order is [longitude, latitude])"
        )
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        if geom.geom_type not in _POLYGON_TYPES:
            raise ObstacleMatchError(f"the {geom.geom_type} is not valid ({reason})")
        parts = shapely.get_parts(shapely.make_valid(geom))
        polygons = parts[shapely.get_type_id(parts) == _TYPE_ID_POLYGON]
        polygons = polygons[~shapely.is_empty(polygons)] if polygons.size else polygons
        if polygons.size == 0:
            raise ObstacleMatchError(f"the {geom.geom_type} encloses no area ({reason})")
        geom = shapely.multipolygons(polygons) if polygons.size > 1 else polygons[0]
    return geom


def match_geometry(
    graph: CompiledGraph,
    index: SpatialIndex,
    geometry: Mapping[str, Any] | shapely.Geometry,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> ObstacleMatch:
    """The edges and nodes a GeoJSON geometry (WGS84 lon/lat) refers to.

    Parameters
    ----------
    graph, index
        The router's graph and its :class:`~routing.snapping.SpatialIndex` (``router.graph``,
        ``router.index``); matching happens in the index's local metric frame.
    geometry
        A GeoJSON geometry dict (Point, LineString, Polygon or their Multi* forms) or a shapely
        geometry, in longitude/latitude. Self-intersecting polygons are repaired with
        ``make_valid``.
    tolerance_m
        How far (metres) a drawn geometry may lie from the path it means.

    Returns
    -------
    ObstacleMatch
        *Points*: every edge passing within the tolerance and every node within it (a point on a
        node takes the node and the edges meeting there). *Lines*: every edge lying within the
        tolerance of the line for at least :data:`LINE_COVER_SHARE` of its length (entirely, if
        it is shorter than :data:`SHORT_EDGE_TOLERANCES` tolerances), so that a closed sidewalk
        does not take the crossing streets; plus the nodes within the tolerance of the line.
        *Polygons*: every edge meeting the polygon grown by the tolerance, and the nodes inside.
        Both directions of every matched piece are included.

    Raises
    ------
    ObstacleMatchError
        The geometry is malformed, empty, not finite, outside lon/lat ranges, or refers to no
        path (the message names the distance to the nearest path).
    """
    if not (math.isfinite(tolerance_m) and 0.0 < tolerance_m <= MAX_TOLERANCE_M):
        raise ObstacleMatchError(
            f"tolerance_m must be a number in (0, {MAX_TOLERANCE_M:g}] metres, not {tolerance_m!r}"
        )
    geom = _parse_geometry(geometry)
    geo = edge_geometry_index(graph, index)
    frame = geo.frame

    def to_frame(xy: np.ndarray) -> np.ndarray:
        x, y = frame.project(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    local = shapely.transform(geom, to_frame)
    parts = shapely.get_parts(local)
    types = shapely.get_type_id(parts)
    points = parts[types == _TYPE_ID_POINT]
    lines = parts[types == _TYPE_ID_LINE]
    polygons = parts[types == _TYPE_ID_POLYGON]

    hits: list[np.ndarray] = []
    node_hits: list[np.ndarray] = []
    if points.size:
        hits.append(geo.edge_tree.query(points, predicate="dwithin", distance=tolerance_m)[1])
        node_hits.append(geo.node_tree.query(points, predicate="dwithin", distance=tolerance_m)[1])
    line_candidates = False
    if lines.size:
        zone = shapely.union_all(shapely.buffer(lines, tolerance_m))
        cand = geo.edge_tree.query(zone, predicate="intersects")
        line_candidates = cand.size > 0
        inside = shapely.length(shapely.intersection(geo.lines[cand], zone))
        short = geo.lengths[cand] < SHORT_EDGE_TOLERANCES * tolerance_m
        covered = shapely.covered_by(geo.lines[cand], zone)
        ok = np.where(short, covered, inside >= LINE_COVER_SHARE * geo.lengths[cand])
        hits.append(cand[ok])
        node_hits.append(geo.node_tree.query(lines, predicate="dwithin", distance=tolerance_m)[1])
    if polygons.size:
        area = shapely.union_all(polygons)
        hits.append(geo.edge_tree.query(shapely.buffer(area, tolerance_m), predicate="intersects"))
        node_hits.append(geo.node_tree.query(area, predicate="intersects"))

    canonical = geo.canonical_edges[np.unique(np.concatenate(hits))].astype(np.int64)
    nodes = np.unique(np.concatenate(node_hits)).astype(np.int64)
    if canonical.size == 0 and nodes.size == 0:
        _, dist = geo.edge_tree.query_nearest(parts, return_distance=True, all_matches=False)
        nearest = float(np.min(dist)) if dist.size else math.inf
        if line_candidates:
            raise ObstacleMatchError(
                "the line runs along no path of the map: it only crosses or touches paths "
                f"(a path is taken when at least {LINE_COVER_SHARE:.0%} of it lies within "
                f"{tolerance_m:g} m of the line)"
            )
        raise ObstacleMatchError(
            f"the geometry touches no path of the map (nearest path is {nearest:.0f} m away; "
            f"tolerance {tolerance_m:g} m)"
        )
    rev = graph.edge["reverse_edge"][canonical].astype(np.int64)
    edges = np.concatenate((canonical, rev[rev != INVALID_ID]))
    return ObstacleMatch(edges=edges, nodes=nodes, geometry_type=geom.geom_type)


def _concat_ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, stop)`` for each pair (vectorised)."""
    counts = (stops - starts).astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts.astype(np.int64), counts) + np.arange(total, dtype=np.int64) - offsets


# --- the overlay -----------------------------------------------------------------------------
_ActiveObstacle = tuple[str, ObstacleMatch, ObstacleEffect]


class ObstacleOverlay:
    """The live effect of the active obstacles on one :class:`~routing.engine.Router`.

    Create it once per router, before anything else patches the router's graph: it keeps pristine
    copies of the patchable arrays (:data:`EDGE_PATCHED_ATTRIBUTES`,
    :data:`NODE_PATCHED_ATTRIBUTES`). Then call :meth:`apply` with the complete list of active
    obstacles whenever it changes (an obstacle created, edited, expired or deleted).
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        graph = router.graph
        self._edge_count = graph.edge_count
        self._node_count = graph.node_count
        self._pristine_edge = {
            k: np.array(graph.edge[k], copy=True) for k in EDGE_PATCHED_ATTRIBUTES
        }
        self._pristine_node = {
            k: np.array(graph.node[k], copy=True) for k in NODE_PATCHED_ATTRIBUTES
        }
        for arr in (*self._pristine_edge.values(), *self._pristine_node.values()):
            arr.setflags(write=False)  # shared with the live graph when unpatched: never written
        self._edge_is_elevator = np.asarray(graph.edge["is_elevator"], dtype=bool)
        self._node_is_elevator = np.asarray(graph.node["is_elevator"], dtype=bool)
        in_order = np.argsort(graph.head, kind="stable").astype(np.int64)
        self._in_order = in_order
        self._in_first = np.zeros(self._node_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(graph.head, minlength=self._node_count), out=self._in_first[1:])
        self._lock = threading.Lock()
        self._pristine_now = True  # the router's graph holds the arrays as mapped
        # (ids, matched edges concatenated, index into ids of each): replaced as one tuple
        empty = np.zeros(0, dtype=np.int64)
        self._lookup: tuple[tuple[str, ...], np.ndarray, np.ndarray] = ((), empty, empty)

    @property
    def applied_ids(self) -> list[str]:
        """Ids of the obstacles applied last, in the order given."""
        return list(dict.fromkeys(self._lookup[0]))

    def _check(self, active: Sequence[_ActiveObstacle]) -> list[_ActiveObstacle]:
        items = list(active)
        for i, item in enumerate(items):
            if not (isinstance(item, tuple) and len(item) == 3):
                raise TypeError(f"active[{i}] must be a tuple (id, ObstacleMatch, ObstacleEffect)")
            oid, match, effect = item
            if not isinstance(oid, str):
                raise TypeError(f"active[{i}]: the obstacle id must be a str")
            if not isinstance(match, ObstacleMatch) or not isinstance(effect, ObstacleEffect):
                raise TypeError(f"obstacle {oid!r}: expected an ObstacleMatch and ObstacleEffect")
            bad_edges = match.edges.size and (
                match.edges[0] < 0 or match.edges[-1] >= self._edge_count
            )
            bad_nodes = match.nodes.size and (
                match.nodes[0] < 0 or match.nodes[-1] >= self._node_count
            )
            if bad_edges or bad_nodes:
                raise ValueError(
                    f"obstacle {oid!r} was matched on another graph: its ids are out of range"
                )
        return items

    def _entering(self, nodes: np.ndarray) -> np.ndarray:
        """Edges whose head is one of ``nodes`` (they carry the node's kerb, barrier …)."""
        return self._in_order[_concat_ranges(self._in_first[nodes], self._in_first[nodes + 1])]

    def _leaving(self, nodes: np.ndarray) -> np.ndarray:
        first_out = self.router.graph.first_out
        return _concat_ranges(first_out[nodes], first_out[nodes + 1])

    def _patch(
        self, items: list[_ActiveObstacle]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[np.ndarray]]:
        """Fresh copies of the touched arrays with every patch applied in order, and for each
        obstacle the directed edges whose (effective) attributes it changes."""
        edge: dict[str, np.ndarray] = {}
        node: dict[str, np.ndarray] = {}
        affected: list[np.ndarray] = []

        def e(name: str) -> np.ndarray:
            if name not in edge:
                edge[name] = self._pristine_edge[name].copy()
            return edge[name]

        def n(name: str) -> np.ndarray:
            if name not in node:
                node[name] = self._pristine_node[name].copy()
            return node[name]

        no_ids = np.zeros(0, dtype=np.int64)
        for _, match, fx in items:
            ids_e, ids_n = match.edges, match.nodes
            node_level = match.is_point and ids_n.size > 0
            edges_hit = no_ids  # edge attributes changed
            closed_nodes = no_ids  # nodes closed: every edge in or out of them
            head_nodes = no_ids  # node kerb / wheelchair changed: the edges entering them
            if fx.closed:
                e("closed")[ids_e] = True
                edges_hit = ids_e
                if node_level:
                    n("closed")[ids_n] = True
                    closed_nodes = ids_n
            if fx.elevator_out_of_service:
                lift_e = ids_e[self._edge_is_elevator[ids_e]]
                lift_n = ids_n[self._node_is_elevator[ids_n]]
                if not (lift_e.size or lift_n.size):
                    lift_e = ids_e
                e("closed")[lift_e] = True
                if lift_n.size:
                    n("closed")[lift_n] = True
                edges_hit = np.union1d(edges_hit, lift_e)
                closed_nodes = np.union1d(closed_nodes, lift_n)
            if fx.width_m is not None:
                width = e("width_m")
                width[ids_e] = np.fmin(width[ids_e], np.float32(fx.width_m))
                edges_hit = ids_e
            if fx.kerb_height_cm is not None:
                kind = int(kerb_kind_from_height(fx.kerb_height_cm))
                if ids_n.size:
                    n("kerb")[ids_n] = kind
                    n("kerb_height_cm")[ids_n] = fx.kerb_height_cm
                    n("kerb_height_source")[ids_n] = int(KerbHeightSource.TAG)
                    head_nodes = ids_n
                else:
                    e("kerb")[ids_e] = kind
                    e("kerb_height_cm")[ids_e] = fx.kerb_height_cm
                    edges_hit = ids_e
            if fx.surface is not None:
                e("surface")[ids_e] = int(SurfaceClass[fx.surface.upper()])
                edges_hit = ids_e
            if fx.smoothness is not None:
                e("smoothness")[ids_e] = int(Smoothness[fx.smoothness.upper()])
                edges_hit = ids_e
            if fx.step_count is not None:
                e("is_steps")[ids_e] = True
                e("step_count")[ids_e] = fx.step_count  # the whole flight on every piece (limits)
                edges_hit = ids_e
            if fx.wheelchair is not None:
                code = int(Wheelchair[fx.wheelchair.upper()])
                e("wheelchair")[ids_e] = code
                edges_hit = ids_e
                if node_level:
                    n("wheelchair")[ids_n] = code
            affected.append(
                np.concatenate(
                    (
                        edges_hit,
                        self._entering(closed_nodes),
                        self._leaving(closed_nodes),
                        self._entering(head_nodes),
                    )
                )
            )
        return edge, node, affected

    def pristine_graph(self) -> CompiledGraph:
        """The router's graph as it is without any obstacle (a view sharing the arrays)."""
        graph = self.router.graph
        return dataclasses.replace(
            graph, edge=graph.edge | self._pristine_edge, node=graph.node | self._pristine_node
        )

    def apply(self, active: Sequence[tuple[str, ObstacleMatch, ObstacleEffect]]) -> None:
        """Make exactly the obstacles in ``active`` take effect on the router.

        Builds new arrays (pristine copies with every patch applied in the given order: later
        obstacles win, except ``closed``, which only ever closes, and ``width_m``, which keeps the
        narrowest width), swaps them into the router's graph as new dictionaries and refreshes
        the router (effective attributes recomputed, weight cache cleared). Arrays no obstacle
        touches are the pristine ones. ``apply([])`` restores the state of the map (and does
        nothing at all, not even a refresh, when no obstacle was applied before).

        Raises :class:`TypeError` for a malformed entry and :class:`ValueError` for a match made
        on another graph; nothing is changed then.
        """
        items = self._check(active)
        with self._lock:
            if not items and self._pristine_now:
                return  # nothing active before or now: no new arrays, the revision stays
            patched_edge, patched_node, affected = self._patch(items)
            graph = self.router.graph
            new_edge = dict(graph.edge)
            for name in EDGE_PATCHED_ATTRIBUTES:
                new_edge[name] = patched_edge.get(name, self._pristine_edge[name])
            new_node = dict(graph.node)
            for name in NODE_PATCHED_ATTRIBUTES:
                new_node[name] = patched_node.get(name, self._pristine_node[name])
            for arr in (*patched_edge.values(), *patched_node.values()):
                arr.setflags(write=False)
            self.router.replace_attributes(new_edge, new_node)
            ids = tuple(oid for oid, _, _ in items)
            owned = np.concatenate(affected) if affected else np.zeros(0, dtype=np.int64)
            owner = np.repeat(np.arange(len(items), dtype=np.int64), [a.size for a in affected])
            self._lookup = (ids, owned, owner)
            self._pristine_now = not items

    def obstacles_on(self, edges: Iterable[int]) -> list[str]:
        """Ids of the applied obstacles that change any of the directed ``edges``.

        An obstacle changes the edges it was matched to, and for what it does at nodes (a kerb,
        a closed crossing) the edges leading into those nodes (closed nodes: out of them too),
        since that is where walking meets it. In the order applied, each id once. Pass
        ``Route.edges`` for the obstacles a route passes.
        """
        ids, owned, owner = self._lookup  # one consistent snapshot
        wanted = np.fromiter((int(e) for e in edges), dtype=np.int64)
        if wanted.size == 0 or owned.size == 0:
            return []
        hit = np.unique(owner[np.isin(owned, wanted)])
        return list(dict.fromkeys(ids[i] for i in hit))

    def passed_and_avoided(self, route: Route) -> tuple[list[str], list[str]]:
        """Obstacles the route passes, and those it avoids.

        *Avoided* obstacles lie on the plain walking route (``route.walk_edges``) but not on
        the route itself. The walking route is computed on the patched graph too, so an
        obstacle that stops walkers as well (``closed``) is avoided by both and listed in
        neither.
        """
        passed = self.obstacles_on(route.edges)
        on_walk = self.obstacles_on(route.walk_edges)
        taken = set(passed)
        return passed, [oid for oid in on_walk if oid not in taken]
