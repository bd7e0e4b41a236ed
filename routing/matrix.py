"""Many-to-many travel matrix with one Dijkstra search per source (behind ``POST /matrix``).

All points are snapped once with the profile's metric (exactly as :meth:`Router.route` snaps them).
For each source, the thread's :class:`routing.query.Query` runs Dijkstra
(:meth:`Query.run_to_nodes`) from the source's start pieces
(:func:`routing.walk_pieces.start_pieces`, ``piece_cost(..., last=False)``) until the entry nodes of
every target are settled; a target's entry nodes are the tails of its exit pieces
(:func:`routing.walk_pieces.exit_pieces`, node → point, ``piece_cost(..., last=True)``), as in
:meth:`Router.shortest_path`. A cell's cost is the least ``dist[entry] + exit cost``, or the walk
along one edge when both points lie on the same street piece
(:func:`routing.walk_pieces.direct_piece`, preferred on ties like the single query). So every cell
equals the cost of ``Router.shortest_path`` for that pair.

Three matrices come out of the one search tree:

- ``cost_s``: what the search minimises — travel time in seconds *weighted by the profile*
  (penalty factors for steps, poor surfaces, unknown data …, plus 10⁶ s per edge that breaks a
  hard limit). Use it to rank destinations; it is not a time to show to a person.
- ``duration_s``: the real walking time of that least-cost route, computed like
  ``Route.duration_s`` (distance ÷ walking speed plus the profile's kerb and crossing delays).
- ``distance_m``: the route's length, summed along the search tree's predecessor edges (pointer
  doubling over the settled nodes: no per-target Python walk).

and one verdict per cell, the one :meth:`Router.route` gives that pair
(``Route.accessibility.verdict``): ``"yes"`` only when every limit of the profile is known to
hold along the route, ``"unknown"`` when nothing known breaks a limit but some limit rests on
unknown or estimated data, ``"no"`` when a known limit is broken. It comes from the same tree:
:func:`routing.verdict.verdict_masks` gives every edge its facts (the rule of the route report),
the pointer doubling ORs them along the tree path, and the start piece and the exit piece add
what their walked parts meet (:func:`routing.verdict.piece_verdict`: along the way when some of
the piece is walked, at the head only when the walk goes on through it — never for the exit
piece; a route ending on an exit's tail node ends one edge earlier and does not pass that edge's
head either, like :meth:`Router.shortest_path`).

``fully_accessible`` is deprecated (removed in the next release): ``verdict == "yes"``.
Unreachable cells are ``inf`` (``None`` in :meth:`MatrixResult.as_lists`), their verdict code
``-1``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile
from routing.engine import Router
from routing.errors import NoRouteError
from routing.query import LatLon, PathPiece, piece_cost
from routing.route import VERDICTS, Verdict
from routing.snapping import SnapPoint
from routing.verdict import BREAKS, FROM_TAIL_BREAKS, VERDICT_CODE, piece_verdict, verdict_masks
from routing.walk_pieces import direct_piece, end_node, exit_pieces, start_pieces
from routing.walking import transition_delay_s, walking_time_s


@dataclass(frozen=True, slots=True)
class MatrixResult:
    """``len(sources) × len(targets)`` matrices (``inf`` where a target cannot be reached)."""

    cost_s: np.ndarray
    duration_s: np.ndarray
    distance_m: np.ndarray
    #: int8 per cell: the index of the route's verdict in :data:`routing.route.VERDICTS`
    #: (0 "yes", 1 "unknown", 2 "no"); -1 where the target cannot be reached.
    verdict_code: np.ndarray
    sources: list[SnapPoint]
    targets: list[SnapPoint]
    settled_nodes: int

    @property
    def reachable(self) -> np.ndarray:
        """Cells with a route."""
        return np.isfinite(self.cost_s)

    @property
    def verdict(self) -> np.ndarray:
        """Per cell the verdict ``Router.route`` gives the pair (``"yes"``, ``"unknown"``,
        ``"no"``; ``None`` where unreachable), as an object array."""
        names = np.array([*VERDICTS, None], dtype=object)  # code -1 → the last entry
        return names[self.verdict_code]

    @property
    def fully_accessible(self) -> np.ndarray:
        """Deprecated (removed in the next release): ``verdict == "yes"``."""
        return self.verdict_code == 0

    def as_lists(self, digits: int | None = None) -> dict[str, list[list[Any]]]:
        """JSON-ready nested lists, the numbers rounded to ``digits`` (None: as computed);
        unreachable cells are ``None`` (also in ``verdict`` and ``fully_accessible``)."""

        def rows(a: np.ndarray, nd: int | None) -> list[list[Any]]:
            return [
                [(float(v) if nd is None else round(float(v), nd)) if math.isfinite(v) else None for v in row]
                for row in a.tolist()
            ]  # fmt: skip

        names: list[Verdict | None] = [*VERDICTS, None]
        codes = self.verdict_code.tolist()
        return {
            "cost_s": rows(self.cost_s, digits),
            "duration_s": rows(self.duration_s, digits),
            "distance_m": rows(self.distance_m, digits),
            "verdict": [[names[c] for c in row] for row in codes],
            "fully_accessible": [[None if c < 0 else c == 0 for c in row] for row in codes],
        }


def _transition_delay_s(router: Router, profile: Profile) -> np.ndarray:
    """Per edge: the kerb and crossing delays added when walking past the edge's head."""
    eff = router.customizer.effective
    return transition_delay_s(profile, eff.kerb_count, eff.crossing_share)


