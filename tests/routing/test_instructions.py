"""Words a person can follow (issue 10): German street grammar on real names, unnamed ways by
kind and street, merged steps, one announcement per crossing, long slopes only, avoided
obstacles, the verdict at the end, and a readable command-line summary."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.barriers_said import (
    _CROSSING_RANK,
    ESTIMATED_SLOPE_MIN_M,
    SAME_CROSSING_M,
    TAGGED_SLOPE_MIN_M,
    merge_crossings,
    said_slopes,
    said_surfaces,
)
from routing.errors import NoRouteError
from routing.instructions import Instruction, instructions, seat_groups, steps_json
from routing.legs import route_legs, turns_at
from routing.report import combine_routes
from routing.route import Accessibility, Barrier, Break, Route, Segment, Stop
from routing.step_words import AFTER_WORDS, STEP_WORDS, TURN_WORDS
from routing.street_names import Way, street_with_article
from routing.wording import (
    Language,
    accessibility_sentence,
    break_phrase,
    describe_barrier,
    end_short_phrase,
    metres,
    verdict_of,
    verdict_sentence,
)
from tests.routing.test_instructions_kernels import legs_alike_on_trips
from tests.routing.trips import node_routes, node_trip

# Real names from the Kaiserslautern and Neukölln extracts (their ``name=`` values).
STREETS = [
    # name, Starten Sie …, abbiegen …, Gehweg entlang …
    ("Pirmasenser Straße", "auf der Pirmasenser Straße", "in die Pirmasenser Straße", "entlang der Pirmasenser Straße"),
    ("Karl-Marx-Straße", "auf der Karl-Marx-Straße", "in die Karl-Marx-Straße", "entlang der Karl-Marx-Straße"),
    ("Wittmannsdorfer Straße", "auf der Wittmannsdorfer Straße", "in die Wittmannsdorfer Straße", "entlang der Wittmannsdorfer Straße"),
    ("Karl-Marx-Platz", "auf dem Karl-Marx-Platz", "auf den Karl-Marx-Platz", "entlang des Karl-Marx-Platzes"),
    ("Mittelweg", "auf dem Mittelweg", "in den Mittelweg", "entlang des Mittelwegs"),
    ("Ulker-Gass", "auf der Ulker-Gass", "in die Ulker-Gass", "entlang der Ulker-Gass"),
    ("Alte Brücke", "auf der Alten Brücke", "auf die Alte Brücke", "entlang der Alten Brücke"),
    ("Alter Friedhof", "auf dem Alten Friedhof", "in den Alten Friedhof", "entlang des Alten Friedhofs"),
    ("Alte Pirmasenser Straße", "auf der Alten Pirmasenser Straße", "in die Alte Pirmasenser Straße", "entlang der Alten Pirmasenser Straße"),
    ("Pfaffsiedlung", "auf der Pfaffsiedlung", "in die Pfaffsiedlung", "entlang der Pfaffsiedlung"),
    ("Im Dunkeltälchen", "Im Dunkeltälchen", "weiter Im Dunkeltälchen", "Im Dunkeltälchen"),
    ("Am Altenhof", "Am Altenhof", "weiter Am Altenhof", "Am Altenhof"),
    ("An der Feuerwache", "An der Feuerwache", "weiter An der Feuerwache", "An der Feuerwache"),
    ("Auf dem Bännjerrück", "Auf dem Bännjerrück", "weiter Auf dem Bännjerrück", "Auf dem Bännjerrück"),
    ("Unter den 30 Morgen", "Unter den 30 Morgen", "weiter Unter den 30 Morgen", "Unter den 30 Morgen"),
    ("23er Kaserner", "auf der Straße 23er Kaserner", "in die Straße 23er Kaserner", "entlang der Straße 23er Kaserner"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "on", "into", "beside"), STREETS)
def test_german_street_phrases(name: str, on: str, into: str, beside: str) -> None:
    street = Way(name, "residential", False)
    assert street.on("de") == on
    assert street.into("de") == into
    sidewalk = Way(name, "footway", True).german("nom")
    assert sidewalk == f"der Gehweg {beside}"
    assert Way(name, "residential", False).on("en") == f"on {name}"


def test_real_names_all_get_a_phrase(shared_file: Any) -> None:
    """Every named way of the Neukölln extract gets an article or keeps its preposition (no
    bare "in Bremerstraße")."""
    import gzip

    with gzip.open(shared_file("berlin-neukoelln-2024.osm.gz"), "rt", encoding="utf-8") as f:
        text = f.read()
    names = set(re.findall(r'<tag k="name" v="([^"]*(?:straße|weg|platz|allee|damm|ring))"', text))
    assert len(names) >= 5
    for name in names:
        assert street_with_article(name, "acc").split()[0] in ("die", "den", "das"), name


def test_unnamed_ways_by_kind() -> None:
    assert Way(None, "footway", False).into("de") == "auf den Fußweg"
    assert Way(None, "footway", False).on("en") == "on the footpath"
    assert Way("Pirmasenser Straße", "footway", True).on("de") == (
        "auf dem Gehweg entlang der Pirmasenser Straße"
    )
    assert Way("Pirmasenser Straße", "footway", True).into("en") == (
        "onto the sidewalk along Pirmasenser Straße"
    )
    assert Way(None, "steps", False).into("de") == "auf die Treppe"


def _route(segments: list[Segment], geometry: list[list[float]], **kw: Any) -> Route:
    total = sum(s.length_m for s in segments)
    base: dict[str, Any] = dict(
        profile="wheelchair", accessibility=Accessibility("yes", 1.0, [], []),
        distance_m=total, duration_s=total,
        cost_s=total, geometry=geometry, barriers=[], violations=[], unknowns={},
        max_incline=None, detour=None, segments=segments, snapped={},
    )  # fmt: skip
    base.update(kw)
    return Route(**base)


def _east(n: int, step_deg: float = 0.0005) -> list[list[float]]:
    return [[7.7 + i * step_deg, 49.44] for i in range(n)]


def test_consecutive_unnamed_pieces_merge() -> None:
    """Three unnamed pieces straight on (two kinds, one way split twice) are one step."""
    geo = _east(4)
    seg = [
        Segment(0, None, "footway", False, 0.0, 36.0, 0, 1, 11),
        Segment(1, None, "footway", False, 36.0, 36.0, 1, 2, 11),
        Segment(2, None, "path", False, 72.0, 36.0, 2, 3, 12),
    ]
    steps = instructions(_route(seg, geo), "en")
    assert [s.type for s in steps] == ["depart", "arrive"]
    assert steps[0].text == "Start on the footpath."
    assert steps[1].text.startswith("In 110 m you have arrived. The route is step-free")


def test_real_turn_onto_same_kind_is_worded_apart() -> None:
    geo = [[7.7, 49.44], [7.7005, 49.44], [7.7005, 49.4405], [7.7010, 49.4405]]
    seg = [
        Segment(0, None, "footway", False, 0.0, 36.0, 0, 1, 1),
        Segment(1, None, "footway", False, 36.0, 55.0, 1, 2, 2),
        Segment(2, None, "footway", False, 91.0, 36.0, 2, 3, 3),
    ]
    texts = [s.text for s in instructions(_route(seg, geo), "de")]
    assert texts[1] == "Nach 35 m links abbiegen, weiter auf dem Fußweg."
    assert texts[2] == "Nach 55 m rechts abbiegen, weiter auf dem Fußweg."


def test_straight_on_into_a_prepositional_name_says_weiter_once() -> None:
    """ "geradeaus weiter" onto "Am Altenhof" is "geradeaus weiter Am Altenhof", not "…weiter,
    weiter Am Altenhof"; a turn onto it keeps ", weiter Am Altenhof"; English is unchanged."""
    geo = [[7.7, 49.44], [7.7005, 49.44], [7.7010, 49.44], [7.7010, 49.4405]]
    seg = [
        Segment(0, "Mittelweg", "residential", False, 0.0, 36.0, 0, 1, 1),
        Segment(1, "Am Altenhof", "residential", False, 36.0, 36.0, 1, 2, 2),
        Segment(2, "Im Dunkeltälchen", "residential", False, 72.0, 55.0, 2, 3, 3),
    ]
    texts = [s.text for s in instructions(_route(seg, geo), "de")]
    assert texts[1] == "Nach 35 m geradeaus weiter Am Altenhof."
    assert texts[2] == "Nach 35 m links abbiegen, weiter Im Dunkeltälchen."
    texts = [s.text for s in instructions(_route(seg, geo), "en")]
    assert texts[1] == "In 35 m continue straight onto Am Altenhof."


