"""The instructions' turn kernels (:func:`routing._kernels.polyline.turn_deltas`, and
:func:`~routing._kernels.steps.turn_kind` that classifies its bearings) against the rule in plain
Python (the reference here): the same turn at every junction, on random polylines (with
repeated points, zero-length pieces and pieces of every length around the bearings' bounds) and
on real Kaiserslautern routes. And the legs
kernel (:func:`routing._kernels.steps.leg_runs`) against the Python rule it repeats
(:func:`routing.legs._segment_legs`), on real and drawn routes."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import HighwayClass
from graphs.geodesy import flat_bearing_deg, great_circle_m
from routing._kernels.pieces import RUN_FIRST_POINT, RUN_LAST_POINT
from routing._kernels.steps import turn_kind
from routing.errors import NoRouteError
from routing.instructions import instructions
from routing.legs import (
    _TURN_KINDS,
    BEARING_BASE_M,
    BEARING_MIN_M,
    STRAIGHT_DEG,
    _segment_legs,
    _turn,
    route_legs,
    turns_at,
)
from routing.report_table import HIGHWAY_NAMES
from routing.route import Segment, SegmentRuns
from routing.step_words import TURN_WORDS
from tests.routing.trips import node_trip

HYP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _along_reference(geo: Sequence[Sequence[float]], i: int, step: int, base_m: float) -> Any:
    """The point ``base_m`` along the route from point ``i`` (``step`` ±1), on the piece it
    falls in; the route's end when it is shorter (the rule, in plain Python)."""
    walked, j = 0.0, i
    while 0 <= j + step < len(geo):
        k = j + step
        d = great_circle_m(geo[j], geo[k])
        if d > 0.0 and walked + d >= base_m:
            t = (base_m - walked) / d
            return [
                geo[j][0] + t * (geo[k][0] - geo[j][0]),
                geo[j][1] + t * (geo[k][1] - geo[j][1]),
            ]
        walked += d
        j = k
    return list(geo[j])


def _turn_reference(geo: Sequence[Sequence[float]], i: int, back_m: float, ahead_m: float) -> str:
    """The turn made at route point ``i``: bearings over ``back_m`` before, ``ahead_m`` after."""
    a, b, c = (
        _along_reference(geo, i, -1, back_m),
        list(geo[i]),
        _along_reference(geo, i, 1, ahead_m),
    )
    if a == b or b == c:
        return "straight"
    return _turn(flat_bearing_deg(b, c) - flat_bearing_deg(a, b))


def _base(length_m: float) -> float:
    return min(max(length_m, BEARING_MIN_M), BEARING_BASE_M)


def _check(geo: list[list[float]], lengths_m: Sequence[float] | None = None) -> None:
    """Every point of ``geo`` turns as the reference says, the pieces between the points
    ``lengths_m`` long (one more than the points; the base length when not given)."""
    points = list(range(len(geo)))
    if lengths_m is None:
        lengths_m = [BEARING_BASE_M] * (len(points) + 1)
    want = [_turn_reference(geo, i, _base(lengths_m[i]), _base(lengths_m[i + 1])) for i in points]
    assert turns_at(geo, points, lengths_m) == want


#: Lengths of the pieces around a junction: none, below, at and above the bounds of the bases.
_LENGTHS = st.sampled_from([0.0, 0.4, BEARING_MIN_M, 4.5, 11.2, BEARING_BASE_M, 40.0])


@st.composite
def polylines(draw: Any) -> list[list[float]]:
    """Short polylines near Kaiserslautern: steps of 0-40 m, some points repeated."""
    n = draw(st.integers(1, 12))
    lon, lat = 7.75, 49.44
    out = [[lon, lat]]
    for _ in range(n):
        if draw(st.booleans()) and draw(st.booleans()):
            out.append(list(out[-1]))  # a zero-length piece
            continue
        lon += draw(st.floats(-4e-4, 4e-4, allow_nan=False))
        lat += draw(st.floats(-3e-4, 3e-4, allow_nan=False))
        out.append([lon, lat])
    return out


@HYP
@given(polylines(), st.data())
def test_turn_kernel_matches_the_python_walk(geo: list[list[float]], data: Any) -> None:
    _check(geo, data.draw(st.lists(_LENGTHS, min_size=len(geo) + 1, max_size=len(geo) + 1)))


def test_turn_kernel_on_no_points() -> None:
    assert turns_at([[7.7, 49.4], [7.8, 49.5]], [], [15.0]) == []


