"""A road whose sidewalks are mapped as ways of their own, crossed in its carriageway where no
crossing is mapped: an informal crossing, whose paving and signals nobody knows.

Found by the truth checks' blind profile with both crossing requirements (2026-12-05): on
Neukölln, 107 of 226 routes with the verdict "yes" crossed a road so, most of them through two
driveways facing each other, where the walk stepped into the carriageway for a few metres; the
crossing was neither announced nor charged, so the blind preset preferred it to every mapped
crossing. The fixture: ``tests/fixtures/osm/carriageway_crossing.osm``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from accessibility_rules.attributes import AcousticSignal, CrossingKind, Tri
from accessibility_rules.effective import effective_edges
from graphs.build import build_graph
from graphs.sources import read_osm_file
from routing.engine import Router
from routing.instructions import instructions, steps_json

#: On the northern sidewalk at the first driveway, and on the southern one at the second.
ORIGIN = (49.44012, 7.76300)
DESTINATION = (49.43988, 7.76304)


@pytest.fixture(scope="module")
def router(osm_fixtures: Path) -> Router:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "carriageway_crossing.osm"))
    return Router(graph)


def _way_edges(router: Router, way: int) -> np.ndarray:
    return np.flatnonzero(router.graph.edge["way_id"] == way)


def test_each_edge_walked_in_the_carriageway_is_an_informal_crossing(router: Router) -> None:
    eff = effective_edges(router.graph)
    road = _way_edges(router, 200)
    assert np.all(eff.crossing[road] == CrossingKind.INFORMAL)
    assert np.all(eff.crossing_share[road] == 1.0)
    # unknown, not the facts of the mapped crossing node the road passes through
    assert np.all(eff.tactile_paving[road] == Tri.UNKNOWN)
    assert np.all(eff.acoustic_signal[road] == AcousticSignal.UNKNOWN)
    for way in (201, 202, 204, 205):  # sidewalks and driveways are no crossings
        assert np.all(eff.crossing[_way_edges(router, way)] == CrossingKind.NONE)
    crossing_way = _way_edges(router, 203)
    assert np.all(eff.crossing[crossing_way] == CrossingKind.MARKED)
    assert np.all(eff.tactile_paving[crossing_way] == Tri.NO)


def test_a_route_through_the_carriageway_rests_on_unknown_paving(router: Router) -> None:
    route = router.route(
        ORIGIN, DESTINATION, "blind", require_tactile_paving=True, require_acoustic_signals=True
    )
    # through the driveways (25 m), not 600 m round by the mapped crossing, which lacks paving
    assert route.distance_m < 30
    answer = route.as_dict()
    access = answer["accessibility"]
    assert access["verdict"] == "unknown"  # was "yes": nothing known about this crossing
    assert access["breaks"] == []
    relies = {r["attribute"]: r for r in access["relies_on"]}
    assert relies["tactile_paving"]["count"] == 1
    crossings = [b for b in answer["barriers"] if b["kind"] == "crossing"]
    assert len(crossings) == 1
    assert crossings[0]["details"]["crossing"] == "informal"
    assert crossings[0]["details"]["tactile_paving"] == "unknown"
    assert crossings[0]["at_m"] == pytest.approx(11.1, abs=0.2)  # where it steps into the road


def test_an_informal_crossing_costs_what_an_unmarked_one_with_unknown_paving_does(
    router: Router,
) -> None:
    profile = router.profile("blind")
    weights = router.customize(profile).weights
    road = _way_edges(router, 200)
    expected = (
        profile.crossing_delay_s
        + profile.unmarked_crossing_penalty_s
        + profile.unknown_transition_penalty_s
    )
    assert expected > profile.crossing_delay_s > 0
    assert np.allclose(weights.head_s[road], expected)
    route = router.route(ORIGIN, DESTINATION, "blind")
    # the time spent waiting to cross is in the duration, as at a mapped crossing
    speed = profile.walking_speed_mps
    assert route.duration_s == pytest.approx(
        route.distance_m / speed + profile.crossing_delay_s, rel=1e-3
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [("de", "Straßenquerung ohne kartierten Überweg"), ("en", "where no crossing is mapped")],
)
def test_the_steps_say_that_no_crossing_is_mapped(
    router: Router, lang: Literal["de", "en"], text: str
) -> None:
    route = router.route(ORIGIN, DESTINATION, "blind")
    said = " ".join(str(step.get("text", "")) for step in steps_json(instructions(route, lang)))
    assert text in said
