"""The Router on real graphs: costs against networkx, path invariants, safety, errors and CLI.

Kaiserslautern (whole city, SRTM inclines) and the university extract are built once per session
(see ``tests/conftest.py``); everything here skips with a reason when ``../shared/data`` is absent.

The reference model for a query between two snapped points: the graph with ``weights.cost_s`` per
edge (``inf`` edges left out), a virtual source joined to the ends of its edge with the costs of the
pieces :func:`routing.walk_pieces.start_pieces` describes (``piece_cost(..., last=False)``), a
virtual target reached from the tail of the target's edge (piece ``0 → f``) and of its twin
(``0 → 1 - f``) with ``piece_cost(..., last=True)``, and the direct walk along one edge when both
points lie on it.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import time
from collections.abc import Iterator, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pytest

from accessibility_rules.profile import make_profile, preset_names
from accessibility_rules.profile_errors import UnknownProfileError
from accessibility_rules.weights import EdgeWeights, Limit
from graphs.geodesy import haversine_m
from routing._kernels import search as search_kernels
from routing.engine import Path, PathPiece, Router, piece_cost
from routing.errors import (
    InvalidCoordinateError,
    NoRouteError,
    OutOfAreaError,
    SearchBudgetError,
)
from routing.metric import Metric
from routing.route import Route
from routing.snapping import SnapPoint
from routing.walk_pieces import end_node, start_pieces

pytestmark = pytest.mark.realdata

PRESETS = preset_names()
REL = 1e-9
VIRTUAL_SOURCE = "source"


def test_all_ten_presets_are_covered() -> None:
    assert len(PRESETS) == 10


# ----------------------------------------------------------------------------------- helpers


def random_points(
    router: Router, rng: np.random.Generator, k: int, *, near: tuple[float, float] | None = None
) -> list[tuple[float, float]]:
    """``k`` random nodes moved a few metres in a random direction, as (lat, lon).

    With ``near`` (lat, lon): random points up to 1.5 km from it instead (local trips).
    """
    g = router.graph
    nodes = rng.integers(0, g.node_count, k)
    lat = g.node["lat"][nodes]
    lon = g.node["lon"][nodes]
    dist = rng.uniform(0.0, 6.0, k)
    if near is not None:
        lat, lon = np.full(k, near[0]), np.full(k, near[1])
        dist = rng.uniform(0.0, 1500.0, k)
    angle = rng.uniform(0.0, 2 * np.pi, k)
    dlat = dist * np.sin(angle) / 111_195.0
    dlon = dist * np.cos(angle) / (111_195.0 * np.cos(np.radians(lat)))
    return [(float(a), float(b)) for a, b in zip(lat + dlat, lon + dlon, strict=True)]


@functools.cache
def _nx_graph(router_id: int, preset: str, router: Router) -> tuple[nx.DiGraph, EdgeWeights]:
    weights = router.customizer.weights(make_profile(preset))
    g = router.graph
    finite = np.isfinite(weights.cost_s)
    tails, heads, costs = g.tail[finite], g.head[finite], weights.cost_s[finite]
    order = np.argsort(-costs, kind="stable")  # the cheapest parallel edge is added last and wins
    nxg = nx.DiGraph()
    nxg.add_nodes_from(range(g.node_count))
    nxg.add_weighted_edges_from(
        zip(tails[order].tolist(), heads[order].tolist(), costs[order].tolist(), strict=True)
    )
    return nxg, weights


def nx_graph(router: Router, preset: str) -> tuple[nx.DiGraph, EdgeWeights]:
    """The graph with ``weights.cost_s`` (``inf`` left out; parallel edges: the cheapest)."""
    return _nx_graph(id(router), preset, router)


def add_min_edge(nxg: nx.DiGraph, u: Any, v: Any, w: float) -> None:
    if not nxg.has_edge(u, v) or nxg[u][v]["weight"] > w:
        nxg.add_edge(u, v, weight=w)


def on_node(router: Router, t: SnapPoint) -> int:
    """The node a snapped point lies on (fraction 1: its edge's head, 0: its tail), else -1."""
    g = router.graph
    if t.fraction >= 1.0:
        return int(g.head[t.edge])
    return int(g.tail[t.edge]) if t.fraction <= 0.0 else -1


def direct_cost(router: Router, source: SnapPoint, target: SnapPoint, w: EdgeWeights) -> float:
    """Walking straight along the one edge both points lie on, or from the source to a target
    on a node its edge (or the edge's twin) runs to (inf when neither)."""
    g = router.graph
    rev = int(g.edge["reverse_edge"][source.edge])
    node = on_node(router, target)
    if target.edge == source.edge:
        fs, ft = source.fraction, target.fraction
    elif rev >= 0 and target.edge == rev:
        fs, ft = source.fraction, 1.0 - target.fraction
    elif node >= 0 and node == int(g.head[source.edge]):
        fs, ft = source.fraction, 1.0
    elif node >= 0 and rev >= 0 and node == int(g.head[rev]):
        fs, ft = source.fraction, 0.0
    else:
        return math.inf
    if ft >= fs:
        return piece_cost(w, PathPiece(source.edge, fs, ft), last=True)
    if rev < 0:
        return math.inf
    return piece_cost(w, PathPiece(rev, 1.0 - fs, 1.0 - ft), last=True)


def reference_costs(
    router: Router, nxg: nx.DiGraph, w: EdgeWeights, source: SnapPoint, targets: list[SnapPoint]
) -> list[float]:
    """Least cost from the snapped source to each snapped target in the reference model."""
    g = router.graph
    for p in start_pieces(router.graph, source):
        add_min_edge(nxg, VIRTUAL_SOURCE, int(g.head[p.edge]), piece_cost(w, p, last=False))
    try:
        dist = nx.single_source_dijkstra_path_length(nxg, VIRTUAL_SOURCE, weight="weight")
    finally:
        nxg.remove_node(VIRTUAL_SOURCE)
    out = []
    for t in targets:
        best = direct_cost(router, source, t, w)
        rev = int(g.edge["reverse_edge"][t.edge])
        exits = [PathPiece(t.edge, 0.0, t.fraction)]  # tail(e) → target
        if rev >= 0:
            exits.append(PathPiece(rev, 0.0, 1.0 - t.fraction))  # head(e) → target
        node = on_node(router, t)
        if node >= 0:  # a walk ending on a node arrives along any edge into it, head uncrossed
            exits.extend(PathPiece(int(x), 0.0, 1.0) for x in np.flatnonzero(g.head == node))
        for p in exits:
            node = int(g.tail[p.edge])
            if node in dist:
                best = min(best, dist[node] + piece_cost(w, p, last=True))
        out.append(best)
    return out


def engine_cost(router: Router, s: SnapPoint, t: SnapPoint, metric: Metric) -> float:
    try:
        return router.shortest_path(s, t, metric).cost_s
    except NoRouteError:
        return math.inf


def same_cost(a: float, b: float) -> bool:
    return (a == b == math.inf) or math.isclose(a, b, rel_tol=REL, abs_tol=1e-9)


# --------------------------------------------------------------------------- against networkx


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_search_core_node_to_node_matches_networkx(ksl_router: Router, preset: str) -> None:
    """The Router's A* (its heuristic scale, its weights) between nodes equals networkx.

    Independent of snapping and end pieces, so it checks that the heuristic
    ``h_factor × min_cost_per_m × frame distance`` stays admissible on real data.
    """
    router = ksl_router
    nxg, w = nx_graph(router, preset)
    g = router.graph
    rng = np.random.default_rng(PRESETS.index(preset))
    n, m = g.node_count, g.edge_count
    ws = search_kernels.workspace(n, m + 8)
    h_scale = router.customize(make_profile(preset)).h_scale
    gen = 0
    for a in rng.integers(0, n, 10):  # 10 × 20 pairs: one networkx search per source
        dist = nx.single_source_dijkstra_path_length(nxg, int(a), weight="weight")
        for b in rng.integers(0, n, 20):
            gen += 1
            bound = (
                router.node_x, router.node_y, float(router.node_x[b]), float(router.node_y[b]),
                h_scale, np.zeros((n, 0)), np.zeros((1, 0)), 1.0,
            )  # fmt: skip
            best, _, _ = search_kernels.search(
                (g.first_out, g.head, w.cost_s), ws, gen,
                (np.array([a], dtype=np.int64), np.zeros(1)),
                (np.array([b], dtype=np.int64), np.zeros(1)), bound, 0,
            )  # fmt: skip
            assert same_cost(best, dist.get(int(b), math.inf)), (preset, a, b, best)


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_shortest_path_cost_matches_networkx(ksl_router: Router, preset: str) -> None:
    """200 seeded pairs of snapped points per preset: engine cost == reference model cost."""
    router = ksl_router
    nxg, w = nx_graph(router, preset)
    metric = router.customize(make_profile(preset))
    rng = np.random.default_rng(100 + PRESETS.index(preset))
    for origin in random_points(router, rng, 10):  # 10 × 20 pairs
        source, _ = router.snap(origin, w, "origin")
        targets = [router.snap(p, w, "destination")[0] for p in random_points(router, rng, 20)]
        expected = reference_costs(router, nxg, w, source, targets)
        for target, ref in zip(targets, expected, strict=True):
            got = engine_cost(router, source, target, metric)
            assert same_cost(got, ref), (preset, origin, target, got, ref)


@pytest.mark.parametrize("preset", ["wheelchair", "blind"])
def test_a_walk_ending_on_a_node_does_not_pay_what_the_node_holds(
    ksl_router: Router, preset: str
) -> None:
    """Destinations on nodes that hold a transition (a kerb, a crossing, a barrier: the edges
    into them carry a ``head_s``): the engine's cost is the reference model's, where the walk
    arrives along any edge into the node and crosses nothing there, and it is the walk's own
    cost (``piece_cost`` with nothing at the last head), so the route is chosen by what it
    walks."""
    router = ksl_router
    nxg, w = nx_graph(router, preset)
    metric = router.customize(make_profile(preset))
    g = router.graph
    rng = np.random.default_rng(31 + PRESETS.index(preset))
    held = np.unique(g.head[(w.head_s > 0) & np.isfinite(w.head_s)])
    nodes = rng.choice(held, size=20, replace=False).tolist()
    targets = []
    for v in nodes:
        t, _ = router.snap((float(g.node["lat"][v]), float(g.node["lon"][v])), w, "destination")
        if end_node(router.graph, t) == v:
            targets.append(t)
    assert len(targets) >= 10
    cheaper = 0
    for origin in random_points(router, rng, 5):
        source, _ = router.snap(origin, w, "origin")
        expected = reference_costs(router, nxg, w, source, targets)
        for target, ref in zip(targets, expected, strict=True):
            try:
                path = router.shortest_path(source, target, metric)
            except NoRouteError:
                assert ref == math.inf
                continue
            assert same_cost(path.cost_s, ref), (preset, origin, target, path.cost_s, ref)
            pieces = path.pieces
            walked = sum(piece_cost(w, p, last=i == len(pieces) - 1) for i, p in enumerate(pieces))
            assert math.isclose(walked, path.cost_s, rel_tol=REL)
            into = pieces[-1].edge  # what the old model charged: the head of the arriving edge
            cheaper += pieces[-1].end == 1.0 and float(w.head_s[into]) > 0
    assert cheaper > 0


def point_on_edge(router: Router, e: int, f: float) -> SnapPoint:
    """The snap at fraction ``f`` of edge ``e``, placed as ``SpatialIndex`` measures it."""
    coords = router.graph.edge_coords(e)
    x, y = router.index.frame.project(coords[:, 0], coords[:, 1])
    cum = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
    at = f * cum[-1]
    lon, lat = router.index.frame.unproject(
        float(np.interp(at, cum, x)), float(np.interp(at, cum, y))
    )
    return SnapPoint(e, f, 0.0, lon, lat)


@pytest.mark.parametrize("preset", ["walk", "wheelchair"])
def test_same_edge_pairs_match_networkx(ksl_router: Router, preset: str) -> None:
    """Both points on one edge, either order: the direct walk or a way round, as networkx."""
    router = ksl_router
    nxg, w = nx_graph(router, preset)
    metric = router.customize(make_profile(preset))
    g = router.graph
    rng = np.random.default_rng(7)
    canonical = router.index.canonical_edges
    for e in rng.choice(canonical[g.edge["length_m"][canonical] > 5.0], 25, replace=False):
        fs, ft = sorted(rng.uniform(0.0, 1.0, 2))
        for a, b in ((fs, ft), (ft, fs)):
            s = point_on_edge(router, int(e), float(a))
            t = point_on_edge(router, int(e), float(b))
            [ref] = reference_costs(router, nxg, w, s, [t])
            got = engine_cost(router, s, t, metric)
            assert same_cost(got, ref), (e, a, b, got, ref)


# ---------------------------------------------------------------------------- path invariants


def piece_lengths(router: Router, path: Path) -> float:
    length = router.graph.edge["length_m"]
    return sum((p.end - p.start) * float(length[p.edge]) for p in path.pieces)


def nodes_at(router: Router, snap: SnapPoint) -> set[int]:
    """The end node of its edge a snap lies on (none when it lies inside the edge)."""
    g = router.graph
    at_node = {int(g.tail[snap.edge])} if snap.fraction == 0.0 else set()
    return at_node | ({int(g.head[snap.edge])} if snap.fraction == 1.0 else set())


def start_fraction_ok(router: Router, path: Path) -> bool:
    first, s = path.pieces[0], path.source
    rev = int(router.graph.edge["reverse_edge"][s.edge])
    g = router.graph
    if first.start == 0.0 and int(g.tail[first.edge]) in nodes_at(router, s):
        return True  # a source at a node: the path begins there, on the edge it leaves by
    if first.edge == s.edge:
        return math.isclose(first.start, s.fraction, abs_tol=1e-12)
    return first.edge == rev and math.isclose(first.start, 1.0 - s.fraction, abs_tol=1e-12)


def end_fraction_ok(router: Router, path: Path) -> bool:
    last, t = path.pieces[-1], path.target
    rev = int(router.graph.edge["reverse_edge"][t.edge])
    g = router.graph
    if last.end == 1.0 and int(g.head[last.edge]) in nodes_at(router, t):
        return True  # a target at a node: the path ends there, on the edge it arrives by
    if last.edge == t.edge:
        return math.isclose(last.end, t.fraction, abs_tol=1e-12)
    return last.edge == rev and math.isclose(last.end, 1.0 - t.fraction, abs_tol=1e-12)


def metres(lonlat: Sequence[float], snapped: dict[str, float]) -> float:
    return float(haversine_m(lonlat[0], lonlat[1], snapped["lon"], snapped["lat"]))


def routed_pairs(
    router: Router, preset: str, count: int, seed: int
) -> Iterator[tuple[Route, Path, EdgeWeights]]:
    """(route, path, weights) for ``count`` seeded pairs that have a route."""
    from routing.report import build_route

    prof = make_profile(preset)
    metric = router.customize(prof)
    w = metric.weights
    rng = np.random.default_rng(seed)
    points = random_points(router, rng, 2 * count)
    for origin, destination in zip(points[::2], points[1::2], strict=True):
        source, _ = router.snap(origin, w, "origin")
        target, _ = router.snap(destination, w, "destination")
        try:
            path = router.shortest_path(source, target, metric)
        except NoRouteError:
            continue
        route = build_route(router.graph, router.customizer.report_table(), prof, w, path, None)
        yield route, path, w


@pytest.mark.parametrize("preset", PRESETS)
def test_path_invariants(ksl_router: Router, preset: str) -> None:
    """Continuity, start fraction, cost = Σ piece costs, geometry start, distance = Σ lengths."""
    router = ksl_router
    g = router.graph
    seen = 0
    for route, path, w in routed_pairs(router, preset, 60, 200 + PRESETS.index(preset)):
        seen += 1
        pieces = path.pieces
        for a, b in itertools.pairwise(pieces):
            assert g.head[a.edge] == g.tail[b.edge], "pieces must be continuous"
            assert a.end == 1.0
            assert b.start == 0.0
        for p in pieces:
            assert 0.0 <= p.start <= p.end <= 1.0
        assert start_fraction_ok(router, path), (pieces[0], path.source)
        total = sum(piece_cost(w, p, last=i == len(pieces) - 1) for i, p in enumerate(pieces))
        assert math.isclose(total, path.cost_s, rel_tol=REL), (total, path.cost_s)
        assert math.isclose(route.distance_m, piece_lengths(router, path), rel_tol=REL)
        assert metres(route.geometry[0], route.snapped["origin"]) < 1.0
        assert route.edges == [p.edge for p in pieces]
    assert seen >= 50


@pytest.mark.parametrize("preset", ["walk", "wheelchair"])
def test_path_ends_at_the_snapped_destination(ksl_router: Router, preset: str) -> None:
    """The last piece ends at the target fraction; the geometry at the snapped destination."""
    router = ksl_router
    for route, path, _ in routed_pairs(router, preset, 60, 300 + PRESETS.index(preset)):
        assert end_fraction_ok(router, path), (path.pieces[-1], path.target)
        assert metres(route.geometry[-1], route.snapped["destination"]) < 1.0


# ------------------------------------------------------------------------------------- safety


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_fully_accessible_means_no_violation(ksl_router: Router, preset: str) -> None:
    """300 pairs: a verdict other than "no" ⇒ no violating edge walked (the last edge's head,
    beyond the destination, is not walked); "no" ⇒ the violations are listed."""
    router = ksl_router
    # the edge limits only: the route-wide rest limit (elderly) would make nearly every route
    # "no" on the few seats mapped here; tests/routing/test_rests.py covers it
    profile = make_profile(preset, {"max_distance_between_rests_m": None})
    w = router.customizer.weights(profile)
    rng = np.random.default_rng(400 + PRESETS.index(preset))
    limit_names = set(Limit.__members__)
    counts = {"fully": 0, "not": 0}
    not_forbidden = np.uint32(~int(Limit.UNKNOWN_FORBIDDEN) & 0xFFFFFFFF)
    for origin in random_points(router, rng, 300):  # local trips keep the reports short
        [destination] = random_points(router, rng, 1, near=origin)
        try:
            route = router.route(origin, destination, profile, compare_walk=False)
        except (NoRouteError, OutOfAreaError):
            continue
        if route.accessibility.verdict != "no":
            counts["fully"] += 1
            assert not route.violations
            *inner, last = route.edges
            assert all(w.violations[e] == 0 for e in inner), (origin, destination)
            # what is broken only at the last edge's head node lies beyond the destination
            along = w.violations[last] & ~w.violations_at_head[last] & not_forbidden
            assert along == 0, (origin, destination)
        else:
            counts["not"] += 1
            assert route.violations, (origin, destination)
            for v in route.violations:
                # "rests": the route-wide limit max_distance_between_rests_m (no edge Limit)
                assert v.limit.upper() in limit_names or v.limit == "rests", v
                assert v.message
    print(f"{preset}: {counts}")
    assert counts["fully"] > 100


# ------------------------------------------------------------------------ university: steps


def steps_barriers(route: Any) -> list[Any]:
    return [b for b in route.barriers if b.kind == "steps"]


def test_wheelchair_route_avoids_steps_the_walk_route_takes(uni_router: Router) -> None:
    """A seeded pair whose walk route climbs counted steps and whose wheelchair route does not."""
    router = uni_router
    g = router.graph
    is_steps, step_count, length = g.edge["is_steps"], g.edge["step_count"], g.edge["length_m"]
    assert (step_count[is_steps] > 0).any(), "the university extract has counted steps"
    rng = np.random.default_rng(2013)
    found = None
    for _ in range(3000):
        origin, destination = random_points(router, rng, 2)
        walk = router.route(origin, destination, "walk", compare_walk=False)
        if not any(step_count[e] > 0 for e in walk.edges):
            continue
        chair = router.route(origin, destination, "wheelchair")
        if not steps_barriers(chair):
            found = origin, destination, walk, chair
            break
    assert found is not None, "no pair where the wheelchair route avoids the walk route's steps"
    origin, destination, walk, chair = found
    assert not any(is_steps[e] for e in chair.edges)
    assert chair.detour is not None
    assert chair.detour["extra_distance_m"] > 0
    flights = [seg for seg in walk.segments if is_steps[seg.edge] and seg.length_m > 0]
    barriers = steps_barriers(walk)
    assert len(flights) == len(barriers) >= 1
    for seg, barrier in zip(flights, barriers, strict=True):
        assert barrier.at_m == pytest.approx(seg.start_m, abs=0.1)
        tagged = int(step_count[seg.edge])
        reported = barrier.details["step_count"]
        if tagged <= 0:
            assert reported is None
        elif math.isclose(seg.length_m, float(length[seg.edge]), rel_tol=1e-9):
            assert reported == tagged  # the whole flight is climbed
        else:
            assert 1 <= reported <= tagged
    print(
        f"\norigin {origin}, destination {destination}: walk {walk.distance_m:.0f} m with "
        f"{len(barriers)} flight(s) of steps {[b.details for b in barriers]}; wheelchair "
        f"{chair.distance_m:.0f} m, detour {chair.detour}, fully accessible "
        f"{chair.fully_accessible}"
    )


# ------------------------------------------------------------------------------------- errors


def centre(router: Router) -> tuple[float, float]:
    g = router.graph
    i = int(np.argmin(np.hypot(router.node_x, router.node_y)))
    return float(g.node["lat"][i]), float(g.node["lon"][i])


@pytest.mark.parametrize(
    "point",
    [(math.nan, 7.76), (49.44, math.inf), (91.0, 7.76), (49.44, -181.0), ("x", 7.0), (49.4,)],
)
def test_invalid_coordinates(ksl_router: Router, point: Any) -> None:
    with pytest.raises(InvalidCoordinateError):
        ksl_router.route(point, centre(ksl_router))
    with pytest.raises(InvalidCoordinateError):
        ksl_router.route(centre(ksl_router), point)


def test_point_ten_km_away_is_out_of_area(ksl_router: Router) -> None:
    g = ksl_router.graph
    lat = float(g.node["lat"].max()) + 10_000 / 111_195.0
    lon = float(np.median(g.node["lon"]))
    with pytest.raises(OutOfAreaError) as info:
        ksl_router.route((lat, lon), centre(ksl_router))
    distance = info.value.details["distance_m"]
    assert 9_500 < distance < 10_500
    assert f"{distance / 1000:.1f} km" in str(info.value)
    assert info.value.details["field"] == "origin"


@pytest.mark.parametrize(
    ("point", "swapped"),
    [("swapped", True), ((-33.8568, 151.2153), False), ((0.0, 0.0), False), ((89.9, 7.7), False)],
)
def test_out_of_area_is_decided_at_once(
    ksl_router: Router, point: Any, swapped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: a far point froze a worker for 17–45 s (a snap retried with 10 000 km)."""
    c = centre(ksl_router)
    if point == "swapped":
        point = (c[1], c[0])

    def no_search(*args: Any) -> None:
        raise AssertionError("an out-of-area point must be refused before any snap search")

    monkeypatch.setattr(ksl_router.index, "snap", no_search)
    for args in ((point, c), (c, point)):
        start = time.perf_counter()
        with pytest.raises(OutOfAreaError) as info:
            ksl_router.route(*args)
        assert time.perf_counter() - start < 0.1
        details = info.value.details
        assert details["swapped"] is swapped
        assert ("did you swap latitude and longitude?" in str(info.value)) is swapped
        assert ("hint" in details) is swapped
        assert details["distance_m"] > ksl_router.snapper.max_snap_m
        assert f"{details['distance_m'] / 1000:.1f} km" in str(info.value)


def test_points_near_the_area_still_snap(ksl_router: Router) -> None:
    """The box test is grown by the snap distance: a point just outside the box still routes."""
    area = ksl_router.snapper.area
    lat = area.lat_max + 0.5 * ksl_router.snapper.max_snap_m / 111_195.0
    g = ksl_router.graph
    i = int(np.argmax(g.geom_lat))
    lon = float(g.geom_lon[i])
    assert area.distance_m(lat, lon) < ksl_router.snapper.max_snap_m
    route = ksl_router.route((lat, lon), centre(ksl_router))
    assert route.distance_m > 0


def test_default_search_budget_is_the_node_count(ksl_router: Router) -> None:
    assert ksl_router.max_settled == ksl_router.graph.node_count
    route = ksl_router.route(*far_pair(ksl_router))
    assert route.distance_m > 0


def far_pair(router: Router) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two nodes far apart (south-west and north-east corners of the graph)."""
    g = router.graph
    s = int(np.argmin(router.node_x + router.node_y))
    t = int(np.argmax(router.node_x + router.node_y))
    return (float(g.node["lat"][s]), float(g.node["lon"][s])), (
        float(g.node["lat"][t]),
        float(g.node["lon"][t]),
    )


def test_search_stops_on_its_budget(ksl_router: Router, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ksl_router, "max_settled", 50)
    with pytest.raises(SearchBudgetError) as info:
        ksl_router.route(*far_pair(ksl_router))
    assert info.value.code == "search_budget_exceeded"
    assert info.value.details == {"settled_nodes": 50, "max_settled": 50}
    monkeypatch.undo()
    assert ksl_router.route(*far_pair(ksl_router)).distance_m > 0


def test_kernel_reports_the_budget_only_when_it_cut_the_search(ksl_router: Router) -> None:
    g = ksl_router.graph
    cost = np.ascontiguousarray(ksl_router.customize(ksl_router.profile("walk")).cost_s)
    ws = search_kernels.workspace(g.node_count, g.edge_count + 8)
    sources = (np.array([0], dtype=np.int64), np.array([0.0]))
    none = (np.zeros(0, dtype=np.int64), np.zeros(0))
    args = ((g.first_out, g.head, cost), ws, 1, sources, none, search_kernels.no_bound(), 0)
    _, exit_, settled = search_kernels.search(*args)
    assert exit_ == -1
    assert 100 < settled <= g.node_count
    _, exit_, cut = search_kernels.search(*args[:2], 2, *args[3:], 100)
    assert (exit_, cut) == (search_kernels.BUDGET_EXHAUSTED, 100)
    _, exit_, whole = search_kernels.search(*args[:2], 3, *args[3:], settled)
    assert (exit_, whole) == (-1, settled)  # exactly the budget, nothing left: not cut


def test_unknown_profile(ksl_router: Router) -> None:
    with pytest.raises(UnknownProfileError):
        ksl_router.route(centre(ksl_router), centre(ksl_router), "skateboard")


def violating_pair(router: Router, preset: str) -> tuple[Any, Any, Any]:
    """The first seeded pair whose best route must break one of the preset's limits."""
    rng = np.random.default_rng(99)
    for _ in range(500):
        origin, destination = random_points(router, rng, 2)
        route = router.route(origin, destination, preset, compare_walk=False)
        if route.violations:
            return origin, destination, route
    pytest.fail(f"no pair needs a violation for {preset}")


def test_strict_names_the_broken_limit(ksl_router: Router) -> None:
    origin, destination, route = violating_pair(ksl_router, "wheelchair")
    limits = sorted({v.limit for v in route.violations})
    with pytest.raises(NoRouteError) as info:
        ksl_router.route(origin, destination, "wheelchair", strict=True)
    assert info.value.details["broken_limits"] == limits
    for limit in limits:
        assert limit in str(info.value)


def test_geojson_export(ksl_router: Router) -> None:
    g = ksl_router.graph
    _, _, route = violating_pair(ksl_router, "wheelchair")
    doc = json.loads(json.dumps(route.to_geojson()))
    assert doc["type"] == "FeatureCollection"
    features = doc["features"]
    assert features[0]["geometry"]["type"] == "LineString"
    assert len(features[0]["geometry"]["coordinates"]) >= 2
    assert len(features) == 1 + len(route.barriers) + len(route.violations)
    assert all(f["geometry"]["type"] == "Point" for f in features[1:])
    assert any(f["properties"].get("kind") == "violation" for f in features[1:])
    lon_lo, lon_hi = float(g.node["lon"].min()), float(g.node["lon"].max())
    lat_lo, lat_hi = float(g.node["lat"].min()), float(g.node["lat"].max())
    for f in features:
        assert f["type"] == "Feature"
        assert isinstance(f["properties"], dict)
        geom = f["geometry"]
        coords = geom["coordinates"] if geom["type"] == "LineString" else [geom["coordinates"]]
        for lon, lat in coords:
            assert lon_lo - 0.01 <= lon <= lon_hi + 0.01, "coordinates are lon, lat"
            assert lat_lo - 0.01 <= lat <= lat_hi + 0.01


# ---------------------------------------------------------------------------------------- CLI


def cli_args(graph_dir: Any, router: Router) -> list[str]:
    rng = np.random.default_rng(5)
    (a_lat, a_lon), (b_lat, b_lon) = random_points(router, rng, 2)
    return ["route", "--graph", str(graph_dir), "--from", f"{a_lat},{a_lon}", "--to",
            f"{b_lat},{b_lon}"]  # fmt: skip


def test_cli_route_summary(
    ksl_graph_dir: Any, ksl_router: Router, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    assert main([*cli_args(ksl_graph_dir, ksl_router), "--profile", "wheelchair"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wheelchair: ")
    assert " m, " in out
    assert " min, " in out
    assert "OpenStreetMap" in out


def test_cli_route_json(
    ksl_graph_dir: Any, ksl_router: Router, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    args = [*cli_args(ksl_graph_dir, ksl_router), "--set", "max_kerb_height_cm=4", "--json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["type"] == "FeatureCollection"
    assert doc["features"][0]["geometry"]["type"] == "LineString"


@pytest.mark.parametrize("setting", ["max_kerb_height_cm=abc", "max_kerb_height_cm=400"])
def test_cli_bad_set_value(
    ksl_graph_dir: Any, ksl_router: Router, capsys: pytest.CaptureFixture[str], setting: str
) -> None:
    from api.cli import main

    code = main([*cli_args(ksl_graph_dir, ksl_router), "--profile", "wheelchair", "--set", setting])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "max_kerb_height_cm" in lines[0]


def test_remembered_snaps_equal_the_nearest_point_and_stay_few(ksl_router: Router) -> None:
    """A thread remembers its latest snaps (``obstacles.avoided`` snaps a route's points again):
    in any order of asking, with and without the ground below, each is the index's nearest
    point; no more than :data:`SNAP_MEMO_SIZE` are kept; a point out of the area is refused
    every time; another thread remembers its own."""
    import threading

    from routing.errors import OutOfAreaError
    from routing.snapper import SNAP_MEMO_SIZE

    router = Router(ksl_router.graph)
    metric = router.customize(router.profile("wheelchair"))
    rng = np.random.default_rng(11)
    g = router.graph
    nodes = rng.integers(0, g.node_count, size=12)
    points = [
        (float(g.node["lat"][n]) + 1e-4, float(g.node["lon"][n]) - 1e-4) for n in nodes.tolist()
    ]
    for i in rng.integers(0, len(points), size=200).tolist():
        underground = bool(i % 2)
        lat, lon = points[i]
        want = router.index.snap(
            lon, lat, router.snapper.level_penalty(underground), router.snapper.max_snap_m
        )
        got, _ = router.snap(points[i], metric, "origin", allow_underground=underground)
        assert got == want
        assert len(router.snapper._local.snaps) <= SNAP_MEMO_SIZE
    far = (points[0][0] + 1.0, points[0][1])
    for _ in range(2):
        with pytest.raises(OutOfAreaError):
            router.snap(far, metric, "destination")
    other: list[object] = []
    worker = threading.Thread(
        target=lambda: other.append(getattr(router.snapper._local, "snaps", None))
    )
    worker.start()
    worker.join()
    assert other == [None]
