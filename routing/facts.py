"""The facts along a route that the day's conditions make matter, as JSON-ready values.

For the route report of the API and the command line: the route's exposure to each pollen taxon
the profile avoids (:func:`routing.conditions.pollen_exposure`, with the season of the day), its
green share and the parks it passes (:func:`~routing.conditions.green_facts`), its lit share with
the light it was computed for (:func:`~routing.conditions.light_facts`; both in one pass:
:func:`~routing.conditions.green_and_light_facts`) and its incline profile. Computed over the
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
import orjson

from accessibility_rules.attributes import InclineSource
from accessibility_rules.conditions import Conditions
from accessibility_rules.profile import Profile
from graphs.model import CompiledGraph
from routing._kernels.facts import (
    EDGE_OUT_OF_RANGE,
    JSON_STRETCH_BYTES,
    incline_json_fill,
    incline_runs,
)
from routing._kernels.rounding import NEEDS_ROUNDING
from routing.conditions import green_and_light_facts, pollen_exposure
from routing.rounding import round_float, round_like_python
from routing.route import Route

__all__ = ["incline_profile", "incline_profile_json", "route_facts"]


def _num(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded, ``None`` when it is ``None`` or not finite."""
    if value is None or not math.isfinite(value):
        return None
    return round_float(float(value), digits)


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


#: The names of the known incline sources by code (:class:`InclineSource`; unknown has none).
_INCLINE_SOURCES = {int(s): s.name.lower() for s in InclineSource if s is not InclineSource.UNKNOWN}
#: The named source codes are the range 1–3 (anything else is reported as ``None``).
_INCLINE_SOURCE_MIN, _INCLINE_SOURCE_MAX = min(_INCLINE_SOURCES), max(_INCLINE_SOURCES)
#: ``rounded`` of :func:`~routing._kernels.facts.incline_runs` when the kernel rounds the inclines.
_ROUND_IN_KERNEL = np.zeros(0)


def incline_profile(graph: CompiledGraph, route: Route) -> list[dict[str, Any]]:
    """The route's incline along its length: stretches ``{"from_m", "to_m", "incline_percent"
    (signed in the walking direction: + uphill; ``None`` unknown), "source"}`` (``tag``,
    ``dem`` (estimated from the elevation model), ``tag_direction_only`` or ``None``), one per
    run of walked edges with the same incline and source, in walking order. For the incline
    chart of a route; unknown stays unknown (a gap, not a flat stretch)."""
    walked = _walked(route)
    if not walked:
        return []
    edges = np.asarray(route.edges, dtype=np.int64)
    return _incline_stretches(graph, edges, np.asarray(walked, dtype=np.float64))


class _Runs:
    """The runs of an incline profile (:func:`~routing._kernels.facts.incline_runs`): ``n`` of them,
    each's end (metres, not rounded), rounded incline and source code."""

    __slots__ = ("n", "percent", "source", "to_m")

    def __init__(self, graph: CompiledGraph, edges: np.ndarray, walked_m: np.ndarray) -> None:
        k = len(edges)
        incline, source = graph.edge["incline_percent"], graph.edge["incline_source"]
        self.to_m, self.percent = np.empty(k), np.empty(k)
        self.source = np.empty(k, dtype=np.int64)

        def runs(rounded: np.ndarray) -> int:
            return incline_runs(
                edges, walked_m, incline, source, rounded, _INCLINE_SOURCE_MIN,
                _INCLINE_SOURCE_MAX, self.to_m, self.percent, self.source,
            )  # fmt: skip

        n = runs(_ROUND_IN_KERNEL)
        if n == NEEDS_ROUNDING:  # Python's round rounds them all (the kernel then rounds none)
            walked_incline = incline[edges[walked_m > 0.0]]
            n = runs(np.asarray(round_like_python(walked_incline), dtype=np.float64))
        if n == EDGE_OUT_OF_RANGE:
            raise IndexError(f"a route edge is out of bounds for the {len(incline)} edges")
        self.n = n

    def stretches(self) -> list[dict[str, Any]]:
        """The stretches as dictionaries, the ends rounded by :func:`round_like_python` (a
        start is the end before it, rounded once; the first starts at 0)."""
        n = self.n
        if n == 0:
            return []
        ends = round_like_python(self.to_m[:n])
        starts = [0.0, *ends[:-1]]
        name = _INCLINE_SOURCES.get
        percent, source = self.percent[:n].tolist(), self.source[:n].tolist()
        return [
            {"from_m": a, "to_m": b, "incline_percent": None if v != v else v, "source": name(c)}
            for a, b, v, c in zip(starts, ends, percent, source, strict=True)
        ]


