"""Route: what a path means for the person walking it, as plain values.

Geometry, distance and duration; every barrier met (kerbs with height, steps with count, steep
parts, poor surfaces, narrow passages, crossings and their signals, barriers, elevators); every
hard limit the route breaks and where; the *unknowns* it relies on; the verdict
(:class:`Accessibility`: yes / unknown / no, with its breaks and the unknown data it relies on);
the largest incline; and the detour compared with the plain walking route. Exported as GeoJSON
(RFC 7946).

Only the values live here; :mod:`routing.report` builds them from a search path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

from accessibility_rules.attributes import OSM_ATTRIBUTION
from routing.rounding import round_float
from routing.wording import summary_text

__all__ = [
    "VERDICTS", "Accessibility", "Barrier", "Break", "Place", "Reliance", "Route", "Segment",
    "Verdict", "Violation", "worst_verdict",
]  # fmt: skip

#: The three verdicts, from best to worst.
Verdict = Literal["yes", "unknown", "no"]
VERDICTS: tuple[Verdict, ...] = ("yes", "unknown", "no")


def worst_verdict(verdicts: list[Verdict]) -> Verdict:
    """The worst of several verdicts (of a route's legs): no > unknown > yes."""
    return max(verdicts, key=VERDICTS.index, default="yes")


class Place(NamedTuple):
    """Where on a route: metres from its start and the position (a named tuple, as
    :class:`Segment` is: cheap to build, and a route's reliances list a dozen or more)."""

    at_m: float
    lon: float
    lat: float

    def as_dict(self) -> dict[str, float]:
        """Plain JSON-ready dictionary."""
        return {"at_m": self.at_m, "lon": self.lon, "lat": self.lat}


@dataclass(frozen=True, slots=True)
class Break:
    """A limit of the profile that the route is known (or estimated) to break: where, and by
    how much (``value`` against ``limit_value`` in ``unit``; None where a fact has no number)."""

    limit: str  # the Limit bit's name, lower case (steps, incline, kerb_height, ...)
    attribute: str  # the attribute the limit reads (step_count, incline, kerb_height, ...)
    at_m: float
    lon: float
    lat: float
    value: float | int | str | None
    limit_value: float | int | str | list[str] | None
    unit: str | None
    estimated: bool  # the value is an estimate (incline from the elevation model)
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "limit": self.limit, "attribute": self.attribute, "at_m": self.at_m, "lon": self.lon,
            "lat": self.lat, "value": self.value, "limit_value": self.limit_value,
            "unit": self.unit, "estimated": self.estimated, "message": self.message,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reliance:
    """An attribute a limit of the profile reads whose value is unknown (or only estimated)
    somewhere on the route: how much (``count`` places or ``length_m`` metres) and where."""

    attribute: str
    count: int | None  # point facts (kerbs, crossings) and flights of steps
    length_m: float | None  # facts along the way (incline, width, smoothness, ...)
    places: list[Place]
    estimated: bool = False  # the value is an estimate, not unknown (incline from the DEM)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (``count`` or ``length_m``, whichever applies)."""
        out: dict[str, Any] = {"attribute": self.attribute}
        if self.count is not None:
            out["count"] = self.count
        if self.length_m is not None:
            out["length_m"] = self.length_m
        out["estimated"] = self.estimated
        out["places"] = [p.as_dict() for p in self.places]
        return out


@dataclass(frozen=True, slots=True)
class Accessibility:
    """The honest verdict on a route for a profile.

    * ``"yes"``: every limit the profile sets is *known* to hold along the whole route;
    * ``"unknown"``: nothing known breaks a limit, but some limit rests on unknown (or only
      estimated) data, listed in ``relies_on`` with places;
    * ``"no"``: a known limit is broken, listed in ``breaks`` with places and by how much.

    ``known_share`` is the share of the route's length on which every attribute along the way
    that the profile sets a limit on is known (point facts such as kerbs are counted in
    ``relies_on``, not measured; 1.0 for a route of length zero).
    """

    verdict: Verdict
    known_share: float
    breaks: list[Break]
    relies_on: list[Reliance]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "verdict": self.verdict,
            "known_share": self.known_share,
            "breaks": [b.as_dict() for b in self.breaks],
            "relies_on": [r.as_dict() for r in self.relies_on],
        }


