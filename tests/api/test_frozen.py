"""Never frozen (issue 11): out-of-area in O(1), bounded cost per request, CPU work off the event
loop, request ids and one access log line per request.

Real data: the centre extract of Kaiserslautern (``centre_graph_dir``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from graphs.store import load_graph
from routing.engine import Router
from tests.api.conftest import AccessLines

pytestmark = pytest.mark.realdata

ORIGIN = {"lat": 49.4447, "lon": 7.7690}
DESTINATION = {"lat": 49.4390, "lon": 7.7640}
SWAPPED = {"lat": ORIGIN["lon"], "lon": ORIGIN["lat"]}
FAR_AWAY = {"lat": -33.8568, "lon": 151.2153}  # Sydney, ~16 500 km
#: In process, an out-of-area answer must take well under this (a frozen snap took 17–45 s).
FAST_S = 0.1
#: How long a held route waits at most (a generous bound: nothing in the test is timed).
HELD_S = 20.0


def route_body(**fields: Any) -> dict[str, Any]:
    return {"origin": ORIGIN, "destination": DESTINATION} | fields


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "details"}
    return body


# --- out of area, before any search -------------------------------------------------------------
@pytest.mark.parametrize("role", ["origin", "destination"])
def test_swapped_coordinates_answer_at_once_with_a_hint(client: TestClient, role: str) -> None:
    client.post("/routes", json=route_body())  # warm
    start = time.perf_counter()
    response = client.post("/routes", json=route_body(**{role: SWAPPED}))
    elapsed = time.perf_counter() - start
    error = error_of(response, 422, "out_of_area")
    assert elapsed < FAST_S
    assert "did you swap latitude and longitude?" in error["message"]
    assert error["details"]["swapped"] is True
    assert "swap" in error["details"]["hint"]
    assert error["details"]["field"] == role
    assert error["details"]["distance_m"] > 1_000_000  # (7.77, 49.44) is in Somalia


def test_far_away_point_answers_at_once_without_a_hint(client: TestClient) -> None:
    start = time.perf_counter()
    response = client.post("/routes", json=route_body(destination=FAR_AWAY))
    elapsed = time.perf_counter() - start
    error = error_of(response, 422, "out_of_area")
    assert elapsed < FAST_S
    assert error["details"]["swapped"] is False
    assert "hint" not in error["details"]
    assert "swap" not in error["message"]
    assert 15_000_000 < error["details"]["distance_m"] < 17_500_000


def test_get_and_matrix_refuse_swapped_points_at_once(client: TestClient) -> None:
    start = time.perf_counter()
    params = {"from": f"{ORIGIN['lon']},{ORIGIN['lat']}", "to": "49.4390,7.7640"}
    error = error_of(client.get("/routes", params=params), 422, "out_of_area")
    assert "swap" in error["message"]
    body = {"sources": [ORIGIN], "targets": [DESTINATION, SWAPPED, FAR_AWAY]}
    error = error_of(client.post("/matrix", json=body), 422, "out_of_area")
    assert error["details"]["field"] == "targets[1]"
    assert error["details"]["swapped"] is True
    assert time.perf_counter() - start < 2 * FAST_S


# --- bounded cost -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tight_router(centre_graph_dir: Path) -> Router:
    """A router whose searches may settle only 1 % of the graph's nodes."""
    return Router(load_graph(centre_graph_dir), settle_budget_factor=0.01)


def test_search_over_its_budget_is_a_clear_error(
    centre_graph_dir: Path, tight_router: Router, tmp_path: Path
) -> None:
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(graph_dir=centre_graph_dir, database_url=f"sqlite:///{tmp_path}/t.db")
    with TestClient(create_app(settings, router=tight_router)) as c:
        error = error_of(c.post("/routes", json=route_body()), 422, "search_budget_exceeded")
        details = error["details"]
        assert details["max_settled"] == tight_router.max_settled
        assert details["settled_nodes"] == tight_router.max_settled
        assert str(tight_router.max_settled) in error["message"]
        body = {"sources": [ORIGIN], "targets": [DESTINATION]}
        error_of(c.post("/matrix", json=body), 422, "search_budget_exceeded")


