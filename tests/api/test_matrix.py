"""``POST /matrix`` and :func:`routing.matrix.cost_matrix` on the Kaiserslautern centre extract.

Every cell must equal what a single query finds: the cost of ``Router.shortest_path`` between the
same snapped points (1e-9 relative), and the distance and duration of the route built from that
path. Limits answer 422 ``matrix_too_large``; bad points ``invalid_request`` / ``out_of_area``.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from accessibility_rules.profile import preset_names
from routing.engine import Router
from routing.errors import InvalidCoordinateError, NoRouteError, OutOfAreaError
from routing.matrix import _tree_sums, cost_matrix, matrix_steps
from routing.report import build_route
from routing.walk_pieces import start_pieces
from testers.pairs import PointSampler
from tests.api.support import assert_error

pytestmark = pytest.mark.realdata

REL = 1e-9
FAR_AWAY = {"lat": 49.30, "lon": 7.77}  # ~15 km south of the centre extract


@pytest.fixture(scope="module")
def centre_router(centre_graph_dir: Path) -> Router:
    from graphs.store import load_graph

    router = Router(load_graph(centre_graph_dir))
    router.warm_up()
    return router


@pytest.fixture(scope="module")
def points(centre_router: Router) -> list[tuple[float, float]]:
    """11 reproducible points on the centre's streets (5 sources, 6 targets)."""
    return PointSampler(centre_router.graph).points(11, np.random.default_rng(7))


def as_json(pts: list[tuple[float, float]]) -> list[dict[str, float]]:
    return [{"lat": lat, "lon": lon} for lat, lon in pts]


def single(router: Router, a: tuple[float, float], b: tuple[float, float], profile: str) -> Any:
    """(cost, route) of one query between the points as the matrix snaps them."""
    prof = router.profile(profile)
    metric = router.customize(prof)
    s, _ = router.snap(a, metric)
    t, _ = router.snap(b, metric)
    try:
        path = router.shortest_path(s, t, metric)
    except NoRouteError:
        return math.inf, None
    table = router.customizer.report_table()
    return path.cost_s, build_route(router.graph, table, prof, metric.weights, path, None)


# ------------------------------------------------------------------------- the computation


@pytest.mark.parametrize("profile", ["walk", "wheelchair", "blind", "electric_wheelchair"])
def test_matrix_equals_single_queries(centre_router: Router, points: list, profile: str) -> None:
    sources, targets = points[:5], points[5:]
    m = cost_matrix(centre_router, sources, targets, profile)
    assert m.cost_s.shape == m.distance_m.shape == m.duration_s.shape == (5, 6)
    for i, a in enumerate(sources):
        for j, b in enumerate(targets):
            cost, route = single(centre_router, a, b, profile)
            got = float(m.cost_s[i, j])
            if math.isinf(cost):
                assert math.isinf(got)
                continue
            assert math.isclose(got, cost, rel_tol=REL), (i, j, got, cost)
            assert m.distance_m[i, j] == pytest.approx(route.distance_m, rel=1e-9, abs=1e-6)
            assert m.duration_s[i, j] == pytest.approx(route.duration_s, rel=1e-9, abs=1e-6)
            assert m.verdict[i, j] == route.accessibility.verdict
            assert bool(m.fully_accessible[i, j]) == (route.accessibility.verdict == "yes")


def _verdict_points(router: Router, seed: int) -> tuple[list, list]:
    """20 random sources and 20 random targets, plus points the verdict is easily wrong at:
    the sources themselves and points a few decimetres along their street piece (the direct
    walk along one edge), and graph nodes, half of them barriers, crossings or kerbs (points
    snapped to an edge's very end, whose exit walks nothing of its edge: the route ends on the
    node and does not pass what it holds)."""
    rng = np.random.default_rng(seed)
    g = router.graph
    eff = router.customizer.effective
    pts = PointSampler(g).points(40, rng)
    held = (eff.barrier != 0) | (eff.crossing != 0) | (eff.kerb_count > 0)
    picked = np.concatenate(
        [
            rng.choice(np.unique(g.head[held]), size=6, replace=False),
            rng.integers(g.node_count, size=6),
        ]
    )
    nodes = [(float(g.node["lat"][v]), float(g.node["lon"][v])) for v in picked.tolist()]
    sources = pts[:20] + nodes[::3]
    near = [(lat + 2e-6, lon - 2e-6) for lat, lon in pts[:6]]
    targets = pts[20:] + pts[:4] + near + nodes
    return sources, targets