class Barrier(NamedTuple):
    """Something on the route worth knowing: where (metres from the start, lon/lat) and what
    (a named tuple, cheap to build, as :class:`Segment`)."""

    kind: str  # kerb, steps, steep, surface, narrow, crossing, barrier, elevator
    at_m: float
    lon: float
    lat: float
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "kind": self.kind,
            "at_m": self.at_m,
            "lon": self.lon,
            "lat": self.lat,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class Violation:
    """A hard limit of the profile that the route breaks, and where."""

    limit: str
    at_m: float
    lon: float
    lat: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "limit": self.limit, "at_m": self.at_m, "lon": self.lon, "lat": self.lat,
            "message": self.message,
        }  # fmt: skip


class Segment(NamedTuple):
    """One piece of one edge, in walking order, with what instructions need.

    A named tuple rather than a frozen dataclass: a route has dozens and each request builds
    them (a frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``,
    five times the cost); it is as immutable."""

    edge: int
    name: str | None
    highway: str
    is_sidewalk: bool
    start_m: float
    length_m: float
    first_point: int  # index into Route.geometry
    last_point: int
    way_id: int = -1  # OSM way of the segment's first piece (-1: not known)
    #: For a sidewalk named after its road: the side that road is on, walking it (-1 left,
    #: 1 right; 0 not known or not such a sidewalk).
    road_side: int = 0


class Stop(NamedTuple):
    """A via point a route passes (:func:`routing.report.combine_routes`): metres from the
    start, rounded to 0.1 m as the places of the legs after it are, its point in
    :attr:`Route.geometry` and the first piece of :attr:`Route.edges` after it."""

    at_m: float
    point: int
    piece: int = 0


class SegmentRuns(NamedTuple):
    """A route's :attr:`Route.segments` as :func:`routing._kernels.pieces.segment_runs` made them:
    one row of ids per segment (its first piece, edge, name id, highway code, sidewalk, OSM way,
    first and last point: the ``RUN_*`` columns of :mod:`routing._kernels`) and the segments'
    lengths in metres. What the instructions' legs
    kernel reads (:func:`routing._kernels.steps.leg_runs`) instead of the Segment tuples."""

    runs: np.ndarray  # int64, n × RUN_COLUMNS, C-contiguous
    length_m: np.ndarray  # float64, n


