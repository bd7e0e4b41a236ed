"""The API the web console uses: /network, /priorities(.ndjson), /bench, /obstacles/preview,
the tester role and the /console/ mount, on the centre extract."""

from __future__ import annotations

import errno
import gzip
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = [pytest.mark.realdata]

#: A bbox inside the centre extract (west,south,east,north).
BBOX = "7.764,49.440,7.768,49.443"
ATTRIBUTES = ("kerb", "steps", "incline", "surface", "width", "lit", "known")


@pytest.fixture(scope="module")
def app_and_keys(
    centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Path]]:
    """A started app with its own database and bench folder; tester, staff and admin keys."""
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings

    folder = tmp_path_factory.mktemp("console-api")
    settings = Settings(
        graph_dir=centre_graph_dir,
        database_url=f"sqlite:///{folder / 'db.sqlite'}",
        bench_dir=folder / "bench",
        max_network_features=400,
        max_priority_trips=100,
        max_bench_pairs=50,
        console_dir=folder / "no-console",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        keys = {}
        for role in ("tester", "staff", "admin"):
            _, key = create_key(app.state.db, f"{role} of the tests", role)
            keys[role] = {"Authorization": f"Bearer {key}"}
        yield client, keys, folder


@pytest.fixture(scope="module")
def client(app_and_keys: tuple[TestClient, dict[str, dict[str, str]], Path]) -> TestClient:
    return app_and_keys[0]


@pytest.fixture(scope="module")
def keys(
    app_and_keys: tuple[TestClient, dict[str, dict[str, str]], Path],
) -> dict[str, dict[str, str]]:
    return app_and_keys[1]


def _is_line_feature(feature: dict[str, Any]) -> None:
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    coords = feature["geometry"]["coordinates"]
    assert len(coords) >= 2
    assert all(len(c) == 2 and -180 <= c[0] <= 180 and -90 <= c[1] <= 90 for c in coords)


# ------------------------------------------------------------------------------------ network


@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_network_gives_lines_of_the_bbox_with_value_known_label(
    client: TestClient, attribute: str
) -> None:
    response = client.get("/network", params={"bbox": BBOX, "attribute": attribute})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["features"], "the centre has paths in this bbox"
    edges = set()
    west, south, east, north = (float(x) for x in BBOX.split(","))
    for feature in body["features"]:
        _is_line_feature(feature)
        props = feature["properties"]
        assert set(props) == {"edge", "value", "known", "label"}
        assert isinstance(props["known"], bool)
        assert props["label"]
        edges.add(props["edge"])
        # every line touches the box (its segments' boxes overlap it)
        lons = [c[0] for c in feature["geometry"]["coordinates"]]
        lats = [c[1] for c in feature["geometry"]["coordinates"]]
        assert max(lons) >= west - 1e-6
        assert min(lons) <= east + 1e-6
        assert max(lats) >= south - 1e-6
        assert min(lats) <= north + 1e-6
    assert len(edges) == len(body["features"]), "one feature per undirected piece"


def test_network_one_feature_per_undirected_piece(client: TestClient) -> None:
    """An edge and its reverse are one line: no feature's edge is the reverse of another's."""
    router = client.app.state.router  # type: ignore[attr-defined]
    reverse = router.graph.edge["reverse_edge"]
    edges = {f["properties"]["edge"] for f in client.get("/network", params={"bbox": BBOX}).json()["features"]}  # fmt: skip
    assert not any(int(reverse[e]) in edges for e in edges)


def test_network_values_agree_with_the_graph(client: TestClient) -> None:
    router = client.app.state.router  # type: ignore[attr-defined]
    edge = router.graph.edge
    for attribute, column in (("steps", "is_steps"), ("width", "width_m")):
        features = client.get("/network", params={"bbox": BBOX, "attribute": attribute}).json()["features"]  # fmt: skip
        for f in features:
            e = f["properties"]["edge"]
            if attribute == "steps":
                assert f["properties"]["value"] is bool(edge[column][e])
            else:
                known = f["properties"]["known"]
                assert known is not math.isnan(float(edge[column][e]))
    known = client.get("/network", params={"bbox": BBOX, "attribute": "known"}).json()["features"]
    assert {f["properties"]["value"] for f in known} <= {0, 1, 2, 3, 4}


def test_network_lines_are_the_graphs_points_to_the_centimetre(client: TestClient) -> None:
    """Each line is its edge's points, each coordinate rounded to 7 decimals as Python rounds
    one number (the map gathers and rounds them all at once: routing.network.piece_lines); the
    gzipped answer, made in the endpoint's thread, is the same JSON."""
    graph = client.app.state.router.graph  # type: ignore[attr-defined]
    first, lon, lat = graph.geom_first, graph.geom_lon, graph.geom_lat
    plain = client.get("/network", params={"bbox": BBOX}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    for feature in plain.json()["features"]:
        e = feature["properties"]["edge"]
        a, b = int(first[e]), int(first[e + 1])
        expected = [[round(float(x), 7), round(float(y), 7)] for x, y in zip(lon[a:b], lat[a:b], strict=True)]  # fmt: skip
        assert feature["geometry"]["coordinates"] == expected
    with client.stream("GET", "/network", params={"bbox": BBOX}, headers={"Accept-Encoding": "gzip"}) as packed:  # fmt: skip
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(b"".join(packed.iter_raw())) == plain.content


def test_network_empty_outside_the_area(client: TestClient) -> None:
    response = client.get("/network", params={"bbox": "10.0,50.0,10.01,50.01"})
    assert response.status_code == 200
    assert response.json()["features"] == []


def test_network_bbox_too_large_names_the_limit(client: TestClient) -> None:
    response = client.get("/network", params={"bbox": "7.0,49.0,8.5,50.0"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "bbox_too_large"
    assert body["details"]["limit"] == 400
    assert body["details"]["count"] > 400
    assert "400" in body["message"]


@pytest.mark.parametrize(
    "bbox",
    ["7.768,49.440,7.764,49.443", "7.764,49.443,7.768,49.440", "7.764,49.440,7.768", "a,b,c,d",
     "7.764,49.440,7.768,nan", "7.764,95,7.768,96"],
)  # fmt: skip
def test_network_rejects_swapped_or_malformed_bbox(client: TestClient, bbox: str) -> None:
    response = client.get("/network", params={"bbox": bbox})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_bbox"
    assert set(response.json()) == {"code", "message", "details"}


def test_network_unknown_attribute_is_422(client: TestClient) -> None:
    response = client.get("/network", params={"bbox": BBOX, "attribute": "colour"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert client.get("/network").status_code == 422  # bbox is required


def test_network_is_public(client: TestClient) -> None:
    assert client.get("/network", params={"bbox": BBOX}).status_code == 200


def test_features_seats_and_stops_as_points(client: TestClient) -> None:
    whole = "7.70,49.40,7.85,49.48"
    seats = client.get("/features", params={"bbox": whole, "kind": "seats"})
    assert seats.status_code == 200, seats.text
    features = seats.json()["features"]
    assert features, "the centre has benches"
    where = [tuple(f["geometry"]["coordinates"]) for f in features]
    assert len(where) == len(set(where)), "one point per seat"
    for f in features:
        assert f["geometry"]["type"] == "Point"
        assert f["properties"]["backrest"] in ("yes", "no", "unknown")
        assert f["properties"]["kind"] in ("bench", "picnic_table", "stop", "shelter")
    stops = client.get("/features", params={"bbox": whole, "kind": "stops"}).json()["features"]
    assert stops, "the centre has bus stops"
    for f in stops:
        assert f["properties"]["kind"] in ("bus_stop", "tram_stop", "platform")
        assert f["properties"]["wheelchair"] in ("yes", "no", "limited", "unknown")
        assert f["properties"]["bench"] in ("yes", "no", "limited", "unknown")
    # every stop, not only those with a bench (which are also seats)
    assert any(f["properties"]["bench"] != "yes" for f in stops)
    # a smaller box holds a subset
    small = client.get("/features", params={"bbox": BBOX}).json()["features"]
    assert {tuple(f["geometry"]["coordinates"]) for f in small} <= set(where)


def test_features_errors(client: TestClient) -> None:
    swapped = client.get("/features", params={"bbox": "7.77,49.44,7.76,49.45"})
    assert swapped.status_code == 422
    assert swapped.json()["code"] == "invalid_bbox"
    other = client.get("/features", params={"bbox": BBOX, "kind": "toilets"})
    assert other.status_code == 422
    assert other.json()["code"] == "invalid_request"


# --------------------------------------------------------------------------------- priorities


def test_priorities_rank_unknown_stretches_by_trips(client: TestClient) -> None:
    params = {"profile": "wheelchair", "trips": 30, "seed": 1, "limit": 10}
    response = client.get("/priorities", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile"] == "wheelchair"
    assert body["trips"] == 30
    assert body["seed"] == 1
    assert 0 < body["routed"] <= 30
    features = body["features"]
    assert 0 < len(features) <= 10
    trips = [f["properties"]["trips"] for f in features]
    assert trips == sorted(trips, reverse=True)
    assert [f["properties"]["rank"] for f in features] == list(range(1, len(features) + 1))
    for f in features:
        _is_priority_feature(f)
        p = f["properties"]
        assert 1 <= p["trips"] <= body["routed"]
        assert p["attribute"]
    # same seed, same answer
    assert client.get("/priorities", params=params).json() == body


def _is_priority_feature(feature: dict[str, Any]) -> None:
    """A way piece (a line with its length) or a node (a point at the node, no length)."""
    p = feature["properties"]
    if p["kind"] == "way":
        _is_line_feature(feature)
        assert p["length_m"] > 0
        assert p["node"] is None
        return
    assert p["kind"] in ("junction", "crossing", "kerb", "barrier")
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert -180 <= lon <= 180
    assert -90 <= lat <= 90
    assert p["length_m"] is None
    assert isinstance(p["node"], int)


def test_priorities_rank_the_junctions_blind_routes_rely_on(client: TestClient) -> None:
    """For the blind preset the nodes come in: crossings whose signals or paving are unknown,
    and junctions where no crossing is mapped (points at the node)."""
    body = client.get("/priorities", params={"profile": "blind", "trips": 30, "limit": 30}).json()
    router = client.app.state.router  # type: ignore[attr-defined]
    node = router.graph.node
    kinds = {f["properties"]["kind"] for f in body["features"]}
    assert "junction" in kinds
    for f in body["features"]:
        _is_priority_feature(f)
        p = f["properties"]
        if p["node"] is not None:
            v = p["node"]
            assert f["geometry"]["coordinates"] == [
                round(float(node["lon"][v]), 7), round(float(node["lat"][v]), 7)
            ]  # fmt: skip
            assert int(router.graph.head[p["edge"]]) == v
        if p["kind"] == "junction":
            assert set(p["attribute"].split(",")) <= {"acoustic_signal", "tactile_paving"}
    tasks = client.get("/priorities.ndjson", params={"profile": "blind", "trips": 30, "limit": 30})
    ids = [json.loads(line)["properties"]["task"] for line in tasks.text.splitlines()]
    assert any(i.startswith("stufenlos-blind-node-") for i in ids)
    assert len(set(ids)) == len(ids)


def test_priorities_stretches_are_unknown_on_the_network_map(client: TestClient) -> None:
    """A ranked stretch with an unknown width shows as unknown on the width map."""
    body = client.get("/priorities", params={"trips": 30, "limit": 20}).json()
    router = client.app.state.router  # type: ignore[attr-defined]
    width = router.graph.edge["width_m"]
    for f in body["features"]:
        if "width" in f["properties"]["attribute"].split(","):
            assert math.isnan(float(width[f["properties"]["edge"]]))


def test_priorities_ndjson_lines_are_geojson_tasks(client: TestClient) -> None:
    params = {"trips": 30, "seed": 1, "limit": 10}
    response = client.get("/priorities.ndjson", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.splitlines()
    ranked = client.get("/priorities", params=params).json()["features"]
    assert len(lines) == len(ranked) > 0
    for line, feature in zip(lines, ranked, strict=True):
        task = json.loads(line)
        _is_priority_feature(task)
        assert task["geometry"] == feature["geometry"]
        p = feature["properties"]
        place = p["edge"] if p["node"] is None else f"node-{p['node']}"
        assert task["properties"]["task"] == f"stufenlos-wheelchair-{place}"
        assert "trips" in task["properties"]["instruction"]


def test_priorities_errors(client: TestClient) -> None:
    unknown = client.get("/priorities", params={"profile": "hovercraft", "trips": 5})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_profile"
    many = client.get("/priorities", params={"trips": 101})
    assert many.status_code == 422
    assert many.json()["code"] == "too_many_trips"
    assert many.json()["details"]["limit"] == 100
    assert client.get("/priorities", params={"trips": 0}).json()["code"] == "invalid_request"


# ------------------------------------------------------------------------------------- bench


def _wait(client: TestClient, run_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        run = client.get(f"/bench/runs/{run_id}", headers=headers).json()
        seen.append(run)
        if run["status"] != "running":
            return seen
        time.sleep(0.05)
    pytest.fail(f"run {run_id} did not finish: {seen[-1]}")


def test_bench_run_to_completion_with_progress_plots_and_compare(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    tester = keys["tester"]
    body = {"pairs": 12, "seed": 3, "profiles": ["wheelchair", "walk"]}
    started = client.post("/bench/runs", json=body, headers=tester)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.json()["status"] == "running"
    seen = _wait(client, run_id, tester)
    done = seen[-1]
    assert done["status"] == "done", done
    assert done["progress"] == 1.0
    progress = [r["progress"] for r in seen]
    assert progress == sorted(progress)
    assert all(0 <= p <= 1 for p in progress)
    assert set(done["plots"]) == {"latency", "detour", "routes_map"}
    overall = done["summary"]["overall"]
    assert overall["routes"] == 24
    assert set(done["summary"]["profiles"]) == {"wheelchair", "walk"}

    plot = client.get(f"/bench/runs/{run_id}/plots/latency.png", headers=tester)
    assert plot.status_code == 200
    assert plot.headers["content-type"] == "image/png"
    assert plot.content.startswith(b"\x89PNG")

    listed = client.get("/bench/runs", headers=tester).json()["runs"]
    assert run_id in [r["id"] for r in listed]

    # a second run with the same pairs compares cleanly (same graph, same pairs)
    second = client.post("/bench/runs", json=body, headers=keys["staff"]).json()["id"]
    assert _wait(client, second, tester)[-1]["status"] == "done"
    compared = client.get("/bench/compare", params={"base": run_id, "run": second}, headers=tester)
    assert compared.status_code == 200, compared.text
    verdict = compared.json()
    assert verdict["base"] == run_id
    assert verdict["run"] == second
    assert verdict["verdict"] in ("ok", "regression")
    assert not any("other pairs" in n for n in verdict["notes"])
    # the success and verdict figures of the same pairs do not change
    assert not [r for r in verdict["regressions"] if "rate" in r["metric"]]


def test_bench_runs_survive_a_restart(
    app_and_keys: tuple[TestClient, dict[str, dict[str, str]], Path],
) -> None:
    """A new BenchJobs on the same folder lists the finished runs; a run whose server died
    while running is listed as interrupted."""
    from testers.jobs import BenchJobs

    client, keys, folder = app_and_keys
    before = client.get("/bench/runs", headers=keys["tester"]).json()["runs"]
    fresh = BenchJobs(folder / "bench")
    ghost = {"id": "20000101T000000Z-deadbeef", "status": "running", "progress": 0.5, "pid": 0,
             "pairs": 1, "seed": 0, "profiles": ["walk"], "created_at": "2000-01-01T00:00:00Z"}  # fmt: skip
    fresh._write(ghost)
    after = {r["id"]: r for r in fresh.list()}
    for run in before:
        if run["status"] == "done":
            assert after[run["id"]]["status"] == "done"
    assert after[ghost["id"]]["status"] == "interrupted"


def test_a_stopping_server_ends_its_runs_as_interrupted(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    """The app's shutdown stops the runs of its worker at their next step, recorded as
    ``interrupted``, before the interpreter ends: a run's thread ended by the interpreter's exit
    inside a library's C++ code aborted the process ("terminate called without an active
    exception", found by a fuzzer that stopped its app while a run went on). A stopped
    ``BenchJobs`` starts no run."""
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings
    from testers.jobs import BenchJobs, JobLimitError

    settings = Settings(
        graph_dir=centre_graph_dir, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        bench_dir=tmp_path / "bench", max_bench_pairs=2000, console_dir=tmp_path / "no-console",
    )  # fmt: skip
    app = create_app(settings)
    with TestClient(app) as client:
        _, key = create_key(app.state.db, "tester of the tests", "tester")
        tester = {"Authorization": f"Bearer {key}"}
        body = {"pairs": 2000, "seed": 5, "profiles": ["wheelchair", "walk", "blind"]}
        started = client.post("/bench/runs", json=body, headers=tester)
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        jobs: BenchJobs = app.state.bench_jobs
        thread = jobs._running[run_id]
        t0 = time.monotonic()
    # the lifespan's end stopped the run and waited for its thread
    assert not thread.is_alive()
    assert time.monotonic() - t0 < 10
    record = BenchJobs(tmp_path / "bench").get(run_id)
    assert record["status"] == "interrupted", record
    assert record["error"] == "the server stopped"
    assert record["finished_at"] is not None
    assert 0.0 <= record["progress"] < 0.9
    with pytest.raises(JobLimitError, match="stopping"):
        jobs.start(app.state.router, 2, 0, ["walk"])


def test_bench_needs_a_tester_key(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    assert client.get("/bench/runs").status_code == 401
    assert client.get("/bench/runs").json()["code"] == "unauthorized"
    bad = client.post("/bench/runs", json={"pairs": 2}, headers={"X-API-Key": "nope"})
    assert bad.status_code == 401
    for role in ("tester", "staff", "admin"):
        assert client.get("/bench/runs", headers=keys[role]).status_code == 200


def test_tester_key_cannot_edit_obstacles(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    response = client.get("/obstacles", headers=keys["tester"])
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_bench_errors(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    tester = keys["tester"]
    many = client.post("/bench/runs", json={"pairs": 51}, headers=tester)
    assert many.status_code == 422
    assert many.json()["code"] == "too_many_pairs"
    unknown = client.post("/bench/runs", json={"pairs": 2, "profiles": ["hovercraft"]}, headers=tester)  # fmt: skip
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_profile"
    extra = client.post("/bench/runs", json={"pairs": 2, "colour": 1}, headers=tester)
    assert extra.status_code == 422
    twice = client.post("/bench/runs", json={"pairs": 2, "profiles": ["walk", "blind", "walk"]}, headers=tester)  # fmt: skip
    assert twice.status_code == 422
    assert twice.json()["details"]["errors"] == [
        {"field": "profiles", "problem": "each profile once: 'walk' is named twice"}
    ]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["BenchRequest"]
    assert schema["properties"]["profiles"]["uniqueItems"] is True
    missing = client.get("/bench/runs/20000101T000000Z-00000000", headers=tester)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert client.get("/bench/runs/..%2Fetc", headers=tester).status_code in (404, 422)
    cmp = client.get(
        "/bench/compare",
        params={"base": "20000101T000000Z-00000000", "run": "20000101T000000Z-00000001"},
        headers=tester,
    )
    assert cmp.status_code == 404


def test_a_run_that_cannot_be_stored_is_refused_503_and_leaves_nothing(
    client: TestClient, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (found on a 2 MB tmpfs under ``stufenlos serve``): the run's record cannot
    be written, and ``POST /bench/runs`` answered 500 and kept a run "running" in memory that
    no thread ran."""
    tester = keys["tester"]
    jobs = client.app.state.bench_jobs  # type: ignore[attr-defined]
    before = client.get("/bench/runs", headers=tester).json()["runs"]

    def full(record: dict[str, Any]) -> None:
        (jobs.directory / record["id"]).mkdir(parents=True, exist_ok=True)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jobs, "_write", full)
    refused = client.post("/bench/runs", json={"pairs": 2}, headers=tester)
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "storage_unavailable"
    assert "No space left on device" in refused.json()["message"]
    assert refused.headers["Retry-After"] == "60"
    assert not jobs._state
    assert not jobs._running
    monkeypatch.undo()
    assert client.get("/bench/runs", headers=tester).json()["runs"] == before
    assert sorted(p.name for p in jobs.directory.iterdir()) == sorted(r["id"] for r in before)


def test_bench_bounds_runs_at_once(centre_graph_dir: Path, tmp_path: Path) -> None:
    """With one run going on, a second start answers 429 too_many_jobs with Retry-After."""
    from testers.jobs import BenchJobs, JobLimitError

    class Slow(BenchJobs):
        def _run(self, router: Any, record: dict[str, Any]) -> None:
            gate.wait(30)
            super()._run(router, record)

    import threading

    gate = threading.Event()
    from graphs.store import load_graph
    from routing.engine import Router

    router = Router(load_graph(centre_graph_dir))
    jobs = Slow(tmp_path, max_running=1)
    first = jobs.start(router, 2, 0, ["walk"])
    with pytest.raises(JobLimitError):
        jobs.start(router, 2, 0, ["walk"])
    gate.set()
    for _ in range(600):
        if jobs.get(first["id"])["status"] != "running":
            break
        time.sleep(0.05)
    assert jobs.get(first["id"])["status"] == "done"
    again = jobs.start(router, 2, 0, ["walk"])  # free again
    for _ in range(600):  # let it finish: no thread outlives the test
        if jobs.get(again["id"])["status"] != "running":
            break
        time.sleep(0.05)
    assert jobs.get(again["id"])["status"] == "done"


# --------------------------------------------------------------------------- obstacle preview


def test_obstacle_preview_matches_without_saving(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    staff = keys["staff"]
    feature = client.get("/network", params={"bbox": BBOX}).json()["features"][0]
    lon, lat = feature["geometry"]["coordinates"][0]
    body = {
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "effect": {"closed": True},
        "reason": "Vorschau",
    }
    before = client.get("/obstacles", headers=staff).json()["count"]
    response = client.post("/obstacles/preview", json=body, headers=staff)
    assert response.status_code == 200, response.text
    match = response.json()["match"]
    assert match, "the point on a path matches it"
    assert client.get("/obstacles", headers=staff).json()["count"] == before
    # the same body saved answers the same match
    created = client.post("/obstacles", json=body, headers=staff)
    assert created.status_code == 201
    assert created.json()["match"] == match
    oid, version = created.json()["id"], created.json()["version"]
    client.delete(f"/obstacles/{oid}", headers=staff | {"If-Match": f'"{version}"'})


def test_obstacle_preview_errors(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    body = {
        "geometry": {"type": "Point", "coordinates": [10.0, 50.0]},
        "effect": {"closed": True},
        "reason": "weit weg",
    }
    assert client.post("/obstacles/preview", json=body).status_code == 401
    assert client.post("/obstacles/preview", json=body, headers=keys["tester"]).status_code == 403
    nothing = client.post("/obstacles/preview", json=body, headers=keys["staff"])
    assert nothing.status_code == 422
    assert nothing.json()["code"] == "obstacle_matches_nothing"


# ----------------------------------------------------------------------------------- console


def test_console_without_a_build_says_how_to_build(client: TestClient) -> None:
    response = client.get("/console/")
    assert response.status_code == 503
    assert "make console" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/"


def test_console_serves_the_built_files_with_its_csp(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    from api.app import create_app
    from api.settings import Settings

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!DOCTYPE html><title>Konsole</title>", encoding="utf-8")
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    app = create_app(
        Settings(
            graph_dir=centre_graph_dir,
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            console_dir=dist,
        )
    )
    client = TestClient(app)  # static files need no lifespan
    page = client.get("/console/")
    assert page.status_code == 200
    assert "Konsole" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    script = client.get("/console/assets/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert client.get("/console/assets/missing.js").status_code == 404
    # the API keeps its strict policy
    assert client.get("/profiles").headers["content-security-policy"].startswith("default-src 'none'; frame-ancestors")  # fmt: skip


def test_new_endpoints_are_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/network", "/features", "/priorities", "/priorities.ndjson", "/bench/runs",
                 "/bench/runs/{run_id}", "/bench/runs/{run_id}/plots/{name}.png",
                 "/bench/compare", "/obstacles/preview"):  # fmt: skip
        assert path in paths, path
    assert "/console/" not in paths
    assert "/console" not in paths


def test_console_csp_allows_a_configured_tile_server_only(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    from pydantic import ValidationError

    from api.app import create_app
    from api.settings import Settings

    app = create_app(
        Settings(
            graph_dir=centre_graph_dir,
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            console_dir=tmp_path / "none",
            console_tile_origins=["https://tiles.example.org"],
        )
    )
    csp = TestClient(app).get("/console/").headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert "https://tiles.example.org" in directives["img-src"]
    assert "https://tiles.example.org" in directives["connect-src"]
    assert directives["script-src"] == ["'self'"]
    with pytest.raises(ValidationError):
        Settings(console_tile_origins=["https://x.org; script-src *"])
