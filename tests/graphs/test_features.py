"""Seats, trees and green areas joined to the edges (graphs/features.py), one rule per test.

The fixture is hand-written OSM XML, laid out in metres east (x) and north (y) of
(7.76 E, 49.44 N) and written in the test:

    B   n5 (0,30) ─────────────────────────── n6 (200,30)          footway
        │                                      │
    R   n3 (0,12) ═══════════════════════════ n4 (200,12)          residential, sidewalk=separate
        │                                      │
    A   n1 (0,0) ─────────── n7 (100,0) ───── n2 (200,0) ── n8 (300,0)   footway A, then path P
                          (bench on the node)

Seats: s1 (30,-5) backrest=yes, s2 (170,-4) backrest=no, s6 (150,-3) a bus stop with bench=yes,
s3 (50,-40) beyond 15 m, s4 (60,20) beside B (the separate-sidewalk road at 8 m is no
candidate), s5 (40,13) between R and B: A is across the road and B 17 m away, so it is not joined.
Trees near n1–n7 (y = -10, x = 20…35): Betula, Tilia (species), unknown (leaf_type only), Acer
(other); near n7–n2: a Linde (genus:de) at (160,-10) and a Betula tree row from (120,-15) to
(150,-15) (30 m: four trees). Park "Testpark" x 250…400, grass x 205…215 y 5…20, wood x 300…340
y 10…40.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from accessibility_rules import surroundings
from accessibility_rules.surroundings import SeatKind
from api.cli import main as cli_main
from graphs.build import build_graph
from graphs.coverage import coverage_report
from graphs.features import (
    TREES_NOT_READ,
    FeatureOptions,
    read_tree_register,
    seats_on_edge,
    surroundings_read,
)
from graphs.geodesy import metres_per_degree
from graphs.model import CompiledGraph
from graphs.sources import RawFeatures, SourceError, read_osm_file
from graphs.store import load_graph, save_graph

LON0, LAT0 = 7.76, 49.44
MX, MY = metres_per_degree(LAT0)


def lonlat(x: float, y: float) -> tuple[float, float]:
    return LON0 + x / MX, LAT0 + y / MY


NODES: dict[int, tuple[float, float, dict[str, str]]] = {
    1: (0, 0, {}),
    7: (100, 0, {"amenity": "bench", "backrest": "yes"}),
    2: (200, 0, {}),
    8: (300, 0, {}),
    3: (0, 12, {}),
    4: (200, 12, {}),
    5: (0, 30, {}),
    6: (200, 30, {}),
    # seats
    101: (30, -5, {"amenity": "bench", "backrest": "yes"}),
    102: (170, -4, {"amenity": "bench", "backrest": "no"}),
    103: (50, -40, {"amenity": "bench"}),
    104: (60, 20, {"leisure": "picnic_table"}),
    105: (40, 13, {"amenity": "bench"}),
    106: (150, -3, {"highway": "bus_stop", "bench": "yes"}),
    # trees
    201: (20, -10, {"natural": "tree", "genus": "Betula"}),
    202: (25, -10, {"natural": "tree", "species": "Tilia cordata"}),
    203: (30, -10, {"natural": "tree", "leaf_type": "broadleaved"}),
    204: (35, -10, {"natural": "tree", "genus": "Acer"}),
    205: (160, -10, {"natural": "tree", "genus:de": "Winterlinde"}),
    # tree row, park, grass, wood corners
    301: (120, -15, {}),
    302: (150, -15, {}),
    311: (250, -50, {}),
    312: (400, -50, {}),
    313: (400, 50, {}),
    314: (250, 50, {}),
    321: (205, 5, {}),
    322: (215, 5, {}),
    323: (215, 20, {}),
    324: (205, 20, {}),
    331: (300, 10, {}),
    332: (340, 10, {}),
    333: (340, 40, {}),
    334: (300, 40, {}),
}
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    10: ([1, 7, 2], {"highway": "footway"}),
    11: ([3, 4], {"highway": "residential", "sidewalk": "separate"}),
    12: ([5, 6], {"highway": "footway"}),
    13: ([1, 3, 5], {"highway": "path"}),
    14: ([2, 4, 6], {"highway": "path"}),
    15: ([2, 8], {"highway": "path"}),
    20: ([301, 302], {"natural": "tree_row", "genus": "Betula"}),
    21: ([311, 312, 313, 314, 311], {"leisure": "park", "name": "Testpark"}),
    22: ([321, 322, 323, 324, 321], {"landuse": "grass"}),
    23: ([331, 332, 333, 334, 331], {"natural": "wood"}),
}


def write_osm(path: Path, nodes: dict = NODES, ways: dict = WAYS) -> Path:
    """Write the fixture as OSM XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (x, y, tags) in nodes.items():
        lon, lat = lonlat(x, y)
        lines.append(f'  <node id="{i}" lat="{lat:.8f}" lon="{lon:.8f}" version="1">')
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </node>")
    for i, (refs, tags) in ways.items():
        lines.append(f'  <way id="{i}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def fixture_osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_osm(tmp_path_factory.mktemp("features") / "features.osm")


@pytest.fixture(scope="module")
def graph(fixture_osm: Path) -> CompiledGraph:
    return build_graph(read_osm_file(fixture_osm))[0]


def edge(g: CompiledGraph, a: int, b: int) -> int:
    ids = g.node["osm_id"]
    (ia,), (ib,) = np.flatnonzero(ids == a), np.flatnonzero(ids == b)
    (e,) = np.flatnonzero((g.tail == ia) & (g.head == ib))
    return int(e)


# ------------------------------------------------------------------------------ tag rules


@pytest.mark.parametrize(
    ("tags", "taxon"),
    [
        ({"genus": "Betula"}, "betula"),
        ({"genus:la": "Alnus"}, "alnus"),
        ({"species": "Tilia cordata"}, "tilia"),
        ({"taxon": "Quercus robur"}, "quercus"),
        ({"genus:de": "Hasel"}, "corylus"),
        ({"species:de": "Gemeine Esche"}, "fraxinus"),
        ({"species:de": "Pappel"}, "other"),
        ({"genus": "Acer"}, "other"),
        ({"leaf_type": "broadleaved"}, "unknown"),
        ({"leaf_type": "needleleaved", "leaf_cycle": "evergreen"}, "unknown"),
        ({}, "unknown"),
    ],
)
def test_tree_taxon_rule(tags: dict[str, str], taxon: str) -> None:
    assert surroundings.tree_taxon({"natural": "tree", **tags}) == taxon


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"amenity": "bench"}, SeatKind.BENCH),
        ({"leisure": "picnic_table"}, SeatKind.PICNIC_TABLE),
        ({"highway": "bus_stop", "bench": "yes"}, SeatKind.STOP),
        ({"public_transport": "platform", "bench": "yes"}, SeatKind.STOP),
        ({"amenity": "shelter", "bench": "yes"}, SeatKind.SHELTER),
        ({"highway": "bus_stop", "bench": "no"}, None),
        ({"highway": "bus_stop"}, None),
        ({"amenity": "shelter"}, None),
    ],
)
def test_seat_kind_rule(tags: dict[str, str], kind: SeatKind | None) -> None:
    assert surroundings.seat_kind(tags) == kind


