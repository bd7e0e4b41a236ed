"""``--compare networkx``: the same pairs on the same weights with networkx, as a correctness check.

The reference model is the one of ``benchmarks/bench_routing.py``: an ``nx.DiGraph`` built once per
profile from ``weights.cost_s`` (``inf`` edges left out, the cheaper of parallel edges kept), plus
per query a virtual source joined to the ends of the origin's edge with the costs of the pieces
:func:`routing.walk_pieces.start_pieces` describes (``piece_cost(..., last=False)``), a virtual
target reached from the tail of the destination's edge (piece ``0 → f``) and of its twin
(``0 → 1 - f``) with ``piece_cost(..., last=True)``, and the direct walk along one edge when both
points lie on it. ``nx.bidirectional_dijkstra`` answers; the virtual edges are removed again
afterwards.

Both searches get the same snapped points; the timed part is ``Router.shortest_path`` for us and
the virtual edges plus ``bidirectional_dijkstra`` for networkx (graph construction excluded).
Costs agree when equal within 1e-9 relative (or both unreachable).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import networkx as nx
import numpy as np

from accessibility_rules.weights import EdgeWeights
from routing.engine import Router, piece_cost
from routing.errors import NoRouteError
from routing.metric import Metric
from routing.snapping import SnapPoint
from routing.walk_pieces import direct_piece, exit_pieces, start_pieces

REL_TOL = 1e-9

EndEdges = list[tuple[int, float]]


def costs_agree(ours: float, theirs: float) -> bool:
    """Equal within 1e-9 relative, or both unreachable."""
    if math.isinf(ours) or math.isinf(theirs):
        return math.isinf(ours) and math.isinf(theirs)
    return math.isclose(ours, theirs, rel_tol=REL_TOL, abs_tol=1e-9)


def end_edges(
    router: Router, w: EdgeWeights, s: SnapPoint, t: SnapPoint
) -> tuple[EndEdges, EndEdges, float]:
    """Virtual source → node and node → virtual target edges, and the direct one-edge walk."""
    g = router.graph
    starts = [
        (int(g.head[p.edge]), piece_cost(w, p, last=False)) for p in start_pieces(router.graph, s)
    ]
    ends = [
        (int(g.tail[p.edge]), piece_cost(w, p, last=True)) for p in exit_pieces(router.graph, t)
    ]
    direct = direct_piece(router.graph, s, t, w)
    return starts, ends, direct[1] if direct is not None else math.inf


def min_edges(tails: np.ndarray, heads: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Keep the cheapest of parallel edges and drop ``inf`` ones."""
    finite = np.isfinite(costs)
    tails, heads, costs = tails[finite], heads[finite], costs[finite]
    order = np.lexsort((costs, heads, tails))
    tails, heads, costs = tails[order], heads[order], costs[order]
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    return tails[first], heads[first], costs[first]


class NetworkxBaseline:
    """An ``nx.DiGraph`` of one profile's weights with two virtual node ids (``n``, ``n + 1``)."""

    def __init__(self, router: Router, w: EdgeWeights) -> None:
        g = router.graph
        self.n = g.node_count
        tails, heads, costs = min_edges(
            np.asarray(g.tail, dtype=np.int64), np.asarray(g.head, dtype=np.int64), w.cost_s
        )
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(range(self.n + 2))
        self.graph.add_weighted_edges_from(
            zip(tails.tolist(), heads.tolist(), costs.tolist(), strict=True)
        )

    def query(self, starts: EndEdges, ends: EndEdges, direct: float) -> float:
        """Least cost from the virtual source to the virtual target (``inf`` if none)."""
        s, t = self.n, self.n + 1
        g = self.graph
        for u, v, c in [(s, node, c) for node, c in starts] + [(node, t, c) for node, c in ends]:
            if not math.isfinite(c):
                continue
            # both ends of a loop edge are one node: a DiGraph must keep the cheaper piece
            if g.has_edge(u, v) and g[u][v]["weight"] <= c:
                continue
            g.add_edge(u, v, weight=c)
        try:
            cost = nx.bidirectional_dijkstra(g, s, t, weight="weight")[0]
        except nx.NetworkXNoPath:
            cost = math.inf
        finally:
            g.remove_edges_from(list(g.out_edges(s)) + list(g.in_edges(t)))
        return min(cost, direct)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One pair under one profile, searched by both."""

    ours_cost_s: float
    networkx_cost_s: float
    ours_ms: float
    networkx_ms: float

    @property
    def agree(self) -> bool:
        return costs_agree(self.ours_cost_s, self.networkx_cost_s)


def compare_pair(
    router: Router, metric: Metric, baseline: NetworkxBaseline, s: SnapPoint, t: SnapPoint
) -> Comparison:
    """Search ``s → t`` with the Router and with networkx on the same weights; time both."""
    clock = time.perf_counter_ns
    start = clock()
    try:
        ours = router.shortest_path(s, t, metric).cost_s
    except NoRouteError:
        ours = math.inf
    ours_ms = (clock() - start) / 1e6
    starts, ends, direct = end_edges(router, metric.weights, s, t)
    start = clock()
    theirs = baseline.query(starts, ends, direct)
    nx_ms = (clock() - start) / 1e6
    return Comparison(float(ours), float(theirs), ours_ms, nx_ms)
