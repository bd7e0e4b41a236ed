"""Obstacles by city staff and citizen reports, end to end, on SQLite and on PostgreSQL.

Every test runs once per database (``database_url`` is parametrised). PostgreSQL needs
``STUFENLOS_TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets it); each test gets its own
schema there, and its own file on SQLite. The app runs on the Kaiserslautern centre graph
(lat 49.436–49.446, lon 7.760–7.777) with an injected clock, so that tests move time instead of
waiting for it.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accessibility_rules.conditions import Conditions
from accessibility_rules.effective import effective_edges
from accessibility_rules.weights import compute_weights
from api.obstacles.beacon import WriteBeacon
from api.obstacles.live import LiveObstacles
from api.obstacles.route_meets import MAP_WITHOUT_OBSTACLES
from graphs.arrays import array_fields
from routing.engine import Router
from routing.metric import Metric
from routing.walking import MEETS_WALKED
from tests.api.serving import app_state
from tests.api.support import (
    DESTINATION,
    ORIGIN,
    FakeClock,
    HeldRevision,
    assert_error,
    ids,
    is_write,
    make_keys,
    obstacle_body,
    passes_near,
    point_on,
    route,
    sent_statements,
)

pytestmark = pytest.mark.realdata


# ------------------------------------------------------------------------------------ fixtures
# the database fixtures (``database_url``, ``keys``, ``start_app``, ...): tests/api/conftest.py


@pytest.fixture
def client(start_app: Callable[..., TestClient], database_url: str) -> TestClient:
    """A started app on this test's database (not the session's shared client)."""
    return start_app(database_url)


# ------------------------------------------------------------------------------- live effect


def test_closure_applies_before_the_write_is_answered(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    before = route(client)
    assert before["distance_m"] == baseline["wheelchair"]["distance_m"]
    assert before["obstacles"] == {"passed": [], "avoided": []}

    created = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
    assert created.status_code == 201, created.text
    obstacle = created.json()
    assert obstacle["active"] is True
    assert obstacle["version"] == 1
    assert obstacle["source"] == "staff"
    assert obstacle["author"] == "Frau Weber (Tiefbauamt)"
    assert created.headers["ETag"] == '"1"'
    match = obstacle["match"]  # what staff changed
    assert match["edge_count"] >= 2
    assert match["piece_count"] >= 1
    assert match["length_m"] > 0
    assert match["geometry"]["type"] == "MultiLineString"

    after = route(client)  # the very next route
    assert not passes_near(after, on_route)
    assert after["distance_m"] > before["distance_m"]
    assert ids(after["obstacles"]["avoided"]) == [obstacle["id"]]
    assert after["obstacles"]["passed"] == []
    assert after["obstacles"]["avoided"][0]["reason"] == "Baustelle: Gehweg gesperrt"

    public = client.get("/obstacles/active")  # no key needed
    assert public.status_code == 200
    collection = public.json()
    assert collection["type"] == "FeatureCollection"
    assert "OpenStreetMap" in collection["attribution"]
    assert [f["id"] for f in collection["features"]] == [obstacle["id"]]
    assert "author" not in collection["features"][0]["properties"]


def test_the_map_without_obstacles_walks_on_the_routers_own_weights(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """At start, before any obstacle is applied, the walking weights of the map without
    obstacles (what ``obstacles.avoided`` compares with) are the router's own, not a copy; they
    equal the weights computed on the pristine graph, and a write leaves them as they were."""
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    router = live.router
    walk = router.profile("walk")
    pristine, now = live.meets.walk_weights()
    assert pristine is now is router.customizer.weights(walk)
    graph = live.overlay.pristine_graph()
    expected = array_fields(compute_weights(walk, graph.edge, effective_edges(graph)))
    created = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
    assert created.status_code == 201, created.text
    assert ids(route(client)["obstacles"]["avoided"]) == [created.json()["id"]]  # applied
    pristine_after, patched = live.meets.walk_weights()
    assert pristine_after is pristine
    assert patched is not pristine
    assert not np.array_equal(patched.cost_s, pristine.cost_s)
    for name, values in array_fields(pristine).items():
        assert np.array_equal(values, expected[name], equal_nan=True), name


@pytest.fixture
def kept_wheelchair(
    centre_graph_dir: Path, database_url: str, clock: FakeClock
) -> tuple[Router, FastAPI, dict[Conditions, Metric]]:
    """An app on a router that kept the wheelchair preset's metrics by day and in the dark, as
    ``stufenlos serve`` keeps every preset's before its workers start
    (``api.preload.preload_app``); the kept metrics by conditions."""
    from api.app import create_app, load_router
    from api.preload import preset_conditions
    from api.settings import Settings

    settings = Settings(graph_dir=centre_graph_dir, database_url=database_url)
    router = load_router(settings)
    wheelchair = router.profile("wheelchair")
    kept = {}
    for conditions in preset_conditions(router, wheelchair):  # by day and in the dark
        kept[conditions] = router.customize(wheelchair, conditions, keep=True)
    app = create_app(settings, router=router)
    app.state.clock = clock
    return router, app, kept


def test_a_presets_map_without_obstacles_is_the_metric_the_server_kept(
    kept_wheelchair: tuple[Router, FastAPI, dict[Conditions, Metric]],
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """After a closure, what a wheelchair route is compared with for ``obstacles.avoided``
    searches on the metrics the server kept (shared by the workers), not on a copy weighed
    again; the cache holds their patched copies."""
    from accessibility_rules.weights import weights_profile

    router, app, kept = kept_wheelchair
    wheelchair = router.profile("wheelchair")
    with TestClient(app) as client:
        created = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
        assert created.status_code == 201, created.text
        assert ids(route(client)["obstacles"]["avoided"]) == [created.json()["id"]]
        live = client.app.state.live_obstacles  # type: ignore[attr-defined]
        for conditions in kept:  # nothing weighed again
            key = (MAP_WITHOUT_OBSTACLES, weights_profile(wheelchair), conditions)
            assert router.customizer.cached_metric(key) is None
        graph = live.overlay.pristine_graph()
        for conditions, metric in kept.items():
            assert router.customizer.original_metric(wheelchair, conditions) is metric
            assert live.meets.pristine(weights_profile(wheelchair), conditions) is metric
            assert router.customize(wheelchair, conditions) is not metric  # patched
            expected = compute_weights(
                weights_profile(wheelchair), graph.edge, effective_edges(graph), conditions
            )
            np.testing.assert_array_equal(metric.cost_s, expected.cost_s)


def test_the_walking_reference_searches_on_the_kept_walk_metric(
    kept_wheelchair: tuple[Router, FastAPI, dict[Conditions, Metric]],
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """The walking route on the map without obstacles (``obstacles.avoided``) is searched on
    the walk preset's metric the server kept, with its own landmarks (on the shared ones a
    search took 106 µs against 67); without a kept one, on the router's own walking weights."""
    from accessibility_rules.conditions import DEFAULT_CONDITIONS

    router, app, _ = kept_wheelchair
    walk = router.profile("walk")
    kept = router.customize(walk, keep=True)  # as the server keeps every preset
    assert not kept.shared_landmarks
    with TestClient(app) as client:
        created = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
        assert created.status_code == 201, created.text
        assert ids(route(client)["obstacles"]["avoided"]) == [created.json()["id"]]
        live = client.app.state.live_obstacles  # type: ignore[attr-defined]
        assert live.meets.pristine(walk, DEFAULT_CONDITIONS) is kept
        assert router.customize(walk) is not kept  # patched
        live.meets._pristine_metric, live.meets._originals_pristine = None, False
        made = live.meets.pristine(walk, DEFAULT_CONDITIONS)
        assert made is not kept
        assert made.weights is live.meets.walk_weights()[0]
        assert made.shared_landmarks