def test_a_turn_comes_before_the_steps_it_turns_onto() -> None:
    """The turn onto a flight of steps and the steps are at one place as said (the barrier's
    place is rounded to 0.1 m, the turn's exact place lies 0.04 m further): turn first, then
    the warning, without a distance of its own."""
    geo = [[7.7, 49.44], [7.7005, 49.44], [7.7005, 49.4405]]
    seg = [
        Segment(0, "Mittelweg", "residential", False, 0.0, 36.04, 0, 1, 1),
        Segment(1, None, "steps", False, 36.04, 12.0, 1, 2, 2),
    ]
    steps = Barrier("steps", 36.0, 7.7005, 49.44, {"step_count": 4, "handrail": "yes", "ramp_wheelchair": "no"})  # fmt: skip
    out = instructions(_route(seg, geo, barriers=[steps]), "de")
    assert [(s.type, s.at_m) for s in out] == [
        ("depart", 0.0), ("turn", 36.0), ("barrier", 36.0), ("arrive", 48.0)
    ]  # fmt: skip
    assert out[1].text == "Nach 35 m links abbiegen auf die Treppe."
    assert out[2].text.startswith("Achtung")
    assert out[2].distance_m == 0.0


def test_a_turn_onto_a_crossing_says_to_cross_the_road() -> None:
    """A turn onto an unnamed footway where a crossing begins says to cross the road, and the
    crossing's facts follow at the same place; a turn onto a footway where none begins, or
    onto a named street where one does, is worded as ever."""
    geo = [[7.7, 49.44], [7.7005, 49.44], [7.7005, 49.4395], [7.7010, 49.4395]]
    seg = [
        Segment(0, "Mittelweg", "residential", False, 0.0, 36.0, 0, 1, 1),
        Segment(1, None, "footway", False, 36.0, 9.0, 1, 2, 2),
        Segment(2, None, "footway", False, 45.0, 36.0, 2, 3, 3),
    ]
    facts = {"crossing": "traffic_signals", "acoustic_signal": "yes", "vibration_signal": "unknown", "tactile_paving": "yes"}  # fmt: skip
    crossing = Barrier("crossing", 36.0, 7.7005, 49.44, facts)
    de = [s.text for s in instructions(_route(seg, geo, barriers=[crossing]), "de")]
    assert de[1:3] == [
        "Nach 35 m rechts abbiegen und die Straße überqueren.",
        "Ampel mit akustischem Signal und Bodenindikatoren.",
    ]
    assert de[3] == "Nach 9 m links abbiegen, weiter auf dem Fußweg."
    en = [s.text for s in instructions(_route(seg, geo, barriers=[crossing]), "en")]
    assert en[1] == "In 35 m turn right and cross the road."
    plain = [s.text for s in instructions(_route(seg, geo), "de")]
    assert plain[1] == "Nach 35 m rechts abbiegen auf den Fußweg."
    named = [seg[0], seg[1]._replace(name="Thomasstraße", highway="residential"), seg[2]]
    said = [s.text for s in instructions(_route(named, geo, barriers=[crossing]), "de")]
    assert said[1] == "Nach 35 m rechts abbiegen in die Thomasstraße."


def test_a_via_route_says_a_barrier_and_the_turn_onto_it_at_one_place() -> None:
    """Through a via point: the second leg's places are shifted by the first leg's metres
    (100.03 m) rounded to 0.1 m, so the steps (at 10.0 m of their leg, rounded there) and the
    turn onto them (10.04 m) are said at one place, the turn first; shifted by the exact metres
    the steps were said at 110.0 m before the turn at 110.1 m."""
    first = _route([Segment(0, "Mittelweg", "residential", False, 0.0, 100.03, 0, 1, 1)], [[7.7, 49.44], [7.7014, 49.44]])  # fmt: skip
    geo = [[7.7014, 49.44], [7.70154, 49.44], [7.70154, 49.4401]]
    seg = [
        Segment(0, "Mittelweg", "residential", False, 0.0, 10.04, 0, 1, 1),
        Segment(1, None, "steps", False, 10.04, 12.0, 1, 2, 2),
    ]
    steps = Barrier("steps", 10.0, 7.70154, 49.44, {"step_count": 4, "handrail": "yes", "ramp_wheelchair": "no"})  # fmt: skip
    ends: dict[str, dict[str, float]] = {"origin": {}, "destination": {}}
    second = _route(seg, geo, barriers=[steps], snapped=ends)
    route = combine_routes([dataclasses.replace(first, snapped=ends), second])
    said = [(s.type, s.at_m) for s in instructions(route, "de")]
    assert said == [
        ("depart", 0.0), ("via", 100.0), ("turn", 110.0), ("barrier", 110.0), ("arrive", 122.1),
    ]  # fmt: skip


@pytest.mark.slow
def test_steps_on_real_routes_are_in_the_order_of_their_places(ksl_router: Any) -> None:
    """Steps are said in the order of the places they say, and at one place a turn comes before
    what lies on the way it turns onto (a barrier, a seat, a stretch); a U-turn after what is at
    its place (one turns back from it)."""
    same_place = 0
    for _, route in node_routes(ksl_router, 12, 60, ("wheelchair", "blind", "walk")):
        steps = instructions(route, "de")
        for a, b in itertools.pairwise(steps[1:-1]):
            assert a.at_m <= b.at_m, (a, b)
            if a.at_m == b.at_m and "turn" in (a.type, b.type):
                back = "mkehren" in (a.text if a.type == "turn" else b.text)
                assert (b if back else a).type == "turn", (a, b)
                same_place += 1
    assert same_place >= 10


def test_a_u_turn_is_said_after_what_is_at_its_place() -> None:
    """A route that goes to a place and comes back (to a seat on a rest-limited route, a via
    point): what is there is said first, then the turning back. Neukölln, an elderly route of
    2026-12-04: "Nach 4 m umkehren, weiter auf der Zufahrt." came before "Sitzgelegenheit mit
    Rückenlehne." at the same place."""
    geo = [[7.7, 49.44], [7.7005, 49.44], [7.7, 49.44001]]
    seg = [
        Segment(0, None, "service", False, 0.0, 36.0, 0, 1, 1),
        Segment(1, None, "footway", False, 36.0, 36.0, 1, 2, 2),
    ]
    kerb = Barrier("kerb", 36.0, 7.7005, 49.44, {"height_cm": 3.0})
    steps = instructions(_route(seg, geo, barriers=[kerb]), "de")
    assert [(s.type, s.at_m) for s in steps] == [
        ("depart", 0.0), ("barrier", 36.0), ("turn", 36.0), ("arrive", 72.0),
    ]  # fmt: skip
    assert steps[1].text == "Nach 35 m: Bordstein abgesenkt (3 cm)."
    assert steps[2].text == "Umkehren auf den Fußweg."


def _crossing(at: float, **details: Any) -> Barrier:
    base = {"crossing": "unknown", "acoustic_signal": "unknown", "vibration_signal": "unknown",
            "tactile_paving": "unknown"}  # fmt: skip
    return Barrier("crossing", at, 7.7, 49.44, {**base, **details})


def test_crossing_announced_once_with_merged_facts() -> None:
    """A crossing node and its way (and a way split in two) are one announcement."""
    barriers = [
        _crossing(40.0, crossing="traffic_signals", acoustic_signal="yes"),
        _crossing(46.0, tactile_paving="yes"),
        _crossing(55.0),  # 15 m from the first, 9 m from the one before: the same crossing
        _crossing(300.0, crossing="marked"),
    ]
    merged = merge_crossings(barriers)
    assert len(merged) == 2
    geo = _east(10)
    seg = [Segment(0, "Karl-Marx-Straße", "residential", False, 0.0, 320.0, 0, 9, 1)]
    steps = instructions(_route(seg, geo, barriers=barriers), "de")
    crossings = [s.text for s in steps if s.type == "barrier"]
    assert crossings == [
        "Nach 40 m: Ampel mit akustischem Signal und Bodenindikatoren.",
        "Nach 260 m: Zebrastreifen.",
    ]


def _said_crossings(
    walked: list[float], ways: list[int], barriers: list[Barrier], *, with_graph: bool = True
) -> list[tuple[float, str]]:
    """The barrier steps of a hand-made route along Ringstraße whose pieces walk ``walked``
    metres, each with ``graph.edge["crossing"]`` of ``ways`` (a crossing way, or 0)."""
    from types import SimpleNamespace

    graph = SimpleNamespace(edge={"crossing": np.array(ways, dtype=np.int8)})
    seg = [Segment(0, "Ringstraße", "residential", False, 0.0, sum(walked), 0, 9, 1)]
    route = _route(seg, _east(10), barriers=barriers, edges=list(range(len(walked))), walked_m=walked)  # fmt: skip
    steps = instructions(route, "de", graph=graph if with_graph else None)  # type: ignore[arg-type]
    return [(s.at_m, s.text) for s in steps if s.type == "barrier"]


