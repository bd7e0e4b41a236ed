"""Rests: routes on which no stretch without a seat is longer than the profile allows.

``max_distance_between_rests_m`` is a constraint on the whole walk, not an edge weight: whether
an edge can be walked depends on how far the person has walked since the last seat. The exact
search is :func:`routing._kernels.rests.rest_search` (label-setting over node × metres since the
last rest); this module feeds it the seat columns of the graph (``seat_first_m``, ``seat_last_m``,
``seat_max_gap_m`` per directed edge, NaN = no seat), turns the snapped ends into pieces with
their own seats, and reports the seats of a route and its longest stretch without one.

Rules (stated once, used everywhere):

* the person starts rested: 0 m walked since the last rest at the origin (and at each via
  point: a via point is a stop);
* a rest is taken at every seat passed; the stretch from the last seat to the destination
  counts as well;
* a stretch with no seat *mapped* is a stretch without a seat: unknown is not "fine";
* the limit between rests ranks below the profile's other limits: a walk that keeps it is
  taken only if it breaks no more of them than the profile's plain route
  (:func:`routing.rest_walks.seat_cost_ceiling`, the rest searches' bound): seats are never bought
  with a closed sidewalk or a flight of steps.

When no route keeps the limit, the least-bad route is the one whose longest stretch without a
seat is shortest (within :data:`LEAST_BAD_TOLERANCE_M`), cheapest among those: for a person who
must sit down every 300 m, a route with at most 340 m between seats helps, the profile's plain
optimum with a 900 m stretch does not. It is found by bisection over the limit (feasibility
only grows with the limit) between the asked limit and the plain route's longest stretch. Each
search first tests in one pass whether any walk keeps its limit
(:func:`routing._kernels.rests.rest_reachable`): most of the bisection's probes find none, which the
exact search learns only by exhausting its labels. The probes of one least-bad route settle at
most :data:`LEAST_BAD_BUDGETS` searches' label budgets together (all legs of a route through
via points together, :class:`LabelBudget`); past them the best walk found so far is the route
(on Kaiserslautern's trips no route changed; on long trips across the Heidelberg region a
route's longest stretch came out up to 0.5 km longer, out of 5-9 km).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs.model import CompiledGraph
from routing._kernels import rests as rests_kernels
from routing._kernels import search as search_kernels
from routing.errors import SearchBudgetError
from routing.metric import Metric
from routing.query import PathPiece, piece_cost
from routing.rounding import round_float

if TYPE_CHECKING:
    from routing.snapping import LocalFrame

#: The per-edge seat columns (the common interface of issue 12).
SEAT_COLUMNS = ("seat_first_m", "seat_last_m", "seat_max_gap_m")
#: Seats closer than this along a route are one (a seat on a node ends one edge, starts the next).
SAME_SEAT_M = 0.5
#: The least-bad route's longest stretch is at most this much above the best possible.
LEAST_BAD_TOLERANCE_M = 10.0
#: Bisection steps of the least-bad search at most.
LEAST_BAD_STEPS = 8
#: Labels all probes of one least-bad search may settle together, in rest searches' budgets
#: (:attr:`RestQuery.max_labels`): eight probes of a long trip on a region's graph had each
#: settled up to a whole budget (Heidelberg's region, 15 km: 1.3 s for one answer). With 4,
#: 180 seeded rest-limited trips there: max 902 -> 447 ms, p99 787 -> 386 ms; with 2 the
#: longest stretches grew by up to 2 km and Kaiserslautern's routes changed (5 of 600).
LEAST_BAD_BUDGETS = 4.0
#: Labels one rest search may settle, per graph node (a label is a walk to a node at one
#: distance since the last rest: a node holds a few on real graphs).
LABEL_BUDGET_FACTOR = 8.0
#: Heap entries and pops per graph node of the feasibility test before a rest search
#: (:func:`routing._kernels.rests.rest_reachable`; a node is taken again only when a seat lowers its
#: metres since the last rest): past them the exact search decides alone.
REACH_FACTOR = 4
_BACKREST = {1: "yes", 0: "no", -1: "unknown"}

#: ``(offsets_m, backrest, kind, lon, lat)`` of the seats along one directed edge.
EdgeSeats = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
SeatReader = Callable[[CompiledGraph, int], EdgeSeats]


def _no_seats(graph: CompiledGraph, edge: int) -> EdgeSeats:
    empty = np.zeros(0)
    return empty, np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int8), empty, empty


def default_seat_reader() -> SeatReader:
    """``graphs.features.seats_on_edge`` where the graph package has it, else no seats."""
    try:
        from graphs.features import seats_on_edge  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # the seat table is not built: no seat is known anywhere
        return _no_seats
    return seats_on_edge  # type: ignore[no-any-return,unused-ignore]


#: How seats along an edge are read (replace it to use another seat table, e.g. in tests).
seat_reader: SeatReader = default_seat_reader()
#: The reader of the graph's own seat table: while :data:`seat_reader` is it, a walk's seats
#: are read by one kernel pass over that table (:func:`walk_seats`).
_TABLE_READER: SeatReader | None = None if seat_reader is _no_seats else seat_reader


def seat_columns(graph: CompiledGraph) -> rests_kernels.Seats:
    """``(length_m, seat_first_m, seat_last_m, seat_max_gap_m)`` as contiguous float64 arrays;
    a graph without the seat columns has no seat anywhere (all NaN)."""
    edge = graph.edge
    length = np.ascontiguousarray(edge["length_m"], dtype=np.float64)
    nan = np.full(len(length), np.nan)
    cols = [
        np.ascontiguousarray(edge[c], dtype=np.float64) if c in edge else nan for c in SEAT_COLUMNS
    ]
    return length, cols[0], cols[1], cols[2]


def summarise(length_m: float, offsets_m: np.ndarray) -> tuple[float, float, float, float]:
    """``(length, first, last, max gap)`` of a stretch with seats at ``offsets_m`` (sorted;
    NaN without a seat): what :func:`routing._kernels.rests.rest_step` reads."""
    if len(offsets_m) == 0:
        return length_m, math.nan, math.nan, math.nan
    gap = float(np.max(np.diff(offsets_m))) if len(offsets_m) > 1 else 0.0
    return length_m, float(offsets_m[0]), float(offsets_m[-1]), gap


def piece_seats(graph: CompiledGraph, piece: PathPiece) -> tuple[float, EdgeSeats]:
    """The walked length of ``piece`` and the seats on it, offsets from the piece's start."""
    length = float(graph.edge["length_m"][piece.edge])
    a, b = piece.start * length, piece.end * length
    first = graph.edge.get("seat_first_m")
    if first is not None and not np.isfinite(first[piece.edge]):
        return b - a, _no_seats(graph, piece.edge)
    offs, backrest, kind, lon, lat = seat_reader(graph, piece.edge)
    keep = (offs >= a - 1e-6) & (offs <= b + 1e-6)
    return b - a, (offs[keep] - a, backrest[keep], kind[keep], lon[keep], lat[keep])


