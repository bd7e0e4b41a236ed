"""The instructions' turn kernels (:func:`routing._kernels.turn_deltas`, and
:func:`~routing._kernels.turn_kind` that classifies its bearings) against the plain Python they
replaced (kept here as the reference): the same turn at every junction, on random polylines
(with repeated points and zero-length pieces) and on real Kaiserslautern routes. And the legs
kernel (:func:`routing._kernels.leg_runs`) against the Python rule it repeats
(:func:`routing.instructions._segment_legs`), on real and drawn routes."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import HighwayClass
from graphs.geodesy import flat_bearing_deg, great_circle_m
from routing._kernels import turn_kind
from routing.errors import NoRouteError
from routing.instructions import (
    _TURN_KINDS,
    _TURNS,
    BEARING_BASE_M,
    STRAIGHT_DEG,
    _legs,
    _segment_legs,
    _turn,
    _turns_at,
)
from routing.report import _HIGHWAY_NAMES
from routing.route import Segment, SegmentRuns
from tests.routing.trips import node_trip

HYP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _along_reference(geo: Sequence[Sequence[float]], i: int, step: int) -> Sequence[float]:
    """The point about :data:`BEARING_BASE_M` from point ``i`` along the route (old code)."""
    walked, j = 0.0, i
    while 0 <= j + step < len(geo) and walked < BEARING_BASE_M:
        walked += great_circle_m(geo[j if step > 0 else j - 1], geo[(j if step > 0 else j - 1) + 1])
        j += step
        if geo[j] != geo[i] and walked >= BEARING_BASE_M:
            break
    return geo[j]


def _turn_reference(geo: Sequence[Sequence[float]], i: int) -> str:
    """The turn made at route point ``i`` (old code)."""
    a, b, c = _along_reference(geo, i, -1), geo[i], _along_reference(geo, i, +1)
    if a == b or b == c:
        return "straight"
    return _turn(flat_bearing_deg(b, c) - flat_bearing_deg(a, b))


def _check(geo: list[list[float]]) -> None:
    points = list(range(len(geo)))
    assert _turns_at(geo, points) == [_turn_reference(geo, i) for i in points]


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
@given(polylines())
def test_turn_kernel_matches_the_python_walk(geo: list[list[float]]) -> None:
    _check(geo)


def test_turn_kernel_on_no_points() -> None:
    assert _turns_at([[7.7, 49.4], [7.8, 49.5]], []) == []


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
            _check(route.geometry)
            # the route's own array (what instructions pass) is its geometry, and turns alike
            assert route.polyline is not None
            assert route.polyline.tolist() == route.geometry
            points = list(range(len(route.geometry)))
            assert _turns_at(route.geometry, points, route.polyline) == _turns_at(
                route.geometry, points
            )
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
    """The kernel's classification of a change of bearing (:func:`routing._kernels.turn_kind`,
    which :func:`_turns_at` now uses) names the turn :func:`_turn` names, also at the edges."""
    assert _TURN_KINDS[turn_kind(delta, STRAIGHT_DEG)] == _turn(delta)


def test_turn_kind_kernel_on_every_edge_and_no_bearing() -> None:
    for delta in _EDGES:
        assert _TURN_KINDS[turn_kind(delta, STRAIGHT_DEG)] == _turn(delta), delta
    assert _TURN_KINDS[turn_kind(math.nan, STRAIGHT_DEG)] == "straight"  # a side without length
    assert set(_TURN_KINDS) == set(_TURNS["de"]) == set(_TURNS["en"])


# --------------------------------------------------------------------------- legs


def legs_alike(route: Any) -> None:
    """The kernel's legs (:func:`routing._kernels.leg_runs`) are the Python rule's."""
    assert route.segment_runs is not None
    assert route.polyline is not None
    assert _legs(route) == _segment_legs(route)


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
            Segment(q, _NAMES[name] if name >= 0 else None, _HIGHWAY_NAMES[highway], side == 1,
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
    """The codes ``leg_runs`` treats as sharp are the turns ``_legs``' rule calls sharp."""
    from routing._kernels import TURN_SHARP_LEFT, TURN_SHARP_RIGHT, TURN_UTURN
    from routing.instructions import _SHARP

    assert {_TURN_KINDS[c] for c in (TURN_SHARP_LEFT, TURN_SHARP_RIGHT, TURN_UTURN)} == _SHARP