def test_a_crossing_is_its_ways_and_what_lies_near_its_first_report() -> None:
    """With the route's graph: a crossing is its first report, the reports within
    SAME_CROSSING_M of it and those on the crossing ways walked in one go with it. A crossing
    way split into three pieces (18 m) is one crossing; an island's 5 m of footway and a second
    crossing way is a second; a junction 20 m after two signal nodes 9 m apart is a third
    (without the graph the chain of reports each within 12 m of the one before joined them)."""
    walked = [10.0, 6.0, 8.0, 4.0, 5.0, 9.0, 38.0, 9.0, 11.0, 30.0]
    ways = [0, 2, 2, 2, 0, 2, 0, 0, 0, 0]  # graph.edge["crossing"] of each piece
    barriers = [
        _crossing(10.0, crossing="traffic_signals"),  # the three pieces of one crossing way
        _crossing(16.0, acoustic_signal="yes"),
        _crossing(24.0),
        _crossing(33.0, crossing="traffic_signals"),  # past the island: the second way
        _crossing(80.0, crossing="traffic_signals"),  # signal nodes at the heads of footways
        _crossing(89.0, crossing="traffic_signals"),
        _crossing(100.0, crossing="junction"),  # a road's junction 20 m after the first node
    ]
    said = _said_crossings(walked, ways, barriers)
    assert said == [
        (10.0, "Nach 10 m: Ampel mit akustischem Signal."),
        (33.0, "Nach 25 m: Ampel."),
        (80.0, "Nach 45 m: Ampel."),
        (100.0, "Nach 20 m: Kreuzung ohne kartierten Überweg."),
    ]
    # without the graph: a chain of reports each within 12 m of the one before is one crossing
    chained = _said_crossings(walked, ways, barriers, with_graph=False)
    assert chained == [
        (10.0, "Nach 10 m: Ampel mit akustischem Signal."),
        (80.0, "Nach 70 m: Ampel."),
    ]


def test_a_carriageway_walked_piece_after_piece_is_one_crossing_and_its_way_another() -> None:
    """A road's carriageway walked where its sidewalks are ways of their own (``informal``,
    reported where each piece begins) is one crossing however many pieces; a crossing way the
    walk goes on to from it is a crossing of its own, said where it begins."""
    walked = [10.0, 20.0, 20.0, 10.0, 40.0]
    ways = [0, 0, 0, 4, 0]  # the carriageway's pieces are no crossing ways
    barriers = [
        _crossing(10.0, crossing="informal"),
        _crossing(30.0, crossing="informal"),
        _crossing(50.0, crossing="unmarked", tactile_paving="yes"),
    ]
    said = _said_crossings(walked, ways, barriers)
    assert said == [
        (10.0, "Nach 10 m: Straßenquerung ohne kartierten Überweg."),
        (50.0, "Nach 40 m: Straßenquerung mit Bodenindikatoren."),
    ]
    # without the graph: each piece of the carriageway said (20 m apart)
    chained = _said_crossings(walked, ways, barriers, with_graph=False)
    assert [at for at, _ in chained] == [10.0, 30.0, 50.0]


def test_slopes_rule() -> None:
    """Estimated slopes only from ESTIMATED_SLOPE_MIN_M (joined when contiguous), tagged ones
    from 10 m, and the estimate is said."""
    short_dem = Barrier("steep", 10.0, 7.7, 49.44, {"incline_percent": 7.0, "length_m": 5.0, "source": "dem"})  # fmt: skip
    tagged = Barrier("steep", 100.0, 7.7, 49.44, {"incline_percent": -8.0, "length_m": 12.0, "source": "tag"})  # fmt: skip
    dem_a = Barrier("steep", 200.0, 7.7, 49.44, {"incline_percent": 6.5, "length_m": 30.0, "source": "dem"})  # fmt: skip
    dem_b = Barrier("steep", 230.0, 7.7, 49.44, {"incline_percent": 7.1, "length_m": 30.0, "source": "dem"})  # fmt: skip
    kept = said_slopes([short_dem, tagged, dem_a, dem_b])
    assert [b.at_m for b in kept] == [100.0, 200.0]
    assert kept[1].details["length_m"] == 60.0 >= ESTIMATED_SLOPE_MIN_M
    geo = _east(10)
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 320.0, 0, 9, 1)]
    texts = [s.text for s in instructions(_route(seg, geo, barriers=[short_dem, tagged, dem_a, dem_b]), "de")]  # fmt: skip
    assert "Nach 100 m: Gefälle 8 % auf 10 m." in texts
    assert "Nach 100 m: Steigung 7 % auf 60 m (geschätzt)." in texts
    assert not any("auf 5 m" in t for t in texts)


def test_a_short_slope_that_breaks_the_limit_is_said() -> None:
    """A slope shorter than TAGGED_SLOPE_MIN_M is said when the route breaks the profile's
    incline limit on it (an allergy route with a 3 % limit ended down 1 m at 6 %, said only in
    the closing sentence); a short one that breaks nothing stays unsaid."""
    ramp = Barrier("steep", 40.0, 7.7, 49.44, {"incline_percent": -12.0, "length_m": 2.0, "source": "tag"})  # fmt: skip
    other = Barrier("steep", 90.0, 7.7, 49.44, {"incline_percent": 7.0, "length_m": 3.0, "source": "tag"})  # fmt: skip
    assert said_slopes([ramp, other]) == []
    assert said_slopes([ramp, other], [41.0]) == [ramp]
    down = Break("incline", "incline", 40.0, 7.7, 49.44, -12.0, 6.0, "%", False, "")
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 120.0, 0, 9, 1)]
    route = _route(
        seg, _east(10), barriers=[ramp, other], accessibility=Accessibility("no", 1.0, [down], [])
    )
    said = [s.text for s in instructions(route, "de") if s.type == "barrier"]
    assert said == ["Nach 40 m: Gefälle 12 % auf 2 m."]


def test_avoided_obstacle_and_verdicts() -> None:
    geo = _east(3)
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 72.0, 0, 2, 1)]
    avoided = [{"id": "a1", "reason": "Baustelle: Gehweg gesperrt", "effect": {"passable": False}}]
    steps = instructions(_route(seg, geo), "de", avoided=avoided)
    assert steps[1] == Instruction("obstacle", 0.0, 0.0, 7.7, 49.44, "Baustelle umgangen: Gehweg gesperrt.")  # fmt: skip
    assert steps[-1].text.endswith(
        "Die Route ist stufenlos und bekannt barrierefrei für Ihr Profil."
    )
    unknown = {"verdict": "unknown", "relies_on": [{"attribute": "kerb_height", "count": 2}]}
    assert verdict_sentence(unknown, "de", has_steps=False) == (
        "Barrierefreiheit unsicher, Achtung: 2 Bordsteine unbekannter Höhe."
    )
    no = {"verdict": "no", "breaks": [{"limit": "steps", "attribute": "step_count", "at_m": 120.0, "value": 5}]}  # fmt: skip
    assert verdict_sentence(no, "de", has_steps=True) == (
        "Die Route ist nicht barrierefrei: Treppe (5 Stufen) bei 120 m."
    )


def test_obstacles_avoided_alike_are_said_once() -> None:
    """Three closures with the same reason were three steps "Baustelle umgangen: Gehweg
    gesperrt" at the start (said to a screen reader one after another); now one, beside the
    one with another reason, in the order first avoided."""
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 72.0, 0, 2, 1)]
    same: dict[str, Any] = {"reason": "Baustelle: Gehweg gesperrt", "effect": {"passable": False}}
    avoided: list[dict[str, Any]] = [{"id": "a1", **same}, {"id": "a2", "reason": "Gerüst"}, {"id": "a3", **same}]  # fmt: skip
    steps = instructions(_route(seg, _east(3)), "de", avoided=avoided)
    said = [s.text for s in steps if s.type == "obstacle"]
    assert said == ["Baustelle umgangen: Gehweg gesperrt.", "Hindernis umgangen: Gerüst."]


