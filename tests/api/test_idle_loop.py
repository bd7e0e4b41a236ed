"""Where the fast path computes a route (:func:`api.fastpath.on_idle_loop`): on the event loop
when the request is alone in its worker, in the CPU thread otherwise, with the same answer.

The rule's parts are tested one by one: the request tasks uvicorn counts (:mod:`api.inflight`),
a job in the CPU thread (:func:`api.cpu.cpu_idle`), live obstacles that need a database
read first (:meth:`LiveObstacles.fresh`), via points and alternatives, the setting.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import inflight
from api.cpu import cpu_idle, run_cpu

DEPARTURE = "2024-06-20T10:00"


@pytest.fixture
def alone_in_worker(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> set[Any]:
    """As in a served worker with one request in hand, its live obstacles just read: the
    tracked task set (one task), ``fresh()`` true. Returns the set (a test may add to it)."""
    tasks: set[Any] = {"this request"}
    monkeypatch.setattr(inflight, "_tasks", tasks)
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    monkeypatch.setattr(live, "fresh", lambda: True)
    return tasks


def _route(client: TestClient, **extra: Any) -> tuple[int, bytes]:
    graph = client.app.state.router.graph  # type: ignore[attr-defined]
    lat, lon = graph.node["lat"], graph.node["lon"]
    body = {
        "origin": {"lat": float(lat[3]) + 0.00005, "lon": float(lon[3])},
        "destination": {"lat": float(lat[-5]), "lon": float(lon[-5]) - 0.00005},
        "profile": {"name": "wheelchair"},
        "departure_time": DEPARTURE,
        **extra,
    }
    sent = {"content-type": "application/json", "accept-encoding": "gzip"}
    response = client.post("/routes", content=json.dumps(body).encode(), headers=sent)
    return response.status_code, response.content


def test_a_route_alone_in_its_worker_is_computed_on_the_loop_with_the_same_answer(
    client: TestClient, thread_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_thread = _route(client)
    assert thread_calls == ["route_answer"]  # nothing tracked (in process): the CPU thread
    monkeypatch.setattr(inflight, "_tasks", {"this request"})
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    monkeypatch.setattr(live, "fresh", lambda: True)
    on_loop = _route(client)
    assert thread_calls == ["route_answer"]  # not handed over this time
    assert on_loop == in_thread
    assert on_loop[0] == 200


@pytest.mark.parametrize(
    "extra",
    [{"alternatives": 1}, {"via": [{"lat": 49.4437, "lon": 7.7694}]}],
    ids=["alternatives", "via"],
)
def test_more_than_one_leg_goes_to_the_cpu_thread(
    client: TestClient, thread_calls: list[str], alone_in_worker: set[Any], extra: dict[str, Any]
) -> None:
    _route(client, **extra)
    assert thread_calls == ["route_answer"]


@pytest.mark.parametrize(
    "profile",
    [
        {"name": "elderly"},
        {"name": "wheelchair", "parameters": {"max_distance_between_rests_m": 300}},
        {"name": "no such preset"},
    ],
    ids=["elderly preset", "rests asked", "unknown preset"],
)
def test_a_rest_limit_or_an_unknown_profile_goes_to_the_cpu_thread(
    client: TestClient,
    thread_calls: list[str],
    alone_in_worker: set[Any],
    profile: dict[str, Any],
) -> None:
    _route(client, profile=profile)
    assert thread_calls == ["route_answer"]


def test_a_preset_with_its_rest_limit_lifted_is_computed_on_the_loop(
    client: TestClient, thread_calls: list[str], alone_in_worker: set[Any]
) -> None:
    status, _ = _route(
        client, profile={"name": "elderly", "parameters": {"max_distance_between_rests_m": None}}
    )
    assert status == 200
    assert thread_calls == []


def test_a_route_among_other_requests_goes_to_the_cpu_thread(
    client: TestClient, thread_calls: list[str], alone_in_worker: set[Any]
) -> None:
    alone_in_worker.add("another request")
    _route(client)
    assert thread_calls == ["route_answer"]


def test_obstacles_that_need_a_database_read_send_the_route_to_the_cpu_thread(
    client: TestClient,
    thread_calls: list[str],
    alone_in_worker: set[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = client.app.state.live_obstacles  # type: ignore[attr-defined]
    monkeypatch.setattr(live, "fresh", lambda: False)
    _route(client)
    assert thread_calls == ["route_answer"]


def test_the_setting_turns_it_off(
    make_client: Callable[..., TestClient],
    thread_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inflight, "_tasks", {"this request"})
    with make_client(idle_loop_routes=False) as c:
        monkeypatch.setattr(c.app.state.live_obstacles, "fresh", lambda: True)  # type: ignore[attr-defined]
        _route(c)
    assert thread_calls == ["route_answer"]


def test_alone_counts_the_tracked_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inflight, "_tasks", None)
    assert not inflight.alone()  # nothing counted: never alone
    tasks: set[str] = set()
    inflight.track(tasks)
    assert inflight.alone()
    tasks.add("a")
    assert inflight.alone()
    tasks.add("b")
    assert not inflight.alone()


def test_cpu_idle_is_false_while_a_caller_awaits_the_cpu_thread() -> None:
    release = threading.Event()

    async def main() -> tuple[bool, bool, bool]:
        before = cpu_idle()
        job = asyncio.ensure_future(run_cpu(release.wait, 10.0))
        await asyncio.sleep(0.01)
        during = cpu_idle()
        release.set()
        await job
        return before, during, cpu_idle()

    assert asyncio.run(main()) == (True, False, True)


def test_fresh_says_whether_a_route_would_read_the_database_first(
    make_client: Callable[..., TestClient],
) -> None:
    with make_client(obstacle_poll_s=60.0) as c:
        live = c.app.state.live_obstacles  # type: ignore[attr-defined]
        live.ensure_fresh()
        assert live.fresh()
        if live.beacon.enabled:  # a write of this host, not yet applied here
            live.beacon.bump()
            assert not live.fresh()
            live.ensure_fresh()
            assert live.fresh()
        live.poll_s = 0.0  # the revision poll is due
        assert not live.fresh()