def piece_summary(graph: CompiledGraph, piece: PathPiece) -> tuple[float, float, float, float]:
    """:func:`summarise` of a piece: the whole edge's columns, or its seats where cut."""
    if piece.start == 0.0 and piece.end == 1.0:
        length, first, last, gap = seat_columns_at(graph, piece.edge)
        return length, first, last, gap
    walked, seats = piece_seats(graph, piece)
    return summarise(walked, seats[0])


def seat_columns_at(graph: CompiledGraph, edge: int) -> tuple[float, float, float, float]:
    """The seat columns of one edge (NaN where the graph has none)."""
    e = graph.edge
    vals = [float(e[c][edge]) if c in e else math.nan for c in SEAT_COLUMNS]
    return float(e["length_m"][edge]), vals[0], vals[1], vals[2]


@dataclass(slots=True)
class LabelBudget:
    """Labels the least-bad probes of one request may still settle, shared by its legs (a
    route through via points): each leg's bisection draws from what the legs before it left,
    so that the request, not each leg, is bounded. A ten-leg ``elderly`` request across the
    Heidelberg region took 0.7-1.5 s of a worker's CPU thread, almost all of it in the
    probes."""

    left: int

    @classmethod
    def of_request(cls, max_labels: int) -> LabelBudget:
        """:data:`LEAST_BAD_BUDGETS` rest searches' budgets (``max_labels`` each)."""
        return cls(math.ceil(LEAST_BAD_BUDGETS * max_labels))


