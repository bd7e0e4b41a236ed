"""The facts along a route that the day's conditions make matter, as JSON-ready values.

For the route report of the API and the command line: the route's exposure to each pollen taxon
the profile avoids (:func:`routing.conditions.pollen_exposure`, with the season of the day), its
green share and the parks it passes (:func:`~routing.conditions.green_facts`), and its lit share
with the light it was computed for (:func:`~routing.conditions.light_facts`). Computed over the
metres actually walked on each edge (``Route.walked_m``; the ends are partial edges).

Unknown stays unknown: ``None`` for a share nothing of which is known, unknown metres reported
beside the known ones. Numbers are rounded as the rest of the route report (0.1 m, 3 digits for
shares) and never NaN or infinite (JSON has neither).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from accessibility_rules.conditions import Conditions
from accessibility_rules.profile import Profile
from graphs.model import CompiledGraph
from routing.conditions import green_facts, light_facts, pollen_exposure
from routing.route import Route

__all__ = ["route_facts"]


def _num(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded, ``None`` when it is ``None`` or not finite."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _walked(route: Route) -> list[float] | None:
    """Metres walked per edge, when the route carries them for every edge."""
    return route.walked_m if len(route.walked_m) == len(route.edges) else None


def pollen_facts(
    graph: CompiledGraph, route: Route, profile: Profile, conditions: Conditions, day: dt.date
) -> list[dict[str, Any]] | None:
    """Exposure per avoided taxon (table order) with the day's intensity and season, the
    stretches of highest exposure and the unknown metres; ``None`` when nothing is avoided."""
    if not profile.avoid_pollen:
        return None
    found = pollen_exposure(
        graph.edge, route.edges, profile.avoid_pollen, conditions,
        walked_m=_walked(route), day=day,
    )  # fmt: skip
    return [
        {
            "taxon": e.taxon,
            "label_de": e.label_de,
            "label_en": e.label_en,
            "intensity": e.intensity,
            "season": e.season,
            "trees": _num(e.trees),
            "trees_per_km": _num(e.trees_per_km),
            "grass_m": _num(e.grass_m),
            "unknown_m": _num(e.unknown_m) or 0.0,
            "stretches": [
                {
                    "start_m": _num(s.start_m) or 0.0,
                    "end_m": _num(s.end_m) or 0.0,
                    "trees": _num(s.trees) or 0.0,
                    "trees_per_100m": _num(s.trees_per_100m),
                }
                for s in e.stretches
            ],
        }
        for e in found
    ]


def route_facts(
    graph: CompiledGraph, route: Route, profile: Profile, conditions: Conditions, day: dt.date
) -> dict[str, Any]:
    """``pollen`` (:func:`pollen_facts`), ``green_share``, ``green_unknown_m``, ``parks``
    (``{"name", "length_m"}`` in the order met) and ``lit`` (``share``, ``lit_m``, ``unlit_m``,
    ``unknown_m``, ``light``: ``"dark"``, ``"day"`` or ``"unknown"`` after ``conditions.dark``)
    of ``route``; ``day`` is the pollen day (for the season)."""
    walked = _walked(route)
    parks = graph.meta.get("parks") or []
    green = green_facts(graph.edge, route.edges, parks, walked_m=walked)
    light = light_facts(graph.edge, route.edges, conditions, walked_m=walked)
    return {
        "pollen": pollen_facts(graph, route, profile, conditions, day),
        "green_share": _num(green.green_share, 3),
        "green_unknown_m": _num(green.unknown_m) or 0.0,
        "parks": [{"name": p.name, "length_m": _num(p.length_m) or 0.0} for p in green.parks],
        "lit": {
            "share": _num(light.lit_share, 3),
            "lit_m": _num(light.lit_m) or 0.0,
            "unlit_m": _num(light.unlit_m) or 0.0,
            "unknown_m": _num(light.unknown_m) or 0.0,
            "light": light.light,
        },
    }
