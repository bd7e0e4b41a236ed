"""Many-to-many travel matrix with one Dijkstra search per source (behind ``POST /matrix``).

All points are snapped once with the profile's metric (exactly as :meth:`Router.route` snaps
them). For each source, the thread's :class:`routing.query.Query` runs Dijkstra
(:meth:`Query.run_to_nodes`) from the source's start pieces (:meth:`Router.start_pieces`,
``piece_cost(..., last=False)``) until the entry nodes of every target are settled; a target's
entry nodes are the tails of its exit pieces (:meth:`Router.exit_pieces`, node → point,
``piece_cost(..., last=True)``), as in :meth:`Router.shortest_path`. A cell's cost is the least
``dist[entry] + exit cost``, or the walk along one edge when both points lie on the same street
piece (:meth:`Router.direct_piece`, preferred on ties like the single query). So every cell equals
the cost of ``Router.shortest_path`` for that pair.

Three matrices come out of the one search tree:

- ``cost_s``: what the search minimises — travel time in seconds *weighted by the profile*
  (penalty factors for steps, poor surfaces, unknown data …, plus 10⁶ s per edge that breaks a
  hard limit). Use it to rank destinations; it is not a time to show to a person.
- ``duration_s``: the real walking time of that least-cost route, computed like
  ``Route.duration_s`` (distance ÷ walking speed plus the profile's kerb and crossing delays).
- ``distance_m``: the route's length, summed along the search tree's predecessor edges (pointer
  doubling over the settled nodes: no per-target Python walk).

``fully_accessible`` is ``cost_s < 10⁶``: the route breaks none of the profile's hard limits.
Unreachable cells are ``inf`` (``None`` in :meth:`MatrixResult.as_lists`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from accessibility_rules.profile import Profile
from accessibility_rules.weights import VIOLATION_PENALTY_S
from routing.engine import Router
from routing.query import LatLon, piece_cost
from routing.snapping import SnapPoint
from routing.walking import transition_delay_s, walking_time_s


@dataclass(frozen=True, slots=True)
class MatrixResult:
    """``len(sources) × len(targets)`` matrices (``inf`` where a target cannot be reached)."""

    cost_s: np.ndarray
    duration_s: np.ndarray
    distance_m: np.ndarray
    sources: list[SnapPoint]
    targets: list[SnapPoint]
    settled_nodes: int

    @property
    def reachable(self) -> np.ndarray:
        """Cells with a route."""
        return np.isfinite(self.cost_s)

    @property
    def fully_accessible(self) -> np.ndarray:
        """Cells whose least-cost route breaks no hard limit of the profile."""
        return self.cost_s < VIOLATION_PENALTY_S

    def as_lists(self, digits: int | None = None) -> dict[str, list[list[float | bool | None]]]:
        """JSON-ready nested lists; unreachable cells are ``None`` (also in fully_accessible)."""

        def rows(a: np.ndarray, nd: int | None) -> list[list[float | bool | None]]:
            return [
                [(float(v) if nd is None else round(float(v), nd)) if math.isfinite(v) else None for v in row]
                for row in a.tolist()
            ]  # fmt: skip

        reach = self.reachable
        return {
            "cost_s": rows(self.cost_s, None),
            "duration_s": rows(self.duration_s, digits),
            "distance_m": rows(self.distance_m, digits),
            "fully_accessible": [
                [bool(a) if r else None for a, r in zip(arow, rrow, strict=True)]
                for arow, rrow in zip(self.fully_accessible.tolist(), reach.tolist(), strict=True)
            ],
        }


def _transition_delay_s(router: Router, profile: Profile) -> np.ndarray:
    """Per edge: the kerb and crossing delays added when walking past the edge's head."""
    eff = router.effective
    return transition_delay_s(profile, eff.kerb_count, eff.crossing_share)


