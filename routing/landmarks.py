"""ALT landmarks: lower bounds that make A* settle far fewer nodes.

For edge costs we build a *symmetric* lower-bound metric, ``lb(u, v) = min(cost(u→v),
cost(v→u))`` (a one-way piece keeps its cost in both directions), and compute the distance of
every node from ``K`` landmarks on the periphery of the network. By the triangle inequality,
``|D_k(v) - D_k(t)| <= lb-distance(v, t) <= cost-distance(v, t)`` for every landmark ``k``: an
admissible and consistent heuristic, whatever penalties, obstacles or violations the weights
carry. Landmarks are chosen geometrically (the farthest node in each of ``K`` angular sectors
around the centre), so the choice is stable and costs no extra searches.

Two kinds of distances, and when each is used (measured on Kaiserslautern, 300 random trips,
``benchmarks/bench_new_profile.py``; ``Router(per_profile_landmarks=True)`` restores per-profile
landmarks everywhere for such measurements):

* **shared** (:func:`length_landmarks`): one set per router, on the edges' lengths in metres,
  computed once at start-up (lengths never change). A profile's bound is those distances times
  its smallest cost per metre (:func:`scaled_landmarks`): one multiplication instead of ``K``
  Dijkstras. The first query of a new personal profile fell from 31 ms to 11 ms (the rest is
  computing its weights).
* **own** (:func:`compute_landmarks`): on the profile's costs, tighter wherever its costs per
  metre vary (penalty factors, forbidden edges): settled nodes per search, own vs shared —
  walk 234 vs 270, blind 236 vs 257, stroller 228 vs 276, elderly 252 vs 382, wheelchair
  278 vs 576, rollator 259 vs 1299 (search 0.06 vs 0.22 ms).

Decision: presets (asked for all the time, few, always cached) get their own landmarks when
first customised; a personal profile starts on the shared set and gets its own once it has been
used :data:`routing.metric.OWN_LANDMARKS_AFTER_HITS` times from the cache, so only profiles that
stay cached pay the ``K`` Dijkstras. Until then it borrows its preset's own landmarks, scaled
by :func:`borrow_scale`, where those bound tighter than the shared ones
(:func:`routing.metric.with_borrowed_landmarks`: a wheelchair user faster than the preset or
with another kerb limit, 426-863 settled nodes instead of 1,236-1,597). A penalised copy of
a metric (alternatives) keeps its parent's landmarks, since its costs never fall below the
ones they bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accessibility_rules.weights import EdgeWeights
from graphs.model import CompiledGraph
from routing._kernels import search as search_kernels

DEFAULT_LANDMARKS = 8


@dataclass(frozen=True, slots=True)
class Landmarks:
    """Distances (seconds, lower-bound metric) from each landmark: ``scale * dist[v, k]``.

    ``scale`` lets one array of metre distances serve every profile (:func:`scaled_landmarks`)
    without a copy per profile: the triangle bound of the scaled metric is ``scale`` times the
    bound on ``dist``. Own landmarks have ``scale == 1``.
    """

    nodes: np.ndarray  # int64[K]
    dist: np.ndarray  # float64[n, K], C-contiguous
    scale: float = 1.0

    @classmethod
    def none(cls, node_count: int) -> Landmarks:
        """No landmarks (zero columns): the search falls back to the straight-line bound."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros((node_count, 0)))

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return int(self.nodes.nbytes + self.dist.nbytes)

    def at(self, nodes: np.ndarray) -> np.ndarray:
        """Rows of ``dist`` for ``nodes`` (``[len(nodes), K]``, contiguous; not scaled)."""
        return np.ascontiguousarray(self.dist[nodes])

    def seconds(self) -> np.ndarray:
        """The distances in seconds (``scale * dist``; a new array unless ``scale == 1``)."""
        return self.dist if self.scale == 1.0 else self.dist * self.scale


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
    graph: CompiledGraph, cost: np.ndarray, tau: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of the undirected lower-bound metric of ``cost`` (every piece usable both ways),
    each piece ``(tau(u) + tau(v)) / 2`` dearer."""
    rev = graph.edge["reverse_edge"]
    has_twin = rev >= 0
    ends = 0.5 * (tau[graph.tail] + tau[graph.head])
    lb = np.where(has_twin, np.minimum(cost, cost[np.maximum(rev, 0)]), cost) + ends
    lonely = np.flatnonzero(~has_twin)
    tails = np.concatenate((graph.tail.astype(np.int64), graph.head[lonely].astype(np.int64)))
    heads = np.concatenate((graph.head.astype(np.int64), graph.tail[lonely].astype(np.int64)))
    costs = np.concatenate((lb, cost[lonely] + ends[lonely]))
    order = np.argsort(tails, kind="stable")
    first_out = np.zeros(graph.node_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=graph.node_count), out=first_out[1:])
    return first_out, heads[order].astype(np.int32), np.ascontiguousarray(costs[order])


def landmark_distances(
    graph: CompiledGraph,
    cost: np.ndarray,
    landmark_nodes: np.ndarray,
    transition_s: np.ndarray | None = None,
) -> Landmarks:
    """One Dijkstra per landmark over the symmetric lower-bound metric of the edge ``cost``,
    and the nodes' ``transition_s`` (``tau``, seconds) as the last column (zeros without one:
    see :func:`compute_landmarks`).

    With ``tau`` the metric is ``min(cost(u→v), cost(v→u)) + (tau(u) + tau(v)) / 2``."""
    n, k = graph.node_count, len(landmark_nodes)
    tau = np.zeros(n) if transition_s is None else np.asarray(transition_s, dtype=np.float64)
    first_out, head, sym = _symmetric_csr(graph, np.asarray(cost, dtype=np.float64), tau)
    dist = np.full((n, k), np.inf)
    ws = search_kernels.workspace(n, len(head) + 8)
    work, closed = ws[0], ws[3]
    zero = np.zeros(1)
    bound = search_kernels.no_bound()
    no_targets = (np.zeros(0, dtype=np.int64), np.zeros(0))
    for i, node in enumerate(landmark_nodes):
        gen = i + 1
        source = (np.array([node], dtype=np.int64), zero)
        search_kernels.search(
            (first_out, head, sym), ws, gen, source, no_targets, bound, 0, search_kernels.NO_BUDGET
        )
        reached = closed == gen
        dist[reached, i] = work[reached]
    # unreachable from a landmark (another component): that landmark gives no bound there
    with_tau = np.column_stack((dist, tau)) if k else np.zeros((n, 0))
    return Landmarks(nodes=landmark_nodes, dist=np.ascontiguousarray(with_tau))


#: The arrays of :class:`~accessibility_rules.weights.EdgeWeights` that
#: :func:`compute_landmarks` reads (and :func:`transition_bounds`): equal ones, equal landmarks.
LANDMARK_INPUTS = ("cost_s", "way_s", "head_s")


def compute_landmarks(
    graph: CompiledGraph, weights: EdgeWeights, landmark_nodes: np.ndarray
) -> Landmarks:
    """Per-profile landmarks: distances over a symmetric lower-bound metric of ``weights``
    that keeps what passing a node costs (:func:`transition_bounds`).

    The symmetric minimum of whole edge costs loses a head's transition wherever the twin's
    head holds none (a road junction, a crossing, met coming in, not going out), so every
    such node lowered the bound; on Kaiserslautern's junctions the blind preset's bound fell
    to 0.68 of the true cost (median over 20 × 8,300 node pairs) and its searches settled 5×
    the nodes. Here the metric is ``min(way(u→v), way(v→u)) + (tau(u) + tau(v)) / 2`` with
    ``way`` the cost along the edges (``way_s``, where the edge is usable) and ``tau(v)`` a
    lower bound of every head transition into ``v``; the kernels' bound subtracts
    ``(tau(v) + tau(t)) / 2`` from the landmarks' triangle bound
    (:func:`routing._kernels.search.lower_bound`).
    It is consistent: ``|D(u) - D(t)| - |D(v) - D(t)| <= |D(u) - D(v)| <= min way(u, v) +
    (tau(u) + tau(v)) / 2``, so the bound falls by at most ``min way(u, v) + tau(v) <= way(u→v)
    + head(u→v) = cost(u→v)`` along an edge (for any costs at least those it was computed on:
    the metric's patch rule). The same 20 × 8,300 pairs: 0.84 of the true cost for blind,
    walk 0.91 → 0.94, wheelchair 0.87 → 0.91, no pair above it."""
    usable = np.isfinite(weights.cost_s)
    way = np.where(usable, weights.way_s, np.inf)
    return landmark_distances(graph, way, landmark_nodes, transition_bounds(graph, weights))


#: ``tau`` is taken a hair below the cheapest transition, so that float sums (``cost_s`` is
#: added up in another order than ``way_s + head_s``) never make the bound exceed a cost.
TAU_MARGIN = 1.0 - 1e-9


def transition_bounds(graph: CompiledGraph, weights: EdgeWeights) -> np.ndarray:
    """Per node, the cheapest ``head_s`` of the usable edges into it, in seconds (0 where none
    is usable): what a walk passing through the node pays there at least (``tau``)."""
    usable = np.isfinite(weights.cost_s) & np.isfinite(weights.head_s)
    tau = np.full(graph.node_count, np.inf)
    np.minimum.at(tau, graph.head[usable], weights.head_s[usable])
    tau[~np.isfinite(tau)] = 0.0
    return np.maximum(tau, 0.0) * TAU_MARGIN


def length_landmarks(graph: CompiledGraph, landmark_nodes: np.ndarray) -> Landmarks:
    """The shared landmarks: distances in *metres* over the edges' lengths (every edge, open or
    not, both ways). Profile-independent; :func:`scaled_landmarks` turns them into one
    profile's bound. Lengths are structure, never patched by obstacles, so these distances
    stay valid for the router's whole life."""
    return landmark_distances(graph, graph.edge["length_m"], landmark_nodes)


