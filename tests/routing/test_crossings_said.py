"""Every crossing a route walks is said, on the real extracts (routing.instructions, "One
crossing, one announcement").

Reports of one crossing are said once: the reports on the crossing ways walked in one go (a way
split at kerbs and nodes) and those within ``SAME_CROSSING_M`` of the crossing's first report
(its node beside its way). Two crossings are two announcements: on Neukölln's Karl-Marx-Platz a
crossing, 5 m of island and a second signalled crossing way were one "Ampel" (the second's
signals, acoustic and vibrating, never said where the walk crosses again); in Kaiserslautern two
signal nodes and, 20 m after the first, a junction without a mapped crossing were one "Ampel"
(a chain of reports each within 12 m of the one before).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from routing.barriers_said import SAME_CROSSING_M, WAYS_JOINED_M, _crossing_ways, merge_crossings
from routing.errors import NoRouteError
from routing.instructions import describe_barrier, instructions
from tests.routing.trips import node_routes, seeded_points

#: (origin, destination) as ``(lat, lon)``, the places (m) where a crossing must be said
#: (a step of its own, at that place), and what it says.
NEUKOELLN_ISLAND = ((52.473754, 13.440577), (52.474211, 13.440302))
KAISERSLAUTERN_JUNCTION = ((49.445960, 7.770820), (49.443800, 7.753030))


def _crossing_steps(router: Any, route: Any) -> list[Any]:
    """The steps that say a crossing: barrier steps at a crossing report's place saying what
    the crossings said there are (other barriers, a kerb, may be said at the same place)."""
    graph = router.graph
    crossings = [b for b in merge_crossings(route.barriers, route, graph) if b.kind == "crossing"]
    texts = {describe_barrier("crossing", b.details, "de") for b in crossings}
    places = {b.at_m for b in crossings}
    steps = instructions(route, "de", graph=graph, profile=router.profile(route.profile))
    return [
        s for s in steps
        if s.type == "barrier" and s.at_m in places
        and s.text.split(": ")[-1].rstrip(".").lower() in {t.lower() for t in texts}
    ]  # fmt: skip


def test_a_second_crossing_past_an_island_is_said(neukoelln_router: Any) -> None:
    route = neukoelln_router.route(*NEUKOELLN_ISLAND, "blind")
    said = [(s.at_m, s.text) for s in _crossing_steps(neukoelln_router, route)]
    signals = "Ampel mit akustischem Signal, Vibrationssignal und Bodenindikatoren."
    assert [text.split(": ")[-1] for _, text in said[:2]] == [signals, signals]
    assert said[1][0] - said[0][0] > SAME_CROSSING_M


def test_a_junction_twenty_metres_after_a_crossing_is_said(ksl_router: Any) -> None:
    route = ksl_router.route(*KAISERSLAUTERN_JUNCTION, "blind")
    said = [(s.at_m, s.text) for s in _crossing_steps(ksl_router, route)]
    signals = [at for at, text in said if text.endswith("Ampel.")]
    junctions = [at for at, text in said if text.endswith("Kreuzung ohne kartierten Überweg.")]
    assert any(19.0 < j - s < 21.0 for s in signals for j in junctions), said


def _unsaid(router: Any, routes: Iterable[Any]) -> tuple[int, list[Any]]:
    """Stretches across roads walked (crossing ways, carriageways walked across; those
    beginning within ``WAYS_JOINED_M`` of the one before one), and those without a crossing
    said on them (places as said: Route.piece_spans)."""
    walked, unsaid = 0, []
    for route in routes:
        said = [s.at_m for s in _crossing_steps(router, route)]
        across = {b.at_m for b in route.barriers if b.details.get("crossing") == "informal"}
        stretches: list[list[Any]] = []
        for start, end, carriageway in _crossing_ways(route, router.graph, across):
            if stretches and start <= stretches[-1][1] + WAYS_JOINED_M and carriageway == stretches[-1][2]:  # fmt: skip
                stretches[-1][1] = end
            else:
                stretches.append([start, end, carriageway])
        for start, end, _ in stretches:
            walked += 1
            if not any(start <= at <= end for at in said):
                unsaid.append((route.profile, round(start, 1), route.geometry[0]))
    return walked, unsaid


def test_every_crossing_way_walked_in_neukoelln_is_said(neukoelln_router: Any) -> None:
    routes = (route for _, route in node_routes(neukoelln_router, 33, 120, ("blind", "wheelchair")))
    walked, unsaid = _unsaid(neukoelln_router, routes)
    assert walked >= 100
    assert unsaid == []


def test_every_crossing_way_walked_through_via_points_is_said(neukoelln_router: Any) -> None:
    """Through a via point a leg's places are rounded twice (its offset, then the place in
    it): 12 of 219 stretches were read as no crossing's before the pieces' places were read
    as said (Route.piece_spans)."""
    routes = []
    for seed in range(60):
        try:  # the best route (alternatives after it)
            routes.append(
                neukoelln_router.route_via(seeded_points(neukoelln_router, seed, 3), "blind")[0]
            )
        except NoRouteError:
            continue
    walked, unsaid = _unsaid(neukoelln_router, routes)
    assert walked >= 100
    assert unsaid == []
