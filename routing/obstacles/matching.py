"""Where an obstacle is: a geometry (WGS84 lon/lat) matched to the edges and nodes it means.

:func:`match_geometry` works in the router's local metric frame, over the edge polylines and
nodes of :mod:`routing.obstacles.geometry_index` (built once per graph). Points take what lies
within the tolerance, lines take the paths they run *along* (not every street they cross),
polygons take what they cover. The result is an :class:`ObstacleMatch` (both directions of
every matched piece) that staff can review.

The input is a shapely geometry: reading GeoJSON is the API's job. :func:`shape_from_geojson`
is the thin reader for callers that hold a plain GeoJSON dict (tests, scripts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from shapely.errors import ShapelyError

from graphs.model import INVALID_ID, CompiledGraph
from routing.obstacles.geometry_index import EdgeGeometryIndex, edge_geometry_index
from routing.snapping import SpatialIndex

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "LINE_COVER_SHARE",
    "MAX_TOLERANCE_M",
    "SHORT_EDGE_TOLERANCES",
    "EdgeGeometryIndex",
    "ObstacleMatch",
    "ObstacleMatchError",
    "edge_geometry_index",
    "match_geojson",
    "match_geometry",
    "shape_from_geojson",
]

#: Default distance (metres) within which a drawn geometry refers to a path or node.
DEFAULT_TOLERANCE_M = 5.0
#: Largest accepted tolerance: beyond this a geometry no longer says which path it means.
MAX_TOLERANCE_M = 100.0
#: A line matches an edge when at least this share of the edge lies within the tolerance, or
#: when the line runs along the edge for at least this share of the line's own length (a
#: closure drawn over 20 m in the middle of a 120 m sidewalk).
LINE_COVER_SHARE = 0.5
#: Edges shorter than this many tolerances must lie *entirely* within a line's tolerance: the
#: first few metres of every crossing street lie next to a closed sidewalk, and on a short
#: crossing edge that would already be half of it.
SHORT_EDGE_TOLERANCES = 3.0

#: The one rule for obstacle geometry, the same as the API's (``api.obstacles.geometry``):
#: Point, LineString or Polygon; no Multi* forms, no self-intersecting polygons.
_GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
_POINT_TYPES = frozenset({"Point", "MultiPoint"})
_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
_TYPE_ID_POINT, _TYPE_ID_LINE, _TYPE_ID_POLYGON = 0, 1, 3


class ObstacleMatchError(ValueError):
    """A geometry is not usable for an obstacle or refers to no path of the map."""


def _frozen_ids(values: Any) -> np.ndarray:
    """``values`` as a sorted, unique, read-only ``int64`` copy. Ids already so (a stored
    match's, one id) are only copied: ``np.unique`` costs ~6 µs even on two ids, and a reload
    of an import makes 20,000 of these."""
    arr = np.array(values, dtype=np.int64).ravel()
    if arr.size > 1 and not (arr[1:] > arr[:-1]).all():
        arr = np.unique(arr)
    arr.setflags(write=False)
    return arr


def _joined_ids(ids: np.ndarray, counts: Sequence[int]) -> tuple[np.ndarray, list[int], list[bool]]:
    """The joined ids of many parts as one read-only ``int64`` copy, where each part starts in
    it, and whether each part's ids rise strictly (sorted and unique)."""
    out = np.array(ids, dtype=np.int64).ravel()
    out.setflags(write=False)
    sizes = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    if out.size != int(sizes.sum()):
        raise ValueError(f"{out.size} ids for parts of {int(sizes.sum())}")
    falls = np.zeros(out.size, dtype=bool)  # at each id: not above the one before it
    falls[1:] = out[1:] <= out[:-1]
    falls[starts[sizes > 0]] = False  # a part's first id follows another part's
    owner = np.repeat(np.arange(sizes.size), sizes)
    rising = np.bincount(owner[falls], minlength=sizes.size) == 0
    return out, starts.tolist(), rising.tolist()


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

    @classmethod
    def joined(
        cls,
        edges: np.ndarray,
        edge_counts: Sequence[int],
        nodes: np.ndarray,
        node_counts: Sequence[int],
        geometry_types: Sequence[str],
    ) -> list[ObstacleMatch]:
        """Many matches from their ids joined, one match's after another's (``edge_counts[i]``
        edges and ``node_counts[i]`` nodes of match ``i``): what the constructor makes of each.
        A reload reads thousands of stored matches, and the constructor's copy and check cost
        ~8 µs a match; here the ids are copied once and checked for all at once, and a match
        whose ids rise already (sorted, unique: as stored) holds read-only views of the copy;
        any other is made by the constructor."""
        if not len(edge_counts) == len(node_counts) == len(geometry_types):
            raise ValueError("one count of edges, one of nodes and one type per match")
        e_ids, e_start, e_ok = _joined_ids(edges, edge_counts)
        n_ids, n_start, n_ok = _joined_ids(nodes, node_counts)
        out = []
        for i, kind in enumerate(geometry_types):
            e = e_ids[e_start[i] : e_start[i] + edge_counts[i]]
            n = n_ids[n_start[i] : n_start[i] + node_counts[i]]
            if not (e_ok[i] and n_ok[i]):
                out.append(cls(e, n, kind))
                continue
            match = object.__new__(cls)  # the constructor's outcome, without its check
            object.__setattr__(match, "edges", e)
            object.__setattr__(match, "nodes", n)
            object.__setattr__(match, "geometry_type", kind)
            out.append(match)
        return out

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


def shape_from_geojson(geometry: Mapping[str, Any]) -> shapely.Geometry:
    """A GeoJSON geometry dict (Point, LineString, Polygon or their Multi* forms, lon/lat) as a
    shapely geometry, for :func:`match_geometry`.

    Checks only what the reading needs (a dict, an accepted type, coordinates shapely can read);
    :func:`match_geometry` checks the coordinates themselves.
    """
    if not isinstance(geometry, Mapping):
        raise ObstacleMatchError(
            f"the geometry must be a GeoJSON object (a dict), not {type(geometry).__name__}"
        )
    kind = geometry.get("type")
    if kind not in _GEOMETRY_TYPES:
        allowed = ", ".join(_GEOMETRY_TYPES)
        raise ObstacleMatchError(
            f"the geometry must be a GeoJSON geometry of type {allowed}, not {kind!r}"
        )
    if "coordinates" not in geometry:
        raise ObstacleMatchError(f"the GeoJSON {kind} has no 'coordinates'")
    try:
        return shapely.geometry.shape(geometry)
    except (ShapelyError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ObstacleMatchError(f"the GeoJSON {kind} is malformed ({detail})") from None


def _checked(geom: shapely.Geometry) -> shapely.Geometry:
    """The geometry if it is usable for matching: an accepted type, finite, not empty, inside
    lon/lat ranges and valid (a self-intersecting polygon is refused, not repaired: what staff
    drew must be what is matched)."""
    allowed = ", ".join(_GEOMETRY_TYPES)
    if not isinstance(geom, shapely.Geometry):
        raise ObstacleMatchError(
            f"the geometry must be a shapely geometry, not {type(geom).__name__}"
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
        raise ObstacleMatchError(f"the {geom.geom_type} is not valid ({reason})")
    return geom


def _runs_along(
    geo: EdgeGeometryIndex, lines: np.ndarray, cand: np.ndarray, tolerance_m: float
) -> np.ndarray:
    """The candidate edges (positions in ``geo``) that a line runs along for at least
    :data:`LINE_COVER_SHARE` of the line's length: the part of the line within the tolerance
    of the edge, located on the edge, spans that much of it.

    A line shorter than the edge it lies on (a dug-up stretch of a long sidewalk) covers too
    little of the edge to take it by the edge's share. Located on the edge, a line that only
    crosses a street, or ends where a crossing street or the next piece of its own way begins,
    spans next to nothing: its near part is across that edge, or beyond its end.
    """
    if cand.size == 0:
        return cand
    edges = geo.lines(cand)
    zones = shapely.buffer(edges, tolerance_m)
    spans = np.zeros(cand.size)
    for line in lines:
        near = shapely.intersection(line, zones)
        xy, which = shapely.get_coordinates(near, return_index=True)
        if which.size == 0:
            continue
        at = shapely.line_locate_point(edges[which], shapely.points(xy))
        low = np.full(cand.size, np.inf)
        high = np.full(cand.size, -np.inf)
        np.minimum.at(low, which, at)
        np.maximum.at(high, which, at)
        span = np.where(high >= low, high - low, 0.0)
        spans = np.maximum(spans, span / max(float(shapely.length(line)), 1e-9))
    return cand[spans >= LINE_COVER_SHARE]


def match_geometry(
    graph: CompiledGraph,
    index: SpatialIndex,
    geometry: shapely.Geometry,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> ObstacleMatch:
    """The edges and nodes a geometry (WGS84 lon/lat) refers to.

    Parameters
    ----------
    graph, index
        The router's graph and its :class:`~routing.snapping.SpatialIndex` (``router.graph``,
        ``router.index``); matching happens in the index's local metric frame.
    geometry
        A shapely Point, LineString or Polygon in longitude/latitude
        (:func:`shape_from_geojson` reads a GeoJSON dict). A self-intersecting polygon is refused.
    tolerance_m
        How far (metres) a drawn geometry may lie from the path it means.

    Returns
    -------
    ObstacleMatch
        *Points*: every edge passing within the tolerance and every node within it (a point on a
        node takes the node and the edges meeting there). *Lines*: every edge lying within the
        tolerance of the line for at least :data:`LINE_COVER_SHARE` of its length (entirely, if
        it is shorter than :data:`SHORT_EDGE_TOLERANCES` tolerances), so that a closed sidewalk
        does not take the crossing streets, and every edge the line runs along for at least
        that share of the line's own length (a short line on a long edge); plus the nodes
        within the tolerance of the line.
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
    geom = _checked(geometry)
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
        hits.append(geo.pieces_within(points, tolerance_m))
        node_hits.append(geo.nodes_within(points, tolerance_m))
    line_candidates = False
    if lines.size:
        zone = shapely.union_all(shapely.buffer(lines, tolerance_m))
        cand = geo.pieces_meeting(zone)
        line_candidates = cand.size > 0
        cand_lines = geo.lines(cand)
        lengths = shapely.length(cand_lines)
        inside = shapely.length(shapely.intersection(cand_lines, zone))
        short = lengths < SHORT_EDGE_TOLERANCES * tolerance_m
        covered = shapely.covered_by(cand_lines, zone)
        ok = np.where(short, covered, inside >= LINE_COVER_SHARE * lengths)
        hits.append(cand[ok])
        hits.append(_runs_along(geo, lines, cand[~ok], tolerance_m))
        node_hits.append(geo.nodes_within(lines, tolerance_m))
    if polygons.size:
        area = shapely.union_all(polygons)
        hits.append(geo.pieces_meeting(shapely.buffer(area, tolerance_m)))
        node_hits.append(geo.nodes_meeting(area))

    canonical = geo.canonical_edges[np.unique(np.concatenate(hits))].astype(np.int64)
    nodes = np.unique(np.concatenate(node_hits)).astype(np.int64)
    if canonical.size == 0 and nodes.size == 0:
        nearest = geo.nearest_distance_m(parts)
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


def match_geojson(
    graph: CompiledGraph,
    index: SpatialIndex,
    geometry: Mapping[str, Any],
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> ObstacleMatch:
    """:func:`match_geometry` for a GeoJSON geometry dict (read by :func:`shape_from_geojson`)."""
    return match_geometry(graph, index, shape_from_geojson(geometry), tolerance_m=tolerance_m)