def assert_verdicts_equal_single_routes(
    router: Router, profile: Any, sources: list, targets: list
) -> Counter[str]:
    """Every cell's verdict (and distance, duration) equals ``Router.route``'s for that pair;
    returns the verdicts seen, plus ``"direct"`` for routes along a single edge."""
    m = cost_matrix(router, sources, targets, profile)
    seen: Counter[str] = Counter()
    for i, a in enumerate(sources):
        for j, b in enumerate(targets):
            try:
                route = router.route(a, b, profile, compare_walk=False)
            except NoRouteError:
                assert m.verdict[i, j] is None
                assert m.verdict_code[i, j] == -1
                continue
            verdict = route.accessibility.verdict
            assert m.verdict[i, j] == verdict, (i, j, route.accessibility)
            assert bool(m.fully_accessible[i, j]) == (verdict == "yes")
            assert m.distance_m[i, j] == pytest.approx(route.distance_m, rel=1e-9, abs=1e-6)
            assert m.duration_s[i, j] == pytest.approx(route.duration_s, rel=1e-9, abs=1e-6)
            assert math.isclose(float(m.cost_s[i, j]), route.cost_s, rel_tol=REL), (i, j)
            seen[verdict] += 1
            seen["direct"] += len(route.edges) == 1
    return seen


@pytest.mark.parametrize("profile", preset_names())
def test_matrix_verdicts_equal_single_routes(centre_router: Router, profile: str) -> None:
    """About 800 cells per preset: the matrix's verdict is the single route's."""
    sources, targets = _verdict_points(centre_router, seed=17)
    seen = assert_verdicts_equal_single_routes(centre_router, profile, sources, targets)
    assert seen["direct"] >= 10, seen
    assert seen["yes"] + seen["unknown"] + seen["no"] >= 700, seen


def test_matrix_verdicts_with_closures_and_forbidden_unknowns(centre_graph_dir: Path) -> None:
    """Closed nodes where points snap (passed, started at, beyond the end), closed edges, every
    unknown forbidden, handrails required on allowed steps, estimated inclines breaking."""
    from graphs.store import load_graph

    router = Router(load_graph(centre_graph_dir))
    sources, targets = _verdict_points(router, seed=29)
    g = router.graph
    edge = {k: v.copy() for k, v in g.edge.items()}
    node = {k: v.copy() for k, v in g.node.items()}
    walk = router.customize(router.profile("walk"))
    rng = np.random.default_rng(5)
    for k, p in enumerate(sources[:6] + targets[:6] + sources[-3:] + targets[-5:]):
        s, _ = router.snap(p, walk)
        node["closed"][(g.head if k % 2 else g.tail)[s.edge]] = True
        edge["closed"][s.edge] |= bool(rng.random() < 0.2)
    router.customizer.replace_attributes(edge, node)
    forbid = {"unknown": {f: "forbid" for f in ("incline", "kerb_height", "width", "surface", "barrier")}}  # fmt: skip
    seen: Counter[str] = Counter()
    for name, overrides in (
        ("wheelchair", forbid),
        ("wheelchair", {"estimated_incline_breaks_limit": True}),
        (
            "rollator",
            {"require_handrail_on_steps": True, "avoid_steps": False, "max_step_count": 3},
        ),
        ("walk", {}),
    ):
        profile = router.profile(name, overrides)
        seen += assert_verdicts_equal_single_routes(router, profile, sources, targets)
    assert min(seen["no"], seen["unknown"], seen["yes"]) >= 100, seen


