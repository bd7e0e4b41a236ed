"""Route reports: a search path turned into a :class:`~routing.route.Route`.

:class:`ReportTable` stacks every attribute a report reads into one table, so a route gathers
them in one indexing step; :func:`build_route` walks a :class:`~routing.engine.Path`'s pieces
(vectorised) to find barriers, broken limits, unknowns, the largest incline, duration and
detour; :func:`combine_routes` joins the legs of a route through via points.

Nothing here knows the router: the caller passes the graph (geometry, names, lengths), the report
table consistent with it, the profile's weights and the path, so the module sits below
:mod:`routing.engine` without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

import numpy as np

from accessibility_rules.attributes import (
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
from graphs.model import CompiledGraph
from routing.geometry import route_polyline
from routing.messages import limit_message
from routing.query import charged_violations
from routing.route import Barrier, Route, Segment, Violation
from routing.snapping import SnapPoint
from routing.walking import detour, transition_delay_s, walking_time_s

__all__ = [
    "NARROW_REPORT_M",
    "POOR_SURFACES",
    "REPORT_EDGE_COLUMNS",
    "REPORT_EFFECTIVE_COLUMNS",
    "STEEP_REPORT_PERCENT",
    "ReportTable",
    "SearchPath",
    "build_route",
    "combine_routes",
]

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


#: "No value" in a reported column (``np.where(..., _NONE, values)`` gives an object column).
_NONE = np.asarray(None, dtype=object)

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


class SearchPath(Protocol):
    """What a report reads of a search result (:class:`routing.engine.Path`): the directed edges
    walked in order, the fractions where the walk starts on the first and ends on the last, its
    cost and its snapped end points."""

    @property
    def edges(self) -> np.ndarray: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def cost_s(self) -> float: ...
    @property
    def source(self) -> SnapPoint: ...
    @property
    def target(self) -> SnapPoint: ...


def build_route(
    graph: CompiledGraph,
    table: ReportTable,
    profile: Profile,
    weights: EdgeWeights,
    path: SearchPath,
    walk_path: SearchPath | None,
    *,
    snapped_on_usable: bool,
) -> Route:
    """Turn a search path into a :class:`Route` report (vectorised over its pieces).

    ``table`` must match ``graph``'s current attributes (``Router.report_table()``); ``weights``
    are the profile's (violation and unknown bits). ``walk_path``, the plain walking route
    between the same points, gives the detour (None: no detour reported).
    ``snapped_on_usable`` says whether both ends snapped onto edges the profile may use.
    """
    edges = np.asarray(path.edges, dtype=np.int64)
    c = table.gather(edges)
    k = len(edges)
    starts = np.zeros(k)
    ends = np.ones(k)
    starts[0], ends[-1] = path.start, path.end
    lengths = (ends - starts) * c["length_m"]
    at = np.concatenate(([0.0], np.cumsum(lengths)[:-1]))
    total = float(lengths.sum())
    not_last = np.arange(k) < k - 1
    points, first_pt, last_pt = route_polyline(graph, edges, starts, ends)
    mid_pt = (first_pt + last_pt) // 2
    geometry: list[list[float]] = points.tolist()

    def where(i: int, which: np.ndarray) -> tuple[float, float]:
        lon, lat = geometry[int(which[i])]
        return lon, lat

    barriers: list[Barrier] = []

    def add(
        kind: str,
        mask: np.ndarray,
        point: np.ndarray,
        offset: np.ndarray,
        **columns: np.ndarray | _EnumColumn,
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
        step_count=np.where(step_here > 0, step_here, _NONE),
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
        height_cm=np.where(np.isnan(kerb_h), _NONE, np.round(kerb_h, 1)), count=kerbs,
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
    vbits = charged_violations(weights, edges, path.start, path.end)  # SNAP: piece rule
    for i in np.flatnonzero(vbits):
        lon, lat = where(int(i), mid_pt)
        for limit in Limit:
            if int(vbits[i]) & limit:
                message = limit_message(
                    limit, c, int(i), profile, unknown_bits=int(weights.unknowns[edges[i]])
                )
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
        elif unknown in (Unknown.ACOUSTIC_SIGNAL, Unknown.TACTILE_PAVING, Unknown.BARRIER):
            unknowns[name] = {"count": int(hit.sum())}
        elif float(lengths[hit].sum()) > 0:
            unknowns[name] = {"length_m": round(float(lengths[hit].sum()), 1)}

    max_incline = None
    if known_incline.any():
        top = int(np.flatnonzero(known_incline)[np.argmax(np.abs(incline[known_incline]))])
        max_incline = {
            "percent": round(float(incline[top]), 1),
            "source": InclineSource(int(incline_src[top])).name.lower(),
            "at_m": round(float(at[top]), 1),
        }

    delays = transition_delay_s(profile, kerbs, c["crossing_share"])
    duration = walking_time_s(profile, total, float(delays[not_last].sum()))

    walk_detour = None
    walk_edges: list[int] = []
    if walk_path is not None:
        walk_edges = walk_path.edges.tolist()
        walk_len = graph.edge["length_m"][walk_path.edges]
        walk_m = float(walk_len.sum())
        if len(walk_len) == 1:
            walk_m *= walk_path.end - walk_path.start
        else:
            walk_m -= walk_path.start * walk_len[0] + (1.0 - walk_path.end) * walk_len[-1]
        walk_detour = detour(total, walk_m)
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
        detour=walk_detour,
        segments=_segments(graph, edges, c, at, lengths, first_pt, last_pt),
        snapped={"origin": _snapped(path.source), "destination": _snapped(path.target)},
        edges=edges.tolist(),
        walk_edges=walk_edges,
    )


def _snapped(snap: SnapPoint) -> dict[str, float]:
    return {"lon": snap.lon, "lat": snap.lat, "distance_m": round(snap.distance_m, 1)}


def _plain(value: Any) -> Any:
    """numpy scalars → Python values for JSON."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True, slots=True)