def test_default_budget_cuts_no_route(client: TestClient) -> None:
    response = client.post("/routes", json=route_body(profile={"name": "wheelchair"}))
    assert response.status_code == 200, response.text


def test_anonymous_matrix_is_capped_by_a_cost_budget(
    make_client: Callable[..., TestClient],
) -> None:
    body = {"sources": [ORIGIN, DESTINATION], "targets": [ORIGIN, DESTINATION]}
    with make_client(matrix_cost_budget=10) as c:
        nodes = c.get("/health").json()["graph"]["nodes"]
        error = error_of(c.post("/matrix", json=body), 422, "matrix_budget_exceeded")
        assert error["details"] == {
            "cost": 4 * nodes, "budget": 10, "cells": 4, "node_count": nodes, "keyed": False,
            "max_cells": 10 // nodes,
        }  # fmt: skip
        assert "budget" in error["message"]
        assert "without an API key" in error["message"]


def test_keyed_matrix_has_its_own_budget(make_client: Callable[..., TestClient]) -> None:
    from api.auth import create_key

    body = {"sources": [ORIGIN, DESTINATION], "targets": [ORIGIN, DESTINATION]}
    with make_client(matrix_cost_budget=10, matrix_cost_budget_keyed=10**9) as c:
        _, key = create_key(c.app.state.db, "matrix tester", "staff")  # type: ignore[attr-defined]
        assert c.post("/matrix", json=body, headers={"X-API-Key": key}).status_code == 200
        auth = {"Authorization": f"Bearer {key}"}
        assert c.post("/matrix", json=body, headers=auth).status_code == 200
        bad = c.post("/matrix", json=body, headers={"X-API-Key": "not-a-key"})
        error_of(bad, 401, "unauthorized")
    with make_client(matrix_cost_budget=10, matrix_cost_budget_keyed=11) as c:
        _, key = create_key(c.app.state.db, "matrix tester", "staff")  # type: ignore[attr-defined]
        error = error_of(
            c.post("/matrix", json=body, headers={"X-API-Key": key}), 422, "matrix_budget_exceeded"
        )
        assert error["details"]["keyed"] is True
        assert "with an API key" in error["message"]