def test_an_estimated_incline_is_said_as_estimated_not_unknown(ksl_router: Any) -> None:
    """A wheelchair route in Kaiserslautern rests on inclines estimated from the elevation model
    (``relies_on``: incline, ``estimated``: true) and on unknown widths: the sentence said the
    incline was "unbekannt" like the widths. It is estimated, and says so; the answer's verdict
    sentence and the route's spoken last step agree."""
    route = ksl_router.route((49.443889, 7.790099), (49.4418, 7.7463), "wheelchair")
    relies = {(r.attribute, r.estimated) for r in route.accessibility.relies_on}
    assert {("incline", True), ("width", False)} <= relies
    most = len(relies)  # every reliance said (the junctions' kerbs come first)
    de = accessibility_sentence(route.accessibility, "de", has_steps=False, most=most)
    en = accessibility_sentence(route.accessibility, "en", has_steps=False, most=most)
    assert "Wegbreite unbekannt auf" in de, de
    assert "Steigung nur geschätzt auf" in de, de
    assert "Steigung unbekannt" not in de, de
    assert "width unknown along" in en, en
    assert "incline only estimated along" in en, en
    assert verdict_sentence(verdict_of(route), "de", has_steps=False, most=most) == de
    said = accessibility_sentence(route.accessibility, "de", has_steps=False)
    assert verdict_sentence(verdict_of(route), "de", has_steps=False) == said
    assert instructions(route, "de")[-1].text.endswith(said)
    unknown = {"verdict": "unknown", "relies_on": [{"attribute": "incline", "length_m": 3709.1, "estimated": True}]}  # fmt: skip
    assert verdict_sentence(unknown, "de", has_steps=False) == (
        "Barrierefreiheit unsicher, Achtung: Steigung nur geschätzt auf 3,7 km."
    )


def test_breaks_said_alike_are_told_apart_by_their_metres() -> None:
    """Two flights 21 m apart would both be "bei 4,3 km": then both say their metres; a third
    break said differently keeps its rounded place."""
    steps = {"limit": "steps", "attribute": "steps", "value": None}
    no = {
        "verdict": "no",
        "breaks": [
            {**steps, "at_m": 4283.2}, {**steps, "at_m": 4304.2},
            {"limit": "steps", "attribute": "step_count", "at_m": 120.0, "value": 5},
        ],
    }  # fmt: skip
    assert verdict_sentence(no, "de", has_steps=True) == (
        "Die Route ist nicht barrierefrei: Treppe (Anzahl der Stufen unbekannt) bei 4283 m, "
        "Treppe (Anzahl der Stufen unbekannt) bei 4304 m und Treppe (5 Stufen) bei 120 m."
    )


def _strip(text: str) -> str:
    return re.sub(r"^(Nach|In) [\d.,]+ k?m:? ", "", text)


@pytest.mark.slow
def test_kl_route_no_repeated_path_turns(ksl_router: Any) -> None:
    """Issue 10's least-bad KL route: unnamed ways are named by kind, never five "turn onto the
    path" in a row; the verdict closes the list in words (the short step-free path over a slope
    estimated from the elevation model: "unknown", not "no", since the estimate is no fact)."""
    route = ksl_router.route((49.424120, 7.742870), (49.424810, 7.742130), "wheelchair")
    for lang in ("de", "en"):
        steps = instructions(route, lang)
        turns = [s for s in steps if s.type == "turn"]
        assert turns
        assert not any(
            t.text.endswith(("onto the path.", "in den Weg.")) and "Weg " in t.text for t in turns
        )
        for a, b in itertools.pairwise(turns):
            assert a.text != b.text
            assert not (_strip(a.text) == _strip(b.text) and ("onto the" in a.text or "auf den" in a.text)), (a.text, b.text)  # fmt: skip
        assert steps[-1].type == "arrive"
        assert route.accessibility.verdict == "unknown"
        assert ("Barrierefreiheit unsicher" if lang == "de" else "uncertain") in steps[-1].text


@pytest.mark.slow
def test_kl_whole_extract_steps_merged(ksl_router: Any) -> None:
    """Random KL routes: no turn between two pieces of one way worded alike and straight on."""
    import numpy as np

    rng = np.random.default_rng(3)
    lat = rng.uniform(49.425, 49.45, 24)
    lon = rng.uniform(7.73, 7.80, 24)
    checked = 0
    for i in range(0, 24, 2):
        try:
            route = ksl_router.route((lat[i], lon[i]), (lat[i + 1], lon[i + 1]), "wheelchair")
        except Exception:
            continue
        checked += 1
        turns = [s.text for s in instructions(route, "en") if s.type == "turn"]
        for a, b in itertools.pairwise(turns):
            assert a != b
        assert not any(t.startswith("In") and "continue straight, staying" in t for t in turns)
    assert checked >= 5


def test_cli_summary_names_attributes(ksl_graph_dir: Path) -> None:
    """The command line names every broken limit's attribute and unknown, in words (no dict)."""
    from routing.command import route_text

    # steps priced at zero and slopes very dear: the least-bad route goes down the three flights,
    # which exercises the grouped "limits broken" lines
    overrides = [
        ("estimated_incline_breaks_limit", "true"),
        ("severity.steps_s", "0"),
        ("severity.steps_s_per_m", "0"),
        ("severity.incline_s_per_m_per_percent", "1e7"),
    ]
    text = route_text(
        ksl_graph_dir,
        (49.424120, 7.742870),
        (49.424810, 7.742130),
        "wheelchair",
        overrides=overrides,
    )
    first = text.splitlines()[0]
    assert first.startswith("wheelchair: ")
    assert "verdict NO: not accessible" in first
    assert "{" not in text
    assert "}" not in text
    assert "relies on data that is unknown" not in text
    assert "steps, 3×:" in text
    assert "stairs (3 steps) at the start" in text
    assert "width unknown along" in text
    assert "stairs with 5 steps" in text


@pytest.mark.slow
def test_neukoelln_legs_by_the_kernel_as_by_the_rule(neukoelln_router: Any) -> None:
    """Neukölln's sidewalks carry their street's name and its crossings are split at kerbs:
    the legs kernel's legs are the Python rule's there too (``test_instructions_kernels``)."""
    assert legs_alike_on_trips(neukoelln_router, ("wheelchair", "walk", "blind"), 5) >= 60


@pytest.mark.slow
def test_neukoelln_uneven_pieces_are_said_where_they_are(neukoelln_router: Any) -> None:
    """Neukölln maps ``smoothness=bad`` on some sidewalks: a route over such a piece lists it
    as an uneven surface where the piece begins and its steps say it there ("uneben"); the
    wheelchair's verdict named "unebener Belag" and no step said where."""
    from accessibility_rules.attributes import Smoothness

    router = neukoelln_router
    g = router.graph
    bad = np.flatnonzero((g.edge["smoothness"] == Smoothness.BAD) & (g.edge["length_m"] >= 5.0))
    said = 0
    for e in bad.tolist():
        a, b = int(g.tail[e]), int(g.head[e])
        origin = (float(g.node["lat"][a]), float(g.node["lon"][a]))
        destination = (float(g.node["lat"][b]), float(g.node["lon"][b]))
        route = router.route(origin, destination, "walk", compare_walk=False)
        walked = [i for i, s in enumerate(route.segments) if s.edge == e and s.length_m > 0]
        if not walked:
            continue
        at_m = route.segments[walked[0]].start_m
        uneven = [
            x for x in route.barriers if x.kind == "surface" and x.details["smoothness"] == "bad"
        ]
        assert any(abs(x.at_m - at_m) < 0.2 for x in uneven), (at_m, route.barriers)
        steps = [s for s in instructions(route, "de") if s.type == "barrier"]
        assert any("uneben" in s.text and s.at_m <= at_m + 0.2 for s in steps), steps
        said += 1
    assert said >= 5


@pytest.mark.slow
def test_neukoelln_no_turn_between_pieces_of_one_way(neukoelln_router: Any) -> None:
    """Crossing ways split at kerb nodes once gave "turn right / In 2 m turn right / In 4 m turn
    right onto the footpath": a turn is said only where the way changes (or the route turns
    sharply on it), and sidewalks are named by their street."""
    import numpy as np

    g = neukoelln_router.graph
    rng = np.random.default_rng(0)
    lat0, lat1 = np.percentile(g.node["lat"], [10, 90])
    lon0, lon1 = np.percentile(g.node["lon"], [10, 90])
    sidewalk_named = 0
    for _ in range(40):
        a = (rng.uniform(lat0, lat1), rng.uniform(lon0, lon1))
        b = (rng.uniform(lat0, lat1), rng.uniform(lon0, lon1))
        route = neukoelln_router.route(a, b, "wheelchair")
        by_start = {round(s.start_m, 1): s for s in route.segments}
        ways = [s.way_id for s in route.segments]
        for step in instructions(route, "en"):
            if step.type != "turn" or "sharp" in step.text or "around" in step.text:
                continue
            seg = by_start[step.at_m]
            i = route.segments.index(seg)
            assert ways[i] != ways[i - 1] or seg.name != route.segments[i - 1].name, step.text
            sidewalk_named += "sidewalk along" in step.text
    assert sidewalk_named > 10


