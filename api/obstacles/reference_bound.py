"""When the reference route of ``obstacles.avoided`` cannot pass an obstacle: a bound, no search.

A route names an obstacle as *avoided* when the obstacle lies on the route the same profile (or
the plain walk) takes on the map *without* obstacles
(:meth:`api.obstacles.live.LiveObstacles.describe`). That reference route is searched whenever
an obstacle lies inside the ellipse around the trip, and with a closure or two in the city that
is most answers. Measured 2026-12-07 on Kaiserslautern with two closures active: 542 of 600
answers searched one or two, and an answer cost 1.06 ms against 0.76 without obstacles; served
at concurrency 64 the two workers answered 1,440–1,480 routes/s against 1,900–1,990 on the same
CPU, and the route p99 rose as much as with a closure written and deleted every second.

Most of those searches find nothing: the obstacle is near, but no cheapest way passes it. That
can be proved without a search. Let ``s`` and ``t`` be the trip's snapped ends and ``e = u→v``
an edge of an obstacle that is neither the edge ``s`` or ``t`` lies on nor its twin (those are
walked in part). A walk from ``s`` through ``e`` to ``t`` first reaches an end node ``a`` of
``s``'s edge and last leaves from an end node ``b`` of ``t``'s edge (the pieces from ``s`` and to
``t`` cost no less than zero), so it costs at least ``lb(a, u) + cost(e) + lb(v, b)``, the least
over ``a`` and ``b``, where ``lb`` is the reference metric's landmark bound (a lower bound of the
cost between two nodes in either direction: the one its searches steer by) and ``cost(e)`` the
edge with the transition at its head, or without it where ``v`` is such a ``b`` (a walk may end
on ``v``, and its last piece pays no transition). And the
cheapest walk from ``s`` to ``t`` costs at most what a known walk between them costs on the same
metric: the answer's own route, or its plain-walk comparison route (the same snapped ends, any
profile: a walk is a walk), priced edge by edge at every edge's full cost, which is at least
what a partial end piece costs (:func:`known_walk_cost`). If every edge of every obstacle in
question costs more than that by the bound (strictly: whatever a search picks among equal
walks), no cheapest walk passes any of them, and the reference route cannot have one on it: the
answer is what the search would give, without it.

Not for a trip through via points or with a limit between rests (the reference route is then
not the cheapest walk between two points), nor for more than :data:`MAX_OBSTACLES` obstacles in
question: the more obstacles in the city, the likelier one of them lies near enough to every
route that the bound cannot rule it out (searches spared with 2 closures active: 367 of 542;
with 20: 193 of 861; with 300: 77 of 863, by a prototype).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from graphs.model import CompiledGraph
from routing._kernels.near_walk import walks_through_cost_more
from routing.metric import Metric
from routing.snapping import SnapPoint

__all__ = ["MAX_OBSTACLES", "cannot_pass", "known_walk_cost", "snapped_at"]

#: The bound is tried for at most this many obstacles in question (more: the search decides).
#: Every try costs, and only a proof saves (600 answers in process, 2026-12-07, the bound on
#: against off): with 2 closures active 367 of 542 searches were spared and answers took 0.94×
#: the time; with 20 only 193 of 861, and 1.006× (the tries cost what the spared searches saved).
MAX_OBSTACLES = 16
#: The known walk's cost is raised by this share and these seconds before the comparison: its
#: sum, in another order than the search's, may differ from the search's in the last bits.
_SLACK_SHARE = 1e-9
_SLACK_S = 1e-6


def snapped_at(
    snapped: Mapping[str, Mapping[str, float]], source: SnapPoint, target: SnapPoint
) -> bool:
    """Whether a route's ``snapped`` ends (``Route.snapped``: ``origin`` and ``destination``,
    each ``lon``/``lat``) are ``source`` and ``target``: only then are its walks walks between
    them (a route snapped below ground, ``allow_underground``, starts elsewhere than the
    reference route, which is snapped as every route is by default)."""
    origin, destination = snapped.get("origin"), snapped.get("destination")
    return (
        origin is not None
        and destination is not None
        and (origin.get("lon"), origin.get("lat")) == (source.lon, source.lat)
        and (destination.get("lon"), destination.get("lat")) == (target.lon, target.lat)
    )


def known_walk_cost(metric: Metric, walks: Sequence[Sequence[int]]) -> float:
    """The least of the costs of ``walks`` (each the directed edges of a walk between the same
    two points, in order) on ``metric``, every edge at its full cost: at least what the
    cheapest of them costs as a walk between those points (``inf`` when none is given or none
    is usable on the metric)."""
    cost = metric.cost_s
    best = math.inf
    for walk in walks:
        if len(walk):
            best = min(best, float(cost[np.asarray(walk, dtype=np.int64)].sum()))
    return best


def cannot_pass(
    metric: Metric,
    graph: CompiledGraph,
    source: SnapPoint,
    target: SnapPoint,
    edges: np.ndarray,
    known_cost_s: float,
) -> bool:
    """Whether no cheapest walk from ``source`` to ``target`` on ``metric`` walks any of
    ``edges`` (directed edge ids), given a walk between them that costs at most
    ``known_cost_s`` on it (:func:`known_walk_cost`). False means "not proved", not "passes"."""
    if not math.isfinite(known_cost_s):
        return False
    twin = graph.edge["reverse_edge"]
    ends = {source.edge, int(twin[source.edge]), target.edge, int(twin[target.edge])}
    if not ends.isdisjoint(edges.tolist()):  # walked in part from an end: no bound holds
        return False
    tail, head = graph.tail, graph.head
    lm = metric.landmarks
    return bool(
        walks_through_cost_more(
            np.ascontiguousarray(edges, dtype=np.int64), tail, head, metric.weights.way_s,
            metric.weights.head_s, lm.dist, float(lm.scale),
            np.array([tail[source.edge], head[source.edge]], dtype=np.int64),
            np.array([tail[target.edge], head[target.edge]], dtype=np.int64),
            known_cost_s * (1.0 + _SLACK_SHARE) + _SLACK_S,
        )
    )  # fmt: skip
