"""Turning back at a seat, not at the end of the way it stands on.

The rest-constrained search (:func:`routing._kernels.rests.rest_search`) walks between nodes: to
rest at a bench that stands beside a way, a walk goes along the whole edge past the bench to the
next node and back (a U-turn there), resting at the bench on the way out and again on the way
back. On Kaiserslautern, 63 of 200 ``elderly`` routes walked such an out-and-back, a median of
80 m (at most 252 m) more than turning back at the bench (2026-12-05, seeded trips; the city
maps its benches beside the ways, not on their nodes).

The rule: where a walk goes along an edge and straight back along its reverse (a U-turn at the
edge's head), and a seat stands on the edge before its head, the walk turns back at the first
such seat instead. That walk is never worse for the rest limit and never costs more:

* up to the seat it is the same walk, and it rests there as before;
* back at the edge's tail it has walked as far since its last rest as before (walking back
  either way, the last seat it passes is the first one along the edge);
* what it leaves out (from the seat to the head and back, and what the head holds) has no
  negative cost and no rest the walk needs.

A walk with such turns is reported as legs joined at the seats
(:func:`routing.report.combine_routes`), each starting rested at its seat, without the via
points' stops (nothing to announce but the seat and the U-turn, which the steps say anyway).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from accessibility_rules.profile import Profile
from accessibility_rules.weights import EdgeWeights
from graphs.model import CompiledGraph
from routing.query import Path, PathPiece
from routing.report import build_route, combine_routes
from routing.report_table import ReportTable
from routing.rests import RestsAsked, combine_rests, piece_seats
from routing.route import Route
from routing.walking import detour, walked_length_m

__all__ = ["SAME_PLACE_M", "Turnback", "route_with_turnbacks", "seat_turnbacks", "split_at"]

#: A seat at most this far before the edge's head is at the head: no shorter turn there
#: (metres; the U-turn at the node is the turn at the seat).
SAME_PLACE_M = 0.5


@dataclasses.dataclass(frozen=True, slots=True)
class Turnback:
    """A U-turn moved to a seat: piece ``index`` of the walk (its edge; the next piece is the
    reverse edge) is walked to ``fraction`` of the edge, where the seat stands, and the walk
    goes back from there."""

    index: int
    fraction: float


def seat_turnbacks(graph: CompiledGraph, path: Path) -> list[Turnback]:
    """The U-turns of ``path`` that a seat on the way moves (module doc), in walking order.

    A piece qualifies when the next piece is its reverse edge walked whole (not the walk's
    last piece ending inside it) and a seat stands on it more than :data:`SAME_PLACE_M` from
    where the piece begins and from its head: the walk turns back at the first such seat (on
    the way back it passes every seat before it, so it reaches the piece's beginning as
    rested as before); a piece is not cut twice."""
    edges = path.edges.tolist()
    if len(edges) < 2:
        return []
    reverse = graph.edge["reverse_edge"]
    length = graph.edge["length_m"]
    out: list[Turnback] = []
    last = len(edges) - 1
    i = 0
    while i < last:
        e = edges[i]
        back = edges[i + 1]
        whole_back = i + 1 < last or path.end >= 1.0
        if int(reverse[e]) != back or not whole_back:
            i += 1
            continue
        start = path.start if i == 0 else 0.0
        metres = float(length[e])
        _, seats = piece_seats(graph, PathPiece(e, start, 1.0))
        ahead = seats[0][seats[0] > SAME_PLACE_M]  # a seat where the piece begins: none ahead
        at_m = start * metres + float(ahead[0]) if len(ahead) else metres
        if metres > 0.0 and at_m < metres - SAME_PLACE_M:
            out.append(Turnback(i, at_m / metres))
            i += 2  # the piece back begins the next leg
        else:
            i += 1
    return out


def split_at(path: Path, turns: list[Turnback], weights: EdgeWeights) -> list[Path]:
    """``path`` as legs that end and begin at the seats of ``turns`` (:func:`seat_turnbacks`).

    Each leg keeps the path's source and target (a route made of legs reports the first leg's
    origin and the last one's destination). The first leg carries the cost of the whole walk
    with the turns, the others none (a route's cost is its legs' sum): the path's cost less,
    per turn, the rest of the edge there and back and what its head holds (``weights``: the
    metric's, :func:`~routing.query.piece_cost`'s rule)."""
    if not turns:
        return [path]
    edges = path.edges
    left_out_s = 0.0
    legs: list[Path] = []
    begin, start = 0, path.start
    for turn in turns:
        e, back = int(edges[turn.index]), int(edges[turn.index + 1])
        rest = 1.0 - turn.fraction
        left_out_s += rest * float(weights.way_s[e] + weights.way_s[back])
        left_out_s += float(weights.head_s[e])
        legs.append(
            dataclasses.replace(
                path,
                edges=np.ascontiguousarray(edges[begin : turn.index + 1]),
                start=start,
                end=turn.fraction,
                cost_s=0.0,
            )
        )
        begin, start = turn.index + 1, rest
    legs.append(
        dataclasses.replace(
            path, edges=np.ascontiguousarray(edges[begin:]), start=start, cost_s=0.0
        )
    )
    legs[0] = dataclasses.replace(legs[0], cost_s=path.cost_s - left_out_s)
    return legs


def route_with_turnbacks(
    graph: CompiledGraph,
    table: ReportTable,
    profile: Profile,
    weights: EdgeWeights,
    path: Path,
    walk_path: Path | None,
    route: Route,
    rests: RestsAsked,
) -> Route:
    """``route`` (the report of ``path``, its detour against ``walk_path``) with its U-turns
    moved to the seats on the way (module doc), or ``route`` itself when there are none. The
    plain walk it is measured against stays ``route``'s; only the distance is shorter."""
    turns = seat_turnbacks(graph, path)
    if not turns:
        return route
    legs = [
        build_route(graph, table, profile, weights, leg, None, rests=rests)
        for leg in split_at(path, turns, weights)
    ]
    joined = combine_routes(legs)
    walk_m = None
    if walk_path is not None:  # the walk's metres as the report measured them for ``route``
        lengths = graph.edge["length_m"][walk_path.edges]
        walk_m = walked_length_m(lengths, float(walk_path.start), float(walk_path.end))
    return dataclasses.replace(
        joined,
        stops=[],  # the joins are seats, not via points
        rests=combine_rests([leg.rests for leg in legs], [leg.distance_m for leg in legs]),
        detour=None if walk_m is None else detour(joined.distance_m, walk_m),
        walk_edges=route.walk_edges,
        walk_meets=route.walk_meets,
        snapped=route.snapped,
    )
