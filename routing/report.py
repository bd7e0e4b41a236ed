"""Route reports: a search path turned into a :class:`~routing.route.Route`.

:func:`build_route` gathers the rows of a :class:`~routing.engine.Path`'s pieces from the
:class:`~routing.report_table.ReportTable` at once and walks them (kernel passes, then plain
Python over the few pieces listed) to find barriers, broken limits, unknowns, the largest
incline, duration, detour and, when asked, the rests report; the verdict, its breaks and what it
relies on come from :mod:`routing.verdict`. :func:`combine_routes` joins the legs of a route
through via points.

Nothing here knows the router: the caller passes the graph (geometry, names, lengths), the report
table consistent with it, the profile's weights and the path, so the module sits below
:mod:`routing.engine` without an import cycle.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Protocol

import numpy as np

from accessibility_rules.attributes import BarrierKind
from accessibility_rules.profile import Profile
from accessibility_rules.weights import EdgeWeights
from graphs.model import CompiledGraph
from routing._kernels.pieces import (
    BARRIER_FLAGS,
    BARRIER_ROW,
    FLAG_UNEVEN,
    RUN_COLUMNS,
    RUN_EDGE,
    RUN_FIRST_POINT,
    RUN_LAST_POINT,
    RUN_PIECE,
    barrier_rows,
    report_piece_flags,
    segment_runs,
    top_incline,
)
from routing._kernels.rounding import NEEDS_ROUNDING
from routing.geometry import route_polyline
from routing.report_table import (
    ACOUSTIC_NAMES,
    BARRIER_NAMES,
    CROSSING_NAMES,
    HIGHWAY_NAMES,
    INCLINE_SOURCE_NAMES,
    SMOOTHNESS_NAMES,
    SURFACE_NAMES,
    TRI_NAMES,
    Pieces,
    ReportTable,
    code_name,
)
from routing.rests import RestsAsked, rests_report, walk_seats
from routing.rounding import round_as_numpy, round_float
from routing.route import (
    Accessibility,
    Barrier,
    Break,
    Place,
    Reliance,
    Route,
    Segment,
    SegmentRuns,
    Stop,
    Violation,
    worst_verdict,
)
from routing.snapping import SnapPoint
from routing.verdict import route_accessibility, route_met, route_unknowns, verdict_plan
from routing.walking import detour, piece_meets, transition_delay_s, walked_length_m, walking_time_s

__all__ = [
    "SearchPath",
    "build_route",
    "combine_routes",
]


#: ``ndarray.sum`` without the Python wrapper of the method (the same ufunc reduction, so the
#: same values, pairwise summation included): a report takes a dozen.
_sum = np.add.reduce


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
    rests: RestsAsked | None = None,
) -> Route:
    """Turn a search path into a :class:`Route` report (a few kernel passes over its pieces,
    objects only for what is listed).

    ``table`` must match ``graph``'s current attributes (``Customizer.report_table()``); ``weights``
    are the profile's (violation and unknown bits). ``walk_path``, the plain walking route
    between the same points, gives the detour (None: no detour reported).
    The verdict reads what the walked parts of the end pieces meet (a kerb beyond the
    destination breaks nothing), so where the ends snapped needs no argument of its own.
    ``rests``: make the route's :attr:`~routing.route.Route.rests` report here (from the
    lengths and the polyline already at hand) instead of a copy of the route with it later;
    None leaves it None (see :func:`routing.rest_walks.with_rests`).

    Per piece, the kernels' arrays are turned into plain lists once: the few pieces a report
    lists are read from those, while sums over the route stay numpy's (see
    :mod:`routing._kernels`).
    """
    plan = verdict_plan(profile)
    edges = np.asarray(path.edges, dtype=np.int64)
    block = table.rows[edges]
    c = table.split(block)
    k = len(edges)
    start, end = float(path.start), float(path.end)
    lengths = np.empty(k)
    at = np.empty(k)
    flags = np.empty(k, dtype=np.int64)
    report_piece_flags(
        block, table.piece_columns, start, end, plan.steep_limit, plan.narrow_limit,
        plan.reported_surfaces, plan.reported_crossings, plan.reported_smoothness, _BARRIER_NONE,
        lengths, at, flags,
    )  # fmt: skip
    total = float(_sum(lengths))
    points, first_pt, last_pt = route_polyline(graph, edges, start, end)
    pieces = Pieces(
        flags.tolist(), at.tolist(), lengths.tolist(), points.tolist(), first_pt.tolist(),
        last_pt.tolist(),
    )  # fmt: skip
    geometry = pieces.geometry

    barriers = _barriers(block, table, flags, at, lengths, first_pt, last_pt, pieces, start, end)
    met = route_met(graph, table, weights, plan, edges, lengths, start, end)
    accessibility = route_accessibility(
        profile, plan, weights, edges, c, block, table.index, lengths, total, pieces, met
    )
    violations = [Violation(b.limit, b.at_m, b.lon, b.lat, b.message) for b in accessibility.breaks]
    unknowns = route_unknowns(met, lengths, block, table)

    max_incline = None
    top = top_incline(block, table.index["incline_percent"], flags)
    if top >= 0:
        max_incline = {
            "percent": round_float(float(block[top, table.index["incline_percent"]])),
            "source": INCLINE_SOURCE_NAMES[int(block[top, table.index["incline_source"]])],
            "at_m": round_float(pieces.at_m[top]),
        }

    # every piece but the last walks past its head (a slice: numpy sums the same values)
    passed = slice(0, k - 1)
    delays = transition_delay_s(
        profile, c["kerb_count"][passed].astype(np.int64), c["crossing_share"][passed]
    )
    duration = walking_time_s(profile, total, float(_sum(delays)))

    walk_detour = None
    walk_edges: list[int] = []
    walk_meets: list[int] = []
    if walk_path is not None:
        walk_edges = walk_path.edges.tolist()
        walk_meets = piece_meets(len(walk_edges), float(walk_path.start), float(walk_path.end))
        walk_m = walked_length_m(
            graph.edge["length_m"][walk_path.edges], float(walk_path.start), float(walk_path.end)
        )
        walk_detour = detour(total, walk_m)
    edge_list: list[int] = edges.tolist()
    rests_made = None
    if rests is not None:
        ends = ((path.source.lon, path.source.lat), (path.target.lon, path.target.lat))
        if geometry:
            ends = (tuple(geometry[0]), tuple(geometry[-1]))  # type: ignore[assignment]
        seats = walk_seats(graph, edges, start, end, at_m=at)
        rests_made = rests_report(
            seats, total, ends, rests.limit_m, least_bad=rests.least_bad,
            seats_known=rests.seats_known,
        )  # fmt: skip
    segments, runs = _segments(
        graph, edges, block, table.segment_columns, at, lengths, first_pt, last_pt
    )
    return Route(
        profile=profile.name,
        accessibility=accessibility,
        distance_m=total,
        duration_s=duration,
        cost_s=path.cost_s,
        geometry=geometry,
        barriers=barriers,
        violations=violations,
        unknowns=unknowns,
        max_incline=max_incline,
        detour=walk_detour,
        segments=segments,
        snapped={"origin": _snapped(path.source), "destination": _snapped(path.target)},
        edges=edge_list,
        walk_edges=walk_edges,
        meets=piece_meets(k, start, end),
        walk_meets=walk_meets,
        walked_m=pieces.length_m,
        rests=rests_made,
        polyline=points,
        segment_runs=runs,
    )


#: The kinds of :class:`Barrier` by the codes of :func:`~routing._kernels.pieces.barrier_rows`,
#: which is also the order a report lists them in at one place.
_BARRIER_KIND_NAMES = (
    "steep", "steps", "surface", "narrow", "crossing", "elevator", "kerb", "barrier",
)  # fmt: skip
#: Each kind with its :func:`~routing._kernels.pieces.report_piece_flags` bit
#: (:data:`~routing._kernels.pieces.BARRIER_FLAGS`, in the same order).
_BARRIER_KINDS = tuple(zip(_BARRIER_KIND_NAMES, BARRIER_FLAGS, strict=True))
_ANY_BARRIER = sum(BARRIER_FLAGS)


def _barriers(
    block: np.ndarray,
    table: ReportTable,
    flags: np.ndarray,
    at: np.ndarray,
    lengths: np.ndarray,
    first_pt: np.ndarray,
    last_pt: np.ndarray,
    pieces: Pieces,
    start: float,
    end: float,
) -> list[Barrier]:
    """Every barrier met, sorted by place (see :func:`_listed_barriers`, the rule in Python):
    found, placed, rounded and sorted by one kernel pass
    (:func:`routing._kernels.pieces.barrier_rows`,
    a row of numbers per barrier); Python names the codes and makes the objects. A route with a
    place near a half of a tenth (which only Python's ``round`` rounds exactly) takes
    :func:`_listed_barriers`."""
    k = len(flags)
    if not k:
        return []
    out = np.empty((len(_BARRIER_KINDS) * k, BARRIER_ROW))
    n = barrier_rows(
        flags, at, lengths, first_pt, last_pt, block, table.barrier_columns, start, end, out
    )
    if n == NEEDS_ROUNDING:
        return _listed_barriers(block, table.index, pieces, start, end)
    geometry = pieces.geometry
    found: list[Barrier] = []
    for kind, _, place, at_m, a, b, c, d, e in out[:n].tolist():
        lon, lat = geometry[int(place)]
        name = _BARRIER_KIND_NAMES[int(kind)]
        if name == "steep":
            details: dict[str, Any] = {
                "incline_percent": a, "length_m": b, "source": code_name(INCLINE_SOURCE_NAMES, c)
            }  # fmt: skip
        elif name == "steps":
            details = {
                "step_count": int(a) if a > 0 else None,
                "handrail": code_name(TRI_NAMES, b),
                "ramp_wheelchair": code_name(TRI_NAMES, c),
            }
        elif name == "surface":
            details = {
                "surface": code_name(SURFACE_NAMES, a),
                "smoothness": None if c != c else code_name(SMOOTHNESS_NAMES, c),
                "length_m": b,
            }
        elif name == "narrow":
            details = {"width_m": a}
        elif name == "crossing":
            details = {
                "crossing": code_name(CROSSING_NAMES, a),
                "acoustic_signal": code_name(ACOUSTIC_NAMES, b),
                "vibration_signal": code_name(TRI_NAMES, c),
                "tactile_paving": code_name(TRI_NAMES, d),
                "crossing_island": code_name(TRI_NAMES, e),
            }
        elif name == "elevator":
            details = {}
        elif name == "kerb":
            details = {"height_cm": None if a != a else a, "count": int(b)}
        else:
            details = {"barrier": code_name(BARRIER_NAMES, a)}
        found.append(_new_barrier((name, at_m, lon, lat, details)))
    return found


def _listed_barriers(
    block: np.ndarray, index: dict[str, int], pieces: Pieces, start: float, end: float
) -> list[Barrier]:
    """Every barrier met, sorted by place: for each piece whose flags mark a kind, its details
    (values rounded as reported, enum codes by name). Steep parts, steps, surfaces, narrow
    passages and crossing ways are placed at the piece's start (a crossing where one begins to
    cross: the kerb, said before it is reached, its point and its metres the same place),
    elevators, kerbs, barriers and the crossings of the head node (a crossing node, a road
    junction: ``crossing_at_head``, begun where the walk reaches the node) at its head.

    The pieces with a barrier are gathered from ``block`` (the route's report table rows) once,
    as plain floats; values are rounded by :func:`round_as_numpy`, as ``np.round`` did."""
    flags = pieces.flags
    hit = [i for i, bits in enumerate(flags) if bits & _ANY_BARRIER]
    if not hit:
        return []
    k = len(flags)
    rows = block[hit].tolist()
    present = 0
    for i in hit:
        present |= flags[i]
    at_m, length_m, geometry = pieces.at_m, pieces.length_m, pieces.geometry
    first_pt, last_pt = pieces.first_pt, pieces.last_pt
    ix = index
    out: list[Barrier] = []

    def add(kind: str, place: int, at_i: float, details: dict[str, Any]) -> None:
        lon, lat = geometry[place]
        out.append(_new_barrier((kind, round(at_i, 1), lon, lat, details)))

    for kind, flag in _BARRIER_KINDS:
        if not present & flag:
            continue
        for i, row in zip(hit, rows, strict=True):
            if not flags[i] & flag:
                continue
            if kind == "steep":
                add(kind, first_pt[i], at_m[i], {
                    "incline_percent": round_as_numpy(row[ix["incline_percent"]], 1),
                    "length_m": round_as_numpy(length_m[i], 1),
                    "source": code_name(INCLINE_SOURCE_NAMES, row[ix["incline_source"]]),
                })  # fmt: skip
            elif kind == "steps":
                total = row[ix["step_count"]]
                count = int(total) if math.isfinite(total) else -1  # as astype(int64): < 0
                frac = (end if i == k - 1 else 1.0) - (start if i == 0 else 0.0)
                add(kind, first_pt[i], at_m[i], {
                    # round(): half to even, as np.rint
                    "step_count": max(1, round(count * frac)) if count > 0 else None,
                    "handrail": code_name(TRI_NAMES, row[ix["handrail"]]),
                    "ramp_wheelchair": code_name(TRI_NAMES, row[ix["ramp_wheelchair"]]),
                })  # fmt: skip
            elif kind == "surface":
                uneven = flags[i] & FLAG_UNEVEN
                add(kind, first_pt[i], at_m[i], {
                    "surface": code_name(SURFACE_NAMES, row[ix["surface"]]),
                    "smoothness": (
                        code_name(SMOOTHNESS_NAMES, row[ix["smoothness"]]) if uneven else None
                    ),
                    "length_m": round_as_numpy(length_m[i], 1),
                })  # fmt: skip
            elif kind == "narrow":
                width = round_as_numpy(row[ix["passage_width_m"]], 2)
                add(kind, first_pt[i], at_m[i], {"width_m": width})
            elif kind == "crossing":
                at_head = row[ix["crossing_at_head"]] > 0  # a crossing node, a junction
                place, at_i = (
                    (last_pt[i], at_m[i] + length_m[i]) if at_head else (first_pt[i], at_m[i])
                )
                add(kind, place, at_i, {
                    "crossing": code_name(CROSSING_NAMES, row[ix["crossing"]]),
                    "acoustic_signal": code_name(ACOUSTIC_NAMES, row[ix["acoustic_signal"]]),
                    "vibration_signal": code_name(TRI_NAMES, row[ix["vibration_signal"]]),
                    "tactile_paving": code_name(TRI_NAMES, row[ix["tactile_paving"]]),
                    "crossing_island": code_name(TRI_NAMES, row[ix["crossing_island"]]),
                })  # fmt: skip
            elif kind == "elevator":
                add(kind, last_pt[i], at_m[i] + length_m[i], {})
            elif kind == "kerb":
                height = row[ix["kerb_height_cm"]]
                add(kind, last_pt[i], at_m[i] + length_m[i], {
                    "height_cm": None if math.isnan(height) else round_as_numpy(height, 1),
                    "count": int(row[ix["kerb_count"]]),
                })  # fmt: skip
            else:
                add(kind, last_pt[i], at_m[i] + length_m[i], {
                    "barrier": code_name(BARRIER_NAMES, row[ix["barrier"]]),
                })  # fmt: skip
    out.sort(key=lambda b: b.at_m)
    return out


#: :class:`Segment`, :class:`Barrier` and :class:`Place` from a tuple of their fields:
#: ``tuple.__new__`` (a named tuple's own ``__new__`` is a Python function; its call is a third
#: of the cost of a report's ~20 segments).
_new_segment = functools.partial(tuple.__new__, Segment)
_new_barrier = functools.partial(tuple.__new__, Barrier)
_BARRIER_NONE = float(BarrierKind.NONE)


def _snapped(snap: SnapPoint) -> dict[str, float]:
    return {"lon": snap.lon, "lat": snap.lat, "distance_m": round_float(snap.distance_m)}


def _segments(
    graph: CompiledGraph,
    edges: np.ndarray,
    block: np.ndarray,
    segment_columns: np.ndarray,
    at: np.ndarray,
    lengths: np.ndarray,
    first_pt: np.ndarray,
    last_pt: np.ndarray,
) -> tuple[list[Segment], SegmentRuns]:
    """Runs of pieces along one named street and of one kind of way (unnamed pieces stay
    separate: every path junction may need an instruction; a flight of steps in a named street
    is a segment of its own, so that it is announced), and the rows they are made from."""
    k = len(edges)
    runs = np.empty((k, RUN_COLUMNS), dtype=np.int64)
    n = segment_runs(block, segment_columns, edges, graph.edge["way_id"], first_pt, last_pt, runs)
    starts = runs[:n, RUN_PIECE]
    run_length = np.add.reduceat(lengths, starts)
    run_at = at[starts].tolist()
    names, highway_names = graph.names, HIGHWAY_NAMES
    sides = graph.edge["road_side"][runs[:n, RUN_EDGE]].tolist()  # of each run's first piece
    # a row unpacks in the order of the RUN_* columns
    segments = [
        _new_segment((e, names[nm] if nm >= 0 else None, highway_names[h], sw == 1, a, ln, f, la, w, s))
        for (_, e, nm, h, sw, w, f, la), a, ln, s in zip(runs[:n].tolist(), run_at, run_length.tolist(), sides, strict=True)
    ]  # fmt: skip
    return segments, SegmentRuns(runs[:n], run_length)


def _combine_accessibility(legs: list[Route]) -> Accessibility:
    """The verdict of a route through via points: the worst leg's, with every leg's breaks and
    reliances (places shifted to the whole route) and the length-weighted known share."""
    breaks: list[Break] = []
    relies: dict[tuple[str, bool], Reliance] = {}
    offset = known_m = 0.0
    for leg in legs:
        acc = leg.accessibility
        shift = round(offset, 1)  # see combine_routes
        breaks += [dataclasses.replace(b, at_m=round(b.at_m + shift, 1)) for b in acc.breaks]
        for r in acc.relies_on:
            places = [Place(round(p.at_m + shift, 1), p.lon, p.lat) for p in r.places]
            was = relies.get((r.attribute, r.estimated))
            if was is None:
                relies[(r.attribute, r.estimated)] = dataclasses.replace(r, places=places)
                continue
            relies[(r.attribute, r.estimated)] = dataclasses.replace(
                was,
                count=None if r.count is None else (was.count or 0) + r.count,
                length_m=None if r.length_m is None else round((was.length_m or 0) + r.length_m, 1),
                places=was.places + places,
            )
        known_m += acc.known_share * leg.distance_m
        offset += leg.distance_m
    return Accessibility(
        worst_verdict([leg.accessibility.verdict for leg in legs]),
        round(known_m / offset, 3) if offset > 0 else 1.0,
        breaks,
        list(relies.values()),
    )


def combine_routes(legs: list[Route]) -> Route:
    """One route through via points from its legs (positions shifted to the whole route).

    A leg's places are shifted by the metres before it rounded to 0.1 m, the precision they are
    said in: a barrier's place is rounded within its leg already, and shifted by the exact
    metres and rounded again it could say 0.1 m less than the turn onto the piece it lies on
    (whose place is rounded once), and be said before that turn. The whole route's
    ``distance_m`` is the exact sum. Its polyline and segment rows are the legs' joined (the
    instructions read them in one kernel pass, as a one-leg route's), when every leg has them."""
    if len(legs) == 1:
        return legs[0]
    geometry: list[list[float]] = []
    barriers: list[Barrier] = []
    violations: list[Violation] = []
    segments: list[Segment] = []
    unknowns: dict[str, dict[str, float]] = {}
    stops: list[Stop] = []
    shifts: list[int] = []  # per leg: the number its first point gets in the whole route
    offset = 0.0
    first_piece = 0  # of the leg, in the whole route's walked_m
    for leg in legs:
        at = round(offset, 1)
        if geometry:  # the via point between this leg and the one before: the join
            stops.append(Stop(at, len(geometry) - 1, first_piece))
        shift = len(geometry) - (
            1 if geometry and leg.geometry and geometry[-1] == leg.geometry[0] else 0
        )
        geometry.extend(leg.geometry[len(geometry) - shift :])
        shifts.append(shift)
        barriers += [
            Barrier(b.kind, round(b.at_m + at, 1), b.lon, b.lat, b.details) for b in leg.barriers
        ]
        violations += [
            Violation(v.limit, round(v.at_m + at, 1), v.lon, v.lat, v.message)
            for v in leg.violations
        ]
        segments += [
            Segment(s.edge, s.name, s.highway, s.is_sidewalk, s.start_m + at, s.length_m, s.first_point + shift, s.last_point + shift, s.way_id, s.road_side)
            for s in leg.segments
        ]  # fmt: skip
        for name, values in leg.unknowns.items():
            into = unknowns.setdefault(name, {})
            for k, v in values.items():
                into[k] = round(into.get(k, 0) + v, 1)
        offset += leg.distance_m
        first_piece += len(leg.walked_m)
    rows = _joined_rows(legs, shifts)
    inclines = [leg.max_incline for leg in legs if leg.max_incline]
    detours = [leg.detour for leg in legs]
    joined_detour = None
    if all(detours):
        joined_detour = detour(offset, sum(d["walk_distance_m"] for d in detours if d))
    return Route(
        profile=legs[0].profile,
        accessibility=_combine_accessibility(legs),
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
        meets=[m for leg in legs for m in leg.meets],
        walk_meets=[m for leg in legs for m in leg.walk_meets],
        walked_m=[m for leg in legs for m in leg.walked_m],
        stops=stops,
        polyline=None if rows is None else rows[0],
        segment_runs=None if rows is None else rows[1],
    )


def _joined_rows(legs: list[Route], shifts: list[int]) -> tuple[np.ndarray, SegmentRuns] | None:
    """The polyline and segment rows of a route through via points: the legs' own, joined as
    :func:`combine_routes` joined their geometry (``shifts``: the number of each leg's first
    point in the whole route; a leg whose first point repeats the last one before starts one
    point early), points and pieces numbered on from the legs before. None when a leg has
    none."""
    lines: list[np.ndarray] = []
    runs: list[np.ndarray] = []
    pieces = 0
    points = 0  # of the joined line so far
    for leg, shift in zip(legs, shifts, strict=True):
        rows, line = leg.segment_runs, leg.polyline
        if rows is None or line is None:
            return None
        moved = rows.runs.copy()
        moved[:, RUN_FIRST_POINT] += shift
        moved[:, RUN_LAST_POINT] += shift
        moved[:, RUN_PIECE] += pieces
        runs.append(moved)
        lines.append(line[points - shift :])  # without the point the line has already
        points = shift + len(line)
        pieces += len(leg.edges)
    lengths = np.concatenate([leg.segment_runs.length_m for leg in legs if leg.segment_runs])
    return np.concatenate(lines), SegmentRuns(np.concatenate(runs), lengths)
