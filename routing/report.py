"""Route reports: a search path turned into a :class:`~routing.route.Route`.

:class:`ReportTable` stacks every attribute a report reads into one table, so a route gathers
them in one indexing step; :func:`build_route` walks a :class:`~routing.engine.Path`'s pieces
(kernel passes, then plain Python over the few pieces listed) to find barriers, broken limits,
unknowns, the largest incline, duration, detour and, when asked, the rests report;
:func:`combine_routes` joins the legs of a route through via points.

Nothing here knows the router: the caller passes the graph (geometry, names, lengths), the report
table consistent with it, the profile's weights and the path, so the module sits below
:mod:`routing.engine` without an import cycle.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple, Protocol

import numpy as np

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    Smoothness,
    SurfaceClass,
    Tri,
)
from accessibility_rules.profile import Profile, UnknownTreatment
from accessibility_rules.registry import Where, unknown_flags
from accessibility_rules.weights import (
    BITS_DTYPE,
    POINT_LIMITS,
    EdgeWeights,
    Limit,
    Unknown,
    cares_about_paving,
    cares_about_signals,
)
from graphs.model import CompiledGraph
from routing._kernels.pieces import (
    BARRIER_COLUMNS,
    BARRIER_FLAGS,
    BARRIER_ROW,
    FLAG_UNEVEN,
    PIECE_COLUMNS,
    RUN_COLUMNS,
    RUN_EDGE,
    RUN_FIRST_POINT,
    RUN_LAST_POINT,
    RUN_PIECE,
    SEGMENT_COLUMNS,
    barrier_rows,
    report_piece_flags,
    segment_runs,
    top_incline,
)
from routing._kernels.rounding import NEEDS_ROUNDING
from routing._kernels.verdict import (
    PIECE_ESTIMATED_INCLINE,
    RELY_ALONG,
    RELY_ALONG_WALKED,
    RELY_HEADS,
    RELY_HELD_INCLINE,
    RELY_KERBS,
    RELY_NO_RAIL,
    RELY_STEP_COUNT,
    RULE_CAN_BREAK,
    RULE_CLOSED,
    RULE_FORBIDDEN,
    RULE_HANDRAIL,
    RULE_INCLINE,
    RULE_INCLINE_UNKNOWN,
    RULE_LIMITED,
    RULE_MAX_INCLINE,
    RULE_POINT_UNKNOWNS,
    RULE_SIZE,
    RULE_STEP_COUNT,
    RULE_UNKNOWN_FORBIDDEN,
    VERDICT_COLUMNS,
    reliance_pieces,
    route_verdict,
    verdict_masks_fill,
)
from routing.geometry import route_polyline
from routing.messages import limit_message
from routing.rests import RestsAsked, rests_report, walk_seats
from routing.rounding import round_as_numpy, round_float
from routing.route import (
    VERDICTS,
    Accessibility,
    Barrier,
    Break,
    Place,
    Reliance,
    Route,
    Segment,
    SegmentRuns,
    Stop,
    Verdict,
    Violation,
    worst_verdict,
)
from routing.snapping import SnapPoint
from routing.walking import (
    detour,
    piece_meets,
    transition_delay_s,
    walked_length_m,
    walking_time_s,
)

__all__ = [
    "ALONG_BREAKS",
    "ALONG_RELIES",
    "BREAKS",
    "ESTIMATE_CAN_BREAK_PARAMETER",
    "FROM_TAIL_BREAKS",
    "HEAD_BREAKS",
    "HEAD_RELIES",
    "NARROW_REPORT_M",
    "PASSED_HEAD_BREAKS",
    "POOR_SURFACES",
    "RELIES",
    "REPORT_EDGE_COLUMNS",
    "REPORT_EFFECTIVE_COLUMNS",
    "STEEP_REPORT_PERCENT",
    "VERDICT_CODE",
    "ReportTable",
    "SearchPath",
    "build_route",
    "combine_routes",
    "estimate_can_break",
    "limited_unknowns",
    "piece_verdict",
    "verdict_masks",
]

#: ``ndarray.sum`` and the OR of a whole 1-D array, without the Python wrapper of the method (the
#: same ufunc reduction, so the same values, pairwise summation included): a report takes a dozen.
_sum = np.add.reduce
_or = np.bitwise_or.reduce

#: Surfaces reported as poor underfoot/for wheels even when the profile accepts them.
POOR_SURFACES = frozenset(
    {
        SurfaceClass.SETT, SurfaceClass.COBBLESTONE, SurfaceClass.FINE_GRAVEL, SurfaceClass.GRAVEL,
        SurfaceClass.GROUND, SurfaceClass.GRASS, SurfaceClass.GRASS_PAVER, SurfaceClass.UNPAVED,
    }
)  # fmt: skip
#: Smoothness from this grade on is reported as uneven (with the surface it is on) even when the
#: profile accepts it: OSM's ``bad`` is "robust wheels needed" (a rollator, a pushchair jolts).
POOR_SMOOTHNESS = Smoothness.BAD
#: Inclines at or above this are reported as steep parts (DIN 18040: 6 % needs landings).
STEEP_REPORT_PERCENT = 6.0
#: Passages narrower than this are reported (DIN 18040: 1.20 m on straight runs).
NARROW_REPORT_M = 1.2


#: Edge attributes a route report reads, stacked in one table so a route gathers them at once.
REPORT_EDGE_COLUMNS = (
    "length_m", "incline_percent", "incline_source", "is_steps", "step_count", "handrail",
    "ramp_wheelchair", "surface", "name_id", "is_sidewalk", "highway", "smoothness", "lit",
)  # fmt: skip
REPORT_EFFECTIVE_COLUMNS = (
    "passage_width_m", "crossing", "acoustic_signal", "vibration_signal", "tactile_paving",
    "is_elevator", "kerb_count", "kerb_height_cm", "barrier", "crossing_share", "kerb_unknown_count",
    "crossing_at_head", "crossing_island",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportTable:
    """Every attribute a route report needs, as one ``m × C`` float64 table (one gather)."""

    rows: np.ndarray
    index: dict[str, int]
    #: Positions of :data:`routing._kernels.pieces.PIECE_COLUMNS` in ``rows`` (the kernel's
    #: columns).
    piece_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))

    #: Positions of :data:`routing._kernels.pieces.SEGMENT_COLUMNS` in ``rows``.
    segment_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    #: Positions of :data:`routing._kernels.verdict.VERDICT_COLUMNS` in ``rows``.
    verdict_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    #: Positions of :data:`routing._kernels.pieces.BARRIER_COLUMNS` in ``rows``.
    barrier_columns: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        cols = np.array([self.index[n] for n in PIECE_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "piece_columns", cols)
        cols = np.array([self.index[n] for n in VERDICT_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "verdict_columns", cols)
        cols = np.array([self.index[n] for n in SEGMENT_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "segment_columns", cols)
        cols = np.array([self.index[n] for n in BARRIER_COLUMNS], dtype=np.int64)
        object.__setattr__(self, "barrier_columns", cols)

    @classmethod
    def build(cls, edge: Mapping[str, np.ndarray], eff: Any) -> ReportTable:
        """Stack the raw and effective per-edge columns (rebuilt whenever obstacles change)."""
        columns = [edge[n] for n in REPORT_EDGE_COLUMNS]
        # arrays built by hand may lack crossing_at_head (every crossing along its edge then)
        # and crossing_island (not known anywhere)
        missing = {"crossing_at_head": False, "crossing_island": int(Tri.UNKNOWN)}
        m = len(eff.crossing)
        columns += [
            np.full(m, missing[n]) if (col := getattr(eff, n)) is None else col
            for n in REPORT_EFFECTIVE_COLUMNS
        ]
        rows = np.column_stack([np.asarray(col, dtype=np.float64) for col in columns])
        names = REPORT_EDGE_COLUMNS + REPORT_EFFECTIVE_COLUMNS
        return cls(np.ascontiguousarray(rows), {n: i for i, n in enumerate(names)})

    def columns(self) -> dict[str, np.ndarray]:
        """Every column for all edges (views, no copy)."""
        return {name: self.rows[:, i] for name, i in self.index.items()}

    def gather(self, edges: np.ndarray) -> Mapping[str, np.ndarray]:
        """The columns for ``edges`` (views into one gathered block)."""
        return self.split(self.rows[edges])

    def split(self, block: np.ndarray) -> Mapping[str, np.ndarray]:
        """The columns of ``block``, rows gathered from :attr:`rows` (each a view made when
        read: a report reads a few of them)."""
        return _Columns(block, self.index)


class _Columns(Mapping[str, np.ndarray]):
    """The named columns of a block of report table rows, as views made on access."""

    __slots__ = ("_block", "_index")

    def __init__(self, block: np.ndarray, index: dict[str, int]) -> None:
        self._block = block
        self._index = index

    def __getitem__(self, name: str) -> np.ndarray:
        return self._block[:, self._index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


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

    ``table`` must match ``graph``'s current attributes (``Router.report_table()``); ``weights``
    are the profile's (violation and unknown bits). ``walk_path``, the plain walking route
    between the same points, gives the detour (None: no detour reported).
    The verdict reads what the walked parts of the end pieces meet (a kerb beyond the
    destination breaks nothing), so where the ends snapped needs no argument of its own.
    ``rests``: make the route's :attr:`~routing.route.Route.rests` report here (from the
    lengths and the polyline already at hand) instead of a copy of the route with it later;
    None leaves it None (see :meth:`routing.engine.Router.with_rests`).

    Per piece, the kernels' arrays are turned into plain lists once: the few pieces a report
    lists are read from those, while sums over the route stay numpy's (see
    :mod:`routing._kernels`).
    """
    plan = _plan(profile)
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
    pieces = _Pieces(
        flags.tolist(), at.tolist(), lengths.tolist(), points.tolist(), first_pt.tolist(),
        last_pt.tolist(),
    )  # fmt: skip
    geometry = pieces.geometry

    barriers = _barriers(block, table, flags, at, lengths, first_pt, last_pt, pieces, start, end)
    met = _met(graph, table, weights, plan, edges, lengths, start, end)
    accessibility = _accessibility(
        profile, plan, weights, edges, c, block, table.index, lengths, total, pieces, met
    )
    violations = [Violation(b.limit, b.at_m, b.lon, b.lat, b.message) for b in accessibility.breaks]
    unknowns = _unknowns(met, lengths, block, table)

    max_incline = None
    top = top_incline(block, table.index["incline_percent"], flags)
    if top >= 0:
        max_incline = {
            "percent": round_float(float(block[top, table.index["incline_percent"]])),
            "source": _INCLINE_SOURCE_NAMES[int(block[top, table.index["incline_source"]])],
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


class _Pieces(NamedTuple):
    """A route's pieces as plain lists (what the report reads piece by piece): the
    :func:`~routing._kernels.pieces.report_piece_flags` bits, where each piece starts and the metres
    walked on it, the polyline and each piece's first and last point in it."""

    flags: list[int]
    at_m: list[float]
    length_m: list[float]
    geometry: list[list[float]]
    first_pt: list[int]
    last_pt: list[int]

    def place(self, i: int, at_head: bool) -> Place:
        """Where piece ``i`` starts, or its head."""
        if at_head:
            lon, lat = self.geometry[self.last_pt[i]]
            return _new_place((round_float(self.at_m[i] + self.length_m[i]), lon, lat))
        lon, lat = self.geometry[self.first_pt[i]]
        return _new_place((round_float(self.at_m[i]), lon, lat))


def _reported_surfaces(avoid_surfaces: Any) -> np.ndarray:
    """Surface codes reported as poor (indexed by code + 1: UNKNOWN is -1): :data:`POOR_SURFACES`
    and those the profile avoids."""
    return _reported_surface_table(tuple(sorted(avoid_surfaces)))


@functools.lru_cache(maxsize=16)
def _reported_smoothness(worst: str | None) -> np.ndarray:
    """Smoothness codes reported as uneven (indexed by code + 1: UNKNOWN is -1): from
    :data:`POOR_SMOOTHNESS` on, and every grade worse than the profile's ``worst_smoothness``
    (a limit the route breaks there is said where it is, not only in the verdict)."""
    table = np.zeros(len(Smoothness) + 1, dtype=bool)
    first = int(POOR_SMOOTHNESS)
    if worst is not None:
        first = min(first, int(Smoothness[worst.upper()]) + 1)
    table[first + 1 :] = True
    table.flags.writeable = False  # shared by every report of such profiles
    return table


def _reported_crossings(profile: Profile) -> np.ndarray:
    """Crossing kinds a route report lists (indexed by code + 1: UNKNOWN is -1): every crossing
    but the road junctions a walk along a road goes through, which are listed (and so said in
    the steps) for a profile that asks what a crossing has: signals with sound or tactile
    paving required or their absence priced, the rule its weights follow
    (:func:`~accessibility_rules.weights.cares_about_signals`, ``cares_about_paving``: the
    blind and low-vision presets; PRODUCT.md 7: blind users need crossings announced). For
    everyone else they would be a step every 50 m on streets without mapped sidewalks, about
    crossings whose facts they do not weigh; their time and price stay in the route either
    way (measured 2026-12-05: listed for every preset but walk, dog walk and allergy, a served
    answer cost 1.44× the server's CPU at concurrency 8, wheelchair and walk trips)."""
    return _REPORTED_CROSSINGS[cares_about_signals(profile) or cares_about_paving(profile)]


def _crossing_table(junctions: bool) -> np.ndarray:
    table = np.ones(max(int(k) for k in CrossingKind) + 2, dtype=bool)
    table[int(CrossingKind.NONE) + 1] = False
    table[int(CrossingKind.JUNCTION) + 1] = junctions
    table.flags.writeable = False  # shared by every report
    return table


#: :func:`_reported_crossings` without and with the road junctions.
_REPORTED_CROSSINGS = (_crossing_table(False), _crossing_table(True))


@functools.lru_cache(maxsize=256)
def _reported_surface_table(avoid_surfaces: tuple[str, ...]) -> np.ndarray:
    avoided = [int(SurfaceClass[x.upper()]) for x in avoid_surfaces]
    table = np.zeros(len(SurfaceClass) + 1, dtype=bool)
    table[[int(x) + 1 for x in POOR_SURFACES] + [x + 1 for x in avoided]] = True
    table.flags.writeable = False  # shared by every report of such profiles
    return table


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
    pieces: _Pieces,
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
                "incline_percent": a, "length_m": b, "source": _name(_INCLINE_SOURCE_NAMES, c)
            }  # fmt: skip
        elif name == "steps":
            details = {
                "step_count": int(a) if a > 0 else None,
                "handrail": _name(_TRI_NAMES, b),
                "ramp_wheelchair": _name(_TRI_NAMES, c),
            }
        elif name == "surface":
            details = {
                "surface": _name(_SURFACE_NAMES, a),
                "smoothness": None if c != c else _name(_SMOOTHNESS_NAMES, c),
                "length_m": b,
            }
        elif name == "narrow":
            details = {"width_m": a}
        elif name == "crossing":
            details = {
                "crossing": _name(_CROSSING_NAMES, a),
                "acoustic_signal": _name(_ACOUSTIC_NAMES, b),
                "vibration_signal": _name(_TRI_NAMES, c),
                "tactile_paving": _name(_TRI_NAMES, d),
                "crossing_island": _name(_TRI_NAMES, e),
            }
        elif name == "elevator":
            details = {}
        elif name == "kerb":
            details = {"height_cm": None if a != a else a, "count": int(b)}
        else:
            details = {"barrier": _name(_BARRIER_NAMES, a)}
        found.append(_new_barrier((name, at_m, lon, lat, details)))
    return found


