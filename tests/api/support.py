"""What the API tests share: the API's one error shape, and for the tests of obstacles, reports
and their database the trip on the centre graph, a clock the tests move by hand, route helpers,
and new databases (a SQLite file or a PostgreSQL schema of its own) with staff keys.

The fixtures built on these (``database_url``, ``keys``, ``start_app``, ``baseline``, ...) are in
``tests/api/conftest.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

POSTGRES_ENV = "STUFENLOS_TEST_POSTGRES_URL"
ORIGIN = {"lat": 49.4447, "lon": 7.7690}  # Am Altenhof, near the Stiftskirche
DESTINATION = {"lat": 49.4390, "lon": 7.7640}  # Pirmasenser Straße
T0 = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)  # 08:00 in Kaiserslautern (CEST)
ERROR_KEYS = {"code", "message", "details"}


class FakeClock:
    """An injectable clock that tests move by hand (``app.state.clock``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class AppStarter:
    """Started apps (lifespan run) on one graph, with the tests' clock, for the ``start_app``
    fixture: call it with a database URL and settings; :meth:`stop` stops one (a worker's
    restart), :meth:`stop_all` the rest."""

    def __init__(self, graph_dir: Path, clock: FakeClock) -> None:
        self.graph_dir, self.clock = graph_dir, clock
        self.started: list[TestClient] = []

    def __call__(self, url: str, **settings: Any) -> TestClient:
        from api.app import create_app
        from api.settings import Settings

        app = create_app(Settings(graph_dir=self.graph_dir, database_url=url, **settings))
        app.state.clock = self.clock
        client = TestClient(app)
        client.__enter__()
        self.started.append(client)
        return client

    def stop(self, client: TestClient) -> None:
        """Stop ``client``'s app (its lifespan's end)."""
        self.started.remove(client)
        client.__exit__(None, None, None)

    def stop_all(self) -> None:
        for client in reversed(self.started):
            client.__exit__(None, None, None)
        self.started.clear()


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the API's single error shape with this status and code; no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"].strip()
    assert isinstance(body["details"], dict)
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return body


def route(client: TestClient, profile: str = "wheelchair") -> dict[str, Any]:
    """The first route from ORIGIN to DESTINATION for ``profile``."""
    response = client.post(
        "/routes",
        json={"origin": ORIGIN, "destination": DESTINATION, "profile": {"name": profile}},
    )
    assert response.status_code == 200, response.text
    return response.json()["routes"][0]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def longest_piece(route_body: dict[str, Any]) -> tuple[list[float], list[float]]:
    """The two ends of the route's longest straight piece."""
    coords = route_body["geometry"]["coordinates"]
    i = max(range(len(coords) - 1), key=lambda k: math.dist(coords[k], coords[k + 1]))
    return coords[i], coords[i + 1]


def point_on(route_body: dict[str, Any], share: float = 0.5) -> list[float]:
    """A point on the route's longest straight piece: on a path the route uses."""
    (x1, y1), (x2, y2) = longest_piece(route_body)
    return [round(x1 + share * (x2 - x1), 7), round(y1 + share * (y2 - y1), 7)]


def passes_near(route_body: dict[str, Any], point: list[float], metres: float = 3.0) -> bool:
    """Whether the route's line comes within ``metres`` of ``point``."""
    kx = 111_320.0 * math.cos(math.radians(point[1]))
    ky = 110_540.0
    px, py = point[0] * kx, point[1] * ky
    coords = [(c[0] * kx, c[1] * ky) for c in route_body["geometry"]["coordinates"]]
    for (ax, ay), (bx, by) in itertools.pairwise(coords):
        dx, dy = bx - ax, by - ay
        t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))  # fmt: skip
        if math.hypot(ax + t * dx - px, ay + t * dy - py) <= metres:
            return True
    return False


def obstacle_body(point: list[float], **fields: Any) -> dict[str, Any]:
    """A POST /obstacles body closing the path at ``point`` (fields replace the defaults)."""
    body: dict[str, Any] = {
        "geometry": {"type": "Point", "coordinates": point},
        "effect": {"closed": True},
        "reason": "Baustelle: Gehweg gesperrt",
    }
    return body | fields


@contextlib.contextmanager
def sent_statements(target: Any) -> Iterator[list[str]]:
    """The SQL statements that ``target`` (an engine, or the ``Engine`` class for every engine)
    sends meanwhile, in order: a list, filled as they are sent."""
    from sqlalchemy import event

    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(target, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(target, "before_cursor_execute", seen)


def is_write(statement: str) -> bool:
    """Whether a sent statement is other than a ``SELECT``."""
    return not statement.lstrip().upper().startswith("SELECT")


def skip_without_postgres(postgres_admin: Any) -> None:
    """Skip the test, saying what is missing and how CI provides it, when no test PostgreSQL
    server is configured (``postgres_admin`` is None)."""
    if postgres_admin is None:
        pytest.skip(
            "no PostgreSQL server (STUFENLOS_TEST_POSTGRES_URL not set): .ci/run installs "
            "Debian's postgresql package, starts a throw-away server and sets it "
            "(.ci/postgres.sh)"
        )


def new_schema(postgres_admin: Any) -> tuple[str, str]:
    """A new, empty schema in the test PostgreSQL database: the URL of a database whose
    ``search_path`` is it, and its name (for :func:`drop_schemas`)."""
    from sqlalchemy import text

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with postgres_admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schemas(postgres_admin: Any, schemas: list[str]) -> None:
    """Drop the schemas :func:`new_schema` made, with everything in them."""
    from sqlalchemy import text

    with postgres_admin.connect() as conn:
        for schema in schemas:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def make_keys(url: str) -> dict[str, dict[str, str]]:
    """Headers of a staff key, an admin key, a revoked key and a made-up key."""
    from api.auth import create_key, revoke_key
    from api.db.session import make_engine, make_sessionmaker

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    _, staff = create_key(sessions, "Frau Weber (Tiefbauamt)", "staff")
    _, admin = create_key(sessions, "Herr Kaya (Admin)", "admin")
    revoked_row, revoked = create_key(sessions, "Ehemalige Praktikantin", "staff")
    assert revoke_key(sessions, revoked_row.id)
    engine.dispose()
    return {
        "staff": {"Authorization": f"Bearer {staff}"},
        "admin": {"X-API-Key": admin},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "wrong": {"Authorization": "Bearer " + "x" * 43},
    }


class HeldRevision:
    """Another writer's transaction that holds the revision counter's row (on SQLite the file's
    write lock) and does not commit: a write of another host that does not end, a migration, a
    program with the file open. Made on entering; :meth:`release` (once, from any thread: a
    timer's) rolls it back, and leaving the ``with`` does if nothing did."""

    def __init__(self, url: str) -> None:
        from api.db.session import make_engine

        self.engine = make_engine(url)
        self.released = threading.Event()
        self._lock = threading.Lock()

    def __enter__(self) -> HeldRevision:
        from sqlalchemy.orm import Session

        from api.db.revision import bump_revision

        self._holder = Session(self.engine)
        bump_revision(self._holder)
        return self

    def release(self) -> None:
        with self._lock:
            if self.released.is_set():
                return
            self.released.set()
            self._holder.rollback()
            self._holder.close()

    def __exit__(self, *_: object) -> None:
        self.release()
        self.engine.dispose()
