"""Where many obstacles lie at once (:mod:`api.obstacles.ends`) against numpy one obstacle at a
time: segment sums to the bit of ``np.sum`` (hypothesis), circles to the bit of each obstacle's
``mean`` and ``max`` (which the routes' ellipse tests were made with), and the ends of random
matches on the centre extract as each obstacle's own concatenation and projection gives them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.obstacles.ends import NO_CIRCLE, circles, placed_ends
from graphs.arrays import segment_sums
from graphs.store import load_graph
from routing.engine import Router
from routing.obstacles.matching import ObstacleMatch

coordinate = st.floats(-5e4, 5e4, allow_nan=False, allow_subnormal=False)
# up to 140 values: numpy adds over 128 by halves, from 8 with eight running sums
segments = st.lists(st.lists(coordinate, max_size=140), max_size=12)


@settings(max_examples=300, deadline=None)
@given(segments, st.integers(0, 3))
def test_segment_sums_are_numpys_sums_to_the_bit(parts: list[list[float]], gap: int) -> None:
    values, starts = [], []
    for part in parts:  # segments apart by ``gap`` values not summed
        values += [1e9] * gap
        starts.append(len(values))
        values += part
    sums = segment_sums(np.asarray(values), np.asarray(starts), np.asarray([len(p) for p in parts]))
    assert sums.tolist() == [float(np.sum(np.asarray(p, dtype=np.float64))) for p in parts]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(coordinate, coordinate), max_size=140), max_size=10))
def test_circles_are_each_obstacles_own_numpy_circle(
    obstacles: list[list[tuple[float, float]]],
) -> None:
    x = np.asarray([p[0] for o in obstacles for p in o], dtype=np.float64)
    y = np.asarray([p[1] for o in obstacles for p in o], dtype=np.float64)
    sizes = np.asarray([len(o) for o in obstacles], dtype=np.int64)
    made = circles(x, y, np.cumsum(sizes) - sizes, sizes)
    want = []
    for o in obstacles:
        ox, oy = np.asarray([p[0] for p in o]), np.asarray([p[1] for p in o])
        if not o:
            want.append(NO_CIRCLE)
            continue
        cx, cy = float(ox.mean()), float(oy.mean())
        want.append((cx, cy, float(np.hypot(ox - cx, oy - cy).max())))
    assert made == want
    assert all(type(v) is float for c in made for v in c)


@pytest.mark.realdata
def test_placed_ends_are_each_matchs_own_ends(centre_graph_dir: Path) -> None:
    router = Router(load_graph(centre_graph_dir))
    g, frame = router.graph, router.index.frame
    rng = np.random.default_rng(7)
    matches = [
        ObstacleMatch(
            rng.integers(0, g.edge_count, size=int(rng.integers(0, 30))),
            rng.integers(0, g.node_count, size=int(rng.integers(0, 4))),
        )
        for _ in range(300)
    ]
    placed = placed_ends(g, frame, matches)
    for i, m in enumerate(matches):
        ends = np.concatenate((g.tail[m.edges], g.head[m.edges], m.nodes))
        x, y = frame.project(g.node["lon"][ends], g.node["lat"][ends])
        got_x, got_y = placed.of(i)
        assert got_x.tolist() == np.asarray(x, dtype=np.float64).tolist()
        assert got_y.tolist() == np.asarray(y, dtype=np.float64).tolist()
        want = circles(got_x, got_y, np.zeros(1, dtype=np.int64), np.full(1, got_x.size))[0]
        assert placed.circles[i] == want
    assert placed_ends(g, frame, []).circles == []
