"""Steps said because of the day's conditions (issue 12): pollen stretches of the avoided taxa in
season, park sections for a profile that likes green, unlit stretches in the dark for a profile
with a light rule; each a step type of its own, ordered by ``at_m`` with the others."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from numpy.typing import ArrayLike

from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import BERLIN, Conditions, resolve_conditions
from accessibility_rules.profile import load_preset, make_profile
from routing.condition_steps import (
    JOIN_M,
    PARK_MIN_M,
    STRETCH_TYPES,
    UNLIT_MIN_M,
    condition_stretches,
)
from routing.instructions import instructions
from routing.route import Accessibility, Route, Segment
from routing.wording import describe_stretch
from tests.routing.trips import node_trip

JUNE_NOON = dt.datetime(2025, 6, 15, 12, 0, tzinfo=BERLIN)
JANUARY_NOON = dt.datetime(2025, 1, 15, 12, 0, tzinfo=BERLIN)
LIME = make_profile("allergy", {"avoid_pollen": frozenset({"tilia"})})
IN_JUNE = Conditions((("tilia", 3.0),))


# ------------------------------------------------------------------ a hand-made route (no data)


def _graph(**columns: ArrayLike) -> Any:
    """A stand-in graph: only the edge columns and meta the steps read."""
    edge = {k: np.asarray(v) for k, v in columns.items()}
    return SimpleNamespace(edge=edge, meta={"parks": ["Körnerpark"]})


def _route(lengths: list[float]) -> Route:
    """A straight route east over edges 0, 1, … of the given lengths (one segment each)."""
    segments, start = [], 0.0
    for i, length in enumerate(lengths):
        segments.append(Segment(i, None, "footway", False, start, length, i, i + 1, i))
        start += length
    geometry = [[13.43 + i * 0.001, 52.47] for i in range(len(lengths) + 1)]
    return Route(
        profile="test", accessibility=Accessibility("yes", 1.0, [], []), distance_m=start,
        duration_s=start, cost_s=start, geometry=geometry, barriers=[], violations=[],
        unknowns={}, max_incline=None, detour=None, segments=segments, snapped={},
    )  # fmt: skip


def test_pollen_runs_join_across_short_gaps_and_name_the_season() -> None:
    route = _route([50, 50, JOIN_M - 1, 50, 100, 40])
    graph = _graph(trees_tilia=[2, 1, 0, 3, 0, 1], trees_unknown=[0, 0, 5, 0, 0, 0])
    june = condition_stretches(route, graph, LIME, IN_JUNE, day=dt.date(2025, 6, 15))
    assert [(s.kind, s.at_m, s.length_m) for s in june] == [
        ("pollen", 0.0, 50 + 50 + JOIN_M - 1 + 50),  # the short gap (unknown genus) is joined
        ("pollen", 250.0 + JOIN_M - 1, 40.0),
    ]
    assert june[0].details == {"taxon": "tilia", "season": "main", "intensity": 3.0}
    assert (june[0].lon, june[0].lat) == (13.43, 52.47)
    de = describe_stretch("pollen", june[0].details, june[0].length_m, "de")
    assert de == "Linden auf den nächsten 165 m (Hauptblütezeit)"
    en = describe_stretch("pollen", {"taxon": "betula", "season": "main"}, 200, "en")
    assert en == "Birches for the next 200 m (main season)"
    # no day: the intensity is said (DWD scale); a taxon that does not fly: nothing
    (no_day,) = condition_stretches(route, graph, LIME, IN_JUNE)[:1]
    assert describe_stretch("pollen", no_day.details, 10, "de").endswith("(Belastung hoch)")
    assert describe_stretch("pollen", {"taxon": "tilia", "intensity": 1.5}, 10, "en").endswith(
        "(low to medium level)"
    )
    assert condition_stretches(route, graph, LIME, Conditions(), day=dt.date(2025, 1, 15)) == []
    # not avoided by the profile: nothing said, however it flies
    assert condition_stretches(route, graph, load_preset("walk"), IN_JUNE) == []
    # a graph built before the tree columns: unknown, and nothing is said as if known
    assert condition_stretches(route, _graph(lit=[-1] * 6), LIME, IN_JUNE) == []


def test_grass_stretch_needs_half_the_way_beside_grass() -> None:
    allergy = load_preset("allergy")
    route = _route([100, 100, 100])
    graph = _graph(grass_share=[0.4, 0.8, float("nan")])
    (grass,) = condition_stretches(route, graph, allergy, Conditions((("grasses", 3.0),)))
    assert (grass.at_m, grass.length_m, grass.details["taxon"]) == (100.0, 100.0, "grasses")
    assert describe_stretch("pollen", {"taxon": "grasses", "season": "side"}, 100, "de") == (
        "Gräser auf den nächsten 100 m (Nebenblütezeit)"
    )


def test_park_sections_for_green_profiles_only() -> None:
    route = _route([30, PARK_MIN_M, 10, 80, 30, 20])
    graph = _graph(park_id=[-1, 0, 0, 1, -1, 0])  # park 1 has no name in meta
    dog = load_preset("dog_walk")
    parks = condition_stretches(route, graph, dog)
    # park 0 (60 m) and park 1 (80 m) are two sections; the 20 m corner of park 0 is none
    assert [(s.at_m, s.length_m, s.details["name"]) for s in parks] == [
        (30.0, PARK_MIN_M + 10, "Körnerpark"),
        (90.0, 80.0, None),
    ]
    assert (
        describe_stretch("green", parks[0].details, 400, "de")
        == "Park-Abschnitt 400 m (Körnerpark)"
    )
    assert describe_stretch("green", parks[1].details, 400, "en") == "Park section 400 m"
    assert condition_stretches(route, graph, load_preset("walk")) == []


def test_unlit_stretches_in_the_dark_for_light_profiles() -> None:
    route = _route([100, 10, 60, UNLIT_MIN_M - 1, 30])
    graph = _graph(lit=[Tri.NO, Tri.UNKNOWN, Tri.NO, Tri.YES, Tri.NO])
    graph.edge["lit"] = graph.edge["lit"].astype(np.int8)
    low = load_preset("low_vision")
    dark = condition_stretches(route, graph, low, Conditions(dark=True))
    # the 10 m untagged piece joins the unlit runs; the last 30 m after a lit gap stand alone
    assert [(s.kind, s.at_m, s.length_m) for s in dark] == [
        ("light", 0.0, 170.0),
        ("light", 170.0 + UNLIT_MIN_M - 1, 30.0),
    ]
    assert condition_stretches(route, graph, low, Conditions(dark=None)) == dark  # time unknown
    assert condition_stretches(route, graph, low, Conditions(dark=False)) == []
    assert condition_stretches(route, graph, load_preset("walk"), Conditions(dark=True)) == []
    assert describe_stretch("light", {}, 150, "de") == "unbeleuchtet auf 150 m"
    assert describe_stretch("light", {}, 150, "en") == "unlit for 150 m"


def test_every_unlit_stretch_is_said_where_require_lit_makes_it_a_break() -> None:
    """``require_lit`` is a limit: an unlit stretch shorter than UNLIT_MIN_M breaks it too and
    is said (a dog walk at night said 10 m of unlit footway at its destination only in the
    closing sentence); a profile that merely prefers light is spared the short ones."""
    route = _route([100, UNLIT_MIN_M - 10, 100, 3])
    graph = _graph(lit=np.array([Tri.YES, Tri.NO, Tri.YES, Tri.NO], dtype=np.int8))
    strict = make_profile("dog_walk", {"require_lit": True})
    said = condition_stretches(route, graph, strict, Conditions(dark=True))
    assert [(s.kind, s.at_m, s.length_m) for s in said] == [
        ("light", 100.0, UNLIT_MIN_M - 10),
        ("light", 200.0 + UNLIT_MIN_M - 10, 3.0),
    ]
    prefers = make_profile("dog_walk", {"unlit_penalty_factor": 2.0})
    assert condition_stretches(route, graph, prefers, Conditions(dark=True)) == []


def test_condition_steps_are_typed_and_ordered_with_the_others() -> None:
    route = _route([100, 60, 100])
    graph = _graph(
        trees_tilia=[0, 4, 0], park_id=[-1, 0, 0], lit=np.array([0, 1, 0], dtype=np.int8)
    )
    profile = make_profile(
        "allergy",
        {
            "avoid_pollen": frozenset({"tilia"}),
            "green_preference": 1.0,
            "unlit_penalty_factor": 2.0,
        },
    )
    conditions = Conditions((("tilia", 3.0),), dark=True)
    steps = instructions(
        route, "de", graph=graph, profile=profile, conditions=conditions, day=JUNE_NOON.date()
    )
    assert [s.type for s in steps] == ["depart", "light", "pollen", "green", "light", "arrive"]
    assert [s.at_m for s in steps] == sorted(s.at_m for s in steps)
    assert [s.text for s in steps[1:5]] == [
        "Unbeleuchtet auf 100 m.",
        "Nach 100 m: Linden auf den nächsten 60 m (Hauptblütezeit).",
        "Park-Abschnitt 160 m (Körnerpark).",
        "Nach 60 m: Unbeleuchtet auf 100 m.",
    ]
    assert {s.type for s in steps} - {"depart", "arrive"} <= set(STRETCH_TYPES)
    # without the graph and profile the steps are what they were
    assert [s.type for s in instructions(route, "de")] == ["depart", "arrive"]


# ------------------------------------------------------------------ real routes


@pytest.mark.realdata
@pytest.mark.slow
def test_neukoelln_limes_in_june_said_in_january_not(real_build: Any) -> None:
    from graphs.store import load_graph
    from routing.engine import Router

    graph = load_graph(real_build("berlin-neukoelln-2024.osm.gz").out_dir)
    assert int(np.sum(graph.edge["trees_tilia"])) > 0, "Neukölln's limes are joined"
    router = Router(graph)
    lat, lon = float(graph.node["lat"].mean()), float(graph.node["lon"].mean())
    june = resolve_conditions(LIME, lat=lat, lon=lon, departure_time=JUNE_NOON)
    january = resolve_conditions(LIME, lat=lat, lon=lon, departure_time=JANUARY_NOON)
    rng = np.random.default_rng(12)
    said = 0
    for a, b in rng.choice(graph.node_count, size=(40, 2)):
        origin, target = node_trip(graph, a, b)
        route = router.route(origin, target, LIME, conditions=june)
        limes = graph.edge["trees_tilia"][[s.edge for s in route.segments]] > 0
        kw: dict[str, Any] = {"graph": graph, "profile": LIME}
        de = instructions(route, "de", conditions=june, day=JUNE_NOON.date(), **kw)
        en = instructions(route, "en", conditions=june, day=JUNE_NOON.date(), **kw)
        pollen = [s for s in de if s.type == "pollen"]
        assert bool(pollen) == bool(limes.any())
        assert [s.at_m for s in de] == sorted(s.at_m for s in de)
        for s in pollen:
            assert "Linden auf den nächsten" in s.text
            assert s.text.endswith("(Hauptblütezeit).")
            seg = next(x for x in route.segments if x.start_m == pytest.approx(s.at_m, abs=0.1))
            assert graph.edge["trees_tilia"][seg.edge] > 0  # it starts beside a lime
        assert all("Lime trees for the next" in s.text for s in en if s.type == "pollen")
        assert not [
            s for s in instructions(route, "de", conditions=january, **kw) if s.type == "pollen"
        ]
        said += bool(pollen)
    assert said > 0


@pytest.mark.realdata
@pytest.mark.slow
def test_kaiserslautern_dog_walk_names_its_parks(ksl_router: Any) -> None:
    graph = ksl_router.graph
    dog = load_preset("dog_walk")
    rng = np.random.default_rng(3)
    named = 0
    for a, b in rng.choice(graph.node_count, size=(12, 2)):
        origin, target = node_trip(graph, a, b)
        route = ksl_router.route(origin, target, dog, compare_walk=False)
        steps = instructions(route, "de", graph=graph, profile=dog)
        for s in (s for s in steps if s.type == "green"):
            assert s.text.startswith(("Park-Abschnitt", "Nach"))
            name = s.text.rsplit("(", 1)[1].rstrip(").")
            assert name in graph.meta["parks"]
            named += 1
        walk = instructions(route, "de", graph=graph, profile=load_preset("walk"))
        assert not [s for s in walk if s.type == "green"]
    assert named > 0


@pytest.mark.realdata
def test_unlit_stretch_on_a_graph_copy_with_lit_values(uni_router: Any) -> None:
    """The 2013 extracts have no lit tags: set them on a copy of the graph (lit everywhere but
    on the middle edges of a real route) and the low-vision route says that stretch at night."""
    graph = uni_router.graph
    nodes = np.random.default_rng(5).choice(graph.node_count, size=(30, 2))
    for a, b in nodes:
        origin, target = node_trip(graph, a, b)
        route = uni_router.route(origin, target, "low_vision", compare_walk=False)
        segments = [s for s in route.segments if s.length_m > 0]
        if len(segments) >= 5 and route.distance_m > 300:
            break
    else:
        pytest.fail("no route of five segments")
    middle = segments[1:-1]
    lit = np.full(graph.edge_count, Tri.YES, dtype=np.int8)
    lit[[s.edge for s in middle]] = Tri.NO
    copy = dataclasses.replace(graph, edge={**graph.edge, "lit": lit})
    low = load_preset("low_vision")
    kw: dict[str, Any] = {"graph": copy, "profile": low}
    steps = instructions(route, "en", conditions=Conditions(dark=True), **kw)
    (unlit,) = [s for s in steps if s.type == "light"]
    length = middle[-1].start_m + middle[-1].length_m - middle[0].start_m
    assert unlit.at_m == pytest.approx(middle[0].start_m, abs=0.1)
    assert unlit.text.endswith(f"Unlit for {_spoken(length)}.")
    assert [s.at_m for s in steps] == sorted(s.at_m for s in steps)
    assert not [s for s in instructions(route, "en", conditions=Conditions(dark=False), **kw) if s.type == "light"]  # fmt: skip


def _spoken(m: float) -> str:
    from routing.wording import metres

    return metres(m, "en")
