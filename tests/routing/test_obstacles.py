"""Obstacles: matching geometries to paths, the effect model, and the overlay on a live Router.

Real graphs of the Kaiserslautern centre (built in < 1 s) and, for the timing and the elevators,
of the whole city. Every test that patches a graph routes on a fresh copy loaded from disk, so
other tests never see its obstacles. Test places are picked from the graph by fixed rules (the
longest residential pieces, nodes where streets meet), never hard-coded coordinates.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from accessibility_rules.attributes import HighwayClass, KerbHeightSource, KerbKind, Wheelchair
from accessibility_rules.tag_values import kerb_kind_from_height
from graphs.geodesy import haversine_m
from graphs.model import EDGE_ATTRIBUTE_DTYPES, NODE_ATTRIBUTE_DTYPES, CompiledGraph
from graphs.store import load_graph
from routing.engine import Router
from routing.errors import RoutingError
from routing.marks import edge_marks
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import (
    SHORT_EDGE_TOLERANCES,
    ObstacleMatch,
    ObstacleMatchError,
    edge_geometry_index,
    match_geojson,
    match_geometry,
)
from routing.obstacles.overlay import (
    EDGE_PATCHED_ATTRIBUTES,
    NODE_PATCHED_ATTRIBUTES,
    ObstacleOverlay,
)

pytestmark = pytest.mark.realdata

CENTRE_OSM = "kaiserslautern-centre-2013.osm.gz"
TOL = 5.0


# --- fixtures and helpers --------------------------------------------------------------------
@pytest.fixture(scope="module")
def centre_dir(real_build: Callable[..., Any]) -> Path:
    return Path(real_build(CENTRE_OSM).out_dir)


@pytest.fixture
def router(centre_dir: Path) -> Router:
    """A Router on a fresh copy of the centre graph (patched freely by the test)."""
    return Router(load_graph(centre_dir))


@pytest.fixture
def overlay(router: Router) -> ObstacleOverlay:
    return ObstacleOverlay(router)


def latlon(g: CompiledGraph, v: int) -> tuple[float, float]:
    return float(g.node["lat"][v]), float(g.node["lon"][v])


def point_along(g: CompiledGraph, e: int, share: float = 0.5) -> list[float]:
    """[lon, lat] of the point ``share`` of the way along edge ``e``."""
    c = g.edge_coords(e)
    seg = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    at = share * cum[-1]
    return [float(np.interp(at, cum, c[:, 0])), float(np.interp(at, cum, c[:, 1]))]


def point_geojson(g: CompiledGraph, e: int) -> dict[str, Any]:
    return {"type": "Point", "coordinates": point_along(g, e)}


def twins(g: CompiledGraph, e: int) -> set[int]:
    rev = int(g.edge["reverse_edge"][e])
    return {e, rev} if rev >= 0 else {e}


def edge_distances(router: Router, lon: float, lat: float) -> np.ndarray:
    """Brute-force reference: distance (frame metres) from a point to every edge's polyline."""
    g, frame = router.graph, router.index.frame
    px, py = frame.project(lon, lat)
    x, y = frame.project(g.geom_lon, g.geom_lat)
    last = g.geom_first[1:] - 1
    keep = np.ones(x.size - 1, dtype=bool)
    keep[last[:-1]] = False  # no segment from an edge's last point to the next edge's first
    x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((px - x0) * dx + (py - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0, 1)
    d = np.hypot(x0 + t * dx - px, y0 + t * dy - py)
    d[~keep] = np.inf
    seg_edge = np.repeat(np.arange(g.edge_count), np.diff(g.geom_first))[:-1]
    out = np.full(g.edge_count, np.inf)
    np.minimum.at(out, seg_edge, d)
    return out


def node_distances(router: Router, lon: float, lat: float) -> np.ndarray:
    px, py = router.index.frame.project(lon, lat)
    return np.hypot(router.node_x - px, router.node_y - py)


def long_residential_edges(g: CompiledGraph) -> list[int]:
    """Residential pieces (one direction each), longest first."""
    e = np.flatnonzero(
        (g.edge["highway"] == HighwayClass.RESIDENTIAL)
        & (g.edge["reverse_edge"] > np.arange(g.edge_count))
    )
    return [int(x) for x in e[np.argsort(-g.edge["length_m"][e], kind="stable")]]


def lonely_midpoint_edges(router: Router) -> Iterator[int]:
    """Long residential edges whose midpoint has no other path within the tolerance."""
    g = router.graph
    for e in long_residential_edges(g):
        lon, lat = point_along(g, e)
        near = set(np.flatnonzero(edge_distances(router, lon, lat) <= TOL).tolist())
        if near == twins(g, e):
            yield e


def degree(g: CompiledGraph, v: int) -> int:
    return int(g.first_out[v + 1] - g.first_out[v])


def enters(route: Any, g: CompiledGraph, v: int) -> bool:
    """Whether the route walks into node ``v`` (not merely starts or ends there)."""
    return any(int(g.head[s.edge]) == v and s.length_m > 0 for s in route.segments[:-1])


def patched_arrays(g: CompiledGraph) -> dict[str, np.ndarray]:
    out = {f"edge.{k}": np.array(g.edge[k]) for k in EDGE_PATCHED_ATTRIBUTES}
    out |= {f"node.{k}": np.array(g.node[k]) for k in NODE_PATCHED_ATTRIBUTES}
    return out


# --- the effect ------------------------------------------------------------------------------
def test_effect_accepts_each_field_alone() -> None:
    for fields in (
        {"closed": True},
        {"width_m": 0.8},
        {"kerb_height_cm": 2},
        {"surface": "cobblestone"},
        {"smoothness": "bad"},
        {"step_count": 3},
        {"elevator_out_of_service": True},
        {"wheelchair": "no"},
    ):
        assert ObstacleEffect(**fields).model_dump(exclude_defaults=True) == fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"width_m": -1}, "greater than or equal to 0"),
        ({"width_m": 25}, "less than or equal to 20"),
        ({"width_m": math.nan}, "finite number"),
        ({"kerb_height_cm": math.inf}, "finite number"),
        ({"kerb_height_cm": 51}, "less than or equal to 50"),
        ({"step_count": 0}, "greater than or equal to 1"),
        ({"surface": "lava"}, "surface"),
        ({"smoothness": "silky"}, "smoothness"),
        ({"wheelchair": "maybe"}, "wheelchair"),
        ({}, "changes nothing"),
        ({"closed": False, "elevator_out_of_service": False}, "changes nothing"),
        ({"closed": True, "passable": False}, "Extra inputs are not permitted"),
    ],
)
def test_effect_rejects_bad_input(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ObstacleEffect(**fields)


def test_an_empty_effect_names_every_field_that_would_change_something() -> None:
    """Every field of an effect is a switch or a value (its schema's ``anyOf`` and the
    validator read those two lists), and the refusal names them all, in the model's order."""
    from routing.obstacles.effect import _SWITCHES, _VALUES

    assert sorted(_SWITCHES + _VALUES) == sorted(ObstacleEffect.model_fields)
    with pytest.raises(ValidationError) as refused:
        ObstacleEffect()
    assert (
        "the obstacle effect changes nothing: set closed, width_m, kerb_height_cm, surface, "
        "smoothness, step_count, elevator_out_of_service or wheelchair"
    ) in str(refused.value)


def test_effect_is_frozen() -> None:
    effect = ObstacleEffect(closed=True)
    with pytest.raises(ValidationError):
        effect.closed = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("height", "kind"),
    [(0, KerbKind.FLUSH), (2, KerbKind.LOWERED), (3, KerbKind.LOWERED), (3.5, KerbKind.RAISED)],
)
def test_kerb_kind_from_height(height: float, kind: KerbKind) -> None:
    assert kerb_kind_from_height(height) == kind


