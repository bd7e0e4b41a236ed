"""Builds of the real extracts in ../shared/data: coverage reports and graph invariants.

Each graph is built once per session (see ``real_build`` in tests/conftest.py); the whole
Kaiserslautern extract with its elevation model takes about five seconds, the others under one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from accessibility_rules.attributes import (
    OSM_ATTRIBUTION,
    AcousticSignal,
    CrossingKind,
    InclineSource,
)
from accessibility_rules.effective import effective_edges
from graphs.build import build_graph
from graphs.geodesy import haversine_m
from graphs.model import CompiledGraph
from graphs.pipeline import COVERAGE_FILE
from graphs.sources import clip_to_boundary, read_osm_file
from graphs.store import load_graph
from tests.conftest import KAISERSLAUTERN_OSM, SRTM_TILE, RealBuild

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: (extract, elevation model) of every real build.
EXTRACTS: dict[str, tuple[str, str | None]] = {
    "kaiserslautern": (KAISERSLAUTERN_OSM, SRTM_TILE),
    "kaiserslautern-centre": ("kaiserslautern-centre-2013.osm.gz", None),
    "kaiserslautern-uni": ("kaiserslautern-uni-2013.osm.gz", None),
    "berlin-neukoelln": ("berlin-neukoelln-2024.osm.gz", None),
    "herrenberg": ("herrenberg-2021.osm.pbf", None),
}


@pytest.fixture(params=sorted(EXTRACTS))
def any_build(request: pytest.FixtureRequest, real_build: Callable[..., RealBuild]) -> RealBuild:
    return real_build(*EXTRACTS[request.param])


@pytest.fixture(scope="session")
def loaded() -> Callable[[RealBuild], CompiledGraph]:
    cache: dict[str, CompiledGraph] = {}

    def load(build: RealBuild) -> CompiledGraph:
        key = str(build.out_dir)
        if key not in cache:
            cache[key] = load_graph(build.out_dir)
        return cache[key]

    return load


def _build(real_build: Callable[..., RealBuild], name: str) -> RealBuild:
    return real_build(*EXTRACTS[name])


# --- every extract -------------------------------------------------------------------------------


def test_coverage_report_is_written_and_sane(any_build: RealBuild) -> None:
    path = any_build.out_dir / COVERAGE_FILE
    assert path.is_file()
    report = json.loads(path.read_text())
    assert report == any_build.report
    assert report["attribution"] == OSM_ATTRIBUTION
    counts = report["counts"]
    assert counts["nodes"] > 100
    assert counts["edges_directed"] > counts["nodes"]
    assert counts["network_km"] > 1
    assert all(isinstance(v, int) and v >= 0 for k, v in counts.items() if k != "network_km")
    for name, share in report["known_share_of_length"].items():
        assert 0.0 <= share["known_share"] <= 1.0, name
        assert share["known_km"] <= share["applies_km"] + 1e-9, name
        assert share["applies_km"] <= counts["network_km"] + 1e-9, name
    source = report["source_counts"]
    assert source["walkable_ways"] > 0
    assert source["kerb_observations"] == source["kerb_nodes"] + source["kerb_ways"]
    assert counts["kerb_nodes_with_height"] <= counts["kerb_nodes"]
    assert counts["steps_edges_with_step_count"] <= counts["steps_edges"]
    assert all(isinstance(v, int) and v >= 0 for v in report["malformed_tag_values"].values())


def test_graph_validates_and_loads(
    any_build: RealBuild, loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    g = loaded(any_build)
    g.validate()
    assert g.meta["attribution"] == OSM_ATTRIBUTION
    assert g.meta["licence_url"].startswith("https://www.openstreetmap.org/copyright")
    assert g.meta["coverage"] == any_build.report["counts"]
    assert g.meta["node_count"] == g.node_count == any_build.report["counts"]["nodes"]
    assert len(g.meta["source_sha256"]) == 64
    west, south, east, north = g.meta["bbox"]
    assert west < east
    assert south < north
    stamp = g.meta["data_timestamp"]  # None when the extract has only placeholder timestamps
    assert stamp is None or 2004 <= int(stamp[:4]) <= 2100


def test_graph_invariants(
    any_build: RealBuild, loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    g = loaded(any_build)
    rev = g.edge["reverse_edge"]
    # pedestrian ways are two-way: every piece has its reverse twin, also where osmnx merged
    # several OSM ways into one edge (found by the independent truth tests: 30 in KL lacked one)
    assert np.count_nonzero(rev >= 0) == g.edge_count
    has = np.flatnonzero(rev >= 0)  # self-loops included: their two directions pair up
    assert np.array_equal(rev[rev[has]], has)
    assert np.array_equal(g.tail[rev[has]], g.head[has])
    assert np.array_equal(g.edge["way_id"][rev[has]], g.edge["way_id"][has])
    first, last = g.geom_first[:-1], g.geom_first[1:] - 1
    assert np.array_equal(g.geom_lon[first], g.node["lon"][g.tail])
    assert np.array_equal(g.geom_lat[first], g.node["lat"][g.tail])
    assert np.array_equal(g.geom_lon[last], g.node["lon"][g.head])
    assert np.array_equal(g.geom_lat[last], g.node["lat"][g.head])
    seg = haversine_m(g.geom_lon[:-1], g.geom_lat[:-1], g.geom_lon[1:], g.geom_lat[1:])
    cumulative = np.concatenate(([0.0], np.cumsum(seg)))
    geometry_length = cumulative[last] - cumulative[first]
    assert np.allclose(g.edge["length_m"], geometry_length, rtol=1e-6, atol=1e-6)
    # distinct OSM nodes at identical coordinates (5-decimal 2013 extract) give 0 m edges: rare
    assert np.all(g.edge["length_m"] >= 0)
    assert np.count_nonzero(g.edge["length_m"] == 0) <= 0.002 * g.edge_count
    steps = g.edge["is_steps"]
    assert np.all(g.edge["step_count"][~steps] == 0)
    assert np.all((g.edge["step_count"][steps] == -1) | (g.edge["step_count"][steps] >= 1))


def test_incline_sign_flips_on_the_twin(
    any_build: RealBuild, loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    g = loaded(any_build)
    e = g.edge
    rev = e["reverse_edge"]
    known = np.flatnonzero(np.isfinite(e["incline_percent"]) & (rev >= 0))
    assert np.array_equal(e["incline_source"][rev[known]], e["incline_source"][known])
    assert np.allclose(e["incline_percent"][rev[known]], -e["incline_percent"][known], atol=1e-4)


# --- Kaiserslautern ------------------------------------------------------------------------------


def test_kaiserslautern_steps(kaiserslautern_graph: RealBuild) -> None:
    counts = kaiserslautern_graph.report["counts"]
    assert counts["steps_edges"] > 300
    assert counts["steps_edges_with_step_count"] > 100
    assert counts["steps_total_step_count"] > 1000
    assert kaiserslautern_graph.report["source_counts"]["steps_ways"] > 300


def test_kaiserslautern_incline_from_dem(
    kaiserslautern_graph: RealBuild, loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    shares = kaiserslautern_graph.report["known_share_of_length"]
    assert shares["incline_percent_from_dem"]["known_share"] > 0.9
    assert shares["incline_percent"]["known_share"] > 0.9
    g = loaded(kaiserslautern_graph)
    assert g.meta["dem"].endswith(SRTM_TILE)
    dem = g.edge["incline_source"] == InclineSource.DEM
    assert not np.any(dem & g.edge["is_steps"])
    inclines = g.edge["incline_percent"][dem]
    assert np.all(np.isfinite(inclines))
    assert np.percentile(np.abs(inclines), 99) < 25  # a smoothed 90 m model has no cliffs
    assert 1.0 < float(np.median(np.abs(inclines))) < 10.0  # Kaiserslautern is hilly


def test_kaiserslautern_meta(
    kaiserslautern_graph: RealBuild, loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    g = loaded(kaiserslautern_graph)
    assert "OpenStreetMap contributors" in g.meta["attribution"]
    assert g.meta["source"].endswith(KAISERSLAUTERN_OSM)
    west, south, east, north = g.meta["bbox"]
    assert 7.71 <= west < east <= 7.83
    assert 49.41 <= south < north <= 49.46
    assert g.node_count > 5000
    print(f"\nKaiserslautern build: {kaiserslautern_graph.seconds:.2f} s")


def test_kaiserslautern_unknown_stays_unknown(kaiserslautern_graph: RealBuild) -> None:
    # 2013: no kerbs were mapped; the report must say so rather than invent them
    counts = kaiserslautern_graph.report["counts"]
    assert counts["kerb_nodes"] == 0
    assert kaiserslautern_graph.report["known_share_of_length"]["lit"]["known_share"] < 0.5


def test_kaiserslautern_parts(real_build: Callable[..., RealBuild]) -> None:
    centre = _build(real_build, "kaiserslautern-centre").report["counts"]
    uni = _build(real_build, "kaiserslautern-uni").report["counts"]
    assert centre["crossing_nodes"] > 10
    assert uni["steps_edges"] > 40  # the steps-heavy campus


# --- Berlin-Neukölln -----------------------------------------------------------------------------


def test_neukoelln_kerbs(real_build: Callable[..., RealBuild]) -> None:
    report = _build(real_build, "berlin-neukoelln").report
    assert report["source_counts"]["kerb_observations"] >= 100
    assert report["counts"]["kerb_nodes"] > 50
    assert report["counts"]["kerb_nodes_with_height"] > 0
    assert report["counts"]["tactile_paving_nodes"] > 0


def test_neukoelln_islands(
    real_build: Callable[..., RealBuild], loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    """Neukölln maps crossing:island on its crossing ways (yes on a few, no on more): both
    reach the graph."""
    build = _build(real_build, "berlin-neukoelln")
    assert build.report["counts"]["island_crossing_edges"] > 0
    island = loaded(build).edge["crossing_island"]
    assert (island == 1).any()
    assert (island == 0).any()


def test_neukoelln_acoustic_signals(
    real_build: Callable[..., RealBuild], loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    build = _build(real_build, "berlin-neukoelln")
    assert build.report["source_counts"]["acoustic_signal_nodes"] >= 4
    g = loaded(build)
    signal_nodes = np.flatnonzero(g.node["acoustic_signal"] == AcousticSignal.YES)
    assert len(signal_nodes) >= 4
    eff = effective_edges(g)
    signal_edges = np.flatnonzero(eff.acoustic_signal == AcousticSignal.YES)
    assert len(signal_edges) > 0
    assert set(g.head[signal_edges].tolist()) & set(signal_nodes.tolist())


# --- Herrenberg (PBF) ----------------------------------------------------------------------------


def test_herrenberg_pbf(
    real_build: Callable[..., RealBuild], loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    build = _build(real_build, "herrenberg")
    counts = build.report["counts"]
    assert counts["elevators"] >= 1
    assert counts["steps_edges"] > 50
    g = loaded(build)
    assert g.meta["source"].endswith(".osm.pbf")
    assert g.node["is_elevator"].any() or g.edge["is_elevator"].any()
    tagged = g.edge["incline_source"] == InclineSource.TAG
    assert tagged.any()  # Herrenberg has incline tags


# --- crossing ways carry their crossing node's facts (issue 10, item 4) --------------------------

#: Crossing ways without their own crossing=* whose crossing node says how the road is crossed
#: (found by reading the raw extracts): (extract, OSM way, expected kind).
UNTAGGED_CROSSING_WAYS = (
    ("herrenberg-2021.osm.pbf", 361529084, CrossingKind.MARKED),  # node: crossing=uncontrolled
    ("berlin-neukoelln-2024.osm.gz", 872031039, CrossingKind.UNMARKED),  # node: unmarked
    ("heidelberg-ors-2017.osm.pbf", 219692912, CrossingKind.TRAFFIC_SIGNALS),
    ("heidelberg-ors-2017.osm.pbf", 225923038, CrossingKind.MARKED),  # node: uncontrolled
)


def _graph_around_way(path: Path, way_id: int) -> CompiledGraph:
    """The graph of the ways within about 300 m of ``way_id`` (a fast cut of a large extract)."""
    raw = read_osm_file(path)
    nodes = next(w.nodes for w in raw.ways if w.way_id == way_id)
    lon, lat = raw.node_lonlat[nodes[0]]
    graph, _ = build_graph(
        clip_to_boundary(raw, box(lon - 0.004, lat - 0.003, lon + 0.004, lat + 0.003))
    )
    return graph


@pytest.mark.parametrize(("extract", "way_id", "kind"), UNTAGGED_CROSSING_WAYS)
def test_untagged_crossing_way_takes_its_nodes_kind(
    shared_file: Callable[[str], Path], extract: str, way_id: int, kind: CrossingKind
) -> None:
    graph = _graph_around_way(shared_file(extract), way_id)
    edges = np.flatnonzero(graph.edge["way_id"] == way_id)
    assert len(edges) >= 2
    eff = effective_edges(graph)
    assert (eff.crossing[edges] == kind).all()
    assert eff.crossing_share[edges].sum() == pytest.approx(2.0)  # one crossing per direction


def test_herrenberg_crossing_signals_reach_every_edge_of_the_way(
    real_build: Callable[..., RealBuild], loaded: Callable[[RealBuild], CompiledGraph]
) -> None:
    """Herrenberg's signalised crossing ways carry traffic_signals:sound=yes only on the node:
    before, only the edges ending at that node had the signal, the others were "unknown"."""
    g = loaded(_build(real_build, "herrenberg"))
    eff = effective_edges(g)
    sound_nodes = np.flatnonzero(g.node["acoustic_signal"] == AcousticSignal.YES)
    ways = np.unique(g.edge["way_id"][np.isin(g.head, sound_nodes) & (g.edge["crossing"] > 0)])
    assert len(ways) >= 5
    edges = np.flatnonzero(np.isin(g.edge["way_id"], ways))
    assert len(edges) > 2 * len(ways)  # the ways are split at their crossing nodes
    assert (eff.crossing[edges] == CrossingKind.TRAFFIC_SIGNALS).all()
    assert (eff.acoustic_signal[edges] == AcousticSignal.YES).all()