def test_area_rules() -> None:
    assert surroundings.area_kind({"leisure": "park"}) == (True, False, False)
    assert surroundings.area_kind({"landuse": "meadow"}) == (True, True, False)
    assert surroundings.area_kind({"natural": "scrub"}) == (True, False, True)
    assert surroundings.area_kind({"landuse": "residential"}) == (False, False, False)
    assert surroundings.park_name({"leisure": "park", "name": " Körnerpark "}) == "Körnerpark"
    assert surroundings.park_name({"leisure": "park"}) is None
    assert surroundings.park_name({"landuse": "grass", "name": "Wiese"}) is None


# ------------------------------------------------------------------------------ seats


def test_seats_within_distance_with_offsets_in_both_directions(graph: CompiledGraph) -> None:
    forward, backward = edge(graph, 1, 7), edge(graph, 7, 1)
    offsets, backrest, kind, lon, _ = seats_on_edge(graph, forward)
    # s1 at 30 m, the node bench at the edge's end (100 m)
    assert offsets.tolist() == pytest.approx([30.0, 100.0], abs=0.3)
    assert backrest.tolist() == [1, 1]
    assert kind.tolist() == [SeatKind.BENCH, SeatKind.BENCH]
    assert lon[0] == pytest.approx(lonlat(30, -5)[0])
    offsets_back, *_ = seats_on_edge(graph, backward)
    assert offsets_back.tolist() == pytest.approx([0.0, 70.0], abs=0.3)
    e = graph.edge
    assert e["seat_first_m"][forward] == pytest.approx(30.0, abs=0.3)
    assert e["seat_last_m"][forward] == pytest.approx(100.0, abs=0.3)
    assert e["seat_max_gap_m"][forward] == pytest.approx(70.0, abs=0.3)
    assert e["seat_first_m"][backward] == pytest.approx(0.0, abs=1e-6)
    assert e["seat_max_gap_m"][backward] == pytest.approx(70.0, abs=0.3)


