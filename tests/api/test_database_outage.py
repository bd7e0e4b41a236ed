"""A database that cannot be reached: routes go on, writes answer 503, the end is seen.

The outage is made at the driver: every new connection of the app's engine raises the driver's
own "cannot connect" error (as a PostgreSQL server that is down, or an SQLite file that cannot be
opened, does), and the pooled connections are dropped; SQLAlchemy wraps it as it wraps the real
one. Both databases. (Measured against a real PostgreSQL server stopped and started under
``stufenlos serve``: the note of issue 11, 2026-12-06.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from api.obstacles.live import LiveObstacles
from tests.api.support import (
    DESTINATION,
    ORIGIN,
    FakeClock,
    assert_error,
    obstacle_body,
    passes_near,
    route,
)
from tests.api.test_balance import wait_for


class Outage:
    """Switches the app's database off and on at its driver."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.down = False
        self.silent_s = 0.0  # a server that does not answer: each attempt waits this long
        self.attempts = 0
        event.listen(engine, "do_connect", self._connect)

    def _connect(self, dialect: Any, *_: Any) -> None:
        if self.down:
            self.attempts += 1
            time.sleep(self.silent_s)
            raise dialect.loaded_dbapi.OperationalError("connection refused (test outage)")

    def start(self, silent_s: float = 0.0) -> None:
        self.down = True
        self.silent_s = silent_s
        self.engine.pool.dispose()  # the pooled connections die with the server

    def end(self) -> None:
        self.down = False

    def close(self) -> None:
        event.remove(self.engine, "do_connect", self._connect)


@pytest.fixture
def client(start_app: Callable[..., TestClient], database_url: str) -> TestClient:
    """A started app on this test's database (not the session's shared client)."""
    return start_app(database_url)


@pytest.fixture
def outage(client: TestClient) -> Iterator[Outage]:
    made = Outage(client.app.state.db_engine)  # type: ignore[attr-defined]
    yield made
    made.close()


def test_routes_go_on_and_writes_answer_503_while_the_database_is_down(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    outage: Outage,
    clock: FakeClock,
) -> None:
    staff = keys["staff"]
    live: LiveObstacles = client.app.state.live_obstacles  # type: ignore[attr-defined]
    created = client.post("/obstacles", json=obstacle_body(on_route), headers=staff)
    assert created.status_code == 201, created.text
    closed = route(client)
    assert not passes_near(closed, on_route)
    assert "stale_since" not in closed["obstacles"]
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["database"] == {
        "reachable": True, "unreachable_since": None, "obstacles_stale_since": None,
    }  # fmt: skip

    outage.start()
    clock.advance(seconds=5)
    live._checked_at = -float("inf")  # the revision poll is due: the next route reads
    during = route(client)  # answered, with the closure it knew, and saying since when
    assert during["distance_m"] == closed["distance_m"]
    assert not passes_near(during, on_route)
    stale_since = during["obstacles"]["stale_since"]
    assert stale_since is not None
    assert stale_since.endswith("Z")
    tried = outage.attempts
    assert tried >= 1
    for _ in range(20):  # no route waits for another try: one a second, in the background
        assert route(client)["obstacles"]["stale_since"] == stale_since
    assert outage.attempts <= tried + 1
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    assert health["database"]["reachable"] is False
    assert health["database"]["obstacles_stale_since"] == stale_since

    # the public map of the obstacles: as last read, and saying so (not 503)
    public = client.get("/obstacles/active")
    assert public.status_code == 200
    assert [f["properties"]["reason"] for f in public.json()["features"]] == [
        "Baustelle: Gehweg gesperrt"
    ]
    assert public.json()["stale_since"] == stale_since

    # every operation that needs the database: 503 with Retry-After, never a 500
    report = {"geometry": {"type": "Point", "coordinates": on_route}, "description": "Aufzug"}
    matrix = {"sources": [{"lat": 49.4447, "lon": 7.769}], "targets": [{"lat": 49.44, "lon": 7.772}]}  # fmt: skip
    for method, path, body, headers in (
        ("POST", "/obstacles", obstacle_body(on_route, reason="during the outage"), staff),
        ("GET", "/obstacles", None, staff),
        ("POST", "/reports", report, {}),
        ("GET", "/bench/runs", None, staff),
        ("POST", "/matrix", matrix, staff),
    ):
        answer = client.request(method, path, json=body, headers=headers)
        assert_error(answer, 503, "database_unavailable")
        assert answer.headers["Retry-After"] == "5"
    openapi = client.get("/openapi.json").json()["paths"]
    assert "503" in openapi["/obstacles"]["post"]["responses"]
    assert "503" not in openapi["/routes"]["post"]["responses"]

    outage.end()
    time.sleep(1.05)  # the next try is due
    route(client)  # starts it in the background (and is answered as read)
    wait_for(lambda: not live.outage.down)
    after = route(client)
    assert "stale_since" not in after["obstacles"]
    assert not passes_near(after, on_route)
    assert client.get("/health").json()["status"] == "ok"
    assert "stale_since" not in client.get("/obstacles/active").json()
    written = client.post("/obstacles", json=obstacle_body(on_route, reason="after"), headers=staff)
    assert written.status_code == 201, written.text
    listed = client.get("/obstacles", headers=staff).json()
    assert sorted(o["reason"] for o in listed["obstacles"]) == [
        "Baustelle: Gehweg gesperrt",
        "after",
    ]  # fmt: skip (nothing of the refused writes was stored)


