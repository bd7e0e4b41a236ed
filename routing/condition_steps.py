"""Stretches of a route worth saying because of the day's conditions and the person's profile.

The spoken instructions (:mod:`routing.instructions`) announce, where each begins:

* **pollen** (``type="pollen"``): for each taxon the profile avoids (``avoid_pollen``) that flies
  on the day (``conditions.intensity(taxon) > 0``), the runs of the route beside trees of that
  genus (``trees_<taxon> > 0``) or, for grasses, mostly beside grass (``grass_share`` at least
  :data:`GRASS_SHARE_MIN`): "Birken auf den nächsten 200 m (Hauptblütezeit)". Herbs (mugwort,
  ragweed) are not mapped and never said. A tree of unknown genus is no stretch: the route
  report counts those metres as unknown exposure, the words say only what is known.
* **green** (``type="green"``): for a profile with ``green_preference > 0``, the runs through or
  beside one park (``park_id``, named from ``graph.meta["parks"]``) of at least
  :data:`PARK_MIN_M`: "Park-Abschnitt 400 m (Körnerpark)".
* **light** (``type="light"``): for a profile with a light rule (``require_lit`` or
  ``unlit_penalty_factor > 1``) when the light rules apply (in the dark, or at an unknown time,
  which is weighed as dark), the runs known to be unlit (``lit=no``) of at least
  :data:`UNLIT_MIN_M`, or of any length where ``require_lit`` makes them a broken limit (the
  verdict names each; a stretch of 10 m at the destination was said nowhere else): "unbeleuchtet
  auf 150 m". Untagged ``lit`` is no stretch (the verdict names it among the unknowns relied on).

Runs of one kind (and one park) less than :data:`JOIN_M` apart are one stretch: a lit crossing
of 5 m in an unlit path is no reason for two announcements. A graph without a column (built
before it existed) gives no stretch of that kind. Everything here works on the route's segments
(a few hundred at most), never on the whole graph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions, cares_about_light
from accessibility_rules.pollen import POLLEN_TAXA, seasons
from accessibility_rules.profile import Profile
from graphs.model import CompiledGraph
from routing.route import Route, Segment

__all__ = [
    "GRASS_SHARE_MIN",
    "JOIN_M",
    "PARK_MIN_M",
    "STRETCH_TYPES",
    "UNLIT_MIN_M",
    "Stretch",
    "condition_stretches",
]

#: The instruction step types of this module.
STRETCH_TYPES: tuple[str, ...] = ("pollen", "green", "light")
#: Runs of one kind less than this apart (metres along the route) are said as one stretch.
JOIN_M = 15.0
#: A park is said from this much of the route in or beside it on (metres): crossing a park's
#: corner is no park section.
PARK_MIN_M = 50.0
#: An unlit run is said from this length on (metres): a few dark metres between lamps are not.
UNLIT_MIN_M = 20.0
#: A segment is a grass stretch when at least this share of its edge lies beside grass.
GRASS_SHARE_MIN = 0.5

StretchKind = Literal["pollen", "green", "light"]


@dataclass(frozen=True, slots=True)
class Stretch:
    """A run of the route (``at_m`` from the start, ``length_m`` long, beginning at lon/lat) to
    be said as one step of ``kind``; ``details`` as :func:`routing.wording.describe_stretch`
    reads them."""

    kind: StretchKind
    at_m: float
    length_m: float
    lon: float
    lat: float
    details: dict[str, Any] = field(default_factory=dict)


def _runs(
    on: np.ndarray, key: np.ndarray, start: np.ndarray, end: np.ndarray, min_m: float
) -> list[tuple[int, float, float, int]]:
    """``(first segment, start_m, end_m, key)`` of each run of segments with ``on`` set, joining
    runs of the same ``key`` less than :data:`JOIN_M` apart, and keeping runs of ``min_m`` or
    more."""
    runs: list[list[Any]] = []
    for i in np.flatnonzero(on).tolist():
        last = runs[-1] if runs else None
        if last is not None and last[3] == key[i] and start[i] - last[2] < JOIN_M:
            last[2] = max(last[2], float(end[i]))
        else:
            runs.append([i, float(start[i]), float(end[i]), int(key[i])])
    return [(r[0], r[1], r[2], r[3]) for r in runs if r[2] - r[1] >= min_m and r[2] > r[1]]


def _season(taxon: str, day: dt.date | None) -> str | None:
    """``main`` / ``side`` when ``day`` falls in the taxon's season in the table, else None."""
    season = None if day is None else seasons()[taxon].season(day.month)
    return None if season == "none" else season


def condition_stretches(
    route: Route,
    graph: CompiledGraph,
    profile: Profile,
    conditions: Conditions = DEFAULT_CONDITIONS,
    *,
    day: dt.date | None = None,
) -> list[Stretch]:
    """The pollen, park and unlit stretches of ``route`` that ``profile`` cares about in
    ``conditions`` (see the module doc), ordered by where they begin.

    ``day`` names the season in the words ("Hauptblütezeit"); without it, or when the taxon
    flies outside the table's months (a forecast), the day's intensity is said instead.
    """
    pollen = [
        taxon
        for taxon in POLLEN_TAXA
        if taxon in profile.avoid_pollen and conditions.intensity(taxon) > 0
    ]
    green = profile.green_preference > 0
    light = cares_about_light(profile) and conditions.lights_apply
    if not (pollen or green or light):  # the profile cares about none of them today
        return []
    segments: list[Segment] = [s for s in route.segments if s.length_m > 0]
    if not segments:
        return []
    edges = np.fromiter((s.edge for s in segments), np.int64, len(segments))
    start = np.fromiter((s.start_m for s in segments), np.float64, len(segments))
    end = start + np.fromiter((s.length_m for s in segments), np.float64, len(segments))
    none = np.zeros(len(segments), dtype=np.int64)
    column = graph.edge.get
    found: list[tuple[StretchKind, tuple[int, float, float, int], dict[str, Any]]] = []

    for taxon in pollen:
        intensity = conditions.intensity(taxon)
        exposure = seasons()[taxon].exposure
        values = column(exposure) if exposure != "none" else None
        if values is None:
            continue
        v = np.asarray(values, dtype=np.float64)[edges]
        with np.errstate(invalid="ignore"):
            on = v >= GRASS_SHARE_MIN if exposure == "grass_share" else v > 0
        details = {"taxon": taxon, "season": _season(taxon, day), "intensity": intensity}
        found += [("pollen", run, details) for run in _runs(on, none, start, end, 0.0)]

    park_id = column("park_id")
    if green and park_id is not None:
        ids = np.asarray(park_id, dtype=np.int64)[edges]
        names: Sequence[str] = graph.meta.get("parks") or ()
        for run in _runs(ids >= 0, ids, start, end, PARK_MIN_M):
            pid = run[3]
            found.append(("green", run, {"name": names[pid] if pid < len(names) else None}))

    lit = column("lit")
    if light and lit is not None:
        unlit = np.asarray(lit)[edges] == Tri.NO
        # require_lit is a limit: every unlit metre breaks it and is said, however short
        min_m = 0.0 if profile.require_lit else UNLIT_MIN_M
        found += [("light", run, {}) for run in _runs(unlit, none, start, end, min_m)]

    out = []
    for kind, (i, a, b, _), details in found:
        lon, lat = route.geometry[segments[i].first_point][:2]
        out.append(Stretch(kind, a, b - a, float(lon), float(lat), details))
    out.sort(key=lambda s: (s.at_m, STRETCH_TYPES.index(s.kind)))
    return out