# --- matching --------------------------------------------------------------------------------
def test_point_matches_the_edges_within_tolerance(router: Router) -> None:
    g = router.graph
    for e in long_residential_edges(g)[:40]:
        lon, lat = point_along(g, e, 0.3)
        match = match_geojson(g, router.index, {"type": "Point", "coordinates": [lon, lat]})
        expected = np.flatnonzero(edge_distances(router, lon, lat) <= TOL)
        # the tree query and the brute force agree (up to floating point at the boundary)
        near_boundary = np.flatnonzero(np.abs(edge_distances(router, lon, lat) - TOL) < 1e-6)
        assert set(match.edges.tolist()) ^ set(expected.tolist()) <= set(near_boundary.tolist())
        assert np.array_equal(match.nodes, np.flatnonzero(node_distances(router, lon, lat) <= TOL))
        assert np.all(np.diff(match.edges) > 0)
        assert match.edges.dtype == np.int64
        assert twins(g, e) <= set(match.edges.tolist())


def test_point_on_a_node_matches_the_node_and_its_edges(router: Router) -> None:
    g = router.graph
    v = next(v for v in range(g.node_count) if degree(g, v) >= 3)
    lat, lon = latlon(g, v)
    match = match_geojson(g, router.index, {"type": "Point", "coordinates": [lon, lat]})
    assert v in match.nodes
    out = set(range(int(g.first_out[v]), int(g.first_out[v + 1])))
    into = set(np.flatnonzero(g.head == v).tolist())
    assert out | into <= set(match.edges.tolist())


def test_match_as_dict_is_what_staff_see(router: Router) -> None:
    g = router.graph
    e = next(lonely_midpoint_edges(router))
    match = match_geojson(g, router.index, point_geojson(g, e))
    info = match.as_dict(g)
    assert (info["edge_count"], info["piece_count"], info["node_count"]) == (2, 1, 0)
    assert info["length_m"] == pytest.approx(float(g.edge["length_m"][e]), abs=0.1)
    assert info["street_names"] == [g.edge_name(e)]
    assert info["geometry"]["type"] == "MultiLineString"
    (line,) = info["geometry"]["coordinates"]
    assert len(line) == len(g.edge_coords(e))
    assert all(abs(lon - 7.76) < 0.1 and abs(lat - 49.44) < 0.1 for lon, lat in line)


def street_chains(g: CompiledGraph) -> Iterator[list[int]]:
    """Three consecutive edges of one named street, in graph order."""
    name = g.edge["name_id"]
    rev = g.edge["reverse_edge"]
    roads = {HighwayClass.RESIDENTIAL, HighwayClass.TERTIARY, HighwayClass.SECONDARY}
    for e1 in range(g.edge_count):
        if name[e1] < 0 or int(g.edge["highway"][e1]) not in roads:
            continue
        chain = [e1]
        while len(chain) < 3:
            last = chain[-1]
            v = int(g.head[last])
            nxt = [
                int(x)
                for x in range(int(g.first_out[v]), int(g.first_out[v + 1]))
                if name[x] == name[e1] and x != rev[last] and int(g.head[x]) != int(g.tail[e1])
            ]
            if len(nxt) != 1:
                break
            chain.append(nxt[0])
        if len(chain) == 3:
            yield chain


def crossing_streets(g: CompiledGraph, chain: list[int]) -> set[int]:
    """Long edges of other streets that meet the chain at its inner nodes."""
    inner = {int(g.head[chain[0]]), int(g.head[chain[1]])}
    own = {x for e in chain for x in twins(g, e)}
    out: set[int] = set()
    for v in inner:
        for x in range(int(g.first_out[v]), int(g.first_out[v + 1])):
            long_enough = g.edge["length_m"][x] >= SHORT_EDGE_TOLERANCES * TOL + 10
            if x not in own and g.edge["name_id"][x] != g.edge["name_id"][chain[0]] and long_enough:
                out |= twins(g, x)
    return out


def test_line_along_a_street_takes_the_street_not_the_crossing_streets(router: Router) -> None:
    g = router.graph
    chain, crossing = next(
        (c, x) for c in street_chains(g) if len(x := crossing_streets(g, c)) >= 2
    )
    coords = np.vstack([g.edge_coords(chain[0])] + [g.edge_coords(e)[1:] for e in chain[1:]])
    line = {"type": "LineString", "coordinates": coords.tolist()}
    match = match_geojson(g, router.index, line)
    matched = set(match.edges.tolist())
    assert {x for e in chain for x in twins(g, e)} <= matched
    assert not matched & crossing
    assert g.edge_name(chain[0]) in match.as_dict(g)["street_names"]
    # the inner nodes are within the tolerance of the line
    assert {int(g.head[chain[0]]), int(g.head[chain[1]])} <= set(match.nodes.tolist())


