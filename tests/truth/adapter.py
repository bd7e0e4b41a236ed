"""The one place that reads a project :class:`~routing.route.Route` for the truth checks.

Every route has ``accessibility.verdict`` ("yes" | "unknown" | "no"), ``accessibility.breaks``
(the broken limits, each with ``limit`` and ``at_m``), ``rests`` (its seats, each with
``at_m``, ``lon`` and ``lat``) and the trees it passes by taxon (the report's pollen
exposure): the only functions to touch when the route's shape changes.
"""

from __future__ import annotations

from typing import Any


def verdict(route: Any) -> str:
    """The route's verdict: "yes", "unknown" or "no"."""
    return str(route.accessibility.verdict)


def breaks(route: Any) -> list[dict[str, Any]]:
    """The broken limits as ``{"limit", "at_m", ...}`` dictionaries."""
    return [dict(b.as_dict()) for b in route.accessibility.breaks]


def seats(route: Any) -> list[dict[str, Any]]:
    """The seats a route lists, in walking order: ``{"at_m", "lon", "lat", ...}``."""
    rests = route.rests or {}
    return [dict(s) for s in rests.get("seats", [])]


def trees_passed(route: Any, router: Any, taxon: str) -> float:
    """The trees of an allergenic ``taxon`` the route passes, as its pollen report counts them."""
    from accessibility_rules.conditions import Conditions
    from routing.conditions import pollen_exposure

    walked = route.walked_m if len(route.walked_m) == len(route.edges) else None
    (found,) = pollen_exposure(
        router.graph.edge, route.edges, frozenset({taxon}), Conditions(), walked_m=walked
    )
    return float(found.trees or 0.0)
