"""A route through via points says where each is reached, and when it turns back there.

Before, a route's steps said nothing at a via point: on a route to a bus platform and back
(Kaiserslautern, the platform "Friedhof" on Mannheimer Straße) the steps went "links abbiegen
in den Friedhof", then "Nach 4 m rechts abbiegen auf den Fußweg", with neither the stop nor the
U-turn said (53 of 150 seeded wheelchair via routes turn back at their via point).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from routing.errors import NoRouteError
from routing.instructions import instructions

pytestmark = pytest.mark.realdata

#: Mannheimer Straße, a point on the footway to the bus platform "Friedhof" as a via point (a
#: wheelchair route that goes back the way it came).
TO_THE_PLATFORM = [(49.44521, 7.75421), (49.44479, 7.79436), (49.45244, 7.77391)]


def test_the_stop_is_said_where_it_is_reached_and_the_way_back(ksl_router: Any) -> None:
    route = ksl_router.route_via(TO_THE_PLATFORM, "wheelchair")[0]
    (stop,) = route.stops
    steps = instructions(route, "de")
    (via,) = [s for s in steps if s.type == "via"]
    assert via.text == "Nach 15 m: Sie haben Ihr Zwischenziel erreicht."
    assert (via.at_m, [via.lon, via.lat]) == (stop.at_m, route.geometry[stop.point])
    # the way back: a U-turn on the street it stops on is a step of its own (as on an unnamed
    # way), so the stop does not say it again
    turn, after = steps[steps.index(via) + 1 : steps.index(via) + 3]
    assert (turn.type, turn.at_m) == ("turn", via.at_m)
    assert turn.text == "Umkehren, weiter auf der Mannheimer Straße."
    assert after.text == "Nach 15 m rechts abbiegen auf den Fußweg."  # from the stop, turned
    en = instructions(route, "en")
    (en_via,) = [s for s in en if s.type == "via"]
    assert en_via.text == "In 15 m: You have reached your stop."
    assert en[en.index(en_via) + 1].text == "Turn around, staying on Mannheimer Straße."


def test_a_route_without_via_points_has_no_stops(ksl_router: Any) -> None:
    route = ksl_router.route(TO_THE_PLATFORM[0], TO_THE_PLATFORM[2], "wheelchair")
    assert route.stops == []
    assert all(s.type != "via" for s in instructions(route, "de"))


def test_every_via_point_is_said_once_in_order_at_the_join(ksl_router: Any) -> None:
    """Seeded routes through two via points: one ``via`` step per via point, numbered, at the
    metres where the legs meet (the first leg's length), before a turn made there; a U-turn
    said once (by the stop or by the turn there)."""
    g = ksl_router.graph
    rng = np.random.default_rng(41)
    checked = back = 0
    for _ in range(40):
        nodes = rng.integers(0, g.node_count, 4)
        points = [(float(g.node["lat"][v]), float(g.node["lon"][v])) for v in nodes]
        try:
            route = ksl_router.route_via(points, "wheelchair")[0]
            first = ksl_router.route(points[0], points[1], "wheelchair")
        except NoRouteError:
            continue
        steps = instructions(route, "de")
        vias = [s for s in steps if s.type == "via"]
        assert [s.text.split(": ")[-1].split(",")[0].rstrip(".") for s in vias] == [
            "Sie haben Zwischenziel 1 erreicht",
            "Sie haben Zwischenziel 2 erreicht",
        ]
        assert [s.at_m for s in vias] == [stop.at_m for stop in route.stops]
        assert vias[0].at_m == round(first.distance_m, 1)
        for via in vias:
            here = [s for s in steps if s.at_m == via.at_m and s.type in ("via", "turn")]
            assert here[0] is via  # the stop before the turn made there
            said_back = [s for s in here if "mkehren" in s.text]
            assert len(said_back) <= 1
            back += len(said_back)
        checked += 1
    assert checked >= 25
    assert back >= 5


def test_the_geojson_export_shows_the_via_point(ksl_router: Any) -> None:
    route = ksl_router.route_via(TO_THE_PLATFORM, "wheelchair")[0]
    (stop,) = route.stops
    vias = [f for f in route.to_geojson()["features"] if f["properties"].get("kind") == "via"]
    assert vias == [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": route.geometry[stop.point]},
            "properties": {"kind": "via", "number": 1, "at_m": stop.at_m},
        }
    ]
