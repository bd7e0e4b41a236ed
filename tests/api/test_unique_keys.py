"""A key given twice in one JSON object is refused with 422, never read as its last value.

``loads_unique`` is checked against the standard library's reader (the same value or the same
error for bodies with unique keys, hypothesis), and against a brute-force search for the
duplicate in bodies made with one; every endpoint reads its body with it; the route fast path,
the served protocol, staff writes, citizens' reports and a large import (read in pieces) all
answer 422 naming the key, and store nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import piecewise_json
from api.fastpath import parse_route_request
from api.piecewise_json import loads_in_pieces
from api.unique_keys import (
    SAID_KEY_CHARS,
    DuplicateKeyError,
    UniqueKeysRoute,
    has_duplicate_keys,
    loads_unique,
)
from tests.api.serving import running_server
from tests.api.support import DESTINATION, ORIGIN, assert_error, obstacle_body

pytestmark = pytest.mark.realdata

_KEYS = st.text(alphabet=st.sampled_from(list('ab"\\: \u00fc')), max_size=3)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=10,
)


def _outcome(read: Callable[[bytes], Any], body: bytes) -> tuple[str, Any]:
    try:
        return ("value", json.dumps(read(body)))
    except (ValueError, RecursionError) as exc:
        return ("error", (type(exc).__name__, str(exc)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_VALUES, st.integers(min_value=0))
def test_bodies_with_unique_keys_read_as_the_standard_library_reads_them(
    value: Any, cut: int
) -> None:
    """The same value; and, cut anywhere, the same error (type, message and place)."""
    body = json.dumps(value, ensure_ascii=False).encode()
    assert _outcome(loads_unique, body) == _outcome(json.loads, body)
    assert _fast_path_check(body) in (False, None)
    broken = body[: cut % (len(body) + 1)]
    if _outcome(json.loads, broken)[0] == "error":
        assert _outcome(loads_unique, broken) == _outcome(json.loads, broken)


def _fast_path_check(body: bytes) -> bool | None:
    """:func:`has_duplicate_keys` as the route fast path calls it (with orjson's reading);
    None when orjson does not read ``body`` (integers beyond 64 bits: the fast path hands
    such a body to FastAPI)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return has_duplicate_keys(body, parsed)


_STYLES = st.sampled_from([
    {"separators": (",", ":")}, {}, {"indent": 2}, {"ensure_ascii": False},
    {"separators": (" , ", " :\t")},
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_VALUES, _STYLES, _KEYS, st.booleans())
def test_the_fast_paths_check_agrees_with_the_exact_one(
    value: Any, style: dict[str, Any], key: str, twice: bool
) -> None:
    """Whatever the writing (compact, spaced, indented, escaped), with a key twice or not:
    the quick comparison with orjson's writing never hides a key given twice."""
    text = json.dumps({"v": value, key: 1}, **style)
    if twice:
        text = text[:-1].rstrip() + ", " + json.dumps(key) + ": 2}"
    expected = True
    try:
        loads_unique(text)
        expected = False
    except DuplicateKeyError:
        pass
    assert _fast_path_check(text.encode()) in (expected, None)


def _with_duplicate(value: Any, key: str, path: list[int]) -> str:
    """``value``'s JSON text with an object holding ``key`` twice placed where ``path`` (list
    indices drawn at random) leads: the first list on the way, or the top."""
    name = json.dumps(key)
    twice = "{" + f'{name}: 1, "x": [], {name}: 2' + "}"
    if isinstance(value, list) and value and path:
        i = path[0] % len(value)
        inner = [json.dumps(v) for v in value]
        inner[i] = _with_duplicate(value[i], key, path[1:])
        return "[" + ", ".join(inner) + "]"
    return "[" + json.dumps(value) + ", " + twice + "]"


@settings(max_examples=200, deadline=None)
@given(_VALUES, _KEYS, st.lists(st.integers(min_value=0), max_size=4))
def test_a_key_twice_anywhere_is_refused_by_name(value: Any, key: str, path: list[int]) -> None:
    text = _with_duplicate(value, key, path)
    assert json.loads(text) is not None  # the standard library takes it (the last value)
    with pytest.raises(DuplicateKeyError) as raised:
        loads_unique(text.encode())
    # the reference: which key repeats in some object, found by reading every object's pairs
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [k for k, _ in items]
        repeated.extend(k for k in names if names.count(k) > 1)
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    assert raised.value.key in repeated
    assert _fast_path_check(text.encode()) in (True, None)
    assert isinstance(raised.value, json.JSONDecodeError)  # FastAPI answers it as such


def test_a_large_body_read_in_pieces_refuses_a_key_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """In an item (read on its own) and in the object around the items (read with the items
    replaced by a marker): both are the whole body's error."""
    monkeypatch.setattr(piecewise_json, "PIECEWISE_FROM_BYTES", 0)
    items = json.dumps([{"id": i, "a": 1} for i in range(50)])[1:-1]
    in_item = ('{"type": "x", "features": [' + items + ', {"a": 1, "a": 2}]}').encode()
    around = ('{"type": "x", "features": [' + items + '], "type": "y"}').encode()
    both_arrays = ('{"features": [' + items + '], "features": []}').encode()
    for body, key in ((in_item, "a"), (around, "type"), (both_arrays, "features")):
        with pytest.raises(DuplicateKeyError) as raised:
            loads_in_pieces(body)
        assert raised.value.key == key


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every endpoint of ``routes``, those of included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included router
            yield from _api_routes(route.original_router.routes)


def test_every_endpoint_reads_its_body_refusing_a_key_twice(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    routes = list(_api_routes(app.routes))
    assert len(routes) > 20
    assert "/obstacles/import" in {r.path for r in routes}
    assert [r.path for r in routes if not isinstance(r, UniqueKeysRoute)] == []


#: A route request, and the same naming its profile twice (the last one: walk).
ROUTE_ONCE = json.dumps(
    {"origin": ORIGIN, "destination": DESTINATION, "profile": {"name": "wheelchair"}}
)
ROUTE_TWICE = ROUTE_ONCE[:-1] + ', "profile": {"name": "walk"}}'
#: A route request whose origin names its latitude twice.
LAT_TWICE = json.dumps({"origin": ORIGIN, "destination": DESTINATION}).replace(
    '"lon"', '"lat": 49.44, "lon"', 1
)


def _refused(response: Any, key: str) -> None:
    body = assert_error(response, 422, "invalid_request")
    problem = f'the key "{key}" is given twice in one object: send each key once'
    assert body["details"]["errors"] == [{"field": "body", "problem": problem}]


def test_a_route_request_naming_a_key_twice_is_refused(client: TestClient) -> None:
    """On the fast path (which parses with orjson, keeping the last value) as on FastAPI's."""
    assert parse_route_request(ROUTE_TWICE.encode()) is None  # handed to the FastAPI route
    assert parse_route_request(ROUTE_ONCE.encode()) is not None
    sent = {"content-type": "application/json"}
    _refused(client.post("/routes", content=ROUTE_TWICE, headers=sent), "profile")
    _refused(client.post("/routes", content=LAT_TWICE, headers=sent), "lat")
    _refused(client.post("/matrix", content='{"a": 1, "a": 1}', headers=sent), "a")
    long = "k" * (SAID_KEY_CHARS + 1000)
    body = json.dumps({long: 1})[:-1] + f', "{long}": 2' + "}"
    _refused(client.post("/routes", content=body, headers=sent), "k" * SAID_KEY_CHARS + "…")


@pytest.fixture
def staff_client(start_app: Callable[..., TestClient], database_url: str) -> TestClient:
    return start_app(database_url)


def test_staff_writes_and_reports_naming_a_key_twice_store_nothing(
    staff_client: TestClient,
    keys: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, staff, admin = staff_client, keys["staff"], keys["admin"]
    point = [ORIGIN["lon"], ORIGIN["lat"]]
    good = json.dumps(obstacle_body(point))
    twice = good[:-1] + ', "reason": "second reason"}'
    sent = {"content-type": "application/json"}
    _refused(client.post("/obstacles", content=twice, headers=staff | sent), "reason")
    # unauthenticated: refused as such first, whatever the body
    assert_error(client.post("/obstacles", content=twice, headers=sent), 401, "unauthorized")
    once = {"geometry": {"type": "Point", "coordinates": point}, "description": "aaa"}
    report = json.dumps(once)[:-1] + ', "description": "bbb"}'
    _refused(client.post("/reports", content=report, headers=sent), "description")
    # an import large enough to be read in pieces, the key twice in its last feature
    monkeypatch.setattr(piecewise_json, "PIECEWISE_FROM_BYTES", 0)
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": point},
               "properties": {"effect": {"closed": True}, "reason": "x"}}  # fmt: skip
    features = ", ".join([json.dumps(feature)] * 3)
    last = json.dumps(feature)[:-1] + ', "type": "Feature"}'
    body = '{"type": "FeatureCollection", "features": [' + features + ", " + last + "]}"
    _refused(client.post("/obstacles/import", content=body, headers=admin | sent), "type")
    assert client.get("/obstacles", headers=staff).json()["obstacles"] == []
    listed = client.get("/reports", headers=staff)
    assert listed.status_code == 200, listed.text
    assert listed.json()["reports"] == []


def test_the_served_protocol_refuses_a_key_twice(centre_graph_dir: Path, tmp_path: Path) -> None:
    """A real ``stufenlos serve``: the direct route answer (:mod:`api.direct`) hands the body
    to the app, which refuses it."""
    with running_server(centre_graph_dir, tmp_path) as base:
        sent = {"content-type": "application/json"}
        _refused(httpx.post(f"{base}/routes", content=ROUTE_TWICE, headers=sent), "profile")
        ok = httpx.post(f"{base}/routes", content=ROUTE_ONCE, headers=sent)
        assert ok.status_code == 200, ok.text
        assert ok.json()["routes"][0]["profile"] == "wheelchair"