@dataclass(frozen=True, slots=True)
class RestResult:
    """A walk found by :class:`RestQuery`: edges, where it starts and ends, its cost."""

    edges: np.ndarray
    start: float
    end: float
    cost_s: float
    settled_labels: int


class RestQuery:
    """One thread's reusable rest-constrained search (label pool grown on demand)."""

    def __init__(
        self, graph: CompiledGraph, node_x: np.ndarray, node_y: np.ndarray, frame: LocalFrame
    ) -> None:
        self.graph = graph
        self.node_count = graph.node_count
        self._node_x, self._node_y, self._frame = node_x, node_y, frame
        self._node_first = np.zeros(graph.node_count, dtype=np.int64)
        self._node_stamp = np.zeros(graph.node_count, dtype=np.int64)
        self._gen = 0
        self._pool = rests_kernels.label_pool(max(64, 2 * graph.node_count))
        self._seats: rests_kernels.Seats | None = None
        self._seats_of: dict[str, np.ndarray] | None = None
        self.max_labels = max(1, math.ceil(LABEL_BUDGET_FACTOR * graph.node_count))
        #: Labels the last :meth:`run` settled (0 when the feasibility test decided alone).
        self.last_settled = 0
        # the feasibility test before each search (rests_kernels.rest_reachable): a value per node,
        # a heap of at most REACH_FACTOR entries per node and as many pops (else undecided)
        self._walked_m = np.zeros(graph.node_count, dtype=np.float64)
        heap = REACH_FACTOR * graph.node_count + 64
        self._heap_key = np.zeros(heap, dtype=np.float64)
        self._heap_node = np.zeros(heap, dtype=np.int64)
        self._max_pops = heap

    def _seat_arrays(self) -> rests_kernels.Seats:
        if self._seats is None or self._seats_of is not self.graph.edge:
            self._seats, self._seats_of = seat_columns(self.graph), self.graph.edge
        return self._seats

    def run(
        self,
        metric: Metric,
        limit_m: float,
        sources: Sequence[PathPiece],
        targets: Sequence[PathPiece],
        toward: tuple[float, float],
        max_labels: int | None = None,
        max_cost: float = math.inf,
    ) -> RestResult | None:
        """The cheapest walk from a source piece to a target piece keeping ``limit_m`` and
        costing less than ``max_cost``, or None when there is none. Raises
        :class:`SearchBudgetError` past ``max_labels`` (default and at most
        :attr:`max_labels`); :attr:`last_settled` says how many it settled. That
        there is none is first tested in one pass (:func:`routing._kernels.rests.rest_reachable`:
        the exact search proves it only by exhausting its labels, several times per least-bad
        route); only a walk that exists is searched for (so a search past its budget is one
        that would have found a walk)."""
        budget = self.max_labels if max_labels is None else max(1, min(max_labels, self.max_labels))
        self.last_settled = 0
        graph, w = self.graph, metric.weights
        src_d, src_nodes, src_costs = [], [], []
        for p in sources:
            length, first, last, gap = piece_summary(graph, p)
            src_d.append(rests_kernels.rest_step(0.0, length, first, last, gap, limit_m))
            src_nodes.append(int(graph.head[p.edge]))
            src_costs.append(piece_cost(w, p, last=False) if src_d[-1] >= 0 else math.inf)
        summaries = [piece_summary(graph, p) for p in targets]
        t_nodes = np.array([int(graph.tail[p.edge]) for p in targets], dtype=np.int64)
        t_costs = np.array([piece_cost(w, p, last=True) for p in targets], dtype=np.float64)
        cols = np.array(summaries, dtype=np.float64).reshape(-1, 4)
        c0, c1, c2, c3 = (np.ascontiguousarray(cols[:, j]) for j in range(4))
        tgt = (t_nodes, t_costs, c0, c1, c2, c3)
        src = (
            np.array(src_nodes, dtype=np.int64),
            np.array(src_costs, dtype=np.float64),
            np.maximum(np.array(src_d, dtype=np.float64), 0.0),
        )
        x, y = self._frame.point(toward[1], toward[0])
        lm = metric.landmarks
        bound = (
            self._node_x, self._node_y, x, y, metric.h_scale, lm.dist,
            lm.at(t_nodes), lm.scale,
        )  # fmt: skip
        g = (graph.first_out, graph.head, metric.cost_s)
        self._gen += 1
        reachable = rests_kernels.rest_reachable(
            g, self._seat_arrays(), float(limit_m), src, tgt, self._walked_m, self._node_stamp,
            self._gen, self._heap_key, self._heap_node, self._max_pops,
            (self._node_x, self._node_y, x, y),
        )  # fmt: skip
        if reachable == 0:  # proved in one pass what the exact search proves by exhausting labels
            return None
        while True:
            self._gen += 1
            best, label, exit_, settled, _ = rests_kernels.rest_search(
                g, self._seat_arrays(), float(limit_m), src, tgt, bound, self._pool,
                self._node_first, self._node_stamp, self._gen, budget, float(max_cost),
            )  # fmt: skip
            self.last_settled += settled
            if label != rests_kernels.POOL_FULL:
                break
            self._pool = rests_kernels.label_pool(2 * len(self._pool[0]))
        if label == search_kernels.BUDGET_EXHAUSTED:
            raise SearchBudgetError(
                f"the rest-constrained search stopped after settling {settled} labels, its "
                f"budget (max_labels = {budget}), before it could finish",
                settled_nodes=settled,
                max_settled=budget,
            )
        if label < 0:
            return None
        out = np.zeros(len(self._pool[0]) + 2, dtype=np.int64)
        count, start = rests_kernels.rest_extract(self._pool[3], self._pool[4], label, out)
        edges = np.empty(count + 2, dtype=np.int64)
        edges[0] = sources[start].edge
        edges[1 : count + 1] = out[:count]
        edges[-1] = targets[exit_].edge
        return RestResult(edges, sources[start].start, targets[exit_].end, float(best), settled)