# --- request ids and the access log -------------------------------------------------------------
def test_every_answer_has_a_request_id(client: TestClient) -> None:
    ids = {client.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(len(i) == 16 for i in ids)
    echoed = client.get("/health", headers={"X-Request-ID": "app-1234.abc:Z_9"})
    assert echoed.headers["x-request-id"] == "app-1234.abc:Z_9"
    for insane in ("a b", "x" * 65, "ä".encode(), "<script>", ""):
        got = client.get("/health", headers={"X-Request-ID": insane}).headers["x-request-id"]
        assert len(got) == 16
        assert got != insane
    error = client.post("/routes", json=route_body(origin=FAR_AWAY))
    assert error.status_code == 422
    assert len(error.headers["x-request-id"]) == 16


def test_one_access_line_per_request(client: TestClient, access_log: AccessLines) -> None:
    ok = client.post("/routes", json=route_body(profile={"name": "wheelchair"}))
    got = client.get("/routes", params={"from": "49.4447,7.7690", "to": "49.4390,7.7640"})
    bad = client.post("/routes", json=route_body(origin=SWAPPED), headers={"X-Request-ID": "r-1"})
    health = client.get("/health")
    handler = access_log
    lines = [json.loads(r.getMessage()) for r in handler.records]
    assert len(lines) == 4
    for line, response in zip(lines, (ok, got, bad, health), strict=True):
        assert line["event"] == "access"
        assert line["status"] == response.status_code
        assert line["request_id"] == response.headers["x-request-id"]
        assert isinstance(line["ms"], float)
        assert line["ms"] >= 0
    assert (lines[0]["method"], lines[0]["path"], lines[0]["profile"]) == ("POST", "/routes", "wheelchair")  # fmt: skip
    assert (lines[1]["method"], lines[1]["profile"]) == ("GET", "walk")
    assert lines[2]["request_id"] == "r-1"
    assert lines[2]["error"] == "out_of_area"
    assert "profile" not in lines[3]
    assert "error" not in lines[3]


class _ExplodingRouter(Router):
    def __init__(self) -> None:  # no graph needed
        pass

    def route_via(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


def test_500_is_logged_with_its_request_id(
    centre_graph_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(graph_dir=centre_graph_dir, database_url=f"sqlite:///{tmp_path}/t.db")
    app = create_app(settings, router=_ExplodingRouter())
    logger = logging.getLogger("stufenlos.api")
    handler = AccessLines()
    logger.addHandler(handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            response = c.post("/routes", json=route_body(), headers={"X-Request-ID": "boom-7"})
    finally:
        logger.removeHandler(handler)
    error = error_of(response, 500, "internal_error")
    assert "boom" not in response.text
    assert error["details"] == {}
    assert response.headers["x-request-id"] == "boom-7"
    errors = [r for r in handler.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "request_id=boom-7" in errors[0].getMessage()
    assert errors[0].exc_info is not None


# --- the event loop stays free ------------------------------------------------------------------
def test_health_answers_while_a_route_computes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CPU work never blocks the event loop: ``/health`` answers while a route is being computed.

    The route's computation is held (deterministically, no timing) until ``/health`` has
    answered; on an event loop that computed routes itself, ``/health`` would wait for it and
    the test would fail at its timeout. How fast ``/health`` answers under real load is a
    figure of ``benchmarks/bench_load.py``, not a test.
    """
    import api.route_answers as answers

    computing, release = threading.Event(), threading.Event()
    real_plan = answers.plan

    def held_plan(*args: Any, **kwargs: Any) -> Any:
        computing.set()
        release.wait(HELD_S)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(answers, "plan", held_plan)
    with ThreadPoolExecutor(2) as pool:
        route = pool.submit(client.post, "/routes", json=route_body())
        try:
            assert computing.wait(HELD_S), "the route never started"
            health = pool.submit(client.get, "/health").result(timeout=HELD_S)
            assert health.status_code == 200
            assert not route.done(), "the route was not held while /health answered"
        finally:
            release.set()
        assert route.result(timeout=HELD_S).status_code == 200


@pytest.mark.parametrize("fast_routes", [True, False])
def test_a_far_away_request_does_not_wait_behind_routes(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch, fast_routes: bool
) -> None:
    """A request with an end outside the map is refused on the event loop (O(1), no search):
    while a route is held in the CPU thread, it is answered, with the same error as ever."""
    import api.route_answers as answers

    computing, release = threading.Event(), threading.Event()
    real_plan = answers.plan

    def held_plan(r: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        if req.origin.lat == ORIGIN["lat"]:  # the good route only
            computing.set()
            release.wait(HELD_S)
        return real_plan(r, req, *args, **kwargs)

    monkeypatch.setattr(answers, "plan", held_plan)
    far = route_body(origin={"lat": ORIGIN["lon"], "lon": ORIGIN["lat"]})  # swapped
    with make_client(fast_routes=fast_routes) as client, ThreadPoolExecutor(2) as pool:
        route = pool.submit(client.post, "/routes", json=route_body())
        try:
            assert computing.wait(HELD_S), "the route never started"
            refused = pool.submit(client.post, "/routes", json=far).result(timeout=HELD_S)
            error = error_of(refused, 422, "out_of_area")
            assert error["details"]["swapped"] is True
            assert not route.done(), "the route was not held while the far request answered"
            fetched = pool.submit(client.get, "/routes", params={
                "from": f"{ORIGIN['lon']},{ORIGIN['lat']}",
                "to": f"{DESTINATION['lat']},{DESTINATION['lon']}",
            }).result(timeout=HELD_S)  # fmt: skip
            error_of(fetched, 422, "out_of_area")
        finally:
            release.set()
        assert route.result(timeout=HELD_S).status_code == 200


def test_routes_are_compressed_off_the_event_loop(client: TestClient) -> None:
    # one departure for both requests: the default (now, in seconds) may tick between them
    body = route_body(departure_time=dt.datetime.now().isoformat(timespec="seconds"))
    gz = client.post("/routes", json=body, headers={"Accept-Encoding": "gzip"})
    assert gz.status_code == 200
    assert gz.headers["content-encoding"] == "gzip"
    plain = client.post("/routes", json=body, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gz.json() == plain.json()


def test_the_default_access_handler_gets_the_same_line_written_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With only the plain stderr handler the server installs, an access line is written to its
    stream directly (no LogRecord); with any other handler it goes through the logger. Both
    write the same text: one compact JSON object per line."""
    import io

    from api import middleware

    logger = logging.getLogger("stufenlos.access-test")
    stream = io.StringIO()
    monkeypatch.setattr(middleware, "access_log", logger)
    monkeypatch.setattr(middleware.sys, "stderr", stream)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # no root handler: ours is made
    monkeypatch.setattr(middleware, "_OWN_HANDLERS", {})
    try:
        middleware._ensure_handler(logger)
        assert middleware._OWN_HANDLERS[logger.name] in logger.handlers
        line = {"event": "access", "status": 200, "path": "/routes", "ms": 1.25, "x": "ä"}
        records = AccessLines()
        with monkeypatch.context() as m:
            m.setattr(logging.Logger, "handle", lambda *a: records.emit(a[1]))
            middleware._log_access(line, logging.INFO)
        assert records.records == []  # not through the logger
        assert stream.getvalue() == '{"event":"access","status":200,"path":"/routes","ms":1.25,"x":"ä"}\n'  # fmt: skip
        extra = AccessLines()  # a second handler (an operator's, a test's): through the logger
        logger.addHandler(extra)
        middleware._log_access(line, logging.WARNING)
        assert [json.loads(r.getMessage()) for r in extra.records] == [line]
        assert extra.records[0].levelno == logging.WARNING
        assert stream.getvalue().count("\n") == 2  # ours still writes it, through logging
    finally:
        logger.handlers.clear()


def test_access_lines_of_a_loop_are_written_together_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the event loop, the default handler's lines wait at most ``ACCESS_FLUSH_S`` and go
    out in one write, in order; a batch left by a loop that ended goes out with the next line;
    ``flush_access_lines`` writes whatever waits."""
    import asyncio
    import io

    from api import middleware

    class Counting(io.StringIO):
        writes = 0

        def write(self, s: str) -> int:
            type(self).writes += 1
            return super().write(s)

    logger = logging.getLogger("stufenlos.access-batch-test")
    stream = Counting()
    monkeypatch.setattr(middleware, "access_log", logger)
    monkeypatch.setattr(middleware.sys, "stderr", stream)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(middleware, "_OWN_HANDLERS", {})
    monkeypatch.setattr(middleware, "_BATCH", middleware._Batch())
    try:
        middleware._ensure_handler(logger)

        async def five() -> None:
            for i in range(5):
                middleware._log_access({"n": i}, logging.INFO)
            assert stream.getvalue() == ""  # waiting for the batch
            await asyncio.sleep(middleware.ACCESS_FLUSH_S * 5)
            assert [json.loads(x)["n"] for x in stream.getvalue().splitlines()] == [0, 1, 2, 3, 4]
            assert Counting.writes == 1
            middleware._log_access({"n": 5}, logging.INFO)  # left waiting when the loop ends

        asyncio.run(five())
        assert stream.getvalue().count("\n") == 5

        async def one_more() -> None:
            middleware._log_access({"n": 6}, logging.INFO)

        asyncio.run(one_more())  # another loop: the ended loop's line goes out with this one
        assert [json.loads(x)["n"] for x in stream.getvalue().splitlines()] == list(range(7))
        middleware._log_access({"n": 7}, logging.INFO)  # no loop at all: written at once
        assert stream.getvalue().count("\n") == 8
        middleware.flush_access_lines()  # nothing waits: nothing written twice
        assert stream.getvalue().count("\n") == 8
    finally:
        logger.handlers.clear()
