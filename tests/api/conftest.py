"""Fixtures of the API tests: a TestClient on the centre extract.

The graph comes from the session-wide ``centre_graph_dir`` fixture of ``tests/conftest.py`` (built once
per session from ``../shared/data``; the tests skip with a clear reason when the data is absent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.fastpath


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
