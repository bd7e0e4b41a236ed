"""The numba kernels of :mod:`routing._kernels` against networkx and brute force.

Random directed graphs (CSR, sorted by tail, some edges ``inf``) with random sources and start
costs: every distance :func:`search` settles as Dijkstra (no bound, marked nodes) must equal
networkx's, every node it does not settle must be unreachable; :func:`search` as A* (plain and
with a consistent Euclidean heuristic) must find networkx's best cost over several exits, and :func:`extract_path` must give a continuous
edge sequence whose costs add up to it. :func:`snap_nearest` is compared with a brute-force scan.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike

from accessibility_rules.weights import BITS_DTYPE
from routing._kernels import search as search_kernels
from routing._kernels import snap as snap_kernels
from tests.routing.end_rule import usable_ends

REL = 1e-9
SUPER = "source"  # virtual node joined to every source with its start cost
HYP = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # numba compiles on the first example


@dataclass
class Csr:
    n: int
    first_out: np.ndarray
    head: np.ndarray
    tail: np.ndarray
    cost: np.ndarray
    x: np.ndarray
    y: np.ndarray


class Workspace:
    """The arrays a query writes into, allocated like ``routing.query.Query``."""

    def __init__(self, n: int, m: int, sources: int) -> None:
        sources = max(sources, n)  # dirty() starts from every node
        self.dist = np.zeros(n)
        self.pred = np.full(n, -1, dtype=np.int64)
        self.stamp = np.zeros(n, dtype=np.int64)
        self.closed = np.zeros(n, dtype=np.int64)
        self.marked = np.zeros(n, dtype=np.int64)
        self.heap_key = np.zeros(m + sources + 8)
        self.heap_node = np.zeros(m + sources + 8, dtype=np.int64)
        # a run reads a node's kept bound only after computing it itself: what an earlier run
        # left there (here: a bound far too high, which would end a search early) must not count
        self.bound_at = np.full(n, 1e300)
        self.path = np.zeros(m + 2, dtype=np.int64)

    @property
    def arrays(self) -> search_kernels.Workspace:
        return (
            self.dist, self.pred, self.stamp, self.closed, self.marked, self.heap_key,
            self.heap_node, self.bound_at,
        )  # fmt: skip


def make_csr(
    n: int,
    edges: list[tuple[int, int, float]],
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
) -> Csr:
    edges = sorted(edges, key=lambda e: e[0])  # stable: parallel edges keep their order
    tail = np.array([e[0] for e in edges], dtype=np.int32)
    head = np.array([e[1] for e in edges], dtype=np.int32)
    cost = np.array([e[2] for e in edges], dtype=np.float64)
    first_out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=first_out[1:])
    x = np.zeros(n) if x is None else np.asarray(x, dtype=np.float64)
    y = np.zeros(n) if y is None else np.asarray(y, dtype=np.float64)
    return Csr(n, first_out, head, tail, cost, x, y)


def to_networkx(g: Csr, sources: np.ndarray, source_costs: np.ndarray) -> nx.MultiDiGraph:
    """The same graph (inf edges left out) plus a super source joined with the start costs."""
    nxg = nx.MultiDiGraph()
    nxg.add_nodes_from([*range(g.n), SUPER])
    for e in range(len(g.head)):
        if math.isfinite(g.cost[e]):
            nxg.add_edge(int(g.tail[e]), int(g.head[e]), weight=float(g.cost[e]))
    for s, c in zip(sources, source_costs, strict=True):
        if math.isfinite(c):
            nxg.add_edge(SUPER, int(s), weight=float(c))
    return nxg


def reference(g: Csr, sources: np.ndarray, source_costs: np.ndarray) -> dict[int, float]:
    """networkx distances from the sources, start costs included (super source removed)."""
    nxg = to_networkx(g, sources, source_costs)
    dist = nx.single_source_dijkstra_path_length(nxg, SUPER, weight="weight")
    dist.pop(SUPER)
    return dist


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


weights = st.one_of(
    st.floats(0.0, 100.0, allow_nan=False),
    st.just(0.0),
    st.just(math.inf),
)


#: A graph, its sources, their start costs and the scale of the Euclidean heuristic (0: none).
GraphCase = tuple[Csr, np.ndarray, np.ndarray, float]


@st.composite
def graphs(draw: st.DrawFn, euclidean: bool = False) -> GraphCase:
    """A random directed multigraph (loops and parallel edges allowed) with sources."""
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 4 * n))
    x = draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n))
    y = draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n))
    scale = draw(st.floats(0.0, 3.0)) if euclidean else 0.0
    edges: list[tuple[int, int, float]] = []
    for _ in range(m):
        u = draw(st.integers(0, n - 1))
        v = draw(st.integers(0, n - 1))
        w = draw(weights)
        # at least scale × straight-line distance: the Euclidean heuristic stays consistent
        edges.append((u, v, scale * math.hypot(x[u] - x[v], y[u] - y[v]) + w))
    k = draw(st.integers(1, 4))
    sources = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    source_costs = np.array(
        draw(st.lists(st.one_of(st.floats(0, 50), st.just(math.inf)), min_size=k, max_size=k))
    )
    return make_csr(n, edges, x, y), sources.astype(np.int64), source_costs, scale


def run_dijkstra(
    g: Csr,
    ws: Workspace,
    sources: np.ndarray,
    costs: np.ndarray,
    marked_nodes: np.ndarray,
    gen: int,
) -> int:
    ws.marked[marked_nodes] = gen
    no_targets = (np.zeros(0, dtype=np.int64), np.zeros(0))
    _, _, settled = search_kernels.search(
        (g.first_out, g.head, g.cost), ws.arrays, gen, (sources, costs), no_targets,
        search_kernels.no_bound(), len(set(marked_nodes.tolist())),
    )  # fmt: skip
    return settled


NO_LM = np.zeros((0, 0))  # no landmark columns: the kernel ignores the landmark bound


def run_astar(
    g: Csr,
    ws: Workspace,
    sources: np.ndarray,
    costs: np.ndarray,
    exits: np.ndarray,
    exit_costs: np.ndarray,
    tx: float,
    ty: float,
    h: float,
    gen: int,
) -> tuple[float, int, int]:
    bound = (g.x, g.y, float(tx), float(ty), float(h), NO_LM, np.zeros((len(exits), 0)), 1.0)
    return search_kernels.search(
        (g.first_out, g.head, g.cost), ws.arrays, gen, (sources, costs), (exits, exit_costs),
        bound, 0,
    )  # fmt: skip


def dirty(g: Csr, ws: Workspace, gen: int) -> None:
    """A previous query on the same workspace: later queries must ignore what it left behind."""
    src = np.arange(g.n, dtype=np.int64)
    run_dijkstra(g, ws, src, np.zeros(g.n), np.zeros(0, dtype=np.int64), gen)


# ------------------------------------------------------------------- search as Dijkstra


@HYP
@given(graphs())
def test_dijkstra_whole_graph_matches_networkx(case: GraphCase) -> None:
    g, sources, costs, _ = case
    ws = Workspace(g.n, len(g.head), len(sources))
    dirty(g, ws, 1)
    settled = run_dijkstra(g, ws, sources, costs, np.zeros(0, dtype=np.int64), 2)
    ref = reference(g, sources, costs)
    closed = np.flatnonzero(ws.closed == 2)
    assert settled == len(closed)
    assert set(closed.tolist()) == set(ref), "settled ↔ reachable"
    for v in closed:
        assert close(ws.dist[v], ref[int(v)]), (v, ws.dist[v], ref[int(v)])


@HYP
@given(graphs(), st.data())
def test_dijkstra_settles_marked_nodes_exactly(case: GraphCase, data: st.DataObject) -> None:
    g, sources, costs, _ = case
    marked = np.array(
        data.draw(st.lists(st.integers(0, g.n - 1), min_size=1, max_size=5)), dtype=np.int64
    )
    ws = Workspace(g.n, len(g.head), len(sources))
    dirty(g, ws, 1)
    settled = run_dijkstra(g, ws, sources, costs, marked, 2)
    ref = reference(g, sources, costs)
    closed = np.flatnonzero(ws.closed == 2)
    assert settled == len(closed)
    assert set(closed.tolist()) <= set(ref)
    for v in closed:
        assert close(ws.dist[v], ref[int(v)])
    for v in marked:  # every reachable marked node is settled with its final distance
        assert (ws.closed[v] == 2) == (int(v) in ref)
    # the search stops early: nothing farther than the farthest marked node is settled
    reachable = {int(v) for v in marked if int(v) in ref}
    if reachable and len(reachable) == len(set(marked.tolist())):
        farthest = max(ref[v] for v in reachable)
        assert max(ws.dist[closed]) <= farthest * (1 + REL) + 1e-12


# ------------------------------------------------------------------------ search as A*


def check_astar(
    g: Csr,
    sources: np.ndarray,
    costs: np.ndarray,
    scale: float,
    exits: np.ndarray,
    exit_costs: np.ndarray,
    tx: float,
    ty: float,
) -> None:
    ws = Workspace(g.n, len(g.head), len(sources))
    dirty(g, ws, 1)
    best, exit_i, settled = run_astar(g, ws, sources, costs, exits, exit_costs, tx, ty, scale, 2)
    ref = reference(g, sources, costs)
    expected = min(
        (ref[int(t)] + c for t, c in zip(exits, exit_costs, strict=True) if int(t) in ref),
        default=math.inf,
    )
    assert settled == int(np.sum(ws.closed == 2))
    if not math.isfinite(expected):
        assert best == math.inf
        assert exit_i == -1
        return
    assert close(best, expected), (best, expected)
    assert 0 <= exit_i < len(exits)
    end = int(exits[exit_i])
    count = search_kernels.extract_path(ws.pred, g.tail, end, ws.path)
    path = ws.path[:count]
    start = int(g.tail[path[0]]) if count else end
    assert start in sources.tolist()
    assert ws.pred[start] == -1
    for a, b in itertools.pairwise(path):
        assert g.head[a] == g.tail[b], "edges must be continuous"
    if count:
        assert g.head[path[-1]] == end
    start_cost = min(c for s, c in zip(sources, costs, strict=True) if s == start)
    total = start_cost + float(np.sum(g.cost[path])) + exit_costs[exit_i]
    assert close(total, best), (total, best)


@HYP
@given(graphs(), st.data())
def test_astar_without_heuristic_matches_networkx(case: GraphCase, data: st.DataObject) -> None:
    g, sources, costs, _ = case
    k = data.draw(st.integers(1, 3))
    exits = np.array(data.draw(st.lists(st.integers(0, g.n - 1), min_size=k, max_size=k)))
    exit_costs = np.array(data.draw(st.lists(st.floats(0, 50), min_size=k, max_size=k)))
    check_astar(g, sources, costs, 0.0, exits.astype(np.int64), exit_costs, 0.0, 0.0)


@HYP
@given(graphs(euclidean=True), st.data())
def test_astar_with_euclidean_heuristic_matches_networkx(
    case: GraphCase, data: st.DataObject
) -> None:
    g, sources, costs, scale = case
    tx = data.draw(st.floats(0, 100))
    ty = data.draw(st.floats(0, 100))
    k = data.draw(st.integers(1, 3))
    exits = np.array(data.draw(st.lists(st.integers(0, g.n - 1), min_size=k, max_size=k)))
    extra = np.array(data.draw(st.lists(st.floats(0, 50), min_size=k, max_size=k)))
    # leaving at an exit costs at least scale × its distance to the target: h stays admissible
    exit_costs = scale * np.hypot(g.x[exits] - tx, g.y[exits] - ty) + extra
    check_astar(g, sources, costs, scale, exits.astype(np.int64), exit_costs, tx, ty)


def test_astar_prefers_cheap_exit_over_near_one() -> None:
    """Two exits: the one reached first is not the best once its exit cost is added."""
    g = make_csr(3, [(0, 1, 1.0), (0, 2, 5.0)])
    ws = Workspace(3, 2, 1)
    best, exit_i, _ = run_astar(
        g, ws, np.array([0]), np.array([0.0]), np.array([1, 2]), np.array([10.0, 1.0]),
        0, 0, 0.0, 1,
    )  # fmt: skip
    assert (best, exit_i) == (6.0, 1)


# ------------------------------------------------------------------------------ snap_nearest


@dataclass
class Segments:
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    edge: np.ndarray
    violations: np.ndarray
    reverse: np.ndarray
    grid: tuple[float, float, float, int, int]
    cell_first: np.ndarray
    cell_segments: np.ndarray


def make_segments(rng: np.random.Generator, count: int, cell_m: float) -> Segments:
    """Random segments (some degenerate) on random edges, some of them twins."""
    x0 = rng.uniform(0, 500, count)
    y0 = rng.uniform(0, 400, count)
    length = rng.exponential(40, count) * (rng.random(count) > 0.05)
    angle = rng.uniform(0, 2 * np.pi, count)
    x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
    m = max(2, count // 2)
    edge = rng.integers(0, m, count).astype(np.int32)
    reverse = np.full(m, -1, dtype=np.int64)
    for a in range(0, m - 1, 2):  # pair up most edges as twins, leave some one-way
        if rng.random() < 0.8:
            reverse[a], reverse[a + 1] = a + 1, a
    violations = np.where(rng.random(m) < 0.4, rng.integers(1, 1 << 14, m), 0).astype(BITS_DTYPE)
    return bucket(x0, y0, x1, y1, edge, violations, reverse, cell_m)


def bucket(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    edge: np.ndarray,
    violations: np.ndarray,
    reverse: np.ndarray,
    cell_m: float,
) -> Segments:
    """Put every segment into each grid cell its bounding box touches, like ``SpatialIndex``."""
    gx0 = min(x0.min(), x1.min()) - cell_m
    gy0 = min(y0.min(), y1.min()) - cell_m
    w = int(np.ceil((max(x0.max(), x1.max()) + cell_m - gx0) / cell_m))
    h = int(np.ceil((max(y0.max(), y1.max()) + cell_m - gy0) / cell_m))
    cells: list[list[int]] = [[] for _ in range(w * h)]
    for s in range(len(x0)):
        cx0, cx1 = (int(np.floor((v - gx0) / cell_m)) for v in sorted((x0[s], x1[s])))
        cy0, cy1 = (int(np.floor((v - gy0) / cell_m)) for v in sorted((y0[s], y1[s])))
        for cy in range(cy0, cy1 + 1):
            for cx in range(cx0, cx1 + 1):
                cells[cy * w + cx].append(s)
    cell_first = np.zeros(w * h + 1, dtype=np.int64)
    cell_first[1:] = np.cumsum([len(c) for c in cells])
    cell_segments = np.array([s for c in cells for s in c], dtype=np.int32)
    return Segments(
        x0, y0, x1, y1, edge, violations, reverse, (gx0, gy0, cell_m, w, h), cell_first,
        cell_segments,
    )  # fmt: skip


#: :func:`snap_kernels.snap_nearest`'s end-rule arguments when there is no rule (arrays not read).
ANY_END = (
    np.zeros(1, dtype=BITS_DTYPE), np.zeros(1, dtype=BITS_DTYPE), np.full(1, -1, dtype=np.int64),
    snap_kernels.END_ANY,
)  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_usable_end_matches_the_array_rule(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    s = make_segments(rng, 200, 50.0)
    m = len(s.reverse)
    at_head = s.violations & rng.integers(0, 1 << 14, m).astype(BITS_DTYPE)  # bits of the head
    for origin in (True, False):
        expect = usable_ends(s.violations, at_head, s.reverse, origin)
        got = [
            snap_kernels.usable_end(e, s.violations, at_head, s.reverse, origin) for e in range(m)
        ]
        assert got == expect.tolist()


@pytest.mark.parametrize("seed", range(8))
def test_snap_nearest_end_rule_is_the_penalty_of_unusable_edges(seed: int) -> None:
    """Snapping under an end rule gives exactly what snapping with ``inf`` on the edges the
    rule refuses gives (the array the router built before the rule moved into the kernel)."""
    rng = np.random.default_rng(200 + seed)
    s = make_segments(rng, int(rng.integers(20, 300)), float(rng.choice([10.0, 60.0])))
    x0, y0, cell, w, h = s.grid
    m = len(s.reverse)
    at_head = s.violations & rng.integers(0, 1 << 14, m).astype(BITS_DTYPE)
    level = np.where(rng.random(m) < 0.2, 15.0, 0.0)
    for origin in (True, False):
        refused = np.where(usable_ends(s.violations, at_head, s.reverse, origin), level, np.inf)
        mode = snap_kernels.END_AT_ORIGIN if origin else snap_kernels.END_AT_TARGET
        for _ in range(60):
            px, py = rng.uniform(-100, 600), rng.uniform(-100, 500)
            common = (
                px, py, x0, y0, cell, w, h, s.cell_first, s.cell_segments, s.x0, s.y0, s.x1,
                s.y1, s.edge,
            )  # fmt: skip
            with_rule = snap_kernels.snap_nearest(
                *common, level, 120.0, s.violations, at_head, s.reverse, mode
            )
            with_array = snap_kernels.snap_nearest(*common, refused, 120.0, *ANY_END)
            assert with_rule == with_array


def penalties(s: Segments, any_edge: bool) -> np.ndarray:
    """Per-edge snapping penalty: 0 where the edge or its twin breaks no limit, else ``inf``
    (0 everywhere when ``any_edge``); a few usable edges are merely less preferred (+15 m)."""
    m = len(s.reverse)
    if any_edge:
        return np.zeros(m)
    r = s.reverse
    twin_ok = (r >= 0) & (s.violations[np.maximum(r, 0)] == 0)
    usable = (s.violations == 0) | twin_ok
    pen = np.where(np.arange(m) % 7 == 3, 15.0, 0.0)
    return np.where(usable, pen, np.inf)


def brute_force(
    s: Segments, px: float, py: float, pen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance plus penalty from the point to every segment (inf where not usable), and the
    distance alone."""
    dx, dy = s.x1 - s.x0, s.y1 - s.y0
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(ll > 0, ((px - s.x0) * dx + (py - s.y0) * dy) / ll, 0.0)
    t = np.clip(t, 0.0, 1.0)
    d = np.hypot(s.x0 + t * dx - px, s.y0 + t * dy - py)
    return d + pen[s.edge], d


