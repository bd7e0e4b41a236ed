"""Walking along a road (sidewalks not mapped apart) through a road junction: the side road's
mouth is crossed there unless the walk keeps to the other side, and nothing of that crossing is
mapped (``CrossingKind.JUNCTION``: half a crossing where three carriageways meet, a whole one
where more do; a crossing mapped on the junction node is that crossing instead).

Found by the truth checks' blind profile with both crossing requirements (2026-12-05): on the
centre of Kaiserslautern 241 of 250 routes with the verdict "yes" went along roads through
junctions where no crossing is mapped (the routes of the whole city pass 25 such junctions on
average), so "yes" rested on the paving and the signals of crossings nobody mapped. The
fixture: ``tests/fixtures/osm/road_junctions.osm``.
"""

from __future__ import annotations

import numpy as np
import pytest

from accessibility_rules.attributes import AcousticSignal, CrossingKind, Tri
from accessibility_rules.effective import effective_edges
from routing.engine import Router
from routing.instructions import instructions
from routing.walking import walking_time_s

WEST_END = (49.44000, 7.75862)  # node 1
EAST_END = (49.44000, 7.76690)  # node 7
CROSSROADS = (49.44000, 7.76138)  # node 3


@pytest.fixture(scope="module")
def router(road_junctions_router: Router) -> Router:
    return road_junctions_router


def _node(router: Router, osm_id: int) -> int:
    return int(np.flatnonzero(router.graph.node["osm_id"] == osm_id)[0])


def _into(router: Router, osm_id: int, way: int) -> np.ndarray:
    """The edges of ``way`` that lead into the node ``osm_id``."""
    g = router.graph
    return np.flatnonzero((g.head == _node(router, osm_id)) & (g.edge["way_id"] == way))


def test_road_arms_count_the_carriageways_but_driveways(router: Router) -> None:
    arms = router.graph.node["road_arms"]
    got = {osm: int(arms[_node(router, osm)]) for osm in (1, 2, 3, 4, 5, 6, 7, 26)}
    assert got == {1: 1, 2: 3, 3: 4, 4: 2, 5: 3, 6: 2, 7: 1, 26: 0}


def test_a_walk_along_a_road_meets_the_junctions_it_goes_through(router: Router) -> None:
    eff = effective_edges(router.graph)
    for osm, share in ((2, 0.5), (3, 1.0)):
        for way in (300, 301, 302, 303):
            into = _into(router, osm, way)
            assert np.all(eff.crossing[into] == CrossingKind.JUNCTION), (osm, way)
            assert np.all(eff.crossing_share[into] == share)
            assert np.all(eff.tactile_paving[into] == Tri.UNKNOWN)
            assert np.all(eff.acoustic_signal[into] == AcousticSignal.UNKNOWN)
    # a driveway makes no junction; the mapped crossing on a junction is that crossing
    assert np.all(eff.crossing[_into(router, 4, 300)] == CrossingKind.NONE)
    signals = np.concatenate([_into(router, 5, 300), _into(router, 5, 305)])
    assert np.all(eff.crossing[signals] == CrossingKind.TRAFFIC_SIGNALS)
    assert np.all(eff.crossing_share[signals] == 0.5)
    assert np.all(eff.acoustic_signal[signals] == AcousticSignal.YES)
    assert np.all(eff.tactile_paving[signals] == Tri.YES)
    # a footway ending on the road, and the road beside it, meet nothing there
    assert np.all(eff.crossing[_into(router, 6, 306)] == CrossingKind.NONE)
    assert np.all(eff.crossing[_into(router, 6, 300)] == CrossingKind.NONE)


def test_a_route_through_unmapped_junctions_rests_on_unknown_paving(router: Router) -> None:
    route = router.route(
        WEST_END, EAST_END, "blind", require_tactile_paving=True, require_acoustic_signals=True
    )
    answer = route.as_dict()
    access = answer["accessibility"]
    assert access["verdict"] == "unknown"  # was "yes": two junctions where nothing is mapped
    assert access["breaks"] == []
    relies = {r["attribute"]: r for r in access["relies_on"]}
    assert relies["tactile_paving"]["count"] == 2
    crossings = [b for b in answer["barriers"] if b["kind"] == "crossing"]
    assert [b["details"]["crossing"] for b in crossings] == [
        "junction",
        "junction",
        "traffic_signals",
    ]
    # at the junctions themselves (nodes 2, 3 and 5: 100, 200 and 400 m), not where the walk
    # sets out on the road piece before each
    assert [b["at_m"] for b in crossings] == pytest.approx([99.8, 199.6, 399.1], abs=0.5)
    assert [b["lon"] for b in crossings] == [7.76, 7.76138, 7.76414]
    said = [s.text for s in instructions(route, "de") if "Kreuzung" in s.text]
    assert len(said) == 2
    assert said[0].endswith("Kreuzung ohne kartierten Überweg.")
    (en,) = [s.text for s in instructions(route, "en") if s.type == "barrier"][:1]
    assert en.endswith("Junction where no crossing is mapped.")


def test_a_walk_through_junctions_takes_their_crossing_time_and_lists_them_where_it_matters(
    router: Router,
) -> None:
    profile = router.profile("walk")
    route = router.route(WEST_END, EAST_END, profile)
    # half a crossing at each T-junction (nodes 2 and 5), a whole one at the crossroads
    expected = walking_time_s(profile, route.distance_m) + 2.0 * profile.crossing_delay_s
    assert route.duration_s == pytest.approx(expected, abs=0.1)
    # only who asks what a crossing has is told of every side road; the mapped one is listed
    for preset in ("walk", "wheelchair", "rollator"):
        passed = router.route(WEST_END, EAST_END, preset)
        kinds = [b.details["crossing"] for b in passed.barriers if b.kind == "crossing"]
        assert kinds == ["traffic_signals"], preset
    for preset in ("blind", "low_vision"):
        passed = router.route(WEST_END, EAST_END, preset)
        kinds = [b.details["crossing"] for b in passed.barriers if b.kind == "crossing"]
        assert kinds == ["junction", "junction", "traffic_signals"], preset


def test_a_walk_ending_on_a_junction_does_not_cross_it(router: Router) -> None:
    route = router.route(WEST_END, CROSSROADS, "blind", require_tactile_paving=True)
    kinds = [
        b["details"]["crossing"] for b in route.as_dict()["barriers"] if b["kind"] == "crossing"
    ]
    assert kinds == ["junction"]  # node 2 passed; node 3, where the walk ends, not
    back = router.route(CROSSROADS, WEST_END, "blind", require_tactile_paving=True)
    kinds = [
        b["details"]["crossing"] for b in back.as_dict()["barriers"] if b["kind"] == "crossing"
    ]
    assert kinds == ["junction"]  # starting on node 3 crosses nothing there either
