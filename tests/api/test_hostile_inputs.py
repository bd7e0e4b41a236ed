"""Requests a hostile-input battery found answered wrongly (2026-12-04), each as a test.

Lone surrogates (``"\\ud800"`` in JSON decodes to one; UTF-8 cannot encode it) echoed by an
error message or written to the access log broke the answer or the log; departure times whose
year is inside the range as written but outside it in Berlin were taken; a Unix time was read
where ISO 8601 is asked; ``GET /routes`` dropped query parameters it does not know. A body
that was not JSON was said to be wrong at a "field" named by a character offset, and a staff call
without a valid key that sent one was told so instead of being refused.

Real data: the centre extract of Kaiserslautern (the ``client`` fixture).
"""

from __future__ import annotations

import gzip
import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient

from api.auth import create_key
from tests.api.conftest import AccessLines

pytestmark = pytest.mark.realdata

ORIGIN = {"lat": 49.4447, "lon": 7.7690}
DESTINATION = {"lat": 49.4390, "lon": 7.7640}
ROUTE = '{"origin":{"lat":49.4447,"lon":7.769},"destination":{"lat":49.439,"lon":7.764},'
GET = "/routes?from=49.4447,7.7690&to=49.4390,7.7640"
#: A whole route request (ROUTE closed).
ROUTE_BODY = ROUTE[:-1] + "}"


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "details"}
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    ("tail", "status", "code"),
    [
        ('"profile":{"name":"\\ud800"}}', 404, "unknown_profile"),
        ('"profile":{"name":"walk","parameters":{"\\ud800":1}}}', 422, "unknown_parameter"),
        (
            '"profile":{"name":"walk","parameters":{"avoid_surfaces":["\\udfff"]}}}',
            422,
            "parameter_out_of_range",
        ),
        (
            '"profile":{"name":"walk","parameters":{"unknown":{"\\ud800":"accept"}}}}',
            422,
            "unknown_parameter",
        ),
    ],
)
def test_a_lone_surrogate_is_an_error_like_any_other(
    client: TestClient, access_log: AccessLines, tail: str, status: int, code: str
) -> None:
    """The error echoes the text (escaped: the same JSON value), the access line is written,
    and the connection serves the next request (it was closed, and a 500 for the overrides)."""
    json_type = {"content-type": "application/json"}
    response = client.post("/routes", content=(ROUTE + tail).encode(), headers=json_type)
    body = error_of(response, status, code)
    assert r"\ud800" in body["message"] or r"\udfff" in body["message"]  # escaped by repr
    lines = [json.loads(r.getMessage()) for r in access_log.records]
    assert [(line["path"], line["status"]) for line in lines] == [("/routes", status)]
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    "when",
    [
        "2199-12-31T23:59:59-12:00",  # 2199 as written, 2200 in Berlin
        "1900-01-01T00:00:00+14:00",  # 1900 as written, 1899 in Berlin
        "9999-12-31T23:59:59-12:00",  # far outside: refused before converting
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_departure_years_are_those_of_berlin(client: TestClient, when: str) -> None:
    route = {"origin": ORIGIN, "destination": DESTINATION, "departure_time": when}
    matrix = {"sources": [ORIGIN], "targets": [DESTINATION], "departure_time": when}
    for response in (
        client.post("/routes", json=route),
        client.get(f"{GET}&{urlencode({'departure_time': when})}"),
        client.post("/matrix", json=matrix),
    ):
        body = error_of(response, 422, "parameter_out_of_range")
        assert body["details"]["parameter"] == "departure_time"
        assert "Europe/Berlin" in body["message"]
    route["departure_time"] = "2199-12-31T23:59:59+01:00"
    inside = client.post("/routes", json=route)
    assert inside.status_code == 200, inside.text


@pytest.mark.parametrize(
    ("name", "value"),
    [("departure_time", "1718870400"), ("departure_time", "1718870400.5"), ("date", "20240620")],
)
def test_get_routes_asks_iso_8601_as_post_does(client: TestClient, name: str, value: str) -> None:
    """``GET /routes?departure_time=1718870400`` was read as a Unix time (POST refused it)."""
    body = error_of(client.get(f"{GET}&{urlencode({name: value})}"), 422, "invalid_request")
    assert "ISO 8601" in body["message"]
    assert client.get(f"{GET}&{urlencode({name: '2024-06-20'})}").status_code == 200


@pytest.mark.parametrize("name", ["via", "alternatives", "profil", "from_"])
def test_get_routes_refuses_parameters_it_does_not_know(client: TestClient, name: str) -> None:
    """``&via=…`` and ``&alternatives=2`` were dropped with a 200 (POST refuses unknown fields):
    a silent fallback (PRODUCT.md, complaint 10)."""
    body = error_of(client.get(f"{GET}&{name}=2"), 422, "invalid_request")
    assert repr(name) in body["message"]
    assert "POST /routes" in body["message"]


@pytest.mark.parametrize("encoding", ["gzip", "br", "GZIP", "deflate, gzip"])
def test_an_encoded_body_is_refused_with_415(client: TestClient, encoding: str) -> None:
    """A gzip body was answered 422 "error parsing the body", and plain JSON labelled gzip was
    read as if the label were not there: a body is read as sent, and an encoding is said to be
    unsupported."""
    plain = json.dumps({"origin": ORIGIN, "destination": DESTINATION}).encode()
    for body in (plain, gzip.compress(plain)):
        headers = {"content-type": "application/json", "content-encoding": encoding}
        refused = client.post("/routes", content=body, headers=headers)
        error = error_of(refused, 415, "unsupported_encoding")
        assert error["details"]["content_encoding"] == encoding.lower()
    identity = {"content-type": "application/json", "content-encoding": "identity"}
    assert client.post("/routes", content=plain, headers=identity).status_code == 200
    # no body, nothing to decode: a GET with the header is answered
    assert client.get(GET, headers={"content-encoding": "gzip"}).status_code == 200


def test_every_operation_with_a_body_documents_413_and_415(client: TestClient) -> None:
    """The size limit and the encoding refusal stand in front of every operation that takes a
    body, so the document names both there (415 was missing: schemathesis met it by sending a
    random ``Content-Encoding`` to ``PATCH /obstacles/{id}``)."""
    paths = client.get("/openapi.json").json()["paths"]
    with_body = [
        (method, path, operation["responses"])
        for path, item in paths.items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(with_body) >= 8
    for method, path, responses in with_body:
        assert responses["413"]["description"] == "payload_too_large", (method, path)
        assert responses["415"]["description"] == "unsupported_encoding", (method, path)


def assert_body_problem(response: httpx.Response, problem: str) -> None:
    """A 422 ``invalid_request`` whose one problem is the body's: ``problem``, also its message."""
    error = error_of(response, 422, "invalid_request")
    assert error["details"]["errors"] == [{"field": "body", "problem": problem}]
    assert error["message"] == f"body: {problem}"


@pytest.mark.parametrize(
    ("path", "body", "at", "reason"),
    [
        ("/routes", ROUTE, len(ROUTE), "Expecting property name enclosed in double quotes"),
        ("/routes", '{"origin": [1, 2,]}', 17, "Expecting value"),
        ("/reports", '{"kind": }', 9, "Expecting value"),
    ],
)
def test_a_body_that_is_not_json_says_where_it_breaks(
    client: TestClient, path: str, body: str, at: int, reason: str
) -> None:
    """Not "55: JSON decode error", with the offset where a field's path goes: the body is
    the field, and the place it breaks at is said as such."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert_body_problem(response, f"not valid JSON at character {at} ({reason})")


@pytest.mark.parametrize(
    ("path", "body", "at", "byte"),
    [
        ("/reports", '{"description": "Aufzug kaputt, Bürgersteig"}'.encode("latin-1"), 33, "fc"),
        ("/routes", '{"language": "dé"}'.encode("cp1252"), 15, "e9"),
    ],
)
def test_a_body_that_is_not_utf8_says_where_it_breaks(
    client: TestClient, path: str, body: bytes, at: int, byte: str
) -> None:
    """A body in Latin-1 or Windows-1252 (JSON is UTF-8) is a 422 naming the byte and its
    place, not FastAPI's "There was an error parsing the body". (UTF-16 and UTF-32 with their
    byte order mark are read: Python's JSON reader detects them.)"""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert_body_problem(response, f"not UTF-8 text at byte {at} (0x{byte}); JSON is sent as UTF-8")


@pytest.mark.parametrize(
    ("path", "media_type", "said"),
    [
        ("/routes", "application/x-www-form-urlencoded", "the Content-Type is 'application/x-www-form-urlencoded'"),
        ("/routes", "text/plain; charset=utf-8", "the Content-Type is 'text/plain; charset=utf-8'"),
        ("/routes", None, "no Content-Type was sent"),
        ("/reports", "text/plain", "the Content-Type is 'text/plain'"),
    ],
)  # fmt: skip
def test_a_body_not_sent_as_json_names_its_content_type(
    client: TestClient, path: str, media_type: str | None, said: str
) -> None:
    """A JSON body sent with another Content-Type (``curl -d`` without ``-H``: a form's) is not
    read as JSON; the 422 says the header is the fault, not "Input should be a valid
    dictionary"."""
    headers = {"content-type": media_type} if media_type else {}
    response = client.post(path, content=ROUTE_BODY, headers=headers)
    assert_body_problem(response, f"not read as JSON: {said}; send 'application/json'")


@pytest.mark.parametrize("path", ["/routes", "/matrix", "/reports"])
def test_a_missing_body_is_the_bodys_problem(client: TestClient, path: str) -> None:
    """No body at all: the 422 names the body, not a nameless "Field required"."""
    assert_body_problem(client.post(path), "missing: this request takes a JSON body")


def test_a_body_nested_too_deeply_says_so(client: TestClient) -> None:
    """5,000 arrays within each other (10 kB, under the body limit): Python's JSON reader stops
    at its recursion limit; the 422 says why, not "There was an error parsing the body"."""
    body = b'{"origin": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post("/routes", content=body, headers={"content-type": "application/json"})
    assert_body_problem(
        response, "arrays or objects nested too deeply to read (no request nests more than a few)"
    )


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("POST", "/obstacles", None, 401),
        ("POST", "/obstacles/import", "", 401),  # a blank key
        ("PATCH", "/obstacles/a", "unknown", 401),
        ("POST", "/bench/runs", None, 401),
        ("POST", "/obstacles", "tester", 403),
        ("POST", "/obstacles/import", "staff", 403),
        ("POST", "/obstacles", "staff", 422),
    ],
)
def test_a_staff_call_without_a_valid_key_is_refused_whatever_its_body(
    client: TestClient, method: str, path: str, role: str | None, status: int
) -> None:
    """FastAPI parses a JSON body before it runs a route's key check: a call without a valid
    key whose body was not JSON was told about its body (422) instead of being refused."""
    headers = {"content-type": "application/json"}
    if role in ("tester", "staff"):
        _, key = create_key(client.app.state.db, f"{role} of the hostile inputs", role)  # type: ignore[attr-defined]
        headers["X-API-Key"] = key
    elif role is not None:
        headers["X-API-Key"] = role
    response = client.request(method, path, content='{"reason": ', headers=headers)
    code = {401: "unauthorized", 403: "forbidden", 422: "invalid_request"}[status]
    error_of(response, status, code)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
