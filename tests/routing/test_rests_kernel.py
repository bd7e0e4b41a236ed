"""The rest-constrained search kernel against a brute-force reference (hypothesis).

The reference is plain Dijkstra over the *product* graph of states (node, whole metres walked
since the last rest), with lengths and seat offsets drawn as whole metres so that every state
is one of finitely many (``0 … limit``). It is exact for the problem: the rule of a step
depends only on the state, every walk of the graph (revisits included: a detour to a seat and
back) is a path of the product graph and back, and costs are non-negative. Its steps walk the
raw list of seat offsets of each edge metre by metre, so it checks the kernel's summary of an
edge (first seat, last seat, longest gap between seats) as well as its search.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from routing._kernels import rests as rests_kernels
from routing._kernels import search as search_kernels

NO_LM = np.zeros((0, 0))

Edge = tuple[int, int, int, float, list[int]]  # tail, head, whole metres, cost, seat offsets
Source = tuple[int, float, int]  # node, cost, metres walked since the last rest
Target = tuple[int, float, int, list[int]]  # node, exit cost, whole metres, seat offsets
# nodes, edges, x, y, scale of the straight-line bound, limit, starts, exits, target point
Case = tuple[
    int, list[Edge], list[int], list[int], float, int, list[Source], list[Target], tuple[int, int]
]


def walk_offsets(d: int, length: int, offsets: list[int], limit: int) -> int | None:
    """Metres since the last rest after walking a stretch with seats at ``offsets`` (the
    reference rule, from the offsets themselves), or None when some stretch exceeds ``limit``."""
    pos = 0
    for o in offsets:
        d += o - pos
        if d > limit:
            return None
        d, pos = 0, o
    d += length - pos
    return d if d <= limit else None


def summary(length: int, offsets: list[int]) -> tuple[float, float, float]:
    """The agreed per-edge columns (first, last, max gap; NaN without a seat)."""
    if not offsets:
        return math.nan, math.nan, math.nan
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    return float(offsets[0]), float(offsets[-1]), float(max(gaps, default=0))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 12))
    m = draw(st.integers(0, 3 * n))
    x = draw(st.lists(st.integers(0, 300), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, 300), min_size=n, max_size=n))
    scale = draw(st.sampled_from([0.0, 0.5, 1.0]))
    limit = draw(st.integers(20, 300))

    def seats(length: int) -> list[int]:
        k = draw(st.integers(0, 3))
        return sorted(draw(st.lists(st.integers(0, length), min_size=k, max_size=k)))

    edges: list[Edge] = []
    for _ in range(m):
        u, v = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        length = draw(st.integers(0, 250))
        extra = draw(st.one_of(st.floats(0, 100, allow_nan=False), st.just(math.inf)))
        cost = scale * math.hypot(x[u] - x[v], y[u] - y[v]) + length * 0.5 + extra
        edges.append((u, v, length, cost, seats(length)))
    k = draw(st.integers(1, 2))
    sources = [
        (draw(st.integers(0, n - 1)), draw(st.floats(0, 50)), draw(st.integers(0, limit + 20)))
        for _ in range(k)
    ]
    targets: list[Target] = []
    for _ in range(draw(st.integers(1, 2))):
        length = draw(st.integers(0, 150))
        targets.append((draw(st.integers(0, n - 1)), draw(st.floats(0, 50)), length, seats(length)))
    tx, ty = draw(st.integers(0, 300)), draw(st.integers(0, 300))
    return n, edges, x, y, scale, limit, sources, targets, (tx, ty)


def reference(
    n: int,
    edges: Sequence[Edge],
    limit: int,
    sources: Sequence[Source],
    targets: Sequence[Target],
) -> float:
    """Dijkstra over (node, metres since the last rest)."""
    out: list[list[tuple[int, int, float, list[int]]]] = [[] for _ in range(n)]
    for u, v, length, cost, offs in edges:
        if math.isfinite(cost):
            out[u].append((v, length, cost, offs))
    dist: dict[tuple[int, int], float] = {}
    heap: list[tuple[float, int, int]] = []
    for s, c, d in sources:
        if d <= limit and c < dist.get((s, d), math.inf):
            dist[(s, d)] = c
            heapq.heappush(heap, (c, s, d))
    best = math.inf
    while heap:
        c, u, d = heapq.heappop(heap)
        if c > dist[(u, d)]:
            continue
        for t, tc, length, offs in targets:
            if t == u and walk_offsets(d, length, offs, limit) is not None:
                best = min(best, c + tc)
        for v, length, cost, offs in out[u]:
            nd = walk_offsets(d, length, offs, limit)
            if nd is not None and c + cost < dist.get((v, nd), math.inf):
                dist[(v, nd)] = c + cost
                heapq.heappush(heap, (c + cost, v, nd))
    return best


def csr(
    n: int, edges: Sequence[Edge]
) -> tuple[search_kernels.Graph, np.ndarray, rests_kernels.Seats, list[Edge]]:
    order = sorted(range(len(edges)), key=lambda i: edges[i][0])
    first_out = np.zeros(n + 1, dtype=np.int64)
    for u, *_ in edges:
        first_out[u + 1] += 1
    first_out = np.cumsum(first_out)
    head = np.array([edges[i][1] for i in order], dtype=np.int64)
    tail = np.array([edges[i][0] for i in order], dtype=np.int64)
    cost = np.array([edges[i][3] for i in order], dtype=np.float64)
    length = np.array([edges[i][2] for i in order], dtype=np.float64)
    cols = np.array([summary(edges[i][2], edges[i][4]) for i in order]).reshape(-1, 3)
    first, last, max_gap = (np.ascontiguousarray(cols[:, j]) for j in range(3))
    seats = (length, first, last, max_gap)
    return (first_out, head, cost), tail, seats, [edges[i] for i in order]


def ends(
    sources: Sequence[Source], targets: Sequence[Target]
) -> tuple[rests_kernels.RestSources, rests_kernels.RestTargets]:
    """The kernels' source and exit arrays of a case's starts and exits."""
    src = (
        np.array([s for s, _, _ in sources], dtype=np.int64),
        np.array([c for _, c, _ in sources], dtype=np.float64),
        np.array([d for _, _, d in sources], dtype=np.float64),
    )
    tcols = np.array([summary(length, offs) for _, _, length, offs in targets]).reshape(-1, 3)
    first, last, max_gap = (np.ascontiguousarray(tcols[:, j]) for j in range(3))
    tgt = (
        np.array([t for t, *_ in targets], dtype=np.int64),
        np.array([c for _, c, _, _ in targets], dtype=np.float64),
        np.array([length for _, _, length, _ in targets], dtype=np.float64),
        first,
        last,
        max_gap,
    )
    return src, tgt


def run_kernel(
    case: Case, capacity: int = 4, max_cost: float = math.inf
) -> tuple[
    tuple[float, int, int, int, int],
    rests_kernels.LabelPool,
    search_kernels.Graph,
    np.ndarray,
    list[Edge],
    rests_kernels.RestTargets,
    int,
    list[Target],
    list[Source],
]:
    n, edges, x, y, scale, limit, sources, targets, (tx, ty) = case
    graph, tail, seats, ordered = csr(n, edges)
    src, tgt = ends(sources, targets)
    # the straight line to the target point bounds the cost only if the exits cost as much
    tc = tgt[1].copy()
    for i, (t, c, _, _) in enumerate(targets):
        tc[i] = max(c, scale * math.hypot(x[t] - tx, y[t] - ty))
    tgt = (tgt[0], tc, *tgt[2:])
    bound = (
        np.array(x, dtype=np.float64), np.array(y, dtype=np.float64), float(tx), float(ty),
        float(scale), NO_LM, np.zeros((len(targets), 0)), 1.0,
    )  # fmt: skip
    node_first = np.zeros(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    while True:  # grow the pool and retry, as the router does
        pool = rests_kernels.label_pool(capacity)
        out = rests_kernels.rest_search(
            graph, seats, float(limit), src, tgt, bound, pool, node_first, stamp, 1 + capacity,
            search_kernels.NO_BUDGET, max_cost,
        )  # fmt: skip
        if out[1] != rests_kernels.POOL_FULL:
            break
        capacity *= 2
    return out, pool, graph, tail, ordered, tgt, limit, targets, sources


@settings(max_examples=400, deadline=None)
@given(cases())
def test_rest_search_matches_the_product_graph_dijkstra(case: Case) -> None:
    n, edges, _, _, _scale, limit, sources, targets, (_tx, _ty) = case
    (best, label, exit_, _, _), pool, _graph, _tail, ordered, tgt, *_ = run_kernel(case)
    # the reference gets the exit costs the kernel got (raised to keep the bound consistent)
    ref_targets = [(t, float(tgt[1][i]), ln, offs) for i, (t, _, ln, offs) in enumerate(targets)]
    expected = reference(n, edges, limit, sources, ref_targets)
    if math.isinf(expected):
        assert label == -1
        assert math.isinf(best)
        return
    assert label >= 0
    assert math.isclose(best, expected, rel_tol=1e-9, abs_tol=1e-9)
    # the walk the labels describe is feasible and costs what the kernel says
    walk = np.zeros(pool[0].shape[0] + 1, dtype=np.int64)
    count, src = rests_kernels.rest_extract(pool[3], pool[4], label, walk)
    s_node, s_cost, d = sources[src]
    assert d <= limit
    node, total = s_node, s_cost
    for e in walk[:count]:
        u, v, length, cost, offs = ordered[e]
        assert u == node
        d = walk_offsets(d, length, offs, limit)
        assert d is not None
        node, total = v, total + cost
    t, _, length, offs = targets[exit_]
    assert t == node
    assert walk_offsets(d, length, offs, limit) is not None
    assert math.isclose(total + tgt[1][exit_], best, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=300, deadline=None)
@given(cases(), st.sampled_from([0.0, 0.5, 1.0, 1.5, 3.0]))
def test_a_cost_ceiling_finds_the_cheapest_walk_below_it(case: Case, above: float) -> None:
    """``max_cost``: the same cheapest walk when it costs less than the ceiling, none when it
    does not (no walk is cheaper than the cheapest); the least-bad probes ask for walks that
    break no more than the plain route so."""
    (best, label, *_), *_ = run_kernel(case)
    if label < 0:
        (capped, capped_label, *_), *_ = run_kernel(case, max_cost=1e9)
        assert capped_label == -1
        assert math.isinf(capped)
        return
    ceiling = best + above
    (capped, capped_label, *_), *_ = run_kernel(case, max_cost=ceiling)
    if best < ceiling:
        assert capped_label >= 0
        assert capped == best
    else:
        assert capped_label == -1
        assert math.isinf(capped)


def test_a_detour_to_a_seat_and_back_is_found() -> None:
    """0 → 1 → 2 is 400 m without a seat; a spur 1 → 3 → 1 has a bench at 3: the only walk
    within 300 m revisits node 1."""
    edges: list[Edge] = [
        (0, 1, 200, 200.0, []), (1, 2, 200, 200.0, []),
        (1, 3, 20, 20.0, [20]), (3, 1, 20, 20.0, [0]),
    ]  # fmt: skip
    case: Case = (4, edges, [0] * 4, [0] * 4, 0.0, 300, [(0, 0.0, 0)], [(2, 0.0, 0, [])], (0, 0))
    (best, label, *_), pool, *_ = run_kernel(case)
    assert best == 440.0
    walk = np.zeros(8, dtype=np.int64)
    count, _ = rests_kernels.rest_extract(pool[3], pool[4], label, walk)
    assert count == 4


def test_the_settle_budget_stops_the_search() -> None:
    edges: list[Edge] = [(0, 1, 10, 10.0, []), (1, 2, 10, 10.0, [])]
    graph, _, seats, _ = csr(3, edges)
    one = np.zeros(1)
    src = (np.array([0]), np.zeros(1), np.zeros(1))
    tgt = (np.array([2]), np.zeros(1), np.zeros(1), one * np.nan, one * np.nan, one * np.nan)
    bound = (np.zeros(3), np.zeros(3), 0.0, 0.0, 0.0, NO_LM, np.zeros((1, 0)), 1.0)
    out = rests_kernels.rest_search(
        graph, seats, 300.0, src, tgt, bound, rests_kernels.label_pool(16), np.zeros(3, np.int64),
        np.zeros(3, np.int64), 1, 1,
    )  # fmt: skip
    assert out[1] == search_kernels.BUDGET_EXHAUSTED


def test_rest_step_rule() -> None:
    nan = math.nan
    assert rests_kernels.rest_step(100.0, 200.0, nan, nan, nan, 300.0) == 300.0
    assert rests_kernels.rest_step(101.0, 200.0, nan, nan, nan, 300.0) == rests_kernels.INFEASIBLE
    assert rests_kernels.rest_step(250.0, 400.0, 50.0, 350.0, 300.0, 300.0) == 50.0
    assert (
        rests_kernels.rest_step(250.0, 400.0, 51.0, 350.0, 299.0, 300.0) == rests_kernels.INFEASIBLE
    )
    assert (
        rests_kernels.rest_step(0.0, 400.0, 50.0, 360.0, 310.0, 300.0) == rests_kernels.INFEASIBLE
    )


def _reach(case: Case, heap: int | None = None) -> int:
    """:func:`routing._kernels.rests.rest_reachable` on a case (a heap of ``heap`` entries, default
    ample)."""
    n, edges, x, y, _scale, limit, sources, targets, (tx, ty) = case
    graph, _tail, seats, _ordered = csr(n, edges)
    src, tgt = ends(sources, targets)
    size = heap if heap is not None else 4 * n * n + 64
    toward = (np.array(x, dtype=np.float64), np.array(y, dtype=np.float64), float(tx), float(ty))
    work = (np.zeros(n), np.zeros(n, dtype=np.int64), 1)
    heap_arrays = (np.zeros(size), np.zeros(size, dtype=np.int64), size)
    found = rests_kernels.rest_reachable(
        graph, seats, float(limit), src, tgt, *work, *heap_arrays, toward
    )
    return int(found)


@settings(max_examples=400, deadline=None)
@given(cases(), st.sampled_from([None, "source", "target"]))
def test_rest_reachable_says_whether_a_walk_keeps_the_limit(
    case: Case, unusable: str | None
) -> None:
    """The one-pass test answers what the product-graph reference (and so the exact search)
    answers, starts and exits of infinite cost (unusable) included."""
    n, edges, x, y, scale, limit, sources, targets, toward = case
    if unusable == "source":
        sources = [(s, math.inf, d) for s, _, d in sources[:1]] + sources[1:]
    elif unusable == "target":
        targets = [(t, math.inf, ln, offs) for t, _, ln, offs in targets[:1]] + targets[1:]
    case = (n, edges, x, y, scale, limit, sources, targets, toward)
    expected = reference(n, edges, limit, sources, targets)
    assert _reach(case) == (0 if math.isinf(expected) else 1)


def test_rest_reachable_is_undecided_past_its_heap() -> None:
    """A heap too small for the walk: no answer (the exact search then decides)."""
    edges: list[Edge] = [(0, 1, 10, 10.0, []), (1, 2, 10, 10.0, []), (2, 3, 10, 10.0, [])]
    case: Case = (
        4,
        edges,
        [0, 1, 2, 3],
        [0] * 4,
        0.0,
        300,
        [(0, 0.0, 0)],
        [(3, 0.0, 0, [])],
        (3, 0),
    )
    assert _reach(case) == 1
    assert _reach(case, heap=1) == rests_kernels.UNDECIDED


def test_rest_reachable_finds_the_detour_to_a_seat() -> None:
    """As for the exact search: 0 → 1 → 2 is 400 m without a seat, the spur 1 → 3 → 1 has a
    bench; with that spur a walk keeps 300 m, without it none does."""
    spur: list[Edge] = [(1, 3, 20, 20.0, [20]), (3, 1, 20, 20.0, [0])]
    edges: list[Edge] = [(0, 1, 200, 200.0, []), (1, 2, 200, 200.0, [])]
    ends: tuple[list[Source], list[Target], tuple[int, int]] = (
        [(0, 0.0, 0)],
        [(2, 0.0, 0, [])],
        (0, 0),
    )
    assert _reach((4, edges + spur, [0] * 4, [0] * 4, 0.0, 300, *ends)) == 1
    assert _reach((4, edges, [0] * 4, [0] * 4, 0.0, 300, *ends)) == 0