def direct_keeps(graph: CompiledGraph, piece: PathPiece, limit_m: float) -> bool:
    """Whether walking the single piece ``piece`` from a rested start keeps ``limit_m``."""
    length, first, last, gap = piece_summary(graph, piece)
    return rests_kernels.rest_step(0.0, length, first, last, gap, limit_m) >= 0.0


# ------------------------------------------------------------------------------ route report


@dataclass(frozen=True, slots=True)
class RestsAsked:
    """How a route's rests report is asked for (:func:`rests_report`'s arguments beyond the
    route): the profile's limit, whether the route is the least-bad one and whether the
    graph's source was read for seats."""

    limit_m: float | None
    least_bad: bool
    seats_known: bool


@dataclass(frozen=True, slots=True)
class Gap:
    """The longest stretch of a walk without a seat: metres, from where to where."""

    length_m: float
    from_m: float
    to_m: float


def route_seats(
    graph: CompiledGraph, pieces: Sequence[PathPiece]
) -> list[tuple[float, int, int, float, float]]:
    """The seats along a walk over ``pieces``: ``(at_m, backrest, kind, lon, lat)`` in walking
    order, one per place (a seat on a node ends one piece and starts the next)."""
    if not pieces:
        return []
    edges = np.fromiter((p.edge for p in pieces), dtype=np.int64, count=len(pieces))
    return walk_seats(graph, edges, pieces[0].start, pieces[-1].end)


