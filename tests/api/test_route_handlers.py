"""``build_route_handlers``: the framework's per-route machinery is built before the first request.

FastAPI builds a route's dependency tree and fields lazily, on the first request that walks it
(tens of milliseconds on a worker's event loop). ``stufenlos serve`` builds them in the parent
before forking (:func:`api.app.build_route_handlers`); these tests count the lazy builds that
requests still cause, through the FastAPI function that does them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient

from api.app import build_route_handlers

#: Requests that leave the route fast path, through several routers (answers of any status).
_REQUESTS = (
    ("GET", "/health"),
    ("GET", "/profiles"),
    ("GET", "/profiles/wheelchair"),
    ("GET", "/obstacles"),
    ("POST", "/obstacles"),
    ("GET", "/reports"),
    ("GET", "/nowhere"),
)

#: The FastAPI function that builds one route's machinery (lazily; FastAPI 0.165, what CI installs).
_BUILDER = "_populate_api_route_state"


def _send_all(client: TestClient) -> list[tuple[int, bytes]]:
    """Status and body of each of _REQUESTS but ``/health`` (it holds the time since start-up)."""
    answers = []
    for method, path in _REQUESTS:
        response = client.request(method, path, json={} if method == "POST" else None)
        if path != "/health":
            answers.append((response.status_code, response.content))
    return answers


def _lazy_builds(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, build_first: bool
) -> list[str]:
    """The paths whose route state the framework built while ``client`` answered _REQUESTS."""
    assert hasattr(fastapi.routing, _BUILDER), (
        f"FastAPI no longer has {_BUILDER}: check whether it still builds routes lazily; "
        "if it builds them when they are added, build_route_handlers can go"
    )
    populate = getattr(fastapi.routing, _BUILDER)
    built: list[str] = []

    def counting(route: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        built.append(path)
        return populate(route, path, *args, **kwargs)

    with client:
        if build_first:
            build_route_handlers(client.app)  # type: ignore[arg-type]
        monkeypatch.setattr(fastapi.routing, _BUILDER, counting)
        _send_all(client)
    return built


def test_without_it_a_first_request_builds_routes(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reason it exists: a fresh app builds route state while it answers."""
    assert _lazy_builds(make_client(), monkeypatch, build_first=False)


def test_after_it_no_request_builds_a_route(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _lazy_builds(make_client(), monkeypatch, build_first=True) == []


def test_it_changes_no_answer(make_client: Callable[..., TestClient]) -> None:
    """Built first or not, every request gets the same status and body."""
    answers = []
    for build_first in (False, True):
        with make_client() as client:
            if build_first:
                build_route_handlers(client.app)  # type: ignore[arg-type]
            answers.append(_send_all(client))
    assert answers[0] == answers[1]