def test_node_seat_folded_in_and_stop_bench(graph: CompiledGraph) -> None:
    e7_2 = edge(graph, 7, 2)
    offsets, backrest, kind, *_ = seats_on_edge(graph, e7_2)
    # the node bench at 0, the bus stop (bench=yes) at 50, s2 (no backrest) at 70
    assert offsets.tolist() == pytest.approx([0.0, 50.0, 70.0], abs=0.3)
    assert backrest.tolist() == [1, -1, 0]
    assert kind.tolist() == [SeatKind.BENCH, SeatKind.STOP, SeatKind.BENCH]
    assert graph.edge["seat_max_gap_m"][e7_2] == pytest.approx(50.0, abs=0.3)
    e2_7 = edge(graph, 2, 7)
    assert seats_on_edge(graph, e2_7)[0].tolist() == pytest.approx([30.0, 50.0, 100.0], abs=0.3)


def test_seat_beyond_distance_and_across_road_not_joined(graph: CompiledGraph) -> None:
    stats = graph.meta["features"]
    assert stats["seats_read"] == 7
    assert stats["seats_on_network_nodes"] == 1
    assert stats["seats_joined"] == 4  # s1, s2, s4, s6
    assert stats["seats_beyond_distance"] == 1  # s3
    assert stats["seats_across_road"] == 1  # s5
    # no seat on the road (s4 and s5 are nearer to it, but its sidewalks are separate)
    road = edge(graph, 3, 4)
    assert len(seats_on_edge(graph, road)[0]) == 0
    assert math.isnan(graph.edge["seat_first_m"][road])
    # s4 (picnic table) on footway B, 60 m from n5
    offsets, _, kind, *_ = seats_on_edge(graph, edge(graph, 5, 6))
    assert offsets.tolist() == pytest.approx([60.0], abs=0.3)
    assert kind.tolist() == [SeatKind.PICNIC_TABLE]


def test_seat_across_road_joins_with_a_larger_distance(fixture_osm: Path) -> None:
    """s5 is 17 m from footway B (its own side of the road): joined there at 20 m, never to A."""
    g = build_graph(read_osm_file(fixture_osm), features=FeatureOptions(seat_distance_m=20))[0]
    offsets = seats_on_edge(g, edge(g, 5, 6))[0]
    assert offsets.tolist() == pytest.approx([40.0, 60.0], abs=0.3)
    assert g.meta["features"]["seats_across_road"] == 0
    assert seats_on_edge(g, edge(g, 1, 7))[0].tolist() == pytest.approx([30.0, 100.0], abs=0.3)


def test_a_seat_beside_a_junction_counts_on_every_way_there(tmp_path: Path) -> None:
    """A bench 5 m south of junction n2, 0.4 m west of it along A: its nearest point on A lies
    within :data:`~graphs.features.NODE_SEAT_M` of n2, where A, P and the path up to n4 meet,
    all about as near. It counts at n2 on each of them (it used to count on A alone, so a walk
    along P and up to n4 passed it without seeing it, or took A's edge and back to reach it)."""
    nodes = NODES | {107: (199.6, -5, {"amenity": "bench", "backrest": "yes"})}
    g = build_graph(read_osm_file(write_osm(tmp_path / "junction.osm", nodes)))[0]
    bench = lonlat(199.6, -5)
    for a, b, at_m in ((7, 2, 100.0), (2, 8, 0.0), (2, 4, 0.0), (8, 2, 100.0), (4, 2, 12.0)):
        offsets, _, _, lon, lat = seats_on_edge(g, edge(g, a, b))
        here = np.flatnonzero(np.isclose(lon, bench[0]) & np.isclose(lat, bench[1]))
        assert len(here) == 1, (a, b)
        assert float(offsets[here[0]]) == pytest.approx(at_m, abs=0.3)
    from routing.engine import Router

    (lat0, lon0), (lat1, lon1) = lonlat(300, 1)[::-1], lonlat(200, 25)[::-1]
    route = Router(g).route((lat0, lon0), (lat1, lon1), "elderly", compare_walk=False)
    seats = route.as_dict()["rests"]["seats"]
    assert [(s["lon"], s["lat"]) for s in seats] == [pytest.approx(bench)]
    assert seats[0]["at_m"] == pytest.approx(100.0, abs=1.0)
    assert g.meta["features"]["seats_joined_at_nodes"] == 1