def test_accessibility_sentence_equals_the_sentence_of_the_whole_verdict(ksl_router: Any) -> None:
    """The closing sentence worded from a route's ``Accessibility`` (only the items it names
    turned into JSON) equals the one worded from the whole verdict as JSON, for routes that
    break limits or rely on unknowns, in both languages, also when the list is cut ("und N
    weitere": the route's breaks and reliances repeated)."""
    g = ksl_router.graph
    rng = np.random.default_rng(5)
    seen: set[str] = set()
    languages: tuple[Language, ...] = ("de", "en")
    for _ in range(40):
        a, b = rng.integers(0, g.node_count, 2)
        origin, destination = node_trip(g, a, b)
        for preset in ("blind", "wheelchair"):
            try:
                route = ksl_router.route(origin, destination, preset)
            except NoRouteError:
                continue
            seen.add(route.accessibility.verdict)
            acc = route.accessibility
            longer = dataclasses.replace(acc, breaks=acc.breaks * 4, relies_on=acc.relies_on * 4)
            steps = any(x.kind == "steps" for x in route.barriers)
            for a_, lang in itertools.product((acc, longer), languages):
                whole = verdict_of(dataclasses.replace(route, accessibility=a_))
                assert accessibility_sentence(a_, lang, has_steps=steps) == verdict_sentence(
                    whole, lang, has_steps=steps
                )
    assert {"no", "unknown"} <= seen


# --------------------------------------------------------------------------- the faster code
# The merging of pieces into steps, their wording and the distances said were rewritten for
# speed (ways worked out once, phrases put together once per language, distances from a table,
# no list searches). The code before (be8d6e0) is kept below as the reference, or, for the
# crossing and slope rules, the rules written out another way; hypothesis and real routes check
# that the answers stay the same.

HYP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _metres_reference(m: float, lang: Language) -> str:
    """:func:`routing.wording.metres` before the table of distances."""
    if m >= 1000:
        km = f"{m / 1000:.1f}"
        return f"{km.replace('.', ',') if lang == 'de' else km} km"
    return f"{max(1, round(m / 5) * 5) if m >= 10 else max(1, round(m))} m"


_DISTANCE_EDGES = [0.0, 0.5, 1.0, 2.5, 9.999999, 10.0, 12.5, 17.5, 997.5, 999.9, 999.99999, 1000.0, 1049.99]  # fmt: skip


@HYP
@given(
    st.one_of(st.floats(-5.0, 5000.0), st.sampled_from(_DISTANCE_EDGES)),
    st.sampled_from(["de", "en"]),
)
def test_metres_as_before(m: float, lang: Language) -> None:
    assert metres(m, lang) == _metres_reference(m, lang)
    d = metres(m, lang)
    assert AFTER_WORDS[lang] + d == STEP_WORDS[lang]["after"].format(d=d)


def _legs_reference(route: Route) -> list[list[Any]]:
    """The steps' ``[way, start_m, point, turn, way_id]`` as ``route_legs`` merges them: each turn
    read over what was walked since the last turn said and over the stretch of the OSM way
    entered (its pieces up to the next piece of another way)."""
    segments = [s for s in route.segments if s.length_m > 0] or route.segments
    legs: list[list[Any]] = []
    stretch = [0.0] * len(segments)
    for i in reversed(range(len(segments))):  # summed from the far end
        seg = segments[i]
        more = i + 1 < len(segments) and seg.way_id >= 0 and segments[i + 1].way_id == seg.way_id
        stretch[i] = stretch[i + 1] + seg.length_m if more else seg.length_m
    walked = 0.0  # since the last turn said
    for i, seg in enumerate(segments):
        way = Way(seg.name, seg.highway, seg.is_sidewalk)
        if not legs:
            legs.append([way, seg.start_m, seg.first_point, "depart", seg.way_id])
            walked = seg.length_m
            continue
        last = legs[-1]
        prev = last[0]
        same_street = way.name is not None and (way.name, way.is_sidewalk) == (prev.name, prev.is_sidewalk)  # fmt: skip
        (turn,) = turns_at(route.geometry, [seg.first_point], [walked, stretch[i]])
        walked += seg.length_m
        if same_street and turn != "uturn":  # one street, but turning back on it is said
            last[4] = seg.way_id
            continue
        same_way = seg.way_id >= 0 and seg.way_id == last[4] and way.key() == prev.key()
        glancing = turn.startswith("slight") and stretch[i] < 3.0  # the bend after it is said
        no_turn = (
            turn == "straight" or glancing or (same_way and not turn.startswith(("sharp", "uturn")))
        )
        unnamed_on = no_turn and prev.name is None and (way.name is None or same_way)
        last[4] = seg.way_id
        if unnamed_on or (same_way and no_turn):
            continue
        walked = seg.length_m
        legs.append([way, seg.start_m, seg.first_point, turn, seg.way_id])
    return legs


def _steps_reference(route: Route, lang: Language) -> list[Instruction]:
    """The departure and the turns as ``instructions`` said them before (no barriers)."""
    w, geo = STEP_WORDS[lang], route.geometry
    legs = _legs_reference(route)
    first = legs[0][0]
    out = [Instruction("depart", 0.0, 0.0, geo[0][0], geo[0][1], f"{w['depart']} {first.on(lang)}.", first.name)]  # fmt: skip
    last_at = 0.0
    for prev, (way, start_m, point, turn_kind, _) in itertools.pairwise(legs):
        turn = TURN_WORDS[lang][turn_kind]
        if way.key() == prev[0].key():
            again = f" {w['again']}" if turn_kind == prev[3] else ""
            if lang == "de":
                turn = f"{w['again']} {turn}" if again else turn
            else:
                turn += again
            text = f"{turn}, {w['staying'].format(way=way.english() if lang == 'en' else way.german('dat'))}"
        else:
            into = way.into(lang)
            if into.startswith("weiter ") and turn_kind == "straight":  # "geradeaus weiter Am …"
                text = f"{turn} {into.removeprefix('weiter ')}"
            elif into.startswith("weiter "):
                text = f"{turn}, {into}"
            else:
                text = f"{turn} {into}"
        gap = max(0.0, start_m - last_at)
        last_at = max(last_at, start_m)
        text = f"{w['after'].format(d=_metres_reference(gap, lang))} {text}." if gap >= 1.0 else f"{text[:1].upper()}{text[1:]}."  # fmt: skip
        lon, lat = geo[point]
        out.append(Instruction("turn", round(start_m, 1), round(gap, 1), lon, lat, text, way.name))
    return out


def _check_steps(route: Route) -> None:
    legs = [
        (leg.way.name, leg.way.key, leg.start_m, leg.point, leg.turn) for leg in route_legs(route)
    ]
    before = [(w.name, w.key(), start, point, turn) for w, start, point, turn, _ in _legs_reference(route)]  # fmt: skip
    assert legs == before
    for lang in ("de", "en"):
        steps = [s for s in instructions(route, lang) if s.type in ("depart", "turn")]
        assert steps == _steps_reference(route, lang)


_NAMES = [None, "", "Mittelweg", "Am Altenhof", "Karl-Marx-Platz", "23er Kaserner", "Alte Brücke"]
_HIGHWAYS = ["footway", "path", "residential", "steps", "service", "living_street", "cycleway"]


@st.composite
def _routes(draw: Any) -> Route:
    """Short routes near Kaiserslautern: pieces of a few named and unnamed ways (sidewalks,
    ways split into several pieces, pieces of length zero), bending at random."""
    geo = [[7.75, 49.44]]
    segments = []
    at = 0.0
    for i in range(draw(st.integers(1, 10))):
        first = len(geo) - 1
        for _ in range(draw(st.integers(1, 3))):
            lon, lat = geo[-1]
            geo.append([lon + draw(st.floats(-4e-4, 4e-4)), lat + draw(st.floats(-3e-4, 3e-4))])
        length = draw(st.sampled_from([0.0, 0.4, 1.5, 12.0, 36.0, 140.0, 1200.0]))
        segments.append(Segment(
            i, draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_HIGHWAYS)), draw(st.booleans()),
            at, length, first, len(geo) - 1, draw(st.sampled_from([-1, 1, 2])),
        ))  # fmt: skip
        at += length
    return _route(segments, geo)


