"""Rests on routes: the router keeps ``max_distance_between_rests_m`` and reports seats and gaps.

Runs on the Kaiserslautern graph with the stand-in seats of :mod:`tests.routing.seat_standin`
(node seats plus seeded synthetic ones: the extract maps few seats on network nodes) until the
seat join of ``graphs/`` lands. The search itself is checked against brute force in
``test_rests_kernel.py``; here: the router's use of it (pieces at the ends, the report, the
least-bad route).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import routing.rest_walks
from accessibility_rules.weights import VIOLATION_PENALTY_S
from graphs.store import load_graph
from routing import rests
from routing.engine import Router
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch
from routing.obstacles.overlay import ObstacleOverlay
from routing.query import PathPiece
from routing.rest_walks import least_bad_rest_path, rest_path, with_rests
from tests.routing.seat_standin import install_node_seats, synthetic_node_seats

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seated(ksl_graph_dir: Path) -> Iterator[tuple[Router, np.ndarray]]:
    """A router whose graph has seats on 10 % of its nodes (seeded), and the node seats."""
    graph = load_graph(ksl_graph_dir)
    seat = synthetic_node_seats(graph, 0.10)
    reader = install_node_seats(graph, seat)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rests, "seat_reader", reader)
        yield Router(graph), seat


def trips(router: Router, k: int, seed: int) -> list[tuple[tuple[float, float], ...]]:
    rng = np.random.default_rng(seed)
    g = router.graph
    out: list[tuple[tuple[float, float], ...]] = []
    while len(out) < k:
        a, b = rng.integers(0, g.node_count, 2)
        pa = (float(g.node["lat"][a]), float(g.node["lon"][a]))
        pb = (float(g.node["lat"][b]), float(g.node["lon"][b]))
        if 300 < math.dist(pa, pb) * 111_000 < 1500:
            out.append((pa, pb))
    return out


def independent_longest_gap(router: Router, pieces: Any, seat: np.ndarray) -> float:
    """The longest stretch without a seat of a walk over ``pieces`` from the node seats it
    passes (no code of routing.rests): walk the pieces, reset at every node with a seat."""
    g = router.graph
    length = g.edge["length_m"]
    marks, at = [0.0], 0.0
    for i, p in enumerate(pieces):
        if i == 0 and p.start == 0.0 and seat[g.tail[p.edge]] != 0:
            marks.append(0.0)
        at += (p.end - p.start) * float(length[p.edge])
        if p.end == 1.0 and seat[g.head[p.edge]] != 0:
            marks.append(at)
    marks.append(at)
    return max(b - a for a, b in itertools.pairwise(marks))


def keeps_as_checked(
    router: Router,
    seat: np.ndarray,
    metric: Any,
    trip: tuple[tuple[float, float], ...],
    rests_report: dict[str, Any],
    limit_m: float,
) -> bool:
    """Whether the route's rests report keeps ``limit_m``, after checking that answer: the
    rest search on ``metric`` finds a path exactly when the report says the limit is kept, and
    that path's longest stretch without a seat, walked independently, is within the limit."""
    src = router.snap(trip[0], metric, "origin")[0]
    dst = router.snap(trip[1], metric, "destination")[0]
    path = rest_path(router, src, dst, metric, limit_m)
    if path is not None:
        assert independent_longest_gap(router, path.pieces, seat) <= limit_m + 1e-6
    assert (path is not None) == bool(rests_report["keeps_limit"])
    return path is not None


