"""The fast ``POST /routes`` (:mod:`api.fastpath`) answers exactly as the FastAPI route does.

Two apps on the centre graph, one with the fast path (the default) and one without
(``fast_routes=False``), get the same requests; status, headers (but the request id) and body
bytes must be equal, for routes of every preset (gzip or not, de and en) and for a battery of bad
requests. The fast path must also really be taken for the well-formed ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from accessibility_rules.profile import preset_names
from api.fastpath import FastRoutes

DEPARTURE = "2024-06-20T10:00"


@pytest.fixture(scope="module")
def slow_client(make_client: Callable[..., TestClient]) -> Iterator[TestClient]:
    with make_client(fast_routes=False) as c:
        yield c


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the requests the fast path answers itself."""
    calls: list[int] = []
    original = FastRoutes._answer

    async def counted(self: FastRoutes, *args: Any) -> None:
        calls.append(1)
        await original(self, *args)

    monkeypatch.setattr(FastRoutes, "_answer", counted)
    return calls


def _same(
    fast: TestClient, slow: TestClient, body: Any, headers: dict[str, str] | None = None
) -> int:
    """Send ``body`` (JSON, or raw bytes) to both apps; assert equal answers; the status."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"content-type": "application/json", "accept-encoding": "identity", **(headers or {})}
    a = fast.post("/routes", content=content, headers=sent)
    b = slow.post("/routes", content=content, headers=sent)
    assert a.status_code == b.status_code, (body, a.text, b.text)
    assert a.content == b.content, body
    drop = {"x-request-id"}
    assert {k: v for k, v in a.headers.items() if k not in drop} == {
        k: v for k, v in b.headers.items() if k not in drop
    }
    return a.status_code


def _trips(client: TestClient, count: int, seed: int) -> list[tuple[dict[str, float], ...]]:
    graph = client.app.state.router.graph  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    lat, lon = graph.node["lat"], graph.node["lon"]
    out: list[tuple[dict[str, float], ...]] = []
    for _ in range(count):
        a, b = (int(i) for i in rng.integers(0, graph.node_count, 2))
        out.append(
            (
                {"lat": float(lat[a]) + 0.00005, "lon": float(lon[a])},
                {"lat": float(lat[b]), "lon": float(lon[b]) - 0.00005},
            )
        )
    return out


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_routes_of_every_preset_are_identical(
    client: TestClient, slow_client: TestClient, fast_calls: list[int], encoding: str
) -> None:
    sent = 0
    for k, (origin, destination) in enumerate(_trips(client, 24, seed=11)):
        for name in preset_names():
            body = {
                "origin": origin, "destination": destination, "profile": {"name": name},
                "language": "en" if k % 2 else "de", "departure_time": DEPARTURE,
            }  # fmt: skip
            _same(client, slow_client, body, {"accept-encoding": encoding})
            sent += 1
    assert len(fast_calls) == sent  # every one answered by the fast path


def test_options_of_a_route_request_are_identical(
    client: TestClient, slow_client: TestClient, fast_calls: list[int]
) -> None:
    (o, d), (v, _) = _trips(client, 2, seed=5)
    bodies: list[dict[str, Any]] = [
        {"origin": o, "destination": d, "via": [v], "departure_time": DEPARTURE},
        {"origin": o, "destination": d, "alternatives": 2, "departure_time": DEPARTURE},
        {
            "origin": o,
            "destination": d,
            "departure_time": "2024-12-01T22:00",
            "profile": {"name": "blind"},
        },
        {
            "origin": o,
            "destination": d,
            "date": "2024-04-10",
            "departure_time": DEPARTURE,
            "profile": {"name": "allergy", "parameters": {"avoid_pollen": ["betula"]}},
            "pollen_forecast": {"betula": 3},
        },
        {
            "origin": o,
            "destination": d,
            "departure_time": DEPARTURE,
            "profile": {
                "name": "wheelchair",
                "parameters": {"max_kerb_height_cm": 1, "max_incline_percent": 2},
            },
        },
        {
            "origin": o,
            "destination": d,
            "departure_time": DEPARTURE,
            "strict": True,
            "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 0}},
        },
    ]
    for body in bodies:
        _same(client, slow_client, body)
    assert len(fast_calls) == len(bodies)


def test_bad_requests_get_the_same_error_answers(
    client: TestClient, slow_client: TestClient, fast_calls: list[int]
) -> None:
    (o, d), _ = _trips(client, 2, seed=3)
    good = {"origin": o, "destination": d, "departure_time": DEPARTURE}
    bad: list[Any] = [
        b"",
        b"{",
        b"[]",
        b'"text"',
        b'{"origin": {"lat": NaN, "lon": 7.76}, "destination": {"lat": 49.44, "lon": 7.76}}',
        b'{"origin": {"lat": 1e999, "lon": 7.76}, "destination": {"lat": 49.44, "lon": 7.76}}',
        b"\xff\xfe{}",
        json.dumps(good).encode()[:-1] + b', "origin": {"lat": 49.44, "lon": 7.76}}',  # twice
        {**good, "unknown": 1},
        {**good, "origin": {"lat": o["lon"], "lon": o["lat"]}},  # swapped
        {**good, "origin": {"lat": 10.0, "lon": 10.0}},  # far away
        {**good, "origin": {"lat": 95.0, "lon": 7.7}},
        {**good, "profile": {"name": "no-such-profile"}},
        {**good, "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": -3}}},
        {**good, "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 1e9}}},
        {**good, "profile": {"name": "wheelchair", "parameters": {"no_such": 1}}},
        {**good, "alternatives": 99},
        {**good, "via": [o] * 40},
        {**good, "language": "fr"},
        {**good, "departure_time": "0001-01-01T00:00:00"},
        {**good, "pollen_forecast": {"unknown_tree": 3}},
        {**good, "origin": {"lat": "49.4", "lon": "7.7"}},
        {**good, "origin": {"lat": 10**30, "lon": 7.7}},
    ]
    statuses = [_same(client, slow_client, body) for body in bad]
    assert all(400 <= s < 500 for s in statuses), statuses
    # text the model takes but another content type: both go to the FastAPI route
    _same(client, slow_client, json.dumps(good).encode(), {"content-type": "text/plain"})
    assert len(fast_calls) <= len(bad)  # only well-formed ones (the domain errors) were fast


def test_an_oversize_body_is_refused_before_the_fast_path(
    make_client: Callable[..., TestClient], fast_calls: list[int]
) -> None:
    with make_client(max_body_bytes=2048) as small:
        body = b'{"origin": {"lat": 49.44, "lon": 7.76}, "pad": "' + b"x" * 4096 + b'"}'
        response = small.post("/routes", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert fast_calls == []