def _listed_barriers(
    block: np.ndarray, index: dict[str, int], pieces: _Pieces, start: float, end: float
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
                    "source": _name(_INCLINE_SOURCE_NAMES, row[ix["incline_source"]]),
                })  # fmt: skip
            elif kind == "steps":
                total = row[ix["step_count"]]
                count = int(total) if math.isfinite(total) else -1  # as astype(int64): < 0
                frac = (end if i == k - 1 else 1.0) - (start if i == 0 else 0.0)
                add(kind, first_pt[i], at_m[i], {
                    # round(): half to even, as np.rint
                    "step_count": max(1, round(count * frac)) if count > 0 else None,
                    "handrail": _name(_TRI_NAMES, row[ix["handrail"]]),
                    "ramp_wheelchair": _name(_TRI_NAMES, row[ix["ramp_wheelchair"]]),
                })  # fmt: skip
            elif kind == "surface":
                uneven = flags[i] & FLAG_UNEVEN
                add(kind, first_pt[i], at_m[i], {
                    "surface": _name(_SURFACE_NAMES, row[ix["surface"]]),
                    "smoothness": _name(_SMOOTHNESS_NAMES, row[ix["smoothness"]]) if uneven else None,
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
                    "crossing": _name(_CROSSING_NAMES, row[ix["crossing"]]),
                    "acoustic_signal": _name(_ACOUSTIC_NAMES, row[ix["acoustic_signal"]]),
                    "vibration_signal": _name(_TRI_NAMES, row[ix["vibration_signal"]]),
                    "tactile_paving": _name(_TRI_NAMES, row[ix["tactile_paving"]]),
                    "crossing_island": _name(_TRI_NAMES, row[ix["crossing_island"]]),
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
                    "barrier": _name(_BARRIER_NAMES, row[ix["barrier"]]),
                })  # fmt: skip
    out.sort(key=lambda b: b.at_m)
    return out


