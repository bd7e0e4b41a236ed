"""The day's conditions on real graphs: the metric cache keys on them, light only in the dark,
pollen only in season, and (once the graph has tree columns) the Neukölln allergy route."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import (
    BERLIN,
    DEFAULT_CONDITIONS,
    Conditions,
    resolve_conditions,
)
from accessibility_rules.profile import load_preset, make_profile
from accessibility_rules.weights import Unknown, compute_weights, weight_parts
from routing.conditions import pollen_exposure
from tests.routing.trips import node_trip

pytestmark = pytest.mark.realdata

JUNE_NOON = dt.datetime(2025, 6, 15, 12, 0, tzinfo=BERLIN)
JANUARY_NOON = dt.datetime(2025, 1, 15, 12, 0, tzinfo=BERLIN)


def test_metric_cache_keys_on_profile_and_conditions(uni_router: Any) -> None:
    allergy = load_preset("allergy")
    june = Conditions((("tilia", 3.0),), None)
    metric = uni_router.customize(allergy, june)
    assert uni_router.customize(allergy, Conditions((("tilia", 3.0),), None)) is metric
    assert uni_router.customize(allergy) is not metric
    assert metric.conditions == june
    assert (allergy, june) in uni_router.customizer.metric_cache
    uni_router.customizer.refresh()  # obstacles: cached metrics are patched in their own conditions
    again = uni_router.customize(allergy, june)
    assert again.conditions == june
    np.testing.assert_array_equal(again.cost_s, metric.cost_s)


def test_light_rules_only_in_the_dark(uni_router: Any) -> None:
    edge, eff = uni_router.customizer.attributes()
    edge = dict(edge)
    lit = edge["lit"].copy()  # the 2013 extracts have (almost) no lit tags: set some
    lit[::3], lit[1::3] = Tri.NO, Tri.YES
    edge["lit"] = lit
    low = load_preset("low_vision")
    day = compute_weights(low, edge, eff, Conditions(dark=False))
    night = compute_weights(low, edge, eff, Conditions(dark=True))
    unlit, unknown_lit = lit == Tri.NO, lit == Tri.UNKNOWN
    day_travel = weight_parts(low, edge, eff, Conditions(dark=False)).travel_s
    night_travel = weight_parts(low, edge, eff, Conditions(dark=True)).travel_s
    np.testing.assert_allclose(night_travel[unlit], day_travel[unlit] * low.unlit_penalty_factor)
    # unknown lit is penalised by low_vision in the dark only
    assert not np.any(day.unknowns & Unknown.LIT)
    assert np.all(night.unknowns[unknown_lit] & Unknown.LIT)
    # the time unknown: as in the dark (unknown is not daylight)
    np.testing.assert_array_equal(compute_weights(low, edge, eff).cost_s, night.cost_s)


def test_allergy_out_of_season_weighs_like_walk(uni_router: Any) -> None:
    lime = make_profile("allergy", {"avoid_pollen": frozenset({"tilia"})})
    lat, lon = float(uni_router.graph.node["lat"][0]), float(uni_router.graph.node["lon"][0])
    january = resolve_conditions(lime, lat=lat, lon=lon, departure_time=JANUARY_NOON)
    assert january == DEFAULT_CONDITIONS
    walk = uni_router.customizer.weights(load_preset("walk"))
    np.testing.assert_array_equal(uni_router.customizer.weights(lime, january).cost_s, walk.cost_s)


def test_a_graph_without_tree_columns_has_unknown_exposure_in_season(uni_router: Any) -> None:
    """A graph built before the tree join (its columns dropped here) never reads as "no
    trees"."""
    edge, eff = uni_router.customizer.attributes()
    older = {k: v for k, v in edge.items() if not k.startswith("trees_")}
    lime = make_profile("allergy", {"avoid_pollen": frozenset({"tilia"})})
    june = compute_weights(lime, older, eff, Conditions((("tilia", 3.0),)))
    assert np.all(june.unknowns & Unknown.POLLEN)  # never read as "no trees"


def test_neukoelln_allergy_route_avoids_limes_in_june(real_build: Any) -> None:
    from graphs.store import load_graph
    from routing.engine import Router

    graph = load_graph(real_build("berlin-neukoelln-2024.osm.gz").out_dir)
    assert int(np.sum(graph.edge["trees_tilia"])) > 0, "Neukölln's 17 limes are joined"
    router = Router(graph)
    lime = make_profile("allergy", {"avoid_pollen": frozenset({"tilia"})})
    lat, lon = float(graph.node["lat"].mean()), float(graph.node["lon"].mean())
    june = resolve_conditions(lime, lat=lat, lon=lon, departure_time=JUNE_NOON)
    january = resolve_conditions(lime, lat=lat, lon=lon, departure_time=JANUARY_NOON)
    assert june.pollen == (("tilia", 3.0),)
    rng = np.random.default_rng(12)
    nodes = rng.choice(graph.node_count, size=(60, 2))
    better = 0
    for a, b in nodes:
        origin, target = node_trip(graph, a, b)
        walk = router.route(origin, target, "walk")

        def limes(edges: list[int]) -> float:
            return pollen_exposure(graph.edge, edges, {"tilia"}, june)[0].trees or 0.0

        if limes(walk.edges) == 0:
            continue
        in_june = router.route(origin, target, lime, conditions=june)
        in_january = router.route(origin, target, lime, conditions=january)
        assert in_january.edges == walk.edges
        if in_june.distance_m > walk.distance_m and limes(in_june.edges) < limes(walk.edges):
            better += 1
    assert better > 0
