"""Every place a route says lies on its line where its metres say.

A barrier, a broken limit, a place relied on and every step after the departure carry both a
point (``lon``, ``lat``) and metres from the start (``at_m``): a map shows the one, the spoken
steps say the other, so they must be the same place. Checked on real Kaiserslautern routes with
geometry alone (no code of the report): the point's projection onto the route's polyline and
the polyline's length up to it, scaled to the route's length (the polyline's flat-earth metres
differ from the graph's by a fraction of a per cent).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pytest

from routing.errors import NoRouteError
from routing.instructions import instructions
from tests.routing.trips import node_routes

pytestmark = pytest.mark.slow

#: Coordinates are given to 5 decimals (≈ 1.1 m of latitude): off the line by at most this.
OFF_LINE_M = 1.5


def _flat(geometry: list[list[float]]) -> np.ndarray:
    lon0, lat0 = geometry[0]
    kx = 111_320.0 * math.cos(math.radians(lat0))
    return np.array([[(lon - lon0) * kx, (lat - lat0) * 110_540.0] for lon, lat in geometry])


def _along(xy: np.ndarray, cum: np.ndarray, point: np.ndarray, near_m: float) -> float | None:
    """The polyline's metres up to the projection of ``point`` nearest to ``near_m`` among those
    within :data:`OFF_LINE_M` of the line (a route may pass one place twice); None if none."""
    best: float | None = None
    for i in range(len(xy) - 1):
        a, b = xy[i], xy[i + 1]
        ab = b - a
        length2 = float(ab @ ab)
        t = 0.0 if length2 == 0 else min(1.0, max(0.0, float((point - a) @ ab) / length2))
        if float(np.hypot(*(point - (a + t * ab)))) > OFF_LINE_M:
            continue
        here = float(cum[i]) + t * math.sqrt(length2)
        if best is None or abs(here - near_m) < abs(best - near_m):
            best = here
    return best


def _places(route: Any) -> list[tuple[str, float, float, float]]:
    out = [(f"barrier {b.kind}", b.at_m, b.lon, b.lat) for b in route.barriers]
    out += [(f"break {b.limit}", b.at_m, b.lon, b.lat) for b in route.accessibility.breaks]
    out += [
        (f"relies {r.attribute}", p.at_m, p.lon, p.lat)
        for r in route.accessibility.relies_on
        for p in r.places
    ]
    out += [
        (f"step {s.type}", s.at_m, s.lon, s.lat)
        for s in instructions(route, "de")
        if s.type not in ("depart", "obstacle")
    ]
    return out


def test_every_place_said_is_on_the_line_at_its_metres(ksl_router: Any) -> None:
    checked = _check_places(node_routes(ksl_router, 21, 50, ("wheelchair", "blind", "walk")))
    assert checked.get("barrier crossing", 0) >= 20, checked
    assert checked.get("step turn", 0) >= 200, checked


def test_every_place_said_in_neukoelln_is_on_the_line_at_its_metres(
    neukoelln_router: Any,
) -> None:
    checked = _check_places(node_routes(neukoelln_router, 23, 30, ("wheelchair", "blind", "walk")))
    assert checked.get("barrier crossing", 0) >= 50, checked
    assert checked.get("barrier kerb", 0) >= 50, checked


def test_every_place_said_through_a_via_point_is_on_the_line_at_its_metres(
    ksl_router: Any,
) -> None:
    """The same through a via point (the legs' places shifted to the whole route)."""
    g = ksl_router.graph
    rng = np.random.default_rng(22)

    def via_routes() -> Iterator[tuple[str, Any]]:
        for _ in range(25):
            nodes = rng.integers(0, g.node_count, 3)
            points = [(float(g.node["lat"][v]), float(g.node["lon"][v])) for v in nodes]
            for preset in ("wheelchair", "blind"):
                try:
                    yield preset, ksl_router.route_via(points, preset)[0]
                except NoRouteError:
                    continue

    checked = _check_places(via_routes())
    assert checked.get("step turn", 0) >= 100, checked


def _check_places(routes: Iterable[tuple[str, Any]]) -> dict[str, int]:
    """Assert every said place of ``routes`` on the line at its metres; the places checked,
    counted by what they are."""
    checked: dict[str, int] = {}
    for preset, route in routes:
        xy = _flat(route.geometry)
        cum = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))))
        scale = route.distance_m / cum[-1] if cum[-1] > 0 else 1.0
        for what, at_m, lon, lat in _places(route):
            point = _flat([route.geometry[0], [lon, lat]])[1]
            along = _along(xy, cum, point, at_m / scale)
            assert along is not None, (preset, what, at_m, "off the line")
            assert abs(along * scale - at_m) <= 1.0 + 0.003 * at_m, (preset, what, at_m, along * scale)  # fmt: skip
            checked[what] = checked.get(what, 0) + 1
    return checked


def test_an_elevator_is_listed_only_where_the_walk_reaches_it(ksl_router: Any) -> None:
    """An elevator mapped as a node is met at the head of the piece into it: a route ending
    on that piece before the node does not reach it and lists no elevator (a blind route
    ended 0.1 m after its arrival with "Aufzug." said after "Sie haben Ihr Ziel erreicht");
    a route going on through the node lists it there."""
    g = ksl_router.graph
    lifts = np.flatnonzero(g.node["is_elevator"])
    assert lifts.size > 0, "the 2013 Kaiserslautern extract maps 5 elevators as nodes"
    ending = through = 0
    for v in lifts.tolist():
        for e in np.flatnonzero((g.head == v) & (g.edge["length_m"] >= 6.0)).tolist():
            u = int(g.tail[e])
            near = (float(g.node["lat"][u]), float(g.node["lon"][u]))
            on_edge = (
                0.3 * float(g.node["lat"][u]) + 0.7 * float(g.node["lat"][v]),
                0.3 * float(g.node["lon"][u]) + 0.7 * float(g.node["lon"][v]),
            )
            try:
                route = ksl_router.route(near, on_edge, "walk")
            except NoRouteError:
                continue
            if route.edges and route.edges[-1] == e:  # ends on the piece into the lift
                ending += 1
                assert not [b for b in route.barriers if b.kind == "elevator"], route.barriers
            beyond = [int(w) for w in g.head[g.first_out[v] : g.first_out[v + 1]] if w != u]
            for w in beyond[:1]:
                far = (float(g.node["lat"][w]), float(g.node["lon"][w]))
                route = ksl_router.route(near, far, "walk")
                if e in route.edges[:-1]:
                    through += 1
                    assert any(b.kind == "elevator" for b in route.barriers), route.barriers
    assert ending >= 1
    assert through >= 1