def test_turns_need_one_length_more_than_points() -> None:
    """Each point has a piece before and after it: a length short is refused, not read past."""
    with pytest.raises(ValueError, match="2 points need 3 lengths, got 2"):
        turns_at([[7.7, 49.4], [7.8, 49.5], [7.9, 49.5]], [0, 1], [15.0, 15.0])


def _metres(east_m: float, north_m: float) -> list[float]:
    """A point ``east_m``, ``north_m`` from 7.75° E 49.44° N (flat: enough for a few metres)."""
    return [
        7.75 + east_m / (111_320.0 * math.cos(math.radians(49.44))),
        49.44 + north_m / 110_540.0,
    ]


def test_a_short_piece_turns_where_it_bends() -> None:
    """Kaiserslautern, Eisenbahnstraße to the bus platform "Finanzamt" (a wheelchair route of
    2026-12-04): south along the street, 4.5 m of footway west, then south along the platform.
    Read over 15 m whatever the pieces, the right turn was blurred with the left one 4.5 m on
    (the rule before took the first point at least 15 m away: "links abbiegen", then
    "geradeaus"; even to the point exactly 15 m away: straight on, then slightly left). Over
    the pieces themselves it is right, then left, as walked."""
    geo = [_metres(55.0, 31.0), _metres(-2.2, 14.4), _metres(0.0, 0.0), _metres(-4.3, -1.1),
           _metres(-2.2, -13.3), _metres(-2.0, -30.0)]  # fmt: skip
    street, footway, platform = 14.6, 4.5, 12.4
    turns = turns_at(geo, [2, 3], [street, footway, platform])
    assert turns == ["right", "left"]
    # the blur this rule ends: both bearings over 15 m
    assert turns_at(geo, [2, 3], [15.0, 15.0, 15.0]) == ["straight", "slight_left"]


def _drawn_route(geo: list[list[float]], pieces: list[tuple[int, str, int, int]]) -> Any:
    """A route of unnamed, non-sidewalk ``pieces`` ``(way, highway, first point, last
    point)`` along ``geo``, each as long as its part of the line, with its segment rows."""
    runs = np.zeros((len(pieces), 8), dtype=np.int64)
    lengths = np.zeros(len(pieces))
    segments = []
    at = 0.0
    for q, (way, highway, first, last) in enumerate(pieces):
        length = sum(great_circle_m(geo[i], geo[i + 1]) for i in range(first, last))
        code = int(HighwayClass[highway.upper()])
        runs[q] = (q, q, -1, code, 0, way, first, last)
        lengths[q] = length
        segments.append(Segment(q, None, highway, False, at, length, first, last, way))
        at += length
    return SimpleNamespace(
        segments=segments, segment_runs=SegmentRuns(runs, lengths),
        polyline=np.array(geo, dtype=np.float64), geometry=geo,
    )  # fmt: skip


def test_a_way_split_near_a_junction_is_read_across_the_split() -> None:
    """Kaiserslautern, a cycleway east of the Brandenburger Straße (a wheelchair route of
    2026-12-04): after 140 m of one OSM way heading east-north-east, its last 3.6 m before a
    split (a node where the way is cut into pieces) head north-north-east, and the way goes on
    east beyond the split. Read over that piece alone, the way out of the junction before it
    bent 50° left: "links abbiegen auf den Radweg" where the line, read over 15 m either side,
    bends 2°. The way out is now read over the stretch of its OSM way, across the split, and
    the way in over what was walked since the last turn said."""
    xy = [(-138.3, -39.8), (-129.6, -36.5), (-120.9, -33.2), (-63.7, -16.6), (-39.8, -13.3),
          (-15.2, -6.6), (-9.4, -5.5), (-4.3, -6.6), (-1.4, -3.3), (0.0, 0.0), (9.4, 1.1),
          (18.8, 2.2), (26.1, 2.2), (31.9, 4.4), (38.4, 7.7)]  # fmt: skip
    geo = [_metres(east, north) for east, north in xy]
    cycleway, next_way = 141323133, 160096668
    route = _drawn_route(geo, [
        (7, "footway", 0, 1), (cycleway, "cycleway", 1, 8), (cycleway, "cycleway", 8, 9),
        (cycleway, "cycleway", 9, 10), (cycleway, "cycleway", 10, 11),
        (cycleway, "cycleway", 11, 13), (next_way, "cycleway", 13, 14),
    ])  # fmt: skip
    legs = route_legs(route)
    assert legs == _segment_legs(route)
    assert [leg.point for leg in legs if leg.turn in ("left", "sharp_left")] == []
    # the rule before: the way out over the 3.6 m piece alone (3 m at the least)
    assert turns_at(geo, [8], [15.0, route.segments[2].length_m]) == ["left"]


