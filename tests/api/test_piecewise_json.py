"""``loads_in_pieces`` is ``loads_unique``: the same value or the same error, for any body.

The reference is the reader of the whole body that every endpoint uses
(:func:`api.unique_keys.loads_unique`: the standard library's ``json.loads``, refusing a key
given twice in one object; ``tests/api/test_unique_keys.py`` checks it against ``json.loads``).
Hypothesis makes objects with arrays of awkward items (strings holding quotes, backslash runs,
brackets and commas; NaN, huge integers, nesting) and breaks their text at random places.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from api import piecewise_json
from api.piecewise_json import PiecewiseJSONRoute, _cut, loads_in_pieces
from api.unique_keys import loads_unique

_TRICKY = st.text(
    alphabet=st.sampled_from(list('ab"\\[]{},: \n\u00fc\u20ac\U0001f600')), max_size=12
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TRICKY
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4),
    max_leaves=12,
)
_BODIES = st.dictionaries(
    _TRICKY, st.lists(_VALUES, max_size=6) | _VALUES, min_size=1, max_size=4
).map(lambda d: json.dumps(d, ensure_ascii=False, indent=None).encode())


def _outcome(read: Any, body: bytes) -> tuple[str, Any]:
    """What reading ``body`` gives: ``("value", its JSON text)`` (NaN compared as text) or
    ``("error", type, message)``."""
    try:
        value = read(body)
    except (ValueError, RecursionError) as exc:
        return ("error", (type(exc).__name__, str(exc)))
    return ("value", json.dumps(value, sort_keys=False))


@pytest.fixture(autouse=True)
def _every_body_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small bodies too go the piecewise way here (the size threshold is a speed matter)."""
    monkeypatch.setattr(piecewise_json, "PIECEWISE_FROM_BYTES", 0)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BODIES)
def test_valid_bodies_read_alike(body: bytes) -> None:
    assert _outcome(loads_in_pieces, body) == _outcome(loads_unique, body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BODIES, st.data())
def test_broken_bodies_fail_alike(body: bytes, data: st.DataObject) -> None:
    """A byte cut out, doubled or replaced anywhere: the same value or the same error (and
    character position) as the whole body's reading."""
    at = data.draw(st.integers(0, len(body) - 1))
    how = data.draw(st.sampled_from(["cut", "double", "replace"]))
    byte = data.draw(st.sampled_from(list(b'"\\[]{},:x 0\x00\xff')))
    if how == "cut":
        broken = body[:at] + body[at + 1 :]
    elif how == "double":
        broken = body[: at + 1] + body[at:]
    else:
        broken = body[:at] + bytes([byte]) + body[at + 1 :]
    assert _outcome(loads_in_pieces, broken) == _outcome(loads_unique, broken)


def test_a_feature_collection_is_cut_at_its_features() -> None:
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.7, 49.4]},
         "properties": {"id": f"f{i}", "reason": 'Baustelle "Nord", [Tor 2] \\ {x}'}}
        for i in range(5)
    ]  # fmt: skip
    body = json.dumps({"type": "FeatureCollection", "features": features, "bbox": [1, 2]})
    cut = _cut(body.encode())
    assert cut is not None
    start, end, commas = cut
    assert (body[start], body[end], len(commas)) == ("[", "]", 4)
    assert body[start : end + 1] == json.dumps(features)
    assert loads_in_pieces(body.encode()) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2, 3]",  # not an object
        b'{"a": 1}',  # no array
        b'{"a": [' + b"[" * 40 + b"]" * 40 + b"]}",  # deeper than the piecewise reading goes
        b'{"a": [1, 2]} x',  # something after it
        b'{"a": [1, 2], "a": 3}',  # the array's key again: refused, as the whole body is
        b'{"a": [], "b": [ ]}',
        b'{"a": [NaN, 1e400, 123456789012345678901234567890]}',
        b'{"a": ["\\ud800", "\\\\", "\\""]}',
        '{"a": ["ü", "€"]}'.encode("utf-16"),  # another encoding: read whole
        b'\xef\xbb\xbf{"a": [1]}',  # a BOM
        b'{"a": [1, 2,]}',
        b'{"a": [1 2]}',
        b'{"a": [1, 2]',
    ],
)
def test_awkward_bodies_read_as_whole(body: bytes) -> None:
    assert _outcome(loads_in_pieces, body) == _outcome(loads_unique, body)


def test_many_backslashes_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piecewise_json, "MAX_BACKSLASHES", 3)
    body = json.dumps({"a": ["\\\\\\\\", 1]}).encode()
    assert _cut(body) is None
    assert loads_in_pieces(body) == json.loads(body)


def test_nan_survives() -> None:
    value = loads_in_pieces(b'{"a": [NaN]}')
    assert math.isnan(value["a"][0])


# ------------------------------------------------------------------------------ as a route


class _Body(BaseModel):
    name: str
    items: list[dict[str, Any]]


def _twin_app(seen: dict[str, Any]) -> Any:
    """One body model behind FastAPI's own route and behind a :class:`PiecewiseJSONRoute`;
    what the endpoint saw of the collector into ``seen``."""
    import gc

    from fastapi import APIRouter, FastAPI

    app = FastAPI()

    def endpoint(body: _Body) -> dict[str, Any]:
        seen["collector_enabled"] = gc.isenabled()
        return {"name": body.name, "count": len(body.items), "last": body.items[-1] if body.items else None}  # fmt: skip

    router = APIRouter()
    router.add_api_route("/plain", endpoint, methods=["POST"])
    router.add_api_route(
        "/pieces", endpoint, methods=["POST"], route_class_override=PiecewiseJSONRoute
    )
    app.include_router(router)
    return app


def test_the_route_reads_in_a_thread_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc
    import threading

    from fastapi.testclient import TestClient

    seen: dict[str, Any] = {}

    def recorded(body: bytes) -> Any:
        seen["thread"] = threading.current_thread().name
        return loads_in_pieces(body)

    monkeypatch.setattr(piecewise_json, "loads_in_pieces", recorded)
    items = [{"k": i, "text": 'a "b" [c], {d}' * 20} for i in range(3000)]
    body = json.dumps({"name": "x", "items": items}).encode()
    assert len(body) > 256 * 1024
    with TestClient(_twin_app(seen)) as client:
        headers = {"content-type": "application/json"}
        plain = client.post("/plain", content=body, headers=headers)
        assert seen["collector_enabled"] is True
        pieces = client.post("/pieces", content=body, headers=headers)
        assert seen["collector_enabled"] is False  # during the request
        assert seen["thread"] != threading.current_thread().name
        assert pieces.status_code == plain.status_code == 200
        assert pieces.json() == plain.json()
        assert gc.isenabled()  # after it
        for broken in (body[:-1], body.replace(b'"k": 7', b'"k": 7 7', 1), b"\xff" + body):
            assert client.post("/pieces", content=broken, headers=headers).json() == (
                client.post("/plain", content=broken, headers=headers).json()
            )


def test_the_import_reads_its_body_in_pieces() -> None:
    from api.routes.obstacles import router

    found = [r for r in router.routes if getattr(r, "path", None) == "/obstacles/import"]
    assert [type(r) for r in found] == [PiecewiseJSONRoute]