def test_a_seat_beside_two_ways_counts_on_both(tmp_path: Path) -> None:
    """A bench between footway A and a path 4 m south of it (1.5 m from the path, 2.5 m from
    A; the path runs from n1 to n2): within :data:`~graphs.features.SEAT_BESIDE_M` of both, it is used from both (it used to
    count on the nearer one alone, so a walk along A passed it unseen)."""
    nodes = NODES | {
        901: (40, -4, {}),
        902: (80, -4, {}),
        908: (60, -2.5, {"amenity": "bench"}),
    }
    path = {"highway": "path"}  # from n1 down to 4 m south of A, along it, back up to n2
    ways = WAYS | {30: ([1, 901, 902, 2], path)}
    g = build_graph(read_osm_file(write_osm(tmp_path / "beside.osm", nodes, ways)))[0]
    bench = lonlat(60, -2.5)
    down, up = math.hypot(40, 4), math.hypot(120, 4)
    on_path = down + 20.0
    for a, b, at_m in (
        (1, 7, 60.0),
        (7, 1, 40.0),
        (1, 2, on_path),
        (2, 1, down + 40 + up - on_path),
    ):
        offsets, _, _, lon, lat = seats_on_edge(g, edge(g, a, b))
        here = np.flatnonzero(np.isclose(lon, bench[0]) & np.isclose(lat, bench[1]))
        assert len(here) == 1, (a, b)
        assert float(offsets[here[0]]) == pytest.approx(at_m, abs=0.3)
    assert g.meta["features"]["seats_also_beside_another_way"] == 1


def test_seat_table_is_sorted_and_consistent(graph: CompiledGraph) -> None:
    s = graph.seats
    order = np.lexsort((s["seat_offset_m"], s["seat_edge"]))
    assert np.array_equal(order, np.arange(len(order)))
    assert np.array_equal(
        np.diff(s["edge_seat_first"]), np.bincount(s["seat_edge"], minlength=graph.edge_count)
    )
    assert np.all(s["seat_offset_m"] <= graph.edge["length_m"][s["seat_edge"]] + 1e-3)


# ------------------------------------------------------------------------------ trees


#: A tree 10 m beside a straight way is passed along 2·sqrt(20² - 10²) m of it within 20 m:
#: it counts that share of 2 × 20 m (1 right beside the way); at 15 m, 2·sqrt(20² - 15²) m.
AT_10_M = math.sqrt(20**2 - 10**2) / 20
AT_15_M = math.sqrt(20**2 - 15**2) / 20


def test_tree_counts_by_taxon(graph: CompiledGraph) -> None:
    e = graph.edge
    for a, b in ((1, 7), (7, 1)):
        i = edge(graph, a, b)
        counts = {t: float(e[f"trees_{t}"][i]) for t in surroundings.TREE_TAXA}
        one = pytest.approx(AT_10_M, abs=1e-3)
        assert counts == {
            "alnus": 0, "betula": one, "corylus": 0, "fraxinus": 0, "quercus": 0, "tilia": one,
            "other": one, "unknown": one,
        }  # fmt: skip
    i = edge(graph, 7, 2)
    assert float(e["trees_tilia"][i]) == pytest.approx(AT_10_M, abs=1e-3)  # genus:de Winterlinde
    # the tree row: 30 m at 10 m spacing, both ends: four trees 15 m off the way
    assert float(e["trees_betula"][i]) == pytest.approx(4 * AT_15_M, rel=1e-3)
    assert float(e["trees_unknown"][i]) == 0
    stats = graph.meta["features"]
    assert (stats["trees_osm"], stats["trees_osm_with_genus"]) == (5, 4)
    assert stats["trees_from_tree_rows"] == 4