#: :class:`Segment`, :class:`Barrier` and :class:`Place` from a tuple of their fields:
#: ``tuple.__new__`` (a named tuple's own ``__new__`` is a Python function; its call is a third
#: of the cost of a report's ~20 segments).
_new_segment = functools.partial(tuple.__new__, Segment)
_new_barrier = functools.partial(tuple.__new__, Barrier)
_new_place = functools.partial(tuple.__new__, Place)


def _enum_table(enum: type[IntEnum]) -> dict[int, str]:
    """Lower-case names of ``enum``'s members by code."""
    return {int(m): (m.name or "").lower() for m in enum}


_INCLINE_SOURCE_NAMES = _enum_table(InclineSource)
_TRI_NAMES = _enum_table(Tri)
_SURFACE_NAMES = _enum_table(SurfaceClass)
_CROSSING_NAMES = _enum_table(CrossingKind)
_ACOUSTIC_NAMES = _enum_table(AcousticSignal)
_BARRIER_NAMES = _enum_table(BarrierKind)
_HIGHWAY_NAMES = _enum_table(HighwayClass)
_SMOOTHNESS_NAMES = _enum_table(Smoothness)
_BARRIER_NONE = float(BarrierKind.NONE)


def _name(names: dict[int, str], code: float) -> str:
    """The name of enum code ``code`` (a float from the report table); "unknown" for a code
    the enum does not have."""
    return names.get(int(code), "unknown")