def test_elderly_routes_keep_300_m_or_say_where_not(seated: tuple[Router, np.ndarray]) -> None:
    router, seat = seated
    kept = 0
    for origin, destination in trips(router, 12, seed=1):
        route = router.route(origin, destination, "elderly", compare_walk=False)
        r = route.rests
        assert r is not None
        assert r["limit_m"] == 300.0
        seats_at = [s["at_m"] for s in r["seats"]]
        assert seats_at == sorted(seats_at)
        marks = [0.0, *seats_at, route.distance_m]
        assert r["longest_gap_m"] == pytest.approx(
            max(b - a for a, b in itertools.pairwise(marks)), abs=0.2
        )
        metric = router.customize(router.profile("elderly"))
        if keeps_as_checked(router, seat, metric, (origin, destination), r, 300.0):
            kept += 1
            assert r["longest_gap_m"] <= 300.0 + 0.1
            assert not [b for b in route.accessibility.breaks if b.limit == "rests"]
        else:
            assert r["least_bad"]
            brk = [b for b in route.accessibility.breaks if b.limit == "rests"]
            assert len(brk) == 1
            assert route.accessibility.verdict == "no"
            assert brk[0].value == r["longest_gap_m"]
            assert brk[0].at_m == r["longest_gap"]["from"]["at_m"]
    assert kept > 0


def test_an_own_rest_limit_is_kept_on_the_presets_metric(
    seated: tuple[Router, np.ndarray],
) -> None:
    """A personal rest limit changes no weight: the route is searched on the preset's metric
    (the same object) and still keeps, or says it breaks, the user's own limit."""
    router, seat = seated
    preset = router.customize(router.profile("elderly"))
    personal = router.profile("elderly", {"max_distance_between_rests_m": 200.0})
    assert router.customize(personal) is preset
    kept = 0
    for origin, destination in trips(router, 8, seed=4):
        route = router.route(origin, destination, personal, compare_walk=False)
        r = route.rests
        assert r is not None
        assert r["limit_m"] == 200.0
        if keeps_as_checked(router, seat, preset, (origin, destination), r, 200.0):
            kept += 1
            assert r["longest_gap_m"] <= 200.0 + 0.1
        else:
            assert [b.value for b in route.accessibility.breaks if b.limit == "rests"] == [
                r["longest_gap_m"]
            ]
    assert kept > 0


def test_the_constrained_route_costs_at_least_the_plain_one(
    seated: tuple[Router, np.ndarray],
) -> None:
    router, _ = seated
    prof = router.profile("elderly")
    plain = router.profile("elderly", {"max_distance_between_rests_m": None})
    for origin, destination in trips(router, 8, seed=2):
        a = router.route(origin, destination, prof, compare_walk=False)
        b = router.route(origin, destination, plain, compare_walk=False)
        assert a.cost_s >= b.cost_s - 1e-6
        assert b.rests is not None
        assert b.rests["limit_m"] is None
        assert b.rests["keeps_limit"] is None
        if b.rests["longest_gap_m"] <= 300.0:  # the plain route keeps it: same optimum
            assert a.cost_s == pytest.approx(b.cost_s, rel=1e-9)


def test_a_huge_limit_gives_the_plain_route(seated: tuple[Router, np.ndarray]) -> None:
    router, _ = seated
    for origin, destination in trips(router, 5, seed=3):
        a = router.route(origin, destination, "walk", max_distance_between_rests_m=2000.0)
        b = router.route(origin, destination, "walk")
        assert a.cost_s == pytest.approx(b.cost_s, rel=1e-9)
        assert a.rests is not None
        assert a.rests["keeps_limit"]


def test_least_bad_route_names_the_longest_stretch(seated: tuple[Router, np.ndarray]) -> None:
    router, _ = seated
    origin, destination = trips(router, 1, seed=4)[0]
    route = router.route(origin, destination, "elderly", max_distance_between_rests_m=50.0)
    r = route.rests
    assert r is not None
    assert not r["keeps_limit"]
    assert r["least_bad"]
    gap = r["longest_gap"]
    assert gap["to"]["at_m"] - gap["from"]["at_m"] == pytest.approx(r["longest_gap_m"], abs=0.2)
    brk = next(b for b in route.accessibility.breaks if b.limit == "rests")
    assert "without a seat" in brk.message
    assert brk.limit_value == 50.0
    # no walk between these snaps has a shorter longest stretch than the least-bad one, up to
    # the bisection's tolerance: a search with that limit minus the tolerance finds none
    src = router.snap(origin, router.customize(router.profile("elderly")), "origin")[0]
    dst = router.snap(destination, router.customize(router.profile("elderly")), "destination")[0]
    metric = router.customize(router.profile("elderly", {"max_distance_between_rests_m": 50.0}))
    tighter = r["longest_gap_m"] - rests.LEAST_BAD_TOLERANCE_M - 0.5
    if tighter >= 1.0:
        assert rest_path(router, src, dst, metric, tighter) is None
    assert rest_path(router, src, dst, metric, r["longest_gap_m"] + 0.5) is not None
    with pytest.raises(Exception, match="rests"):
        router.route(origin, destination, "elderly", strict=True, max_distance_between_rests_m=50.0)


