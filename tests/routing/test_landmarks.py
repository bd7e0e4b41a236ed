"""ALT landmarks: the bound never overestimates, and A* with it equals networkx (costs along
the edges and at their heads, so the landmarks' node transition bounds are exercised too)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing._kernels import search as search_kernels
from routing.landmarks import borrow_scale, choose_landmarks, compute_landmarks


@st.composite
def graphs(draw: st.DrawFn) -> tuple[SimpleNamespace, SimpleNamespace]:
    """Random two-way graphs with direction-dependent costs and some one-way pieces."""
    n = draw(st.integers(2, 25))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=60)
    )
    tails: list[int] = []
    heads: list[int] = []
    ways: list[float] = []
    at_head: list[float] = []
    rev: list[int] = []
    # a node's transition (a junction, a crossing: paid arriving along most edges into it)
    transition = [draw(st.sampled_from([0.0, 0.0, 5.0, 270.0])) for _ in range(n)]

    def head_cost(v: int) -> float:
        return transition[v] + draw(st.sampled_from([0.0, 0.0, 0.0, 1.5, 30.0, math.inf]))

    for u, v in pairs:
        one_way = draw(st.booleans()) and draw(st.booleans())
        e = len(tails)
        tails.append(u)
        heads.append(v)
        ways.append(draw(st.floats(0, 100)))
        at_head.append(head_cost(v))
        if one_way:
            rev.append(-1)
        else:
            tails.append(v)
            heads.append(u)
            ways.append(draw(st.floats(0, 100)))
            at_head.append(head_cost(u))
            rev.extend([e + 1, e])
    order = np.argsort(np.array(tails), kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    tail = np.array(tails)[order]
    head = np.array(heads, dtype=np.int32)[order]
    way = np.array(ways)[order]
    head_s = np.array(at_head)[order]
    reverse = np.array([inverse[r] if r >= 0 else -1 for r in np.array(rev)[order]], dtype=np.int64)
    first_out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=first_out[1:])
    graph = SimpleNamespace(
        node_count=n, tail=tail.astype(np.int32), head=head, first_out=first_out,
        edge={"reverse_edge": reverse},
    )  # fmt: skip
    cost = np.ascontiguousarray(way + head_s)
    return graph, SimpleNamespace(cost_s=cost, way_s=way, head_s=head_s)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=graphs(), data=st.data())
def test_alt_search_equals_networkx(
    case: tuple[SimpleNamespace, SimpleNamespace], data: st.DataObject
) -> None:
    graph, weights = case
    n = graph.node_count
    xy = np.random.default_rng(data.draw(st.integers(0, 1000))).random((n, 2))
    lm = compute_landmarks(graph, weights, choose_landmarks(xy[:, 0], xy[:, 1], k=3))  # type: ignore[arg-type]
    ref = nx.MultiDiGraph()
    ref.add_nodes_from(range(n))
    for e in range(len(graph.head)):
        ref.add_edge(int(graph.tail[e]), int(graph.head[e]), weight=float(weights.cost_s[e]))
    source = data.draw(st.integers(0, n - 1))
    target = data.draw(st.integers(0, n - 1))
    expected = nx.single_source_dijkstra_path_length(ref, source)
    for v, d in expected.items():  # the bound never overestimates the true distance to target
        back = nx.single_source_dijkstra_path_length(ref, v).get(target, math.inf)
        *at_v, tau_v = lm.dist[v]
        *at_t, tau_t = lm.dist[target]
        bound = max((abs(a - b) for a, b in zip(at_v, at_t, strict=True) if np.isfinite(a) and np.isfinite(b)), default=0.0)  # fmt: skip
        bound -= (tau_v + tau_t) / 2
        assert bound <= back * (1 + 1e-9) + 1e-9, (v, target, bound, back, d)
    m = len(graph.head)
    bound = (
        xy[:, 0].copy(), xy[:, 1].copy(), 0.0, 0.0, 0.0, lm.dist, lm.at(np.array([target])), lm.scale
    )  # fmt: skip
    best, _, _ = search_kernels.search(
        (graph.first_out, graph.head, weights.cost_s), search_kernels.workspace(n, m + 8), 1,
        (np.array([source], dtype=np.int64), np.zeros(1)),
        (np.array([target], dtype=np.int64), np.zeros(1)), bound, 0,
    )  # fmt: skip
    want = expected.get(target, math.inf)
    assert (best == want == math.inf) or math.isclose(best, want, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.lists(st.one_of(st.floats(0, 1e6), st.just(math.inf)), min_size=3, max_size=3),
            st.floats(0, 300),  # the node's transition bound
        ).map(lambda r: [*r[0], r[1]]),
        min_size=2,
        max_size=4,
    ),
    costs=st.lists(st.floats(0, 100), min_size=1, max_size=3),
    scale=st.floats(0.1, 2.0),
)
def test_the_landmark_bound_skips_landmarks_that_reach_no_end(
    rows: list[list[float]], costs: list[float], scale: float
) -> None:
    """``lower_bound``'s landmark part against the rule written out: per exit, the largest
    ``|d(L, v) - d(L, exit)|`` over the landmarks that reach both (an infinite distance on
    either side gives nothing, not infinity or NaN), less half the transition bounds of ``v``
    and the exit (the last column), scaled, plus the exit's cost; the least over the exits."""
    lm_dist = np.array(rows[:1])  # node 0 is v
    lm_target = np.array([rows[1 + i % (len(rows) - 1)] for i in range(len(costs))])
    target_costs = np.array(costs)
    bound = (np.zeros(1), np.zeros(1), 0.0, 0.0, 0.0, lm_dist, lm_target, scale)

    def largest_gap(a_row: np.ndarray, b_row: np.ndarray) -> float:
        *a_lm, a_tau = a_row
        *b_lm, b_tau = b_row
        gaps = [abs(a - b) for a, b in zip(a_lm, b_lm, strict=True) if max(a, b) < math.inf]
        return max(gaps, default=0.0) - (a_tau + b_tau) / 2

    want = min(
        scale * largest_gap(lm_dist[0], row) + c
        for row, c in zip(lm_target, target_costs, strict=True)
    )
    want = max(0.0, want)  # the straight line's bound (0 here) when the landmarks' is below
    assert search_kernels.lower_bound(0, bound, target_costs) == want


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=graphs(), data=st.data())
def test_borrowed_landmarks_scaled_find_the_least_costs_of_other_costs(
    case: tuple[SimpleNamespace, SimpleNamespace], data: st.DataObject
) -> None:
    """Landmarks computed on one set of costs (a preset's), scaled by :func:`borrow_scale`,
    bound another (a personal profile's: every edge dearer or cheaper by its own factor, some
    unusable edges usable): A* with them equals networkx on the other costs."""
    graph, basis = case
    n, m = graph.node_count, len(graph.head)
    factors = np.asarray(data.draw(st.lists(st.sampled_from([0.3, 0.5, 1.0, 1.0, 2.0, 3.0]), min_size=m, max_size=m)))  # fmt: skip
    way = basis.way_s * factors
    head_s = np.where(
        np.isinf(basis.head_s) & data.draw(st.booleans()), 1.0, basis.head_s * factors
    )
    other = np.ascontiguousarray(way + head_s)
    alpha = borrow_scale(other, basis.cost_s)
    usable = np.isfinite(other)
    if alpha > 0.0:
        assert np.all(other[usable] >= alpha * basis.cost_s[usable] * (1 - 1e-12))
    else:  # nothing to borrow: an edge usable only here, free here but not there, or nothing
        # with a cost to scale
        costly = usable & (basis.cost_s > 0)
        assert (
            np.any(usable & ~np.isfinite(basis.cost_s))
            or np.any(costly & (other == 0))
            or not np.any(costly)
        )
        return
    xy = np.random.default_rng(data.draw(st.integers(0, 1000))).random((n, 2))
    lm = compute_landmarks(graph, basis, choose_landmarks(xy[:, 0], xy[:, 1], k=3))  # type: ignore[arg-type]
    ref = nx.MultiDiGraph()
    ref.add_nodes_from(range(n))
    for e in range(m):
        ref.add_edge(int(graph.tail[e]), int(graph.head[e]), weight=float(other[e]))
    source = data.draw(st.integers(0, n - 1))
    target = data.draw(st.integers(0, n - 1))
    bound = (
        xy[:, 0].copy(), xy[:, 1].copy(), 0.0, 0.0, 0.0, lm.dist, lm.at(np.array([target])), alpha
    )  # fmt: skip
    best, _, _ = search_kernels.search(
        (graph.first_out, graph.head, other), search_kernels.workspace(n, m + 8), 1,
        (np.array([source], dtype=np.int64), np.zeros(1)),
        (np.array([target], dtype=np.int64), np.zeros(1)), bound, 0,
    )  # fmt: skip
    want = nx.single_source_dijkstra_path_length(ref, source).get(target, math.inf)
    assert (best == want == math.inf) or math.isclose(best, want, rel_tol=1e-9, abs_tol=1e-9)
