"""The route report's kernels against the numpy/Python code they replaced (kept here as the
reference): :func:`routing.geometry.route_polyline` (one kernel call) must give exactly the
polyline and point indices of the old assembly from :func:`~routing.geometry.cut_polyline`
pieces, on random edge sequences of the real Kaiserslautern graph with random end fractions
(0, 1 and repeated fractions included) and on real routes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.arrays import concat_ranges
from graphs.model import CompiledGraph
from routing.errors import NoRouteError
from routing.geometry import cut_polyline, route_polyline

HYP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def route_polyline_reference(
    graph: CompiledGraph, edges: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The old numpy assembly (before the kernel)."""
    gf = graph.geom_first
    k = len(edges)
    first = cut_polyline(graph.edge_coords(int(edges[0])), float(starts[0]), float(ends[0]))
    if k == 1:
        return first, np.zeros(1, dtype=np.int64), np.array([len(first) - 1])
    middle = edges[1:-1]
    idx = concat_ranges(gf[middle] + 1, gf[middle + 1])
    last = cut_polyline(graph.edge_coords(int(edges[-1])), 0.0, float(ends[-1]))[1:]
    points = np.vstack((first, np.column_stack((graph.geom_lon[idx], graph.geom_lat[idx])), last))
    kept = np.concatenate(([len(first)], gf[middle + 1] - gf[middle] - 1, [len(last)]))
    last_pt = np.cumsum(kept) - 1
    first_pt = np.concatenate(([0], last_pt[:-1]))
    return points, first_pt, last_pt


def _same(graph: CompiledGraph, edges: np.ndarray, start: float, end: float) -> None:
    k = len(edges)
    starts, ends = np.zeros(k), np.ones(k)
    starts[0], ends[-1] = start, end
    got = route_polyline(graph, edges, starts, ends)
    want = route_polyline_reference(graph, edges, starts, ends)
    assert got[0].tolist() == want[0].tolist()  # exactly, as the response's coordinates
    assert got[1].tolist() == want[1].tolist()
    assert got[2].tolist() == want[2].tolist()


@pytest.fixture(scope="module")
def ksl_graph(ksl_router: Any) -> CompiledGraph:
    graph: CompiledGraph = ksl_router.graph
    return graph


fractions = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5, 1e-12, 1.0 - 1e-12]), st.floats(0.0, 1.0, allow_nan=False)
)


@HYP
@given(data=st.data(), k=st.integers(1, 6), start=fractions, end=fractions)
def test_polyline_kernel_matches_the_numpy_assembly(
    ksl_graph: CompiledGraph, data: Any, k: int, start: float, end: float
) -> None:
    m = len(ksl_graph.geom_first) - 1
    edges = np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k)))
    if k == 1 and start > end:
        start, end = end, start
    _same(ksl_graph, edges, start, end)


def test_polyline_kernel_on_real_routes(ksl_router: Any) -> None:
    """The polylines of 80 seeded routes' paths (ends inside edges) equal the old assembly."""
    router = ksl_router
    g = router.graph
    rng = np.random.default_rng(3)
    metric = router.customize(router.profile("wheelchair"))
    checked = 0
    for _ in range(80):
        a, b = rng.integers(0, g.node_count, 2)
        moved = rng.uniform(-4e-5, 4e-5, 4)
        origin = (float(g.node["lat"][a]) + moved[0], float(g.node["lon"][a]) + moved[1])
        destination = (float(g.node["lat"][b]) + moved[2], float(g.node["lon"][b]) + moved[3])
        s, _ = router.snap(origin, metric, "origin")
        t, _ = router.snap(destination, metric, "destination")
        try:
            path = router.shortest_path(s, t, metric)
        except NoRouteError:
            continue
        _same(g, np.asarray(path.edges, dtype=np.int64), path.start, path.end)
        checked += 1
    assert checked >= 60
