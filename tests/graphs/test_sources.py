"""Tests for graphs.sources (files, downloads, boundaries) and the ``stufenlos build`` command."""

from __future__ import annotations

import bz2
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from api.cli import main
from graphs.build import build_graph
from graphs.sources import (
    RawOsm,
    SourceError,
    clip_to_boundary,
    download_osm,
    read_osm_file,
    read_poly,
)
from graphs.store import load_graph, save_graph

# --- .poly boundaries ----------------------------------------------------------------------------

POLY_WITH_HOLE = """\
test area
1
   7.750000E+00   4.943000E+01
   7.770000E+00   4.943000E+01
   7.770000E+00   4.945000E+01
   7.750000E+00   4.945000E+01
   7.750000E+00   4.943000E+01
END
!2
   7.755000E+00   4.943500E+01
   7.765000E+00   4.943500E+01
   7.765000E+00   4.944500E+01
   7.755000E+00   4.944500E+01
END
3
   7.800000E+00   4.943000E+01
   7.810000E+00   4.943000E+01
   7.810000E+00   4.944000E+01
END
END
"""


def test_read_poly_with_hole_and_two_shells(tmp_path: Path) -> None:
    path = tmp_path / "area.poly"
    path.write_text(POLY_WITH_HOLE)
    area = read_poly(path)
    assert isinstance(area, MultiPolygon)
    assert len(area.geoms) == 2
    square = next(g for g in area.geoms if g.contains(shapely.Point(7.751, 49.431)))
    assert len(square.interiors) == 1
    assert area.area == pytest.approx(0.02 * 0.02 - 0.01 * 0.01 + 0.01 * 0.01 / 2)
    assert area.contains(shapely.Point(7.752, 49.44))  # in the shell
    assert not area.contains(shapely.Point(7.76, 49.44))  # in the hole
    assert area.contains(shapely.Point(7.808, 49.431))  # in the triangle
    assert not area.contains(shapely.Point(7.78, 49.44))  # between the shells


def test_read_single_polygon(tmp_path: Path) -> None:
    path = tmp_path / "square.poly"
    path.write_text("square\n1\n 0 0\n 1 0\n 1 1\n 0 1\nEND\nEND\n")
    area = read_poly(path)
    assert isinstance(area, Polygon)
    assert area.area == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bad\n1\n 7.7 49.4\n seven 49.5\nEND\nEND\n", "not a valid .poly"),
        ("empty\nEND\n", "no polygon"),
        ("line\n1\n 7.7 49.4\n 7.8 49.4\nEND\nEND\n", "no polygon"),
        ("gone\n1\n 0 0\n 1 0\n 1 1\nEND\n!2\n -1 -1\n 2 -1\n 2 2\n -1 2\nEND\nEND\n", "empty"),
    ],
)
def test_read_poly_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.poly"
    path.write_text(text)
    with pytest.raises(SourceError, match=message):
        read_poly(path)