def test_a_short_line_on_a_long_edge_takes_the_edge(router: Router) -> None:
    """A closure drawn over the middle fifth of a long street piece (a dug-up stretch) covers
    too little of the piece to take it by the piece's share, but runs along it: it was matched
    to nothing (a line over 20 m of a 100 m street) or to its end nodes only."""
    g = router.graph
    edges = [e for e in lonely_midpoint_edges(router) if g.edge["length_m"][e] >= 60.0][:5]
    assert len(edges) == 5
    for e in edges:
        line = {
            "type": "LineString",
            "coordinates": [point_along(g, e, 0.4), point_along(g, e, 0.6)],
        }
        match = match_geojson(g, router.index, line)
        assert twins(g, e) <= set(match.edges.tolist())


def test_a_short_line_ending_at_a_junction_takes_only_its_own_piece(router: Router) -> None:
    """The last fifth of a street piece, drawn up to the junction where crossing streets and the
    street's next piece begin: near its end the line lies within the tolerance of all of them,
    but runs along none of them but its own."""
    g = router.graph
    tried = 0
    for chain in street_chains(g):
        crossing = crossing_streets(g, chain)
        first = chain[0]
        if len(crossing) < 2 or g.edge["length_m"][first] < 40.0:
            continue
        coords = g.edge_coords(first)
        line = {
            "type": "LineString",
            "coordinates": [point_along(g, first, 0.8), coords[-1].tolist()],
        }
        matched = set(match_geojson(g, router.index, line).edges.tolist())
        assert twins(g, first) <= matched
        assert not matched & crossing
        if g.edge["length_m"][chain[1]] >= SHORT_EDGE_TOLERANCES * TOL:
            assert not matched & twins(g, chain[1])
        tried += 1
        if tried == 5:
            break
    assert tried >= 2


def test_line_across_streets_only_is_rejected(router: Router) -> None:
    g = router.graph
    e = next(lonely_midpoint_edges(router))
    # a 6 m line across the middle of the street, perpendicular to it
    x, y = router.index.frame.project(*point_along(g, e))
    a, b = point_along(g, e, 0.45), point_along(g, e, 0.55)
    ax, ay = router.index.frame.project(*a)
    bx, by = router.index.frame.project(*b)
    nx, ny = -(by - ay), bx - ax
    k = 3.0 / math.hypot(nx, ny)
    ends = [
        router.index.frame.unproject(float(x + s * k * nx), float(y + s * k * ny)) for s in (-1, 1)
    ]
    with pytest.raises(ObstacleMatchError, match="runs along no path"):
        match_geojson(g, router.index, {"type": "LineString", "coordinates": ends})


def test_polygon_takes_everything_inside(router: Router) -> None:
    g = router.graph
    frame = router.index.frame
    half = 120.0
    corners = [(-half, -half), (half, -half), (half, half), (-half, half), (-half, -half)]
    ring = [list(frame.unproject(x, y)) for x, y in corners]
    match = match_geojson(g, router.index, {"type": "Polygon", "coordinates": [ring]})
    gx, gy = frame.project(g.geom_lon, g.geom_lat)
    point_edge = np.repeat(np.arange(g.edge_count), np.diff(g.geom_first))
    inside = (np.abs(gx) < half) & (np.abs(gy) < half)
    must = set(np.unique(point_edge[inside]).tolist())
    matched = set(match.edges.tolist())
    assert must
    assert must <= matched
    # nothing beyond the square grown by the tolerance: each matched edge's bbox reaches into it
    grown = half + TOL + 1e-6
    lo_x = np.minimum.reduceat(gx, g.geom_first[:-1])
    hi_x = np.maximum.reduceat(gx, g.geom_first[:-1])
    lo_y = np.minimum.reduceat(gy, g.geom_first[:-1])
    hi_y = np.maximum.reduceat(gy, g.geom_first[:-1])
    reach = (lo_x <= grown) & (hi_x >= -grown) & (lo_y <= grown) & (hi_y >= -grown)
    assert matched <= set(np.flatnonzero(reach).tolist())
    nodes_inside = (np.abs(router.node_x) <= half) & (np.abs(router.node_y) <= half)
    assert np.array_equal(match.nodes, np.flatnonzero(nodes_inside))
    assert match.geometry_type == "Polygon"
    assert not match.is_point


def test_self_intersecting_polygon_is_refused(router: Router) -> None:
    """The one geometry rule (as in the API): a bow-tie polygon is refused, not repaired."""
    frame = router.index.frame
    bowtie = [(-80, -80), (80, 80), (80, -80), (-80, 80), (-80, -80)]
    ring = [list(frame.unproject(x, y)) for x, y in bowtie]
    with pytest.raises(ObstacleMatchError, match="Polygon is not valid"):
        match_geojson(router.graph, router.index, {"type": "Polygon", "coordinates": [ring]})


def test_geometry_far_away_names_the_distance(router: Router) -> None:
    g = router.graph
    top = int(np.argmax(g.geom_lat))
    lat = float(g.geom_lat[top]) + 300.0 / router.index.frame.my
    point = {"type": "Point", "coordinates": [float(g.geom_lon[top]), lat]}
    with pytest.raises(ObstacleMatchError) as info:
        match_geojson(g, router.index, point)
    found = re.search(r"nearest path is (\d+) m away; tolerance 5 m", str(info.value))
    assert found is not None, str(info.value)
    assert int(found.group(1)) == 300
    assert isinstance(info.value, ValueError)


def test_tolerance_widens_the_match(router: Router) -> None:
    g = router.graph
    top = int(np.argmax(g.geom_lat))
    lat = float(g.geom_lat[top]) + 30.0 / router.index.frame.my
    point = {"type": "Point", "coordinates": [float(g.geom_lon[top]), lat]}
    assert match_geojson(g, router.index, point, tolerance_m=31.0).edges.size > 0
    with pytest.raises(ObstacleMatchError, match="tolerance_m"):
        match_geojson(g, router.index, point, tolerance_m=math.nan)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [math.nan, 49.44]}, "finite"),
        ({"type": "Point", "coordinates": [7.76, math.inf]}, "finite"),
        ({"type": "Point", "coordinates": [200.0, 49.44]}, "longitude"),
        ({"type": "Point", "coordinates": [7.76, 95.0]}, "latitude"),
        ({"type": "Point", "coordinates": []}, "empty"),
        ({"type": "LineString", "coordinates": []}, "empty"),
        ({"type": "LineString", "coordinates": [[7.76, 49.44]]}, "malformed"),
        ({"type": "Polygon", "coordinates": [[[7.76, 49.44], [7.77, 49.44]]]}, "malformed"),
        ({"type": "Point"}, "no 'coordinates'"),
        ({"type": "Point", "coordinates": "here"}, "malformed"),
        ({"type": "Circle", "coordinates": [7.76, 49.44]}, "type"),
        ({"type": "GeometryCollection", "geometries": []}, "type"),
        ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.7, 49.4]}}, "type"),
        ({}, "type"),
        ("POINT (7.76 49.44)", "GeoJSON object"),
        (None, "GeoJSON object"),
    ],
)
def test_invalid_geometry_is_rejected(router: Router, geometry: Any, message: str) -> None:
    with pytest.raises(ObstacleMatchError, match=message):
        match_geojson(router.graph, router.index, geometry)