def _tree_sums(
    closed: np.ndarray,
    pred: np.ndarray,
    tail: np.ndarray,
    edge_len: np.ndarray,
    edge_dur: np.ndarray,
    edge_bits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every settled node: its root (a start node), the length and duration from there and
    the OR of ``edge_bits`` (uint8) over the tree edges on the way.

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
    acc_bits = np.zeros(n, dtype=np.uint8)
    acc_len[has] = edge_len[e]
    acc_dur[has] = edge_dur[e]
    acc_bits[has] = edge_bits[e]
    for _ in range(64):
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        acc_len = acc_len + acc_len[parent]
        acc_dur = acc_dur + acc_dur[parent]
        acc_bits = acc_bits | acc_bits[parent]
        parent = grand
    return parent, acc_len, acc_dur, acc_bits


def _piece_bits(masks: np.ndarray, piece: PathPiece, *, first: bool, last: bool) -> int:
    """:func:`piece_verdict` of one piece of a route (``first``: the route starts with it)."""
    walked = piece.end > piece.start
    from_tail = first and piece.start == 0.0
    return int(piece_verdict(masks[piece.edge], walked, not last, from_tail))


def cost_matrix(
    router: Router,
    sources: Sequence[LatLon],
    targets: Sequence[LatLon],
    profile: str | Profile = "walk",
    *,
    conditions: Conditions = DEFAULT_CONDITIONS,
) -> MatrixResult:
    """Least-cost matrix from every source to every target (``(lat, lon)`` points), the profile
    weighed in ``conditions`` (the day's pollen and darkness, as :meth:`Router.route`).

    Raises ``InvalidCoordinateError`` / ``OutOfAreaError`` naming the point (``sources[3]``).
    """
    for result in matrix_steps(router, sources, targets, profile, conditions=conditions):
        if result is not None:
            return result
    raise AssertionError("matrix_steps ends with its result")  # pragma: no cover


def matrix_steps(
    router: Router,
    sources: Sequence[LatLon],
    targets: Sequence[LatLon],
    profile: str | Profile = "walk",
    *,
    conditions: Conditions = DEFAULT_CONDITIONS,
    slice_s: float | None = None,
) -> Iterator[MatrixResult | None]:
    """:func:`cost_matrix` in slices: ``None`` after each source row once ``slice_s`` seconds
    have passed since the slice began (never when ``slice_s`` is None), the result last.

    Why: a server computes a large matrix in its CPU thread one slice per job, so that the
    routes queued meanwhile run between slices instead of waiting for the whole matrix
    (:mod:`api.routes.matrix`). The slices may run between other work of the same thread: the
    profile's metric is the one of the start (an obstacle written meanwhile is not mixed into
    the matrix), and the thread's query is taken anew after each slice (another search may have
    used it).
    """
    prof = router.profile(profile)
    if prof.max_distance_between_rests_m is not None:
        yield from _rest_matrix(router, sources, targets, prof, conditions, slice_s)
        return
    metric = router.customize(prof, conditions)
    w = metric.weights
    g = router.graph
    tail = np.asarray(g.tail, dtype=np.int64)
    head = np.asarray(g.head, dtype=np.int64)
    rev = g.edge["reverse_edge"]
    length = np.asarray(g.edge["length_m"], dtype=np.float64)
    delay = _transition_delay_s(router, prof)
    full_dur = walking_time_s(prof, length, delay)  # a whole middle edge (never the last piece)
    # the verdict facts of every edge (the route report's rule); a whole middle edge meets all
    # of them, a route's last whole edge (ending on its head node) only those along it
    node_closed = g.node["closed"].astype(bool)
    masks = verdict_masks(
        prof, w.violations, w.violations_at_head, w.unknowns,
        router.customizer.report_table().columns(), g.edge["closed"].astype(bool),
        node_closed[head], node_closed[tail],
    )  # fmt: skip
    through_bits = piece_verdict(masks, True, True, False)
    along_bits = piece_verdict(masks, True, False, False)

    first_out = np.asarray(g.first_out, dtype=np.int64)

    def _start_base(
        p: PathPiece, c: float, node: int
    ) -> tuple[float, float, float, float, int, int]:
        """(cost, length, duration, delay past its head, its facts going on through its head,
        its facts as the whole route) of a start piece reaching ``node``. A piece starting on
        its head node (a source on that node) crosses nothing there: the walk begins on the
        node, as ``Router.shortest_path`` gives it (its first edge from its tail), and meets
        only the node's closure, where it starts on it."""
        if p.start >= 1.0:
            out = int(first_out[node])  # any edge leaving the node: its tail is the node
            closed = first_out[node + 1] > out and bool(masks[out] & FROM_TAIL_BREAKS)
            return (
                c,
                0.0,
                0.0,
                0.0,
                BREAKS if closed else 0,
                _piece_bits(masks, p, first=True, last=True),
            )
        piece_len = (p.end - p.start) * float(length[p.edge])
        return (
            c, piece_len, walking_time_s(prof, piece_len, float(delay[p.edge])),
            float(delay[p.edge]),
            _piece_bits(masks, p, first=True, last=False),
            _piece_bits(masks, p, first=True, last=True),
        )  # fmt: skip

    src = [router.snap(p, metric, f"sources[{i}]")[0] for i, p in enumerate(sources)]
    tgt = [router.snap(p, metric, f"targets[{j}]")[0] for j, p in enumerate(targets)]
    n_s, n_t = len(src), len(tgt)

    # exits: two per target (more for a target on a node), padded with unusable ones (cost inf)
    exits = [exit_pieces(router.graph, t) for t in tgt]
    room = max((len(x) for x in exits), default=2)
    ex_node = np.zeros((n_t, room), dtype=np.int64)
    ex_cost = np.full((n_t, room), np.inf)
    ex_len = np.zeros((n_t, room))
    ex_bits = np.zeros((n_t, room), dtype=np.uint8)
    ex_walked = np.ones((n_t, room), dtype=bool)
    for j, pieces in enumerate(exits):
        for k, piece in enumerate(pieces):
            ex_node[j, k] = tail[piece.edge]
            ex_cost[j, k] = piece_cost(w, piece, last=True)
            ex_len[j, k] = (piece.end - piece.start) * length[piece.edge]
            ex_bits[j, k] = _piece_bits(masks, piece, first=False, last=True)
            ex_walked[j, k] = piece.end > piece.start
    usable_exits = np.isfinite(ex_cost)
    marked_nodes = np.unique(ex_node[usable_exits])

    # targets lying on a source's street piece, or on a node it runs to, may be reached
    # directly along it (routing.walk_pieces.direct_piece)
    on_edge: dict[int, list[int]] = {}
    for j, t in enumerate(tgt):
        on_edge.setdefault(t.edge, []).append(j)
        if int(rev[t.edge]) >= 0:
            on_edge.setdefault(int(rev[t.edge]), []).append(j)
        node = end_node(router.graph, t)
        if node >= 0:
            for o in range(int(first_out[node]), int(first_out[node + 1])):
                on_edge.setdefault(o, []).append(j)
                if int(rev[o]) >= 0:
                    on_edge.setdefault(int(rev[o]), []).append(j)

    cost = np.full((n_s, n_t), np.inf)
    dist_m = np.full((n_s, n_t), np.inf)
    dur_s = np.full((n_s, n_t), np.inf)
    verdict = np.full((n_s, n_t), -1, dtype=np.int8)
    query = router.query(metric)
    rows = np.arange(n_t)
    settled_total = 0
    began = time.perf_counter()
    for i, s in enumerate(src):
        if slice_s is not None and i and time.perf_counter() - began >= slice_s:
            yield None
            query, began = router.query(metric), time.perf_counter()
        starts = start_pieces(router.graph, s)
        s_nodes = np.array([head[p.edge] for p in starts], dtype=np.int64)
        s_costs = np.array([piece_cost(w, p, last=False) for p in starts])
        query.reset().add_sources(starts)
        settled_total += query.run_to_nodes(marked_nodes)
        d = np.where(usable_exits, query.distances(ex_node) + ex_cost, np.inf)
        best_k = np.argmin(d, axis=1)
        best = d[rows, best_k]
        cost[i] = best
        reached = np.isfinite(best)
        if reached.any():
            closed, pred = query.tree()
            root, acc_len, acc_dur, acc_bits = _tree_sums(
                closed, pred, tail, length, full_dur, through_bits
            )
            # the start piece that reached each root (the cheaper one if both end at one node):
            # (cost, length, duration, delay past its head, its facts going on through its
            # head, its facts as the whole route)
            base: dict[int, tuple[float, float, float, float, int, int]] = {}
            for p, node, c in zip(starts, s_nodes.tolist(), s_costs.tolist(), strict=True):
                if node not in base or c < base[node][0]:
                    base[node] = _start_base(p, c, node)
            entry = np.where(reached, ex_node[rows, best_k], 0)
            roots = root[entry]
            start_len = np.zeros(n_t)
            start_dur = np.zeros(n_t)
            start_delay = np.zeros(n_t)
            start_bits = np.zeros(n_t, dtype=np.uint8)
            start_alone = np.zeros(n_t, dtype=np.uint8)
            for node, (_, b_len, b_dur, b_delay, b_bits, b_alone) in base.items():
                at = roots == node
                start_len[at], start_dur[at], start_delay[at] = b_len, b_dur, b_delay
                start_bits[at], start_alone[at] = b_bits, b_alone
            # An exit that walks nothing of its edge ends the route on its tail node: the
            # route's last edge is then the one into that node (Router.shortest_path), or the
            # start piece, and the walk does not pass that edge's head (no delay, no facts there)
            walked_exit = ex_walked[rows, best_k]
            into = np.where(reached, pred[entry], -1)  # -1 at a root
            into_edge = np.maximum(into, 0)
            unpassed_delay = np.where(
                walked_exit, 0.0, np.where(into >= 0, delay[into_edge], start_delay)
            )
            last_len = ex_len[rows, best_k]
            dist_m[i] = np.where(reached, start_len + acc_len[entry] + last_len, np.inf)
            dur_s[i] = np.where(
                reached,
                start_dur + acc_dur[entry] + walking_time_s(prof, last_len) - unpassed_delay,
                np.inf,
            )
            # verdict: start piece | tree path | exit piece
            before = np.where(into >= 0, acc_bits[tail[into_edge]], 0)
            last_edge = before | np.where(into >= 0, along_bits[into_edge], 0)
            bits = np.where(
                walked_exit,
                start_bits | acc_bits[entry] | ex_bits[rows, best_k],
                np.where(into >= 0, start_bits | last_edge, start_alone),
            )
            verdict[i] = np.where(reached, VERDICT_CODE[bits], -1)
        for j in sorted(set(on_edge.get(s.edge, []))):
            direct = direct_piece(router.graph, s, tgt[j], metric)
            if direct is not None and direct[1] <= cost[i, j]:
                piece, c = direct
                piece_len = (piece.end - piece.start) * float(length[piece.edge])
                cost[i, j], dist_m[i, j], dur_s[i, j] = (
                    c,
                    piece_len,
                    walking_time_s(prof, piece_len),
                )
                verdict[i, j] = VERDICT_CODE[_piece_bits(masks, piece, first=True, last=True)]
    yield MatrixResult(cost, dur_s, dist_m, verdict, src, tgt, settled_total)


def _rest_matrix(
    router: Router,
    sources: Sequence[LatLon],
    targets: Sequence[LatLon],
    prof: Profile,
    conditions: Conditions,
    slice_s: float | None,
) -> Iterator[MatrixResult | None]:
    """The matrix of a profile with ``max_distance_between_rests_m``: one :meth:`Router.route`
    per cell. The limit is a constraint on each whole walk (:mod:`routing.rests`), which one
    search tree per source cannot keep (a node's best walk for one target is not the one that
    keeps the limit for another), so every cell runs the exact constrained search and equals
    the single route by construction; it costs one search per cell, not per source."""
    metric = router.customize(prof, conditions)
    src = [router.snap(p, metric, f"sources[{i}]")[0] for i, p in enumerate(sources)]
    tgt = [router.snap(p, metric, f"targets[{j}]")[0] for j, p in enumerate(targets)]
    shape = (len(src), len(tgt))
    cost, dist_m, dur_s = np.full(shape, np.inf), np.full(shape, np.inf), np.full(shape, np.inf)
    verdict = np.full(shape, -1, dtype=np.int8)
    began = time.perf_counter()
    for i, a in enumerate(sources):
        if slice_s is not None and i and time.perf_counter() - began >= slice_s:
            yield None
            began = time.perf_counter()
        for j, b in enumerate(targets):
            try:
                route = router.route(a, b, prof, compare_walk=False, conditions=conditions)
            except NoRouteError:
                continue
            cost[i, j], dist_m[i, j], dur_s[i, j] = route.cost_s, route.distance_m, route.duration_s
            verdict[i, j] = VERDICTS.index(route.accessibility.verdict)
    yield MatrixResult(cost, dur_s, dist_m, verdict, src, tgt, 0)
