"""The least-bad route on real data (issue 10, item 3): severity, not metres of violation, decides.

Kaiserslautern (whole extract with the SRTM tile), wheelchair, 49.424120,7.742870 →
49.424810,7.742130: the route used to be 2,075 m (13.9× walking) over three flights of steps,
because a metre of steps weighed like a metre of slightly too steep slope. A 215 m step-free path
exists whose only fault is about 95 m at 6.2–7.1 %, an incline estimated from the elevation model.
"""

from __future__ import annotations

from typing import Any

import pytest

from accessibility_rules.profile import make_profile

ORIGIN = (49.424120, 7.742870)
DESTINATION = (49.424810, 7.742130)


def _steps(route: Any) -> list[Any]:
    return [b for b in route.barriers if b.kind == "steps"]


@pytest.mark.slow
@pytest.mark.parametrize("estimated_breaks", [False, True])
def test_wheelchair_takes_the_short_slightly_steep_path_not_the_steps(
    ksl_router: Any, estimated_breaks: bool
) -> None:
    profile = make_profile("wheelchair", {"estimated_incline_breaks_limit": estimated_breaks})
    route = ksl_router.route(ORIGIN, DESTINATION, profile)
    assert 180.0 < route.distance_m < 260.0  # the ~215 m path, not the 2,075 m one
    assert _steps(route) == []
    assert {v.limit for v in route.violations} <= {"incline"}
    steep = [b for b in route.barriers if b.kind == "steep"]
    assert steep, "the slope the route relies on is reported"
    assert all(b.details["source"] == "dem" for b in steep)
    if estimated_breaks:  # the estimate breaks the 6 % limit: least bad, and said so
        assert {v.limit for v in route.violations} == {"incline"}
    else:  # the estimate is not knowledge: no break, the incline is unknown
        assert route.violations == []
        assert "incline" in route.unknowns


@pytest.mark.slow
def test_the_choice_comes_from_the_severities_not_from_a_special_case(ksl_router: Any) -> None:
    """Price steps at nothing and slopes like steps, and the long way over the steps wins again."""
    cheap_steps = make_profile(
        "wheelchair",
        {
            "estimated_incline_breaks_limit": True,
            "severity.steps_s": 0.0,
            "severity.steps_s_per_m": 0.0,
            "severity.incline_s_per_m_per_percent": 1.0e8,
        },
    )
    route = ksl_router.route(ORIGIN, DESTINATION, cheap_steps)
    assert _steps(route)
    assert route.distance_m > 1000.0
