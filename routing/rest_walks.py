"""Walks of a profile with a limit between rests: the exact rest-constrained search around the
router, the least bad walk when none keeps the limit, and the rests report on a route.

Functions over a router (:class:`RestRouter`: what they ask of
:class:`routing.engine.Router`), as :func:`routing.route_batch.route_many` is: the kernels'
search is :func:`routing._kernels.rests.rest_search`, its reusable state
:class:`~routing.rests.RestQuery` (one per thread, the router's), and :mod:`routing.rests` says
why the least bad walk is this and not the plain optimum.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Protocol

import numpy as np

from accessibility_rules.profile import Profile
from accessibility_rules.weights import VIOLATION_PENALTY_S
from graphs.features import surroundings_read
from routing.errors import SearchBudgetError
from routing.query import Path, walked_ends
from routing.rests import (
    LEAST_BAD_STEPS,
    LEAST_BAD_TOLERANCE_M,
    LabelBudget,
    RestQuery,
    direct_keeps,
    pieces_longest_gap,
    rests_report,
    walk_seats,
)
from routing.route import Accessibility, Break, Place, Reliance, Violation
from routing.walk_pieces import direct_piece, exit_pieces, start_pieces

if TYPE_CHECKING:
    from graphs.model import CompiledGraph
    from routing.metric import Metric
    from routing.route import Route
    from routing.snapping import SnapPoint

__all__ = [
    "RestRouter",
    "least_bad_budget",
    "least_bad_rest_path",
    "rest_path",
    "rest_walk",
    "seat_cost_ceiling",
    "with_rests",
]


class RestRouter(Protocol):
    """What the rest walks ask of :class:`routing.engine.Router` (named here, not imported:
    the engine is the module above this one)."""

    graph: CompiledGraph

    def shortest_path(self, source: SnapPoint, target: SnapPoint, metric: Metric) -> Path: ...
    def rest_query(self) -> RestQuery: ...
    def charge_rent(
        self, metric: Metric, settled: int, source: SnapPoint, target: SnapPoint
    ) -> None: ...


def seat_cost_ceiling(plain: Path) -> float:
    """What a walk that keeps a limit between rests must cost less than to be taken: the cost
    of ``plain``, the profile's cheapest walk under the same metric, plus one broken limit's
    flat part (:data:`~accessibility_rules.weights.VIOLATION_PENALTY_S`). By the severity rule
    a walk that breaks a limit the plain route keeps costs at least that much more, and a walk
    of a city far less: below the ceiling a walk breaks no more of the profile's limits. A
    stretch without a seat ranks below every other limit: an elderly user's seats were bought
    with a closed sidewalk (the rest search had taken the only walk with seats close enough,
    through a staff closure, where the plain route went around it). The rest searches take it
    as their bound (``max_cost``), so such walks are not even searched for."""
    return plain.cost_s + VIOLATION_PENALTY_S


def rest_path(
    router: RestRouter,
    source: SnapPoint,
    target: SnapPoint,
    metric: Metric,
    limit_m: float,
    max_labels: int | None = None,
    max_cost: float = math.inf,
) -> Path | None:
    """Least-cost path between two snapped points under ``metric`` on which no stretch
    without a seat is longer than ``limit_m`` (exact:
    :func:`routing._kernels.rests.rest_search`),
    or None when there is none (costing less than ``max_cost``). The walk starts rested at
    the origin. ``max_labels``: a smaller label budget than the search's own
    (:func:`least_bad_rest_path`'s probes)."""
    query = router.rest_query()
    try:
        res = query.run(
            metric, limit_m, start_pieces(router.graph, source), exit_pieces(router.graph, target),
            (target.lat, target.lon), max_labels, max_cost,
        )  # fmt: skip
    finally:  # its labels searched on the metric's landmarks too (a probe past its budget)
        router.charge_rent(metric, query.last_settled, source, target)
    direct = direct_piece(router.graph, source, target, metric)
    if (
        direct is not None
        and direct[1] < max_cost
        and math.isfinite(direct[1])
        and direct_keeps(router.graph, direct[0], limit_m)
        and (res is None or direct[1] <= res.cost_s)
    ):
        piece = direct[0]
        settled = 0 if res is None else res.settled_labels
        return Path(
            np.array([piece.edge]), piece.start, piece.end, direct[1], source, target, settled
        )
    if res is None:
        return None
    edges, start, end = walked_ends(res.edges, res.start, res.end)  # as shortest_path
    return Path(edges, start, end, res.cost_s, source, target, res.settled_labels)


def rest_walk(
    router: RestRouter,
    source: SnapPoint,
    target: SnapPoint,
    metric: Metric,
    limit_m: float,
    *,
    least_bad: bool = True,
    budget: LabelBudget | None = None,
) -> tuple[Path, bool]:
    """The path a profile with ``limit_m`` between rests walks, and whether it is not the
    cheapest walk keeping the limit: the least bad one (:func:`least_bad_rest_path`; the
    plain optimum when not ``least_bad``), because no walk keeps the limit or each that does
    breaks more of the profile's other limits than the plain optimum
    (:func:`seat_cost_ceiling`: seats are never bought with a closure or a flight of steps).
    ``budget``: what the request's least-bad probes may still settle (its legs share it)."""
    plain = router.shortest_path(source, target, metric)
    found = rest_path(router, source, target, metric, limit_m, max_cost=seat_cost_ceiling(plain))
    if found is not None:
        return found, False
    if not least_bad:
        return plain, True
    return least_bad_rest_path(router, source, target, metric, limit_m, plain, budget), True


def least_bad_budget(router: RestRouter) -> LabelBudget:
    """A fresh label budget for one request's least-bad probes
    (:data:`~routing.rests.LEAST_BAD_BUDGETS` rest searches'), to share between its legs."""
    return LabelBudget.of_request(router.rest_query().max_labels)


def least_bad_rest_path(
    router: RestRouter,
    source: SnapPoint,
    target: SnapPoint,
    metric: Metric,
    limit_m: float,
    plain: Path | None = None,
    budget: LabelBudget | None = None,
) -> Path:
    """When no path keeps ``limit_m`` (without breaking more of the profile's other limits
    than the plain optimum, :func:`seat_cost_ceiling`): the cheapest among such paths whose
    longest stretch without a seat is shortest, to within
    :data:`~routing.rests.LEAST_BAD_TOLERANCE_M` (bisection over the limit between
    ``limit_m`` and the plain optimum's longest stretch; see :mod:`routing.rests` for why
    this and not the plain optimum). ``plain``: that optimum, if the caller has it. A probe
    that runs out of its label budget counts as "not kept" (the result stays a real walk),
    and all probes together settle at most :data:`~routing.rests.LEAST_BAD_BUDGETS`
    searches' budgets, or what is left of the request's ``budget`` (drawn from here): then
    the best walk found so far is the answer (its longest stretch is what the route
    reports)."""
    best = plain if plain is not None else router.shortest_path(source, target, metric)
    lo, hi = limit_m, pieces_longest_gap(router.graph, best.pieces)
    ceiling = seat_cost_ceiling(best)
    query = router.rest_query()
    if budget is None:
        budget = least_bad_budget(router)
    left = budget.left
    for _ in range(LEAST_BAD_STEPS):
        if hi - lo <= LEAST_BAD_TOLERANCE_M or left <= 0:
            break
        mid = 0.5 * (lo + hi)
        try:
            found = rest_path(
                router, source, target, metric, mid, max_labels=left, max_cost=ceiling
            )
        except SearchBudgetError:
            found = None
        left -= query.last_settled
        if found is None:
            lo = mid
        else:
            best, hi = found, pieces_longest_gap(router.graph, found.pieces)
    budget.left = max(0, left)
    return best


def with_rests(
    router: RestRouter, route: Route, path: Path, profile: Profile, *, least_bad: bool = False
) -> Route:
    """``route`` with its rests report (:func:`~routing.rests.rests_report`; the one it has
    when :func:`~routing.report.build_route` made it, as a route's and a via route's
    searches ask) and, when its longest stretch without a seat exceeds the profile's limit, a break
    of limit ``"rests"`` there (verdict ``"no"``). On a graph whose source was not read for seats
    (a download, :func:`~graphs.features.surroundings_read`) that stretch is one without
    seat data: the route relies on unknown ``seat`` data there (verdict at best
    ``"unknown"``), it breaks nothing known."""
    limit = profile.max_distance_between_rests_m
    report = route.rests
    if report is None:
        seats = walk_seats(router.graph, path.edges, path.start, path.end)
        ends = ((path.source.lon, path.source.lat), (path.target.lon, path.target.lat))
        if route.geometry:
            ends = (tuple(route.geometry[0]), tuple(route.geometry[-1]))  # type: ignore[assignment]
        report = rests_report(
            seats, route.distance_m, ends, limit, least_bad=least_bad,
            seats_known=surroundings_read(router.graph),
        )  # fmt: skip
        route = dataclasses.replace(route, rests=report)
    if limit is None or report["keeps_limit"]:
        return route
    known = report["seats_known"]
    gap = report["longest_gap"]
    where = gap["from"]
    acc = route.accessibility
    if not known:
        place = Place(where["at_m"], where["lon"], where["lat"])
        reliance = Reliance("seat", None, report["longest_gap_m"], [place])
        verdict = "unknown" if acc.verdict == "yes" else acc.verdict
        return dataclasses.replace(
            route,
            accessibility=Accessibility(
                verdict, acc.known_share, acc.breaks, [*acc.relies_on, reliance]
            ),
        )
    brk = Break(
        "rests", "seat", where["at_m"], where["lon"], where["lat"], report["longest_gap_m"],
        limit, "m", False,
        f"{report['longest_gap_m']:.0f} m without a seat from {gap['from']['at_m']:.0f} m to "
        f"{gap['to']['at_m']:.0f} m (limit {limit:.0f} m between rests)",
    )  # fmt: skip
    breaks = sorted([*acc.breaks, brk], key=lambda b: b.at_m)
    violation = Violation(brk.limit, brk.at_m, brk.lon, brk.lat, brk.message)
    return dataclasses.replace(
        route,
        accessibility=Accessibility("no", acc.known_share, breaks, acc.relies_on),
        violations=sorted([*route.violations, violation], key=lambda v: v.at_m),
    )