@HYP
@given(_routes())
def test_steps_and_their_words_as_before(route: Route) -> None:
    """The pieces merge into the same steps, and the departure and turns are worded as before."""
    _check_steps(route)


def test_a_turn_after_a_u_turn_at_its_place_is_said_after_it() -> None:
    """Pieces of no length (found by the test above): a U-turn and, at the same place, a turn
    onto the Mittelweg. A U-turn is said after what lies at its place (a seat it comes back
    from), but not after the turn that follows it: the steps keep their walking order."""
    geo = [[7.75, 49.44], [7.750183836312747, 49.44], [7.749783836312747, 49.44],
           [7.749783836312747, 49.44], [7.749783836312747, 49.44]]  # fmt: skip
    segments = [
        Segment(0, None, "footway", False, 0.0, 0.0, 0, 1, -1),
        Segment(1, None, "footway", False, 0.0, 0.0, 1, 3, -1),
        Segment(2, "Mittelweg", "footway", False, 0.0, 0.0, 3, 4, -1),
    ]
    route = _route(segments, geo)
    _check_steps(route)
    texts = [s.text for s in instructions(route, "de") if s.type == "turn"]
    assert texts[0].startswith("Umkehren"), texts
    assert "Mittelweg" in texts[1], texts


@pytest.mark.slow
def test_steps_and_their_words_as_before_on_real_routes(ksl_router: Any) -> None:
    checked = 0
    for _, route in node_routes(ksl_router, 11, 30, ("wheelchair", "walk")):
        _check_steps(dataclasses.replace(route, barriers=[], rests=None))  # turns only
        checked += 1
    assert checked >= 40


def _crossings_reference(barriers: list[Barrier]) -> list[Barrier]:
    """The crossing rule written out another way: crossing reports grouped with the one before
    when at most SAME_CROSSING_M after it; a group is said at its first report's place, with
    each fact as the first report gives it unless a later one gives a better value (a better
    crossing kind; a known value for an unknown one)."""
    items: list[Barrier | list[Barrier]] = []
    group: list[Barrier] = []
    for b in barriers:
        if b.kind != "crossing":
            items.append(b)
        elif group and b.at_m - group[-1].at_m <= SAME_CROSSING_M:
            group.append(b)
        else:
            group = [b]
            items.append(group)

    def better(key: str, old: Any, new: Any) -> bool:
        if key == "crossing":
            return _CROSSING_RANK.get(new, 0) > _CROSSING_RANK.get(old, 0)
        return old in (None, "unknown") and new not in (None, "unknown")

    out = []
    for item in items:
        if isinstance(item, Barrier) or len(item) == 1:
            out.append(item if isinstance(item, Barrier) else item[0])
            continue
        facts = dict(item[0].details)
        for b in item[1:]:
            facts.update({k: v for k, v in b.details.items() if better(k, facts.get(k), v)})
        out.append(item[0]._replace(details=facts))
    return out


def _slopes_reference(barriers: list[Barrier]) -> list[Barrier]:
    """The slope rule written out another way: a steep piece joins the slope before it when
    it begins at most 1 m after that slope's end and goes the same way by the same source; a
    slope is said at its first piece's place, with its steepest incline (the later piece's on
    a tie) and its length to the end of its last piece (rounded as it grows), if long enough."""
    out: list[Barrier] = []
    slope: list[Any] | None = None  # [index in out, first piece, incline, length]
    for b in barriers:
        d = b.details
        if b.kind == "steep" and slope is not None:
            _, first, incline, length = slope
            alike = (d["incline_percent"] > 0) == (incline > 0) and d.get("source") == first.details.get("source")  # fmt: skip
            if alike and b.at_m <= first.at_m + length + 1.0:
                if abs(d["incline_percent"]) >= abs(incline):
                    slope[2] = d["incline_percent"]
                slope[3] = round(b.at_m + float(d["length_m"]) - first.at_m, 1)
                out[slope[0]] = first._replace(details={**first.details, "incline_percent": slope[2], "length_m": slope[3]})  # fmt: skip
                continue
        if b.kind == "steep":
            slope = [len(out), b, d["incline_percent"], float(d["length_m"])]
        out.append(b)
    minimum: dict[str | None, float] = {"dem": ESTIMATED_SLOPE_MIN_M}
    return [b for b in out if b.kind != "steep" or float(b.details["length_m"]) >= minimum.get(b.details.get("source"), TAGGED_SLOPE_MIN_M)]  # fmt: skip


def _surfaces_reference(barriers: list[Barrier]) -> list[Barrier]:
    """The surface rule written out another way: a piece of a poor surface joins the stretch
    before it when it has the same surface and smoothness (None where it is not listed) and
    begins at most 1 m after that stretch's end; a
    stretch is said at its first piece's place with its length to the end of its last piece
    (rounded as it grows)."""
    out: list[Barrier] = []
    stretch: list[Any] | None = None  # [index in out, first piece, length]
    for b in barriers:
        if b.kind == "surface" and stretch is not None:
            _, first, length = stretch
            same = (b.details["surface"], b.details.get("smoothness")) == (first.details["surface"], first.details.get("smoothness"))  # fmt: skip
            if same and b.at_m <= first.at_m + length + 1.0:
                stretch[2] = round(b.at_m + float(b.details["length_m"]) - first.at_m, 1)
                out[stretch[0]] = first._replace(details={**first.details, "length_m": stretch[2]})
                continue
        if b.kind == "surface":
            stretch = [len(out), b, float(b.details["length_m"])]
        out.append(b)
    return out


_FACTS: dict[str, list[str | None]] = {
    "crossing": ["traffic_signals", "marked", "uncontrolled", "unmarked", "unknown", None],
    "acoustic_signal": ["yes", "no", "unknown", None],
    "tactile_paving": ["yes", "no", "unknown"],
}


@st.composite
def _barrier_lists(draw: Any) -> list[Barrier]:
    """Barriers as a route lists them, sorted by place: crossings, steep pieces and kerbs close
    together or apart, some reported twice alike."""
    out: list[Barrier] = []
    at = 0.0
    for _ in range(draw(st.integers(0, 14))):
        at += draw(st.sampled_from([0.0, 0.0, 1.0, 3.0, 8.0, 12.0, 12.5, 30.0, 40.0]))
        kind = draw(st.sampled_from(["crossing", "steep", "steep", "kerb", "surface", "surface"]))
        if kind == "crossing":
            details: dict[str, Any] = {k: draw(st.sampled_from(v)) for k, v in _FACTS.items()}
        elif kind == "steep":
            details = {
                "incline_percent": draw(st.sampled_from([-8.0, -6.5, 6.5, 7.0, 8.0])),
                "length_m": draw(st.sampled_from([0.0, 1.0, 5.0, 12.0, 30.0, 60.0])),
                "source": draw(st.sampled_from(["tag", "dem"])),
            }
        elif kind == "surface":
            details = {
                "surface": draw(st.sampled_from(["sett", "sett", "cobblestone", "asphalt"])),
                "smoothness": draw(st.sampled_from([None, None, "bad", "very_bad"])),
                "length_m": draw(st.sampled_from([0.0, 1.0, 7.5, 12.0, 30.0])),
            }
        else:
            details = {"height_cm": 3.0, "count": 1}
        out.append(Barrier(kind, at, 7.7, 49.44, details))
        if draw(st.integers(0, 3)) == 0:
            out.append(Barrier(kind, at, 7.7, 49.44, dict(details)))  # the same report again
    return out


@HYP
@given(_barrier_lists())
def test_crossings_slopes_and_surfaces_as_the_rules_say(barriers: list[Barrier]) -> None:
    assert merge_crossings(barriers) == _crossings_reference(barriers)
    assert said_slopes(barriers) == _slopes_reference(barriers)
    assert said_surfaces(barriers) == _surfaces_reference(barriers)
    assert said_surfaces(said_slopes(merge_crossings(barriers))) == _surfaces_reference(
        _slopes_reference(_crossings_reference(barriers))
    )