class _EnumColumn:
    """Enum codes whose names are looked up only for the rows that are reported."""

    codes: np.ndarray
    names: dict[int, str]


_ENUM_NAMES: dict[type[IntEnum], dict[int, str]] = {}


def _names_of(codes: np.ndarray, enum: type[IntEnum]) -> _EnumColumn:
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
    graph: CompiledGraph,
    edges: np.ndarray,
    c: dict[str, np.ndarray],
    at: np.ndarray,
    lengths: np.ndarray,
    first_pt: np.ndarray,
    last_pt: np.ndarray,
) -> list[Segment]:
    """Runs of pieces along one named street and of one kind of way (unnamed pieces stay
    separate: every path junction may need an instruction; a flight of steps in a named street
    is a segment of its own, so that it is announced)."""
    g = graph
    name_ids = c["name_id"].astype(np.int64)
    sidewalk = c["is_sidewalk"] > 0
    boundary = np.ones(len(edges), dtype=bool)
    kind = c["highway"].astype(np.int64)
    same = (
        (name_ids[1:] == name_ids[:-1])
        & (sidewalk[1:] == sidewalk[:-1])
        & (kind[1:] == kind[:-1])
        & (name_ids[1:] >= 0)
    )
    boundary[1:] = ~same
    starts = np.flatnonzero(boundary)
    stops = np.append(starts[1:], len(edges)) - 1
    run_length = np.add.reduceat(lengths, starts)
    highway_names = _names_of(np.zeros(0), HighwayClass).names
    rows = zip(
        edges[starts].tolist(), name_ids[starts].tolist(), c["highway"][starts].astype(np.int64).tolist(),
        sidewalk[starts].tolist(), at[starts].tolist(), run_length.tolist(),
        first_pt[starts].tolist(), last_pt[stops].tolist(),
        g.edge["way_id"][edges[starts]].tolist(), strict=True,
    )  # fmt: skip
    return [
        Segment(e, g.names[n] if n >= 0 else None, highway_names[h], sw, a, ln, f, la, w)
        for e, n, h, sw, a, ln, f, la, w in rows
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
            Segment(s.edge, s.name, s.highway, s.is_sidewalk, s.start_m + offset, s.length_m, s.first_point + shift, s.last_point + shift, s.way_id)
            for s in leg.segments
        ]  # fmt: skip
        for name, values in leg.unknowns.items():
            into = unknowns.setdefault(name, {})
            for k, v in values.items():
                into[k] = round(into.get(k, 0) + v, 1)
        offset += leg.distance_m
    inclines = [leg.max_incline for leg in legs if leg.max_incline]
    detours = [leg.detour for leg in legs]
    joined_detour = None
    if all(detours):
        joined_detour = detour(offset, sum(d["walk_distance_m"] for d in detours if d))
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
        detour=joined_detour,
        segments=segments,
        snapped={
            "origin": legs[0].snapped["origin"],
            "destination": legs[-1].snapped["destination"],
        },
        edges=[e for leg in legs for e in leg.edges],
        walk_edges=[e for leg in legs for e in leg.walk_edges],
    )