#: Nodes splitting footway A near a birch: (OSM id, x).
SPLIT = ((9001, 40.0), (9002, 50.0), (9003, 60.0))


def test_a_tree_counts_once_however_the_way_is_split(tmp_path: Path) -> None:
    """A birch 5 m beside footway A between n1 and n7: A split into four edges there (spurs
    join it at x = 40, 50, 60) passes it as often as A in one edge: once, 0.97 (each edge had
    counted it whole: four birches where one stands, and four times its pollen cost)."""
    birch = {9010: (50, -5, {"natural": "tree", "genus": "Betula"})}
    one = build_graph(read_osm_file(write_osm(tmp_path / "one.osm", NODES | birch)))[0]
    beside = math.sqrt(20**2 - 5**2) / 20
    whole = float(one.edge["trees_betula"][edge(one, 1, 7)])
    assert whole == pytest.approx(AT_10_M + beside, abs=1e-3)  # with birch 201, 10 m beside
    split: dict[int, tuple[float, float, dict[str, str]]] = {k: (x, 0, {}) for k, x in SPLIT}
    ends: dict[int, tuple[float, float, dict[str, str]]] = {k + 100: (x, 30, {}) for k, x in SPLIT}
    spurs = {91: ([9001, 9101], {"highway": "footway"}), 92: ([9002, 9102], {"highway": "footway"}),
             93: ([9003, 9103], {"highway": "footway"})}  # fmt: skip
    a = {10: ([1, 9001, 9002, 9003, 7, 2], {"highway": "footway"})}
    nodes = NODES | split | ends | birch
    g = build_graph(read_osm_file(write_osm(tmp_path / "split.osm", nodes, WAYS | a | spurs)))[0]
    pieces = [edge(g, x, y) for x, y in ((1, 9001), (9001, 9002), (9002, 9003), (9003, 7))]
    counts = g.edge["trees_betula"][pieces].astype(float)
    assert np.all(counts > 0)  # every piece passes within 20 m of it
    assert counts.sum() == pytest.approx(whole, abs=1e-3)


def test_wood_counts_trees_of_unknown_genus(graph: CompiledGraph) -> None:
    # P (n2 → n8) passes within 20 m of the wood for sqrt(20² - 10²) = 17.3 m: 1.73 trees
    assert float(graph.edge["trees_unknown"][edge(graph, 2, 8)]) == pytest.approx(1.732, abs=0.01)
    assert float(graph.edge["trees_unknown"][edge(graph, 3, 4)]) == 0


# ------------------------------------------------------------------------------ green


def test_green_and_grass_share_of_a_path_half_inside_a_park(fixture_osm: Path) -> None:
    raw = read_osm_file(fixture_osm)
    g0 = build_graph(raw, features=FeatureOptions(green_distance_m=0.0))[0]
    p = edge(g0, 2, 8)
    assert g0.edge["green_share"][p] == pytest.approx(0.5, abs=0.005)  # x 250…300 inside
    assert g0.edge["grass_share"][p] == pytest.approx(0.0)
    g = build_graph(raw)[0]  # 10 m
    p, q = edge(g, 2, 8), edge(g, 8, 2)
    grass = (15 + math.sqrt(10**2 - 5**2)) / 100  # x 200…223.7: round-capped, the grass 5 m away
    assert g.edge["grass_share"][p] == pytest.approx(grass, abs=0.005)
    assert g.edge["green_share"][p] == pytest.approx(0.6 + grass, abs=0.005)
    assert g.edge["green_share"][q] == g.edge["green_share"][p]
    assert g.meta["parks"] == ["Testpark"]
    assert g.edge["park_id"][p] == 0
    assert g.edge["park_id"][q] == 0
    assert g.edge["park_id"][edge(g, 1, 7)] == -1
    assert g.edge["green_share"][edge(g, 1, 7)] == 0.0


