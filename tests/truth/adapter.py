"""The one place that reads a project :class:`~routing.route.Route` for the truth checks.

Every route has ``accessibility.verdict`` ("yes" | "unknown" | "no"), ``accessibility.breaks``
(the broken limits, each with ``limit`` and ``at_m``) and ``rests`` (its seats, each with
``at_m``, ``lon`` and ``lat``): the only functions to touch when the route's shape changes.
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
