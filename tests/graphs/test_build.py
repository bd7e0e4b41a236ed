"""Tests for graphs.build: hand-written OSM fixtures → compiled graph, attribute by attribute."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from accessibility_rules.attributes import (
    OSM_ATTRIBUTION,
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    KerbHeightSource,
    KerbKind,
    Sidewalk,
    Tri,
    Wheelchair,
)
from accessibility_rules.effective import effective_edges
from graphs.build import BuildError, build_graph
from graphs.elevation import Dem
from graphs.geodesy import haversine_m
from graphs.model import CompiledGraph
from graphs.sources import RawOsm, read_osm_file

FIXTURES = ("kerb_crossing", "incline", "steps", "barriers")


@dataclasses.dataclass
class Built:
    graph: CompiledGraph
    malformed: Counter[str]
    raw: RawOsm

    def node(self, osm_id: int) -> int:
        """Graph index of the node with this OSM id (fails if simplification removed it)."""
        hits = np.flatnonzero(self.graph.node["osm_id"] == osm_id)
        assert len(hits) == 1, f"node {osm_id} is not in the graph"
        return int(hits[0])

    def has_node(self, osm_id: int) -> bool:
        return bool(np.any(self.graph.node["osm_id"] == osm_id))

    def edge(self, tail_osm: int, head_osm: int) -> int:
        """The single edge from one OSM node to another."""
        g = self.graph
        hits = np.flatnonzero((g.tail == self.node(tail_osm)) & (g.head == self.node(head_osm)))
        assert len(hits) == 1, f"expected one edge {tail_osm} -> {head_osm}, found {len(hits)}"
        return int(hits[0])

    def way_edges(self, way_id: int) -> np.ndarray:
        return np.flatnonzero(self.graph.edge["way_id"] == way_id)


@pytest.fixture(scope="module")
def built(osm_fixtures: Path) -> dict[str, Built]:
    out = {}
    for name in FIXTURES:
        raw = read_osm_file(osm_fixtures / f"{name}.osm")
        graph, malformed = build_graph(raw)
        out[name] = Built(graph, malformed, raw)
    return out


# --- simplification ------------------------------------------------------------------------------


def test_kerb_and_crossing_nodes_survive_simplification(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    for osm_id in (31, 32, 3):  # kerb, kerb, crossing
        assert b.has_node(osm_id)
    # the junctions and the dead ends of the sidewalks and the road stay too
    assert {1, 5, 11, 13, 15, 21, 23, 25} <= set(b.graph.node["osm_id"].tolist())


def test_notable_nodes_of_degree_two_survive(built: dict[str, Built]) -> None:
    b = built["barriers"]
    for osm_id in (72, 73, 74, 90):  # bollard, cycle barrier, lift gate, linear-kerb node
        assert b.has_node(osm_id)


@pytest.mark.parametrize(
    ("fixture", "shape_nodes"),
    [
        ("kerb_crossing", (2, 4, 12, 14, 22, 24)),
        ("incline", (42,)),
        ("steps", (55, 56)),
        ("barriers", (75, 76)),
    ],
)
def test_shape_nodes_are_removed(
    built: dict[str, Built], fixture: str, shape_nodes: tuple[int, ...]
) -> None:
    b = built[fixture]
    for osm_id in shape_nodes:
        assert not b.has_node(osm_id), f"shape node {osm_id} survived simplification"


def test_simplified_edge_keeps_its_shape(built: dict[str, Built]) -> None:
    b = built["incline"]
    e = b.edge(41, 43)
    coords = b.graph.edge_coords(e)
    assert len(coords) == 3  # 41, 42, 43
    assert tuple(coords[1]) == pytest.approx((7.76050, 49.44002))
    ramp = built["steps"].edge(51, 53)
    assert len(built["steps"].graph.edge_coords(ramp)) == 4  # 51, 55, 56, 53


# --- node attributes -----------------------------------------------------------------------------


def test_lowered_kerb_node(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    nd, i = b.graph.node, b.node(31)
    assert nd["kerb"][i] == KerbKind.LOWERED
    assert nd["kerb_height_cm"][i] == pytest.approx(3.0)
    assert nd["kerb_height_source"][i] == KerbHeightSource.DERIVED
    assert nd["crossing"][i] == CrossingKind.NONE


def test_kerb_height_tag_node(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    nd, i = b.graph.node, b.node(32)
    assert nd["kerb"][i] == KerbKind.LOWERED  # 3 cm measured → lowered
    assert nd["kerb_height_cm"][i] == pytest.approx(3.0)
    assert nd["kerb_height_source"][i] == KerbHeightSource.TAG


def test_crossing_node(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    nd, i = b.graph.node, b.node(3)
    assert nd["crossing"][i] == CrossingKind.TRAFFIC_SIGNALS
    assert nd["acoustic_signal"][i] == AcousticSignal.YES
    assert nd["tactile_paving"][i] == Tri.YES
    assert nd["kerb"][i] == KerbKind.NONE
    assert nd["vibration_signal"][i] == Tri.UNKNOWN  # untagged stays unknown


def test_plain_nodes_are_unknown_not_accessible(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    nd, i = b.graph.node, b.node(13)
    assert nd["kerb"][i] == KerbKind.NONE
    assert math.isnan(nd["kerb_height_cm"][i])
    assert nd["kerb_height_source"][i] == KerbHeightSource.UNKNOWN
    assert nd["acoustic_signal"][i] == AcousticSignal.UNKNOWN
    assert nd["tactile_paving"][i] == Tri.UNKNOWN
    assert nd["wheelchair"][i] == Wheelchair.UNKNOWN


def test_barrier_nodes(built: dict[str, Built]) -> None:
    b = built["barriers"]
    barrier = b.graph.node["barrier"]
    assert barrier[b.node(72)] == BarrierKind.BOLLARD
    assert barrier[b.node(73)] == BarrierKind.CYCLE_BARRIER
    assert barrier[b.node(74)] == BarrierKind.LIFT_GATE
    assert barrier[b.node(71)] == BarrierKind.NONE


def test_linear_kerb_marks_the_shared_node(built: dict[str, Built]) -> None:
    b = built["barriers"]
    nd, i = b.graph.node, b.node(90)
    assert nd["kerb"][i] == KerbKind.RAISED
    assert nd["kerb_height_cm"][i] == pytest.approx(12.0)
    assert nd["kerb_height_source"][i] == KerbHeightSource.DERIVED
    assert nd["barrier"][i] == BarrierKind.NONE  # a kerb is described by KerbKind
    assert b.graph.meta["source_counts"]["kerb_ways"] == 1
    # the kerb line itself is not a way to walk along
    assert len(b.way_edges(407)) == 0


# --- way attributes ------------------------------------------------------------------------------


def test_crossing_way_edges(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    e = b.graph.edge
    edges = b.way_edges(103)
    assert len(edges) == 8  # 4 pieces between 13, 31, 3, 32, 23, both directions
    assert np.all(e["crossing"][edges] == CrossingKind.TRAFFIC_SIGNALS)
    # kerbs are mapped on its nodes, so the way itself carries none
    assert np.all(e["kerb"][edges] == KerbKind.NONE)
    assert e["way_share"][edges].sum() == pytest.approx(2.0, abs=1e-4)  # once per direction


def test_untagged_crossing_way_crosses_a_kerb_of_unknown_height(built: dict[str, Built]) -> None:
    raw = built["kerb_crossing"].raw
    no_kerbs = dataclasses.replace(
        raw, node_tags={n: t for n, t in raw.node_tags.items() if n not in (31, 32)}
    )
    graph, _ = build_graph(no_kerbs)
    edges = np.flatnonzero(graph.edge["way_id"] == 103)
    assert len(edges) > 0
    assert np.all(graph.edge["kerb"][edges] == KerbKind.UNKNOWN)
    assert np.all(np.isnan(graph.edge["kerb_height_cm"][edges]))


def test_road_with_separate_sidewalks(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    e = b.graph.edge
    road = b.way_edges(100)
    assert np.all(e["highway"][road] == HighwayClass.RESIDENTIAL)
    assert np.all(e["sidewalk"][road] == Sidewalk.SEPARATE)
    sidewalks = np.concatenate([b.way_edges(101), b.way_edges(102)])
    assert np.all(e["is_sidewalk"][sidewalks])
    assert np.all(e["sidewalk"][sidewalks] == Sidewalk.NOT_APPLICABLE)


def test_unnamed_sidewalks_take_the_road_name(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    for e in np.concatenate([b.way_edges(100), b.way_edges(101), b.way_edges(102)]):
        assert b.graph.edge_name(int(e)) == "Marktstraße"
    for e in b.way_edges(103):  # a crossing is no sidewalk
        assert b.graph.edge_name(int(e)) is None


def test_incline_sign_follows_the_edge_direction(built: dict[str, Built]) -> None:
    b = built["incline"]
    e = b.graph.edge
    fwd = b.edge(41, 43)  # drawn west → east, incline=8%
    rev = int(e["reverse_edge"][fwd])
    assert rev == b.edge(43, 41)
    assert e["incline_percent"][fwd] == pytest.approx(8.0)
    assert e["incline_percent"][rev] == pytest.approx(-8.0)
    assert e["incline_source"][fwd] == e["incline_source"][rev] == InclineSource.TAG


def test_negative_incline_on_a_way_drawn_east_to_west(built: dict[str, Built]) -> None:
    b = built["incline"]
    e = b.graph.edge
    drawn = b.edge(44, 43)  # incline=-5% along the drawing direction
    eastwards = b.edge(43, 44)
    assert e["incline_percent"][drawn] == pytest.approx(-5.0)
    assert e["incline_percent"][eastwards] == pytest.approx(5.0)
    assert e["reverse_edge"][drawn] == eastwards


def test_incline_in_degrees(built: dict[str, Built]) -> None:
    b = built["incline"]
    e = b.graph.edge
    expected = math.tan(math.radians(5.0)) * 100.0
    assert e["incline_percent"][b.edge(46, 47)] == pytest.approx(expected, rel=1e-5)
    assert e["incline_percent"][b.edge(47, 46)] == pytest.approx(-expected, rel=1e-5)


def test_incline_up_is_direction_only(built: dict[str, Built]) -> None:
    b = built["incline"]
    e = b.graph.edge
    for edge in (b.edge(44, 45), b.edge(45, 44)):
        assert math.isnan(e["incline_percent"][edge])
        assert e["incline_source"][edge] == InclineSource.TAG_DIRECTION_ONLY


def test_untagged_incline_is_unknown_without_dem(built: dict[str, Built]) -> None:
    b = built["incline"]
    e = b.graph.edge
    for edge in (b.edge(45, 46), b.edge(46, 45)):
        assert math.isnan(e["incline_percent"][edge])
        assert e["incline_source"][edge] == InclineSource.UNKNOWN


def test_step_count_is_prorated_and_sums_per_direction(built: dict[str, Built]) -> None:
    b = built["steps"]
    e = b.graph.edge
    up = [b.edge(51, 52), b.edge(52, 53)]
    down = [b.edge(53, 52), b.edge(52, 51)]
    assert [int(e["step_count"][i]) for i in up] == [4, 8]  # 1/3 and 2/3 of the length
    assert sum(int(e["step_count"][i]) for i in down) == 12
    steps = b.way_edges(300)
    assert len(steps) == 4
    assert np.all(e["is_steps"][steps])
    assert np.all(e["highway"][steps] == HighwayClass.STEPS)
    assert np.all(e["handrail"][steps] == Tri.YES)  # handrail:right=yes
    assert e["way_share"][up].sum() == pytest.approx(1.0, abs=1e-4)


def test_step_count_of_three_equal_pieces_sums_to_the_tag(built: dict[str, Built]) -> None:
    b = built["steps"]
    e = b.graph.edge
    up = [b.edge(53, 62), b.edge(62, 63), b.edge(63, 64)]
    assert sum(int(e["step_count"][i]) for i in up) == 10


def test_ramp_alternative(built: dict[str, Built]) -> None:
    b = built["steps"]
    e = b.graph.edge
    ramp = b.edge(51, 53)
    assert not e["is_steps"][ramp]
    assert e["step_count"][ramp] == 0
    assert e["incline_percent"][ramp] == pytest.approx(6.0)
    assert e["wheelchair"][ramp] == Wheelchair.YES
    assert e["incline_percent"][b.edge(53, 51)] == pytest.approx(-6.0)


def test_ways_a_pedestrian_may_not_use_are_dropped(built: dict[str, Built]) -> None:
    b = built["barriers"]
    way_ids = set(b.graph.edge["way_id"].tolist())
    assert 401 not in way_ids  # foot=no
    assert 402 not in way_ids  # motorway
    assert 404 not in way_ids  # access=private without foot
    assert 405 not in way_ids  # area=yes
    assert 403 in way_ids  # access=private, foot=yes
    assert not b.has_node(78)  # reached only by the foot=no way
    assert not b.has_node(81)  # reached only by the motorway
    assert not b.has_node(83)  # reached only by the private road


def test_malformed_values_are_counted_and_unknown(built: dict[str, Built]) -> None:
    b = built["barriers"]
    assert b.malformed == Counter({"width": 1, "incline": 1})
    e = b.graph.edge
    edges = b.way_edges(406)
    assert len(edges) > 0
    assert np.all(np.isnan(e["width_m"][edges]))
    assert np.all(np.isnan(e["incline_percent"][edges]))
    assert np.all(e["incline_source"][edges] == InclineSource.UNKNOWN)


def test_well_formed_fixtures_count_nothing_malformed(built: dict[str, Built]) -> None:
    for name in ("kerb_crossing", "incline", "steps"):
        assert built[name].malformed == Counter()


# --- layout invariants (every fixture) -----------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_graph_validates(built: dict[str, Built], fixture: str) -> None:
    g = built[fixture].graph
    g.validate()
    assert g.meta["node_count"] == g.node_count
    assert g.meta["edge_count"] == g.edge_count
    assert g.meta["attribution"] == OSM_ATTRIBUTION


@pytest.mark.parametrize("fixture", FIXTURES)
def test_reverse_edge_is_an_involution(built: dict[str, Built], fixture: str) -> None:
    g = built[fixture].graph
    rev = g.edge["reverse_edge"]
    assert np.all(rev >= 0)  # every pedestrian way is two-way
    has = np.flatnonzero(rev >= 0)
    assert np.array_equal(rev[rev[has]], has)
    assert np.array_equal(g.tail[rev[has]], g.head[has])
    assert np.array_equal(g.head[rev[has]], g.tail[has])
    assert np.array_equal(g.edge["way_id"][rev[has]], g.edge["way_id"][has])
    assert np.allclose(g.edge["length_m"][rev[has]], g.edge["length_m"][has])


@pytest.mark.parametrize("fixture", FIXTURES)
def test_geometry_runs_from_tail_to_head(built: dict[str, Built], fixture: str) -> None:
    g = built[fixture].graph
    first, last = g.geom_first[:-1], g.geom_first[1:] - 1
    assert np.array_equal(g.geom_lon[first], g.node["lon"][g.tail])
    assert np.array_equal(g.geom_lat[first], g.node["lat"][g.tail])
    assert np.array_equal(g.geom_lon[last], g.node["lon"][g.head])
    assert np.array_equal(g.geom_lat[last], g.node["lat"][g.head])
    for e in range(g.edge_count):  # twins have the same polyline, reversed
        r = int(g.edge["reverse_edge"][e])
        assert np.array_equal(g.edge_coords(e), g.edge_coords(r)[::-1])


@pytest.mark.parametrize("fixture", FIXTURES)
def test_length_is_the_haversine_length_of_the_geometry(
    built: dict[str, Built], fixture: str
) -> None:
    g = built[fixture].graph
    for e in range(g.edge_count):
        c = g.edge_coords(e)
        expected = float(haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum())
        assert g.edge["length_m"][e] == pytest.approx(expected, rel=1e-9)
        assert g.edge["length_m"][e] > 0


@pytest.mark.parametrize("fixture", FIXTURES)
def test_edges_are_sorted_by_tail(built: dict[str, Built], fixture: str) -> None:
    g = built[fixture].graph
    assert np.all(np.diff(g.tail) >= 0)
    for v in range(g.node_count):
        assert np.all(g.tail[g.first_out[v] : g.first_out[v + 1]] == v)


def test_self_loop_is_kept_with_both_directions(osm_fixtures: Path) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "loop.osm"))
    graph.validate()
    loops = np.flatnonzero(graph.tail == graph.head)
    assert len(loops) == 2  # the ring, once per direction
    a, b = (graph.edge_coords(int(e)) for e in loops)
    assert np.array_equal(a, b[::-1])


def test_self_loop_twins_are_each_other(osm_fixtures: Path) -> None:
    from graphs.coverage import coverage_report

    graph, _ = build_graph(read_osm_file(osm_fixtures / "loop.osm"))
    rev = graph.edge["reverse_edge"]
    loops = np.flatnonzero(graph.tail == graph.head)
    assert sorted(rev[loops].tolist()) == sorted(loops.tolist())
    assert np.all(rev[loops] != loops)
    ring_and_path_km = float(graph.edge["length_m"].sum()) / 2 / 1000
    assert coverage_report(graph)["counts"]["network_km"] == pytest.approx(
        ring_and_path_km, abs=1e-3
    )


# --- effective attributes ------------------------------------------------------------------------


def test_effective_kerb_is_on_the_edges_entering_the_kerb_node(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    g = b.graph
    eff = effective_edges(g)
    for kerb in (31, 32):
        k = b.node(kerb)
        entering = np.flatnonzero(g.head == k)
        leaving = np.flatnonzero(g.tail == k)
        assert len(entering) == len(leaving) == 2
        assert np.all(eff.kerb_count[entering] == 1)
        assert np.allclose(eff.kerb_height_cm[entering], 3.0)
        assert np.all(eff.kerb_unknown_count[entering] == 0)
        assert np.all(eff.kerb_count[leaving] == 0)  # 31/32 lead to non-kerb nodes
        assert np.all(np.isnan(eff.kerb_height_cm[leaving]))
    # walking the whole crossing 13 → 23 meets each kerb exactly once, in either direction
    path = [b.edge(13, 31), b.edge(31, 3), b.edge(3, 32), b.edge(32, 23)]
    back = [int(g.edge["reverse_edge"][e]) for e in path]
    assert int(eff.kerb_count[path].sum()) == int(eff.kerb_count[back].sum()) == 2


def test_effective_crossing_signals(built: dict[str, Built]) -> None:
    b = built["kerb_crossing"]
    eff = effective_edges(b.graph)
    crossing_edges = b.way_edges(103)
    assert np.all(eff.crossing[crossing_edges] == CrossingKind.TRAFFIC_SIGNALS)
    into_signal = [b.edge(31, 3), b.edge(32, 3)]
    assert np.all(eff.acoustic_signal[into_signal] == AcousticSignal.YES)
    assert np.all(eff.tactile_paving[into_signal] == Tri.YES)
    # walking along the road over the crossing node is not that crossing; but the road's
    # sidewalks are ways of their own (sidewalk=separate), so walking in its carriageway is an
    # informal crossing per edge, whose paving and signals nobody mapped (not the node's)
    road = b.way_edges(100)
    assert np.all(eff.crossing[road] == CrossingKind.INFORMAL)
    assert np.all(eff.crossing_share[road] == 1.0)
    assert np.all(eff.tactile_paving[road] == Tri.UNKNOWN)
    assert np.all(eff.acoustic_signal[road] == AcousticSignal.UNKNOWN)
    assert np.all(eff.is_road[road])


def test_effective_barrier_is_on_the_entering_edges(built: dict[str, Built]) -> None:
    b = built["barriers"]
    eff = effective_edges(b.graph)
    assert eff.barrier[b.edge(71, 72)] == BarrierKind.BOLLARD
    assert eff.barrier[b.edge(72, 71)] == BarrierKind.NONE
    assert eff.barrier[b.edge(72, 73)] == BarrierKind.CYCLE_BARRIER


# --- elevation model -----------------------------------------------------------------------------


def _plane_dem(percent_east: float) -> Dem:
    """A synthetic model rising ``percent_east`` % eastwards around the fixtures (lon 7.75–7.78)."""
    cell = 0.001
    lat0 = 49.44
    m_per_cell = cell * 111_320.0 * math.cos(math.radians(lat0))
    cols = np.arange(31)
    heights = np.broadcast_to(200.0 + cols * m_per_cell * percent_east / 100.0, (31, 31))
    return Dem(heights, first_lon=7.75, first_lat=49.455, cell_lon=cell, cell_lat=cell)


def test_dem_fills_untagged_inclines_and_keeps_tags(osm_fixtures: Path) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "incline.osm"), dem=_plane_dem(5.0))
    b = Built(graph, Counter(), None)  # type: ignore[arg-type]
    e = graph.edge
    east, west = b.edge(45, 46), b.edge(46, 45)
    assert e["incline_source"][east] == e["incline_source"][west] == InclineSource.DEM
    assert e["incline_percent"][east] == pytest.approx(5.0, abs=0.1)
    assert e["incline_percent"][west] == pytest.approx(-5.0, abs=0.1)
    # tags win over the model (the model says +5 % eastwards, the tag +8 %)
    assert e["incline_percent"][b.edge(41, 43)] == pytest.approx(8.0)
    assert e["incline_source"][b.edge(41, 43)] == InclineSource.TAG


def test_meta_of_an_in_memory_dem_is_null(osm_fixtures: Path) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "incline.osm"), dem=_plane_dem(5.0))
    assert graph.meta["dem"] is None


def test_dem_never_gives_steps_an_incline(osm_fixtures: Path) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "steps.osm"), dem=_plane_dem(5.0))
    e = graph.edge
    steps = e["is_steps"]
    assert steps.any()
    assert np.all(np.isnan(e["incline_percent"][steps]))
    assert np.all(e["incline_source"][steps] == InclineSource.UNKNOWN)
    paths = ~steps & (e["incline_source"] != InclineSource.TAG)
    assert np.all(e["incline_source"][paths] == InclineSource.DEM)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("empty", "no walkable ways"), ("no_walkable", "no walkable ways")],
)
def test_build_error_without_walkable_ways(osm_fixtures: Path, fixture: str, message: str) -> None:
    raw = read_osm_file(osm_fixtures / f"{fixture}.osm")
    with pytest.raises(BuildError, match=message):
        build_graph(raw)


def test_build_error_names_the_source(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "no_walkable.osm")
    with pytest.raises(BuildError) as info:
        build_graph(raw)
    assert "no_walkable.osm" in str(info.value)
    assert "\n" not in str(info.value)


def test_progress_reports_the_stages(osm_fixtures: Path) -> None:
    stages: list[str] = []
    build_graph(read_osm_file(osm_fixtures / "incline.osm"), progress=stages.append)
    assert stages[0] == "reading tags"
    assert any("simplif" in s for s in stages)
    assert any("compiling" in s for s in stages)


def _north_falling_dem(percent: float) -> Dem:
    """A synthetic model falling ``percent`` % northwards around the fixtures."""
    cell = 0.001
    rows = np.arange(31)[:, None]  # row 0 is the northern edge
    heights = np.broadcast_to(200.0 + rows * cell * 110_540.0 * percent / 100.0, (31, 31))
    return Dem(heights, first_lon=7.75, first_lat=49.455, cell_lon=cell, cell_lat=cell)


def test_dem_does_not_contradict_a_tagged_direction(osm_fixtures: Path) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "incline.osm"), dem=_north_falling_dem(5))
    b = Built(graph, Counter(), None)  # type: ignore[arg-type]
    e = graph.edge
    up, down = b.edge(44, 45), b.edge(45, 44)  # way 202 is drawn 44 → 45 (north), incline=up
    assert not e["incline_percent"][up] < 0
    assert not e["incline_percent"][down] > 0


# --- crossings: node facts merged into the crossing way (issue 10, item 4) ---------------------


def test_crossing_way_without_kind_takes_its_nodes_facts(
    osm_fixtures: Path, tmp_path: Path
) -> None:
    """A footway=crossing way without crossing=* over a signalised node with an acoustic signal:
    every edge of the way is a signalised crossing with sound, not "unknown"."""
    text = (osm_fixtures / "kerb_crossing.osm").read_text()
    untagged = text.replace('    <tag k="crossing" v="traffic_signals"/>\n  </way>', "  </way>")
    assert untagged != text
    path = tmp_path / "untagged_crossing.osm"
    path.write_text(untagged)
    graph, _ = build_graph(read_osm_file(path))
    b = Built(graph, Counter(), read_osm_file(path))
    edges = b.way_edges(103)
    assert len(edges) == 8  # 4 pieces (13-31-3-32-23), both directions
    assert (graph.edge["crossing"][edges] == CrossingKind.TRAFFIC_SIGNALS).all()
    assert (graph.edge["acoustic_signal"][edges] == AcousticSignal.YES).all()
    assert (graph.edge["tactile_paving"][edges] == Tri.YES).all()
    eff = effective_edges(graph)
    assert (eff.crossing[edges] == CrossingKind.TRAFFIC_SIGNALS).all()
    assert (eff.acoustic_signal[edges] == AcousticSignal.YES).all()
    assert eff.crossing_share[edges].sum() == pytest.approx(2.0)  # one crossing each direction