def test_read_poly_missing(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_poly(tmp_path / "nowhere.poly")


@pytest.mark.realdata
def test_real_kaiserslautern_boundary(shared_file: Callable[[str], Path]) -> None:
    area = read_poly(shared_file("kaiserslautern-boundary.poly"))
    assert area.is_valid
    assert area.contains(shapely.Point(7.7690, 49.4447))  # Stiftskirche, city centre
    assert area.contains(shapely.Point(7.7520, 49.4240))  # university campus
    assert not area.contains(shapely.Point(13.43, 52.48))  # Berlin
    west, south, east, north = area.bounds
    assert 7.5 < west < 7.7 < 7.8 < east < 8.0
    assert 49.3 < south < 49.42 < 49.46 < north < 49.6
    assert 100 < area.area * 111.32 * 72.4 < 200  # ~140 km², in rough km² at this latitude


# --- clipping ------------------------------------------------------------------------------------


def test_clip_cuts_ways_at_the_boundary(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "kerb_crossing.osm")
    west = box(7.758, 49.439, 7.7607, 49.441)  # cuts off the eastern ends (lon 7.761)
    clipped = clip_to_boundary(raw, west)
    by_id = {w.way_id: w.nodes for w in clipped.ways}
    assert by_id[100] == [1, 2, 3, 4]
    assert by_id[101] == [11, 12, 13, 14]
    assert by_id[103] == [13, 31, 3, 32, 23]  # wholly inside
    assert not {5, 15, 25} & set(clipped.node_lonlat)
    assert clipped.extra["clipped"] is True
    assert clipped.source == raw.source
    assert set(clipped.node_tags) == {3, 31, 32}


def test_clip_splits_a_way_that_leaves_and_returns(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "kerb_crossing.osm")
    outer = box(7.758, 49.439, 7.762, 49.441)
    hole = box(7.7599, 49.43996, 7.7601, 49.44004)  # around the crossing node 3 only
    clipped = clip_to_boundary(raw, outer.difference(hole))
    runs = sorted((w.way_id, w.nodes) for w in clipped.ways)
    assert (100, [1, 2]) in runs
    assert (100, [4, 5]) in runs
    assert (103, [13, 31]) in runs
    assert (103, [32, 23]) in runs
    assert 3 not in clipped.node_lonlat
    assert 3 not in clipped.node_tags


def test_clip_everything_away_gives_no_ways(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "kerb_crossing.osm")
    clipped = clip_to_boundary(raw, box(13.4, 52.4, 13.5, 52.5))
    assert clipped.ways == []
    assert clipped.node_lonlat == {}


# --- reading files -------------------------------------------------------------------------------


def test_read_osm_file(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "kerb_crossing.osm")
    assert sorted(w.way_id for w in raw.ways) == [100, 101, 102, 103]
    assert raw.node_lonlat[3] == pytest.approx((7.76, 49.44))
    assert raw.node_tags[3]["traffic_signals:sound"] == "yes"
    assert 2 not in raw.node_tags  # shape nodes carry no tags
    assert raw.data_timestamp == "2023-05-04T10:00:00+00:00"  # the newest way
    assert raw.source == str((osm_fixtures / "kerb_crossing.osm").resolve())
    assert raw.source_sha256 is not None
    assert len(raw.source_sha256) == 64


def test_invalid_timestamps_give_no_data_timestamp(osm_fixtures: Path, tmp_path: Path) -> None:
    text = (osm_fixtures / "steps.osm").read_text()
    text = text.replace(
        '<way id="300" version="1">', '<way id="300" version="1" timestamp="1969-12-31T23:59:59Z">'
    )
    path = tmp_path / "stamped.osm"
    path.write_text(text)
    assert read_osm_file(path).data_timestamp is None


def test_linear_kerbs_are_read_separately(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "barriers.osm")
    assert [w.way_id for w in raw.kerb_ways] == [407]
    assert raw.kerb_ways[0].nodes == [91, 90, 92]
    assert 407 not in {w.way_id for w in raw.ways}


def _same_content(a: RawOsm, b: RawOsm) -> None:
    assert [(w.way_id, w.nodes, w.tags) for w in a.ways] == [
        (w.way_id, w.nodes, w.tags) for w in b.ways
    ]
    assert a.node_lonlat == b.node_lonlat
    assert a.node_tags == b.node_tags


@pytest.mark.parametrize(
    ("suffix", "compress"), [(".osm.bz2", bz2.compress), (".osm.gz", gzip.compress)]
)
def test_compressed_input(
    osm_fixtures: Path, tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    plain = osm_fixtures / "kerb_crossing.osm"
    packed = tmp_path / f"kerb_crossing{suffix}"
    packed.write_bytes(compress(plain.read_bytes()))
    _same_content(read_osm_file(plain), read_osm_file(packed))
    graph, _ = build_graph(read_osm_file(packed))
    graph.validate()


def test_pbf_input(osm_fixtures: Path, tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "steps.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_fixtures / "steps.osm")):
            writer.add(obj)
    _same_content(read_osm_file(osm_fixtures / "steps.osm"), read_osm_file(pbf))


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_osm_file(tmp_path / "nothing.osm")


def test_read_wrong_suffix(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")
    with pytest.raises(SourceError, match="is not an OSM file"):
        read_osm_file(path)


@pytest.mark.parametrize(
    "content", [b"garbage", b"<osm><node id='1' lat='x' lon='7'/>", b"\x00\x01\x02 binary"]
)
def test_read_garbage_is_one_sentence(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.osm"
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_osm_file(path)
    message = str(info.value)
    assert message.startswith(f"cannot read OSM file {path}")
    assert "\n" not in message


def test_read_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.osm"
    folder.mkdir()
    with pytest.raises(SourceError, match="does not exist"):
        read_osm_file(folder)


# --- downloads (offline) -------------------------------------------------------------------------


@pytest.fixture
def osmnx_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """download_osm sets osmnx's global settings: restore them after the test."""
    for name in ("useful_tags_way", "useful_tags_node", "log_console"):
        monkeypatch.setattr(osmnx.settings, name, getattr(osmnx.settings, name))


@pytest.mark.usefixtures("osmnx_settings")
@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        ("graph_from_place", {"place": "Kaiserslautern, Germany"}),
        ("graph_from_bbox", {"bbox": (7.76, 49.43, 7.78, 49.45)}),
        ("graph_from_polygon", {"polygon": box(7.76, 49.43, 7.78, 49.45)}),
    ],
)
def test_download_offline(
    monkeypatch: pytest.MonkeyPatch, function: str, kwargs: dict[str, object]
) -> None:
    def offline(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("Failed to establish a new connection: network is unreachable")

    monkeypatch.setattr(osmnx, function, offline)
    with pytest.raises(SourceError) as info:
        download_osm(**kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "download" in message
    assert "network is unreachable" in message
    assert isinstance(info.value.__cause__, ConnectionError)


@pytest.mark.usefixtures("osmnx_settings")
def test_download_needs_an_area() -> None:
    with pytest.raises(SourceError, match="place name, a bounding box or a polygon"):
        download_osm()


def _fake_osmnx_graph(steps_tags: dict[str, str]) -> nx.MultiDiGraph:
    """An unsimplified osmnx graph (both directions, ``reversed`` flags) of steps.osm's ways 300/301."""
    g = nx.MultiDiGraph(crs="epsg:4326")
    points = {51: (7.76, 49.44), 52: (7.76, 49.4401), 53: (7.76, 49.4403), 54: (7.7602, 49.4401)}
    for n, (x, y) in points.items():
        g.add_node(n, x=x, y=y, street_count=1)
    g.nodes[54]["barrier"] = "bollard"
    steps = {"osmid": 300, "highway": "steps", "oneway": False, **steps_tags}
    footway = {"osmid": 301, "highway": "footway", "oneway": False}
    for u, v, data in ((51, 52, steps), (52, 53, steps), (52, 54, footway)):
        g.add_edge(u, v, **data, reversed=False, length=1.0)
        g.add_edge(v, u, **data, reversed=True, length=1.0)
    return g


@pytest.mark.usefixtures("osmnx_settings")
def test_download_converts_the_osmnx_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake(query: str, **options: object) -> nx.MultiDiGraph:
        seen.update(options, query=query)
        return _fake_osmnx_graph({"handrail": "yes"})

    monkeypatch.setattr(osmnx, "graph_from_place", fake)
    raw = download_osm(place="Teststadt")
    assert seen["query"] == "Teststadt"
    assert seen["simplify"] is False  # shape and kerb nodes must reach our own simplification
    assert "Teststadt" in raw.source
    assert sorted((w.way_id, tuple(w.nodes)) for w in raw.ways) == [
        (300, (51, 52)),
        (300, (52, 53)),
        (301, (52, 54)),
    ]
    assert raw.node_tags == {54: {"barrier": "bollard"}}
    assert "step_count" in osmnx.settings.useful_tags_way
    assert "kerb" in osmnx.settings.useful_tags_node
    assert raw.features.read is False  # the download holds the walking network only
    graph, _ = build_graph(raw)
    graph.validate()
    assert np.all(graph.edge["handrail"][graph.edge["is_steps"]] == 1)
    assert graph.meta["features"]["read"] is False
    assert np.all(np.isnan(graph.edge["green_share"]))


@pytest.mark.usefixtures("osmnx_settings")
def test_downloaded_step_count_is_prorated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        osmnx, "graph_from_place", lambda *_a, **_k: _fake_osmnx_graph({"step_count": "12"})
    )
    graph, _ = build_graph(download_osm(place="Teststadt"))
    e = graph.edge
    steps = np.flatnonzero(e["is_steps"])
    up = steps[graph.node["lat"][graph.head[steps]] > graph.node["lat"][graph.tail[steps]]]
    assert len(up) == 2
    assert int(e["step_count"][up].sum()) == 12


@pytest.mark.usefixtures("osmnx_settings")
def test_download_without_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = nx.MultiDiGraph(crs="epsg:4326")
    empty.add_node(1, x=7.76, y=49.44)
    monkeypatch.setattr(osmnx, "graph_from_bbox", lambda *_a, **_k: empty)
    with pytest.raises(SourceError, match="contains no ways"):
        download_osm(bbox=(7.76, 49.43, 7.78, 49.45))


# --- the command line ----------------------------------------------------------------------------


def _fails_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    # the progress bar also writes to stderr; the error itself is exactly one line, the last one
    lines = [line for line in err.splitlines() if line.strip()]
    messages = [line for line in lines if line.startswith(f"stufenlos {argv[0]}:")]
    assert len(messages) == 1, err
    assert lines[-1] == messages[0]
    assert expected in messages[0]
    return messages[0]


def test_cli_build_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["build", "--osm", str(tmp_path / "missing.osm.pbf"), "--out", str(out)]
    _fails_with_one_line(capsys, argv, "does not exist")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_cli_build_garbage_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml")
    out = tmp_path / "out"
    _fails_with_one_line(capsys, ["build", "--osm", str(bad), "--out", str(out)], "cannot read")
    assert not out.exists()


@pytest.mark.parametrize("fixture", ["empty", "no_walkable"])
def test_cli_build_empty_area(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, osm_fixtures: Path, fixture: str
) -> None:
    out = tmp_path / "out"
    argv = ["build", "--osm", str(osm_fixtures / f"{fixture}.osm"), "--out", str(out)]
    _fails_with_one_line(capsys, argv, "no walkable ways")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_cli_build_boundary_outside_the_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, osm_fixtures: Path
) -> None:
    poly = tmp_path / "berlin.poly"
    poly.write_text("berlin\n1\n 13.4 52.4\n 13.5 52.4\n 13.5 52.5\n 13.4 52.5\nEND\nEND\n")
    out = tmp_path / "out"
    argv = ["build", "--osm", str(osm_fixtures / "kerb_crossing.osm"), "--boundary", str(poly)]
    _fails_with_one_line(capsys, [*argv, "--out", str(out)], "no walkable ways")
    assert not out.exists()


def test_cli_build_missing_dem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, osm_fixtures: Path
) -> None:
    out = tmp_path / "out"
    argv = [
        "build",
        "--osm",
        str(osm_fixtures / "steps.osm"),
        "--dem",
        str(tmp_path / "N49E007.hgt"),
    ]
    _fails_with_one_line(capsys, [*argv, "--out", str(out)], "does not exist")
    assert not out.exists()


@pytest.mark.realdata
def test_cli_build_dem_not_covering_the_area(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, shared_file: Callable[[str], Path]
) -> None:
    out = tmp_path / "out"
    argv = [
        "build",
        "--osm",
        str(shared_file("berlin-neukoelln-2024.osm.gz")),
        "--dem",
        str(shared_file("srtm3-N49E007.hgt.gz")),
        "--out",
        str(out),
    ]
    message = _fails_with_one_line(capsys, argv, "does not cover the area")
    assert "lat 52.4" in message
    assert "lat 49–50, lon 7–8" in message
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("osmnx_settings")
def test_cli_build_download_offline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(osmnx, "graph_from_place", offline)
    out = tmp_path / "out"
    _fails_with_one_line(
        capsys, ["build", "--place", "Herrenberg, Germany", "--out", str(out)], "download"
    )
    assert not out.exists()


def test_cli_failed_rebuild_keeps_the_existing_graph(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, osm_fixtures: Path
) -> None:
    out = tmp_path / "out"
    assert main(["build", "--osm", str(osm_fixtures / "steps.osm"), "--out", str(out)]) == 0
    before = load_graph(out)
    capsys.readouterr()
    argv = ["build", "--osm", str(osm_fixtures / "empty.osm"), "--out", str(out)]
    _fails_with_one_line(capsys, argv, "no walkable ways")
    after = load_graph(out)
    assert np.array_equal(before.head, after.head)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_cli_build_success(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, osm_fixtures: Path
) -> None:
    out = tmp_path / "out"
    assert main(["build", "--osm", str(osm_fixtures / "kerb_crossing.osm"), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Data coverage" in stdout
    assert "OpenStreetMap contributors" in stdout
    assert f"graph written to {out}" in stdout
    report = json.loads((out / "coverage.json").read_text())
    assert report["counts"]["kerb_nodes"] == 2
    assert report["counts"]["acoustic_signal_nodes"] == 1
    assert load_graph(out).meta["coverage"] == report["counts"]
    # --if-missing does nothing when the graph is there
    assert main(["build", "--osm", "whatever.osm", "--out", str(out), "--if-missing"]) == 0


def test_cli_bad_bbox_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--bbox", "7.78,49.43,7.76,49.45", "--out", "x"])
    assert info.value.code == 2
    assert "WEST < EAST" in capsys.readouterr().err


def test_cli_info_missing_graph(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _fails_with_one_line(capsys, ["info", "--graph", str(tmp_path / "none")], "no compiled graph")


def test_cli_info_other_format_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, osm_fixtures: Path
) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "steps.osm"))
    out = save_graph(graph, tmp_path / "g")
    meta = json.loads((out / "meta.json").read_text())
    (out / "meta.json").write_text(json.dumps(meta | {"format_version": 99}))
    _fails_with_one_line(capsys, ["info", "--graph", str(out)], "rebuild")


# --- ways whose extract lacks some nodes (issue 10, item 6) ----------------------------------------


def test_way_is_split_at_missing_nodes(osm_fixtures: Path) -> None:
    raw = read_osm_file(osm_fixtures / "missing_nodes.osm")
    pieces = [w for w in raw.ways if w.way_id == 600]
    assert [w.nodes for w in pieces] == [[601, 602], [604, 605]]  # 607 alone is no piece
    assert all(w.tags == {"highway": "footway", "surface": "asphalt"} for w in pieces)
    assert raw.missing_nodes == 2
    assert raw.split_ways == 1


def test_no_edge_bridges_missing_nodes(osm_fixtures: Path) -> None:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "missing_nodes.osm"))
    osm, way = graph.node["osm_id"], graph.edge["way_id"]
    pairs = {
        (int(osm[t]), int(osm[h]), int(w))
        for t, h, w in zip(graph.tail, graph.head, way, strict=True)
    }
    assert (602, 604, 600) not in pairs  # 602 → 604 only along way 610, through 611
    assert (602, 604, 610) in pairs
    assert (604, 605, 600) in pairs
    assert 607 not in set(osm.tolist())
    assert graph.meta["source_counts"]["missing_way_nodes"] == 2
    assert graph.meta["source_counts"]["ways_split_at_missing_nodes"] == 1


def test_neukoelln_way_155595021_is_not_bridged(shared_file: Callable[[str], Path]) -> None:
    """Neukölln way 155595021 lacks 3 of its 5 nodes in the extract; its two present nodes,
    86 m apart with a missing node between them, were joined by a straight edge."""
    raw = read_osm_file(shared_file("berlin-neukoelln-2024.osm.gz"))
    assert raw.missing_nodes == 3
    assert raw.split_ways == 1
    assert not [w for w in raw.ways if w.way_id == 155595021]  # two single-node pieces: no edge
    graph, _ = build_graph(raw)
    assert not (graph.edge["way_id"] == 155595021).any()
    assert graph.meta["source_counts"]["missing_way_nodes"] == 3
