"""The public map of the obstacles (``GET /obstacles/active``) from the worker's memory.

Before (the note of issue 11, 2026-12-06): every call read the active obstacles from the
database, validated and encoded them; with 3,000 of them 136 ms of the worker's interpreter a
call, and eight clients asking in a loop cut the routes of two workers from 192 to 17 per second.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.obstacles.public_map import ActiveMap, etag_matches, public_feature
from tests.api.support import (
    FakeClock,
    obstacle_body,
    sent_statements,
)


def from_database(client: TestClient) -> list[dict[str, Any]]:
    """The map as the endpoint built it before: the service's active rows, one by one."""
    service = client.app.state.obstacles  # type: ignore[attr-defined]
    return [public_feature(row) for row in service.list("active")]


def active_map(client: TestClient) -> ActiveMap:
    return client.app.state.active_map  # type: ignore[attr-defined]


def test_the_map_is_the_active_list_kept_until_it_changes(
    start_app: Callable[..., TestClient],
    database_url: str,
    clock: FakeClock,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    client = start_app(database_url)
    staff = keys["staff"]
    ending = obstacle_body(on_route, valid_until="2024-06-03T08:45:00", reason="ends 06:45 UTC")
    first = client.post("/obstacles", json=ending, headers=staff).json()
    later = obstacle_body(
        on_route, effect={"width_m": 0.8}, reason="starts 06:30 UTC",
        valid_from="2024-06-03T06:30:00Z",
    )  # fmt: skip
    second = client.post("/obstacles", json=later, headers=staff).json()

    answer = client.get("/obstacles/active")
    assert answer.status_code == 200
    body = answer.json()
    assert body["features"] == from_database(client)
    assert [f["id"] for f in body["features"]] == [first["id"]]
    assert "OpenStreetMap" in body["attribution"]
    assert "stale_since" not in body
    etag = answer.headers["ETag"]
    assert etag.startswith('W/"')
    assert answer.headers["Cache-Control"] == "no-cache"

    # kept: encoded once, however often asked; the ETag sent back gets 304 without a body
    encoded = active_map(client).encodings
    for _ in range(10):
        assert client.get("/obstacles/active").content == answer.content
    unchanged = client.get("/obstacles/active", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag
    assert active_map(client).encodings == encoded
    packed = client.get("/obstacles/active", headers={"Accept-Encoding": "gzip"})
    assert packed.json() == body  # (httpx decodes it)

    # a validity boundary passes (no route in between): the map has the one that started
    clock.now = datetime(2024, 6, 3, 6, 30, tzinfo=UTC)
    started = client.get("/obstacles/active", headers={"If-None-Match": etag})
    assert started.status_code == 200
    assert {f["id"] for f in started.json()["features"]} == {
        first["id"],
        second["id"],
    }  # (written at once)
    assert started.json()["features"] == from_database(client)
    assert started.headers["ETag"] != etag
    clock.advance(minutes=40)  # past the first's end
    assert [f["id"] for f in client.get("/obstacles/active").json()["features"]] == [second["id"]]

    # another worker's write and change are on the map at once
    other = start_app(database_url)
    added = other.post("/obstacles", json=obstacle_body(on_route, reason="B"), headers=staff)
    assert added.status_code == 201, added.text
    listed = client.get("/obstacles/active").json()["features"]
    assert [f["id"] for f in listed] == [second["id"], added.json()["id"]]
    changed = other.patch(
        f"/obstacles/{second['id']}", json={"reason": "Gehweg 80 cm", "version": 1}, headers=staff
    )
    assert changed.status_code == 200, changed.text
    listed = client.get("/obstacles/active").json()["features"]
    assert listed[0]["properties"]["reason"] == "Gehweg 80 cm"
    assert listed == from_database(client)


def test_the_map_of_many_obstacles_is_gzipped_once(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    client = start_app(database_url)
    for i in range(8):
        body = obstacle_body(on_route, reason=f"Baustelle {i}: Gehweg gesperrt bis auf Weiteres")
        assert client.post("/obstacles", json=body, headers=keys["staff"]).status_code == 201
    plain = client.get("/obstacles/active", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    raw = client.stream("GET", "/obstacles/active", headers={"Accept-Encoding": "gzip"})
    with raw as packed:
        assert packed.headers["Content-Encoding"] == "gzip"
        assert packed.headers["Vary"] == "Accept-Encoding"
        assert packed.headers["ETag"] == plain.headers["ETag"]
        assert gzip.decompress(b"".join(packed.iter_raw())) == plain.content
    assert len(plain.json()["features"]) == 8


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('W/"abc"', True),
        ('"abc"', True),  # weak comparison
        ('"x", W/"abc"', True),
        ("*", True),
        ('W/"abd"', False),
    ],
)
def test_if_none_match_is_compared_weakly(header: str | None, matches: bool) -> None:
    assert etag_matches(header, 'W/"abc"') is matches


def test_reading_the_kept_map_neither_reads_the_database_nor_encodes(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
) -> None:
    """200 obstacles: the calls after the first are answered from memory (before: a read of every
    active row and an encoding per call)."""
    client = start_app(database_url, obstacle_poll_s=60.0)  # no revision poll falls due
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": on_route},
        "properties": {"effect": {"closed": True}, "reason": "Baustelle"},
    }
    collection = {"type": "FeatureCollection", "features": [feature] * 200}
    imported = client.post("/obstacles/import", json=collection, headers=keys["admin"])
    assert imported.status_code == 200, imported.text
    first = client.get("/obstacles/active")
    assert len(first.json()["features"]) == 200
    map_, engine = active_map(client), client.app.state.db_engine  # type: ignore[attr-defined]
    encodings = map_.encodings
    with sent_statements(engine) as statements:
        for _ in range(20):
            assert client.get("/obstacles/active").content == first.content
    assert statements == []
    assert map_.encodings == encodings