def test_a_slight_bend_onto_a_few_metres_of_a_way_is_not_a_step() -> None:
    """Kaiserslautern, from the Stiftskirche (the example routes of ``docs/examples``): down the
    steps and a footway south-west, 2.4 m more of the footway past a split, then the
    Münchstraße north-west. Read over 3 m, the bearing out of the split takes in 0.6 m of the
    street's bend: a slight right turn 2.4 m before the right turn itself. Only the right
    turn is said, read over what was walked."""
    xy = [(0.0, 0.0), (-5.8, -4.4), (-10.9, -7.7), (-13.0, -8.8), (-30.4, 11.1), (-33.3, 14.4)]
    geo = [_metres(east, north) for east, north in xy]
    footway = 96936661
    route = _drawn_route(geo, [
        (171999990, "steps", 0, 1), (footway, "footway", 1, 2), (footway, "footway", 2, 3),
        (25002359, "pedestrian", 3, 5),
    ])  # fmt: skip
    legs = route_legs(route)
    assert legs == _segment_legs(route)
    assert [(leg.point, leg.turn) for leg in legs] == [(0, "depart"), (3, "right")]
    # read over 3 m, the bend at the split is slight (the rule's other reading: said)
    walked = route.segments[0].length_m + route.segments[1].length_m
    assert turns_at(geo, [2], [walked, BEARING_MIN_M]) == ["slight_right"]


def test_turn_kernel_on_real_routes(ksl_router: Any) -> None:
    """Every point of 60 seeded wheelchair and walking routes turns as the Python walk says."""
    router = ksl_router
    g = router.graph
    rng = np.random.default_rng(7)
    checked = 0
    for preset in ("wheelchair", "walk"):
        nodes = rng.integers(0, g.node_count, 60)
        for a, b in zip(nodes[::2], nodes[1::2], strict=True):
            origin, destination = node_trip(g, a, b)
            try:
                route = router.route(origin, destination, preset)
            except NoRouteError:
                continue
            geo = route.geometry
            _check(geo)
            # the pieces' own lengths: each between the points
            pieces = [0.0] + [great_circle_m(p, q) for p, q in itertools.pairwise(geo)] + [0.0]
            _check(geo, pieces)
            # the route's own array (what instructions pass) is its geometry, and turns alike
            assert route.polyline is not None
            assert route.polyline.tolist() == geo
            points = list(range(len(geo)))
            assert turns_at(geo, points, pieces, route.polyline) == turns_at(geo, points, pieces)
            checked += 1
    assert checked >= 40


def test_the_polyline_is_not_part_of_the_route_value(ksl_router: Any) -> None:
    """Two routes that differ only in :attr:`~routing.route.Route.polyline` (one built from a
    search, one put together without it) are equal, and its JSON has no such field."""
    g = ksl_router.graph
    route = ksl_router.route(*node_trip(g, 10, 500), "walk")
    bare = dataclasses.replace(route, polyline=None)
    assert route == bare
    assert "polyline" not in route.as_dict()


def _near(x: float) -> list[float]:
    return [x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf)]


#: Changes of bearing at and next to every threshold of the classification, both ways round.
_EDGES = [e for b in (0.0, 20.0, 45.0, 135.0, 170.0, 180.0, 190.0, 340.0, 360.0, 540.0) for x in (b, -b) for e in _near(x)]  # fmt: skip


@HYP
@given(st.one_of(st.floats(-1080.0, 1080.0), st.sampled_from(_EDGES)))
def test_turn_kind_kernel_classifies_as_turn(delta: float) -> None:
    """The kernel's classification of a change of bearing (:func:`routing._kernels.steps.turn_kind`,
    which :func:`turns_at` now uses) names the turn :func:`_turn` names, also at the edges."""
    assert _TURN_KINDS[turn_kind(delta, STRAIGHT_DEG)] == _turn(delta)


def test_turn_kind_kernel_on_every_edge_and_no_bearing() -> None:
    for delta in _EDGES:
        assert _TURN_KINDS[turn_kind(delta, STRAIGHT_DEG)] == _turn(delta), delta
    assert _TURN_KINDS[turn_kind(math.nan, STRAIGHT_DEG)] == "straight"  # a side without length
    assert set(_TURN_KINDS) == set(TURN_WORDS["de"]) == set(TURN_WORDS["en"])


# --------------------------------------------------------------------------- legs


