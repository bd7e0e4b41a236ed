"""A :class:`~routing.route.Route` with nothing in it but what a test gives.

Tests of one function that reads a few fields of a route (its edges, its segments) build one
here rather than a stand-in object: the functions check that a route is a ``Route`` when they
run as a mypyc build (:mod:`accessibility_rules.mypyc_loading`).
"""

from __future__ import annotations

from typing import Any

from routing.route import Accessibility, Route


def bare_route(**fields: Any) -> Route:
    """A walk route of no length with ``fields`` set."""
    base: dict[str, Any] = dict(
        profile="walk", accessibility=Accessibility("yes", 1.0, [], []), distance_m=0.0,
        duration_s=0.0, cost_s=0.0, geometry=[], barriers=[], violations=[], unknowns={},
        max_incline=None, detour=None, segments=[], snapped={},
    )  # fmt: skip
    base.update(fields)
    return Route(**base)