def test_shapely_geometry_is_accepted_and_multipoint_refused(router: Router) -> None:
    from shapely.geometry import MultiPoint, Point

    g = router.graph
    e1, e2 = list(lonely_midpoint_edges(router))[:2]
    single = match_geometry(g, router.index, Point(point_along(g, e1)))
    assert set(single.edges.tolist()) == twins(g, e1)
    assert single.is_point
    with pytest.raises(ObstacleMatchError, match="Point, LineString, Polygon"):
        match_geometry(g, router.index, MultiPoint([point_along(g, e1), point_along(g, e2)]))


def test_match_arrays_are_read_only(router: Router) -> None:
    # lists: ObstacleMatch.__post_init__ makes its sorted read-only id arrays
    match = ObstacleMatch(edges=[5, 3, 3], nodes=[2])  # type: ignore[arg-type]
    assert match.edges.tolist() == [3, 5]
    assert match.edges.dtype == np.int64
    with pytest.raises(ValueError, match="read-only"):
        match.edges[0] = 1


# --- the overlay on a router -----------------------------------------------------------------
def test_closing_a_street_changes_the_walk_route(router: Router, overlay: ObstacleOverlay) -> None:
    g = router.graph
    e = next(lonely_midpoint_edges(router))
    origin, destination = latlon(g, int(g.tail[e])), latlon(g, int(g.head[e]))
    before = router.route(origin, destination, "walk")
    assert twins(g, e) & set(before.edges)

    match = match_geojson(g, router.index, point_geojson(g, e))
    assert set(match.edges.tolist()) == twins(g, e)
    assert match.nodes.size == 0
    overlay.apply([("works-1", match, ObstacleEffect(closed=True))])
    assert np.flatnonzero(g.edge["closed"]).tolist() == sorted(twins(g, e))
    assert not g.node["closed"].any()

    after = router.route(origin, destination, "walk")
    if twins(g, e) & set(after.edges):
        assert after.accessibility.verdict == "no"
        assert "closed" in {v.limit for v in after.violations}
    else:
        assert after.accessibility.verdict != "no"  # breaks nothing known
        assert after.distance_m > before.distance_m
        assert after.cost_s > before.cost_s
    assert overlay.passed_and_avoided(after.edges, after.walk_edges)[0] == (
        ["works-1"] if twins(g, e) & set(after.edges) else []
    )


def test_closed_point_on_a_node_closes_the_node(router: Router, overlay: ObstacleOverlay) -> None:
    g = router.graph
    v = next(v for v in range(g.node_count) if degree(g, v) >= 3)
    lat, lon = latlon(g, v)
    match = match_geojson(g, router.index, {"type": "Point", "coordinates": [lon, lat]})
    overlay.apply([("crossing", match, ObstacleEffect(closed=True))])
    assert g.node["closed"][v]
    around = (g.head == v) | (g.tail == v)
    assert router.customizer.effective.closed[around].all()


def test_closed_line_leaves_crossing_streets_open(router: Router, overlay: ObstacleOverlay) -> None:
    g = router.graph
    chain, crossing = next(
        (c, x) for c in street_chains(g) if len(x := crossing_streets(g, c)) >= 2
    )
    coords = np.vstack([g.edge_coords(chain[0])] + [g.edge_coords(e)[1:] for e in chain[1:]])
    match = match_geojson(g, router.index, {"type": "LineString", "coordinates": coords.tolist()})
    overlay.apply([("sidewalk", match, ObstacleEffect(closed=True, wheelchair="no"))])
    assert not g.node["closed"].any()
    assert (g.node["wheelchair"] == router.graph.node["wheelchair"]).all()
    assert router.customizer.effective.closed[chain].all()
    assert not router.customizer.effective.closed[sorted(crossing)].any()


def wheelchair_street(router: Router) -> tuple[int, Any, Any, Any]:
    """A lonely residential edge the wheelchair route between its ends takes without problems."""
    g = router.graph
    for e in lonely_midpoint_edges(router):
        a, b = int(g.tail[e]), int(g.head[e])
        if degree(g, a) < 3 or degree(g, b) < 3:
            continue
        route = router.route(latlon(g, a), latlon(g, b), "wheelchair")
        if route.accessibility.verdict != "no" and twins(g, e) & set(route.edges):
            return e, latlon(g, a), latlon(g, b), route
    pytest.fail("no residential edge that the wheelchair route uses")


