"""A sidewalk's steps say on which side of the walker its road is (PRODUCT.md 7: blind users
need to know "which side of the street").

The build reads the side from the geometry where a sidewalk borrows its road's name (its own
way carries none): walking the edge, the road is on the left (-1) or the right (1). The
fixture ``tests/fixtures/osm/carriageway_crossing.osm``: the Jonasstraße runs west to east at
lat 49.44000, its sidewalks (ways 201 north, 202 south) beside it, drawn west to east.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphs.build import build_graph
from graphs.sources import read_osm_file
from routing.engine import Router
from routing.instructions import instructions

NORTH_WEST, SOUTH_EAST = (49.4401, 7.7590), (49.4399, 7.7650)


@pytest.fixture(scope="module")
def router(osm_fixtures: Path) -> Router:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "carriageway_crossing.osm"))
    return Router(graph)


def test_the_side_of_the_road_per_direction(router: Router) -> None:
    g = router.graph
    side, way = g.edge["road_side"], g.edge["way_id"]
    lat = g.node["lat"]
    for w, north in ((201, True), (202, False)):
        edges = np.flatnonzero(way == w)
        assert len(edges) > 0
        for e in edges.tolist():
            eastward = float(g.node["lon"][g.head[e]]) > float(g.node["lon"][g.tail[e]])
            assert float(lat[g.tail[e]]) == pytest.approx(49.4401 if north else 49.4399)
            # walking east on the northern sidewalk the road (south) is on the right
            expected = 1 if eastward == north else -1
            assert int(side[e]) == expected, (w, e)
            assert int(side[g.edge["reverse_edge"][e]]) == -expected
    others = ~np.isin(way, (201, 202))
    assert np.all(side[others] == 0)  # the road, the crossing way, the driveways


def test_the_steps_say_where_the_road_is(router: Router) -> None:
    route = router.route(NORTH_WEST, SOUTH_EAST, "wheelchair")
    de = [s.text for s in instructions(route, "de")]
    en = [s.text for s in instructions(route, "en")]
    assert de[0] == "Starten Sie auf dem Gehweg entlang der Jonasstraße, die Fahrbahn rechts von Ihnen."  # fmt: skip
    assert en[0] == "Start on the sidewalk along Jonasstraße, the road on your right."
    # across the road, on the southern sidewalk, still eastward: the road on the left
    assert any(t.endswith("auf den Gehweg entlang der Jonasstraße, die Fahrbahn links von Ihnen.") for t in de)  # fmt: skip
    assert any(t.endswith("onto the sidewalk along Jonasstraße, the road on your left.") for t in en)  # fmt: skip
    back = router.route(SOUTH_EAST, NORTH_WEST, "wheelchair")
    assert instructions(back, "en")[0].text == (
        "Start on the sidewalk along Jonasstraße, the road on your right."
    )  # westward on the southern sidewalk: the road (north) on the right
