"""Every turn a route says is the way its line bends there.

A person told "links abbiegen" turns left: so where the route's line bends by 45° or more
between one said turn and the next, the step said there must name that side, and a step must
not say "geradeaus" there. Checked on real routes with geometry alone (no code of the
instructions): the bend at a turn's place is the change of bearing between the line up to 15 m
before it and up to 15 m after it, but never beyond the said turns before and after it (at least
3 m): what a person walks between two steps. The instructions' own rule reads the bend over the
pieces of way on either side (:func:`routing.legs.turns_at`); reading it over 15 m
whatever the pieces said "links abbiegen" where the route turned right and, 4 m on, left again
(on 900 Kaiserslautern routes 88 turns to the wrong side and 510 "geradeaus" at a bend of 45°
or more; on 600 Neukölln routes 142 and 240). Reading the way out over the first piece of a
split OSM way alone said "links abbiegen" where the line bends less than 10° (6 to 10 in 900
Kaiserslautern routes): a turn said in full is now checked to bend at least that much.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pytest

from routing.errors import NoRouteError
from routing.instructions import instructions
from tests.routing.trips import node_routes

pytestmark = pytest.mark.slow

#: A bend at least this large (degrees) is a turn a person cannot miss.
CLEAR_BEND_DEG = 45.0
#: A bend this small (degrees) is no turn: a step saying "links" or "rechts" (not "leicht")
#: is never made at one.
NO_BEND_DEG = 10.0
#: Turns this near a via point are not checked (metres).
VIA_NEAR_M = 20.0
#: The words of a turn, as the German steps begin with them (sharp and slight included).
_SIDES = {"links": -1, "rechts": 1, "geradeaus": 0}
_TURN_WORDS = re.compile(r"^(?:Nach [\d,.]+ k?m )?(?:erneut )?(?:scharf |leicht )?(links|rechts|geradeaus)", re.IGNORECASE)  # fmt: skip


def _flat(geometry: list[list[float]]) -> np.ndarray:
    lon0, lat0 = geometry[0]
    kx = 111_320.0 * math.cos(math.radians(lat0))
    return np.array([[(lon - lon0) * kx, (lat - lat0) * 110_540.0] for lon, lat in geometry])


def _point(xy: np.ndarray, cum: np.ndarray, m: float) -> np.ndarray:
    m = min(max(m, 0.0), float(cum[-1]))
    i = min(max(int(np.searchsorted(cum, m)), 1), len(cum) - 1)
    piece = float(cum[i] - cum[i - 1])
    t = 0.0 if piece <= 0 else (m - float(cum[i - 1])) / piece
    return xy[i - 1] + t * (xy[i] - xy[i - 1])


def _bearing_deg(v: np.ndarray) -> float:
    return math.degrees(math.atan2(float(v[0]), float(v[1])))  # clockwise from north


def _vertex_m(geometry: list[list[float]], cum: np.ndarray, step: Any, near_m: float) -> float:
    """Where along the line (metres of ``cum``) the step is said: the route point at its
    ``lon``/``lat`` (a step is said at a point of the route), the one nearest ``near_m`` when
    the route passes there more than once. Reading the place from ``at_m`` alone drifts on
    long routes through via points, whose line and ``distance_m`` differ by a few metres in
    thousands."""
    at = [i for i, (lon, lat) in enumerate(geometry) if (lon, lat) == (step.lon, step.lat)]
    assert at, (step.text, step.lon, step.lat)
    return float(min((cum[i] for i in at), key=lambda m: abs(m - near_m)))


def _check_turns(routes: Iterable[tuple[Any, ...]]) -> int:
    """Assert the side of every said turn at a clear bend; the number of turns checked. Turns
    within :data:`VIA_NEAR_M` of a via point are not checked: a route may go there and back
    (to a point on a bus platform), a U-turn that the measure above would take in."""
    checked = 0
    for preset, route, *via in routes:
        near_via = [_flat([route.geometry[0], [lon, lat]])[1] for lat, lon in via]
        xy = _flat(route.geometry)
        cum = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))))
        scale = cum[-1] / route.distance_m if route.distance_m > 0 else 1.0
        turns = [s for s in instructions(route, "de") if s.type == "turn"]
        places = [0.0] + [s.at_m for s in turns] + [route.distance_m]
        for k, step in enumerate(turns):
            back = min(max(step.at_m - places[k], 3.0), 15.0)
            ahead = min(max(places[k + 2] - step.at_m, 3.0), 15.0)
            at = _vertex_m(route.geometry, cum, step, step.at_m * scale)
            a, b, c = (_point(xy, cum, at + d * scale) for d in (-back, 0.0, ahead))
            if min(np.hypot(*(b - a)), np.hypot(*(c - b))) < 0.5:
                continue  # no way in or out to speak of (a route's first metres)
            bend = (_bearing_deg(c - b) - _bearing_deg(b - a) + 180.0) % 360.0 - 180.0  # + right
            if any(np.hypot(*(b - v)) < VIA_NEAR_M for v in near_via):
                continue
            words = _TURN_WORDS.match(step.text)
            if words is None:  # "umkehren"
                continue
            said = _SIDES[words.group(1).lower()]
            checked += 1
            if abs(bend) >= CLEAR_BEND_DEG:
                assert said == (1 if bend > 0 else -1), (preset, step.text, round(bend), step.lon, step.lat)  # fmt: skip
            if said and not words.group(0).lower().endswith(("leicht links", "leicht rechts")):
                # "links abbiegen" is a turn one makes: not where the line goes on straight
                assert abs(bend) >= NO_BEND_DEG, (preset, step.text, round(bend), step.lon, step.lat)  # fmt: skip
    return checked


def test_every_turn_said_in_kaiserslautern_bends_that_way(ksl_router: Any) -> None:
    presets = ("wheelchair", "blind", "walk")
    assert _check_turns(node_routes(ksl_router, 31, 60, presets)) >= 1500


def test_every_turn_said_in_neukoelln_bends_that_way(neukoelln_router: Any) -> None:
    presets = ("wheelchair", "blind", "walk")
    assert _check_turns(node_routes(neukoelln_router, 32, 40, presets)) >= 500


def test_every_turn_said_through_a_via_point_bends_that_way(ksl_router: Any) -> None:
    """A route through a via point reads its legs from its legs' segment rows, joined."""
    g = ksl_router.graph
    rng = np.random.default_rng(33)

    def via_routes() -> Iterator[tuple[str, Any, tuple[float, float]]]:
        for _ in range(25):
            nodes = rng.integers(0, g.node_count, 3)
            points = [(float(g.node["lat"][v]), float(g.node["lon"][v])) for v in nodes]
            for preset in ("wheelchair", "blind"):
                try:
                    yield preset, ksl_router.route_via(points, preset)[0], points[1]
                except NoRouteError:
                    continue

    assert _check_turns(via_routes()) >= 300