def test_store_round_trip_and_coverage(graph: CompiledGraph, tmp_path: Path) -> None:
    save_graph(graph, tmp_path / "g")
    loaded = load_graph(tmp_path / "g")
    for name, arr in graph.seats.items():
        assert np.array_equal(loaded.seats[name], arr), name
    assert loaded.meta["parks"] == ["Testpark"]
    report = coverage_report(loaded)
    counts, rates = report["counts"], report["surroundings"]
    assert counts["seats_on_network"] == 5
    assert counts["trees_osm_with_genus"] == 4
    assert counts["trees_osm_without_genus"] == 1
    assert 0 < rates["green_share_of_length"] < 1
    km = counts["network_km"]
    assert rates["seats_per_km"] == pytest.approx(5 / km, rel=1e-2)


# ------------------------------------------------------------------------------ not read


@pytest.fixture(scope="module")
def unread(fixture_osm: Path) -> CompiledGraph:
    """The fixture's network from a source not read for features (as an osmnx download)."""
    raw = read_osm_file(fixture_osm)
    raw = dataclasses.replace(raw, features=RawFeatures(read=False))
    return build_graph(raw)[0]


def test_surroundings_not_read_are_unknown_not_none(
    graph: CompiledGraph, unread: CompiledGraph, tmp_path: Path
) -> None:
    assert graph.meta["features"]["read"] is True
    assert surroundings_read(graph)
    assert unread.meta["features"]["read"] is False
    e = unread.edge
    assert np.all(np.isnan(e["green_share"]))
    assert np.all(np.isnan(e["grass_share"]))
    assert np.all(e["trees_unknown"] == TREES_NOT_READ)  # any number of trees, genus unknown
    for taxon in ("betula", "tilia", "other"):
        assert not np.any(e[f"trees_{taxon}"])  # nothing known of a genus
    assert unread.meta["parks"] == []
    # the bench on the network node n7 is part of the network: still a seat
    assert np.isfinite(e["seat_first_m"][edge(unread, 7, 2)])
    save_graph(unread, tmp_path / "g")
    loaded = load_graph(tmp_path / "g")
    assert not surroundings_read(loaded)
    rates = coverage_report(loaded)["surroundings"]
    assert rates["surroundings_read"] is False
    assert rates["green_share_of_length"] == "unknown"
    assert rates["seats_per_km"] == "unknown"


def test_surroundings_not_read_weigh_and_report_as_unknown(
    unread: CompiledGraph, graph: CompiledGraph
) -> None:
    """Pollen exposure is unknown everywhere (not "no trees"), green unknown, and a rest limit
    over a stretch without seat data is relied on (unknown), not broken."""
    from accessibility_rules.conditions import Conditions
    from accessibility_rules.profile import make_profile
    from accessibility_rules.weights import Unknown
    from routing.conditions import green_facts, pollen_exposure
    from routing.engine import Router

    router = Router(unread)
    lime = make_profile("allergy", {"avoid_pollen": frozenset({"tilia"})})
    june = Conditions((("tilia", 3.0),))
    assert np.all(router.customizer.weights(lime, june).unknowns & Unknown.POLLEN)
    a, b = unread.node["osm_id"].tolist().index(5), unread.node["osm_id"].tolist().index(8)
    origin = (float(unread.node["lat"][a]), float(unread.node["lon"][a]))
    target = (float(unread.node["lat"][b]), float(unread.node["lon"][b]))
    route = router.route(origin, target, "elderly", max_distance_between_rests_m=50.0)
    (exposure,) = pollen_exposure(unread.edge, route.edges, {"tilia"}, june)
    assert exposure.unknown_m == pytest.approx(sum(unread.edge["length_m"][route.edges]))
    assert green_facts(unread.edge, route.edges).green_share is None
    r = route.rests
    assert r is not None
    assert r["seats_known"] is False
    assert r["keeps_limit"] is None
    assert not [x for x in route.accessibility.breaks if x.limit == "rests"]
    (seat,) = [x for x in route.accessibility.relies_on if x.attribute == "seat"]
    assert seat.length_m == r["longest_gap_m"] > 50.0
    assert route.accessibility.verdict == "unknown"
    from routing.instructions import instructions

    rest_steps = [s.text for s in instructions(route, "de") if s.type == "rest"]
    assert rest_steps  # the bench on node n7
    assert "Keine weitere Sitzgelegenheit bekannt" in rest_steps[-1]
    # the same trip on the graph whose surroundings were read breaks the limit, as known
    read = Router(graph)
    known = read.route(origin, target, "elderly", max_distance_between_rests_m=50.0)
    assert known.rests is not None
    assert known.rests["seats_known"] is True
    assert known.rests["keeps_limit"] is False
    assert known.accessibility.verdict == "no"


