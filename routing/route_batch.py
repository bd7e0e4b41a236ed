"""Several one-leg routes computed stage by stage: every trip's snaps, then every search, then
every walking detour's search, then every report.

:meth:`routing.engine.Router.route` is :func:`route_many` of one trip, so a batch computes each
route exactly as a single request does, in the same order of steps per trip; only the trips'
steps are interleaved. Why: an answer runs some thirty stages, each with its own code and
tables, and one answer's stages evict one another from the CPU's caches (each stage costs
1.2-3.6× in an answer what it costs repeated on its own, ``benchmarks/bench_answer_stages.py``).
A stage run for several trips in a row finds its code and tables as the trip before left them.
The server computes the short routes queued in a turn of a worker's event loop so
(:func:`api.route_answers.route_answers`, :mod:`api.loop_routes`). Measured 2026-12-04: in
process (``benchmarks/bench_batch.py``, whole answers with their facts, steps, JSON and gzip,
groups of 2 / 4 / 8 with 16 MB written before each group) 0.936 / 0.929 / 0.940 of the time
alone, 0.914 with nothing written between groups of 4; served, ``bench_peers.py`` alternating
with the commit before (three rounds), the workers' CPU per answer 0.720 → 0.633 ms at
concurrency 8 (0.688 → 0.600 at 64), 2,541 → 2,958 routes/s.

A trip that fails at a stage (outside the area, no route, a ``strict`` route that breaks a
limit) gets its exception in its place of the result and takes no further stage; the others go
on.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile
from graphs.features import surroundings_read
from routing.errors import NoRouteError
from routing.query import LatLon, Path, check_latlon
from routing.report import build_route
from routing.rest_walks import RestRouter, rest_walk, with_rests
from routing.rests import LabelBudget, RestsAsked
from routing.seat_turnbacks import route_with_turnbacks

if TYPE_CHECKING:
    from routing.customizer import Customizer
    from routing.metric import Metric
    from routing.route import Route
    from routing.snapper import Snapper
    from routing.snapping import SnapPoint

__all__ = ["BatchRouter", "Trip", "each_going", "route_many", "route_one"]


T = TypeVar("T", bound="_Indexed")


class BatchRouter(RestRouter, Protocol):
    """What a batch asks of :class:`routing.engine.Router` (named here, not imported: the
    engine is the module above this one)."""

    snapper: Snapper
    customizer: Customizer

    def profile(
        self, profile: str | Profile = "walk", overrides: Mapping[str, Any] | None = None
    ) -> Profile: ...
    def customize(self, profile: Profile, conditions: Conditions = ...) -> Metric: ...
    def snap(
        self, point: LatLon, usable: Metric, role: str = "origin", *, allow_underground: bool = ...
    ) -> tuple[SnapPoint, bool]: ...
    def walk_between(self, source: SnapPoint, target: SnapPoint) -> Path | None: ...
    def ends_short(
        self,
        origin: LatLon,
        destination: LatLon,
        path: Path,
        metric: Metric,
        broken: list[str],
        allow_underground: bool,
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class Trip:
    """One route asked of :func:`route_many`: the arguments of
    :meth:`routing.engine.Router.route` (a preset's name or a profile, and overrides of its
    parameters: resolved after both ends are found in the area)."""

    origin: LatLon
    destination: LatLon
    profile: str | Profile = "walk"
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    strict: bool = False
    compare_walk: bool = True
    allow_underground: bool = False
    conditions: Conditions = DEFAULT_CONDITIONS
    #: The directed edge a route through via points arrived on at this trip's origin (the
    #: previous leg's last edge; −1: none). Where that origin is the edge's head node and the
    #: walk goes on from it to another way, it walks past that head: what lies there (a kerb
    #: at a via point on a node) is met, as on a route without the via point.
    arrived_on: int = -1
    #: What the least-bad probes of this trip's request may still settle, shared by its legs
    #: (None: this trip's own :data:`~routing.rests.LEAST_BAD_BUDGETS`).
    least_bad_labels: LabelBudget | None = None


@dataclass(slots=True)
class _Work:
    """What is known of one trip so far (each stage fills its part)."""

    index: int
    trip: Trip
    profile: Profile
    metric: Metric
    source: SnapPoint
    target: SnapPoint
    path: Path | None = None
    least_bad: bool = False
    walk_path: Path | None = None
    route: Route | None = None


def route_many(router: BatchRouter, trips: Sequence[Trip]) -> list[Route | Exception]:
    """The route of every trip (or the exception that trip raised, in its place), computed
    stage by stage over all trips (module doc)."""
    out: list[Route | Exception | None] = [None] * len(trips)
    works: list[_Work] = []
    for i, trip in enumerate(trips):
        try:
            works.append(_begin(router, i, trip))
        except Exception as exc:  # the trip's own error, in its place
            out[i] = exc
    for stage in (_search, _walk, _report, _finish):
        works = each_going(works, out, functools.partial(stage, router))
    for w in works:
        out[w.index] = w.route
    done = [r for r in out if r is not None]
    assert len(done) == len(trips)  # every trip has its route or its exception
    return done


def route_one(router: BatchRouter, trip: Trip) -> Route:
    """The route of one trip (the steps of a batch, in order), or its error raised."""
    (route,) = route_many(router, [trip])
    if isinstance(route, Exception):
        raise route
    return route


class _Indexed(Protocol):
    """An item of a batch: its place in the batch's result."""

    index: int


