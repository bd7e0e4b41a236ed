"""ALT landmarks: per-profile lower bounds that make A* settle far fewer nodes.

For a profile's weights we build a *symmetric* lower-bound metric, ``lb(u, v) = min(cost(u→v),
cost(v→u))`` (a one-way piece keeps its cost in both directions), and compute the distance of
every node from ``K`` landmarks on the periphery of the network. By the triangle inequality,
``|D_k(v) - D_k(t)| <= lb-distance(v, t) <= cost-distance(v, t)`` for every landmark ``k``: an
admissible and consistent heuristic, whatever penalties, obstacles or violations the weights
carry. Landmarks are chosen geometrically (the farthest node in each of ``K`` angular sectors
around the centre), so the choice is stable and costs no extra searches. They are
part of a profile's :class:`routing.metric.Metric` (the "customisation" phase of the engine: a few
milliseconds once per profile, cached with its weights); a penalised copy of a metric keeps them,
since its costs never fall below the ones the landmarks were computed on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accessibility_rules.weights import EdgeWeights
from graphs.model import CompiledGraph
from routing import _kernels

DEFAULT_LANDMARKS = 8


@dataclass(frozen=True, slots=True)
class Landmarks:
    """Distances (seconds, lower-bound metric) from each landmark: ``dist[v, k]``."""

    nodes: np.ndarray  # int64[K]
    dist: np.ndarray  # float64[n, K], C-contiguous

    @classmethod
    def none(cls, node_count: int) -> Landmarks:
        """No landmarks (zero columns): the search falls back to the straight-line bound."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros((node_count, 0)))

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return int(self.nodes.nbytes + self.dist.nbytes)

    def at(self, nodes: np.ndarray) -> np.ndarray:
        """Rows of ``dist`` for ``nodes`` (``[len(nodes), K]``, contiguous)."""
        return np.ascontiguousarray(self.dist[nodes])


def choose_landmarks(
    node_x: np.ndarray, node_y: np.ndarray, k: int = DEFAULT_LANDMARKS
) -> np.ndarray:
    """The farthest node from the centre in each of ``k`` equal angular sectors."""
    cx, cy = float(np.median(node_x)), float(np.median(node_y))
    angle = np.arctan2(node_y - cy, node_x - cx)
    sector = np.minimum(((angle + np.pi) / (2 * np.pi) * k).astype(np.int64), k - 1)
    radius = np.hypot(node_x - cx, node_y - cy)
    chosen = []
    for s in range(k):
        members = np.flatnonzero(sector == s)
        if len(members):
            chosen.append(int(members[np.argmax(radius[members])]))
    return np.unique(np.array(chosen, dtype=np.int64))


def _symmetric_csr(
    graph: CompiledGraph, weights: EdgeWeights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of the undirected lower-bound metric (every piece usable both ways)."""
    rev = graph.edge["reverse_edge"]
    cost = weights.cost_s
    has_twin = rev >= 0
    lb = np.where(has_twin, np.minimum(cost, cost[np.maximum(rev, 0)]), cost)
    lonely = np.flatnonzero(~has_twin)
    tails = np.concatenate((graph.tail.astype(np.int64), graph.head[lonely].astype(np.int64)))
    heads = np.concatenate((graph.head.astype(np.int64), graph.tail[lonely].astype(np.int64)))
    costs = np.concatenate((lb, cost[lonely]))
    order = np.argsort(tails, kind="stable")
    first_out = np.zeros(graph.node_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=graph.node_count), out=first_out[1:])
    return first_out, heads[order].astype(np.int32), np.ascontiguousarray(costs[order])


def compute_landmarks(
    graph: CompiledGraph, weights: EdgeWeights, landmark_nodes: np.ndarray
) -> Landmarks:
    """One Dijkstra per landmark over the symmetric lower-bound metric of ``weights``."""
    first_out, head, cost = _symmetric_csr(graph, weights)
    n, k = graph.node_count, len(landmark_nodes)
    dist = np.full((n, k), np.inf)
    ws = _kernels.workspace(n, len(head) + 8)
    work, closed = ws[0], ws[3]
    zero = np.zeros(1)
    bound = _kernels.no_bound()
    no_targets = (np.zeros(0, dtype=np.int64), np.zeros(0))
    for i, node in enumerate(landmark_nodes):
        gen = i + 1
        source = (np.array([node], dtype=np.int64), zero)
        _kernels.search((first_out, head, cost), ws, gen, source, no_targets, bound, 0)
        reached = closed == gen
        dist[reached, i] = work[reached]
    # unreachable from a landmark (another component): that landmark gives no bound there
    return Landmarks(nodes=landmark_nodes, dist=np.ascontiguousarray(dist))
