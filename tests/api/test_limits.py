"""Limits of the service (issue 11): the shared report rate limit, proxy headers only from
configured proxies, the head-read timeout and connection bound, security headers, local /docs.

The rate-limit tests run on SQLite and on PostgreSQL (the ``database_url`` fixture of
``tests/api/conftest.py``; PostgreSQL when ``STUFENLOS_TEST_POSTGRES_URL`` is set, see ``.ci/postgres.sh``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import AccessLines
from tests.api.serving import threaded_server

HOST = "127.0.0.1"
HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 2.0


def report(client: TestClient | httpx.Client, point: list[float], text: str, **kw: Any) -> Any:
    geometry = {"type": "Point", "coordinates": point}
    return client.post("/reports", json={"geometry": geometry, "description": text}, **kw)


# ------------------------------------------------------------------- shared report rate limit


def test_two_workers_share_the_report_limit(
    start_app: Callable[..., TestClient], database_url: str, on_route: list[float]
) -> None:
    """Two app instances on one database (two workers): 5 per minute over both, not 5 each."""
    first = start_app(database_url, reports_per_minute=5)
    second = start_app(database_url, reports_per_minute=5)
    for i, client in enumerate([first, second, first, second, first]):
        assert report(client, on_route, f"Nummer {i}").status_code == 201
    for client in (second, first):
        limited = report(client, on_route, "sechs")
        assert limited.status_code == 429, limited.text
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_concurrent_hits_are_counted_once_each(database_url: str) -> None:
    """Hits from many threads at once: exactly ``limit`` are allowed (the upsert is atomic)."""
    from api.db.session import make_engine, make_sessionmaker
    from api.obstacles.ratelimit import SharedRateLimiter

    engine = make_engine(database_url)
    limiter = SharedRateLimiter(make_sessionmaker(engine), 7, 60, clock=lambda: 1_800_000_010.0)
    results: list[float | None] = []
    lock = threading.Lock()

    def hit() -> None:
        wait = limiter.hit("192.0.2.1")
        with lock:
            results.append(wait)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sum(wait is None for wait in results) == 7
    assert all(wait is None or 0 < wait <= 60 for wait in results)


def test_window_boundary_does_not_double_the_limit(database_url: str) -> None:
    """Five hits at the end of one minute, one just after: refused (the window slides); the
    wait it names is exact; old rows are pruned."""
    from api.db.models import RateLimitHit
    from api.db.session import make_engine, make_sessionmaker
    from api.obstacles.ratelimit import SharedRateLimiter

    now = [1_800_000_058.0]  # 58 s into a window of 60 s
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    limiter = SharedRateLimiter(sessions, 5, 60, clock=lambda: now[0])
    assert all(limiter.hit("a") is None for _ in range(5))
    now[0] += 4.0  # 2 s into the next window
    wait = limiter.hit("a")
    assert wait is not None
    assert wait == pytest.approx(56.0)  # the five hits leave the window at 1_800_000_118
    now[0] += wait + 0.01
    assert limiter.hit("a") is None
    now[0] += 600.0
    limiter._next_prune_s = 0.0
    assert limiter.hit("b") is None
    with sessions() as session:
        assert {row.client for row in session.query(RateLimitHit)} == {"b"}
    engine.dispose()


# ------------------------------------------------------------------------------- real server


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(
    request: pytest.FixtureRequest,
    centre_graph_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A uvicorn server in a thread, with ``api.http_protocol.uvicorn_options`` (no trusted proxy,
    head and body timeouts of 1 and 2 s, at most 200 connections): with the httptools protocol
    ``stufenlos serve`` uses, and with the h11 one it falls back to."""
    from api.app import create_app
    from api.http_protocol import BODY_TIMEOUT_ENV, HEADER_TIMEOUT_ENV
    from api.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'db.sqlite'}"
    settings = Settings(
        graph_dir=centre_graph_dir, database_url=url, reports_per_minute=5, max_connections=200
    )
    timeouts = {HEADER_TIMEOUT_ENV: HEADER_TIMEOUT_S, BODY_TIMEOUT_ENV: BODY_TIMEOUT_S}
    old = {name: os.environ.get(name) for name in timeouts}
    os.environ.update({name: str(value) for name, value in timeouts.items()})
    try:
        protocol = {"h11": {"http": "api.http_protocol:HeadTimeoutH11Protocol"}}.get(
            request.param, {}
        )
        with threaded_server(create_app(settings), settings, **protocol) as base:
            yield base
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.mark.slow
def test_spoofed_forwarded_for_does_not_change_the_client(
    server: str, on_route: list[float]
) -> None:
    """From an untrusted peer (loopback is not trusted by default) X-Forwarded-For is ignored:
    a new made-up address per report does not escape the limit."""
    with httpx.Client(base_url=server, timeout=10.0) as client:
        for i in range(5):
            spoofed = {"X-Forwarded-For": f"203.0.113.{i}"}
            ok = report(client, on_route, f"Nummer {i}", headers=spoofed)
            assert ok.status_code == 201, ok.text
        limited = report(client, on_route, "sechs", headers={"X-Forwarded-For": "198.51.100.7"})
        assert limited.status_code == 429, limited.text
        assert int(limited.headers["Retry-After"]) >= 1


