"""Route: what a path means for the person walking it.

Geometry, distance and duration; every barrier met (kerbs with height, steps with count, steep
parts, poor surfaces, narrow passages, crossings and their signals, barriers, elevators); every
hard limit the route breaks and where; the *unknowns* it relies on; the largest incline; and the
detour compared with the plain walking route. Exported as GeoJSON (RFC 7946).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility_rules.attributes import (
    OSM_ATTRIBUTION,
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    SurfaceClass,
    Tri,
)
from accessibility_rules.profile import Profile
from accessibility_rules.weights import EdgeWeights, Limit, Unknown
from graphs.geodesy import haversine_m

if TYPE_CHECKING:
    from routing.engine import Path, Router

#: Surfaces reported as poor underfoot/for wheels even when the profile accepts them.
POOR_SURFACES = frozenset(
    {
        SurfaceClass.SETT, SurfaceClass.COBBLESTONE, SurfaceClass.FINE_GRAVEL, SurfaceClass.GRAVEL,
        SurfaceClass.GROUND, SurfaceClass.GRASS, SurfaceClass.GRASS_PAVER, SurfaceClass.UNPAVED,
    }
)  # fmt: skip
#: Inclines at or above this are reported as steep parts (DIN 18040: 6 % needs landings).
STEEP_REPORT_PERCENT = 6.0
#: Passages narrower than this are reported (DIN 18040: 1.20 m on straight runs).
NARROW_REPORT_M = 1.2


def _name(enum_value: int, enum: type) -> str:
    return enum(int(enum_value)).name.lower()


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
        return asdict(self)


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
        return asdict(self)


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


@dataclass(slots=True)
class Route:
    """A route for one profile, with everything the user should know about it."""

    profile: str
    fully_accessible: bool
    distance_m: float
    duration_s: float
    cost_s: float
    geometry: list[tuple[float, float]]  # (lon, lat), RFC 7946 order
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

    def summary(self) -> str:
        """A short readable summary for the command line."""
        state = "fully accessible" if self.fully_accessible else "NOT fully accessible"
        lines = [
            f"{self.profile}: {self.distance_m:.0f} m, {self.duration_s / 60:.1f} min, {state}",
        ]
        if self.detour:
            lines.append(
                f"  detour vs walking: +{self.detour['extra_distance_m']:.0f} m "
                f"(×{self.detour['ratio']:.2f})"
            )
        if self.max_incline:
            lines.append(f"  largest incline: {self.max_incline['percent']:+.1f} %")
        for b in self.barriers:
            lines.append(f"  at {b.at_m:5.0f} m  {b.kind}: {b.details}")
        for v in self.violations:
            lines.append(f"  BROKEN at {v.at_m:5.0f} m: {v.message}")
        for name, u in self.unknowns.items():
            lines.append(f"  unknown {name}: {u}")
        lines.append(f"  {self.attribution}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (geometry as a GeoJSON LineString)."""
        return {
            "profile": self.profile,
            "fully_accessible": self.fully_accessible,
            "distance_m": round(self.distance_m, 1),
            "duration_s": round(self.duration_s, 1),
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in self.geometry]},
            "barriers": [b.as_dict() for b in self.barriers],
            "violations": [v.as_dict() for v in self.violations],
            "unknowns": self.unknowns,
            "max_incline": self.max_incline,
            "detour": self.detour,
            "snapped": self.snapped,
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


def _cut(coords: np.ndarray, start: float, end: float) -> np.ndarray:
    """Part of a polyline between two fractions of its length."""
    seg = haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    total = cum[-1]
    if total <= 0:
        return coords[[0, -1]]
    a, b = start * total, end * total
    inner = coords[(cum > a) & (cum < b)]
    pa = np.array([np.interp(a, cum, coords[:, 0]), np.interp(a, cum, coords[:, 1])])
    pb = np.array([np.interp(b, cum, coords[:, 0]), np.interp(b, cum, coords[:, 1])])
    return np.vstack((pa, inner, pb))


def _limit_message(limit: Limit, e: int, router: Router, profile: Profile) -> str:
    g, eff = router.graph, router.effective
    edge = g.edge
    if limit == Limit.INCLINE:
        return f"incline {float(edge['incline_percent'][e]):+.1f} % exceeds max_incline_percent {profile.max_incline_percent:g} %"
    if limit == Limit.KERB_HEIGHT:
        return f"kerb of {float(eff.kerb_height_cm[e]):.0f} cm exceeds max_kerb_height_cm {profile.max_kerb_height_cm:g} cm"
    if limit == Limit.WIDTH:
        return f"passage {float(eff.passage_width_m[e]):.2f} m wide is below min_width_m {profile.min_width_m:g} m"
    if limit == Limit.STEPS:
        count = int(edge["step_count"][e])
        return f"steps ({count} steps)" if count > 0 else "steps (number of steps unknown)"
    if limit == Limit.STEP_COUNT:
        return f"{int(edge['step_count'][e])} steps exceed max_step_count {profile.max_step_count}"
    if limit == Limit.SURFACE:
        return f"surface {_name(edge['surface'][e], SurfaceClass)} is avoided"
    if limit == Limit.BARRIER:
        return f"barrier {_name(eff.barrier[e], BarrierKind)} cannot be passed"
    if limit == Limit.CLOSED:
        return "closed (obstacle reported by city staff)"
    if limit == Limit.UNKNOWN_FORBIDDEN:
        return "relies on data that is unknown, which this profile forbids"
    return (limit.name or "limit").lower().replace("_", " ")


