"""Route: what a path means for the person walking it, as plain values.

Geometry, distance and duration; every barrier met (kerbs with height, steps with count, steep
parts, poor surfaces, narrow passages, crossings and their signals, barriers, elevators); every
hard limit the route breaks and where; the *unknowns* it relies on; the largest incline; and the
detour compared with the plain walking route. Exported as GeoJSON (RFC 7946).

Only the values live here; :mod:`routing.report` builds them from a search path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accessibility_rules.attributes import OSM_ATTRIBUTION
from routing.wording import summary_text

__all__ = ["Barrier", "Route", "Segment", "Violation"]


@dataclass(frozen=True, slots=True)
class Barrier:
    """Something on the route worth knowing: where (metres from the start, lon/lat) and what."""

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


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of one edge, in walking order, with what instructions need."""

    edge: int
    name: str | None
    highway: str
    is_sidewalk: bool
    start_m: float
    length_m: float
    first_point: int  # index into Route.geometry
    last_point: int
    way_id: int = -1  # OSM way of the segment's first piece (-1: not known)


@dataclass(frozen=True, slots=True)
class Route:
    """A route for one profile, with everything the user should know about it.

    A value: built once by :func:`routing.report.build_route` (or
    :func:`routing.report.combine_routes`); derive a changed copy with ``dataclasses.replace``.
    """

    profile: str
    fully_accessible: bool
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
    #: SNAP: when the route breaks limits, where a route honouring them would end instead, per
    #: moved end: {"role", "distance_m" (from the place asked for), "lon", "lat", "reason"}.
    ends_short: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        """A short readable summary for the command line: the verdict first, broken limits
        grouped by attribute with places, the unknowns relied on, one line per barrier."""
        return summary_text(self)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (geometry as a GeoJSON LineString)."""
        return {
            "profile": self.profile,
            "fully_accessible": self.fully_accessible,
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
            "attribution": self.attribution,
        }

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection: the route line plus one point per barrier/violation."""
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
        return {"type": "FeatureCollection", "features": features, "attribution": self.attribution}