def test_narrowing_stops_wheelchairs_but_not_walkers(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    e, origin, destination, before = wheelchair_street(router)
    walk_before = router.route(origin, destination, "walk")
    assert twins(g, e) & set(walk_before.edges)
    match = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply([("scaffold", match, ObstacleEffect(width_m=0.8))])
    assert g.edge["width_m"][e] == pytest.approx(0.8)

    after = router.route(origin, destination, "wheelchair")
    assert after.accessibility.verdict != "no"  # breaks nothing known
    assert not twins(g, e) & set(after.edges)
    assert after.cost_s > before.cost_s
    walk_after = router.route(origin, destination, "walk")
    assert walk_after.edges == walk_before.edges
    assert walk_after.cost_s == pytest.approx(walk_before.cost_s)
    assert overlay.passed_and_avoided(after.edges, after.walk_edges) == ([], ["scaffold"])


def test_narrowing_keeps_the_narrowest_width(
    router: Router, overlay: ObstacleOverlay, centre_dir: Path
) -> None:
    g = router.graph
    e = next(lonely_midpoint_edges(router))
    match = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply(
        [("a", match, ObstacleEffect(width_m=0.8)), ("b", match, ObstacleEffect(width_m=1.5))]
    )
    assert g.edge["width_m"][e] == pytest.approx(0.8)
    overlay.apply([("b", match, ObstacleEffect(width_m=1.5))])
    mapped = float(load_graph(centre_dir).edge["width_m"][e])
    assert g.edge["width_m"][e] == pytest.approx(1.5 if math.isnan(mapped) else min(mapped, 1.5))


def detour_exists(g: CompiledGraph, a: int, b: int, avoid: int, hops: int = 12) -> bool:
    """Whether ``b`` is reachable from ``a`` within ``hops`` edges without passing ``avoid``."""
    seen, frontier = {a}, [a]
    for _ in range(hops):
        nxt = []
        for u in frontier:
            for x in range(int(g.first_out[u]), int(g.first_out[u + 1])):
                w = int(g.head[x])
                if w == b:
                    return True
                if w != avoid and w not in seen:
                    seen.add(w)
                    nxt.append(w)
        frontier = nxt
    return False


def kerb_nodes(router: Router) -> Iterator[tuple[int, Any, Any, Any]]:
    """Kerb-free nodes where streets meet, passed by the wheelchair route and by the walking
    route between neighbours that are also connected around the node."""
    g = router.graph
    for v in range(g.node_count):
        if degree(g, v) < 3 or g.node["kerb"][v] != KerbKind.NONE:
            continue
        lat, lon = latlon(g, v)
        if np.count_nonzero(node_distances(router, lon, lat) <= TOL) != 1:
            continue
        ends = [int(g.head[x]) for x in range(int(g.first_out[v]), int(g.first_out[v + 1]))]
        if len(set(ends)) < 3 or not detour_exists(g, ends[0], ends[1], v):
            continue
        origin, destination = latlon(g, ends[0]), latlon(g, ends[1])
        route = router.route(origin, destination, "wheelchair")
        walk = router.route(origin, destination, "walk")
        if route.accessibility.verdict != "no" and enters(route, g, v) and enters(walk, g, v):
            yield v, origin, destination, route


def test_raised_kerb_on_a_node_makes_wheelchairs_avoid_it(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    avoided = 0
    for v, origin, destination, before in itertools.islice(kerb_nodes(router), 6):
        lat, lon = latlon(g, v)
        walk_before = router.route(origin, destination, "walk")
        match = match_geojson(g, router.index, {"type": "Point", "coordinates": [lon, lat]})
        assert match.nodes.tolist() == [v]
        overlay.apply([("kerb", match, ObstacleEffect(kerb_height_cm=12))])
        assert g.node["kerb"][v] == KerbKind.RAISED
        assert g.node["kerb_height_cm"][v] == 12
        assert g.node["kerb_height_source"][v] == KerbHeightSource.TAG

        after = router.route(origin, destination, "wheelchair")
        walk = router.route(origin, destination, "walk")
        assert walk.edges == walk_before.edges  # a walker steps over the kerb
        if enters(after, g, v):  # no way around that honours the profile: said so, never hidden
            assert after.accessibility.verdict == "no"
            assert "kerb_height" in {x.limit for x in after.violations}
            assert overlay.passed_and_avoided(after.edges, after.walk_edges) == (["kerb"], [])
        else:
            avoided += 1
            assert after.accessibility.verdict != "no"  # breaks nothing known
            assert after.cost_s > before.cost_s
            assert not [
                b for b in after.barriers if b.kind == "kerb" and b.details["height_cm"] == 12
            ]
            assert overlay.passed_and_avoided(after.edges, after.walk_edges) == ([], ["kerb"])
        overlay.apply([])
    print(f"\nkerb at {avoided} of 6 nodes avoided by the wheelchair route")
    assert avoided >= 1


def test_removing_obstacles_restores_the_original_routes(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    original = patched_arrays(g)
    e, origin, destination, _ = wheelchair_street(router)
    before = {p: router.route(origin, destination, p) for p in ("walk", "wheelchair", "rollator")}
    match = match_geojson(g, router.index, point_geojson(g, e))
    lat, lon = latlon(g, int(g.tail[e]))
    on_node = match_geojson(g, router.index, {"type": "Point", "coordinates": [lon, lat]})
    overlay.apply(
        [
            ("closed", match, ObstacleEffect(closed=True)),
            ("kerb", on_node, ObstacleEffect(kerb_height_cm=15, wheelchair="no")),
            ("steps", match, ObstacleEffect(step_count=4, surface="gravel", smoothness="bad")),
        ]
    )
    assert any(not np.array_equal(original[k], a) for k, a in patched_arrays(g).items())
    changed = router.route(origin, destination, "wheelchair")
    assert changed.edges != before["wheelchair"].edges

    overlay.apply([])
    for key, arr in patched_arrays(g).items():
        assert np.array_equal(arr, original[key], equal_nan=True), key
        assert arr.dtype == original[key].dtype
    for profile, route in before.items():
        again = router.route(origin, destination, profile)
        assert again.edges == route.edges
        assert again.cost_s == route.cost_s
    assert overlay.applied_ids == []


def test_apply_swaps_new_arrays_and_never_writes_in_place(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    old_edge, old_node = g.edge, g.node
    old_closed = g.edge["closed"]
    snapshot = old_closed.copy()
    revision = router.customizer.revision
    e = next(lonely_midpoint_edges(router))
    match = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply([("x", match, ObstacleEffect(closed=True))])
    assert g.edge is not old_edge
    assert g.node is not old_node
    assert g.edge["closed"] is not old_closed
    assert np.array_equal(old_closed, snapshot)  # what a running query holds is unchanged
    assert router.customizer.revision == revision + 1
    assert g.edge["length_m"] is old_edge["length_m"]  # untouched arrays are shared
    for name, dtype in EDGE_ATTRIBUTE_DTYPES.items():
        assert g.edge[name].dtype == np.dtype(dtype), name
    for name, dtype in NODE_ATTRIBUTE_DTYPES.items():
        assert g.node[name].dtype == np.dtype(dtype), name
    g.validate()


def test_applying_nothing_to_a_clean_router_is_a_no_op(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    edge, revision = g.edge, router.customizer.revision
    overlay.apply([])
    assert g.edge is edge
    assert router.customizer.revision == revision
    e = next(lonely_midpoint_edges(router))
    match = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply([("x", match, ObstacleEffect(closed=True))])
    overlay.apply([])
    assert router.customizer.revision == revision + 2
    assert not g.edge["closed"].any()


def test_elevator_out_of_service_without_elevator_closes_the_match(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    e = next(lonely_midpoint_edges(router))
    match = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply([("lift", match, ObstacleEffect(elevator_out_of_service=True))])
    assert np.flatnonzero(g.edge["closed"]).tolist() == sorted(twins(g, e))


def test_wheelchair_and_surface_codes(router: Router, overlay: ObstacleOverlay) -> None:
    g = router.graph
    e = next(lonely_midpoint_edges(router))
    match = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply(
        [("a", match, ObstacleEffect(wheelchair="limited", surface="sett", kerb_height_cm=2))]
    )
    assert (g.edge["wheelchair"][match.edges] == Wheelchair.LIMITED).all()
    assert (g.edge["surface"][match.edges] == 4).all()
    # no node matched: the kerb goes onto the edges themselves
    assert (g.edge["kerb"][match.edges] == KerbKind.LOWERED).all()
    assert (g.edge["kerb_height_cm"][match.edges] == 2).all()


def test_bad_entries_are_rejected_and_change_nothing(
    router: Router, overlay: ObstacleOverlay
) -> None:
    g = router.graph
    edge = g.edge
    # lists: ObstacleMatch.__post_init__ makes its sorted read-only id arrays
    foreign = ObstacleMatch(edges=[g.edge_count + 5], nodes=[])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="another graph"):
        overlay.apply([("x", foreign, ObstacleEffect(closed=True))])
    with pytest.raises(TypeError):
        overlay.apply([("x", foreign)])  # type: ignore[list-item]
    assert g.edge is edge


def test_passed_and_avoided(router: Router, overlay: ObstacleOverlay) -> None:
    g = router.graph
    e, origin, destination, _ = wheelchair_street(router)
    narrow = match_geojson(g, router.index, point_geojson(g, e))
    overlay.apply([("narrow", narrow, ObstacleEffect(width_m=0.8))])
    detour = router.route(origin, destination, "wheelchair")
    on_route = next(x for x in detour.edges[1:-1] if not twins(g, x) & set(detour.walk_edges))
    # lists: ObstacleMatch.__post_init__ makes its sorted read-only id arrays
    resurfaced = ObstacleMatch(edges=sorted(twins(g, on_route)), nodes=[])  # type: ignore[arg-type]
    far_edge = int(np.argmax(np.hypot(router.node_x[g.tail], router.node_y[g.tail])))
    far = match_geojson(g, router.index, point_geojson(g, far_edge))
    overlay.apply(
        [
            ("narrow", narrow, ObstacleEffect(width_m=0.8)),
            ("resurfaced", resurfaced, ObstacleEffect(smoothness="excellent")),
            ("far", far, ObstacleEffect(closed=True)),
        ]
    )
    route = router.route(origin, destination, "wheelchair")
    assert overlay.passed_and_avoided(route.edges, route.walk_edges) == (["resurfaced"], ["narrow"])
    assert overlay.obstacles_on(route.walk_edges) == ["narrow"]
    assert overlay.obstacles_on([]) == []
    assert overlay.obstacles_on(far.edges) == ["far"]
    assert overlay.applied_ids == ["narrow", "resurfaced", "far"]


# --- the whole city --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city_router(kaiserslautern_graph: Any) -> Router:
    return Router(load_graph(Path(kaiserslautern_graph.out_dir)))


def test_obstacles_on_equals_a_scan_of_every_applied_edge(
    router: Router, overlay: ObstacleOverlay
) -> None:
    """The per-edge mask of :meth:`ObstacleOverlay.obstacles_on` against a scan of every
    obstacle's affected edges (the lookup as applied), for random edge lists."""
    g = router.graph
    rng = np.random.default_rng(3)
    chosen = rng.choice(router.index.canonical_edges, size=6, replace=False)
    effects = [ObstacleEffect(closed=True), ObstacleEffect(kerb_height_cm=10)]
    active = [
        (f"o{i}", match_geojson(g, router.index, point_geojson(g, int(e))), effects[i % 2])
        for i, e in enumerate(chosen)
    ]
    overlay.apply(active)
    ids, owned, owner, needs, _ = overlay._lookup
    for trial in range(200):
        edges = rng.choice(g.edge_count, size=int(rng.integers(0, 40)), replace=True).tolist()
        if trial % 4 == 0:  # with some affected edges for sure
            edges += owned[rng.integers(0, owned.size, 2)].tolist()
        want = list(dict.fromkeys(ids[i] for i in sorted({int(owner[k]) for k in range(owned.size) if int(owned[k]) in set(edges)})))  # fmt: skip
        assert overlay.obstacles_on(edges) == want
        assert overlay.obstacles_on(iter(edges)) == want
        assert overlay.obstacles_on(np.asarray(edges, dtype=np.int64)) == want
        # with what the walk meets of each piece: a row counts where a piece on its edge has
        # every bit the row needs
        meets = rng.integers(0, 8, size=len(edges)).tolist()
        met = {
            int(owner[k])
            for k in range(owned.size)
            for edge, bits in zip(edges, meets, strict=True)
            if int(owned[k]) == edge and bits & int(needs[k]) == int(needs[k])
        }
        assert overlay.obstacles_on(edges, meets) == [ids[i] for i in sorted(met)]
        assert overlay.obstacles_on(edges, [7] * len(edges)) == want
        assert not edge_marks(g.edge_count).any()  # the thread's marks left clear for the next


def test_a_reapply_reuses_what_it_placed_and_equals_a_fresh_apply(
    router: Router, overlay: ObstacleOverlay
) -> None:
    """A reload passes the applied obstacles' match and effect again as they were: the overlay
    reuses where it placed them (no search of their targets again), and the outcome equals a
    fresh overlay's; a new effect object for the same id (a new version) is placed anew."""
    g = router.graph
    rng = np.random.default_rng(5)
    chosen = rng.choice(router.index.canonical_edges, size=8, replace=False)
    effects = [ObstacleEffect(closed=True), ObstacleEffect(kerb_height_cm=10), ObstacleEffect(width_m=0.7)]  # fmt: skip
    active = [
        (f"o{i}", match_geojson(g, router.index, point_geojson(g, int(e))), effects[i % 3])
        for i, e in enumerate(chosen)
    ]
    overlay.apply(active)
    placed = dict(overlay._placed)
    targets_found: list[str] = []
    find = overlay._targets

    def counted(match: Any, fx: Any) -> Any:
        targets_found.append("x")
        return find(match, fx)

    overlay._targets = counted  # type: ignore[method-assign]
    changed = (active[0][0], active[0][1], ObstacleEffect(width_m=0.5))  # the same id, anew
    again = [changed, *active[1:], ("new", active[1][1], ObstacleEffect(surface="sett"))]
    overlay.apply(again)
    assert len(targets_found) == 2  # the changed one and the new one
    assert all(overlay._placed[oid] is placed[oid] for oid, _, _ in active[1:])
    reused = patched_arrays(g), overlay._lookup

    fresh_router = Router(g)  # the same graph (as patched): a fresh overlay from scratch
    overlay.apply([])
    fresh = ObstacleOverlay(fresh_router)
    fresh.apply(again)
    arrays, lookup = reused
    assert patched_arrays(fresh_router.graph).keys() == arrays.keys()
    for name, values in patched_arrays(fresh_router.graph).items():
        assert np.array_equal(values, arrays[name], equal_nan=True), name
    assert lookup[0] == fresh._lookup[0]
    for mine, theirs in zip(lookup[1:], fresh._lookup[1:], strict=True):
        assert np.array_equal(mine, theirs)


def test_elevator_out_of_service_closes_the_elevator(city_router: Router) -> None:
    g = city_router.graph
    lifts = np.flatnonzero(g.node["is_elevator"])
    assert lifts.size > 0, "the 2013 Kaiserslautern extract maps 5 elevators as nodes"
    v = int(lifts[0])
    lat, lon = latlon(g, v)
    match = match_geojson(g, city_router.index, {"type": "Point", "coordinates": [lon, lat]})
    overlay = ObstacleOverlay(city_router)
    try:
        overlay.apply([("lift", match, ObstacleEffect(elevator_out_of_service=True))])
        assert g.node["closed"].tolist().count(True) == int(
            np.count_nonzero(g.node["is_elevator"][match.nodes])
        )
        assert g.node["closed"][v]
        assert city_router.customizer.effective.closed[(g.head == v) | (g.tail == v)].all()
        assert not g.edge["closed"].any()  # only the elevator, not the paths near it
    finally:
        overlay.apply([])
    assert not g.node["closed"].any()


def test_apply_is_fast_for_the_city(city_router: Router) -> None:
    g = city_router.graph
    rng = np.random.default_rng(7)
    pieces = city_router.index.canonical_edges
    chosen = rng.choice(pieces, size=100, replace=False)
    effects = [
        ObstacleEffect(closed=True),
        ObstacleEffect(width_m=0.8),
        ObstacleEffect(kerb_height_cm=12),
        ObstacleEffect(surface="gravel", smoothness="bad"),
        ObstacleEffect(step_count=5),
        ObstacleEffect(wheelchair="no"),
        ObstacleEffect(elevator_out_of_service=True),
    ]
    started = time.perf_counter()
    edge_geometry_index(g, city_router.index)
    index_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    active = []
    for i, e in enumerate(chosen):
        e = int(e)
        if i % 3 == 0:
            geometry: dict[str, Any] = {
                "type": "LineString",
                "coordinates": g.edge_coords(e).tolist(),
            }
        else:
            geometry = point_geojson(g, e)
        active.append((f"o{i}", match_geojson(g, city_router.index, geometry), effects[i % 7]))
    match_ms = (time.perf_counter() - started) * 1000 / len(chosen)
    overlay = ObstacleOverlay(city_router)
    times = []
    try:
        for _ in range(10):
            started = time.perf_counter()
            overlay.apply(active)
            times.append(time.perf_counter() - started)
        route = city_router.route(latlon(g, 0), latlon(g, g.node_count - 1), "wheelchair")
        assert route.distance_m > 0
    finally:
        overlay.apply([])
    best, median = min(times) * 1000, float(np.median(times)) * 1000
    print(
        f"\ncity graph {g.node_count} nodes / {g.edge_count} edges: 100 obstacles, "
        f"geometry index {index_ms:.0f} ms, match {match_ms:.2f} ms each, apply best {best:.1f} ms, median {median:.1f} ms"
    )
    assert median < 500.0


def both_ways(
    router: Router,
    overlay: ObstacleOverlay,
    a: tuple[float, float],
    b: tuple[float, float],
    limit: str,
) -> Iterator[tuple[Any, list[str], list[Any]]]:
    """Wheelchair routes a → b and b → a (those that exist): each with the obstacles it passes
    (by what its walk meets) and its breaks of ``limit``."""
    profile = router.profile("wheelchair")
    for x, y in ((a, b), (b, a)):
        try:
            route = router.route(x, y, profile)
        except RoutingError:
            continue
        passed = overlay.obstacles_on(route.edges, route.meets)
        yield route, passed, [br for br in route.accessibility.breaks if br.limit == limit]


def test_a_closure_is_passed_exactly_where_the_verdict_meets_it(
    router: Router, overlay: ObstacleOverlay
) -> None:
    """``obstacles.passed`` follows the verdict's rule of what a walk meets, so a route never says
    it passes a closure its verdict does not count, nor the other way round.

    Found with 260 obstacles on the city: a route starting exactly on the head node of a closed
    edge began with a piece of no length on it; the verdict ("yes") counted nothing of it, but
    the route listed the closure as passed. Here: closures on seeded edges, and trips between
    the two end nodes of each closed edge and a node ~300 m away, both ways (the snap may pick
    the closed edge at fraction 0 or 1: end pieces of no length), plus trips from the middle of
    each closed edge (a walked piece of it: passed, and the verdict says no)."""
    g = router.graph
    rng = np.random.default_rng(11)
    chosen = [int(e) for e in rng.choice(router.index.canonical_edges, size=12, replace=False)]
    overlay.apply(
        [
            (f"c{i}", match_geojson(g, router.index, point_geojson(g, e)), ObstacleEffect(closed=True))
            for i, e in enumerate(chosen)
        ]
    )  # fmt: skip
    checked = passed_any = 0
    for e in chosen:
        far = int(rng.integers(0, g.node_count))
        lon, lat = point_along(g, e)
        ends = [latlon(g, int(g.tail[e])), latlon(g, int(g.head[e])), (lat, lon)]
        for near in ends:
            for route, passed, closed_breaks in both_ways(
                router, overlay, near, latlon(g, far), "closed"
            ):
                assert bool(passed) == bool(closed_breaks), (e, route.edges, passed, closed_breaks)
                checked += 1
                passed_any += bool(passed)
    assert checked >= 40
    assert passed_any >= 5  # the trips from a closed edge's middle walk some of it


def kerbs_met(
    router: Router,
    overlay: ObstacleOverlay,
    trips: list[tuple[tuple[float, float], tuple[float, float]]],
    prefix: str,
) -> tuple[int, int, int]:
    """Wheelchair routes both ways of each trip, each checked: it lists a staff kerb (an id
    beginning with ``prefix``) as passed exactly when its verdict breaks the kerb limit.
    Returns how many routes, how many passed one, and how many walked on a kerbed edge without
    meeting its kerb."""
    checked = passed_any = unmet = 0
    for a, b in trips:
        for route, passed, kerb_breaks in both_ways(router, overlay, a, b, "kerb_height"):
            mine = [p for p in passed if p.startswith(prefix)]
            assert bool(mine) == bool(kerb_breaks), (a, b, route.edges, passed, kerb_breaks)
            checked += 1
            passed_any += bool(mine)
            unmet += bool(overlay.obstacles_on(route.edges)) and not mine
    return checked, passed_any, unmet


def test_a_kerb_is_passed_exactly_where_the_verdict_meets_it(
    router: Router, overlay: ObstacleOverlay
) -> None:
    """A staff kerb at a node is met where the walk goes on past that node: a route whose
    destination lies on an edge into the node (the kerb beyond the end) neither breaks the kerb
    limit nor lists the kerb as passed; one that walks over the node does both."""
    g = router.graph
    rng = np.random.default_rng(5)
    nodes = [int(v) for v in rng.choice(g.node_count, size=10, replace=False)]
    overlay.apply(
        [
            (f"k{i}", match_geojson(g, router.index, {"type": "Point", "coordinates": latlon(g, v)[::-1]}), ObstacleEffect(kerb_height_cm=10))
            for i, v in enumerate(nodes)
        ]
    )  # fmt: skip
    trips = []
    for v in nodes:
        entering = np.flatnonzero(g.head == v)
        far = latlon(g, int(rng.integers(0, g.node_count)))
        for e in entering[:3].tolist():
            lon, lat = point_along(g, int(e), 0.5)
            trips.append((far, (lat, lon)))
    checked, passed_any, beyond = kerbs_met(router, overlay, trips, "k")
    assert checked >= 30
    assert passed_any >= 3
    assert beyond >= 1  # the old reading (every piece wholly) listed a kerb the walk never met


def test_a_kerb_on_a_way_is_passed_where_the_verdict_meets_it(
    router: Router, overlay: ObstacleOverlay
) -> None:
    """A staff kerb drawn where no node is near lies on the ways (the edges' own ``kerb``),
    which a walk crosses at their heads, as the verdict counts a way's kerb: a route that ends
    on such a way neither breaks the kerb limit nor lists the kerb as passed, one that walks on
    past its head does both. It was listed as passed wherever some of the way was walked
    (random kerbs on Neukölln routes: 2 passed without a break)."""
    g = router.graph
    placed: list[tuple[int, list[float]]] = []
    for e in lonely_midpoint_edges(router):
        point = point_along(g, e)
        match = match_geojson(g, router.index, {"type": "Point", "coordinates": point})
        if match.nodes.size == 0:
            placed.append((e, point))
        if len(placed) == 8:
            break
    overlay.apply(
        [
            (f"w{i}", match_geojson(g, router.index, {"type": "Point", "coordinates": p}), ObstacleEffect(kerb_height_cm=10))
            for i, (_, p) in enumerate(placed)
        ]
    )  # fmt: skip
    rng = np.random.default_rng(7)
    trips = []
    for e, _ in placed:
        lon, lat = point_along(g, e, 0.3)
        trips.append((latlon(g, int(rng.integers(0, g.node_count))), (lat, lon)))
    checked, passed_any, ended_on = kerbs_met(router, overlay, trips, "w")
    assert checked >= 8
    assert passed_any >= 1
    assert ended_on >= 1  # a walk that ends on the kerbed way: not passed, as the verdict says


#: (effect, profile, limit, what the German and the English step say)
SAID_STRETCHES = [
    ({"wheelchair": "no"}, "wheelchair", "wheelchair_no",
     ("Weg nicht für Rollstühle freigegeben auf", "way not open to wheelchairs for")),
    ({"closed": True}, "walk", "closed", ("Weg gesperrt auf", "way closed for")),
]  # fmt: skip


@pytest.mark.parametrize(("effect", "profile", "limit", "words"), SAID_STRETCHES)
def test_a_staff_closure_or_wheelchair_no_is_said_in_the_steps_where_it_begins(
    router: Router,
    overlay: ObstacleOverlay,
    effect: dict[str, Any],
    profile: str,
    limit: str,
    words: tuple[str, str],
) -> None:
    """A way staff close, or mark ``wheelchair=no``, that a route must walk (its destination
    lies on it) is said in the steps where the walk enters it, with the metres walked on it
    ("Achtung, Weg gesperrt auf 20 m", "Achtung, Weg nicht für Rollstühle freigegeben auf 20
    m"). No barrier kind lists either: only the closing sentence said them ("Die Route ist
    nicht barrierefrei: Sperrung bei 3,3 km"), and behind three other breaks not at all."""
    from routing.instructions import instructions
    from routing.wording import Language, metres

    g = router.graph
    edges = [e for e in lonely_midpoint_edges(router) if g.edge["length_m"][e] >= 40.0][:6]
    assert edges
    for e in edges:
        match = match_geojson(g, router.index, point_geojson(g, e))
        overlay.apply([("staff", match, ObstacleEffect(**effect))])
        destination = point_along(g, e, 0.7)
        origin = latlon(g, int(g.tail[e]))
        route = router.route(origin, (destination[1], destination[0]), profile)
        on_it = [s for s in route.segments if s.edge in twins(g, e) and s.length_m > 0]
        breaks = [b for b in route.accessibility.breaks if b.limit == limit]
        assert on_it, (e, route.edges)
        assert breaks, (e, route.edges)
        start, walked = on_it[0].start_m, sum(s.length_m for s in on_it)
        languages: tuple[Language, Language] = ("de", "en")
        for lang, text in zip(languages, words, strict=True):
            said = [s for s in instructions(route, lang, graph=g) if text in s.text]
            assert len(said) == 1, [s.text for s in instructions(route, lang, graph=g)]
            assert abs(said[0].at_m - start) <= 0.1
            assert said[0].text.endswith(f"{text} {metres(walked, lang)}."), said[0].text
        assert breaks[0].at_m == pytest.approx(start, abs=0.1)
    overlay.apply([])
