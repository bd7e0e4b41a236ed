"""The query phase: a reusable search object over one metric (RoutingKit's query objects).

A :class:`Query` owns one thread's search arrays and is reused for every search of that thread
(generation stamps make a reset O(1)). The points of a query are *pieces* of directed edges: a
source piece runs from the source point to its edge's head, where the search starts with the
piece's cost; a target piece runs from its edge's tail to the target point, which the search
reaches at the piece's cost. Typical use::

    q = router.query(metric)                   # this thread's query, reset for the metric
    q.add_sources(start_pieces(router.graph, source))
    q.add_targets(exit_pieces(router.graph, target))
    cost = q.run(toward=(target.lat, target.lon))
    edges, start, end = q.path()

From one snapped point to another (:meth:`routing.engine.Router.shortest_path`), those steps
and the walk along a single street piece are one kernel pass, :meth:`Query.between` (its
Python around a search cost about as much as a third of the search; the steps above are its
reference in ``tests/routing/test_point_search.py``).

One-to-many (the matrix): add the sources only, :meth:`Query.run_to_nodes` with the entry nodes
of every target, then read :meth:`Query.distances` and :meth:`Query.tree`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from accessibility_rules.weights import EdgeWeights
from graphs.model import CompiledGraph
from routing._kernels import search as search_kernels
from routing.errors import InvalidCoordinateError, NoRouteError, SearchBudgetError
from routing.metric import Metric

if TYPE_CHECKING:
    from routing.snapping import LocalFrame, SnapPoint

LatLon = tuple[float, float]


def check_latlon(point: LatLon, role: str) -> tuple[float, float]:
    """Validate a (lat, lon) pair; return it as floats or raise InvalidCoordinateError."""
    try:
        lat, lon = float(point[0]), float(point[1])
    except (TypeError, ValueError, IndexError):
        raise InvalidCoordinateError(
            f"{role} must be a (latitude, longitude) pair", field=role
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InvalidCoordinateError(
            f"{role} has a coordinate that is not a finite number", field=role
        )
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InvalidCoordinateError(
            f"{role} ({lat}, {lon}) is not a latitude in [-90, 90] and longitude in [-180, 180]",
            field=role,
        )
    return lat, lon


class PathPiece(NamedTuple):
    """Part of a directed edge walked from fraction ``start`` to ``end`` (0 = tail, 1 = head).
    A named tuple: every query makes a few for its ends (cheaper to build than a frozen
    dataclass, as immutable)."""

    edge: int
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Path:
    """A search result: the directed edges walked in order, and where the walk starts on the
    first edge and ends on the last (fractions 0 = tail, 1 = head), its cost and end points."""

    edges: np.ndarray  # int64, walking order
    start: float
    end: float
    cost_s: float
    source: SnapPoint
    target: SnapPoint
    settled_nodes: int

    @property
    def pieces(self) -> tuple[PathPiece, ...]:
        """The walk as pieces of edges (built on demand)."""
        e = [int(x) for x in self.edges]
        if len(e) == 1:
            return (PathPiece(e[0], self.start, self.end),)
        middle = tuple(PathPiece(x, 0.0, 1.0) for x in e[1:-1])
        return (PathPiece(e[0], self.start, 1.0), *middle, PathPiece(e[-1], 0.0, self.end))


def walked_ends(edges: np.ndarray, start: float, end: float) -> tuple[np.ndarray, float, float]:
    """A search's walk without the end pieces it does not walk: a target on the head of the
    edge before the last drops the last (``end`` 1), a source on the head of the first edge
    drops the first (``start`` 0: the walk begins on that node). What
    :func:`routing._kernels.search.point_search` does inside the kernel, for the Python searches."""
    if len(edges) > 1 and end <= 0.0:
        edges, end = edges[:-1], 1.0
    if len(edges) > 1 and start >= 1.0:
        edges, start = edges[1:], 0.0
    return edges, start, end


def piece_cost(weights: EdgeWeights, piece: PathPiece, *, last: bool) -> float:
    """Cost of one piece of an edge walked from ``piece.start`` to ``piece.end``.

    What lies *along* the edge (travel time, limits broken along it: steps, slope, width …) is
    charged by the walked fraction. What lies *at the edge's head* (the transition: kerbs,
    crossings; limits broken at the head: kerb height, barrier, crossing signals) is charged
    only when the walk goes on through the head: never for the ``last`` piece, which ends at
    the target (on the edge, or at its head node at the latest) and so never crosses what the
    head holds. A first piece runs to its head and pays it, unless it starts there (``start``
    1: a walk that begins on the head node, which it does not cross coming along the edge, as
    a walk that ends on a node does not cross it; :func:`routing._kernels.search.point_search` then
    leaves that piece out of the walk).
    """
    e = piece.edge
    cost = (piece.end - piece.start) * float(weights.way_s[e])  # travel and limits along it
    if not last and piece.start < 1.0:
        cost += float(weights.head_s[e])  # transition and limits at the head
    return cost


def charged_violations(
    weights: EdgeWeights, edges: np.ndarray, start: float, end: float
) -> np.ndarray:
    """Per edge of a walk (``edges`` in order, from ``start`` on the first to ``end`` on the
    last): the Limit bits it breaks there, under :func:`piece_cost`'s rule.

    Limits along an edge count when some of it is walked; limits broken only at an edge's head
    (``EdgeWeights.violations_at_head``) count when the walk goes on through the head (every
    edge but the last), as in the route report.
    """
    edges = np.asarray(edges, dtype=np.int64)
    bits = weights.violations[edges].astype(np.uint32)
    k = len(edges)
    if k == 0:
        return bits
    walked = np.ones(k)
    walked[0] -= start
    walked[-1] -= 1.0 - end
    point = weights.violations_at_head[edges].astype(np.uint32)
    bits = np.where(walked > 0, bits, bits & point)
    bits[-1] &= ~point[-1]
    return bits


def broken_limits(weights: EdgeWeights, pieces: Sequence[PathPiece]) -> int:
    """The Limit bits a walk over ``pieces`` (in order) breaks (:func:`charged_violations`)."""
    if not pieces:
        return 0
    edges = np.array([p.edge for p in pieces], dtype=np.int64)
    bits = charged_violations(weights, edges, pieces[0].start, pieces[-1].end)
    return int(np.bitwise_or.reduce(bits))


#: Heap room for this many sources beyond one push per edge (grown when a query adds more).
_HEAP_SLACK = 8


class Query:
    """One thread's reusable search on a graph: reset → add sources/targets → run → path.

    Not thread-safe: each thread uses its own (:meth:`routing.engine.Router.query`). The graph's
    topology (``first_out``, ``head``, ``tail``) must not change while the query lives; the
    costs come from the metric given to :meth:`reset`.
    """

    def __init__(
        self,
        graph: CompiledGraph,
        node_x: np.ndarray,
        node_y: np.ndarray,
        frame: LocalFrame,
        *,
        max_settled: int | None = None,
    ) -> None:
        self.node_count = graph.node_count
        #: The settle budget of each search (None: none); past it a run raises
        #: :class:`~routing.errors.SearchBudgetError`.
        self.max_settled = max_settled
        self._first_out = graph.first_out
        self._head = graph.head
        self._tail = graph.tail
        self._node_x = node_x
        self._node_y = node_y
        self._frame = frame
        self._ws = search_kernels.workspace(graph.node_count, graph.edge_count + _HEAP_SLACK)
        self._heap_slack = _HEAP_SLACK
        self._path = np.zeros(graph.edge_count + 2, dtype=np.int64)
        # the exits' landmark rows of :meth:`between`: two, and one per edge into a node
        self._exit_room = 2 + int(np.diff(graph.first_out).max(initial=0))
        self._lm_target = np.zeros((self._exit_room, 0))
        self._gen = 0
        self._metric: Metric | None = None
        self._weights: EdgeWeights | None = None
        self._sources: list[PathPiece] = []
        self._source_nodes: list[int] = []
        self._source_costs: list[float] = []
        self._targets: list[PathPiece] = []
        self._target_nodes: list[int] = []
        self._target_costs: list[float] = []
        self._best = math.inf
        self._best_exit = -1
        self.settled_nodes = 0

    # --- setting up -----------------------------------------------------------------------------
    @property
    def metric(self) -> Metric:
        """The metric the query searches on (set by :meth:`reset`)."""
        if self._metric is None:
            raise RuntimeError("reset the query with a metric first")
        return self._metric

    def reset(self, metric: Metric | None = None) -> Query:
        """Forget sources, targets and results (O(1)); switch to ``metric`` when given."""
        if metric is not None:
            self._metric = metric
            self._weights = metric.weights
        self._gen += 1
        self._sources.clear()
        self._source_nodes.clear()
        self._source_costs.clear()
        self._targets.clear()
        self._target_nodes.clear()
        self._target_costs.clear()
        self._best, self._best_exit, self.settled_nodes = math.inf, -1, 0
        return self

    def add_source(self, piece: PathPiece) -> Query:
        """Start at ``head(piece.edge)`` with the piece's cost (its head transition included)."""
        return self.add_sources((piece,))

    def add_target(self, piece: PathPiece) -> Query:
        """Reach the target point from ``tail(piece.edge)`` at the piece's cost (no transition).

        All target pieces of a query lead to the same point.
        """
        return self.add_targets((piece,))

    def add_sources(self, pieces: Sequence[PathPiece]) -> Query:
        """:meth:`add_source` for each of ``pieces``."""
        w = self._weights_or_raise()
        head = self._head
        self._sources.extend(pieces)
        self._source_nodes.extend([int(head[p.edge]) for p in pieces])
        self._source_costs.extend([piece_cost(w, p, last=False) for p in pieces])
        return self

    def add_targets(self, pieces: Sequence[PathPiece]) -> Query:
        """:meth:`add_target` for each of ``pieces``."""
        w = self._weights_or_raise()
        tail = self._tail
        self._targets.extend(pieces)
        self._target_nodes.extend([int(tail[p.edge]) for p in pieces])
        self._target_costs.extend([piece_cost(w, p, last=True) for p in pieces])
        return self

    def _weights_or_raise(self) -> EdgeWeights:
        if self._weights is None:
            raise RuntimeError("reset the query with a metric first")
        return self._weights

    # --- running --------------------------------------------------------------------------------
    def _sources_array(self) -> tuple[np.ndarray, np.ndarray]:
        nodes = np.array(self._source_nodes, dtype=np.int64)
        if len(nodes) > self._heap_slack:  # every push is a source or an edge relaxation
            self._heap_slack = len(nodes) + _HEAP_SLACK
            grown = search_kernels.workspace(0, len(self._head) + self._heap_slack)
            self._ws = (*self._ws[:5], grown[5], grown[6], self._ws[7])
        return nodes, np.array(self._source_costs, dtype=np.float64)

    def run(self, *, toward: LatLon | None = None) -> float:
        """A* from the sources to the target pieces; the least cost (``inf`` if unreachable).

        ``toward`` is the target point ``(lat, lon)``; it enables the straight-line bound (the
        metric's landmarks bound the search either way).
        """
        metric = self.metric
        graph = (self._first_out, self._head, metric.cost_s)
        target_nodes = np.array(self._target_nodes, dtype=np.int64)
        target_costs = np.array(self._target_costs, dtype=np.float64)
        tx = ty = 0.0
        h_scale = 0.0
        if toward is not None:
            tx, ty = self._frame.point(toward[1], toward[0])
            h_scale = metric.h_scale
        lm = metric.landmarks
        bound = (
            self._node_x, self._node_y, tx, ty, h_scale, lm.dist, lm.at(target_nodes), lm.scale
        )  # fmt: skip
        best, best_exit, settled = search_kernels.search(
            graph, self._ws, self._gen, self._sources_array(),
            (target_nodes, target_costs), bound, 0, self._budget(),
        )  # fmt: skip
        self._check_budget(best_exit, settled)
        self._best, self._best_exit, self.settled_nodes = float(best), int(best_exit), settled
        return self._best

    def _budget(self) -> int:
        return search_kernels.NO_BUDGET if self.max_settled is None else int(self.max_settled)

    def _check_budget(self, best_exit: int, settled: int) -> None:
        if best_exit == search_kernels.BUDGET_EXHAUSTED:
            self._best, self._best_exit, self.settled_nodes = math.inf, -1, settled
            raise SearchBudgetError(
                f"the search stopped after settling {settled} nodes, its budget "
                f"(max_settled = {self.max_settled}), before it could finish",
                settled_nodes=settled,
                max_settled=self.max_settled,
            )

    def between(
        self, source: SnapPoint, target: SnapPoint, reverse_edge: np.ndarray
    ) -> tuple[np.ndarray, float, float, float]:
        """``(edges, start, end, cost)`` of the least-cost walk between two snapped points
        (``reverse_edge``: the graph's twins, int64): what ``add_sources`` of the source's two
        pieces, ``add_targets`` of the target's exits, :meth:`run` toward the target,
        :meth:`path` and, when both points lie on one street piece, the walk along it give,
        in one kernel pass (:func:`routing._kernels.search.point_search`; the Python steps are its
        reference in the tests). Runs on the query as :meth:`reset` left it (as
        ``Router.query`` hands it over): sources and targets added are not read.

        Raises :class:`~routing.errors.NoRouteError` when the target cannot be reached and
        :class:`~routing.errors.SearchBudgetError` past the settle budget.
        """
        metric = self.metric
        weights = self._weights_or_raise()
        lm = metric.landmarks
        if self._lm_target.shape[1] != lm.dist.shape[1]:
            self._lm_target = np.zeros((self._exit_room, lm.dist.shape[1]))
        tx, ty = self._frame.point(target.lon, target.lat)
        count, cost, start, end, settled = search_kernels.point_search(
            (self._first_out, self._head, metric.cost_s), self._tail, reverse_edge,
            weights.way_s, weights.head_s, self._ws, self._gen, source.edge, source.fraction,
            target.edge, target.fraction, self._node_x, self._node_y, tx, ty, metric.h_scale,
            lm.dist, self._lm_target, lm.scale, self._budget(), self._path,
        )  # fmt: skip
        self.settled_nodes = settled
        if count == search_kernels.BUDGET_EXHAUSTED:
            self._check_budget(count, settled)
        if count == search_kernels.NO_ROUTE:
            raise NoRouteError("the destination cannot be reached from the origin on this map")
        self._best, self._best_exit = cost, -1  # (the path is returned, not left for path())
        return self._path[:count].copy(), start, end, cost

    def run_to_nodes(self, nodes: np.ndarray) -> int:
        """Dijkstra from the sources until every node of ``nodes`` is settled (or none is left).

        Target pieces are ignored. Returns the number of settled nodes; read the results with
        :meth:`distances` and :meth:`tree`.
        """
        marked = self._ws[4]
        unique = np.unique(np.asarray(nodes, dtype=np.int64))
        marked[unique] = self._gen
        no_targets = (np.zeros(0, dtype=np.int64), np.zeros(0))
        _, exit_, settled = search_kernels.search(
            (self._first_out, self._head, self.metric.cost_s), self._ws, self._gen, self._sources_array(), no_targets,
            search_kernels.no_bound(), len(unique), self._budget(),
        )  # fmt: skip
        self._check_budget(exit_, settled)
        self._best, self._best_exit, self.settled_nodes = math.inf, -1, settled
        return settled

    # --- results --------------------------------------------------------------------------------
    def settled(self) -> np.ndarray:
        """Per node: settled (its cost final) by the last run."""
        return self._ws[3] == self._gen

    def distances(self, nodes: np.ndarray) -> np.ndarray:
        """The final cost of each of ``nodes`` (``inf`` where the last run did not settle it)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        return np.where(self._ws[3][nodes] == self._gen, self._ws[0][nodes], np.inf)

    def tree(self) -> tuple[np.ndarray, np.ndarray]:
        """``(settled, pred_edge)``: the search tree of the last run (``pred_edge[v]`` is the
        edge into a settled node ``v``, ``-1`` at a start; undefined where not settled)."""
        return self.settled(), self._ws[1]

    def path(self) -> tuple[np.ndarray, float, float]:
        """``(edges, start, end)`` of the best path of the last :meth:`run`.

        ``edges`` in walking order, from the chosen source piece's edge to the chosen target
        piece's edge; ``start`` is where the walk starts on the first edge, ``end`` where it ends
        on the last. Raises ``LookupError`` when the target was not reached.
        """
        if self._best_exit < 0:
            raise LookupError("the last run reached no target")
        exit_node = self._target_nodes[self._best_exit]
        count = search_kernels.extract_path(self._ws[1], self._tail, exit_node, self._path)
        first_node = int(self._tail[self._path[0]]) if count else exit_node
        # the cheapest source piece ending at the first node (the first one on ties)
        start, start_cost = -1, math.inf
        for i, node in enumerate(self._source_nodes):
            if node == first_node and (start < 0 or self._source_costs[i] < start_cost):
                start, start_cost = i, self._source_costs[i]
        edges = np.empty(count + 2, dtype=np.int64)
        edges[0] = self._sources[start].edge
        edges[1 : count + 1] = self._path[:count]
        edges[-1] = self._targets[self._best_exit].edge
        return edges, self._sources[start].start, self._targets[self._best_exit].end