def walk_seats(
    graph: CompiledGraph,
    edges: np.ndarray,
    start: float,
    end: float,
    *,
    at_m: Sequence[float] | np.ndarray | None = None,
) -> list[tuple[float, int, int, float, float]]:
    """:func:`route_seats` of the walk over ``edges`` from fraction ``start`` of the first to
    ``end`` of the last (a search path's ``edges``, ``start``, ``end``), without making a
    piece per edge: from the graph's seat table in one kernel pass (:func:`_table_seats`), or,
    with another :data:`seat_reader`, reading one by one only the edges that hold a seat.
    ``at_m``: where each piece starts, metres from the walk's start, when the caller has them
    (a route report's, the same running sum); else they are summed here."""
    seats: list[tuple[float, int, int, float, float]] = []
    k = len(edges)
    if not k:
        return seats
    start, end = float(start), float(end)
    first = graph.edge.get("seat_first_m")
    if first is not None and seat_reader is _TABLE_READER and _table_fits(graph, first):
        return _table_seats(graph, first, edges, start, end, at_m)
    # only the pieces whose edge has a seat (one numpy test instead of a reader call per piece)
    with_seat = range(k) if first is None else np.flatnonzero(np.isfinite(first[edges])).tolist()
    if not with_seat:
        return seats
    if at_m is None:
        at_m = _piece_starts(graph, edges, start, end)
    for i in with_seat:
        piece = PathPiece(int(edges[i]), start if i == 0 else 0.0, end if i == k - 1 else 1.0)
        _, (offs, back, kind, lon, lat) = piece_seats(graph, piece)
        for j in range(len(offs)):
            at = float(at_m[i]) + float(offs[j])
            if seats and at - seats[-1][0] < SAME_SEAT_M:
                continue
            seats.append((at, int(back[j]), int(kind[j]), float(lon[j]), float(lat[j])))
    return seats


def _table_fits(graph: CompiledGraph, first: np.ndarray) -> bool:
    """Whether the graph has a seat table in the dtypes :func:`_table_seats`' kernel is built
    for (:data:`graphs.features.SEAT_ARRAYS`; a graph of another origin is read edge by edge)."""
    table = graph.seats
    return (
        bool(table)
        and first.dtype == np.float32
        and table["seat_offset_m"].dtype == np.float32
        and table["edge_seat_first"].dtype == np.int64
    )


def _table_seats(
    graph: CompiledGraph,
    first: np.ndarray,
    edges: np.ndarray,
    start: float,
    end: float,
    at_m: Sequence[float] | np.ndarray | None,
) -> list[tuple[float, int, int, float, float]]:
    """:func:`walk_seats` read from the graph's seat table by one kernel pass
    (:func:`routing._kernels.rests.walk_seat_rows`; the piece-by-piece reading is its reference):
    a route's few seats cost one call instead of a numpy test and a reading per seated edge."""
    table = graph.seats
    k = len(edges)
    if at_m is None:
        at_m = _piece_starts(graph, edges, start, end)
    starts = np.asarray(at_m, dtype=np.float64)
    edge_list = np.asarray(edges, dtype=np.int64)
    size = k + 8  # a route passes a seat every few pieces at most; else sized again
    while True:
        out_at_m = np.empty(size)
        out_seat = np.empty(size, dtype=np.int64)
        n = rests_kernels.walk_seat_rows(
            edge_list, start, end, starts, graph.edge["length_m"], first,
            table["edge_seat_first"], table["seat_offset_m"], SAME_SEAT_M, out_at_m, out_seat,
        )  # fmt: skip
        if n <= size:
            break
        size = n
    if not n:
        return []
    rows = out_seat[:n]
    return list(
        zip(
            out_at_m[:n].tolist(), table["seat_backrest"][rows].tolist(),
            table["seat_kind"][rows].tolist(), table["seat_lon"][rows].tolist(),
            table["seat_lat"][rows].tolist(), strict=True,
        )
    )  # fmt: skip


def _piece_starts(graph: CompiledGraph, edges: np.ndarray, start: float, end: float) -> list[float]:
    """Where each piece of the walk over ``edges`` starts, metres from its start (a running sum
    of the metres walked on the pieces before, as a route report's)."""
    k = len(edges)
    lo = np.zeros(k)
    hi = np.ones(k)
    lo[0], hi[-1] = start, end
    walked = (hi - lo) * graph.edge["length_m"][edges]
    return np.concatenate(([0.0], np.cumsum(walked)[:-1])).tolist()


def longest_gap(seat_at_m: Sequence[float], total_m: float) -> Gap:
    """The longest stretch without a seat of a walk of ``total_m`` with seats at ``seat_at_m``
    (the start and the end bound the first and the last stretch)."""
    best, best_from, best_to = 0.0, 0.0, 0.0
    a = 0.0
    for b in (*seat_at_m, total_m):
        if b - a > best:
            best, best_from, best_to = b - a, a, b
        a = b
    return Gap(best, best_from, best_to)


def walk_length_m(graph: CompiledGraph, pieces: Sequence[PathPiece]) -> float:
    """Metres walked over ``pieces``."""
    length = graph.edge["length_m"]
    return float(sum((p.end - p.start) * float(length[p.edge]) for p in pieces))