def _unknowns(
    met: _Met, lengths: np.ndarray, block: np.ndarray, table: ReportTable
) -> dict[str, dict[str, float]]:
    """The route's unknown facts by name, from the unknown bits its pieces meet (``met``, where
    the verdict counts them): unknown kerb heights by count and the facts at a piece's head by
    the heads passed (every piece but the last), the others by the metres walked on pieces
    where some length is walked (a step count: met wherever walked). Counted and summed by the
    verdict's reliance kernel (:func:`routing._kernels.verdict.reliance_pieces`, as numpy sums
    them), over every unknown flag, limited or not; ``block``: the route's rows of the report
    ``table``."""
    present = met.unknown_bits
    if not present:
        return {}
    k, count = len(lengths), len(_UNKNOWN_REPORT)
    values = np.empty(count)
    reliance_pieces(
        met.unknowns, met.bits, lengths, block, table.index["incline_percent"],
        table.index["kerb_unknown_count"], _UNKNOWN_REPORT_BITS, _UNKNOWN_REPORT_KINDS, present,
        0, np.zeros(k, dtype=bool), np.empty(count * k + 1, dtype=np.int64),
        np.empty(count + 1, dtype=np.int64), values, np.zeros(k, dtype=bool),
        np.empty(k, dtype=bool), np.empty(k),
    )  # fmt: skip
    unknowns: dict[str, dict[str, float]] = {}
    for (bit, name, kind), value in zip(_UNKNOWN_REPORT, values.tolist(), strict=True):
        if not present & bit:
            continue
        if kind in (RELY_ALONG, RELY_ALONG_WALKED):
            if value > 0:
                unknowns[name] = {"length_m": round_float(value)}
        elif number := int(value):
            unknowns[name] = {"count": number}
    return unknowns


# --------------------------------------------------------------------------- the verdict

#: Incline sources whose value is an estimate rather than a measurement or a tag.
_ESTIMATED_INCLINE_SOURCES = (int(InclineSource.DEM), int(InclineSource.TAG_DIRECTION_ONLY))

#: The profile parameter (added with the severity rules) saying whether an estimated incline
#: above the limit may make the verdict "no"; read only by :func:`estimate_can_break`.
ESTIMATE_CAN_BREAK_PARAMETER = "estimated_incline_breaks_limit"

#: Unknown flags that describe a point met at an edge's head (kerbs, crossing signals).
_POINT_UNKNOWNS = sum(
    int(Unknown[f.upper()]) for f, w in unknown_flags().items() if w is not Where.EDGE
)

#: (bit, name, how it is counted: a ``RELY_*`` kind of
#: :func:`~routing._kernels.verdict.reliance_pieces`)
#: of every Unknown flag in declaration order, as plain values (IntFlag arithmetic is slow): the
#: unknown kerb heights by count, the other facts at an edge's head (:data:`_POINT_UNKNOWNS`:
#: crossing signals, tactile paving, barriers) by the heads passed, the unknown step count by the
#: metres of the pieces where some length is walked, the others by length.
_UNKNOWN_REPORT = tuple(
    (
        int(f),
        (f.name or "").lower(),
        RELY_KERBS
        if f == Unknown.KERB_HEIGHT
        else RELY_HEADS
        if int(f) & _POINT_UNKNOWNS
        else RELY_ALONG_WALKED
        if f == Unknown.STEP_COUNT
        else RELY_ALONG,
    )
    for f in Unknown
)
#: The bits of :data:`_UNKNOWN_REPORT` and their kinds, as the kernel reads them.
_UNKNOWN_REPORT_BITS = np.array([bit for bit, _, _ in _UNKNOWN_REPORT], dtype=np.int64)
_UNKNOWN_REPORT_KINDS = np.array([kind for _, _, kind in _UNKNOWN_REPORT], dtype=np.int64)


def estimate_can_break(profile: Profile) -> bool:
    """Whether an *estimated* incline above the profile's limit makes the verdict "no".

    THE one place that decides it. The profile parameter :data:`ESTIMATE_CAN_BREAK_PARAMETER`
    says so where the profile has it; without it an estimate can break a limit (the break is
    still marked ``estimated``). When it cannot, the break is reported in ``relies_on`` as an
    estimated incline and the verdict is at worst "unknown".
    """
    return bool(getattr(profile, ESTIMATE_CAN_BREAK_PARAMETER, True))


def limited_unknowns(profile: Profile) -> Unknown:
    """The :class:`Unknown` flags whose attribute a *limit* of ``profile`` reads.

    Weights flag unknowns also for soft penalties (an incline penalty, avoided surfaces that
    are only penalised); the verdict asks only about limits: an unknown value there means the
    limit is not known to hold.
    """
    return Unknown(_limited_bits(profile))