def _tree_sums(
    closed: np.ndarray,
    pred: np.ndarray,
    tail: np.ndarray,
    edge_len: np.ndarray,
    edge_dur: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every settled node: its root (a start node) and the length and duration from there.

    Pointer doubling over the predecessor edges of one search tree (settled nodes ``closed``
    only): ``O(n log depth)`` vector operations instead of a Python walk per target.
    """
    n = closed.shape[0]
    parent = np.arange(n, dtype=np.int64)
    has = closed & (pred >= 0)
    e = pred[has]
    parent[has] = tail[e]
    acc_len = np.zeros(n)
    acc_dur = np.zeros(n)
    acc_len[has] = edge_len[e]
    acc_dur[has] = edge_dur[e]
    for _ in range(64):
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        acc_len = acc_len + acc_len[parent]
        acc_dur = acc_dur + acc_dur[parent]
        parent = grand
    return parent, acc_len, acc_dur


def cost_matrix(
    router: Router,
    sources: Sequence[LatLon],
    targets: Sequence[LatLon],
    profile: str | Profile = "walk",
) -> MatrixResult:
    """Least-cost matrix from every source to every target (``(lat, lon)`` points).

    Raises ``InvalidCoordinateError`` / ``OutOfAreaError`` naming the point (``sources[3]``).
    """
    prof = router.profile(profile)
    metric = router.customize(prof)
    w = metric.weights
    g = router.graph
    tail = np.asarray(g.tail, dtype=np.int64)
    head = np.asarray(g.head, dtype=np.int64)
    rev = g.edge["reverse_edge"]
    length = np.asarray(g.edge["length_m"], dtype=np.float64)
    delay = _transition_delay_s(router, prof)
    full_dur = walking_time_s(prof, length, delay)  # a whole middle edge (never the last piece)

    src = [router.snap(p, metric, f"sources[{i}]")[0] for i, p in enumerate(sources)]
    tgt = [router.snap(p, metric, f"targets[{j}]")[0] for j, p in enumerate(targets)]
    n_s, n_t = len(src), len(tgt)

    # exits: up to two per target, padded with an unusable one (cost inf)
    ex_node = np.zeros((n_t, 2), dtype=np.int64)
    ex_cost = np.full((n_t, 2), np.inf)
    ex_len = np.zeros((n_t, 2))
    for j, t in enumerate(tgt):
        for k, piece in enumerate(router.exit_pieces(t)):
            ex_node[j, k] = tail[piece.edge]
            ex_cost[j, k] = piece_cost(w, piece, last=True)
            ex_len[j, k] = (piece.end - piece.start) * length[piece.edge]
    usable_exits = np.isfinite(ex_cost)
    marked_nodes = np.unique(ex_node[usable_exits])

    # targets lying on a source's street piece may be reached directly along it
    on_edge: dict[int, list[int]] = {}
    for j, t in enumerate(tgt):
        on_edge.setdefault(t.edge, []).append(j)
        if int(rev[t.edge]) >= 0:
            on_edge.setdefault(int(rev[t.edge]), []).append(j)

    cost = np.full((n_s, n_t), np.inf)
    dist_m = np.full((n_s, n_t), np.inf)
    dur_s = np.full((n_s, n_t), np.inf)
    query = router.query(metric)
    rows = np.arange(n_t)
    settled_total = 0
    for i, s in enumerate(src):
        starts = router.start_pieces(s)
        s_nodes = np.array([head[p.edge] for p in starts], dtype=np.int64)
        s_costs = np.array([piece_cost(w, p, last=False) for p in starts])
        query.reset().add_sources(starts)
        settled_total += query.run_to_nodes(marked_nodes)
        d = np.where(usable_exits, query.distances(ex_node) + ex_cost, np.inf)
        best_k = np.argmin(d, axis=1)
        best = d[rows, best_k]
        cost[i] = best
        if np.isfinite(best).any():
            closed, pred = query.tree()
            root, acc_len, acc_dur = _tree_sums(closed, pred, tail, length, full_dur)
            # the start piece that reached each root (the cheaper one if both end at one node)
            base_len: dict[int, float] = {}
            base_dur: dict[int, float] = {}
            base_cost: dict[int, float] = {}
            for p, node, c in zip(starts, s_nodes.tolist(), s_costs.tolist(), strict=True):
                if node not in base_cost or c < base_cost[node]:
                    piece_len = (p.end - p.start) * float(length[p.edge])
                    base_cost[node] = c
                    base_len[node] = piece_len
                    base_dur[node] = walking_time_s(prof, piece_len, float(delay[p.edge]))
            entry = ex_node[rows, best_k]
            roots = root[entry]
            start_len = np.array([base_len.get(int(r), 0.0) for r in roots])
            start_dur = np.array([base_dur.get(int(r), 0.0) for r in roots])
            last_len = ex_len[rows, best_k]
            dist_m[i] = np.where(np.isfinite(best), start_len + acc_len[entry] + last_len, np.inf)
            dur_s[i] = np.where(
                np.isfinite(best),
                start_dur + acc_dur[entry] + walking_time_s(prof, last_len),
                np.inf,
            )
        for j in sorted(set(on_edge.get(s.edge, []))):
            direct = router.direct_piece(s, tgt[j], metric)
            if direct is not None and direct[1] <= cost[i, j]:
                piece, c = direct
                piece_len = (piece.end - piece.start) * float(length[piece.edge])
                cost[i, j], dist_m[i, j], dur_s[i, j] = (
                    c,
                    piece_len,
                    walking_time_s(prof, piece_len),
                )
    return MatrixResult(cost, dur_s, dist_m, src, tgt, settled_total)