def pieces_longest_gap(graph: CompiledGraph, pieces: Sequence[PathPiece]) -> float:
    """The longest stretch without a seat of a walk over ``pieces`` (metres)."""
    seats = route_seats(graph, pieces)
    return longest_gap([s[0] for s in seats], walk_length_m(graph, pieces)).length_m


def rests_report(
    seats: Sequence[tuple[float, int, int, float, float]],
    total_m: float,
    ends: tuple[tuple[float, float], tuple[float, float]],
    limit_m: float | None,
    *,
    least_bad: bool = False,
    seats_known: bool = True,
) -> dict[str, Any]:
    """What a route reports about rests: its seats, its longest stretch without one and where
    (``ends``: the route's first and last point as (lon, lat)), the profile's limit and whether
    the route keeps it (None without a limit).

    ``seats_known`` false (the graph's source was not read for seats, a download): the seats
    listed are the few on the network's own nodes, a stretch "without a seat" is one without
    seat data, and a route over the limit does not keep it *as far as known*: ``keeps_limit``
    is None (unknown), not False.
    """
    gap = longest_gap([s[0] for s in seats], total_m)
    keeps = None if limit_m is None else bool(gap.length_m <= limit_m + 1e-6)

    def where(at_m: float) -> dict[str, float]:
        if at_m <= 0.0:
            lon, lat = ends[0]
        elif at_m >= total_m:
            lon, lat = ends[1]
        else:
            hit = min(seats, key=lambda s: abs(s[0] - at_m))
            lon, lat = hit[3], hit[4]
        return {"at_m": round_float(at_m), "lon": lon, "lat": lat}

    return {
        "seats": [
            {
                "at_m": round_float(at),
                "lon": lon,
                "lat": lat,
                "backrest": _BACKREST.get(b, "unknown"),
                "kind": kind,
            }
            for at, b, kind, lon, lat in seats
        ],
        "seat_count": len(seats),
        "longest_gap_m": round_float(gap.length_m),
        "longest_gap": {"from": where(gap.from_m), "to": where(gap.to_m)},
        "limit_m": limit_m,
        "keeps_limit": keeps if seats_known or keeps else None,
        "least_bad": least_bad,
        "seats_known": seats_known,
    }


def combine_rests(
    reports: Sequence[dict[str, Any] | None],
    leg_m: Sequence[float],
) -> dict[str, Any] | None:
    """The rests of a route through via points from its legs' (a via point is a stop: each leg
    starts rested, so the longest stretch is the longest of the legs'). A seat where one leg
    ends and the next begins (a via point on a bench; the legs of a walk that turns back at
    seats, :mod:`routing.seat_turnbacks`) is listed once, as along one walk
    (:data:`SAME_SEAT_M`): both legs list it, and it was counted twice."""
    if not reports or any(r is None for r in reports):
        return None
    seats: list[dict[str, Any]] = []
    offset = 0.0
    longest: dict[str, Any] = {}
    best = -1.0
    for r, m in zip(reports, leg_m, strict=True):
        assert r is not None
        for seat in r["seats"]:
            at_m = round(seat["at_m"] + offset, 1)
            if seats and at_m - seats[-1]["at_m"] < SAME_SEAT_M:
                continue  # the join's seat, listed by the leg before
            seats.append({**seat, "at_m": at_m})
        if r["longest_gap_m"] > best:
            best = r["longest_gap_m"]
            longest = {
                k: {**v, "at_m": round(v["at_m"] + offset, 1)} for k, v in r["longest_gap"].items()
            }
        offset += m
    first = reports[0]
    assert first is not None
    keeps = [r["keeps_limit"] for r in reports if r is not None]
    kept = False if False in keeps else None if None in keeps else True
    return {
        "seats": seats,
        "seat_count": len(seats),
        "longest_gap_m": best,
        "longest_gap": longest,
        "limit_m": first["limit_m"],
        "keeps_limit": None if first["limit_m"] is None else kept,
        "least_bad": any(r["least_bad"] for r in reports if r is not None),
        "seats_known": all(r.get("seats_known", True) for r in reports if r is not None),
    }