@pytest.mark.parametrize("seed", range(12))
def test_snap_nearest_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cell_m = float(rng.choice([10.0, 37.5, 60.0, 200.0]))
    s = make_segments(rng, int(rng.integers(1, 300)), cell_m)
    x0, y0, cell, w, h = s.grid
    for _ in range(150):
        px, py = rng.uniform(-300, 800), rng.uniform(-300, 700)  # also outside the grid
        max_d = float(rng.choice([5.0, 30.0, 100.0, 250.0, 1e7]))
        pen = penalties(s, bool(rng.random() < 0.3))
        seg, t, d = snap_kernels.snap_nearest(
            px, py, x0, y0, cell, w, h, s.cell_first, s.cell_segments, s.x0, s.y0, s.x1, s.y1,
            s.edge, pen, max_d, *ANY_END,
        )  # fmt: skip
        rank, dist = brute_force(s, px, py, pen)
        rank = np.where(dist <= max_d, rank, np.inf)
        best = float(rank.min())
        if not math.isfinite(best):
            assert (seg, t, d) == (-1, 0.0, math.inf), (px, py, max_d)
            continue
        assert seg >= 0, (px, py, max_d, best)
        assert math.isclose(rank[seg], best, rel_tol=1e-9, abs_tol=1e-9), "the best rank"
        assert math.isclose(d, dist[seg], rel_tol=1e-9, abs_tol=1e-9), "its true distance"
        assert d <= max_d
        assert 0.0 <= t <= 1.0
        qx = s.x0[seg] + t * (s.x1[seg] - s.x0[seg])
        qy = s.y0[seg] + t * (s.y1[seg] - s.y0[seg])
        assert math.isclose(math.hypot(qx - px, qy - py), d, rel_tol=1e-9, abs_tol=1e-9)