# ------------------------------------------------------------------------------ tree register


def test_tree_register_csv_replaces_the_same_osm_tree(fixture_osm: Path, tmp_path: Path) -> None:
    register = tmp_path / "baeume.csv"
    (lon1, lat1), (lon2, lat2) = lonlat(30, -10), lonlat(170, -10)
    register.write_text(
        "lat;lon;gattung\n"
        f"{lat1};{lon1};Betula pendula\n"  # OSM tree 203 (unknown genus) is this tree
        f"{lat2};{lon2};\n"  # no genus: unknown
        "x;y;Tilia\n"  # unreadable coordinates: skipped
    )
    trees = read_tree_register(register, genus_column="gattung")
    assert len(trees.genus) == 2
    assert trees.rows_skipped == 1
    g = build_graph(read_osm_file(fixture_osm), trees=trees)[0]
    i = edge(g, 1, 7)
    assert float(g.edge["trees_betula"][i]) == pytest.approx(2 * AT_10_M, abs=1e-3)
    assert float(g.edge["trees_unknown"][i]) == 0
    assert float(g.edge["trees_unknown"][edge(g, 7, 2)]) == pytest.approx(AT_10_M, abs=1e-3)
    stats = g.meta["features"]
    assert stats["trees_register"] == 2
    assert stats["trees_register_with_genus"] == 1
    assert stats["trees_osm_also_in_register"] == 1


def test_tree_register_geojson_through_the_command(fixture_osm: Path, tmp_path: Path) -> None:
    lon, lat = lonlat(25, -12)
    register = tmp_path / "trees.geojson"
    register.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {"art": "Corylus avellana"},
                    }
                ],
            }
        )
    )
    out = tmp_path / "graph"
    status = cli_main(
        ["build", "--osm", str(fixture_osm), "--out", str(out), "--trees", str(register),
         "--trees-genus-column", "art"]
    )  # fmt: skip
    assert status == 0
    g = load_graph(out)
    passed = 2 * math.sqrt(20**2 - 12**2) / 40  # 12 m beside the way
    assert float(g.edge["trees_corylus"][edge(g, 1, 7)]) == pytest.approx(passed, abs=1e-3)
    report = json.loads((out / "coverage.json").read_text())
    assert report["counts"]["trees_register"] == 1
    assert report["counts"]["trees_register_with_genus"] == 1
    assert report["counts"]["trees_osm"] == 5