def test_one_stretch_of_a_poor_surface_is_said_once() -> None:
    """Setts split at driveways (20 m, then 50 m from 1 m after its end) are one stretch of
    70 m; cobblestones touching them and setts 5 m further on are each said on their own."""
    sett = {"surface": "sett"}
    barriers = [
        Barrier("surface", 40.0, 7.7, 49.44, {**sett, "length_m": 20.0}),
        Barrier("kerb", 60.0, 7.7, 49.44, {"height_cm": 3.0, "count": 1}),
        Barrier("surface", 61.0, 7.7, 49.44, {**sett, "length_m": 49.0}),
        Barrier("surface", 110.0, 7.7, 49.44, {"surface": "cobblestone", "length_m": 10.0}),
        Barrier("surface", 125.0, 7.7, 49.44, {**sett, "length_m": 10.0}),
    ]
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 200.0, 0, 9, 1)]
    said = [s.text for s in instructions(_route(seg, _east(10), barriers=barriers), "de")]
    surfaces = [t for t in said if "Untergrund" in t]
    assert surfaces == [
        "Nach 40 m: Untergrund Pflaster auf 70 m.",
        "Nach 50 m: Untergrund Kopfsteinpflaster auf 10 m.",
        "Nach 15 m: Untergrund Pflaster auf 10 m.",
    ]


def test_an_uneven_stretch_is_said_with_its_surface() -> None:
    """Smoothness from ``bad`` on, or worse than the profile's ``worst_smoothness``, is listed
    with the surface it is on (a wheelchair route over bad paving stones broke its limit and
    said so only in the verdict, "unebener Belag am Start", never where it is); a change of
    grade is a stretch of its own; an unmapped surface is said by its grade alone; a start
    that keeps the limits is "ohne unebenen Belag" (the accusative)."""
    stones = {"surface": "paving_stones", "smoothness": "bad"}
    barriers = [
        Barrier("surface", 0.0, 7.7, 49.44, {**stones, "length_m": 12.0}),
        Barrier("surface", 12.0, 7.7, 49.44, {**stones, "length_m": 8.0}),
        Barrier("surface", 20.0, 7.7, 49.44, {**stones, "smoothness": "very_bad", "length_m": 5.0}),
        Barrier(
            "surface", 60.0, 7.7, 49.44, {"surface": "sett", "smoothness": None, "length_m": 9.0}
        ),
        Barrier(
            "surface",
            90.0,
            7.7,
            49.44,
            {"surface": "unknown", "smoothness": "horrible", "length_m": 30.0},
        ),
    ]
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 200.0, 0, 9, 1)]
    ends = [{"role": "origin", "distance_m": 3.0, "bearing_deg": 90, "lon": 7.7, "lat": 49.44, "reason": ["smoothness"]}]  # fmt: skip
    route = _route(seg, _east(10), barriers=barriers, ends_short=ends)
    de = [s.text for s in instructions(route, "de") if s.type == "barrier"]
    assert de == [
        "Untergrund Verbundpflaster, uneben, auf 20 m.",
        "Nach 20 m: Untergrund Verbundpflaster, sehr uneben, auf 5 m.",
        "Nach 40 m: Untergrund Pflaster auf 9 m.",
        "Nach 30 m: Belag holprig auf 30 m.",
    ]
    en = [s.text for s in instructions(route, "en") if s.type == "barrier"]
    assert en[0] == "Paving stones surface, uneven, for 20 m."
    assert en[-1] == "In 30 m: Rough surface for 30 m."
    assert "Ein Start ohne unebenen Belag liegt 3 m östlich." in instructions(route, "de")[0].text


def test_steps_json_is_each_steps_as_dict() -> None:
    """What a route answer sends (one pass) is :meth:`Instruction.as_dict` of every step, keys
    in the same order."""
    steps = [
        Instruction("depart", 0.0, 0.0, 7.75, 49.44, "Starten Sie.", "Marktstraße"),
        Instruction("turn", 12.5, 12.5, 7.751, 49.441, "Nach 10 m links.", None),
        Instruction("arrive", 30.0, 17.5, 7.752, 49.442, "Ziel.", None),
    ]
    made = steps_json(steps)
    assert made == [i.as_dict() for i in steps]
    assert [list(d) for d in made] == [list(i.as_dict()) for i in steps]
    assert steps_json([]) == []


def _seat(at_m: float, backrest: str = "unknown") -> dict[str, Any]:
    return {"at_m": at_m, "lon": 7.7, "lat": 49.44, "backrest": backrest}


def test_a_row_of_seats_is_said_once() -> None:
    """KL, an elderly route of 2026-12-05: six benches 3-5 m apart were six steps, each "Nach
    4 m: Sitzgelegenheit. Nächste Sitzgelegenheit in 4 m." A row is one step at its first
    seat; the next seat is counted from its last."""
    row = [_seat(100.0, "yes"), _seat(103.0, "no"), _seat(107.0, "yes"), _seat(112.0), _seat(120.0)]
    seats = [_seat(10.0, "yes"), _seat(13.0, "yes"), *row, _seat(400.0, "no")]
    assert [len(g) for g in seat_groups(seats)] == [2, 5, 1]
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 500.0, 0, 9, 1)]
    route = _route(seg, _east(10), rests={"seats": seats, "limit_m": 300.0, "seats_known": True})
    said = {lang: [s.text for s in instructions(route, lang) if s.type == "rest"] for lang in ("de", "en")}  # fmt: skip
    assert said["de"] == [
        "Nach 10 m: 2 Sitzgelegenheiten mit Rückenlehne. Nächste Sitzgelegenheit in 85 m.",
        "Nach 90 m: 5 Sitzgelegenheiten auf den nächsten 20 m, 2 davon mit Rückenlehne. "
        "Nächste Sitzgelegenheit in 280 m.",
        "Nach 300 m: Sitzgelegenheit ohne Rückenlehne. Keine weitere Sitzgelegenheit bis zum "
        "Ziel (100 m).",
    ]
    assert said["en"][1] == (
        "In 90 m: 5 seats within the next 20 m, 2 with backrest. Next seat in 280 m."
    )
    assert [s.at_m for s in instructions(route, "de") if s.type == "rest"] == [10.0, 100.0, 400.0]


def _kerb(at_m: float, height_cm: float | None) -> Barrier:
    return Barrier("kerb", at_m, 7.7, 49.44, {"height_cm": height_cm, "count": 1})


def test_the_kerbs_of_one_crossing_are_said_once() -> None:
    """Neukölln, a wheelchair route of 2026-12-05: a crossing with a traffic island was said as
    five steps, "Bordstein abgesenkt (3 cm)" 2-4 m apart. Kerbs each within SAME_CROSSING_M
    of the one before are one step where the first is, with their number, their extent and the
    highest known height; a kerb alone is said as before; the route's barriers keep every kerb."""
    kerbs = [
        *(_kerb(at, 3.0) for at in (40.0, 42.0, 44.0, 46.0, 50.0)),
        _kerb(100.0, 3.0), _kerb(105.0, 0.0), _kerb(113.0, None),
        _kerb(300.0, None),
    ]  # fmt: skip
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 400.0, 0, 9, 1)]
    route = _route(seg, _east(10), barriers=kerbs)
    said = {lang: [s for s in instructions(route, lang) if s.type == "barrier"] for lang in ("de", "en")}  # fmt: skip
    assert [s.text for s in said["de"]] == [
        "Nach 40 m: 5 Bordsteine abgesenkt (3 cm) auf den nächsten 10 m.",
        "Nach 60 m: 3 Bordsteine auf den nächsten 15 m, höchstens abgesenkt (3 cm), 1 davon "
        "unbekannter Höhe.",
        "Nach 200 m: Bordstein unbekannter Höhe.",
    ]
    assert [s.text for s in said["en"]] == [
        "In 40 m: 5 kerbs lowered (3 cm) within the next 10 m.",
        "In 60 m: 3 kerbs within the next 15 m, the highest lowered (3 cm), 1 of unknown height.",
        "In 200 m: Kerb of unknown height.",
    ]
    assert [s.at_m for s in said["de"]] == [40.0, 100.0, 300.0]
    two = _route(seg, _east(10), barriers=[_kerb(10.0, None), _kerb(12.0, None)])
    (step,) = [s.text for s in instructions(two, "de") if s.type == "barrier"]
    assert step == "Nach 10 m: 2 Bordsteine unbekannter Höhe."
    assert len(route.barriers) == 9