def rest_searches_spied(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int | None], list[int]]:
    """Every :func:`routing.rest_walks.rest_path` from now on: the label budget it was given (None:
    its own, a search at the asked limit) and the labels it settled, in two lists filled as they
    run."""
    given: list[int | None] = []
    settled: list[int] = []
    real = routing.rest_walks.rest_path

    def counted(
        router: Router, source: Any, target: Any, on: Any, limit_m: float,
        max_labels: int | None = None, max_cost: float = math.inf,
    ) -> Any:  # fmt: skip
        given.append(max_labels)
        try:
            return real(
                router, source, target, on, limit_m, max_labels=max_labels, max_cost=max_cost
            )
        finally:
            settled.append(router.rest_query().last_settled)

    monkeypatch.setattr(routing.rest_walks, "rest_path", counted)
    return given, settled


def test_the_least_bad_search_spends_a_bounded_label_budget(
    seated: tuple[Router, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """All probes of one least-bad route together settle at most ``LEAST_BAD_BUDGETS``
    searches' budgets; past them the best walk found so far is the route (a real walk, its
    longest stretch no shorter than with the whole budget); with no budget, the plain route."""
    router, seat = seated
    origin, destination = trips(router, 1, seed=4)[0]
    metric = router.customize(router.profile("elderly", {"max_distance_between_rests_m": 50.0}))
    src = router.snap(origin, metric, "origin")[0]
    dst = router.snap(destination, metric, "destination")[0]
    whole = least_bad_rest_path(router, src, dst, metric, 50.0)
    budgets, settled = rest_searches_spied(monkeypatch)
    query = router.rest_query()

    def spent_within(cap: int) -> None:
        """Each probe gets what is left of ``cap``; together they settle at most ``cap``."""
        assert budgets, "the bisection probed"
        for k, given in enumerate(budgets):
            assert given == cap - sum(settled[:k])
            assert 0 <= settled[k] <= given
        assert sum(settled) <= cap

    least_bad_rest_path(router, src, dst, metric, 50.0)
    spent_within(math.ceil(rests.LEAST_BAD_BUDGETS * query.max_labels))
    full_probes = len(budgets)
    monkeypatch.setattr(rests, "LEAST_BAD_BUDGETS", 40.0 / query.max_labels)
    budgets.clear()
    settled.clear()
    cut = least_bad_rest_path(router, src, dst, metric, 50.0)
    spent_within(40)
    assert len(budgets) < full_probes  # the budget was used up: the bisection was cut short
    cut_gap = independent_longest_gap(router, cut.pieces, seat)
    assert cut_gap >= independent_longest_gap(router, whole.pieces, seat) - 1e-6
    monkeypatch.setattr(rests, "LEAST_BAD_BUDGETS", 0.0)
    budgets.clear()
    plain = least_bad_rest_path(router, src, dst, metric, 50.0)
    assert budgets == []
    assert list(plain.edges) == list(router.shortest_path(src, dst, metric).edges)


def test_the_legs_of_a_via_route_share_one_least_bad_budget(
    seated: tuple[Router, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A route through via points bounds its least-bad probes together, not per leg: each
    probe is given what the probes before it, in every earlier leg, left of one request's
    ``LEAST_BAD_BUDGETS``. Ten legs had settled up to ten times that (a 0.7-1.5 s request on
    the Heidelberg region). With a budget so small that the first leg spends it, the later
    legs get no probe: their plain routes, their longest stretches as they are."""
    router, _ = seated
    points = [a for a, _ in trips(router, 5, seed=31)]
    given, settled = rest_searches_spied(monkeypatch)
    query = router.rest_query()
    for cap in (math.ceil(rests.LEAST_BAD_BUDGETS * query.max_labels), 60):
        monkeypatch.setattr(rests, "LEAST_BAD_BUDGETS", cap / query.max_labels)
        given.clear()
        settled.clear()
        (route,) = router.route_via(points, "elderly", max_distance_between_rests_m=50.0)
        probes = [(g, n) for g, n in zip(given, settled, strict=True) if g is not None]
        assert probes, "the legs needed least-bad routes"
        spent = 0
        for g, n in probes:
            assert g == cap - spent
            spent += n
        assert spent <= cap
        assert route.rests is not None
        assert route.rests["least_bad"]
        assert all(g > 0 for g, _ in probes)  # none once the request's budget is spent
    assert sum(1 for g in given if g is None) == len(points) - 1  # each leg's at its limit


def test_seats_are_never_bought_with_a_closure(seated: tuple[Router, np.ndarray]) -> None:
    """Staff close the edges by which the elderly route keeps 300 m between seats and its
    plain route does not go: where every walk that still keeps the limit goes through a
    closure, the route goes around them, breaking the rest limit (least bad) instead of a
    closed way. The rest search had taken the only walk with seats close enough, through the
    closure (elderly routes passed 11 random closures that walkers went around, of 37)."""
    router, _ = seated
    overlay = ObstacleOverlay(router)
    limit = 300.0
    through = 0
    try:
        for origin, destination in trips(router, 60, seed=21):
            overlay.apply([])
            metric = router.customize(router.profile("elderly"))
            src = router.snap(origin, metric, "origin")[0]
            dst = router.snap(destination, metric, "destination")[0]
            plain = router.shortest_path(src, dst, metric)
            kept = rest_path(router, src, dst, metric, limit)
            if kept is None or plain.cost_s >= VIOLATION_PENALTY_S:
                continue
            rev = router.graph.edge["reverse_edge"]
            on_plain = set(plain.edges.tolist()) | set(rev[plain.edges].tolist())
            off = np.array([e for e in kept.edges.tolist() if e not in on_plain], dtype=np.int64)
            if off.size == 0:
                continue
            match = ObstacleMatch(
                edges=np.union1d(off, rev[off][rev[off] >= 0]), nodes=np.zeros(0, dtype=np.int64)
            )
            overlay.apply([("works", match, ObstacleEffect(closed=True))])
            metric = router.customize(router.profile("elderly"))
            again = rest_path(router, src, dst, metric, limit)
            if again is None or not router.graph.edge["closed"][again.edges].any():
                continue
            through += 1  # every walk keeping the limit now passes a closure
            route = router.route(origin, destination, "elderly")
            assert "closed" not in {b.limit for b in route.accessibility.breaks}
            assert not router.graph.edge["closed"][route.edges].any()
            assert route.rests is not None
            assert route.rests["least_bad"]
            assert "rests" in {b.limit for b in route.accessibility.breaks}
    finally:
        overlay.apply([])
    assert through >= 2


def test_via_points_are_stops(seated: tuple[Router, np.ndarray]) -> None:
    router, _ = seated
    (a, b), (_, c) = trips(router, 2, seed=5)
    legs = [router.route(a, b, "elderly"), router.route(b, c, "elderly")]
    (route,) = router.route_via([a, b, c], "elderly")
    r = route.rests
    assert r is not None
    assert r["seat_count"] == len(_seats_along(legs))
    assert r["longest_gap_m"] == max(leg.rests["longest_gap_m"] for leg in legs)  # type: ignore[index]
    assert route.as_dict()["rests"] == r


def _seats_along(legs: list[Any]) -> list[float]:
    """The places of the legs' seats along the whole walk, a seat where one leg ends and the
    next begins once."""
    out: list[float] = []
    offset = 0.0
    for leg in legs:
        for seat in leg.rests["seats"]:
            at = seat["at_m"] + offset
            if not out or at - out[-1] >= rests.SAME_SEAT_M:
                out.append(at)
        offset += leg.distance_m
    return out


def test_a_seat_at_a_via_point_is_listed_once(seated: tuple[Router, np.ndarray]) -> None:
    """A via point on a bench: the leg to it ends at the seat and the leg from it starts there,
    and both list it; the route listed it twice (seat_count one too many)."""
    router, seat = seated
    g = router.graph
    benches = np.flatnonzero(seat != 0)
    found = 0
    starts, ends = trips(router, 20, seed=8), trips(router, 20, seed=9)
    for i, ((a, _), (_, c)) in enumerate(zip(starts, ends, strict=True)):
        node = int(benches[(37 * i) % len(benches)])  # the via point: a node with a seat
        b = (float(g.node["lat"][node]), float(g.node["lon"][node]))
        legs = [router.route(a, b, "elderly"), router.route(b, c, "elderly")]
        first, second = legs[0].rests, legs[1].rests
        assert first is not None
        assert second is not None
        if not (first["seats"] and second["seats"]):
            continue
        if (
            first["seats"][-1]["at_m"] < legs[0].distance_m - 0.1
            or second["seats"][0]["at_m"] > 0.1
        ):
            continue
        (route,) = router.route_via([a, b, c], "elderly")
        assert route.rests is not None
        places = [s["at_m"] for s in route.rests["seats"]]
        assert (
            route.rests["seat_count"]
            == len(places)
            == first["seat_count"] + second["seat_count"] - 1
        )
        assert all(y - x >= rests.SAME_SEAT_M for x, y in itertools.pairwise(places))
        found += 1
    assert found >= 3


# ------------------------------------------------------------------ pieces at the ends (no graph)


def test_a_cut_piece_keeps_only_its_own_seats(seated: tuple[Router, np.ndarray]) -> None:
    router, seat = seated
    g = router.graph
    both = np.flatnonzero((seat[g.tail] != 0) & (seat[g.head] != 0) & (g.edge["length_m"] > 10))
    e = int(both[0])
    length = float(g.edge["length_m"][e])
    whole = rests.piece_summary(g, PathPiece(e, 0.0, 1.0))
    assert whole == (pytest.approx(length), 0.0, pytest.approx(length), pytest.approx(length))
    half = rests.piece_summary(g, PathPiece(e, 0.5, 1.0))  # from mid-edge to the head's seat
    assert half[0] == pytest.approx(length / 2)
    assert half[1] == pytest.approx(length / 2)
    assert half[2] == pytest.approx(length / 2)
    assert half[3] == 0.0
    inner = rests.piece_summary(g, PathPiece(e, 0.25, 0.75))  # no seat inside
    assert math.isnan(inner[1])


def test_instructions_name_each_seat_and_the_next(seated: tuple[Router, np.ndarray]) -> None:
    from routing.instructions import SEAT_GROUP_M, instructions

    router, _ = seated
    for origin, destination in trips(router, 10, seed=6):
        route = router.route(origin, destination, "elderly", compare_walk=False)
        assert route.rests is not None
        if not route.rests["seats"]:
            continue
        for lang, word in (("de", "Sitzgelegenheit"), ("en", "seat")):
            steps = [s for s in instructions(route, lang) if s.type == "rest"]  # type: ignore[arg-type]
            places = [seat["at_m"] for seat in route.rests["seats"]]
            apart = sum(b - a > SEAT_GROUP_M for a, b in itertools.pairwise(places))
            assert len(steps) == apart + 1  # seats close together are one step
            assert all(word in s.text for s in steps)
            assert ("keine weitere" if lang == "de" else "no further") in steps[-1].text.lower()
        plain = router.route(origin, destination, "walk", compare_walk=False)
        assert not [s for s in instructions(plain, "de") if s.type == "rest"]
        return
    pytest.fail("no trip passed a seat")


def test_walk_seats_equal_a_piece_by_piece_reading(seated: tuple[Router, np.ndarray]) -> None:
    """``walk_seats`` (only the edges holding a seat read) lists exactly the seats a plain walk
    over every piece of the path finds, at the same places, one per place."""
    router, _ = seated
    metric = router.customize(router.profile("walk"))
    compared = with_seats = 0
    for origin, destination in trips(router, 30, seed=7):
        src = router.snap(origin, metric, "origin")[0]
        dst = router.snap(destination, metric, "destination")[0]
        path = router.shortest_path(src, dst, metric)
        expected: list[tuple[float, int, int, float, float]] = []
        at = 0.0
        for piece in path.pieces:
            walked, (offs, back, kind, lon, lat) = rests.piece_seats(router.graph, piece)
            for j in range(len(offs)):
                here = at + float(offs[j])
                if expected and here - expected[-1][0] < rests.SAME_SEAT_M:
                    continue
                expected.append((here, int(back[j]), int(kind[j]), float(lon[j]), float(lat[j])))
            at += walked
        got = rests.walk_seats(router.graph, path.edges, path.start, path.end)
        assert [s[1:] for s in got] == [s[1:] for s in expected]
        assert [s[0] for s in got] == pytest.approx([s[0] for s in expected], abs=1e-6)
        compared += 1
        with_seats += bool(got)
    assert compared >= 20
    assert with_seats >= 10


def test_walk_seats_at_the_reports_piece_starts(seated: tuple[Router, np.ndarray]) -> None:
    """Given where each piece starts as a route report has it (the running sum of the metres
    walked), ``walk_seats`` lists exactly the seats it sums for itself."""
    router, _ = seated
    metric = router.customize(router.profile("walk"))
    with_seats = 0
    for origin, destination in trips(router, 30, seed=9):
        src = router.snap(origin, metric, "origin")[0]
        dst = router.snap(destination, metric, "destination")[0]
        path = router.shortest_path(src, dst, metric)
        route = router.route(origin, destination, "walk", compare_walk=False)
        at_m = list(itertools.accumulate(route.walked_m[:-1], initial=0.0))
        got = rests.walk_seats(router.graph, path.edges, path.start, path.end, at_m=at_m)
        assert got == rests.walk_seats(router.graph, path.edges, path.start, path.end)
        with_seats += bool(got)
    assert with_seats >= 10


def test_rests_made_with_the_report_equal_those_added_to_it(
    seated: tuple[Router, np.ndarray],
) -> None:
    """``build_route(rests=...)`` (what ``Router.route`` does) gives, after ``with_rests``, the
    route ``with_rests`` gives when it makes the rests report itself: every field, with the
    rests break or reliance where the limit is not kept."""
    from graphs.features import surroundings_read
    from routing.report import build_route

    router, _ = seated
    broken = 0
    for name in ("elderly", "walk"):
        prof = router.profile(name)
        metric = router.customize(prof)
        for origin, destination in trips(router, 12, seed=10):
            src = router.snap(origin, metric, "origin")[0]
            dst = router.snap(destination, metric, "destination")[0]
            path = router.shortest_path(src, dst, metric)
            for least_bad in (False, True):
                args = (
                    router.graph,
                    router.customizer.report_table(),
                    prof,
                    metric.weights,
                    path,
                    None,
                )
                asked = rests.RestsAsked(
                    prof.max_distance_between_rests_m, least_bad, surroundings_read(router.graph)
                )
                made = build_route(*args, rests=asked)
                added = build_route(*args)
                assert added.rests is None
                want = with_rests(router, added, path, prof, least_bad=least_bad)
                assert repr(with_rests(router, made, path, prof, least_bad=least_bad)) == repr(want)
                broken += any(b.limit == "rests" for b in want.accessibility.breaks)
    assert broken >= 4