def test_tree_register_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_tree_register(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,genus\n1,2,Tilia\n")
    with pytest.raises(SourceError, match="lacks the column"):
        read_tree_register(bad)


def test_feature_options_are_ranged() -> None:
    with pytest.raises(ValueError, match="seat_distance_m"):
        FeatureOptions(seat_distance_m=-1)


# ------------------------------------------------------------------------------ real extracts


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize(
    ("osm_name", "expected"),
    [
        # 134 amenity=bench + 25 stops/platforms with bench=yes + 1 shelter; 569 trees, no genus
        ("kaiserslautern-2013.osm.gz", {"benches": 134, "seats_read": 160, "trees": 569,
                                        "genus": 0}),
        # 22 benches + 2 stops + 1 shelter; 145 trees, 17 with a botanical genus + 1 Pappel
        ("berlin-neukoelln-2024.osm.gz", {"benches": 22, "seats_read": 25, "trees": 145,
                                          "genus": 18}),
    ],
)  # fmt: skip
def test_real_counts(shared_file: object, osm_name: str, expected: dict[str, int]) -> None:
    raw = read_osm_file(shared_file(osm_name))  # type: ignore[operator]
    g = build_graph(raw)[0]
    stats = g.meta["features"]
    assert stats["seats_by_kind"]["bench"] == expected["benches"]
    assert stats["seats_read"] == expected["seats_read"]
    assert stats["trees_osm"] == expected["trees"]
    assert stats["trees_osm_with_genus"] == expected["genus"]
    joined = stats["seats_joined"] + stats["seats_on_network_nodes"]
    assert (
        joined + stats["seats_across_road"] + stats["seats_beyond_distance"]
        == expected["seats_read"]
    )
    rates = coverage_report(g)["surroundings"]
    assert rates["seats_per_km"] > 0
    assert 0 < rates["green_share_of_length"] < 1
    if expected["genus"]:
        assert stats["trees_osm_by_taxon"]["tilia"] == 17
        assert int(g.edge["trees_tilia"].sum()) > 0


@pytest.mark.realdata
@pytest.mark.slow
def test_join_matches_a_per_edge_reference_on_neukoelln(shared_file: object) -> None:
    """Tree counts and green shares of the vectorised join equal a plain loop over the edges
    (one shapely call per edge and tree, in the same metre frame)."""
    import shapely

    from graphs.features import _frame

    raw = read_osm_file(shared_file("berlin-neukoelln-2024.osm.gz"))  # type: ignore[operator]
    g = build_graph(raw)[0]
    frame = _frame(g)
    taxa = list(surroundings.TREE_TAXA)
    trees = frame.points(np.array(raw.features.tree_lonlat))
    taxon = [taxa.index(surroundings.taxon_of_genus(x)) for x in raw.features.tree_genus]
    woods = [a for a in raw.features.areas if a.wood]
    wood = shapely.union_all(frame.local(shapely.from_wkb([a.wkb for a in woods])))
    greens = frame.local(shapely.from_wkb([a.wkb for a in raw.features.areas if a.green]))
    green_zone = shapely.union_all([shapely.buffer(x, 10.0) for x in greens])
    wood_zone = shapely.buffer(wood, 20.0)
    rng = np.random.default_rng(12)
    for k in rng.choice(len(frame.lines), size=150, replace=False):
        line, e = frame.lines[k], int(frame.index_edges[k])
        expected = np.zeros(len(taxa))
        for p, t in zip(trees, taxon, strict=True):
            if line.distance(p) <= 20.0:  # the metres of the edge within 20 m, per 40 m
                expected[t] += line.intersection(shapely.buffer(p, 20.0, quad_segs=32)).length / 40
        expected[taxa.index("unknown")] += line.intersection(wood_zone).length / 10.0
        got = [float(g.edge[f"trees_{t}"][e]) for t in taxa]
        assert got == pytest.approx(expected.tolist(), abs=1e-3), e
        share = line.intersection(green_zone).length / line.length
        assert g.edge["green_share"][e] == pytest.approx(share, abs=1e-4), e


@pytest.mark.realdata
@pytest.mark.slow
def test_seat_join_matches_a_per_seat_reference_on_neukoelln(shared_file: object) -> None:
    """Every seat's edge equals a plain loop: the nearest walked edge within 15 m whose
    connecting segment crosses no road line; unjoined seats have none."""
    import shapely

    from accessibility_rules.attributes import ROAD_CLASSES, Sidewalk
    from graphs.features import _frame

    raw = read_osm_file(shared_file("berlin-neukoelln-2024.osm.gz"))  # type: ignore[operator]
    g = build_graph(raw)[0]
    frame = _frame(g)
    highway = g.edge["highway"][frame.index_edges]
    roads = [frame.lines[k] for k in np.flatnonzero(np.isin(highway, list(ROAD_CLASSES)))]
    walked = g.edge["sidewalk"][frame.index_edges] != Sidewalk.SEPARATE
    on_nodes = set(g.node["osm_id"][g.node["seat"] != 0].tolist())
    s = g.seats
    joined = 0
    for (lon, lat), node in zip(raw.features.seat_lonlat, raw.features.seat_node, strict=True):
        if node in on_nodes:
            continue
        p = frame.points(np.array([[lon, lat]]))[0]
        best: tuple[float, int] | None = None
        for k, line in enumerate(frame.lines):
            d = line.distance(p)
            if not walked[k] or d > 15.0:
                continue
            snap = line.interpolate(line.project(p))
            seg = shapely.LineString([p, snap])
            if any(seg.crosses(r) for r in roads):
                continue
            if best is None or d < best[0]:
                best = (d, k)
        rows = np.flatnonzero((s["seat_lon"] == lon) & (s["seat_lat"] == lat))
        if best is None:
            assert len(rows) == 0
            continue
        joined += 1
        e = int(frame.index_edges[best[1]])
        assert e in s["seat_edge"][rows].tolist()
    assert joined == g.meta["features"]["seats_joined"]