def _incline_stretches(
    graph: CompiledGraph, edges: np.ndarray, walked_m: np.ndarray
) -> list[dict[str, Any]]:
    """:func:`incline_profile` of the route's ``edges`` walked ``walked_m`` metres each.

    One kernel pass finds the runs (:func:`~routing._kernels.facts.incline_runs`, rounding each
    incline as :func:`round_like_python` does); in the rare route with an incline so near a
    half that only Python's ``round`` rounds it exactly, the walked edges' inclines are rounded
    by :func:`round_like_python` first and the kernel runs again on those. The stretch ends are
    rounded by :func:`round_like_python` too (a start is the end before it, rounded once);
    Python builds only the stretches listed."""
    return _Runs(graph, edges, walked_m).stretches()


#: Each source's JSON value (``null`` for code -1 and the codes without a name) for
#: :func:`~routing._kernels.facts.incline_json_fill`: the bytes and where each code's begin (code
#: ``c`` at ``c + 1``; one more offset ends the last).
_SOURCE_JSON = [orjson.dumps(_INCLINE_SOURCES.get(c)) for c in range(-1, _INCLINE_SOURCE_MAX + 1)]
_SOURCE_NAMES = np.frombuffer(b"".join(_SOURCE_JSON), dtype=np.uint8)
_SOURCE_FIRST = np.cumsum([0] + [len(x) for x in _SOURCE_JSON], dtype=np.int64)
_STRETCH_BYTES = JSON_STRETCH_BYTES + max(len(x) for x in _SOURCE_JSON)


def incline_profile_json(graph: CompiledGraph, route: Route) -> bytes:
    """:func:`incline_profile` as the JSON text orjson writes for it, byte for byte, written by
    one kernel pass (:func:`~routing._kernels.facts.incline_json_fill`) instead of a dictionary
    per stretch: the route answer's largest part (some 50 stretches, a quarter of its bytes).
    A route whose numbers the kernel does not write (an end near a half, which only Python's
    ``round`` rounds exactly) takes the dictionaries, serialised."""
    walked = _walked(route)
    if not walked:
        return b"[]"
    edges = np.asarray(route.edges, dtype=np.int64)
    return _incline_json(graph, edges, np.asarray(walked, dtype=np.float64))


def _incline_json(graph: CompiledGraph, edges: np.ndarray, walked_m: np.ndarray) -> bytes:
    runs = _Runs(graph, edges, walked_m)
    out = np.empty(2 + runs.n * _STRETCH_BYTES, dtype=np.uint8)
    size = incline_json_fill(
        runs.to_m, runs.percent, runs.source, runs.n, _SOURCE_NAMES, _SOURCE_FIRST, out
    )
    if size < 0:  # NEEDS_ROUNDING or JSON_OUT_OF_RANGE
        return orjson.dumps(runs.stretches())
    return out[:size].tobytes()


def _incline_facts(
    graph: CompiledGraph, edges: np.ndarray, walked: np.ndarray | None, fragment: bool
) -> list[dict[str, Any]] | orjson.Fragment:
    """The incline profile of :func:`route_facts`: stretches, or their JSON text (``fragment``)."""
    if not fragment:
        return [] if walked is None else _incline_stretches(graph, edges, walked)
    return orjson.Fragment(b"[]" if walked is None else _incline_json(graph, edges, walked))


def route_facts(
    graph: CompiledGraph,
    route: Route,
    profile: Profile,
    conditions: Conditions,
    day: dt.date,
    *,
    fragments: bool = False,
) -> dict[str, Any]:
    """``pollen`` (:func:`pollen_facts`), ``green_share``, ``green_unknown_m``, ``parks``
    (``{"name", "length_m"}`` in the order met), ``incline_profile`` (:func:`incline_profile`)
    and ``lit`` (``share``, ``lit_m``, ``unlit_m``, ``unknown_m``, ``light``: ``"dark"``,
    ``"day"`` or ``"unknown"`` after ``conditions.dark``) of ``route``; ``day`` is the pollen
    day (for the season). The route's arrays are built once for the green, light and incline
    facts. ``fragments``: the incline profile as an ``orjson.Fragment`` of its JSON text
    (:func:`incline_profile_json`), for a body that only orjson serialises (a route answer)."""
    edges = np.asarray(route.edges, dtype=np.int64)
    walked_m = _walked(route)
    walked = None if walked_m is None else np.asarray(walked_m, dtype=np.float64)
    parks = graph.meta.get("parks") or []
    green, light = green_and_light_facts(graph.edge, edges, parks, conditions, walked_m=walked)
    return {
        "pollen": pollen_facts(graph, route, profile, conditions, day),
        "green_share": _num(green.green_share, 3),
        "green_unknown_m": _num(green.unknown_m) or 0.0,
        "parks": [{"name": p.name, "length_m": _num(p.length_m) or 0.0} for p in green.parks],
        "incline_profile": _incline_facts(graph, edges, walked, fragments),
        "lit": {
            "share": _num(light.lit_share, 3),
            "lit_m": _num(light.lit_m) or 0.0,
            "unlit_m": _num(light.unlit_m) or 0.0,
            "unknown_m": _num(light.unknown_m) or 0.0,
            "light": light.light,
        },
    }
