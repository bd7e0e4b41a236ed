"""The one-pass feasibility test before each rest-constrained search
(:func:`routing._kernels.rests.rest_reachable`, called by :meth:`routing.rests.RestQuery.run`)
changes no route: routes with a limit between rests, least-bad ones (a bisection of many searches,
most of which find no walk) included, are the routes made without it, on the real Kaiserslautern
graph with its benches."""

from __future__ import annotations

from typing import Any

import pytest

from routing._kernels import rests as rests_kernels
from tests.routing.trips import seeded_points


def _routes(router: Any, trips: list[tuple[Any, Any]], limit_m: float) -> list[Any]:
    return [
        router.route(a, b, "elderly", max_distance_between_rests_m=limit_m).as_dict()
        for a, b in trips
    ]


@pytest.mark.parametrize("limit_m", [150.0, 300.0, 600.0])
def test_routes_with_rests_are_the_same_without_the_test(
    ksl_router: Any, monkeypatch: pytest.MonkeyPatch, limit_m: float
) -> None:
    points = seeded_points(ksl_router, 31, 24)
    trips = list(zip(points[::2], points[1::2], strict=True))
    calls: list[int] = []
    reachable = rests_kernels.rest_reachable

    def counted(*args: Any) -> int:
        calls.append(int(reachable(*args)))
        return calls[-1]

    monkeypatch.setattr(rests_kernels, "rest_reachable", counted)
    with_test = _routes(ksl_router, trips, limit_m)
    monkeypatch.setattr(rests_kernels, "rest_reachable", lambda *args: rests_kernels.UNDECIDED)
    without = _routes(ksl_router, trips, limit_m)
    assert with_test == without
    assert 0 in calls  # some searches were spared: no walk kept the limit
    assert 1 in calls or limit_m < 300.0