def _limited_bits(profile: Profile) -> int:
    """:func:`limited_unknowns` as a plain int (a new profile's report plan reads it)."""
    p = profile
    limited = (  # in _LIMITED_ORDER: a flag added to Unknown must be added here (checked below)
        p.max_incline_percent is not None,
        p.max_kerb_height_cm is not None,
        p.min_width_m is not None,
        p.avoid_surfaces_hard and bool(p.avoid_surfaces),
        p.worst_smoothness is not None,
        p.max_step_count is not None and not p.avoid_steps,
        p.require_lit,
        p.require_acoustic_signals,
        p.require_tactile_paving,
        # who may pass a barrier is a limit of every profile (its mobility class's column)
        True,
        # pollen exposure is weighed, never a limit (unknown.pollen = forbid is a forbidden bit)
        False,
    )
    return sum(bit for bit, limits in zip(_LIMITED_BITS, limited, strict=True) if limits)


#: The Unknown flags in the order of :func:`_limited_bits`' tuple.
_LIMITED_ORDER = (
    "INCLINE", "KERB_HEIGHT", "WIDTH", "SURFACE", "SMOOTHNESS", "STEP_COUNT", "LIT",
    "ACOUSTIC_SIGNAL", "TACTILE_PAVING", "BARRIER", "POLLEN",
)  # fmt: skip
if set(_LIMITED_ORDER) != set(Unknown.__members__):  # pragma: no cover - a new flag needs a rule
    raise ImportError(
        f"limited_unknowns does not know {set(Unknown.__members__) ^ set(_LIMITED_ORDER)}"
    )
_LIMITED_BITS = tuple(int(Unknown[name]) for name in _LIMITED_ORDER)


@dataclass(frozen=True, slots=True)
class _VerdictPlan:
    """What the verdict and the report read of one profile, worked out once (IntFlag arithmetic
    and reading a profile's fields are slow)."""

    limited: int  # Unknown bits a limit reads
    forbidden: int  # Unknown bits the profile forbids
    flags: tuple[tuple[int, str, bool], ...]  # (bit, name, at the head) of each limited flag
    rule: np.ndarray  # the verdict kernels' ``rule`` argument (bits of the rule, the profile's)
    can_break: bool  # estimate_can_break(profile)
    max_incline: bool  # the profile limits inclines: estimated ones are relied on
    handrail: bool  # the profile requires handrails on the steps it allows
    steep_limit: float  # inclines at or above this are reported as steep parts
    narrow_limit: float  # passages narrower than this are reported
    reported_surfaces: np.ndarray  # _reported_surfaces(profile.avoid_surfaces)
    reported_crossings: np.ndarray  # _reported_crossings(profile)
    reported_smoothness: np.ndarray  # _reported_smoothness(profile.worst_smoothness)
    #: What the verdict may rely on, in the order listed: (name, along (metres) or counted,
    #: placed at the piece's head, estimated), and the bit and ``RELY_*`` kind of each for
    #: :func:`~routing._kernels.verdict.reliance_pieces`.
    relies: tuple[tuple[str, bool, bool, bool], ...] = ()
    rely_bits: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    rely_kinds: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))


def _reliances(
    flags: tuple[tuple[int, str, bool], ...], max_incline: bool, handrail: bool
) -> tuple[tuple[tuple[str, bool, bool, bool], ...], np.ndarray, np.ndarray]:
    """:attr:`_VerdictPlan.relies`, ``rely_bits`` and ``rely_kinds``: each limited unknown flag
    (an unknown kerb height counted by kerbs at the head, the other head facts by heads, an
    unknown step count by pieces, the rest by metres along), then the estimated inclines held
    when the profile limits inclines, then the flights of unknown handrail when it requires
    handrails."""
    entries: list[tuple[tuple[str, bool, bool, bool], int, int]] = []
    for bit, name, at_head in flags:
        if bit == _KERB_HEIGHT_BIT:
            entries.append(((name, False, True, False), bit, RELY_KERBS))
        elif at_head:
            entries.append(((name, False, True, False), bit, RELY_HEADS))
        elif bit == _STEP_COUNT_BIT:
            entries.append(((name, False, False, False), bit, RELY_STEP_COUNT))
        else:
            entries.append(((name, True, False, False), bit, RELY_ALONG))
    if max_incline:
        entries.append((("incline", True, False, True), 0, RELY_HELD_INCLINE))
    if handrail:
        entries.append((("handrail", False, False, False), 0, RELY_NO_RAIL))
    return (
        tuple(e[0] for e in entries),
        np.array([e[1] for e in entries], dtype=np.int64),
        np.array([e[2] for e in entries], dtype=np.int64),
    )


#: The plans of the profiles met last, by identity: hashing a profile (the key of
#: :func:`_plan_of`'s cache) reads every one of its fields, a few microseconds per report. Each
#: entry holds its profile, so the id stays that profile's while the entry lives.
_PLANS_BY_ID: dict[int, tuple[Profile, _VerdictPlan]] = {}
_PLANS_BY_ID_MAX = 64


def _plan(profile: Profile) -> _VerdictPlan:
    """:func:`_plan_of` ``profile``, looked up by identity first."""
    entry = _PLANS_BY_ID.get(id(profile))
    if entry is not None and entry[0] is profile:
        return entry[1]
    plan = _plan_of(profile)
    if len(_PLANS_BY_ID) >= _PLANS_BY_ID_MAX:
        _PLANS_BY_ID.clear()
    _PLANS_BY_ID[id(profile)] = (profile, plan)
    return plan


#: (bit, name, at the head) of every Unknown flag, as plain ints.
_UNKNOWN_BITS = tuple(
    (int(f), (f.name or "").lower(), bool(int(f) & _POINT_UNKNOWNS)) for f in Unknown
)