def test_tree_facts_equal_a_walk_up_the_tree(centre_router: Router, points: list) -> None:
    """The pointer doubling ORs an edge's bits into every node below it (brute force: walk the
    predecessor edges from each settled node to its root)."""
    metric = centre_router.customize(centre_router.profile("wheelchair"))
    s, _ = centre_router.snap(points[0], metric)
    query = centre_router.query(metric)
    query.add_sources(start_pieces(centre_router.graph, s))
    query.run_to_nodes(np.arange(centre_router.graph.node_count))
    closed, pred = query.tree()
    tail = np.asarray(centre_router.graph.tail, dtype=np.int64)
    m = centre_router.graph.edge_count
    bits = np.random.default_rng(1).integers(0, 4, m).astype(np.uint8)
    length = np.random.default_rng(2).random(m)
    root, acc_len, _, acc_bits = _tree_sums(closed, pred, tail, length, length, bits)
    for v in np.flatnonzero(closed)[::7].tolist():
        want_bits, want_len, u = 0, 0.0, v
        while pred[u] >= 0:
            want_bits |= int(bits[pred[u]])
            want_len += float(length[pred[u]])
            u = int(tail[pred[u]])
        assert (int(root[v]), int(acc_bits[v])) == (u, want_bits)
        assert acc_len[v] == pytest.approx(want_len, rel=1e-12, abs=1e-12)