def each_going(items: Iterable[T], out: list[Any], stage: Callable[[T], None]) -> list[T]:
    """``stage`` for every item still going, in order; an item whose stage raises leaves with
    its exception in its place of ``out`` (the batches of :func:`route_many` and
    :func:`api.route_answers.plans`)."""
    going = []
    for item in items:
        try:
            stage(item)
        except Exception as exc:  # the item's own error, in its place
            out[item.index] = exc
        else:
            going.append(item)
    return going


def _begin(router: BatchRouter, index: int, trip: Trip) -> _Work:
    """Both ends in the area (O(1), before any work), the profile's metric, both snaps."""
    for point, role in ((trip.origin, "origin"), (trip.destination, "destination")):
        router.snapper.check_in_area(*check_latlon(point, role), role)
    prof = router.profile(trip.profile, trip.overrides)
    metric = router.customize(prof, trip.conditions)
    under = trip.allow_underground
    source, _ = router.snap(trip.origin, metric, "origin", allow_underground=under)
    target, _ = router.snap(trip.destination, metric, "destination", allow_underground=under)
    return _Work(index, trip, prof, metric, source, target)


def _search(router: BatchRouter, w: _Work) -> None:
    """The profile's search; with a limit between rests, the exact rest-constrained one (a
    constraint on the whole walk), or the least bad route when none keeps it."""
    limit = w.profile.max_distance_between_rests_m
    if limit is None:
        path = router.shortest_path(w.source, w.target, w.metric)
    else:
        path, w.least_bad = rest_walk(
            router, w.source, w.target, w.metric, limit, budget=w.trip.least_bad_labels
        )
    w.path = _going_on(router, path, w.trip.arrived_on, w.metric)


def _going_on(router: BatchRouter, path: Path, arrived_on: int, metric: Metric) -> Path:
    """``path``, begun with the edge the walk arrived on (a piece of no length at its head)
    where it starts at that head node on another way (not back along the edge): the head's
    kerb, crossing or barrier is then met and charged as on a walk through the node. The
    search that found ``path`` started at the node itself, which holds none of it. This is
    the one walk that begins with a piece at its head: a continuation, not a start, so its
    head is charged here (:func:`~routing.query.piece_cost` prices such a piece as a start:
    nothing), and the verdict, which reads every first piece but the last as going on, counts
    what the head holds."""
    if arrived_on < 0 or path.start != 0.0 or len(path.edges) == 0:
        return path
    graph = router.graph
    first = int(path.edges[0])
    if int(graph.tail[first]) != int(graph.head[arrived_on]):
        return path  # it starts elsewhere (a via point inside an edge)
    if first == arrived_on or first == int(graph.edge["reverse_edge"][arrived_on]):
        return path  # back the way it came: it never walks past the head
    if graph.node["closed"][graph.tail[first]]:
        return path  # a closed node is met where the walk starts on it (the first piece's tail)
    return dataclasses.replace(
        path,
        edges=np.concatenate((np.asarray([arrived_on], dtype=np.int64), path.edges)),
        start=1.0,
        cost_s=path.cost_s + float(metric.weights.head_s[arrived_on]),
    )


def _walk(router: BatchRouter, w: _Work) -> None:
    """The plain walking route between the same snaps (nearest point whatever the profile: no
    second snap), the detour's reference; the route itself for the plain walk."""
    if not w.trip.compare_walk:
        return
    prof = w.profile
    walk = router.profile("walk")  # equal profiles have equal names: the cheap test first
    plain_walk = prof is walk or (prof.name == walk.name and prof == walk)
    w.walk_path = w.path if plain_walk else router.walk_between(w.source, w.target)


def _report(router: BatchRouter, w: _Work) -> None:
    """The report, with its rests report (made from the lengths and polyline at hand)."""
    assert w.path is not None  # _search found it
    prof = w.profile
    limit = prof.max_distance_between_rests_m
    # nearest-point snapping hides nothing at the ends: what lies between the network and the
    # place asked for is on the route's own pieces
    table, weights = router.customizer.report_table(), w.metric.weights
    asked = RestsAsked(limit, w.least_bad, surroundings_read(router.graph))
    route = build_route(router.graph, table, prof, weights, w.path, w.walk_path, rests=asked)
    if limit is not None:  # a walk to a seat turns back at the seat (routing.seat_turnbacks)
        route = route_with_turnbacks(
            router.graph, table, prof, weights, w.path, w.walk_path, route, asked
        )
    w.route = with_rests(router, route, w.path, prof, least_bad=w.least_bad)


def _finish(router: BatchRouter, w: _Work) -> None:
    """A route that breaks the limits: ``strict`` raises naming them; else it gets
    ``ends_short`` (where a route honouring them would end), unless only rests are broken
    (moving the ends does not bring seats nearer)."""
    route, path, trip = w.route, w.path, w.trip
    assert route is not None  # _report made it
    assert path is not None
    if route.accessibility.verdict != "no":
        return
    # the report's breaks are the one rule of what a walk breaks (only what it reaches)
    limits = sorted({b.limit for b in route.accessibility.breaks})
    if trip.strict:
        raise NoRouteError(
            "no route honours the profile's limits; the destination is reachable only by "
            f"breaking: {', '.join(limits)}",
            broken_limits=limits,
            violations=[v.as_dict() for v in route.violations[:20]],
        )
    if limits == ["rests"]:
        return
    short = router.ends_short(
        trip.origin, trip.destination, path, w.metric, limits, trip.allow_underground
    )
    w.route = dataclasses.replace(route, ends_short=short)
