"""Routes computed together (:meth:`Router.route_many`, stage by stage) are the routes computed
one by one (:meth:`Router.route`), and a trip that fails fails alone, with the error it raises
alone: out of the area, coordinates that are no number, an unknown profile, a ``strict`` route
that breaks a limit, a rest limit (the rest-constrained search), no walking comparison."""

from __future__ import annotations

from typing import Any

import pytest

from routing.route_batch import Trip
from tests.routing.trips import seeded_points

#: Limits many routes of the city break (:func:`_breaking_pair`).
STRICTEST = {
    "max_kerb_height_cm": 0,
    "max_incline_percent": 0.5,
    "comfortable_incline_percent": 0.5,
}
FAR = (52.52, 13.40)  # Berlin


def _alone(router: Any, trip: Trip) -> Any:
    """:meth:`Router.route` of ``trip``: the route, or the exception it raised."""
    try:
        return router.route(
            trip.origin, trip.destination, trip.profile, strict=trip.strict,
            compare_walk=trip.compare_walk, allow_underground=trip.allow_underground,
            conditions=trip.conditions, **trip.overrides,
        )  # fmt: skip
    except Exception as exc:  # compared with the batch's
        return exc


def _same(together: Any, alone: Any) -> None:
    if isinstance(alone, Exception):
        assert type(together) is type(alone)
        assert str(together) == str(alone)
        return
    assert not isinstance(together, Exception), together
    assert together == alone
    assert together.as_dict() == alone.as_dict()


def test_routes_together_are_the_routes_alone(uni_router: Any) -> None:
    points = seeded_points(uni_router, 11, 24)
    presets = ["wheelchair", "walk", "rollator", "blind", "elderly", "wheelchair"]
    trips = [
        Trip(a, b, presets[i % len(presets)], compare_walk=i % 5 != 4)
        for i, (a, b) in enumerate(zip(points[::2], points[1::2], strict=True))
    ]
    assert any(t.profile == "elderly" for t in trips)  # a rest limit among them
    together = uni_router.route_many(trips)
    assert len(together) == len(trips)
    for trip, route in zip(trips, together, strict=True):
        _same(route, _alone(uni_router, trip))


def _breaking_pair(router: Any) -> tuple[Any, Any]:
    """The first seeded pair whose route with :data:`STRICTEST` breaks a limit (not rests)."""
    for seed in range(200):
        a, b = seeded_points(router, 100 + seed, 2)
        route = router.route(a, b, "wheelchair", compare_walk=False, **STRICTEST)
        if route.accessibility.verdict == "no":
            return a, b
    pytest.fail("no seeded pair breaks the strictest limits")


def test_a_trip_that_fails_fails_alone(uni_router: Any) -> None:
    a, b, c, d = seeded_points(uni_router, 12, 4)
    e, f = _breaking_pair(uni_router)
    trips = [
        Trip(a, b, "wheelchair"),
        Trip(FAR, b, "wheelchair"),  # out of the area: before any search
        Trip((float("nan"), 7.76), b, "walk"),  # not a coordinate
        Trip(c, d, "no-such-profile"),
        Trip(e, f, "wheelchair", STRICTEST, strict=True),  # no route keeps these limits
        Trip(c, b, "wheelchair", {"max_kerb_height_cm": -3}),  # out of range: refused
        Trip(c, d, "walk"),
    ]
    together = uni_router.route_many(trips)
    alone = [_alone(uni_router, t) for t in trips]
    assert [type(r).__name__ for r in together] == [
        "Route", "OutOfAreaError", "InvalidCoordinateError", "UnknownProfileError",
        "NoRouteError", "ParameterOutOfRangeError", "Route",
    ]  # fmt: skip
    for got, want in zip(together, alone, strict=True):
        _same(got, want)


def test_route_many_of_nothing_is_nothing(uni_router: Any) -> None:
    assert uni_router.route_many([]) == []


@pytest.mark.parametrize("strict", [False, True])
def test_a_route_breaking_limits_has_its_ends_short_together_too(
    uni_router: Any, strict: bool
) -> None:
    a, b = _breaking_pair(uni_router)
    trip = Trip(a, b, "wheelchair", STRICTEST, strict=strict)
    (got,) = uni_router.route_many([trip, Trip(b, a, "walk")])[:1]
    _same(got, _alone(uni_router, trip))
