"""``api.obstacles.reference_bound``: a reference search of ``obstacles.avoided`` is spared only
when no cheapest walk can pass the obstacles. The kernel against the bound written out
(hypothesis); the proof against the cheapest walk through each edge found by searches, on the
centre graph; and whole answers with closures active, with the bound and without it, the same."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.obstacles.reference_bound import cannot_pass, known_walk_cost
from graphs.store import load_graph
from routing._kernels.near_walk import walks_through_cost_more
from routing.engine import Router
from routing.errors import NoRouteError
from routing.snapping import SnapPoint
from tests.api.support import make_keys, obstacle_body, point_on


def bound_written_out(
    edges: list[int],
    tail: list[int],
    head: list[int],
    way: list[float],
    at_head: list[float],
    dist: np.ndarray,
    scale: float,
    starts: list[int],
    stops: list[int],
    limit: float,
) -> bool:
    """The kernel's rule, one Python expression per step: the landmark columns and the last
    column's transition bounds. A gap that is NaN (both ends unreachable from a landmark) is
    skipped; an infinite one (one end reachable, the other not: no walk of finite cost joins
    them) counts as infinite, a proof, where the search's own bound
    (``routing._kernels.search.lower_bound``)
    passes it over: sound on the metrics the references run on, whose landmarks are computed
    on their usable edges or on every edge."""

    def lb(x: int, y: int) -> float:
        gaps = [abs(float(a) - float(b)) for a, b in zip(dist[x, :-1], dist[y, :-1], strict=True)]
        widest = max([g for g in gaps if not math.isnan(g)], default=0.0)
        if dist.shape[1] < 2:
            return 0.0
        return max(0.0, scale * (widest - (dist[x, -1] + dist[y, -1]) / 2))

    for e in edges:
        to_u = min(lb(a, tail[e]) for a in starts)
        from_v = min(lb(head[e], b) for b in stops)
        along = way[e] if head[e] in stops else way[e] + at_head[e]
        if not to_u + along + from_v > limit:
            return False
    return True


distance = st.one_of(st.floats(0.0, 1e4), st.just(math.inf))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Any, ...]:
    n = draw(st.integers(2, 12))
    k = draw(st.integers(1, 4))
    m = draw(st.integers(1, 20))
    dist = np.array(draw(st.lists(distance, min_size=n * k, max_size=n * k))).reshape(n, k)
    tau = draw(st.lists(st.floats(0.0, 300.0), min_size=n, max_size=n))
    # the landmark columns (none: the bound is 0) and the transition bounds as the last
    dist = np.column_stack((dist if draw(st.booleans()) else dist[:, :0], tau))
    tail = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    head = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    seconds = st.one_of(st.floats(0.0, 500.0), st.just(math.inf))
    way = draw(st.lists(seconds, min_size=m, max_size=m))
    at_head = draw(st.lists(seconds, min_size=m, max_size=m))
    edges = draw(st.lists(st.integers(0, m - 1), max_size=6))
    starts = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2))
    stops = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2))
    scale = draw(st.floats(0.1, 3.0))
    limit = draw(st.floats(0.0, 3e4))
    return edges, tail, head, way, at_head, dist, scale, starts, stops, limit


@settings(max_examples=400, deadline=None)
@given(case=cases())
def test_the_kernel_is_the_bound_written_out(case: tuple[Any, ...]) -> None:
    edges, tail, head, way, at_head, dist, scale, starts, stops, limit = case
    got = walks_through_cost_more(
        np.asarray(edges, dtype=np.int64), np.asarray(tail, dtype=np.int32),
        np.asarray(head, dtype=np.int32), np.asarray(way, dtype=np.float64),
        np.asarray(at_head, dtype=np.float64), np.ascontiguousarray(dist, dtype=np.float64),
        float(scale), np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64),
        float(limit),
    )  # fmt: skip
    assert got == bound_written_out(*case)


@pytest.fixture(scope="module")
def centre_router(centre_graph_dir: Path) -> Router:
    router = Router(load_graph(centre_graph_dir))
    router.warm_up()
    return router


def _through(router: Router, s: SnapPoint, t: SnapPoint, e: int, metric: Any) -> float:
    """The cheapest walk from ``s`` to ``t`` that walks the whole edge ``e``: to its tail, the
    edge with its head, on from its head (three searches)."""
    graph = router.graph
    u, v = graph.tail[e], graph.head[e]
    lon, lat = graph.node["lon"], graph.node["lat"]
    at_tail = SnapPoint(e, 0.0, 0.0, float(lon[u]), float(lat[u]))
    at_head = SnapPoint(e, 1.0, 0.0, float(lon[v]), float(lat[v]))
    try:
        to_u = router.shortest_path(s, at_tail, metric).cost_s
        from_v = router.shortest_path(at_head, t, metric).cost_s
    except NoRouteError:
        return math.inf
    return to_u + float(metric.cost_s[e]) + from_v


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("wheelchair", {}),  # a preset: its own landmarks, transition bounds
        ("walk", {}),
        ("wheelchair", {"max_kerb_height_cm": 6.0}),  # a user's own: shared or borrowed ones
    ],
)
def test_a_proof_never_rules_out_a_walk_as_cheap_as_the_cheapest(
    centre_router: Router, preset: str, overrides: dict[str, float]
) -> None:
    """For random trips and random edges: whenever the bound says no cheapest walk passes the
    edge, the cheapest walk through it costs more than the cheapest walk; the route's own
    edges bound its cost from above; an edge of the cheapest walk is never ruled out. And the
    bound rules out some (the test is not empty)."""
    router = centre_router
    graph = router.graph
    metric = router.customize(router.profile(preset, overrides))
    assert metric.shared_landmarks == bool(overrides)  # both kinds of bound are tried
    rng = np.random.default_rng(11)
    proved = tried = 0
    for _ in range(60):
        a, b = rng.integers(0, graph.node_count, 2)
        s, _ = router.snap((float(graph.node["lat"][a]), float(graph.node["lon"][a])), metric)
        t, _ = router.snap(
            (float(graph.node["lat"][b]), float(graph.node["lon"][b])), metric, "destination"
        )
        try:
            path = router.shortest_path(s, t, metric)
        except NoRouteError:
            continue
        cheapest = path.cost_s
        assert known_walk_cost(metric, [path.edges.tolist()]) >= cheapest - 1e-9
        ends = {s.edge, t.edge, int(graph.edge["reverse_edge"][s.edge])}
        ends.add(int(graph.edge["reverse_edge"][t.edge]))
        on_path = [int(e) for e in path.edges if int(e) not in ends]
        for e in on_path[:3]:
            assert not cannot_pass(metric, graph, s, t, np.array([e]), cheapest)
        for e in rng.integers(0, graph.edge_count, 6).tolist():
            if e in ends:
                continue
            tried += 1
            if cannot_pass(metric, graph, s, t, np.array([e], dtype=np.int64), cheapest):
                proved += 1
                assert _through(router, s, t, e, metric) > cheapest
    assert tried > 0
    assert proved >= tried // 4, (proved, tried)


def test_no_known_walk_proves_nothing(centre_router: Router) -> None:
    metric = centre_router.customize(centre_router.profile("walk"))
    assert known_walk_cost(metric, []) == math.inf
    assert known_walk_cost(metric, [[]]) == math.inf
    snap = SnapPoint(0, 0.5, 0.0, 0.0, 0.0)
    far = np.array([centre_router.graph.edge_count - 1], dtype=np.int64)
    assert not cannot_pass(metric, centre_router.graph, snap, snap, far, math.inf)


def _answers(client: TestClient, trips: list[dict[str, Any]]) -> list[Any]:
    out = []
    for body in trips:
        answer = client.post("/routes", json=body)
        assert answer.status_code in (200, 404), answer.text
        routes = answer.json().get("routes") if answer.status_code == 200 else None
        out.append([r["obstacles"] for r in routes] if routes else answer.status_code)
    return out


def test_answers_with_the_bound_are_the_answers_without_it(
    start_app: Callable[..., TestClient],
    tmp_path: Path,
    baseline: dict[str, dict[str, Any]],
) -> None:
    """Closures and other obstacles active on the centre graph; for seeded trips of three
    presets and a user's own limits (with alternatives), every route's ``passed`` and
    ``avoided`` with the bound are those without it, and the bound spared searches."""
    from api.db.session import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'bound.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    staff = make_keys(url)["staff"]
    client = start_app(url)
    wheelchair, walk = baseline["wheelchair"], baseline["walk"]
    for body in (
        obstacle_body(point_on(wheelchair, 0.5)),
        obstacle_body(point_on(walk, 0.3)),
        obstacle_body(point_on(walk, 0.8), effect={"kerb_height_cm": 12}),
        obstacle_body(point_on(wheelchair, 0.2), effect={"width_m": 0.6}),
    ):
        created = client.post("/obstacles", json=body, headers=staff)
        assert created.status_code == 201, created.text
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    graph = live.router.graph
    rng = np.random.default_rng(5)
    trips = []
    for i in range(90):
        a, b = rng.integers(0, graph.node_count, 2)
        trips.append({
            "origin": {"lat": float(graph.node["lat"][a]), "lon": float(graph.node["lon"][a])},
            "destination": {"lat": float(graph.node["lat"][b]), "lon": float(graph.node["lon"][b])},
            "profile": (
                {"name": ("wheelchair", "walk", "rollator")[i % 3]}
                if i % 4
                else {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 6}}
            ),
            "alternatives": i % 2,
        })  # fmt: skip
    live.meets.reference_bound = True
    spared = live.meets.references_spared
    with_bound = _answers(client, trips)
    assert live.meets.references_spared > spared  # the bound was used
    live.meets.reference_bound = False
    live.meets._references.clear()  # every reference searched again
    assert _answers(client, trips) == with_bound
    assert any(isinstance(r, list) and any(o["avoided"] for o in r) for r in with_bound)


def test_a_route_snapped_elsewhere_bounds_nothing() -> None:
    """A route whose ends are not the reference's (snapped below ground) is no walk between
    the reference's ends: its cost bounds nothing."""
    from api.obstacles.reference_bound import snapped_at

    s = SnapPoint(3, 0.25, 1.0, 7.7, 49.4)
    t = SnapPoint(8, 0.5, 2.0, 7.8, 49.5)
    ends = {"origin": {"lon": 7.7, "lat": 49.4, "distance_m": 1.0}}
    assert snapped_at(ends | {"destination": {"lon": 7.8, "lat": 49.5}}, s, t)
    assert not snapped_at(ends | {"destination": {"lon": 7.8, "lat": 49.50001}}, s, t)
    assert not snapped_at(ends, s, t)
    assert not snapped_at({}, s, t)