def test_the_steps_say_where_a_route_keeping_the_limits_would_start_and_end() -> None:
    """A route that breaks a limit at its ends said so in its verdict, and where a route that
    keeps the limits would start or end (``ends_short``) only in the answer's data: a screen
    reader never said it. The start's place is said when setting out, the end's before the
    verdict, each with its distance and compass direction from the place asked for."""
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 320.0, 0, 9, 1)]
    ends = [
        {"role": "origin", "distance_m": 31.0, "bearing_deg": 218, "lon": 7.7, "lat": 49.44, "reason": ["steps"]},
        {"role": "destination", "distance_m": 8.0, "bearing_deg": 98, "lon": 7.7, "lat": 49.44, "reason": ["steps", "barrier"]},
    ]  # fmt: skip
    route = _route(seg, _east(10), ends_short=ends)
    de, en = instructions(route, "de"), instructions(route, "en")
    assert (
        de[0].text == "Starten Sie auf dem Mittelweg. Ein Start ohne Treppe liegt 30 m südwestlich."
    )
    assert en[0].text.endswith("A start without stairs is 30 m to the south-west.")
    assert de[-1].text == (
        "Nach 320 m haben Sie Ihr Ziel erreicht. Ein Ziel ohne Treppe und Hindernis liegt 8 m "
        "östlich. Die Route ist stufenlos und bekannt barrierefrei für Ihr Profil."
    )
    for bearing, word in ((0, "nördlich"), (22, "nördlich"), (23, "nordöstlich"), (337, "nordwestlich"), (338, "nördlich"), (180, "südlich")):  # fmt: skip
        assert end_short_phrase({**ends[0], "bearing_deg": bearing}, "de").endswith(f"{word}.")


def test_wheelchair_no_and_closures_are_said_where_they_begin() -> None:
    """A profile's ``wheelchair_no`` and ``closed`` breaks are said where they begin: pieces
    of tagged way in a row (and a tagged node at their end) as one stretch with its metres
    walked, a tagged node alone as a place, a ``wheelchair_no`` at a flight of steps said by
    the flight (a closure there is said); without the graph (which tells a way's break from a
    node's: both lie where a piece begins) each as a place. Only the closing sentence said
    them ("und 1 weitere" behind three other breaks)."""
    from types import SimpleNamespace

    from accessibility_rules.attributes import Wheelchair

    def no_chairs(at_m: float) -> Break:
        return Break("wheelchair_no", "wheelchair", at_m, 7.7, 49.44, "no", None, None, False, "")

    # pieces: 0-50 open, 50-62 and 62-80 tagged, 80-130 open (its tail node tagged), 130-150
    # open, 150-155 steps tagged, 155-200 open
    tags = [0, 1, 1, 0, 0, 1, 0]
    walked = [50.0, 12.0, 18.0, 50.0, 20.0, 5.0, 45.0]
    graph = SimpleNamespace(
        edge={
            "wheelchair": np.array([Wheelchair.NO if t else Wheelchair.UNKNOWN for t in tags]),
            "closed": np.array([False] * 5 + [True, False]),
        }
    )
    breaks = [no_chairs(x) for x in (50.0, 62.0, 80.0, 130.0, 150.0)]
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 200.0, 0, 9, 1)]
    flight = Barrier("steps", 150.0, 7.7, 49.44, {"step_count": 4, "handrail": "yes"})
    route = _route(
        seg, _east(10), barriers=[flight], edges=list(range(7)), walked_m=walked,
        accessibility=Accessibility("no", 1.0, breaks, []),
    )  # fmt: skip
    said = [(s.at_m, s.text) for s in instructions(route, "de", graph=graph) if s.type == "barrier"]  # type: ignore[arg-type]
    assert said == [
        (50.0, "Nach 50 m: Achtung, Weg nicht für Rollstühle freigegeben auf 30 m."),
        (130.0, "Nach 80 m: Achtung, nicht für Rollstühle freigegeben."),
        (150.0, "Nach 20 m: Achtung, Treppe mit 4 Stufen, mit Handlauf."),
    ]
    en = [s.text for s in instructions(route, "en", graph=graph) if s.type == "barrier"]  # type: ignore[arg-type]
    assert en[0] == "In 50 m: Caution, way not open to wheelchairs for 30 m."
    # a closure is said even at a flight (the flight does not say it), a closed node as a place
    closed = Break("closed", "closed", 150.0, 7.7, 49.44, None, None, None, False, "")
    node = Break("closed", "closed", 50.0, 7.7, 49.44, None, None, None, False, "")
    both = dataclasses.replace(
        route, accessibility=Accessibility("no", 1.0, [node, *breaks, closed], [])
    )
    said = [(s.at_m, s.text) for s in instructions(both, "de", graph=graph) if s.type == "barrier"]  # type: ignore[arg-type]
    assert said == [
        (50.0, "Nach 50 m: Achtung, gesperrt."),
        (50.0, "Achtung, Weg nicht für Rollstühle freigegeben auf 30 m."),
        (130.0, "Nach 80 m: Achtung, nicht für Rollstühle freigegeben."),
        (150.0, "Nach 20 m: Achtung, Treppe mit 4 Stufen, mit Handlauf."),
        (150.0, "Achtung, Weg gesperrt auf 5 m."),
    ]
    # without the graph: each break a place of its own
    plain = [s.text for s in instructions(route, "de") if s.type == "barrier"]
    assert plain[:3] == [
        "Nach 50 m: Achtung, nicht für Rollstühle freigegeben.",
        "Nach 10 m: Achtung, nicht für Rollstühle freigegeben.",
        "Nach 20 m: Achtung, nicht für Rollstühle freigegeben.",
    ]


def test_a_closure_in_a_later_leg_is_said_as_a_stretch() -> None:
    """Through a via point a later leg's places are rounded twice (the metres before the leg,
    then the place in it): a closure whose piece begins at 60.08 m is placed at 60.0 m. It
    was matched to its piece by the rounded place (60.1) and said as a place ("Achtung,
    gesperrt"); now by the piece's place as said (Route.piece_spans), as the closed way."""
    from types import SimpleNamespace

    walked = [50.04, 10.04, 20.0, 40.0]  # the via point after the first piece
    graph = SimpleNamespace(edge={"closed": np.array([False, False, True, False]),
                                  "wheelchair": np.zeros(4, dtype=np.int8)})  # fmt: skip
    closed = Break("closed", "closed", 60.0, 7.7, 49.44, None, None, None, False, "")
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 120.08, 0, 9, 1)]
    via = Stop(50.0, 1, 1)  # after 50.04 m, said at 50.0 m; the second leg begins with piece 1
    route = _route(
        seg, _east(10), edges=list(range(4)), walked_m=walked, stops=[via],
        accessibility=Accessibility("no", 1.0, [closed], []),
    )  # fmt: skip
    said = [(s.at_m, s.text) for s in instructions(route, "de", graph=graph) if s.type == "barrier"]  # type: ignore[arg-type]
    assert said == [
        (60.0, "Nach 10 m: Achtung, Weg gesperrt auf 20 m.")
    ]  # 10 m after the via point


def test_an_elevator_out_of_service_on_the_route_is_said_as_such() -> None:
    """A route that cannot avoid an elevator staff put out of service (its node closed, said
    where the walk reaches it) says "Aufzug außer Betrieb" there, not "gesperrt" beside
    "Aufzug"."""
    lift = Barrier("elevator", 50.0, 7.7, 49.44, {})
    closed = Break("closed", "closed", 50.0, 7.7, 49.44, None, None, None, False, "")
    seg = [Segment(0, "Mittelweg", "path", False, 0.0, 120.0, 0, 9, 1)]
    route = _route(
        seg, _east(10), barriers=[lift], accessibility=Accessibility("no", 1.0, [closed], [])
    )
    said = [s.text for s in instructions(route, "de") if s.type == "barrier"]
    assert said == ["Nach 50 m: Achtung, Aufzug außer Betrieb."]
    en = [s.text for s in instructions(route, "en") if s.type == "barrier"]
    assert en == ["In 50 m: Caution, elevator out of service."]
    working = _route(seg, _east(10), barriers=[lift])
    assert [s.text for s in instructions(working, "de") if s.type == "barrier"] == [
        "Nach 50 m: Aufzug."
    ]


def test_one_step_is_said_in_the_singular() -> None:
    """A flight walked for one step, and a verdict naming one: "1 Stufe", "1 step"."""
    one = Barrier("steps", 10.0, 7.7, 49.44, {"step_count": 1, "handrail": "no"})
    assert describe_barrier("steps", one.details, "de") == "Treppe mit 1 Stufe, ohne Handlauf"
    assert describe_barrier("steps", one.details, "en") == "stairs with 1 step, without handrail"
    item = {"limit": "step_count", "value": 1, "at_m": 10.0}
    assert break_phrase(item, "de").startswith("Treppe (1 Stufe")
    assert break_phrase(item, "en").startswith("stairs (1 step")