def test_same_point_and_same_street_use_the_direct_walk(
    centre_router: Router, points: list
) -> None:
    a = points[0]
    near = (a[0] + 2e-6, a[1] + 2e-6)  # a few decimetres away, on the same street piece
    m = cost_matrix(centre_router, [a], [a, near, points[1]], "walk")
    assert m.cost_s[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert m.distance_m[0, 0] == pytest.approx(0.0, abs=1e-9)
    cost, route = single(centre_router, a, near, "walk")
    assert math.isclose(float(m.cost_s[0, 1]), cost, rel_tol=REL, abs_tol=1e-12)
    assert m.distance_m[0, 1] == pytest.approx(route.distance_m, abs=1e-6)
    assert m.distance_m[0, 1] < 1.0


def test_points_are_named_in_errors(centre_router: Router, points: list) -> None:
    with pytest.raises(OutOfAreaError) as out:
        cost_matrix(centre_router, points[:2], [points[2], (49.30, 7.77)], "walk")
    assert out.value.details["field"] == "targets[1]"
    with pytest.raises(InvalidCoordinateError) as bad:
        cost_matrix(centre_router, [(float("nan"), 7.77)], points[:1], "walk")
    assert bad.value.details["field"] == "sources[0]"


# ---------------------------------------------------------------------------------- the API


def test_post_matrix_5x6_equals_single_queries(
    client: TestClient, centre_router: Router, points: list
) -> None:
    sources, targets = points[:5], points[5:]
    body = {
        "sources": as_json(sources),
        "targets": as_json(targets),
        "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 4}},
    }
    response = client.post("/matrix", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert "© OpenStreetMap contributors" in out["attribution"]
    assert out["licence_url"].startswith("https://")
    assert out["profile"]["name"] == "wheelchair"
    assert out["profile"]["max_kerb_height_cm"] == 4
    assert len(out["sources"]) == 5
    assert len(out["targets"]) == 6
    for key in ("durations_s", "costs_s", "distances_m", "verdicts", "fully_accessible"):
        assert len(out[key]) == 5, key
        assert all(len(row) == 6 for row in out[key]), key
    prof = centre_router.profile("wheelchair", {"max_kerb_height_cm": 4})
    for i, a in enumerate(sources):
        for j, b in enumerate(targets):
            cost, route = single(centre_router, a, b, prof)  # type: ignore[arg-type]
            if math.isinf(cost):
                assert out["costs_s"][i][j] is None
                assert out["verdicts"][i][j] is None
                assert out["fully_accessible"][i][j] is None
                continue
            assert out["costs_s"][i][j] == pytest.approx(cost, abs=0.051)  # rounded to 0.1 s
            assert out["durations_s"][i][j] == pytest.approx(route.duration_s, abs=0.051)
            assert out["distances_m"][i][j] == pytest.approx(route.distance_m, abs=0.051)
            assert out["verdicts"][i][j] == route.accessibility.verdict
            assert out["fully_accessible"][i][j] is (route.accessibility.verdict == "yes")


def test_post_matrix_100x100_is_allowed(client: TestClient, centre_router: Router) -> None:
    pts = PointSampler(centre_router.graph).points(200, np.random.default_rng(3))
    response = client.post("/matrix", json={"sources": as_json(pts[:100]), "targets": as_json(pts[100:])})  # fmt: skip
    assert response.status_code == 200, response.text
    out = response.json()
    assert len(out["durations_s"]) == 100
    assert all(len(row) == 100 for row in out["durations_s"])
    assert out["profile"]["name"] == "walk"


def test_too_many_cells(client: TestClient, points: list) -> None:
    p = as_json(points[:1])
    body = assert_error(
        client.post("/matrix", json={"sources": p * 101, "targets": p * 100}),
        422,
        "matrix_too_large",
    )
    assert body["details"]["max_cells"] == 10_000
    assert body["details"]["cells"] == 10_100
    assert "10000" in body["message"]


def test_too_many_points_in_one_list(client: TestClient, points: list) -> None:
    p = as_json(points[:1])
    body = assert_error(
        client.post("/matrix", json={"sources": p, "targets": p * 1001}), 422, "matrix_too_large"
    )
    assert body["details"]["max_points"] == 1000
    assert body["details"]["field"] == "targets"
    assert "1000" in body["message"]


def test_cell_limit_comes_from_the_settings(
    make_client: Callable[..., TestClient], points: list
) -> None:
    with make_client(max_matrix_cells=6) as c:
        ok = c.post("/matrix", json={"sources": as_json(points[:2]), "targets": as_json(points[2:5])})  # fmt: skip
        assert ok.status_code == 200, ok.text
        big = {"sources": as_json(points[:2]), "targets": as_json(points[2:6])}
        body = assert_error(c.post("/matrix", json=big), 422, "matrix_too_large")
    assert body["details"]["max_cells"] == 6


@pytest.mark.parametrize(
    "change",
    [
        {"sources": [{"lat": 91.0, "lon": 7.77}]},
        {"sources": [{"lat": 49.44}]},
        {"sources": [{"lat": 49.44, "lon": 7.77, "alt": 3}]},
        {"sources": []},
        {"targets": "49.44,7.77"},
        {"extra": 1},
    ],
    ids=["lat-range", "missing-lon", "extra-point-field", "empty", "not-a-list", "extra-field"],
)
def test_bad_requests_are_invalid_request(client: TestClient, points: list, change: dict) -> None:
    body = {"sources": as_json(points[:1]), "targets": as_json(points[1:2])} | change
    assert_error(client.post("/matrix", json=body), 422, "invalid_request")


def test_point_out_of_area(client: TestClient, points: list) -> None:
    body = {"sources": [*as_json(points[:2]), FAR_AWAY], "targets": as_json(points[2:4])}
    error = assert_error(client.post("/matrix", json=body), 422, "out_of_area")
    assert error["details"]["field"] == "sources[2]"
    assert error["details"]["distance_m"] > 10_000


def test_unknown_profile(client: TestClient, points: list) -> None:
    body = {
        "sources": as_json(points[:1]),
        "targets": as_json(points[1:2]),
        "profile": {"name": "hovercraft"},
    }
    assert_error(client.post("/matrix", json=body), 404, "unknown_profile")


def test_openapi_types_the_verdicts_and_deprecates_fully_accessible(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["MatrixResponse"]
    verdicts = schema["properties"]["verdicts"]
    cell = verdicts["items"]["items"]
    options = cell["anyOf"]
    assert {"type": "null"} in options
    assert any(o.get("enum") == ["yes", "unknown", "no"] for o in options), cell
    assert "verdicts" in schema["required"]
    assert schema["properties"]["fully_accessible"]["deprecated"] is True


# ------------------------------------------------------------------------- in slices


@pytest.mark.parametrize("profile", ["wheelchair", "elderly"])  # elderly: the rest matrix
def test_a_matrix_in_slices_is_the_matrix(
    centre_router: Router, points: list, profile: str
) -> None:
    """With slices of no time, :func:`matrix_steps` pauses after every source row (the thread's
    query taken anew each time, as after other work) and ends with the matrix
    :func:`cost_matrix` gives, cell for cell."""
    sources, targets = points[:5], points[5:]
    steps = list(matrix_steps(centre_router, sources, targets, profile, slice_s=0.0))
    assert steps[:-1] == [None] * (len(sources) - 1)
    sliced, whole = steps[-1], cost_matrix(centre_router, sources, targets, profile)
    assert sliced is not None
    for name in ("cost_s", "distance_m", "duration_s", "verdict_code"):
        np.testing.assert_array_equal(getattr(sliced, name), getattr(whole, name), err_msg=name)


def test_a_route_is_answered_between_the_slices_of_a_matrix(
    make_client: Callable[..., TestClient], points: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A matrix runs one slice per job of the worker's CPU thread: a route asked meanwhile is
    computed between two slices, not after the whole matrix (found by a hostile-input battery:
    one anonymous 1000 × 10 matrix held the short routes of its worker for about 1.3 s). The
    matrix is held (deterministically) after its first slice until the route has answered."""
    import api.routes.matrix as endpoint

    monkeypatch.setattr(endpoint, "MATRIX_SLICE_S", 0.0)
    sliced, release = threading.Event(), threading.Event()
    real_run_cpu = endpoint.run_cpu
    calls = {"next": 0}

    async def held_run_cpu(func: Any, *args: Any) -> Any:
        if func is next:
            calls["next"] += 1
            if calls["next"] == 2:  # the first slice is done: hold the rest
                sliced.set()
                await asyncio.to_thread(release.wait, 20.0)
        return await real_run_cpu(func, *args)

    monkeypatch.setattr(endpoint, "run_cpu", held_run_cpu)
    held = 20.0
    body = {"sources": [{"lat": a, "lon": b} for a, b in points[:4]],
            "targets": [{"lat": a, "lon": b} for a, b in points[4:]]}  # fmt: skip
    route = {"origin": body["sources"][0], "destination": body["targets"][0]}
    with make_client() as client, ThreadPoolExecutor(2) as pool:
        matrix = pool.submit(client.post, "/matrix", json=body)
        try:
            assert sliced.wait(held), "the matrix never paused"
            answered = pool.submit(client.post, "/routes", json=route).result(timeout=held)
            assert answered.status_code == 200, answered.text
            assert not matrix.done(), "the matrix was not held while the route answered"
        finally:
            release.set()
        done = matrix.result(timeout=held)
        assert done.status_code == 200, done.text
        assert calls["next"] == len(body["sources"])  # one slice per source row


def test_openapi_lists_the_401_of_a_wrong_key(client: TestClient) -> None:
    """A wrong key is refused with 401 (a missing one is anonymous): OpenAPI says so (it
    listed 200, 404, 413 and 422 only)."""
    responses = client.get("/openapi.json").json()["paths"]["/matrix"]["post"]["responses"]
    assert "401" in responses
    origin, destination = {"lat": 49.4447, "lon": 7.7690}, {"lat": 49.4390, "lon": 7.7640}
    body = {"sources": [origin], "targets": [destination]}
    wrong = client.post("/matrix", json=body, headers={"X-API-Key": "wrong"})
    assert wrong.status_code == 401, wrong.text
    assert wrong.json()["code"] == "unauthorized"