def test_forwarded_addresses_only_from_configured_proxies() -> None:
    from api.http_protocol import uvicorn_options
    from api.settings import Settings

    default = uvicorn_options(Settings())
    assert default["proxy_headers"] is False
    trusted = uvicorn_options(Settings(forwarded_allow_ips="10.0.0.5, 10.0.0.6"))
    assert trusted["proxy_headers"] is True
    assert trusted["forwarded_allow_ips"] == "10.0.0.5, 10.0.0.6"
    assert uvicorn_options(Settings(max_connections=7))["limit_concurrency"] == 7


@pytest.mark.slow
def test_the_server_names_no_software(server: str) -> None:
    """No ``Server`` banner (uvicorn's default), and the date header HTTP asks for stays."""
    response = httpx.get(f"{server}/health", timeout=10.0)
    assert response.status_code == 200
    assert "server" not in response.headers
    assert response.headers["date"].endswith(" GMT")


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (EOF or reset)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def half_sent(port: int, data: bytes, count: int) -> list[socket.socket]:
    """``count`` connections to the server at ``port`` that each send ``data`` and stop."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((HOST, port))
        sock.sendall(data)
        sockets.append(sock)
    return sockets


def assert_closed_after(
    server: str, sockets: list[socket.socket], started: float, timeout_s: float
) -> None:
    """A normal request is answered meanwhile, and every one of ``sockets`` is closed by the
    server ``timeout_s`` after ``started`` (within a few seconds' slack)."""
    ok = httpx.get(f"{server}/health", timeout=5.0)
    assert ok.status_code == 200
    assert all(closed_within(s, timeout_s + 3.0) for s in sockets)
    elapsed = time.monotonic() - started
    assert timeout_s * 0.8 <= elapsed <= timeout_s + 4.0


@pytest.mark.slow
def test_half_sent_request_heads_are_closed(server: str) -> None:
    """100 connections that send half a request line are closed after the head timeout; a normal
    request succeeds meanwhile."""
    port = int(server.rsplit(":", 1)[1])
    started = time.monotonic()
    sockets = half_sent(port, b"GET /health HT", 100)
    sockets.append(socket.create_connection((HOST, port)))  # sends nothing at all
    try:
        assert_closed_after(server, sockets, started, HEADER_TIMEOUT_S)
        # a keep-alive client that sends its next request in time is served again
        with httpx.Client(base_url=server, timeout=5.0) as client:
            assert client.get("/health").status_code == 200
            time.sleep(HEADER_TIMEOUT_S / 2)
            assert client.get("/health").status_code == 200
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_half_sent_request_bodies_are_closed(server: str) -> None:
    """50 connections that announce a body of 1000 bytes and send 10 are closed after the body
    timeout (they were held open for good, each one of ``max_connections``); a request whose
    body comes slowly but within the timeout is answered, and so is a normal one meanwhile."""
    port = int(server.rsplit(":", 1)[1])
    head = (
        b"POST /routes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    started = time.monotonic()
    sockets = half_sent(port, head + b'{"origin":', 50)
    try:
        assert_closed_after(server, sockets, started, BODY_TIMEOUT_S)
        # a body sent in pieces, all of it well within the timeout, is read and answered
        body = b'{"origin":{"lat":49.4447,"lon":7.769},"destination":{"lat":49.439,"lon":7.764}}'
        with socket.create_connection((HOST, port)) as slow:
            slow.sendall(head.replace(b"1000", str(len(body)).encode()))
            for i in range(0, len(body), 20):
                time.sleep(BODY_TIMEOUT_S / 10)
                slow.sendall(body[i : i + 20])
            slow.settimeout(10.0)
            assert slow.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_a_websocket_upgrade_is_answered_as_http(server: str) -> None:
    """The API has no WebSocket endpoint: a request asking for one is answered as the HTTP
    request it also is, with the API's headers. uvicorn upgraded it and answered 403 with an
    empty text body, no request id and no security headers (found by a hostile-input
    battery)."""
    port = int(server.rsplit(":", 1)[1])
    for path, status in ((b"/health", b"200"), (b"/routes", b"422"), (b"/nowhere", b"404")):
        with socket.create_connection((HOST, port)) as sock:
            sock.sendall(
                b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
            )
            sock.settimeout(10.0)
            received = b""
            with contextlib.suppress(TimeoutError):
                while chunk := sock.recv(65536):
                    received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 " + status), received[:200]
        assert b"x-request-id:" in head.lower()
        assert b"x-content-type-options: nosniff" in head.lower()
        assert json.loads(body)  # the API's JSON


def answers_to(port: int, data: bytes) -> list[bytes]:
    """The status lines the server at ``port`` answers ``data`` with, up to its close."""
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(data)
        sock.settimeout(10.0)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    return re.findall(rb"HTTP/1\.1 \d{3}", received)


@pytest.mark.slow
def test_a_request_before_a_malformed_one_is_answered_first(server: str) -> None:
    """Pipelined after a whole request, a malformed one (here the rest of a body longer than
    its Content-Length) gets its 400 after the request before it has its answer: the 400 was
    written at once and the connection closed, and the well-formed request went unanswered
    (found by a hostile-input battery)."""
    port = int(server.rsplit(":", 1)[1])
    body = b'{"origin":{"lat":49.4447,"lon":7.769},"destination":{"lat":49.439,"lon":7.764}}'
    post = b"POST /routes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    garbage = b"\x01\x02 NOT HTTP\r\n\r\n"
    cases = [
        (post + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body + garbage,
         [b"HTTP/1.1 200", b"HTTP/1.1 400"]),
        (post + b"Content-Length: 0\r\n\r\n" + body + b"\r\n\r\n",
         [b"HTTP/1.1 422", b"HTTP/1.1 400"]),
        (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * 2 + garbage,
         [b"HTTP/1.1 200", b"HTTP/1.1 200", b"HTTP/1.1 400"]),
    ]  # fmt: skip
    for data, statuses in cases:
        assert answers_to(port, data) == statuses, data[:80]
    # a request whose own body breaks the parser gets its 400 at once
    chunked = post + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
    started = time.monotonic()
    assert answers_to(port, chunked) == [b"HTTP/1.1 400"]
    assert time.monotonic() - started < 5.0


def received_all(sock: socket.socket) -> bytes:
    """What the server sends on ``sock`` until it closes it (or goes quiet for 10 s)."""
    sock.settimeout(10.0)
    received = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.slow
def test_a_request_head_over_the_limit_is_refused_and_not_kept(
    server: str, request: pytest.FixtureRequest
) -> None:
    """A head (request line and headers) over ``MAX_HEAD_BYTES`` is answered 431 in the API's
    shape and the connection closed; the bytes sent after it are dropped, not held. httptools
    buffered one header until its end however long: a request with a 50 MB header held 50 MB
    of the worker and was answered 200 (found by a hostile-input battery). h11, the fallback,
    refuses it at the same limit as a malformed request (400). A head under the limit, and a
    body of any allowed size after a small head, are no head over it."""
    from api.reading import MAX_HEAD_BYTES

    port = int(server.rsplit(":", 1)[1])
    h11 = request.node.callspec.params["server"] == "h11"
    for big in (
        b"X-Big: " + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n",  # one header
        b"".join(b"X-%d: a\r\n" % i for i in range(MAX_HEAD_BYTES // 8)),  # many
    ):
        with socket.create_connection((HOST, port)) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + big)
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                sock.sendall(b"X-More: " + b"b" * (4 << 20) + b"\r\n\r\n")  # 4 MB more
            answer = received_all(sock)
        head, _, body = answer.partition(b"\r\n\r\n")
        expected = b"HTTP/1.1 400" if h11 else b"HTTP/1.1 431 Request Header Fields Too Large"
        assert head.startswith(expected), answer[:200]
        assert b"x-request-id:" in head.lower()
        error = json.loads(body)
        assert set(error) == {"code", "message", "details"}
        assert error["code"] == ("invalid_request" if h11 else "header_too_large")
    fine = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Fine: " + b"a" * (MAX_HEAD_BYTES - 200)
    route = (
        b'{"origin":{"lat":49.4447,"lon":7.769},"destination":{"lat":49.439,"lon":7.764},"pad":"'
    )
    route += b"x" * (60 * 1024) + b'"}'  # head and a 60 kB body in one write
    post = b"POST /routes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    post += b"Content-Length: " + str(len(route)).encode() + b"\r\n\r\n" + route
    assert answers_to(port, fine + b"\r\nConnection: close\r\n\r\n") == [b"HTTP/1.1 200"]
    assert answers_to(port, post + post.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1)) == [b"HTTP/1.1 422"] * 2  # fmt: skip
    assert httpx.get(f"{server}/health", timeout=5.0).status_code == 200


def pipelined_answers(sock: socket.socket, count: int) -> list[bytes]:
    """The bodies of ``count`` answers read from ``sock`` (each with a Content-Length)."""
    sock.settimeout(30.0)
    buffer, bodies = b"", list[bytes]()
    while len(bodies) < count:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            length = int(re.search(rb"(?i)content-length: *(\d+)", buffer[:head_end]).group(1))  # type: ignore[union-attr]
            if len(buffer) >= head_end + 4 + length:
                bodies.append(buffer[head_end + 4 : head_end + 4 + length])
                buffer = buffer[head_end + 4 + length :]
                continue
        chunk = sock.recv(1 << 16)
        assert chunk, f"the server closed after {len(bodies)} of {count} answers"
        buffer += chunk
    return bodies


@pytest.mark.slow
def test_pipelined_requests_are_answered_in_order_and_not_read_ahead(
    server: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that pipelines thousands of requests and reads nothing for a while has at most
    ``MAX_PIPELINED`` and one parser piece of them read and queued (uvicorn parsed and queued all
    it sent, a few kB each: five such connections took a worker from 92 to 284 MB; found by a
    hostile-input battery); when it reads, every answer comes, in order. With h11, the fallback,
    one request at a time is read."""
    from api.http_protocol import HeadTimeoutHttpToolsProtocol
    from api.reading import FEED_BYTES, MAX_PIPELINED

    port = int(server.rsplit(":", 1)[1])
    seen: list[Any] = []
    made = HeadTimeoutHttpToolsProtocol.connection_made

    def remember(self: Any, transport: Any) -> None:
        seen.append(self)
        made(self, transport)

    names = [p["name"] for p in httpx.get(f"{server}/profiles", timeout=5.0).json()["profiles"]]
    monkeypatch.setattr(HeadTimeoutHttpToolsProtocol, "connection_made", remember)
    asked = [names[i % len(names)] for i in range(3000)]
    data = b"".join(b"GET /profiles/%s HTTP/1.1\r\nHost: x\r\n\r\n" % n.encode() for n in asked)
    with socket.create_connection((HOST, port)) as sock:  # 3,000 answers of ~20 kB pile up
        sender = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
        sender.start()
        time.sleep(1.5)
        if request.node.callspec.params["server"] == "httptools":
            (protocol,) = seen
            shortest = min(len(b"GET /profiles/%s HTTP/1.1\r\nHost: x\r\n\r\n" % n.encode()) for n in names)  # fmt: skip
            assert 0 < len(protocol.pipeline) <= MAX_PIPELINED + FEED_BYTES // shortest + 1
        bodies = pipelined_answers(sock, len(asked))
        sender.join(10.0)
    assert [json.loads(b)["profile"]["name"] for b in bodies] == asked


@pytest.mark.slow
def test_a_pipelining_client_that_leaves_is_no_error(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that pipelines requests, reads nothing and closes its connection leaves no error
    behind: uvicorn told only the last request read that the client had gone, and the one being
    answered wrote to the closed transport, which uvloop refuses (an "unexpected error" with a
    traceback and a 500 access line for each such client; found by a hostile-input battery)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert hasattr(HttpToolsProtocol, "_start_asgi_task")  # what api.reading hooks into
    port = int(server.rsplit(":", 1)[1])
    data = b"GET /profiles/wheelchair HTTP/1.1\r\nHost: x\r\n\r\n" * 2000
    caplog.set_level(logging.ERROR)
    for _ in range(3):
        sock = socket.create_connection((HOST, port))
        threading.Thread(target=_send_quietly, args=(sock, data), daemon=True).start()
        time.sleep(0.5)
        sock.close()
    time.sleep(1.0)
    assert httpx.get(f"{server}/health", timeout=5.0).status_code == 200
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    """``sock.sendall(data)``, ending quietly when the socket is closed meanwhile."""
    with contextlib.suppress(OSError):
        sock.sendall(data)


# ------------------------------------------------------------------- security headers, /docs


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for response in (
        client.get("/health"),
        client.get("/profiles"),
        client.get("/nowhere"),
        client.post("/routes", json={}),
        client.post("/reports", content=b"x" * 100_000),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["cache-control"] == "no-store"


@pytest.fixture
def built_docs(tmp_path: Path) -> Path:
    """A console build with the Swagger UI files ``/docs`` serves (stand-ins: ``make console``
    copies the real ones from npm's ``swagger-ui-dist``)."""
    vendor = tmp_path / "vendor" / "swagger-ui"
    vendor.mkdir(parents=True)
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        (vendor / name).write_bytes(b"/* stand-in */")
    return tmp_path


def test_docs_without_the_console_build_say_how_to_get_them(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    """Without the console's build there is no Swagger UI that reads OpenAPI 3.1 on this
    machine: ``/docs`` says so (503) and how to build it, and links the API's description,
    which is served as ever."""
    with make_client(console_dir=tmp_path) as client:
        page = client.get("/docs")
        assert page.status_code == 503
        assert "make console" in page.text
        assert 'href="/openapi.json"' in page.text
        assert "<script" not in page.text
        assert "http" not in page.text
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
        assert client.get("/openapi.json").status_code == 200


def test_docs_use_only_same_origin_assets(
    make_client: Callable[..., TestClient], built_docs: Path
) -> None:
    with make_client(console_dir=built_docs) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text  # no inline script: the CSP forbids them
        urls = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert urls
        assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
        assert "http" not in page.text
        for url in urls:
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert asset.content
        init = client.get("/docs/init.js").text
        assert '"/openapi.json"' in init
        assert "http" not in init
        assert client.get("/redoc").status_code == 404


def test_docs_can_be_switched_off(make_client: Callable[..., TestClient]) -> None:
    with make_client(docs=False) as off:
        assert off.get("/docs").status_code == 404
        assert off.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
        assert off.get("/openapi.json").status_code == 200


def test_head_is_answered_wherever_get_is(client: TestClient, access_log: AccessLines) -> None:
    """``HEAD /health`` (what uptime monitors send) was 405: HEAD gets the GET answer's status
    and headers without a body; a path without GET still answers 405; the access line says
    HEAD."""
    got, head = client.get("/health"), client.head("/health")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) > 0
    assert "x-request-id" in head.headers
    profile = client.head("/profiles/wheelchair")
    assert profile.status_code == 200
    assert profile.content == b""
    assert client.head("/profiles/nobody").status_code == 404
    assert client.head("/matrix").status_code == 405  # POST only
    lines = [json.loads(r.getMessage()) for r in access_log.records]
    assert [(line["method"], line["path"]) for line in lines][:2] == [
        ("GET", "/health"),
        ("HEAD", "/health"),
    ]


@pytest.mark.slow
def test_an_encoded_body_is_refused_on_the_direct_path_too(server: str) -> None:
    """The serving protocol answers well-formed route requests itself (:mod:`api.direct`); one
    with a Content-Encoding goes to the app, which refuses it with 415."""
    body = b'{"origin":{"lat":49.4447,"lon":7.769},"destination":{"lat":49.439,"lon":7.764}}'
    head = (
        b"POST /routes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(head + body)
        sock.settimeout(10.0)
        assert sock.recv(64).startswith(b"HTTP/1.1 415")


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /routes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /routes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Key: a\x7fb\r\n\r\n",
        b"get /health HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
)
def test_a_malformed_http_request_gets_the_error_shape(
    server: str, request_bytes: bytes, request: pytest.FixtureRequest
) -> None:
    """uvicorn answered these ``400 Invalid HTTP request received.`` as plain text, without the
    security headers or a request id: now the API's error shape, and the connection closes
    (with either protocol). h11, the fallback protocol, takes a DEL in a header value and a
    lower-case method as a request: those get the app's own answer, in the same shape."""
    lenient = request.node.callspec.params["server"] == "h11"
    taken = lenient and (b"\x7f" in request_bytes or request_bytes.startswith(b"get "))
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(request_bytes)
        sock.settimeout(10.0)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert len(headers["x-request-id"]) == 16
    if taken:  # answered by the app, like any request: /health itself, or 405 for "get"
        expected = "405 Method Not Allowed" if request_bytes.startswith(b"get ") else "200 OK"
        assert lines[0] == f"HTTP/1.1 {expected}"
        assert json.loads(body)
        return
    assert lines[0] == "HTTP/1.1 400 Bad Request"
    error = json.loads(body)
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("malformed HTTP request")