def scaled_landmarks(shared: Landmarks, min_cost_per_m: float) -> Landmarks:
    """One profile's landmark bound from the shared metre distances.

    Every cost of the profile is ``>= length_m * min_cost_per_m``
    (:attr:`~accessibility_rules.weights.EdgeWeights.min_cost_per_m`, the smallest cost per
    metre over its edges: travel ÷ speed times factors ``>= 1`` plus non-negative delays and
    penalties), so the metre distances times ``min_cost_per_m`` are distances of a metric below
    the profile's costs, and their triangle bound stays admissible and consistent. Costs that
    only rise (alternatives' penalties, closures) keep it valid; an obstacle that *lowers* a
    cost (a lowered kerb) cannot go below ``length_m * min_cost_per_m`` either, since
    ``min_cost_per_m`` is recomputed with the new weights. Without a usable scale (0, inf or
    NaN) there is no landmark bound (zero columns).
    """
    if not (math.isfinite(min_cost_per_m) and min_cost_per_m > 0.0):
        return Landmarks.none(shared.dist.shape[0])
    return Landmarks(nodes=shared.nodes, dist=shared.dist, scale=float(min_cost_per_m))


def borrow_scale(cost_s: np.ndarray, basis_s: np.ndarray) -> float:
    """The largest ``alpha`` with ``cost_s >= alpha * basis_s`` on every edge usable under
    ``cost_s`` (finite): landmarks computed on ``basis_s`` (:func:`compute_landmarks`) scaled by
    it bound ``cost_s``, admissibly and consistently (their bound is below every ``basis_s``
    path, ``alpha`` times it below every ``cost_s`` path; along an edge it falls by at most
    ``alpha * basis <= cost``). 0 when there is none: an edge usable here but not in the basis
    (its landmark distances never saw it). A basis cost of 0 bounds nothing and allows any
    ``alpha``.

    In slices of :data:`_RATIO_SLICE` edges: a temporary of the whole length (a city's edges,
    hundreds of kB) is fresh memory for every new profile, and its page faults took 0.2 ms
    where the division takes 0.04. Ratios are ``cost / basis``: an unusable edge here (inf /
    finite) gives inf, one usable only here (finite / inf) 0, and the undefined ones (inf /
    inf, 0 / 0) are skipped by ``fmin``."""
    alpha = math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(0, len(cost_s), _RATIO_SLICE):
            ratio = cost_s[i : i + _RATIO_SLICE] / basis_s[i : i + _RATIO_SLICE]
            alpha = min(alpha, float(np.fmin.reduce(ratio, initial=math.inf)))
    return alpha if math.isfinite(alpha) and alpha > 0.0 else 0.0


#: Edges per slice of :func:`borrow_scale` (64 kB of ratios: reused heap memory).
_RATIO_SLICE = 8192