@functools.lru_cache(maxsize=64)
def _plan_of(profile: Profile) -> _VerdictPlan:
    limited = _limited_bits(profile)
    forbid = UnknownTreatment.FORBID  # plain ints below: IntFlag members are slow to iterate
    forbidden = sum(
        bit for bit, name, _ in _UNKNOWN_BITS if getattr(profile.unknown, name) == forbid
    )
    flags = tuple(entry for entry in _UNKNOWN_BITS if limited & entry[0])
    can_break = estimate_can_break(profile)
    max_incline = profile.max_incline_percent is not None
    handrail = profile.require_handrail_on_steps and not profile.avoid_steps
    rule = np.zeros(RULE_SIZE, dtype=np.int64)
    rule[RULE_UNKNOWN_FORBIDDEN] = int(Limit.UNKNOWN_FORBIDDEN)
    rule[RULE_CLOSED] = _CLOSED_BIT
    rule[RULE_INCLINE] = _INCLINE_BIT
    rule[RULE_POINT_UNKNOWNS] = _POINT_UNKNOWNS
    rule[RULE_STEP_COUNT] = _STEP_COUNT_BIT
    rule[RULE_INCLINE_UNKNOWN] = _INCLINE_UNKNOWN_BIT
    rule[RULE_FORBIDDEN] = forbidden
    rule[RULE_LIMITED] = limited
    rule[RULE_CAN_BREAK] = can_break
    rule[RULE_MAX_INCLINE] = max_incline
    rule[RULE_HANDRAIL] = handrail
    steep = min(STEEP_REPORT_PERCENT, profile.max_incline_percent or STEEP_REPORT_PERCENT)
    narrow = profile.min_width_m if profile.min_width_m is not None else NARROW_REPORT_M
    return _VerdictPlan(
        limited, forbidden, flags, rule, can_break, max_incline, handrail, float(steep),
        float(narrow), _reported_surfaces(profile.avoid_surfaces), _reported_crossings(profile),
        _reported_smoothness(profile.worst_smoothness), *_reliances(flags, max_incline, handrail),
    )  # fmt: skip


#: The verdict kernels' ``codes`` argument: the estimated incline sources, Tri.UNKNOWN.
_CODES = np.array([*_ESTIMATED_INCLINE_SOURCES, int(Tri.UNKNOWN)], dtype=np.float64)
#: :data:`~routing._kernels.verdict.VERDICT_COLUMNS` in a block of exactly those columns.
_VERDICT_BLOCK_COLS = np.arange(len(VERDICT_COLUMNS), dtype=np.int64)


#: Limit → (attribute it reads, unit of its values); every limit but UNKNOWN_FORBIDDEN.
_LIMIT_ATTRIBUTE: dict[Limit, tuple[str, str | None]] = {
    Limit.CLOSED: ("closed", None),
    Limit.STEPS: ("steps", "steps"),
    Limit.STEP_COUNT: ("step_count", "steps"),
    Limit.HANDRAIL: ("handrail", None),
    Limit.INCLINE: ("incline", "%"),
    Limit.KERB_HEIGHT: ("kerb_height", "cm"),
    Limit.WIDTH: ("width", "m"),
    Limit.SURFACE: ("surface", None),
    Limit.SMOOTHNESS: ("smoothness", None),
    Limit.LIT: ("lit", None),
    Limit.BARRIER: ("barrier", None),
    Limit.WHEELCHAIR_NO: ("wheelchair", None),
    Limit.ACOUSTIC_SIGNAL: ("acoustic_signal", None),
    Limit.TACTILE_PAVING: ("tactile_paving", None),
}


#: (limit, bit, name, at the head) of every limit with an attribute, as plain ints.
_LIMIT_BITS = tuple(
    (lim, int(lim), (lim.name or "").lower(), bool(int(lim) & int(POINT_LIMITS)))
    for lim in _LIMIT_ATTRIBUTE
)
_INCLINE_BIT = int(Limit.INCLINE)
_CLOSED_BIT = int(Limit.CLOSED)
_STEP_COUNT_BIT = int(Unknown.STEP_COUNT)
_INCLINE_UNKNOWN_BIT = int(Unknown.INCLINE)
_KERB_HEIGHT_BIT = int(Unknown.KERB_HEIGHT)


def _measure(
    limit: Limit, c: Mapping[str, np.ndarray], i: int, profile: Profile
) -> tuple[float | int | str | None, float | int | str | list[str] | None]:
    """The value met on piece ``i`` and the profile's limit for it, in the limit's unit."""
    p = profile
    if limit == Limit.INCLINE:
        return round(float(c["incline_percent"][i]), 2), p.max_incline_percent
    if limit in (Limit.STEPS, Limit.STEP_COUNT):
        count = int(c["step_count"][i])
        return (count if count >= 0 else None), (0 if limit == Limit.STEPS else p.max_step_count)
    if limit == Limit.KERB_HEIGHT:
        return round(float(c["kerb_height_cm"][i]), 1), p.max_kerb_height_cm
    if limit == Limit.WIDTH:
        return round(float(c["passage_width_m"][i]), 2), p.min_width_m
    if limit == Limit.SURFACE:
        return _name(_SURFACE_NAMES, c["surface"][i]), sorted(p.avoid_surfaces)
    if limit == Limit.SMOOTHNESS:
        return _name(_SMOOTHNESS_NAMES, c["smoothness"][i]), p.worst_smoothness
    if limit == Limit.BARRIER:
        return _name(_BARRIER_NAMES, c["barrier"][i]), None
    if limit in (Limit.HANDRAIL, Limit.LIT, Limit.ACOUSTIC_SIGNAL, Limit.TACTILE_PAVING):
        return "no", "yes"
    if limit == Limit.WHEELCHAIR_NO:
        return "no", None
    return None, None


# --- the verdict rule per edge: what walking an edge (or part of it) means for the verdict ------