@dataclass(frozen=True, slots=True)
class Route:
    """A route for one profile, with everything the user should know about it.

    A value: built once by :func:`routing.report.build_route` (or
    :func:`routing.report.combine_routes`); derive a changed copy with ``dataclasses.replace``.
    """

    profile: str
    accessibility: Accessibility
    distance_m: float
    duration_s: float
    cost_s: float
    geometry: list[list[float]]  # [lon, lat] pairs, RFC 7946 order
    barriers: list[Barrier]
    violations: list[Violation]
    unknowns: dict[str, dict[str, float]]
    max_incline: dict[str, Any] | None
    detour: dict[str, float] | None
    segments: list[Segment]
    snapped: dict[str, dict[str, float]]
    attribution: str = OSM_ATTRIBUTION
    edges: list[int] = field(default_factory=list)  # directed edges walked, in order
    walk_edges: list[int] = field(default_factory=list)  # edges of the plain walking route
    #: per piece of ``edges`` and of ``walk_edges``: what the walk meets of it (the
    #: ``routing.walking.MEETS_*`` bits, by the verdict's rule); empty: every piece wholly
    meets: list[int] = field(default_factory=list)
    walk_meets: list[int] = field(default_factory=list)
    #: metres walked on each of ``edges`` (the first and the last are usually partial), for the
    #: facts along the route (pollen, green, light: :mod:`routing.conditions`)
    walked_m: list[float] = field(default_factory=list)
    #: SNAP: when the route breaks limits, where a route honouring them would end instead, per
    #: moved end: {"role", "distance_m" (from the place asked for), "lon", "lat", "reason"}.
    ends_short: list[dict[str, Any]] = field(default_factory=list)
    #: RESTS: the seats along the route (``at_m``, lon/lat, backrest yes/no/unknown, kind), its
    #: longest stretch without a seat (``longest_gap_m`` and where) and the profile's
    #: ``limit_m`` (:func:`routing.rests.rests_report`); None where not computed.
    rests: dict[str, Any] | None = None
    #: The via points passed, in order (a route through via points; the steps say each).
    stops: list[Stop] = field(default_factory=list)
    #: ``geometry`` as the float64 ``n × 2`` array it was made from (what the instructions' turn
    #: kernel reads, so it is not rebuilt from the lists); None where the route was put together
    #: otherwise (legs joined, tests). Not part of the value: no comparison, no JSON.
    polyline: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: ``segments`` as the rows they were made from (with ``polyline``, what the instructions'
    #: legs kernel reads); None where the route was put together otherwise. Not part of the
    #: value either.
    segment_runs: SegmentRuns | None = field(default=None, repr=False, compare=False)

    def piece_spans(self, until: float = math.inf) -> list[tuple[float, float]]:
        """Where each piece of :attr:`edges` begins and ends, as the route's places are said:
        metres to 0.1 m, rounded as a barrier or a break on that piece is (in its leg, then
        shifted by the via point before the leg, :attr:`Stop.at_m`: a later leg's place may
        lie 0.1 m from where the pieces' metres add up). So a place said matches the piece it is
        on exactly. Pieces beginning beyond ``until`` are left out."""
        firsts = {stop.piece: stop.at_m for stop in self.stops}
        out: list[tuple[float, float]] = []
        shift = at = 0.0
        begins = 0.0  # the piece's start as said
        for i, walked in enumerate(self.walked_m):
            if i in firsts:
                shift, at, begins = firsts[i], 0.0, firsts[i]
            if begins > until:
                break
            at += walked
            ends = round_float(at) if shift == 0.0 else round_float(round_float(at) + shift)
            out.append((begins, ends))
            begins = ends
        return out

    @property
    def fully_accessible(self) -> bool:
        """Deprecated (removed in the next release): ``accessibility.verdict == "yes"``."""
        return self.accessibility.verdict == "yes"

    def summary(self) -> str:
        """A short readable summary for the command line: the verdict first, broken limits
        grouped by attribute with places, the unknowns relied on, one line per barrier."""
        return summary_text(self)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (geometry as a GeoJSON LineString)."""
        return {
            "profile": self.profile,
            "accessibility": self.accessibility.as_dict(),
            "fully_accessible": self.fully_accessible,  # deprecated: verdict == "yes"
            "distance_m": round(self.distance_m, 1),
            "duration_s": round(self.duration_s, 1),
            "geometry": {"type": "LineString", "coordinates": self.geometry},
            "barriers": [b.as_dict() for b in self.barriers],
            "violations": [v.as_dict() for v in self.violations],
            "unknowns": self.unknowns,
            "max_incline": self.max_incline,
            "detour": self.detour,
            "snapped": self.snapped,
            "ends_short": self.ends_short,
            "rests": self.rests,
            "attribution": self.attribution,
        }

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection: the route line plus one point per barrier, violation and
        via point passed (``kind`` ``via``, its ``at_m`` and its number)."""
        props = {k: v for k, v in self.as_dict().items() if k != "geometry"}
        features: list[dict[str, Any]] = [
            {"type": "Feature", "geometry": self.as_dict()["geometry"], "properties": props}
        ]
        for b in self.barriers:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                    "properties": {"kind": b.kind, "at_m": b.at_m, **b.details},
                }
            )
        for v in self.violations:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]},
                    "properties": {"kind": "violation", "limit": v.limit, "message": v.message},
                }
            )
        for number, stop in enumerate(self.stops, 1):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": self.geometry[stop.point]},
                    "properties": {"kind": "via", "number": number, "at_m": stop.at_m},
                }
            )
        return {"type": "FeatureCollection", "features": features, "attribution": self.attribution}
