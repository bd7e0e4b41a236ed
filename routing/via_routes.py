"""A route through via points, and alternatives to a route (the penalty method).

A function over the router (:class:`~routing.route_batch.BatchRouter`: what a batch of routes
asks of it), as :func:`routing.route_batch.route_many` is:
:meth:`routing.engine.Router.route_via` is this. Each leg is a route of its own
(:func:`~routing.route_batch.route_many` of one trip) going on from the edge the leg before it
arrived on, the legs sharing one budget of least-bad probes; the legs' reports are combined
into one (:func:`~routing.report.combine_routes`).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile
from graphs.features import surroundings_read
from routing.errors import InvalidCoordinateError, SearchBudgetError
from routing.query import LatLon, piece_cost
from routing.report import build_route, combine_routes
from routing.rest_walks import least_bad_budget, rest_walk, with_rests
from routing.rests import RestsAsked, combine_rests
from routing.route_batch import BatchRouter, Trip, route_one
from routing.walking import detour

if TYPE_CHECKING:
    from routing.route import Route

__all__ = ["route_via"]


def route_via(
    router: BatchRouter,
    points: list[LatLon],
    profile: str | Profile = "walk",
    *,
    strict: bool = False,
    alternatives: int = 0,
    allow_underground: bool = False,
    conditions: Conditions = DEFAULT_CONDITIONS,
    **overrides: Any,
) -> list[Route]:
    """The route through ``points`` in order, then up to ``alternatives`` different ones.

    Alternatives (only without via points) come from the penalty method: edges of the routes
    found so far cost 1.5× more, and a new route is kept if it shares at most 80 % of its
    length with each earlier one. A search for an alternative that exceeds its budget (the
    penalised costs loosen the search's bound) ends the alternatives: the routes found
    stand, where the whole request had failed.
    """
    if len(points) < 2:
        raise InvalidCoordinateError("a route needs an origin and a destination")
    legs: list[Route] = []
    budget = least_bad_budget(router)  # the legs' together
    for a, b in itertools.pairwise(points):
        # each leg after the first goes on from the edge the last one arrived on
        arrived = legs[-1].edges[-1] if legs and legs[-1].edges else -1
        trip = Trip(
            a, b, profile, overrides, strict=strict, allow_underground=allow_underground,
            conditions=conditions, arrived_on=arrived, least_bad_labels=budget,
        )  # fmt: skip
        legs.append(route_one(router, trip))
    main = combine_routes(legs)
    if len(legs) > 1:  # each leg starts rested: a via point is a stop
        main = dataclasses.replace(
            main,
            rests=combine_rests([leg.rests for leg in legs], [leg.distance_m for leg in legs]),
        )
    routes = [main]
    if alternatives <= 0 or len(points) != 2:
        return routes
    prof = router.profile(profile, overrides)
    metric = router.customize(prof, conditions)
    weights = metric.weights
    source, _ = router.snap(points[0], metric, "origin", allow_underground=allow_underground)
    target, _ = router.snap(points[1], metric, "destination", allow_underground=allow_underground)
    cost = weights.cost_s.copy()
    rev = router.graph.edge["reverse_edge"]
    length = router.graph.edge["length_m"]
    for _ in range(3 * alternatives):
        if len(routes) > alternatives:
            break
        used = np.array(routes[-1].edges, dtype=np.int64)
        cost[used] *= 1.5
        twins = rev[used]
        cost[twins[twins >= 0]] *= 1.5
        # the penalised copy keeps the metric's landmarks: no customisation per alternative
        penalised = metric.penalised(cost.copy())
        limit = prof.max_distance_between_rests_m
        try:
            path = (
                router.shortest_path(source, target, penalised)
                if limit is None
                else rest_walk(router, source, target, penalised, limit, least_bad=False)[0]
            )
        except SearchBudgetError:  # a wish past its budget: the routes found so far stand
            break
        edges = set(int(p.edge) for p in path.pieces) | {int(rev[p.edge]) for p in path.pieces}
        own = sum(float(length[p.edge]) for p in path.pieces)
        if own <= 0:
            break
        similar = any(
            sum(float(length[e]) for e in set(r.edges) if e in edges) / own > 0.8 for r in routes
        )
        if similar:
            continue
        pieces = path.pieces
        true_cost = sum(
            piece_cost(weights, p, last=i == len(pieces) - 1) for i, p in enumerate(pieces)
        )
        path = dataclasses.replace(path, cost_s=true_cost)
        routes.append(
            with_rests(
                router,
                build_route(
                    router.graph,
                    router.customizer.report_table(),
                    prof,
                    weights,
                    path,
                    None,
                    rests=RestsAsked(limit, False, surroundings_read(router.graph)),
                ),
                path,
                prof,
            )
        )
    walk_m = main.detour["walk_distance_m"] if main.detour else None
    return [main] + [
        dataclasses.replace(alt, detour=None if walk_m is None else detour(alt.distance_m, walk_m))
        for alt in routes[1:]
    ]