def legs_alike(route: Any) -> None:
    """The kernel's legs (:func:`routing._kernels.steps.leg_runs`) are the Python rule's."""
    assert route.segment_runs is not None
    assert route.polyline is not None
    assert route_legs(route) == _segment_legs(route)


def legs_alike_on_trips(router: Any, presets: Sequence[str], seed: int) -> int:
    """:func:`legs_alike` on 30 seeded trips per preset; how many had a route."""
    g = router.graph
    rng = np.random.default_rng(seed)
    checked = 0
    for preset in presets:
        nodes = rng.integers(0, g.node_count, 60)
        for a, b in zip(nodes[::2], nodes[1::2], strict=True):
            try:
                route = router.route(*node_trip(g, a, b), preset)
            except NoRouteError:
                continue
            legs_alike(route)
            checked += 1
    return checked


def test_leg_kernel_on_real_routes(ksl_router: Any) -> None:
    """The legs of seeded Kaiserslautern routes of five presets are the ones the Python rule
    makes (Neukölln's named sidewalks: ``test_instructions``)."""
    presets = ("wheelchair", "walk", "blind", "rollator", "elderly")
    assert legs_alike_on_trips(ksl_router, presets, 11) >= 100


def test_a_via_route_carries_its_legs_rows_joined(ksl_router: Any) -> None:
    """A route through via points reads its legs in the kernel pass over its legs' segment
    rows and polylines, joined as its segments and geometry are: the legs the Python rule
    makes of its segments, and the same steps."""
    g = ksl_router.graph
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(30):
        nodes = rng.integers(0, g.node_count, 4)
        points = [(float(g.node["lat"][v]), float(g.node["lon"][v])) for v in nodes]
        try:
            route = ksl_router.route_via(points, "wheelchair")[0]
        except NoRouteError:
            continue
        assert route.segment_runs is not None
        assert np.array_equal(route.polyline, np.array(route.geometry))
        rows = route.segment_runs.runs
        assert rows[:, RUN_FIRST_POINT].tolist() == [s.first_point for s in route.segments]
        assert rows[:, RUN_LAST_POINT].tolist() == [s.last_point for s in route.segments]
        assert route.segment_runs.length_m.tolist() == [s.length_m for s in route.segments]
        legs_alike(route)
        python = dataclasses.replace(route, segment_runs=None)
        assert instructions(route, "de") == instructions(python, "de")
        checked += 1
    assert checked >= 20


_NAMES = ("Bremerstraße", "Am Altenhof", "Pirmasenser Straße")


@st.composite
def segment_routes(draw: Any) -> Any:
    """A route's segments and their rows as drawn: few names (and none), sidewalks, highway
    kinds, OSM ways that repeat, lengths of zero, points along a drawn polyline."""
    geo = draw(polylines())
    n = draw(st.integers(0, 10))
    runs = np.zeros((n, 8), dtype=np.int64)
    lengths = np.zeros(n)
    segments = []
    at = 0.0
    for q in range(n):
        name = draw(st.integers(-1, len(_NAMES) - 1))
        highway = draw(st.sampled_from([int(h) for h in HighwayClass]))
        side = draw(st.integers(0, 1))
        way = draw(st.integers(-1, 3))
        first = draw(st.integers(0, len(geo) - 1))
        length = draw(st.sampled_from([0.0, 0.5, 12.0, 40.0]))
        runs[q] = (q, q, name, highway, side, way, first, first)
        lengths[q] = length
        segments.append(
            Segment(q, _NAMES[name] if name >= 0 else None, HIGHWAY_NAMES[highway], side == 1,
                    at, length, first, first, way)
        )  # fmt: skip
        at += length
    polyline = np.array(geo, dtype=np.float64).reshape(-1, 2)
    return SimpleNamespace(
        segments=segments, segment_runs=SegmentRuns(runs, lengths), polyline=polyline,
        geometry=geo,
    )  # fmt: skip


@HYP
@given(segment_routes())
def test_leg_kernel_on_drawn_segments(route: Any) -> None:
    legs_alike(route)


def test_the_legs_kernel_names_the_sharp_turns_of_the_rule() -> None:
    """The codes ``leg_runs`` treats as sharp are the turns ``route_legs``' rule calls sharp."""
    from routing._kernels.steps import TURN_SHARP_LEFT, TURN_SHARP_RIGHT, TURN_UTURN
    from routing.legs import _SHARP

    assert {_TURN_KINDS[c] for c in (TURN_SHARP_LEFT, TURN_SHARP_RIGHT, TURN_UTURN)} == _SHARP