def test_snap_nearest_follows_the_edge_penalty() -> None:
    """An edge is skipped at ``inf``, and a penalised one loses to a farther preferred one."""
    s = bucket(
        np.array([0.0, 0.0]), np.array([0.0, 30.0]), np.array([100.0, 100.0]),
        np.array([0.0, 30.0]), np.array([0, 2], dtype=np.int32), np.zeros(3, dtype=BITS_DTYPE),
        np.array([1, 0, -1]), 50.0,
    )  # fmt: skip
    x0, y0, cell, w, h = s.grid

    def snap(pen: list[float], max_d: float = 250.0) -> tuple[int, float]:
        seg, _, d = snap_kernels.snap_nearest(
            50.0, 10.0, x0, y0, cell, w, h, s.cell_first, s.cell_segments, s.x0, s.y0, s.x1,
            s.y1, s.edge, np.array(pen, dtype=np.float64), max_d, *ANY_END,
        )  # fmt: skip
        return seg, round(d, 6)

    assert snap([0, 0, 0]) == (0, 10.0)  # nearest (10 m)
    assert snap([5, 0, 0]) == (0, 10.0)  # 10 + 5 < 20
    assert snap([15, 0, 0]) == (1, 20.0)  # 10 + 15 > 20: the farther, preferred one
    assert snap([math.inf, 0, 0]) == (1, 20.0)
    assert snap([math.inf, 0, math.inf]) == (-1, math.inf)
    assert snap([15, 0, 0], max_d=15.0) == (0, 10.0)  # the other is out of reach
