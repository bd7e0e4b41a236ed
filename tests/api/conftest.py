"""Fixtures of the API tests: a TestClient on the centre extract.

The graph comes from the session-wide ``centre_graph_dir`` fixture of ``tests/conftest.py`` (built once
per session from ``../shared/data``; the tests skip with a clear reason when the data is absent).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.fastpath
from tests.api.support import (
    POSTGRES_ENV,
    T0,
    AppStarter,
    FakeClock,
    drop_schemas,
    make_keys,
    new_schema,
    passes_near,
    point_on,
    route,
    skip_without_postgres,
)


@pytest.fixture(scope="session")
def make_client(
    centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., TestClient]:
    """``make_client(**settings)``: an app on the centre graph; use the client as a context manager
    so that the lifespan loads the graph. Its obstacle database is a fresh SQLite file (never
    the developer's ``.cache/stufenlos.db``)."""
    from api.app import create_app
    from api.settings import Settings

    database = tmp_path_factory.mktemp("api-db") / "stufenlos.db"

    def make(*, raise_server_exceptions: bool = True, **settings: Any) -> TestClient:
        settings.setdefault("database_url", f"sqlite:///{database}")
        app = create_app(Settings(graph_dir=centre_graph_dir, **settings))
        return TestClient(app, raise_server_exceptions=raise_server_exceptions)

    return make


@pytest.fixture(scope="session")
def client(make_client: Callable[..., TestClient]) -> Iterator[TestClient]:
    """One started app on the centre graph with the default settings, shared by the session."""
    with make_client() as c:
        yield c


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the calls the fast path hands to the CPU thread."""
    calls: list[str] = []
    original = api.fastpath.run_cpu

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(func.__name__)
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(api.fastpath, "run_cpu", counted)
    return calls


class AccessLines(logging.Handler):
    """A log handler that keeps the records it gets (the access lines of a test)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_log() -> Iterator[AccessLines]:
    """The records of the ``stufenlos.access`` logger during the test (at INFO)."""
    logger = logging.getLogger("stufenlos.access")
    handler = AccessLines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# ------------------------------------------- databases of the obstacle and report tests
# Each test that asks for ``database_url`` runs once on SQLite and once on PostgreSQL (skipped
# with the reason when no server is configured); helpers in ``tests/api/support.py``.


@pytest.fixture(scope="module")
def postgres_admin() -> Iterator[Any]:
    """An engine on the test PostgreSQL database (None when it is not configured)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        yield None
        return
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_admin: Any
) -> Iterator[Callable[[], str]]:
    """``new_database()``: the URL of a new, empty database of this test's kind.

    SQLite: a file in the test's temporary folder. PostgreSQL: a schema of its own in the test
    database (``search_path`` set through the URL), dropped after the test.
    """
    if request.param == "sqlite":
        counter = iter(range(1000))
        yield lambda: f"sqlite:///{tmp_path / f'db{next(counter)}.sqlite'}"
        return
    skip_without_postgres(postgres_admin)
    schemas: list[str] = []

    def make() -> str:
        url, schema = new_schema(postgres_admin)
        schemas.append(schema)
        return url

    yield make
    drop_schemas(postgres_admin, schemas)


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    """This test's database (SQLite file or PostgreSQL schema), migrated."""
    from api.db.session import make_engine, upgrade

    url = new_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def keys(database_url: str) -> dict[str, dict[str, str]]:
    return make_keys(database_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def start_app(centre_graph_dir: Path, clock: FakeClock) -> Iterator[AppStarter]:
    """``start_app(url, **settings)``: a started app (lifespan run) on the centre graph;
    ``start_app.stop(client)`` stops one before the test ends (the rest stop after it)."""
    starter = AppStarter(centre_graph_dir, clock)
    yield starter
    starter.stop_all()


@pytest.fixture(scope="module")
def baseline(
    centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Routes of the map without obstacles (wheelchair and walk)."""
    from api.app import create_app
    from api.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('baseline') / 'empty.sqlite'}"
    app = create_app(Settings(graph_dir=centre_graph_dir, database_url=url))
    with TestClient(app) as c:
        return {"wheelchair": route(c, "wheelchair"), "walk": route(c, "walk")}


@pytest.fixture
def on_route(baseline: dict[str, dict[str, Any]]) -> list[float]:
    """A point on a path that both the wheelchair and the walking route use."""
    point = point_on(baseline["wheelchair"])
    assert passes_near(baseline["walk"], point)
    return point
