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

import numpy as np

from accessibility_rules.conditions import Conditions
from accessibility_rules.profile import Profile
from graphs.model import CompiledGraph
from routing.conditions import green_facts, light_facts, pollen_exposure
from routing.rounding import round_like_python
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


_INCLINE_SOURCES = {1: "tag", 2: "dem", 3: "tag_direction_only"}
#: The named source codes are the range 1–3 (anything else is reported as ``None``).
_INCLINE_SOURCE_MIN, _INCLINE_SOURCE_MAX = min(_INCLINE_SOURCES), max(_INCLINE_SOURCES)


def incline_profile(graph: CompiledGraph, route: Route) -> list[dict[str, Any]]:
    """The route's incline along its length: stretches ``{"from_m", "to_m", "incline_percent"
    (signed in the walking direction: + uphill; ``None`` unknown), "source"}`` (``tag``,
    ``dem`` (estimated from the elevation model), ``tag_direction_only`` or ``None``), one per
    run of walked edges with the same incline and source, in walking order. For the incline
    chart of a route; unknown stays unknown (a gap, not a flat stretch).

    Runs are found and rounded over the whole route at once (:func:`round_like_python`: the
    results of Python's ``round``); Python builds only the stretches listed."""
    walked = _walked(route)
    if walked is None or not walked:
        return []
    metres = np.asarray(walked, dtype=np.float64)
    keep = metres > 0.0
    edges = np.asarray(route.edges, dtype=np.int64)[keep]
    metres = metres[keep]
    k = len(edges)
    if not k:
        return []
    ends = np.cumsum(metres)  # sequential sums, as a running total would add them
    percent = np.asarray(round_like_python(graph.edge["incline_percent"][edges]))
    known = ~np.isnan(percent)
    source = np.where(known, graph.edge["incline_source"][edges].astype(np.int64), -1)
    source[(source < _INCLINE_SOURCE_MIN) | (source > _INCLINE_SOURCE_MAX)] = -1  # no name: None
    # a stretch starts where the rounded incline or its source changes (unknown equals unknown)
    same = (source[1:] == source[:-1]) & (
        (percent[1:] == percent[:-1]) | (~known[1:] & ~known[:-1])
    )
    first = np.flatnonzero(np.concatenate(([True], ~same)))
    last = np.append(first[1:] - 1, k - 1)
    starts = np.concatenate(([0.0], ends[:-1]))
    from_m = round_like_python(starts[first])
    to_m = round_like_python(ends[last])
    values = [None if v != v else v for v in percent[first].tolist()]
    kinds = [_INCLINE_SOURCES.get(c) for c in source[first].tolist()]
    return [
        {"from_m": a, "to_m": b, "incline_percent": v, "source": s}
        for a, b, v, s in zip(from_m, to_m, values, kinds, strict=True)
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
        "incline_profile": incline_profile(graph, route),
        "lit": {
            "share": _num(light.lit_share, 3),
            "lit_m": _num(light.lit_m) or 0.0,
            "unlit_m": _num(light.unlit_m) or 0.0,
            "unknown_m": _num(light.unknown_m) or 0.0,
            "light": light.light,
        },
    }