#: Verdict facts of a *walk* (a piece, a path): OR them along a route; :data:`BREAKS` makes the
#: verdict "no", else :data:`RELIES` makes it "unknown", else it is "yes".
BREAKS = 1
RELIES = 2
#: Verdict code of the OR of a walk's facts (``0..3``): 0 "yes", 1 "unknown", 2 "no" (the index
#: in :data:`routing.route.VERDICTS`).
VERDICT_CODE = np.array([0, 2, 1, 2], dtype=np.int8)

#: Per-edge verdict mask bits (:func:`verdict_masks`), by what the walk must do for them to count.
ALONG_BREAKS = 1 << 0  # some of the edge is walked (fraction > 0)
ALONG_RELIES = 1 << 1
HEAD_BREAKS = 1 << 2  # the walk goes on through the edge's head (every piece but the last)
HEAD_RELIES = 1 << 3
PASSED_HEAD_BREAKS = 1 << 4  # the head is passed by a walk that walks some of the edge
FROM_TAIL_BREAKS = 1 << 5  # the walk starts on the tail node and walks some of the edge


def verdict_masks(
    profile: Profile,
    violations: np.ndarray,
    at_head: np.ndarray,
    unknowns: np.ndarray,
    c: Any,
    closed_edge: np.ndarray,
    closed_head: np.ndarray,
    closed_tail: np.ndarray,
) -> np.ndarray:
    """THE verdict rule per edge: a uint8 mask of ``ALONG_*``, ``HEAD_*``, ``PASSED_HEAD_BREAKS``
    and ``FROM_TAIL_BREAKS`` bits for each of the edges given (``violations``/``unknowns`` are the
    profile's bits of those edges, ``at_head`` the violation bits broken only at the edge's head
    node — ``EdgeWeights.violations_at_head``: kerb, barrier, crossing signals, a node's
    ``wheelchair=no``, a gap's ``maxwidth`` —, ``c`` their report columns, ``closed_*`` whether the edge, its
    head node and its tail node are closed). :func:`piece_verdict` says which bits a piece meets.

    *Breaks* a known limit:

    - along (some of the edge walked): every limit broken along the edge (not those broken
      only at its head) — an incline *estimated* above the limit
      only where :func:`estimate_can_break` — and the edge's own closure; an unknown value the
      profile forbids: a step count always, the other facts along the way only where the edge
      has a length;
    - at the head (the walk goes on through it): the limits broken only there (kerb, barrier,
      crossing signals, a node's ``wheelchair=no`` or ``maxwidth``) and the forbidden unknown
      kerbs, crossings and barriers there;
    - a closed head node only when the walk also walks some of the edge, a closed tail node only
      when the walk starts on it (and walks some of the edge).

    *Relies* on unknown or estimated data (for a limit the profile sets,
    :func:`limited_unknowns`):

    - along: an unknown value along the way where the edge has a length (an incline only when
      it has no value at all), an unknown step count always; an incline estimated from the
      elevation model (or tagged by direction only) that the profile limits
      (``max_incline_percent``), where the edge has a length, is no flight of steps and the
      estimate breaks nothing; a flight of steps of unknown handrail where the profile requires
      handrails and allows steps;
    - at the head: an unknown kerb height, crossing signal, tactile paving or barrier.

    :func:`_accessibility` lists exactly these facts as ``breaks`` and ``relies_on``.
    """
    plan = _plan(profile)
    v = np.ascontiguousarray(violations, dtype=BITS_DTYPE)
    block = np.column_stack([np.asarray(c[n], dtype=np.float64) for n in VERDICT_COLUMNS])
    mask = np.empty(v.shape, dtype=np.uint8)
    verdict_masks_fill(
        v, np.ascontiguousarray(at_head, dtype=BITS_DTYPE),
        np.ascontiguousarray(unknowns, dtype=BITS_DTYPE), block, _VERDICT_BLOCK_COLS,
        np.ascontiguousarray(closed_edge, dtype=bool), np.ascontiguousarray(closed_head, dtype=bool),
        np.ascontiguousarray(closed_tail, dtype=bool), plan.rule, _CODES, mask,
    )  # fmt: skip
    return mask


def piece_verdict(
    masks: np.ndarray | int,
    walked: np.ndarray | bool,
    through_head: np.ndarray | bool,
    from_tail: np.ndarray | bool,
) -> np.ndarray:
    """:data:`BREAKS` / :data:`RELIES` of pieces with :func:`verdict_masks` ``masks``: ``walked``
    (some of the edge is walked), ``through_head`` (the walk goes on through the head: every
    piece but a route's last) and ``from_tail`` (the route starts on the tail node: its first
    piece, starting at fraction 0). Inputs broadcast; OR the result along a route."""
    m = np.asarray(masks, dtype=np.uint8)
    walked = np.asarray(walked, dtype=bool)
    through_head = np.asarray(through_head, dtype=bool)
    out = np.where(walked, m & 3, 0) | np.where(through_head, (m >> 2) & 3, 0)
    out |= np.where(walked & through_head, (m >> 4) & 1, 0)
    out |= np.where(walked & np.asarray(from_tail, dtype=bool), (m >> 5) & 1, 0)
    return out.astype(np.uint8)


class _Met(NamedTuple):
    """What a route's pieces meet (:func:`routing._kernels.verdict.route_verdict`): the verdict
    facts of the walk; per piece the violation bits, the unknown bits and the ``PIECE_*`` bits; and
    the unknown bits met anywhere (their OR)."""

    facts: int
    violations: np.ndarray
    unknowns: np.ndarray
    bits: np.ndarray
    unknown_bits: int


