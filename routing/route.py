"""Route: what a path means for the person walking it.

Geometry, distance and duration; every barrier met (kerbs with height, steps with count, steep
parts, poor surfaces, narrow passages, crossings and their signals, barriers, elevators); every
hard limit the route breaks and where; the *unknowns* it relies on; the largest incline; and the
detour compared with the plain walking route. Exported as GeoJSON (RFC 7946).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
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
from graphs.geodesy import EARTH_RADIUS_M

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


@dataclass(slots=True)
class Route:
    """A route for one profile, with everything the user should know about it."""

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
            "geometry": {"type": "LineString", "coordinates": self.geometry},
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


def _metres(a: list[float], b: list[float]) -> float:
    """Great-circle distance between two [lon, lat] points (scalar, math only)."""
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _cut(coords: np.ndarray, start: float, end: float) -> np.ndarray:
    """Part of a polyline between two fractions of its (great-circle) length.

    Plain Python: route ends are a few points long, where numpy's per-call cost dominates.
    """
    pts = coords.tolist()
    if start <= 0.0 and end >= 1.0:
        return coords
    seg = [_metres(a, b) for a, b in itertools.pairwise(pts)]
    total = sum(seg)
    if total <= 0.0:
        return np.array([pts[0], pts[-1]])
    lo, hi = start * total, end * total
    out: list[list[float]] = []
    walked = 0.0
    for (a, b), length in zip(itertools.pairwise(pts), seg, strict=True):
        nxt = walked + length
        if not out and lo <= nxt:
            t = (lo - walked) / length if length > 0 else 0.0
            out.append([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
        if out and hi <= nxt:
            t = (hi - walked) / length if length > 0 else 0.0
            out.append([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
            break
        if out:
            out.append(b)
        walked = nxt
    if len(out) < 2:
        out = [pts[0], pts[-1]] if not out else [out[0], out[0]]
    return np.array(out)


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


#: Edge attributes a route report reads, stacked in one table so a route gathers them at once.
REPORT_EDGE_COLUMNS = (
    "length_m", "incline_percent", "incline_source", "is_steps", "step_count", "handrail",
    "ramp_wheelchair", "surface", "name_id", "is_sidewalk", "highway",
)  # fmt: skip
REPORT_EFFECTIVE_COLUMNS = (
    "passage_width_m", "crossing", "acoustic_signal", "vibration_signal", "tactile_paving",
    "is_elevator", "kerb_count", "kerb_height_cm", "barrier", "crossing_share", "kerb_unknown_count",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportTable:
    """Every attribute a route report needs, as one ``m × C`` float64 table (one gather)."""

    rows: np.ndarray
    index: dict[str, int]

    @classmethod
    def build(cls, edge: dict[str, np.ndarray], eff: Any) -> ReportTable:
        """Stack the raw and effective per-edge columns (rebuilt whenever obstacles change)."""
        columns = [edge[n] for n in REPORT_EDGE_COLUMNS]
        columns += [getattr(eff, n) for n in REPORT_EFFECTIVE_COLUMNS]
        rows = np.column_stack([np.asarray(col, dtype=np.float64) for col in columns])
        names = REPORT_EDGE_COLUMNS + REPORT_EFFECTIVE_COLUMNS
        return cls(np.ascontiguousarray(rows), {n: i for i, n in enumerate(names)})

    def gather(self, edges: np.ndarray) -> dict[str, np.ndarray]:
        """The columns for ``edges`` (views into one gathered block)."""
        block = self.rows[edges]
        return {name: block[:, i] for name, i in self.index.items()}


def _index_ranges(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(first[i], last[i])`` (vectorised)."""
    counts = last - first
    total = int(counts.sum())
    offsets = np.repeat(first - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets


def _geometry(
    router: Router, edges: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Route polyline and, per piece, the index of its first and last point in it.

    Consecutive pieces share their junction point, which is kept once. Whole pieces are gathered
    with one index computation; only the first and last piece may be cut.
    """
    g = router.graph
    gf = g.geom_first
    k = len(edges)
    first = _cut(g.edge_coords(int(edges[0])), float(starts[0]), float(ends[0]))
    if k == 1:
        return first, np.zeros(1, dtype=np.int64), np.array([len(first) - 1])
    middle = edges[1:-1]
    idx = _index_ranges(gf[middle] + 1, gf[middle + 1])  # without each piece's junction point
    last = _cut(g.edge_coords(int(edges[-1])), 0.0, float(ends[-1]))[1:]
    points = np.vstack((first, np.column_stack((g.geom_lon[idx], g.geom_lat[idx])), last))
    kept = np.concatenate(([len(first)], gf[middle + 1] - gf[middle] - 1, [len(last)]))
    last_pt = np.cumsum(kept) - 1
    first_pt = np.concatenate(([0], last_pt[:-1]))
    return points, first_pt, last_pt


def build_route(
    router: Router,
    profile: Profile,
    weights: EdgeWeights,
    path: Path,
    walk_path: Path | None,
    *,
    snapped_on_usable: bool,
) -> Route:
    """Turn a search :class:`Path` into a :class:`Route` report (vectorised over its pieces)."""
    edges = np.asarray(path.edges, dtype=np.int64)
    c = router.report_table().gather(edges)
    k = len(edges)
    starts = np.zeros(k)
    ends = np.ones(k)
    starts[0], ends[-1] = path.start, path.end
    lengths = (ends - starts) * c["length_m"]
    at = np.concatenate(([0.0], np.cumsum(lengths)[:-1]))
    total = float(lengths.sum())
    not_last = np.arange(k) < k - 1
    points, first_pt, last_pt = _geometry(router, edges, starts, ends)
    mid_pt = (first_pt + last_pt) // 2
    geometry: list[list[float]] = points.tolist()

    def where(i: int, which: np.ndarray) -> tuple[float, float]:
        lon, lat = geometry[int(which[i])]
        return lon, lat

    barriers: list[Barrier] = []

    def add(
        kind: str, mask: np.ndarray, point: np.ndarray, offset: np.ndarray, **columns: np.ndarray
    ) -> None:
        for i in np.flatnonzero(mask):
            lon, lat = where(int(i), point)
            details = {name: _value(col, int(i)) for name, col in columns.items()}
            barriers.append(Barrier(kind, round(float(at[i] + offset[i]), 1), lon, lat, details))

    zero = np.zeros(k)
    has_length = lengths > 0
    steps = c["is_steps"] > 0
    incline = c["incline_percent"].astype(np.float64)
    incline_src = c["incline_source"]
    known_incline = has_length & np.isfinite(incline) & ~steps
    steep_limit = min(STEEP_REPORT_PERCENT, profile.max_incline_percent or STEEP_REPORT_PERCENT)
    add(
        "steep", known_incline & (np.abs(incline) >= steep_limit), first_pt, zero,
        incline_percent=np.round(incline, 1), length_m=np.round(lengths, 1),
        source=_names_of(incline_src, InclineSource),
    )  # fmt: skip
    step_total = c["step_count"].astype(np.int64)
    step_here = np.where(
        step_total > 0, np.maximum(1, np.rint(step_total * (ends - starts))), -1
    ).astype(np.int64)
    add(
        "steps", steps & has_length, first_pt, zero,
        step_count=np.where(step_here > 0, step_here, None),
        handrail=_names_of(c["handrail"], Tri),
        ramp_wheelchair=_names_of(c["ramp_wheelchair"], Tri),
    )  # fmt: skip
    surface = c["surface"]
    avoided = [int(SurfaceClass[x.upper()]) for x in profile.avoid_surfaces]
    reported = np.zeros(len(SurfaceClass) + 1, dtype=bool)  # indexed by code + 1 (UNKNOWN = -1)
    reported[[int(x) + 1 for x in POOR_SURFACES] + [x + 1 for x in avoided]] = True
    poor = reported[surface.astype(np.int64) + 1] & has_length
    add(
        "surface",
        poor,
        first_pt,
        zero,
        surface=_names_of(surface, SurfaceClass),
        length_m=np.round(lengths, 1),
    )
    width = c["passage_width_m"].astype(np.float64)
    narrow_limit = profile.min_width_m if profile.min_width_m is not None else NARROW_REPORT_M
    add(
        "narrow",
        has_length & np.isfinite(width) & (width < narrow_limit),
        first_pt,
        zero,
        width_m=np.round(width, 2),
    )
    crossing = c["crossing"]
    add(
        "crossing", (crossing != CrossingKind.NONE) & ((ends >= 1.0) | (starts == 0.0)), mid_pt, lengths / 2,
        crossing=_names_of(crossing, CrossingKind),
        acoustic_signal=_names_of(c["acoustic_signal"], AcousticSignal),
        vibration_signal=_names_of(c["vibration_signal"], Tri),
        tactile_paving=_names_of(c["tactile_paving"], Tri),
    )  # fmt: skip
    add("elevator", c["is_elevator"] > 0, last_pt, lengths)
    kerbs = c["kerb_count"].astype(np.int64)
    kerb_h = c["kerb_height_cm"].astype(np.float64)
    add(
        "kerb", not_last & (kerbs > 0), last_pt, lengths,
        height_cm=np.where(np.isnan(kerb_h), None, np.round(kerb_h, 1)), count=kerbs,
    )  # fmt: skip
    barrier = c["barrier"]
    add(
        "barrier",
        not_last & (barrier != BarrierKind.NONE),
        last_pt,
        lengths,
        barrier=_names_of(barrier, BarrierKind),
    )
    barriers.sort(key=lambda b: b.at_m)

    violations: list[Violation] = []
    vbits = weights.violations[edges]
    for i in np.flatnonzero(vbits):
        lon, lat = where(int(i), mid_pt)
        for limit in Limit:
            if int(vbits[i]) & limit:
                message = _limit_message(limit, int(edges[i]), router, profile)
                violations.append(
                    Violation((limit.name or "").lower(), round(float(at[i]), 1), lon, lat, message)
                )

    ubits = weights.unknowns[edges]
    unknowns: dict[str, dict[str, float]] = {}
    for unknown in Unknown:
        hit = (ubits & np.uint32(unknown)) != 0
        if not hit.any():
            continue
        name = (unknown.name or "").lower()
        if unknown == Unknown.KERB_HEIGHT:
            count = int(c["kerb_unknown_count"][hit & not_last].sum())
            if count:
                unknowns[name] = {"count": count}
        elif unknown in (Unknown.ACOUSTIC_SIGNAL, Unknown.TACTILE_PAVING):
            unknowns[name] = {"count": int(hit.sum())}
        elif float(lengths[hit].sum()) > 0:
            unknowns[name] = {"length_m": round(float(lengths[hit].sum()), 1)}

    max_incline = None
    if known_incline.any():
        i = int(np.flatnonzero(known_incline)[np.argmax(np.abs(incline[known_incline]))])
        max_incline = {
            "percent": round(float(incline[i]), 1),
            "source": InclineSource(int(incline_src[i])).name.lower(),
            "at_m": round(float(at[i]), 1),
        }

    delays = kerbs * profile.kerb_delay_s + c["crossing_share"] * profile.crossing_delay_s
    duration = total / profile.walking_speed_mps + float(delays[not_last].sum())

    detour = None
    walk_edges: list[int] = []
    if walk_path is not None:
        walk_edges = walk_path.edges.tolist()
        walk_len = router.graph.edge["length_m"][walk_path.edges]
        walk_m = float(walk_len.sum())
        if len(walk_len) == 1:
            walk_m *= walk_path.end - walk_path.start
        else:
            walk_m -= walk_path.start * walk_len[0] + (1.0 - walk_path.end) * walk_len[-1]
        detour = {
            "walk_distance_m": round(walk_m, 1),
            "extra_distance_m": round(total - walk_m, 1),
            "ratio": round(total / walk_m, 3) if walk_m > 0 else 1.0,
        }
    return Route(
        profile=profile.name,
        fully_accessible=not violations and snapped_on_usable,
        distance_m=total,
        duration_s=duration,
        cost_s=path.cost_s,
        geometry=geometry,
        barriers=barriers,
        violations=violations,
        unknowns=unknowns,
        max_incline=max_incline,
        detour=detour,
        segments=_segments(router, edges, c, at, lengths, first_pt, last_pt),
        snapped={"origin": _snapped(path.source), "destination": _snapped(path.target)},
        edges=edges.tolist(),
        walk_edges=walk_edges,
    )


def _snapped(snap: Any) -> dict[str, float]:
    return {"lon": snap.lon, "lat": snap.lat, "distance_m": round(snap.distance_m, 1)}


def _plain(value: Any) -> Any:
    """numpy scalars → Python values for JSON."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True, slots=True)
class _EnumColumn:
    """Enum codes whose names are looked up only for the rows that are reported."""

    codes: np.ndarray
    names: dict[int, str]


_ENUM_NAMES: dict[type, dict[int, str]] = {}


def _names_of(codes: np.ndarray, enum: type) -> _EnumColumn:
    """A column of enum codes reported by lower-case name."""
    names = _ENUM_NAMES.get(enum)
    if names is None:
        names = _ENUM_NAMES[enum] = {int(m): m.name.lower() for m in enum}
    return _EnumColumn(codes, names)


def _value(column: Any, i: int) -> Any:
    if isinstance(column, _EnumColumn):
        return column.names.get(int(column.codes[i]), "unknown")
    return _plain(column[i])


def _segments(
    router: Router,
    edges: np.ndarray,
    c: dict[str, np.ndarray],
    at: np.ndarray,
    lengths: np.ndarray,
    first_pt: np.ndarray,
    last_pt: np.ndarray,
) -> list[Segment]:
    """Runs of pieces along one named street (unnamed pieces stay separate: every path junction
    may need an instruction)."""
    g = router.graph
    name_ids = c["name_id"].astype(np.int64)
    sidewalk = c["is_sidewalk"] > 0
    boundary = np.ones(len(edges), dtype=bool)
    same = (name_ids[1:] == name_ids[:-1]) & (sidewalk[1:] == sidewalk[:-1]) & (name_ids[1:] >= 0)
    boundary[1:] = ~same
    starts = np.flatnonzero(boundary)
    stops = np.append(starts[1:], len(edges)) - 1
    run_length = np.add.reduceat(lengths, starts)
    highway_names = _names_of(np.zeros(0), HighwayClass).names
    rows = zip(
        edges[starts].tolist(), name_ids[starts].tolist(), c["highway"][starts].astype(np.int64).tolist(),
        sidewalk[starts].tolist(), at[starts].tolist(), run_length.tolist(),
        first_pt[starts].tolist(), last_pt[stops].tolist(), strict=True,
    )  # fmt: skip
    return [
        Segment(e, g.names[n] if n >= 0 else None, highway_names[h], sw, a, ln, f, la)
        for e, n, h, sw, a, ln, f, la in rows
    ]


def combine_routes(legs: list[Route]) -> Route:
    """One route through via points from its legs (positions shifted to the whole route)."""
    if len(legs) == 1:
        return legs[0]
    geometry: list[list[float]] = []
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