def test_a_personal_profiles_map_without_obstacles_holds_its_presets_equal_arrays(
    kept_wheelchair: tuple[Router, FastAPI, dict[Conditions, Metric]],
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """What a personal profile's route is compared with for ``obstacles.avoided`` (its metric
    on the map without obstacles, weighed in the worker) holds the arrays it has equal to its
    preset's kept original (``routing/array_sharing.py``), the others of its own, every one
    with the bits of a computation alone; it is cached in the router's metric cache, counted in
    its byte bound."""
    from accessibility_rules.weights import weights_profile
    from api.preload import preset_conditions
    from routing.array_sharing import equal_bits

    router, app, _ = kept_wheelchair
    wheelchair = router.profile("wheelchair")
    personal = weights_profile(router.profile("wheelchair", {"walking_speed_mps": 0.5}))
    conditions = preset_conditions(router, personal)[0]
    original = router.customizer.original_metric(wheelchair, conditions)
    assert original is not None
    assert router.customizer.originals_alike(personal, conditions)[0] is original
    with TestClient(app) as client:
        created = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
        assert created.status_code == 201, created.text
        live = client.app.state.live_obstacles  # type: ignore[attr-defined]
        pristine = live.meets.pristine(personal, conditions)
        assert live.meets.pristine(personal, conditions) is pristine
        cached = router.customizer.cached_metric((MAP_WITHOUT_OBSTACLES, personal, conditions))
        assert cached is not None
        assert cached is pristine
        assert router.customizer.metric_cache.nbytes >= pristine.nbytes
        graph = live.overlay.pristine_graph()
        alone = compute_weights(personal, graph.edge, effective_edges(graph), conditions)
        shared = 0
        for name, values in array_fields(alone).items():
            mine, theirs = getattr(pristine.weights, name), getattr(original.weights, name)
            assert equal_bits(mine, values), name
            assert (mine is theirs) == equal_bits(mine, theirs), name
            shared += mine is theirs
        assert 0 < shared < len(array_fields(alone))  # the slower speed changes some


def test_a_change_of_the_live_obstacles_hands_the_freed_heap_back(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each change of the applied obstacles replaces a generation of arrays: the worker returns
    the C heap's free pages to the system then (``api/heap.py``), not only at start-up."""
    import api.obstacles.live

    trims: list[int] = []
    monkeypatch.setattr(api.obstacles.live, "release_free_heap", lambda: trims.append(1))
    created = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
    assert created.status_code == 201, created.text
    route(client)  # applied by now (before the route, or before the write was answered)
    assert len(trims) == 1
    route(client)  # nothing changed: no trim
    assert len(trims) == 1


def test_a_reload_keeps_what_it_applied_of_unchanged_obstacles(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    """Every write makes each worker read all active obstacles again; one applied before at the
    same version keeps its placing and validated effect (nothing matched, projected or
    validated again), and a new version of it is applied anew."""
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    staff = keys["staff"]
    first = client.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()["id"]
    route(client)
    placed = live.active[first]
    effect = placed.patch
    assert effect is not None
    other = obstacle_body(point_on(baseline["wheelchair"], 0.2), reason="Gerüst")
    second = client.post("/obstacles", json=other, headers=staff).json()["id"]
    route(client)
    assert live.active[first] is placed
    assert live.active[first].patch is effect
    assert sorted(live.active) == sorted([first, second])
    changed = client.patch(
        f"/obstacles/{first}", json={"version": 1, "reason": "bis Freitag"}, headers=staff
    )
    assert changed.status_code == 200, changed.text
    route(client)
    assert live.active[first].version == 2
    assert live.active[first].reason == "bis Freitag"
    assert live.active[second].version == 1


def test_narrowing_blocks_wheelchair_but_not_walk(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    body = obstacle_body(on_route, effect={"width_m": 0.8}, reason="Gerüst: 80 cm frei")
    created = client.post("/obstacles", json=body, headers=keys["staff"])
    assert created.status_code == 201, created.text
    oid = created.json()["id"]

    wheelchair = route(client, "wheelchair")
    assert not passes_near(wheelchair, on_route)
    assert ids(wheelchair["obstacles"]["avoided"]) == [oid]
    assert wheelchair["accessibility"]["verdict"] != "no"  # breaks nothing known
    assert wheelchair["accessibility"]["breaks"] == []

    walk = route(client, "walk")
    assert passes_near(walk, on_route)
    assert walk["distance_m"] == baseline["walk"]["distance_m"]
    assert ids(walk["obstacles"]["passed"]) == [oid]
    assert walk["obstacles"]["avoided"] == []


def test_a_closure_on_the_profiles_own_way_is_avoided_where_walkers_never_go(
    client: TestClient, keys: dict[str, dict[str, str]], baseline: dict[str, dict[str, Any]]
) -> None:
    """A closure on the wheelchair route that the plain walking route does not use: the
    wheelchair route goes around it and names it avoided (the reference is the route the
    profile takes on the map without obstacles, not only the walking one); the walking route
    neither passes nor avoids it."""
    chair, walk = baseline["wheelchair"], baseline["walk"]
    coords = chair["geometry"]["coordinates"]
    apart = [
        [round((a[0] + b[0]) / 2, 7), round((a[1] + b[1]) / 2, 7)]
        for a, b in itertools.pairwise(coords[2:-2])
        if math.dist(a, b) > 1e-4
    ]
    apart = [p for p in apart if not passes_near(walk, p, 15.0)]
    assert apart, "the wheelchair route and the walking route part somewhere"
    point = apart[len(apart) // 2]
    created = client.post("/obstacles", json=obstacle_body(point), headers=keys["staff"])
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    after = route(client, "wheelchair")
    assert not passes_near(after, point)
    assert ids(after["obstacles"]["avoided"]) == [oid]
    assert after["obstacles"]["passed"] == []
    assert any(step["type"] == "obstacle" for step in after["steps"])  # said, with its reason
    on_foot = route(client, "walk")
    assert on_foot["obstacles"] == {"passed": [], "avoided": []}


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [("wheelchair", {}), ("blind", {}), ("elderly", {}),
     ("elderly", {"max_distance_between_rests_m": 120.0}),
     ("walk", {"max_distance_between_rests_m": 150.0}), ("rollator", {"max_kerb_height_cm": 1})],
)  # fmt: skip
def test_with_no_obstacle_a_profiles_reference_is_its_route(
    client: TestClient, preset: str, overrides: dict[str, Any]
) -> None:
    """The route a profile is compared with for "avoided" is the one the router gives it on
    the map without obstacles: with none active, the very edges its route walks (a rest limit,
    the user's own, kept the same way: rested at the start, least bad where none keeps it)."""
    from accessibility_rules.conditions import DEFAULT_CONDITIONS
    from accessibility_rules.weights import weights_profile

    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    router = live.router
    profile = router.profile(preset, overrides)
    points = ((ORIGIN["lat"], ORIGIN["lon"]), (DESTINATION["lat"], DESTINATION["lon"]))
    own = router.route(points[0], points[1], profile, compare_walk=False)
    walked = np.asarray(own.edges)[(np.asarray(own.meets) & MEETS_WALKED) != 0]
    whose = (weights_profile(profile), DEFAULT_CONDITIONS, profile.max_distance_between_rests_m)
    reference = live.meets.reference_edges(whose, points)
    assert reference is not None
    assert reference.tolist() == walked.tolist()


def test_obstacles_start_and_expire_on_time_without_restart(
    client: TestClient,
    clock: FakeClock,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    # naive times are Kaiserslautern's: 08:10 CEST is 06:10 UTC
    body = obstacle_body(on_route, valid_until="2024-06-03T08:10:00")
    created = client.post("/obstacles", json=body, headers=keys["staff"]).json()
    assert created["valid_from"] == "2024-06-03T06:00:00Z"  # default: now
    assert created["valid_until"] == "2024-06-03T06:10:00Z"
    assert created["active"] is True
    assert route(client)["distance_m"] > baseline["wheelchair"]["distance_m"]

    clock.advance(minutes=9, seconds=59)
    assert route(client)["distance_m"] > baseline["wheelchair"]["distance_m"]
    clock.advance(seconds=1)  # valid_until is exclusive
    expired = route(client)
    assert expired["distance_m"] == baseline["wheelchair"]["distance_m"]
    assert expired["obstacles"] == {"passed": [], "avoided": []}
    listed = client.get("/obstacles?status=expired", headers=keys["staff"]).json()
    assert ids(listed["obstacles"]) == [created["id"]]
    assert client.get("/obstacles/active").json()["features"] == []

    # a scheduled one starts on time, too
    later = obstacle_body(
        on_route, valid_from="2024-06-03T06:30:00Z", valid_until="2024-06-03T07:00:00+00:00"
    )
    scheduled = client.post("/obstacles", json=later, headers=keys["staff"]).json()
    assert scheduled["active"] is False
    assert route(client)["distance_m"] == baseline["wheelchair"]["distance_m"]
    clock.now = datetime(2024, 6, 3, 6, 30, tzinfo=UTC)
    assert ids(route(client)["obstacles"]["avoided"]) == [scheduled["id"]]
    clock.now = datetime(2024, 6, 3, 7, 0, tzinfo=UTC)
    assert route(client)["distance_m"] == baseline["wheelchair"]["distance_m"]


def test_restart_restores_active_obstacles(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    first = start_app(database_url)
    oid = first.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()["id"]
    first.__exit__(None, None, None)

    second = start_app(database_url)  # a new process would do exactly this
    after = route(second)
    assert after["distance_m"] > baseline["wheelchair"]["distance_m"]
    assert ids(after["obstacles"]["avoided"]) == [oid]


def test_other_workers_see_writes_at_once_through_the_beacon(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers on one host: the next route after a write has it, however long the poll; the
    reload reads the rows at once (no read of the revision alone first: it has changed)."""
    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)  # another worker process, in effect
    assert route(reader)["distance_m"] == baseline["wheelchair"]["distance_m"]
    live = app_state(reader).live_obstacles
    revision_reads: list[int] = []
    read_revision_now = live.revision_now

    def counted_revision_now() -> int:
        revision_reads.append(1)
        return read_revision_now()

    monkeypatch.setattr(live, "revision_now", counted_revision_now)
    oid = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    assert ids(route(reader)["obstacles"]["avoided"]) == [oid]
    assert revision_reads == []
    writer.delete(f"/obstacles/{oid}", headers=keys["staff"])
    assert route(reader)["distance_m"] == baseline["wheelchair"]["distance_m"]


def test_a_beacon_file_removed_while_serving_is_shared_again_after_a_poll(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    """A temporary-file cleaner removes the beacon file; a worker started after that (a dead
    one replaced) makes a new one. Its writes reach the older worker at once again after that
    one's next revision poll, which maps the file at the path."""
    reader = start_app(database_url, obstacle_poll_s=60.0)
    live = app_state(reader).live_obstacles
    path = live.beacon.path
    assert path is not None
    assert path.exists()
    path.unlink()
    respawned = start_app(database_url)  # makes the file again
    assert path.exists()
    assert live.check_revision()  # the poll: nothing changed, the file looked at
    assert live.fresh()
    oid = respawned.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    assert not live.fresh()  # the write's bump is seen before the next poll is due
    assert ids(route(reader)["obstacles"]["avoided"]) == [oid]
    respawned.delete(f"/obstacles/{oid}", headers=keys["staff"])
    assert route(reader)["distance_m"] == baseline["wheelchair"]["distance_m"]


def test_other_workers_see_writes_through_the_revision(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers on other hosts (no shared beacon): the database revision, polled."""
    writer = start_app(database_url)
    monkeypatch.setattr(WriteBeacon, "for_database", classmethod(lambda cls, url: cls(None)))
    reader = start_app(database_url, obstacle_poll_s=0.05)  # another worker process, in effect
    assert not app_state(reader).live_obstacles.beacon.enabled
    assert route(reader)["distance_m"] == baseline["wheelchair"]["distance_m"]
    oid = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    time.sleep(0.06)  # the reader checks the revision at most every 50 ms
    assert ids(route(reader)["obstacles"]["avoided"]) == [oid]
    writer.delete(f"/obstacles/{oid}", headers=keys["staff"])
    time.sleep(0.06)
    assert route(reader)["distance_m"] == baseline["wheelchair"]["distance_m"]


def test_delete_is_soft_audited_and_lifts_the_obstacle(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    oid = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    assert_error(client.delete(f"/obstacles/{oid}", headers=keys["staff"] | {"If-Match": '"7"'}), 409, "version_conflict")  # fmt: skip
    deleted = client.delete(f"/obstacles/{oid}", headers=keys["staff"])
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted_at"] is not None
    assert route(client)["distance_m"] == baseline["wheelchair"]["distance_m"]
    assert_error(client.get(f"/obstacles/{oid}", headers=keys["staff"]), 404, "not_found")
    assert_error(client.delete(f"/obstacles/{oid}", headers=keys["staff"]), 404, "not_found")
    history = client.get(f"/obstacles/{oid}/history", headers=keys["staff"]).json()["history"]
    assert [(h["version"], h["action"]) for h in history] == [(1, "create"), (2, "delete")]
    assert history[1]["author"] == "Frau Weber (Tiefbauamt)"
    assert history[1]["snapshot"]["deleted_at"] is not None


def test_staff_writes_and_their_key_check_run_in_the_pool_not_the_cpu_thread(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """api/routes/obstacles.py: create, update, delete and the key check wait for the database,
    so they run in the thread pool; in the CPU thread (2026-12-04 to 2026-12-07) every route of
    the worker waited with them."""
    import api.auth
    from api.obstacles.service import ObstacleService

    threads: list[tuple[str, str]] = []

    def recorded(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            threads.append((name, threading.current_thread().name))
            return call(*args, **kwargs)

        return run

    monkeypatch.setattr(api.auth, "authenticate", recorded("key", api.auth.authenticate))
    for name in ("create", "update", "delete"):
        method = getattr(ObstacleService, name)
        monkeypatch.setattr(ObstacleService, name, recorded(name, method))
    staff = keys["staff"]
    oid = client.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()["id"]
    changed = client.patch(f"/obstacles/{oid}", json={"reason": "neu", "version": 1}, headers=staff)
    assert changed.status_code == 200, changed.text
    assert client.delete(f"/obstacles/{oid}", headers=staff).status_code == 200
    assert [n for n, _ in threads] == ["key", "create", "key", "update", "key", "delete"]
    assert "stufenlos-cpu" not in {t for _, t in threads}


def test_a_write_that_waits_for_the_database_holds_no_route(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float], database_url: str
) -> None:
    """Another writer holds the revision row (a write of another host stuck before its commit,
    a migration, a program with the SQLite file open): a staff write waits for it, and the
    routes of its worker do not. Found 2026-12-07 against ``stufenlos serve``: with the SQLite
    file locked by another program, a route sent after a POST took 27.6 s (the write, a job of
    the CPU thread then, waited there for SQLite's busy timeout). The holder lets go after
    :data:`HOLD_S` (so that the test ends also where routes wait); the write then succeeds and
    the next route honours it."""
    staff = keys["staff"]
    before = route(client)
    answers: list[httpx.Response] = []
    writer = threading.Thread(
        target=lambda: answers.append(
            client.post("/obstacles", json=obstacle_body(on_route), headers=staff)
        )
    )
    with HeldRevision(database_url) as held:
        timer = threading.Timer(HOLD_S, held.release)
        timer.start()
        writer.start()
        try:
            time.sleep(0.5)
            assert writer.is_alive()  # waiting for the holder
            for _ in range(5):
                started = time.monotonic()
                answered = route(client)
                waited_s = time.monotonic() - started
                assert waited_s < 1.0, f"a route waited {waited_s:.1f} s with the write"
                assert answered["distance_m"] == before["distance_m"]  # not yet written
            assert client.get("/health").status_code == 200
            assert not held.released.is_set()  # the routes were answered while the write waited
        finally:
            timer.cancel()
            held.release()
            writer.join(timeout=60)
    assert [a.status_code for a in answers] == [201], answers[0].text if answers else None
    assert not passes_near(route(client), on_route)


#: How long :func:`test_a_write_that_waits_for_the_database_holds_no_route` holds the row.
HOLD_S = 5.0


def test_without_a_beacon_the_next_route_applies_a_write_not_the_writers_thread(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No beacon (a temporary folder that cannot be written): the write marks itself unapplied
    and the worker's next route reloads first, where routes run; the writer's pool thread
    reloads nothing (it reloaded there, beside the routes, once writes left the CPU thread)."""
    import api.obstacles.wiring

    monkeypatch.setattr(
        api.obstacles.wiring.WriteBeacon, "for_database", classmethod(lambda cls, url: cls(None))
    )
    client = start_app(database_url)
    live: LiveObstacles = app_state(client).live_obstacles
    assert not live.beacon.enabled
    reloads: list[str] = []
    refresh = LiveObstacles.refresh

    def recorded(self: LiveObstacles, **kwargs: Any) -> bool:
        reloads.append(threading.current_thread().name)
        return refresh(self, **kwargs)

    monkeypatch.setattr(LiveObstacles, "refresh", recorded)
    made = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
    assert made.status_code == 201, made.text
    assert reloads == []  # the write's thread did not reload
    assert not live.fresh()
    assert not passes_near(route(client), on_route)  # the next route honours it
    assert reloads
    assert live.fresh() or live.poll_due_in_s() == 0.0


def test_a_write_behind_a_lock_that_is_not_let_go_gives_up_with_503(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another writer holds the revision row and does not let go: a staff write waits for it as
    long as the database's lock timeout (SQLite's busy timeout; PostgreSQL's ``lock_timeout``,
    which was not set: the write waited without end) and then answers 503
    ``database_unavailable``, storing nothing; the next write, with the row free, succeeds.
    The timeouts are shortened here to 0.5 s (30 s in service)."""
    import api.db.session

    monkeypatch.setattr(api.db.session, "SQLITE_BUSY_TIMEOUT_MS", 500)
    monkeypatch.setattr(api.db.session, "POSTGRES_LOCK_TIMEOUT_MS", 500)
    client = start_app(database_url)
    staff = keys["staff"]
    revision = client.app.state.obstacles.revision()  # type: ignore[attr-defined]
    with HeldRevision(database_url):
        started = time.monotonic()
        refused = client.post("/obstacles", json=obstacle_body(on_route), headers=staff)
        waited_s = time.monotonic() - started
    assert_error(refused, 503, "database_unavailable")
    assert refused.headers["Retry-After"]
    assert 0.4 < waited_s < 10.0, waited_s
    assert client.get("/obstacles", headers=staff).json()["count"] == 0
    assert client.app.state.obstacles.revision() == revision  # type: ignore[attr-defined]
    assert client.post("/obstacles", json=obstacle_body(on_route), headers=staff).status_code == 201


# -------------------------------------------------------------------------------- auth, errors


def test_keys_and_roles(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    body = obstacle_body(on_route)
    for headers in ({}, keys["wrong"], keys["revoked"], {"Authorization": "Basic dXNlcjpwdw=="}):
        response = client.post("/obstacles", json=body, headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_error(client.get("/obstacles"), 401, "unauthorized")
    assert_error(client.get("/reports"), 401, "unauthorized")

    assert client.get("/obstacles", headers=keys["staff"]).status_code == 200
    assert client.get("/obstacles", headers=keys["admin"]).status_code == 200  # admin ⊇ staff
    empty = {"type": "FeatureCollection", "features": []}
    forbidden = client.post("/obstacles/import", json=empty, headers=keys["staff"])
    assert_error(forbidden, 403, "forbidden")
    imported = client.post("/obstacles/import", json=empty, headers=keys["admin"])
    assert imported.status_code == 200, imported.text


def test_version_is_required_and_checked(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    staff = keys["staff"]
    oid = client.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()["id"]
    url = f"/obstacles/{oid}"
    assert_error(client.patch(url, json={"reason": "x"}, headers=staff), 428, "version_required")
    ok = client.patch(url, json={"version": 1, "reason": "Gehweg bis Freitag gesperrt"}, headers=staff)  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2
    assert ok.json()["match"]["edge_count"] >= 2
    stale = assert_error(client.patch(url, json={"version": 1, "reason": "y"}, headers=staff), 409, "version_conflict")  # fmt: skip
    assert stale["details"]["current_version"] == 2
    by_header = client.patch(url, json={"reason": "z"}, headers=staff | {"If-Match": '"2"'})
    assert by_header.status_code == 200, by_header.text
    assert by_header.headers["ETag"] == '"3"'
    assert_error(client.patch(url, json={"reason": "z"}, headers=staff | {"If-Match": '"2"'}), 409, "version_conflict")  # fmt: skip
    assert_error(client.patch("/obstacles/nope", json={"version": 1, "reason": "z"}, headers=staff), 404, "not_found")  # fmt: skip
    got = client.get(url, headers=staff)
    assert got.headers["ETag"] == '"3"'
    assert got.json()["reason"] == "z"
    # no obstacle (none by that id, or deleted) is 404 first, with or without a version (it
    # was 428 without one: found by tests/api/test_obstacle_lifecycle.py)
    assert_error(client.patch("/obstacles/nope", json={"reason": "z"}, headers=staff), 404, "not_found")  # fmt: skip
    assert client.delete(url, headers=staff).status_code == 200
    assert_error(client.patch(url, json={"reason": "z"}, headers=staff), 404, "not_found")
    assert_error(client.patch(url, json={}, headers=staff), 404, "not_found")


def test_invalid_obstacles_are_refused(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    staff = keys["staff"]

    def post(**fields: Any) -> httpx.Response:
        return client.post("/obstacles", json=obstacle_body(on_route, **fields), headers=staff)

    far = {"type": "Point", "coordinates": [7.90, 49.50]}  # 10 km outside the centre extract
    assert "nearest path" in assert_error(post(geometry=far), 422, "obstacle_matches_nothing")["message"]  # fmt: skip
    bad_geometries = [
        {"type": "Circle", "coordinates": on_route},
        {"type": "Point", "coordinates": [on_route[1], 190.0]},
        {"type": "Point", "coordinates": ["7.76", "49.44"]},
        {"type": "LineString", "coordinates": [on_route]},
        {"type": "Polygon", "coordinates": [[[7.76, 49.44], [7.77, 49.44], [7.77, 49.45]]]},
        {"type": "Point"},
        {"type": "Polygon", "coordinates": []},
    ]
    for geometry in bad_geometries:
        assert_error(post(geometry=geometry), 422, "invalid_request")
    for effect in ({"closed": True, "colour": "red"}, {"width_m": -1}, {}, {"wheelchair": "maybe"}):
        assert_error(post(effect=effect), 422, "invalid_request")
    window = assert_error(
        post(valid_from="2024-06-03T10:00:00", valid_until="2024-06-03T09:00:00"),
        422,
        "invalid_request",
    )
    assert "valid_until" in window["message"]
    assert_error(post(reason=""), 422, "invalid_request")

    oid = post().json()["id"]
    patch = client.patch(f"/obstacles/{oid}", json={"version": 1, "valid_until": "2024-06-03T07:00:00"}, headers=staff)  # fmt: skip
    assert_error(patch, 422, "invalid_request")  # 07:00 Berlin is before valid_from (08:00)
    patch = client.patch(f"/obstacles/{oid}", json={"version": 1, "geometry": far}, headers=staff)
    assert_error(patch, 422, "obstacle_matches_nothing")
    patch = client.patch(f"/obstacles/{oid}", json={"version": 1}, headers=staff)
    assert_error(patch, 422, "invalid_request")
    assert client.get(f"/obstacles/{oid}", headers=staff).json()["version"] == 1  # unchanged
    assert len(client.get("/obstacles", headers=staff).json()["obstacles"]) == 1


def line_across_a_node(client: TestClient) -> dict[str, Any]:
    """A 6 m GeoJSON line across a street at one of its inner nodes (two long pieces meet
    there, no other path or node near): it runs along no path and meets only that node."""
    router = app_state(client).router
    g, frame = router.graph, router.index.frame
    x, y = frame.project(g.node["lon"], g.node["lat"])
    x, y = np.asarray(x), np.asarray(y)
    for v in range(g.node_count):
        out = range(int(g.first_out[v]), int(g.first_out[v + 1]))
        if len(out) != 2 or min(float(g.edge["length_m"][e]) for e in out) < 30.0:
            continue
        if np.count_nonzero(np.hypot(x - x[v], y - y[v]) < 25.0) > 1:
            continue
        a, b = (int(g.head[e]) for e in out)
        dx, dy = x[b] - x[a], y[b] - y[a]
        k = 3.0 / math.hypot(dx, dy)
        ends = [
            frame.unproject(float(x[v] - s * k * dy), float(y[v] + s * k * dx)) for s in (-1, 1)
        ]
        return {"type": "LineString", "coordinates": [[lon, lat] for lon, lat in ends]}
    pytest.fail("no inner street node far from others")


def test_an_obstacle_that_changes_no_path_is_refused(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """A closure drawn as a line across a street at a node runs along no path, and a line acts
    on nodes only with a kerb: it was stored and listed as live while it closed nothing. Now
    refused like a geometry that touches no path (create, preview, patch, import); the same
    line with a kerb is taken (the kerb is at the node)."""
    staff, admin = keys["staff"], keys["admin"]
    across = line_across_a_node(client)
    body = obstacle_body(on_route, geometry=across)
    refused = assert_error(client.post("/obstacles", json=body, headers=staff), 422, "obstacle_matches_nothing")  # fmt: skip
    assert "changes no path" in refused["message"]
    assert_error(client.post("/obstacles/preview", json=body, headers=staff), 422, "obstacle_matches_nothing")  # fmt: skip
    kerb = client.post("/obstacles", json=body | {"effect": {"kerb_height_cm": 12}}, headers=staff)
    assert kerb.status_code == 201, kerb.text
    assert kerb.json()["match"]["node_count"] == 1
    assert kerb.json()["match"]["edge_count"] == 0
    point = client.post("/obstacles", json=obstacle_body(on_route), headers=staff)
    assert point.status_code == 201, point.text
    oid = point.json()["id"]
    patch = client.patch(f"/obstacles/{oid}", json={"version": 1, "geometry": across}, headers=staff)  # fmt: skip
    assert_error(patch, 422, "obstacle_matches_nothing")
    patch = client.patch(f"/obstacles/{kerb.json()['id']}", json={"version": 1, "effect": {"closed": True}}, headers=staff)  # fmt: skip
    assert_error(patch, 422, "obstacle_matches_nothing")
    feature = {"type": "Feature", "geometry": across, "properties": {"effect": {"closed": True}, "reason": "x"}}  # fmt: skip
    failed = assert_error(
        client.post("/obstacles/import", json={"type": "FeatureCollection", "features": [feature]}, headers=admin),
        422, "import_failed",
    )  # fmt: skip
    assert [e["code"] for e in failed["details"]["errors"]] == ["obstacle_matches_nothing"]
    versions = {o["id"]: o["version"] for o in client.get("/obstacles", headers=staff).json()["obstacles"]}  # fmt: skip
    assert versions == {oid: 1, kerb.json()["id"]: 1}


def test_one_geometry_rule_everywhere(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """Point, LineString, Polygon only; a self-intersecting polygon is refused, not repaired, and
    a line whose positions are one point (once refused by matching as matching nothing); the
    same rule for obstacles, patches, reports and each imported feature."""
    staff, admin = keys["staff"], keys["admin"]
    lon, lat = on_route
    d = 0.0003
    bowtie = {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat + d], [lon + d, lat - d], [lon - d, lat + d], [lon - d, lat - d]]]}  # fmt: skip
    square = {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}  # fmt: skip
    multi = {"type": "MultiPolygon", "coordinates": [square["coordinates"]]}
    points = {"type": "MultiPoint", "coordinates": [on_route]}
    nan = {"type": "Point", "coordinates": [lon, float("nan")]}
    dot = {"type": "LineString", "coordinates": [on_route, on_route, [lon, lat, 250.0]]}
    expected = {
        "bowtie": "Self-intersection", "multi": "MultiPolygon", "points": "MultiPoint",
        "dot": "all one point",
    }  # fmt: skip
    shapes = (("bowtie", bowtie), ("multi", multi), ("points", points), ("dot", dot))
    for name, geometry in shapes:
        body = obstacle_body(on_route, geometry=geometry)
        message = assert_error(client.post("/obstacles", json=body, headers=staff), 422, "invalid_request")["message"]  # fmt: skip
        assert expected[name] in message, message
        report = {"geometry": geometry, "description": "Baustelle"}
        assert_error(client.post("/reports", json=report), 422, "invalid_request")
    content = json.dumps(
        obstacle_body(on_route, geometry=nan)
    )  # NaN: not JSON, but Python reads it
    headers = staff | {"Content-Type": "application/json"}
    nan_error = assert_error(client.post("/obstacles", content=content, headers=headers), 422, "invalid_request")  # fmt: skip
    assert "finite" in nan_error["message"]

    created = client.post(
        "/obstacles", json=obstacle_body(on_route, geometry=square), headers=staff
    )
    assert created.status_code == 201, created.text
    assert created.json()["geometry"] == square
    oid = created.json()["id"]
    for geometry in (bowtie, dot):
        patch = client.patch(f"/obstacles/{oid}", json={"version": 1, "geometry": geometry}, headers=staff)  # fmt: skip
        assert_error(patch, 422, "invalid_request")

    features = [
        {
            "type": "Feature",
            "geometry": g,
            "properties": {"effect": {"closed": True}, "reason": "x"},
        }
        for g in (square, bowtie, multi, dot)
    ]
    failed = assert_error(
        client.post("/obstacles/import", json={"type": "FeatureCollection", "features": features}, headers=admin),
        422, "import_failed",
    )  # fmt: skip
    assert [(e["index"], e["code"]) for e in failed["details"]["errors"]] == [
        (1, "invalid_geometry"),
        (2, "invalid_geometry"),
        (3, "invalid_geometry"),
    ]


def test_openapi_types_the_geometry(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("ObstacleCreate", "ReportCreate", "ObstaclePublic", "ReportPublic", "ImportFeature"):  # fmt: skip
        geometry = schemas[model]["properties"]["geometry"]
        refs = {
            ref["$ref"].rsplit("/", 1)[-1] for ref in geometry.get("oneOf") or geometry["anyOf"]
        }
        assert refs == {"GeoJsonPoint", "GeoJsonLineString", "GeoJsonPolygon"}, model
    assert schemas["GeoJsonPolygon"]["properties"]["type"]["const"] == "Polygon"


# -------------------------------------------------------------------------------- concurrency


def test_fifty_concurrent_writers_lose_nothing(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    staff = keys["staff"]
    service = client.app.state.obstacles  # type: ignore[attr-defined]
    oid = client.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()["id"]
    revision = service.revision()
    conflicts = []
    lock = threading.Lock()

    def patcher(i: int) -> None:
        while True:
            version = client.get(f"/obstacles/{oid}", headers=staff).json()["version"]
            body = {"version": version, "reason": f"writer {i}"}
            response = client.patch(f"/obstacles/{oid}", json=body, headers=staff)
            if response.status_code == 200:
                return
            assert_error(response, 409, "version_conflict")
            with lock:
                conflicts.append(i)

    def creator(i: int) -> None:
        body = obstacle_body(on_route, effect={"width_m": 1.0}, reason=f"creator {i}")
        assert client.post("/obstacles", json=body, headers=staff).status_code == 201

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(patcher, i) for i in range(25)]
        futures += [pool.submit(creator, i) for i in range(25)]
        for future in futures:
            future.result(timeout=120)

    final = client.get(f"/obstacles/{oid}", headers=staff).json()
    assert final["version"] == 26  # 1 + one per patcher, none lost, none doubled
    history = client.get(f"/obstacles/{oid}/history", headers=staff).json()["history"]
    assert [h["version"] for h in history] == list(range(1, 27))
    assert sorted(h["snapshot"]["reason"] for h in history[1:]) == sorted(
        f"writer {i}" for i in range(25)
    )
    assert history[-1]["snapshot"]["reason"] == final["reason"]
    listed = client.get("/obstacles", headers=staff).json()
    assert listed["count"] == 26
    assert sorted(o["reason"] for o in listed["obstacles"] if o["id"] != oid) == sorted(
        f"creator {i}" for i in range(25)
    )
    assert service.revision() == revision + 50
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    route(client)  # the next route applies every write first
    assert live.revision == service.revision()
    assert len(live.active) == 26
    print(f"{len(conflicts)} version conflicts retried")


def test_concurrent_decisions_of_one_report_make_at_most_one_obstacle(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """Twelve staff decisions of one open report at once, through two apps on one database
    (two workers): exactly one wins, the others get 409 ``report_already_decided``, and the
    report ends as the winner decided it, with one obstacle if it was an acceptance and none
    if a rejection (the conditional update and the obstacle's insert are one transaction)."""
    apps = (start_app(database_url), start_app(database_url))
    staff = keys["staff"]

    def decide(rid: str, rejecter: int, i: int) -> tuple[str, httpx.Response]:
        app = apps[i % 2]
        if i % 4 == rejecter:
            return "rejected", app.post(f"/reports/{rid}/reject", headers=staff)
        body = {"effect": {"closed": True}}
        return "accepted", app.post(f"/reports/{rid}/accept", json=body, headers=staff)

    for round_ in range(3):
        description = f"Bauzaun, Runde {round_}"
        report = {"geometry": {"type": "Point", "coordinates": on_route}}
        made = apps[0].post("/reports", json=report | {"description": description})
        assert made.status_code == 201, made.text
        rid = made.json()["id"]
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(functools.partial(decide, rid, round_), range(12)))
        won = [status for status, response in answers if response.status_code == 200]
        assert len(won) == 1, [response.status_code for _, response in answers]
        for _, response in answers:
            if response.status_code != 200:
                assert_error(response, 409, "report_already_decided")
        decided = apps[1].get(f"/reports?status={won[0]}", headers=staff).json()["reports"]
        assert rid in ids(decided)
        listed = apps[1].get("/obstacles", headers=staff).json()["obstacles"]
        obstacles = [o for o in listed if o["reason"] == description]
        assert len(obstacles) == (1 if won[0] == "accepted" else 0)


# ------------------------------------------------------------------------------ citizen reports


def test_citizen_report_flow(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    staff = keys["staff"]
    report = {
        "geometry": {"type": "Point", "coordinates": on_route},
        "description": "Bauzaun blockiert den ganzen Gehweg",
        "contact": "anwohnerin@example.org",
    }
    first = client.post("/reports", json=report)  # no key
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "open"
    second = client.post("/reports", json=report | {"description": "Schlagloch", "contact": None})
    assert second.status_code == 201

    open_reports = client.get("/reports?status=open", headers=staff).json()
    assert open_reports["count"] == 2
    assert {r["contact"] for r in open_reports["reports"]} == {"anwohnerin@example.org", None}

    accept = {"effect": {"closed": True}, "valid_until": "2024-06-10T18:00:00"}
    accepted = client.post(f"/reports/{first.json()['id']}/accept", json=accept, headers=staff)
    assert accepted.status_code == 200, accepted.text
    decision = accepted.json()
    assert decision["report"]["status"] == "accepted"
    assert decision["report"]["decided_by"] == "Frau Weber (Tiefbauamt)"
    obstacle = decision["obstacle"]
    assert decision["report"]["obstacle_id"] == obstacle["id"]
    assert obstacle["source"] == "citizen_report"
    assert obstacle["reason"] == "Bauzaun blockiert den ganzen Gehweg"
    assert obstacle["active"] is True
    assert obstacle["match"]["edge_count"] >= 2
    assert ids(route(client)["obstacles"]["avoided"]) == [obstacle["id"]]
    history = client.get(f"/obstacles/{obstacle['id']}/history", headers=staff).json()["history"]
    assert [h["action"] for h in history] == ["accept"]

    again = client.post(f"/reports/{first.json()['id']}/accept", json=accept, headers=staff)
    assert_error(again, 409, "report_already_decided")
    rejected = client.post(f"/reports/{second.json()['id']}/reject", headers=staff)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["report"]["status"] == "rejected"
    assert rejected.json()["obstacle"] is None
    assert_error(client.post(f"/reports/{second.json()['id']}/reject", headers=staff), 409, "report_already_decided")  # fmt: skip
    assert_error(client.post("/reports/nope/reject", headers=staff), 404, "not_found")
    assert client.get("/reports?status=open", headers=staff).json()["count"] == 0
    assert_error(client.post(f"/reports/{second.json()['id']}/reject"), 401, "unauthorized")


def test_reports_are_small_and_rate_limited(
    start_app: Callable[..., TestClient], database_url: str, on_route: list[float]
) -> None:
    client = start_app(database_url, max_report_bytes=8 * 1024, reports_per_minute=5)
    geometry = {"type": "Point", "coordinates": on_route}
    big = client.post("/reports", json={"geometry": geometry, "description": "x" * 9000})
    assert_error(big, 413, "payload_too_large")
    for i in range(4):  # the 413 above counts for nothing; five are allowed
        ok = client.post("/reports", json={"geometry": geometry, "description": f"Nummer {i}"})
        assert ok.status_code == 201, ok.text
    assert client.post("/reports", json={"geometry": geometry, "description": "fünf"}).status_code == 201  # fmt: skip
    limited = client.post("/reports", json={"geometry": geometry, "description": "sechs"})
    body = assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert body["details"]["limit_per_minute"] == 5


# ---------------------------------------------------------------------------- stored matches


def stored_rows(url: str, oid: str) -> list[tuple[int, str]]:
    """``(version, graph_key)`` of the stored matches of obstacle ``oid``."""
    from sqlalchemy import select

    from api.db.models import ObstacleMatchRow
    from api.db.session import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ObstacleMatchRow.version, ObstacleMatchRow.graph_key).where(
                ObstacleMatchRow.obstacle_id == oid
            )
        ).all()
    engine.dispose()
    return [(int(v), str(k)) for v, k in rows]


def no_matching(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the client's worker count (and refuse) every geometry it would match itself."""
    matched: list[str] = []

    def refused(geometry: Any) -> Any:
        matched.append(geometry.geom_type)
        raise AssertionError("matched again: the writer's stored match was not read")

    monkeypatch.setattr(app_state(client).live_obstacles, "match", refused)
    return matched


def test_other_workers_apply_the_writers_stored_match(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer stores each version's match in the write's transaction; another worker (and
    a restart) applies it without matching the geometry again; a deletion removes it."""
    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)
    matched = no_matching(reader, monkeypatch)
    staff = keys["staff"]
    written = writer.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()
    oid, key = written["id"], app_state(writer).live_obstacles.match_key
    assert stored_rows(database_url, oid) == [(1, key)]
    assert ids(route(reader)["obstacles"]["avoided"]) == [oid]

    moved = point_on(baseline["wheelchair"], 0.3)
    patched = writer.patch(
        f"/obstacles/{oid}", json={"geometry": {"type": "Point", "coordinates": moved}},
        headers={**staff, "If-Match": '"1"'},
    )  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert stored_rows(database_url, oid) == [(2, key)]  # the earlier version's is gone
    live = app_state(reader).live_obstacles
    assert ids(route(reader)["obstacles"]["avoided"]) == [oid]
    applied = live.active[oid]
    assert applied.version == 2
    fresh = app_state(writer).live_obstacles.match(shapely.Point(moved))  # matched anew
    assert np.array_equal(applied.edges, fresh.edges)
    assert matched == []

    restarted = start_app(database_url)
    no_matching(restarted, monkeypatch)
    assert ids(route(restarted)["obstacles"]["avoided"]) == [oid]

    assert writer.delete(f"/obstacles/{oid}", headers=staff).status_code == 200
    assert stored_rows(database_url, oid) == []
    assert route(reader)["distance_m"] == baseline["wheelchair"]["distance_m"]


def test_an_import_stores_the_matches_of_its_features(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.db import chunks

    monkeypatch.setattr(chunks, "ID_CHUNK", 1)  # the ids' IN lists one id each
    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)
    matched = no_matching(reader, monkeypatch)
    line = [point_on(baseline["wheelchair"], 0.2), point_on(baseline["wheelchair"], 0.25)]
    features = [
        {"type": "Feature", "geometry": geometry, "properties": {"id": fid, "effect": {"closed": True}, "reason": "Baustelle"}}
        for fid, geometry in (
            ("imp-point", {"type": "Point", "coordinates": on_route}),
            ("imp-line", {"type": "LineString", "coordinates": line}),
        )
    ]  # fmt: skip
    imported = writer.post(
        "/obstacles/import", json={"type": "FeatureCollection", "features": features},
        headers=keys["admin"],
    )  # fmt: skip
    assert imported.status_code == 200, imported.text
    key = app_state(writer).live_obstacles.match_key
    assert [stored_rows(database_url, f) for f in ("imp-point", "imp-line")] == [[(1, key)]] * 2
    route(reader)
    assert set(app_state(reader).live_obstacles.active) == {"imp-point", "imp-line"}
    assert matched == []
    again = writer.post(
        "/obstacles/import?mode=overwrite",
        json={"type": "FeatureCollection", "features": features[:1]}, headers=keys["admin"],
    )  # fmt: skip
    assert again.json()["updated"] == 1
    assert stored_rows(database_url, "imp-point") == [(2, key)]  # version 1's is gone
    route(reader)
    assert app_state(reader).live_obstacles.active["imp-point"].version == 2
    assert matched == []


def test_a_worker_of_another_graph_key_matches_for_itself(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """A match is valid for its graph, tolerance and matcher only: a worker with another
    tolerance reads none of the stored ones and matches as before."""
    writer = start_app(database_url)
    other = start_app(database_url, obstacle_poll_s=60.0, obstacle_tolerance_m=6.0)
    assert app_state(other).live_obstacles.match_key != app_state(writer).live_obstacles.match_key
    live = app_state(other).live_obstacles
    matched: list[str] = []
    match = live.match

    def counted(geometry: Any) -> Any:
        matched.append(geometry.geom_type)
        return match(geometry)

    live.match = counted
    oid = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    assert ids(route(other)["obstacles"]["avoided"]) == [oid]
    assert matched == ["Point"]


def test_a_start_stores_the_matches_it_had_to_make(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Matches stored under another key (a rebuilt map; here another tolerance) or none at all
    (obstacles written before): a worker matches them at its start and stores them then, and
    the next start reads them."""
    from api.obstacles.live import LiveObstacles

    other = start_app(database_url, obstacle_tolerance_m=6.0)
    oid = other.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()["id"]
    other_key = app_state(other).live_obstacles.match_key
    assert stored_rows(database_url, oid) == [(1, other_key)]

    first = start_app(database_url)  # matches it (no match under its key) and stores it
    key = app_state(first).live_obstacles.match_key
    assert sorted(stored_rows(database_url, oid)) == sorted([(1, other_key), (1, key)])

    def refused(self: Any, geometry: Any) -> Any:
        raise AssertionError("matched again: the match stored at the first start was not read")

    monkeypatch.setattr(LiveObstacles, "match", refused)
    second = start_app(database_url)
    assert ids(route(second)["obstacles"]["avoided"]) == [oid]
    assert app_state(second).live_obstacles.store_own_matches() == 0  # nothing of its own


def test_a_large_import_is_read_in_pieces(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A body from 256 kB on is read feature by feature (api/piecewise_json.py), through the
    endpoint's own validation and import."""
    from api import piecewise_json

    cuts: list[int] = []
    cut = piecewise_json._cut

    def recorded(body: bytes) -> Any:
        found = cut(body)
        cuts.append(-1 if found is None else len(found[2]) + 1)
        return found

    monkeypatch.setattr(piecewise_json, "_cut", recorded)
    client = start_app(database_url)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": on_route},
         "properties": {"id": f"big-{i}", "effect": {"kerb_height_cm": 6}, "reason": f"Bordstein {i}"}}
        for i in range(2000)
    ]  # fmt: skip
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    assert len(body) >= piecewise_json.PIECEWISE_FROM_BYTES
    imported = client.post(
        "/obstacles/import", content=body,
        headers={**keys["admin"], "Content-Type": "application/json"},
    )  # fmt: skip
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2000
    assert cuts == [2000]  # read in 2,000 pieces
    broken = client.post(
        "/obstacles/import", content=body[:-2],
        headers={**keys["admin"], "Content-Type": "application/json"},
    )  # fmt: skip
    assert broken.status_code == 422
    assert "not valid JSON" in broken.json()["message"]


def test_a_reload_reads_the_geometry_of_new_versions_only(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each write makes every worker reload the active obstacles; only the versions it has not
    applied have their geometry read (40 large areas took each worker ~100 ms per write): with
    the rows written since (a deleted one's not at all), or after them for the others."""
    from api.obstacles import active_read

    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)
    read: list[set[tuple[str, int]]] = []
    geometries, changed = active_read._geometries, active_read._changed

    def recorded(conn: Any, wanted: Any) -> Any:
        read[-1] |= set(wanted)
        return geometries(conn, wanted)

    def recorded_changed(conn: Any, since: int, key: str) -> Any:
        found = changed(conn, since, key)
        read.append(set(found.geometries))
        return found

    monkeypatch.setattr(active_read, "_geometries", recorded)
    monkeypatch.setattr(active_read, "_changed", recorded_changed)
    staff = keys["staff"]
    first = writer.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()["id"]
    route(reader)
    assert read[-1] == {(first, 1)}
    elsewhere = point_on(baseline["wheelchair"], 0.3)
    second = writer.post("/obstacles", json=obstacle_body(elsewhere), headers=staff).json()["id"]
    route(reader)
    assert read[-1] == {(second, 1)}  # not the first one again
    writer.delete(f"/obstacles/{first}", headers=staff)
    route(reader)
    assert read[-1] == set()
    assert set(app_state(reader).live_obstacles.active) == {second}
    published = reader.get("/obstacles/active").json()["features"]
    assert [f["id"] for f in published] == [second]
    assert published[0]["geometry"]["coordinates"] == elsewhere


def test_a_new_obstacle_is_one_statement_on_postgresql(
    client: TestClient, database_url: str, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """On PostgreSQL a new obstacle, its history row and its stored match are written in one
    statement (the revision's increment first; ``api/obstacles/few_statements.py``): with the
    database on another host, one round trip where the session's transaction took six. On
    SQLite, the session's transaction. Either way the same obstacle, history and match."""
    engine = app_state(client).db_engine
    revision = client.app.state.obstacles.revision()  # type: ignore[attr-defined]
    with sent_statements(engine) as sent:
        made = client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
    written = [text for text in sent if is_write(text)]
    assert made.status_code == 201, made.text
    oid = made.json()["id"]
    if engine.dialect.name == "postgresql":
        assert len(written) == 1, written
        assert all(
            f"INSERT INTO {table} " in written[0]
            for table in ("obstacles", "obstacle_history", "obstacle_matches")
        ), written[0]
    else:
        assert len(written) > 1, written
    assert client.app.state.obstacles.revision() == revision + 1  # type: ignore[attr-defined]
    history = client.get(f"/obstacles/{oid}/history", headers=keys["staff"]).json()["history"]
    assert [(h["version"], h["action"], h["snapshot"]["id"]) for h in history] == [
        (1, "create", oid)
    ]
    kept = ("id", "geometry", "effect", "reason", "source", "version", "deleted_at")
    assert {k: history[0]["snapshot"][k] for k in kept} == {k: made.json()[k] for k in kept}
    live = app_state(client).live_obstacles
    with engine.connect() as connection:
        from api.obstacles.stored_matches import read_matches

        stored = read_matches(connection, live.match_key, [(oid, 1)])
    assert set(stored) == {(oid, 1)}
    assert stored[(oid, 1)].edges.tolist() == live.cached_match(oid, 1).edges.tolist()


def test_a_change_and_a_deletion_are_two_statements_on_postgresql(
    client: TestClient, database_url: str, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """On PostgreSQL a change (and a deletion) is the ``UPDATE`` with the revision's increment
    in it and one statement for its history row and stored match (``recorded``): in its
    transaction two statements where there were five (four). The history, the stored match
    (the new version's only; a deleted obstacle's none) and the revision are as on SQLite."""
    from sqlalchemy import text

    staff = keys["staff"]
    engine = app_state(client).db_engine
    service = client.app.state.obstacles  # type: ignore[attr-defined]
    oid = client.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()["id"]
    revision = service.revision()

    def stored() -> list[tuple[str, int]]:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT obstacle_id, version FROM obstacle_matches WHERE obstacle_id = :o"),
                {"o": oid},
            )
            return [tuple(row) for row in rows]

    with sent_statements(engine) as sent:
        changed = client.patch(
            f"/obstacles/{oid}", json={"version": 1, "reason": "neu"}, headers=staff
        )
    patched = [text for text in sent if is_write(text)]
    assert stored() == [(oid, 2)]  # the new version's match only
    with sent_statements(engine) as sent:
        deleted = client.delete(f"/obstacles/{oid}", headers=staff)
    written = [text for text in sent if is_write(text)]
    assert stored() == []  # the deleted obstacle's matches went with it
    assert changed.status_code == 200, changed.text
    assert deleted.status_code == 200, deleted.text
    if engine.dialect.name == "postgresql":
        assert len(patched) == 2, patched
        assert len(written) == 2, written
    assert service.revision() == revision + 2
    history = client.get(f"/obstacles/{oid}/history", headers=staff).json()["history"]
    assert [(h["version"], h["action"]) for h in history] == [
        (1, "create"), (2, "update"), (3, "delete")
    ]  # fmt: skip
    assert history[1]["snapshot"]["reason"] == "neu"
    assert history[2]["snapshot"]["deleted_at"] is not None


def test_a_new_obstacle_whose_match_cannot_be_stored_stores_nothing(
    client: TestClient,
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The obstacle, its history and its match are written together or not at all (one
    statement on PostgreSQL, a transaction on SQLite): a match the database refuses leaves no
    obstacle, no history and the revision as it was."""
    import sqlalchemy.exc

    import api.obstacles.service
    import api.obstacles.stored_matches
    from api.obstacles.schemas import ObstacleCreate

    refused = api.obstacles.service.match_columns

    def without_edges(key: str, match: Any) -> dict[str, Any]:
        return refused(key, match) | {"edges": None}  # NOT NULL

    monkeypatch.setattr(api.obstacles.service, "match_columns", without_edges)
    monkeypatch.setattr(api.obstacles.stored_matches, "match_columns", without_edges)
    service = client.app.state.obstacles  # type: ignore[attr-defined]
    revision = service.revision()
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        service.create(ObstacleCreate.model_validate(obstacle_body(on_route)), "staff")
    assert service.revision() == revision
    assert client.get("/obstacles", headers=keys["staff"]).json()["count"] == 0
    with app_state(client).db_engine.connect() as connection:
        from sqlalchemy import text

        assert connection.execute(text("SELECT count(*) FROM obstacle_history")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM obstacle_matches")).scalar() == 0


def test_a_write_costs_another_worker_two_reads(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """A worker that applies another worker's write reads the revision and then, in one
    statement, the rows written since with their geometries and stored matches (it had read
    rows, stored matches and geometries one after the other: with the database on another
    host, each a round trip); it applies the stored match, matching nothing itself."""
    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)
    route(reader)
    with sent_statements(app_state(reader).db_engine) as statements:
        made = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
        oid = made.json()["id"]
        assert ids(route(reader)["obstacles"]["avoided"]) == [oid]
    assert len(statements) == 2, statements
    assert "obstacle_matches" in statements[1]
    assert "geometry" in statements[1]
    live = app_state(reader).live_obstacles
    assert (oid, 1) not in live._matched_here  # the writer's match, not one made here


def test_a_version_changed_between_the_two_reads_is_read_again(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another writer may commit between the rows' read and the geometries' (a whole read, as
    at a start: the rows written since a known revision come with their geometries): the reload
    reads again; after three such reads it leaves the version out for now and gives the
    revision as unknown, so that the next poll reloads and applies it."""
    from api.obstacles import active_read

    writer = start_app(database_url)
    reader = start_app(database_url, obstacle_poll_s=60.0)
    live = app_state(reader).live_obstacles
    geometries = active_read._geometries
    lost = {"reads": 1}

    def racing(conn: Any, wanted: Any) -> Any:
        if lost["reads"] > 0:  # as if a new version had been committed in between
            lost["reads"] -= 1
            return {}
        return geometries(conn, wanted)

    monkeypatch.setattr(active_read, "_geometries", racing)
    oid = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    assert live.refresh(force=True)  # read again at once
    assert lost["reads"] == 0
    assert ids(route(reader)["obstacles"]["avoided"]) == [oid]
    assert live.revision == app_state(writer).obstacles.revision()  # the database's

    lost["reads"] = active_read.TRIES
    writer.delete(f"/obstacles/{oid}", headers=keys["staff"])
    again = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).json()[
        "id"
    ]
    live.refresh(force=True)
    assert live.revision == active_read.UNKNOWN_REVISION
    assert again not in live.active  # left out for now
    assert live.refresh()  # the next poll: the revision differs, so it reloads
    assert again in live.active
    assert live.revision == app_state(writer).obstacles.revision()  # the database's


# ---------------------------------------------------------------------------- import / export


def test_the_staff_list_and_export_are_encoded_off_the_loop(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``GET /obstacles`` and ``/obstacles/export`` are encoded in their pool thread with the
    collector paused (an export of 40 large areas held the event loop 170-220 ms): the same
    JSON as their models write, gzipped when asked."""
    import gc

    from api.obstacles.schemas import FeatureCollection, ObstacleHistoryOut, ObstacleList
    from api.obstacles.service import ObstacleService

    staff = keys["staff"]
    for k in range(4):  # over the size worth compressing
        made = client.post("/obstacles", json=obstacle_body(on_route, reason=f"Baustelle {k}", valid_until="2024-07-01T00:00:00"), headers=staff)  # fmt: skip
    history = client.get(f"/obstacles/{made.json()['id']}/history", headers=staff).json()
    assert history == ObstacleHistoryOut.model_validate(history).model_dump(mode="json", by_alias=True)  # fmt: skip
    assert client.get("/obstacles/nope/history", headers=staff).status_code == 404
    assert client.get("/reports", headers=staff).json() == {"count": 0, "reports": []}
    collector: list[bool] = []
    listed = ObstacleService.list

    def recorded(self: Any, status: Any = "all") -> Any:
        collector.append(gc.isenabled())
        return listed(self, status)

    monkeypatch.setattr(ObstacleService, "list", recorded)
    for path, model in (("/obstacles", ObstacleList), ("/obstacles/export", FeatureCollection)):
        answer = client.get(path, headers={**staff, "Accept-Encoding": "gzip"})
        assert answer.status_code == 200
        assert answer.headers["content-encoding"] == "gzip"
        body = answer.json()
        assert body == model.model_validate(body).model_dump(mode="json", by_alias=True)
        assert collector.pop() is False
    assert gc.isenabled()


def test_an_import_reads_the_stored_obstacles_in_one_list(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An import looks up the stored obstacles of its features' ids with one ``SELECT … IN`` per
    thousand ids (here in lists of 7), not one per feature (and one more per feature for the
    version check): 10,000 points made 10,000 lookups, beside which `/health` waited up to
    0.3-0.6 s with routes running (now under 60 ms). The answer is as before:
    an id stored is updated (deleted ones too, as versions say), the others are created."""
    from sqlalchemy.engine import Engine

    from api.db import chunks

    monkeypatch.setattr(chunks, "ID_CHUNK", 7)
    writer = start_app(database_url)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": on_route}, "properties": {"id": f"look-{n}", "effect": {"closed": True}, "reason": "Baustelle"}}
        for n in range(20)
    ]  # fmt: skip
    first = writer.post(
        "/obstacles/import", json={"type": "FeatureCollection", "features": features[:12]},
        headers=keys["admin"],
    )  # fmt: skip
    assert first.json() == {"created": 12, "updated": 0, "total": 12, "errors": []}
    writer.delete("/obstacles/look-0", headers=keys["staff"])
    with sent_statements(Engine) as sent:
        again = writer.post(
            "/obstacles/import?mode=overwrite",
            json={"type": "FeatureCollection", "features": features}, headers=keys["admin"],
        )  # fmt: skip
    flat = [" ".join(statement.split()) for statement in sent]
    lookups = [t for t in flat if t.startswith("SELECT") and "FROM obstacles " in t + " "]
    assert again.json() == {"created": 8, "updated": 12, "total": 20, "errors": []}
    assert len(lookups) == 3, lookups  # 20 ids in lists of 7
    assert all(" IN " in text for text in lookups), lookups
    versions = {f["id"]: f["properties"]["version"] for f in writer.get("/obstacles/export", headers=keys["staff"]).json()["features"]}  # fmt: skip
    assert versions == {f"look-{n}": (2 if n < 12 else 1) for n in range(20)} | {"look-0": 3}


def test_export_import_round_trip(
    start_app: Callable[..., TestClient],
    new_database: Callable[[], str],
    database_url: str,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
) -> None:
    source = start_app(database_url)
    staff = keys["staff"]
    along = [point_on(baseline["wheelchair"], 0.2), point_on(baseline["wheelchair"], 0.8)]
    line = {"type": "LineString", "coordinates": along}
    bodies = [
        obstacle_body(on_route),
        obstacle_body(on_route, effect={"width_m": 0.8}, valid_until="2024-07-01T00:00:00"),
        obstacle_body(
            on_route,
            effect={"kerb_height_cm": 12, "surface": "sett"},
            valid_from="2024-06-10T06:00:00+02:00",
            reason="Bordstein wird erneuert",
        ),
        obstacle_body(on_route, geometry=line, effect={"surface": "gravel"}),
    ]
    created = []
    for body in bodies:
        response = source.post("/obstacles", json=body, headers=staff)
        assert response.status_code == 201, response.text
        created.append(response.json())
    deleted = source.post("/obstacles", json=obstacle_body(on_route), headers=staff).json()
    source.delete(f"/obstacles/{deleted['id']}", headers=staff)
    exported = source.get("/obstacles/export", headers=staff)
    assert exported.status_code == 200, exported.text
    collection = exported.json()
    assert deleted["id"] not in [f["id"] for f in collection["features"]]
    assert {c["id"] for c in created} <= {f["id"] for f in collection["features"]}

    target_url = new_database()
    target = start_app(target_url)
    admin = make_keys(target_url)["admin"]
    broken = {
        "type": "FeatureCollection",
        "features": [
            *collection["features"],
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.9, 49.5]}, "properties": {"effect": {"closed": True}, "reason": "weit weg"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": on_route}, "properties": {"effect": {"sparkle": 1}, "reason": "x"}},
        ],
    }  # fmt: skip
    failed = assert_error(target.post("/obstacles/import", json=broken, headers=admin), 422, "import_failed")  # fmt: skip
    n = len(collection["features"])
    assert [(e["index"], e["code"]) for e in failed["details"]["errors"]] == [
        (n, "obstacle_matches_nothing"),
        (n + 1, "invalid_properties"),
    ]
    assert target.get("/obstacles/export", headers=admin).json()["features"] == []  # nothing

    imported = target.post("/obstacles/import", json=collection, headers=admin)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": n, "updated": 0, "total": n, "errors": []}
    again = target.get("/obstacles/export", headers=admin).json()

    def essence(fc: dict[str, Any]) -> dict[str, Any]:
        keep = ("effect", "valid_from", "valid_until", "reason", "source", "author", "created_at", "active")  # fmt: skip
        return {
            f["id"]: (f["geometry"], {k: f["properties"][k] for k in keep}) for f in fc["features"]
        }

    assert essence(again) == essence(collection)
    routed = route(target)
    active_now = {created[i]["id"] for i in (0, 1, 3)}  # the kerb work starts on 10 June
    assert set(ids(routed["obstacles"]["avoided"])) == active_now
    history = target.get(f"/obstacles/{created[0]['id']}/history", headers=admin).json()
    assert [(h["action"], h["author"]) for h in history["history"]] == [
        ("import", "Herr Kaya (Admin)")
    ]
    reimported = target.post("/obstacles/import", json=collection, headers=admin).json()
    assert reimported == {"created": 0, "updated": n, "total": n, "errors": []}


def test_documented_examples_work(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    from api.obstacles.schemas import ObstacleCreate, ObstacleUpdate, ReportAccept, ReportCreate

    def examples(model: Any) -> list[dict[str, Any]]:
        return model.model_config["json_schema_extra"]["examples"]

    staff = keys["staff"]
    created = []
    for body in examples(ObstacleCreate):
        response = client.post("/obstacles", json=body, headers=staff)
        assert response.status_code == 201, response.text
        created.append(response.json())
    assert created[0]["active"] is True  # 3 June 07:00 local time < now (08:00) < 14 June
    for body in examples(ObstacleUpdate):  # versions 1 and 2 of the same obstacle
        response = client.patch(f"/obstacles/{created[0]['id']}", json=body, headers=staff)
        assert response.status_code == 200, response.text
    report = client.post("/reports", json=examples(ReportCreate)[0])
    assert report.status_code == 201, report.text
    accepted = client.post(
        f"/reports/{report.json()['id']}/accept", json=examples(ReportAccept)[0], headers=staff
    )
    assert accepted.status_code == 200, accepted.text
    spec = client.get("/openapi.json").json()
    assert {"/obstacles", "/obstacles/active", "/obstacles/import", "/reports"} <= set(
        spec["paths"]
    )
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])


# --------------------------------------------------------------------------- storage, commands


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from api.db.models import Base
    from api.db.session import current_revision, make_engine, upgrade

    engine = make_engine(database_url)
    upgrade(engine)  # idempotent
    assert current_revision(engine) == "0004"
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_revision_read_reads_what_the_orm_reads(database_url: str) -> None:
    """``read_revision`` (plain SQL) on a connection and in a session against the ORM's select."""
    from sqlalchemy import select

    from api.db.models import REVISION_ROW_ID, Revision
    from api.db.revision import bump_revision, read_revision
    from api.db.session import make_engine, make_sessionmaker, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    orm = select(Revision.value).where(Revision.id == REVISION_ROW_ID)
    for _ in range(3):
        with engine.connect() as conn:
            assert read_revision(conn) == conn.scalar(orm)
        with sessions.begin() as session:
            before = read_revision(session)
            assert before == session.scalar(orm)
            bump_revision(session)
        with engine.connect() as conn:
            assert read_revision(conn) == before + 1
    engine.dispose()


def test_keys_command_line(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from api.auth import authenticate, hash_key
    from api.cli import main
    from api.db.session import make_engine, make_sessionmaker

    url = ["--database-url", database_url]
    assert main(["db", "upgrade", *url]) == 0
    assert main(["keys", "create", "--name", "Stadtplanung", "--role", "admin", *url]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(key) >= 40
    sessions = make_sessionmaker(make_engine(database_url))
    user = authenticate(sessions, key)
    assert user is not None
    assert (user.name, user.role) == ("Stadtplanung", "admin")
    with sessions() as session:
        from sqlalchemy import text

        stored = session.execute(text("SELECT key_hash FROM api_keys")).scalars().all()
    assert stored == [hash_key(key)]  # never the key itself
    assert main(["keys", "list", *url]) == 0
    assert "Stadtplanung" in capsys.readouterr().out
    assert main(["keys", "revoke", str(user.key_id), *url]) == 0
    assert authenticate(sessions, key) is None
    assert main(["keys", "revoke", str(user.key_id), *url]) == 2
    assert "no active key" in capsys.readouterr().err