def test_a_database_that_does_not_answer_holds_one_route_a_second_at_most(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float], outage: Outage
) -> None:
    """A frozen server (a connection attempt, or a read, that is never answered): the route that
    polls it waits :data:`~api.obstacles.bounded_read.READ_WAIT_S`, not for the server; the
    routes after it wait for nothing (before: every route waited as long as the server)."""
    from api.obstacles.bounded_read import READ_WAIT_S

    live: LiveObstacles = client.app.state.live_obstacles  # type: ignore[attr-defined]
    assert client.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"]).status_code == 201  # fmt: skip
    closed = route(client)
    outage.start(silent_s=8.0)
    live._checked_at = -float("inf")  # the revision poll is due: the next route reads
    started = time.monotonic()
    first = route(client)
    waited_s = time.monotonic() - started
    assert READ_WAIT_S <= waited_s < READ_WAIT_S + 4.0, waited_s  # not the server's 8 s
    assert first["distance_m"] == closed["distance_m"]
    assert first["obstacles"]["stale_since"] is not None
    started = time.monotonic()
    for _ in range(10):
        assert "stale_since" in route(client)["obstacles"]
    assert time.monotonic() - started < READ_WAIT_S  # none of them waited
    assert client.get("/health").json()["status"] == "degraded"
    outage.end()


def test_health_on_a_worker_without_routes_says_an_outage_at_the_first_call(
    client: TestClient, outage: Outage
) -> None:
    """A worker that answers no routes reads the database only when ``/health`` asks (a read a
    second at most). Its first ``/health`` after the server went down said ``ok``, and only the
    next one ``degraded``: it started the read and answered before it ended. It now waits for
    that read a moment (a database that refuses at once), and for a database back likewise."""
    assert client.get("/health").json()["status"] == "ok"
    outage.start()
    time.sleep(1.05)  # the last read is more than a second old: the next /health reads
    assert client.get("/health").json()["status"] == "degraded"
    outage.end()
    time.sleep(1.05)  # the next try is due
    assert client.get("/health").json()["status"] == "ok"


def test_staff_calls_that_wait_for_a_silent_database_hold_no_route(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float], outage: Outage
) -> None:
    """A database that does not answer: the staff's key checks and writes wait for it (each
    connection attempt :data:`SILENT_S`), the routes of their worker do not (they ran in the
    CPU thread until 2026-12-07, and every route waited with them), nor does a keyed matrix's
    caller hold anyone but itself."""
    from api.obstacles.bounded_read import READ_WAIT_S

    staff = keys["staff"]
    before = route(client)
    outage.start(silent_s=SILENT_S)
    calls = [
        lambda: client.get("/obstacles", headers=staff),
        lambda: client.post("/obstacles", json=obstacle_body(on_route), headers=staff),
        lambda: client.post("/matrix", json={"sources": [ORIGIN], "targets": [DESTINATION]}, headers=staff),
    ]  # fmt: skip
    answers: list[int] = []
    waiting = [threading.Thread(target=lambda c=c: answers.append(c().status_code)) for c in calls]
    for thread in waiting:
        thread.start()
    try:
        time.sleep(0.3)  # every call waits for a connection now
        assert all(thread.is_alive() for thread in waiting)
        waits_s = []
        for _ in range(5):
            started = time.monotonic()
            answered = route(client)
            waits_s.append(time.monotonic() - started)
            assert answered["distance_m"] == before["distance_m"]
        # one route may read the revision, bounded (the outage's start), the others read nothing
        assert max(waits_s) < READ_WAIT_S + 0.5, f"routes waited {waits_s} s with the staff's calls"  # fmt: skip
        assert sorted(waits_s)[-2] < 0.5, waits_s
    finally:
        outage.end()
        for thread in waiting:
            thread.join(timeout=60)
    assert len(answers) == 3
    assert set(answers) <= {200, 201, 401, 503}, answers


#: How long each connection attempt of the silent database waits before it fails.
SILENT_S = 3.0


def test_a_database_that_only_reads_answers_writes_503_and_routes_go_on(
    client: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """A database that answers but refuses every write (a PostgreSQL hot standby after a
    failover, ``default_transaction_read_only``; SQLite ``query_only``): staff writes and
    citizens' reports answer 503 ``database_unavailable`` (PostgreSQL's refusal, a psycopg
    ``InternalError``, was a 500 ``internal_error``, found 2026-12-07), routes go on, and once
    it writes again, so do the writes."""
    engine: Engine = client.app.state.db_engine  # type: ignore[attr-defined]
    sqlite = engine.dialect.name == "sqlite"

    def read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(
            "PRAGMA query_only = 1" if sqlite else "SET default_transaction_read_only = on"
        )
        cursor.close()
        if not sqlite:
            dbapi_connection.commit()

    event.listen(engine, "connect", read_only)
    engine.pool.dispose()
    try:
        staff = keys["staff"]
        refused = client.post("/obstacles", json=obstacle_body(on_route), headers=staff)
        assert_error(refused, 503, "database_unavailable")
        report = {"geometry": {"type": "Point", "coordinates": on_route}, "description": "Bauzaun"}
        assert_error(client.post("/reports", json=report), 503, "database_unavailable")
        assert passes_near(route(client), on_route)  # nothing was written
    finally:
        event.remove(engine, "connect", read_only)
        engine.pool.dispose()
    assert client.post("/obstacles", json=obstacle_body(on_route), headers=staff).status_code == 201
    assert not passes_near(route(client), on_route)