def _met(
    graph: CompiledGraph,
    table: ReportTable,
    weights: EdgeWeights,
    plan: _VerdictPlan,
    edges: np.ndarray,
    lengths: np.ndarray,
    start: float,
    end: float,
) -> _Met:
    """:class:`_Met` of the walk over ``edges`` (``lengths``: the metres walked on each) from
    fraction ``start`` of the first to ``end`` of the last."""
    k = len(edges)
    met = np.empty(k, dtype=np.int64)
    u_met = np.empty(k, dtype=np.int64)
    piece_bits = np.empty(k, dtype=np.int64)
    facts = route_verdict(
        edges, weights.violations, weights.violations_at_head, weights.unknowns, table.rows,
        table.verdict_columns, graph.edge["closed"], graph.node["closed"], graph.head,
        graph.tail, lengths, start, end, plan.rule, _CODES, met, u_met, piece_bits,
    )  # fmt: skip
    return _Met(facts, met, u_met, piece_bits, int(_or(u_met)) if k else 0)


def _accessibility(
    profile: Profile,
    plan: _VerdictPlan,
    weights: EdgeWeights,
    edges: np.ndarray,
    c: Mapping[str, np.ndarray],
    block: np.ndarray,
    index: dict[str, int],
    lengths: np.ndarray,
    total: float,
    pieces: _Pieces,
    met: _Met,
) -> Accessibility:
    """The verdict on a route's pieces (see :class:`~routing.route.Accessibility`).

    The walk starts at fraction ``start`` of the first piece and ends at ``end`` of the last:
    a limit broken along an edge counts where some of it is walked, one at the head
    (:data:`~accessibility_rules.weights.POINT_LIMITS`, point unknowns) where the walk goes on
    through the head, so nothing beyond either end of the route counts; a closed node counts
    once, where the walk passes it (the tail of the first piece only when the walk starts on
    it). The verdict itself is the rule of :func:`verdict_masks` and :func:`piece_verdict`
    (the rule the matrix applies to its cells), applied per piece by the kernel
    :func:`routing._kernels.verdict.route_verdict` (``met``, :func:`_met`); the breaks and reliances
    listed are exactly the facts that rule counts. ``plan`` is ``_plan(profile)``; ``pieces``
    gives the places.
    """
    k = len(edges)
    v_met, u_met, piece_bits = met.violations, met.unknowns, met.bits
    place = pieces.place

    # --- what is broken ------------------------------------------------------------------
    # (numpy operations only where the profile forbids an unknown: each costs microseconds)
    forbidden = u_met & np.int64(plan.forbidden) if plan.forbidden else None
    broken = v_met if forbidden is None else v_met | forbidden
    breaks: list[Break] = []
    incline_broken: list[int] = []  # pieces with an incline break listed
    for i in broken.nonzero()[0].tolist():
        bits = int(v_met[i])
        forbid = 0 if forbidden is None else int(forbidden[i])
        point = int(weights.violations_at_head[edges[i]])  # the bits broken only at its head
        for limit, bit, name, _ in _LIMIT_BITS:
            if not bits & bit:
                continue
            at_head = bool(point & bit)
            estimated = bit == _INCLINE_BIT and bool(piece_bits[i] & PIECE_ESTIMATED_INCLINE)
            if estimated and not plan.can_break:  # relied on below instead
                continue
            if bit == _INCLINE_BIT:
                incline_broken.append(i)
            attribute, unit = _LIMIT_ATTRIBUTE[limit]
            value, limit_value = _measure(limit, c, i, profile)
            where = place(i, at_head)
            message = limit_message(limit, c, i, profile, estimated=estimated)
            breaks.append(
                Break(
                    name, attribute, where.at_m, where.lon, where.lat, _plain(value),
                    limit_value, unit, estimated, message,
                )
            )  # fmt: skip
        for bit, name, at_head in _UNKNOWN_BITS:
            if forbid & bit:
                where = place(i, at_head)
                message = limit_message(Limit.UNKNOWN_FORBIDDEN, c, i, profile, unknown_bits=bit)
                breaks.append(
                    Break(
                        "unknown_forbidden", name, where.at_m, where.lon, where.lat,
                        None, None, None, False, message,
                    )
                )  # fmt: skip
    breaks.sort(key=lambda b: b.at_m)

    # --- what rests on unknown or estimated data -------------------------------------------
    listed_broken = np.zeros(k, dtype=bool)
    if incline_broken:
        listed_broken[incline_broken] = True  # an estimate listed as broken is not relied on
    entries = plan.relies
    firsts = np.empty(len(entries) + 1, dtype=np.int64)
    hit = np.empty(len(entries) * k + 1, dtype=np.int64)
    values = np.empty(len(entries))
    unknown_m = reliance_pieces(
        u_met, piece_bits, lengths, block, index["incline_percent"], index["kerb_unknown_count"],
        plan.rely_bits, plan.rely_kinds, met.unknown_bits & plan.limited, _INCLINE_UNKNOWN_BIT,
        listed_broken, hit, firsts, values, np.zeros(k, dtype=bool), np.empty(k, dtype=bool),
        np.empty(k),
    )  # fmt: skip
    relies: list[Reliance] = []
    bounds = firsts.tolist()
    found = hit[: bounds[-1]].tolist()
    for (name, along, at_head, estimated), lo, hi, value in zip(
        entries, bounds[:-1], bounds[1:], values.tolist(), strict=True
    ):
        if lo == hi:  # on no piece: nothing to list
            continue
        places = [place(i, at_head) for i in found[lo:hi]]
        if along:  # its metres, where each run starts
            relies.append(Reliance(name, None, round_float(value), places, estimated))
        else:  # counted at each piece (or its head)
            relies.append(Reliance(name, int(value), None, places))
    known = 1.0 if total <= 0 else 1.0 - unknown_m / total
    verdict: Verdict = VERDICTS[int(VERDICT_CODE[met.facts])]
    return Accessibility(verdict, round_float(min(max(known, 0.0), 1.0), 3), breaks, relies)


def _snapped(snap: SnapPoint) -> dict[str, float]:
    return {"lon": snap.lon, "lat": snap.lat, "distance_m": round_float(snap.distance_m)}


def _plain(value: Any) -> Any:
    """numpy scalars → Python values for JSON."""
    return value.item() if isinstance(value, np.generic) else value


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
    names, highway_names = graph.names, _HIGHWAY_NAMES
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