def build_route(
    router: Router,
    profile: Profile,
    weights: EdgeWeights,
    path: Path,
    walk_path: Path | None,
    *,
    snapped_on_usable: bool,
) -> Route:
    """Turn a search :class:`Path` into a :class:`Route` report."""
    g, eff = router.graph, router.effective
    edge = g.edge
    geometry: list[tuple[float, float]] = []
    segments: list[Segment] = []
    barriers: list[Barrier] = []
    violations: list[Violation] = []
    unknown_len: dict[str, float] = {}
    unknown_count: dict[str, int] = {}
    at = 0.0
    duration = 0.0
    max_incline: dict[str, Any] | None = None
    pieces = path.pieces
    steep_limit = min(STEEP_REPORT_PERCENT, profile.max_incline_percent or STEEP_REPORT_PERCENT)
    narrow_limit = profile.min_width_m if profile.min_width_m is not None else NARROW_REPORT_M
    for i, piece in enumerate(pieces):
        e = piece.edge
        last = i == len(pieces) - 1
        length = (piece.end - piece.start) * float(edge["length_m"][e])
        coords = _cut(g.edge_coords(e), piece.start, piece.end)
        start_coord = (float(coords[0][0]), float(coords[0][1]))
        joined = bool(geometry) and geometry[-1] == start_coord
        first_point = len(geometry) - 1 if joined else len(geometry)
        for lon, lat in coords:
            if not geometry or geometry[-1] != (float(lon), float(lat)):
                geometry.append((float(lon), float(lat)))
        mid = coords[len(coords) // 2]
        start_pt, end_pt = coords[0], coords[-1]
        segments.append(
            Segment(
                edge=e,
                name=g.edge_name(e),
                highway=_name(edge["highway"][e], HighwayClass),
                is_sidewalk=bool(edge["is_sidewalk"][e]),
                start_m=at,
                length_m=length,
                first_point=first_point,
                last_point=len(geometry) - 1,
            )
        )

        def add(
            kind: str, where: np.ndarray, offset: float, start: float = at, **details: Any
        ) -> None:
            barriers.append(
                Barrier(kind, round(start + offset, 1), float(where[0]), float(where[1]), details)
            )

        incline = float(edge["incline_percent"][e])
        if length > 0 and np.isfinite(incline) and not edge["is_steps"][e]:
            source = _name(edge["incline_source"][e], InclineSource)
            if max_incline is None or abs(incline) > abs(max_incline["percent"]):
                max_incline = {"percent": round(incline, 1), "source": source, "at_m": round(at, 1)}
            if abs(incline) >= steep_limit:
                add(
                    "steep",
                    start_pt,
                    0.0,
                    incline_percent=round(incline, 1),
                    length_m=round(length, 1),
                    source=source,
                )
        if edge["is_steps"][e] and length > 0:
            total = int(edge["step_count"][e])
            count = max(1, round(total * (piece.end - piece.start))) if total > 0 else None
            add(
                "steps",
                start_pt,
                0.0,
                step_count=count,
                handrail=_name(edge["handrail"][e], Tri),
                ramp_wheelchair=_name(edge["ramp_wheelchair"][e], Tri),
            )
        surface = int(edge["surface"][e])
        avoided = {SurfaceClass[s.upper()] for s in profile.avoid_surfaces}
        if length > 0 and surface >= 0 and (surface in POOR_SURFACES or surface in avoided):
            add(
                "surface",
                start_pt,
                0.0,
                surface=_name(surface, SurfaceClass),
                length_m=round(length, 1),
            )
        width = float(eff.passage_width_m[e])
        if length > 0 and np.isfinite(width) and width < narrow_limit:
            add("narrow", start_pt, 0.0, width_m=round(width, 2))
        if eff.crossing[e] != CrossingKind.NONE and (piece.end >= 1.0 or piece.start == 0.0):
            add(
                "crossing", mid, length / 2, crossing=_name(eff.crossing[e], CrossingKind),
                acoustic_signal=_name(eff.acoustic_signal[e], AcousticSignal),
                vibration_signal=_name(eff.vibration_signal[e], Tri),
                tactile_paving=_name(eff.tactile_paving[e], Tri),
            )  # fmt: skip
        if eff.is_elevator[e] and length >= 0:
            add("elevator", end_pt, length)
        if not last:
            if eff.kerb_count[e] > 0:
                h = float(eff.kerb_height_cm[e])
                add(
                    "kerb",
                    end_pt,
                    length,
                    height_cm=None if np.isnan(h) else round(h, 1),
                    count=int(eff.kerb_count[e]),
                )
            if eff.barrier[e] != BarrierKind.NONE:
                add("barrier", end_pt, length, barrier=_name(eff.barrier[e], BarrierKind))
            duration += float(eff.kerb_count[e]) * profile.kerb_delay_s
            duration += float(eff.crossing_share[e]) * profile.crossing_delay_s
        bits = int(weights.violations[e])
        for limit in Limit:
            if bits & limit:
                violations.append(
                    Violation(
                        (limit.name or "").lower(),
                        round(at, 1),
                        float(mid[0]),
                        float(mid[1]),
                        _limit_message(limit, e, router, profile),
                    )
                )
        ubits = int(weights.unknowns[e])
        for unknown in Unknown:
            if ubits & unknown:
                name = (unknown.name or "").lower()
                if unknown in (Unknown.KERB_HEIGHT,):
                    if not last:
                        unknown_count[name] = unknown_count.get(name, 0) + int(
                            eff.kerb_unknown_count[e]
                        )
                elif unknown in (Unknown.ACOUSTIC_SIGNAL, Unknown.TACTILE_PAVING):
                    unknown_count[name] = unknown_count.get(name, 0) + 1
                else:
                    unknown_len[name] = unknown_len.get(name, 0.0) + length
        at += length
    duration += at / profile.walking_speed_mps
    unknowns: dict[str, dict[str, float]] = {
        k: {"length_m": round(v, 1)} for k, v in unknown_len.items() if v > 0
    }
    unknowns |= {k: {"count": v} for k, v in unknown_count.items() if v > 0}
    detour = None
    if walk_path is not None:
        walk_m = sum((p.end - p.start) * float(edge["length_m"][p.edge]) for p in walk_path.pieces)
        detour = {
            "walk_distance_m": round(walk_m, 1),
            "extra_distance_m": round(at - walk_m, 1),
            "ratio": round(at / walk_m, 3) if walk_m > 0 else 1.0,
        }
    return Route(
        profile=profile.name,
        fully_accessible=not violations and snapped_on_usable,
        distance_m=at,
        duration_s=duration,
        cost_s=path.cost_s,
        geometry=geometry,
        barriers=barriers,
        violations=violations,
        unknowns=unknowns,
        max_incline=max_incline,
        detour=detour,
        segments=segments,
        snapped={
            "origin": {
                "lon": path.source.lon,
                "lat": path.source.lat,
                "distance_m": round(path.source.distance_m, 1),
            },
            "destination": {
                "lon": path.target.lon,
                "lat": path.target.lat,
                "distance_m": round(path.target.distance_m, 1),
            },
        },
        edges=[p.edge for p in pieces],
        walk_edges=[p.edge for p in walk_path.pieces] if walk_path is not None else [],
    )


def combine_routes(legs: list[Route]) -> Route:
    """One route through via points from its legs (positions shifted to the whole route)."""
    if len(legs) == 1:
        return legs[0]
    geometry: list[tuple[float, float]] = []
    barriers: list[Barrier] = []
    violations: list[Violation] = []
    segments: list[Segment] = []
    unknowns: dict[str, dict[str, float]] = {}
    offset = 0.0
    for leg in legs:
        shift = len(geometry) - (
            1 if geometry and leg.geometry and geometry[-1] == leg.geometry[0] else 0
        )
        geometry.extend(leg.geometry[len(geometry) - shift :])
        barriers += [
            Barrier(b.kind, round(b.at_m + offset, 1), b.lon, b.lat, b.details)
            for b in leg.barriers
        ]
        violations += [
            Violation(v.limit, round(v.at_m + offset, 1), v.lon, v.lat, v.message)
            for v in leg.violations
        ]
        segments += [
            Segment(s.edge, s.name, s.highway, s.is_sidewalk, s.start_m + offset, s.length_m, s.first_point + shift, s.last_point + shift)
            for s in leg.segments
        ]  # fmt: skip
        for name, values in leg.unknowns.items():
            into = unknowns.setdefault(name, {})
            for k, v in values.items():
                into[k] = round(into.get(k, 0) + v, 1)
        offset += leg.distance_m
    inclines = [leg.max_incline for leg in legs if leg.max_incline]
    detours = [leg.detour for leg in legs]
    detour = None
    if all(detours):
        walk = sum(d["walk_distance_m"] for d in detours if d)
        detour = {"walk_distance_m": round(walk, 1), "extra_distance_m": round(offset - walk, 1), "ratio": round(offset / walk, 3) if walk else 1.0}  # fmt: skip
    return Route(
        profile=legs[0].profile,
        fully_accessible=all(leg.fully_accessible for leg in legs),
        distance_m=offset,
        duration_s=sum(leg.duration_s for leg in legs),
        cost_s=sum(leg.cost_s for leg in legs),
        geometry=geometry,
        barriers=barriers,
        violations=violations,
        unknowns=unknowns,
        max_incline=max(inclines, key=lambda m: abs(m["percent"])) if inclines else None,
        detour=detour,
        segments=segments,
        snapped={
            "origin": legs[0].snapped["origin"],
            "destination": legs[-1].snapped["destination"],
        },
        edges=[e for leg in legs for e in leg.edges],
        walk_edges=[e for leg in legs for e in leg.walk_edges],
    )
