"""The obstacle matching's geometry index against shapely's STRtree (the independent reference).

:class:`routing.obstacles.geometry_index.EdgeGeometryIndex` keeps the pieces' polylines as
arrays and makes shapely objects only for the candidates its bounding boxes find; every query
must answer exactly what an ``STRtree`` over one ``LineString`` per piece and one ``Point`` per
node answers (what the index held before), for points, lines and areas drawn anywhere on and
around the map, at every tolerance staff may give.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from graphs.store import load_graph
from routing.engine import Router
from routing.obstacles.geometry_index import EdgeGeometryIndex, edge_geometry_index
from routing.obstacles.matching import MAX_TOLERANCE_M

pytestmark = pytest.mark.realdata

CENTRE_OSM = "kaiserslautern-centre-2013.osm.gz"


@pytest.fixture(scope="module")
def index(real_build: Callable[..., Any]) -> EdgeGeometryIndex:
    router = Router(load_graph(Path(real_build(CENTRE_OSM).out_dir)))
    return edge_geometry_index(router.graph, router.index)


@pytest.fixture(scope="module")
def trees(index: EdgeGeometryIndex) -> tuple[np.ndarray, shapely.STRtree, shapely.STRtree]:
    """The reference: every piece as a LineString, and STRtrees over them and the nodes."""
    lines = index.lines(np.arange(index.piece_count))
    return lines, shapely.STRtree(lines), shapely.STRtree(shapely.points(index.node_xy))


def drawn(index: EdgeGeometryIndex, rng: np.random.Generator) -> list[shapely.Geometry]:
    """Geometries as staff draw them: points, lines and areas on, beside and far off the map
    (around the map's box grown by a fifth), in the index's frame."""
    x0, y0 = index.node_xy.min(axis=0)
    x1, y1 = index.node_xy.max(axis=0)
    pad_x, pad_y = 0.2 * (x1 - x0), 0.2 * (y1 - y0)

    def anywhere(n: int) -> np.ndarray:
        return np.column_stack(
            (rng.uniform(x0 - pad_x, x1 + pad_x, n), rng.uniform(y0 - pad_y, y1 + pad_y, n))
        )

    def near_a_node(n: int) -> np.ndarray:
        nodes = index.node_xy[rng.integers(0, len(index.node_xy), n)]
        return nodes + rng.normal(0.0, 6.0, (n, 2))

    out: list[shapely.Geometry] = []
    for _ in range(40):
        out.append(shapely.Point(*near_a_node(1)[0]))
        out.append(shapely.Point(*anywhere(1)[0]))
        start = near_a_node(1)[0]
        steps = rng.normal(0.0, 25.0, (int(rng.integers(1, 5)), 2))
        out.append(shapely.LineString(np.vstack((start, start + np.cumsum(steps, axis=0)))))
        out.append(shapely.LineString(anywhere(2)))
        out.append(shapely.Point(*near_a_node(1)[0]).buffer(float(rng.uniform(1.0, 60.0))))
        out.append(shapely.Polygon(near_a_node(3)).buffer(0))  # a triangle (maybe degenerate)
    return [g for g in out if not g.is_empty]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_query_answers_what_the_strtrees_answer(
    index: EdgeGeometryIndex,
    trees: tuple[np.ndarray, shapely.STRtree, shapely.STRtree],
    seed: int,
) -> None:
    _, piece_tree, node_tree = trees
    rng = np.random.default_rng(seed)
    for geom in drawn(index, rng):
        distance_m = float(rng.choice([0.5, 2.0, 5.0, 17.5, MAX_TOLERANCE_M]))
        within = piece_tree.query(geom, predicate="dwithin", distance=distance_m)
        assert index.pieces_within(np.array([geom]), distance_m).tolist() == sorted(within)
        nodes = node_tree.query(geom, predicate="dwithin", distance=distance_m)
        assert index.nodes_within(np.array([geom]), distance_m).tolist() == sorted(nodes)
        meeting = piece_tree.query(geom, predicate="intersects")
        assert index.pieces_meeting(geom).tolist() == sorted(meeting)
        assert index.nodes_meeting(geom).tolist() == sorted(
            node_tree.query(geom, predicate="intersects")
        )
        _, nearest = piece_tree.query_nearest(geom, return_distance=True, all_matches=False)
        assert index.nearest_distance_m(np.array([geom])) == float(nearest.min())


def test_several_geometries_answer_as_their_union(
    index: EdgeGeometryIndex, trees: tuple[np.ndarray, shapely.STRtree, shapely.STRtree]
) -> None:
    _, piece_tree, node_tree = trees
    geoms = np.array(drawn(index, np.random.default_rng(9))[:12])
    assert index.pieces_within(geoms, 5.0).tolist() == sorted(
        set(piece_tree.query(geoms, predicate="dwithin", distance=5.0)[1].tolist())
    )
    assert index.nodes_within(geoms, 5.0).tolist() == sorted(
        set(node_tree.query(geoms, predicate="dwithin", distance=5.0)[1].tolist())
    )
    _, nearest = piece_tree.query_nearest(geoms, return_distance=True, all_matches=False)
    assert index.nearest_distance_m(geoms) == float(nearest.min())


def test_lines_are_the_pieces_polylines_in_the_order_asked(
    index: EdgeGeometryIndex, trees: tuple[np.ndarray, shapely.STRtree, shapely.STRtree]
) -> None:
    lines, _, _ = trees
    graph = index.graph
    positions = np.array([5, 0, index.piece_count - 1, 5])
    made = index.lines(positions)
    assert [g.equals_exact(lines[p], 0.0) for g, p in zip(made, positions, strict=True)] == [
        True
    ] * 4
    edge = int(index.canonical_edges[0])
    lon, lat = graph.edge_coords(edge).T
    x, y = index.frame.project(lon, lat)
    assert np.array_equal(shapely.get_coordinates(made[1]), np.column_stack((x, y)))
    assert index.lines(np.zeros(0, dtype=np.int64)).size == 0
    assert index.pieces_meeting(shapely.Point(-1e7, -1e7)).size == 0
    assert index.nodes_meeting(shapely.Point(-1e7, -1e7)).size == 0


def test_the_index_holds_arrays_not_shapely_objects(index: EdgeGeometryIndex) -> None:
    """What made the index worth replacing: no per-piece or per-node shapely object is kept."""
    held = [v for v in vars(index).values() if isinstance(v, np.ndarray) and v.dtype == object]
    assert held == []
    assert all(not isinstance(v, shapely.STRtree) for v in vars(index).values())
