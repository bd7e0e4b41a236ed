"""A walk to a seat turns back at the seat, not at the end of the way it stands on.

The rest search walks from node to node, so a bench beside a way was reached by walking the
whole edge past it and back (on Kaiserslautern 63 of 200 ``elderly`` routes, a median of 80 m
more). The fixture ``tests/fixtures/osm/seat_spur.osm``: a footway 1 → 2 → 3 (about 253 m each
side of node 2) and a named path, the Bankweg, from node 2 to node 4 (about 100 m) with the only
bench about 10 m along it; a seat every 300 m means going to that bench and back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphs.build import build_graph
from graphs.features import seats_on_edge
from graphs.sources import read_osm_file
from graphs.store import load_graph
from routing.engine import Router
from routing.errors import RoutingError
from routing.instructions import instructions
from routing.legs import _segment_legs, route_legs
from routing.query import PathPiece, piece_cost
from routing.rest_walks import rest_path, rest_walk
from routing.rests import pieces_longest_gap, walk_length_m
from routing.wording import Language

START, END = (49.44, 7.76), (49.44, 7.767)


@pytest.fixture(scope="module")
def router(osm_fixtures: Path) -> Router:
    graph, _ = build_graph(read_osm_file(osm_fixtures / "seat_spur.osm"))
    return Router(graph)


def _edge(router: Router, tail_osm: int, head_osm: int) -> int:
    g = router.graph
    ids = g.node["osm_id"]
    tail = int(np.flatnonzero(ids == tail_osm)[0])
    head = int(np.flatnonzero(ids == head_osm)[0])
    return int(np.flatnonzero((g.tail == tail) & (g.head == head))[0])


def test_the_walk_turns_back_at_the_bench(router: Router) -> None:
    g = router.graph
    first, out, back, last = (_edge(router, a, b) for a, b in ((1, 2), (2, 4), (4, 2), (2, 3)))
    length = g.edge["length_m"]
    (seat_m,) = seats_on_edge(g, out)[0].tolist()  # the bench, metres along the Bankweg
    assert 5.0 < seat_m < 15.0

    route = router.route(START, END, "elderly")
    expected_m = float(length[first] + length[last]) + 2.0 * seat_m
    assert route.distance_m == pytest.approx(expected_m, abs=0.01)
    assert route.edges == [first, out, back, last]
    assert route.stops == []  # the seat is no via point
    rests = route.rests
    assert rests is not None
    assert rests["keeps_limit"] is True
    assert rests["seat_count"] == 1  # the seat where one leg ends and the next begins, once
    assert rests["seats"][0]["at_m"] == pytest.approx(float(length[first]) + seat_m, abs=0.1)
    assert rests["longest_gap_m"] == pytest.approx(float(length[first]) + seat_m, abs=0.1)

    # what the node-to-node search found: to the end of the Bankweg and back
    metric = router.customize(router.profile("elderly"))
    source, _ = router.snap(START, metric, "origin")
    target, _ = router.snap(END, metric, "destination")
    path = rest_path(router, source, target, metric, 300.0)
    assert path is not None
    assert walk_length_m(g, path.pieces) == pytest.approx(
        float(length[first] + length[last] + 2.0 * length[out]), abs=0.01
    )
    # the cost of the walk as turned, by the search's own rule per piece: the piece to the
    # bench ends a leg (it never reaches what the Bankweg's end holds)
    f = seat_m / float(length[out])
    w = metric.weights
    cost = (
        piece_cost(w, PathPiece(first, path.start, 1.0), last=False)
        + piece_cost(w, PathPiece(out, 0.0, f), last=True)
        + piece_cost(w, PathPiece(back, 1.0 - f, 1.0), last=False)
        + piece_cost(w, PathPiece(last, 0.0, path.end), last=True)
    )
    assert route.cost_s == pytest.approx(cost, rel=1e-9)
    assert route.cost_s < path.cost_s


def test_the_steps_say_the_seat_then_turning_back(router: Router) -> None:
    route = router.route(START, END, "elderly")
    said: tuple[tuple[Language, str], ...] = (
        ("de", "Umkehren, weiter auf dem Bankweg."), ("en", "Turn around, staying on Bankweg."),
    )  # fmt: skip
    for lang, turn in said:
        steps = instructions(route, lang)
        seat = next(s for s in steps if s.type == "rest")
        after = steps[steps.index(seat) + 1]
        assert after.type == "turn"
        assert after.text == turn
        assert after.at_m == seat.at_m
        assert all(s.type != "via" for s in steps)
    # the legs kernel and its Python reference agree on the U-turn on the named path
    assert route_legs(route) == _segment_legs(route)


@pytest.mark.slow
@pytest.mark.realdata
def test_elderly_routes_turn_back_at_seats_on_kaiserslautern(ksl_graph_dir: Path) -> None:
    """Seeded trips: never longer nor dearer than the node-to-node walk, never a longer
    stretch without a seat; every U-turn said is at a seat or where the walk turns onto
    another way."""
    router = Router(load_graph(ksl_graph_dir))
    metric = router.customize(router.profile("elderly"))
    rng = np.random.default_rng(1)
    g = router.graph
    shorter = 0
    for _ in range(60):
        a, b = rng.integers(0, g.node_count, 2)
        origin = (float(g.node["lat"][a]), float(g.node["lon"][a]))
        destination = (float(g.node["lat"][b]), float(g.node["lon"][b]))
        try:
            route = router.route(origin, destination, "elderly", compare_walk=False)
        except RoutingError:
            continue
        source, _ = router.snap(origin, metric, "origin")
        target, _ = router.snap(destination, metric, "destination")
        path, _ = rest_walk(router, source, target, metric, 300.0)
        walked = walk_length_m(g, path.pieces)
        assert route.distance_m <= walked + 0.01
        assert route.cost_s <= path.cost_s + 1e-6
        assert route.rests is not None
        assert route.rests["longest_gap_m"] <= pieces_longest_gap(g, path.pieces) + 0.1
        shorter += route.distance_m < walked - 1.0
        seats = [s["at_m"] for s in route.rests["seats"]]
        for step in instructions(route, "en"):
            if step.type == "turn" and "turn around" in step.text.lower():
                assert any(abs(step.at_m - x) <= 0.5 for x in seats) or "onto" in step.text
    assert shorter > 0
