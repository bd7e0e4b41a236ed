"""Mapping priorities rank the nodes the routes rely on too: crossings, junctions where no
crossing is mapped, kerbs and barriers whose facts the profile needs but nobody mapped.

On the road-junction fixture (``tests/fixtures/osm/road_junctions.osm``: roads without sidewalks
of their own, two junctions where no crossing is mapped, one junction with a mapped crossing whose
signals and paving are known) the blind profile's routes rest on the tactile paving of the two
bare junctions. The independent reference is the route report: the places where each trip's
``accessibility.relies_on`` lists a point fact (counted at a node), matched to the nodes by
their coordinates.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from accessibility_rules.profile import Profile
from routing.engine import Router
from routing.errors import RoutingError
from testers.pairs import random_pairs
from testers.priorities import mapping_priorities, priority_features, task_lines

POINT_FACTS = {"kerb_height", "acoustic_signal", "tactile_paving", "barrier"}
TRIPS, SEED = 40, 3


@pytest.fixture(scope="module")
def router(road_junctions_router: Router) -> Router:
    return road_junctions_router


def _osm_node(router: Router, osm_id: int) -> int:
    return int(np.flatnonzero(router.graph.node["osm_id"] == osm_id)[0])


def _reference(router: Router, profile: str | Profile) -> Counter[int]:
    """Per node, the trips whose route report relies on a point fact there."""
    node = router.graph.node
    at = {(round(float(x), 7), round(float(y), 7)): v for v, (x, y) in enumerate(zip(node["lon"], node["lat"], strict=True))}  # fmt: skip
    counts: Counter[int] = Counter()
    for pair in random_pairs(router.graph, TRIPS, SEED):
        try:
            route = router.route(pair.origin, pair.destination, profile, compare_walk=False)
        except RoutingError:
            continue
        nodes = set()
        for reliance in route.accessibility.relies_on:
            if reliance.attribute in POINT_FACTS:
                nodes |= {at[(round(p.lon, 7), round(p.lat, 7))] for p in reliance.places}
        counts.update(nodes)
    return counts


def test_blind_routes_rely_on_the_paving_of_bare_junctions(router: Router) -> None:
    ranked, routed = mapping_priorities(router, "blind", TRIPS, SEED, limit=50)
    assert routed == TRIPS
    nodes = {p.node: p for p in ranked if p.node is not None}
    bare = {_osm_node(router, 2), _osm_node(router, 3)}
    assert set(nodes) == bare  # the mapped crossing (node 5) is known: not a priority
    for p in nodes.values():
        assert p.kind == "junction"
        assert "tactile_paving" in p.attributes
        assert p.length_m is None
        assert int(router.graph.head[p.edge]) == p.node  # the edge a trip came along


def test_the_nodes_trips_are_those_whose_report_relies_on_them(router: Router) -> None:
    """With both crossing requirements the report lists what the blind routes rely on (the
    preset prices unknown paving and signals, so it ranks the same places without them)."""
    strict = router.profile(
        "blind", {"require_tactile_paving": True, "require_acoustic_signals": True}
    )
    ranked, _ = mapping_priorities(router, strict, TRIPS, SEED, limit=50)
    nodes = {p.node: p.trips for p in ranked if p.node is not None}
    assert nodes
    assert nodes == dict(_reference(router, strict))


def test_the_ranking_is_by_trips_then_length_ways_before_nodes(router: Router) -> None:
    ranked, _ = mapping_priorities(router, "blind", TRIPS, SEED, limit=50)
    keys = [(-p.trips, -(p.length_m or 0.0), p.node is not None) for p in ranked]
    assert keys == sorted(keys)
    fewer, _ = mapping_priorities(router, "blind", TRIPS, SEED, limit=1)
    assert fewer == ranked[:1]


def test_nodes_are_points_and_their_tasks_name_what_to_map(router: Router) -> None:
    ranked, routed = mapping_priorities(router, "blind", TRIPS, SEED, limit=50)
    features = priority_features(router, ranked, "blind", routed)
    lines = [json.loads(line) for line in task_lines(features)]
    node = router.graph.node
    for feature, task, p in zip(features, lines, ranked, strict=True):
        props = feature["properties"]
        assert props["kind"] == p.kind
        if p.node is None:
            assert feature["geometry"]["type"] == "LineString"
            assert task["properties"]["task"] == f"stufenlos-blind-{p.edge}"
            continue
        assert feature["geometry"] == {
            "type": "Point",
            "coordinates": [round(float(node["lon"][p.node]), 7), round(float(node["lat"][p.node]), 7)],
        }  # fmt: skip
        assert props["node"] == p.node
        assert props["length_m"] is None
        assert task["properties"]["task"] == f"stufenlos-blind-node-{p.node}"
        text = task["properties"]["instruction"]
        assert "tactile paving of the junction here" in text
        assert "highway=crossing" in text
        assert "tactile_paving=*" in text


def test_a_profile_without_crossing_rules_ranks_junctions_for_their_kerbs(router: Router) -> None:
    """A wheelchair's route weighs no crossing facts, but passing a road junction along a road
    it relies on the side road's kerbs, which nobody mapped: such a junction is ranked for its
    kerb heights alone."""
    ranked, _ = mapping_priorities(router, "wheelchair", TRIPS, SEED, limit=50)
    junctions = [p for p in ranked if p.kind == "junction"]
    assert junctions
    assert all(p.attributes == ("kerb_height",) for p in junctions)
    assert dict(_reference(router, "wheelchair")) == {
        p.node: p.trips for p in ranked if p.node is not None
    }
