"""Routes answered at the HTTP protocol (:mod:`api.direct`) are the bytes the ASGI path sends.

Two servers in threads with the protocol of ``stufenlos serve`` on the centre graph: one with the
direct path (the default), one without (``direct_routes=False``: every request through ASGI and
:mod:`api.fastpath`). The same requests, sent over raw sockets, must give the same status line,
headers (the date aside) and body bytes; the direct path must really answer the well-formed ones,
in both places it computes (the event loop, in turn, for a short route; the CPU thread), and leave
everything else to the app: bad bodies, route errors (without computing twice), chunked bodies,
``Connection: close``, oversize bodies. Pipelined requests are answered in order.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import api.route_answers
from api.direct import DirectRoutes
from tests.api.serving import HOST, threaded_server, uvicorn_in_thread

DEPARTURE = "2024-06-20T10:00"
#: Two points of the centre extract (Kaiserslautern), a few hundred metres apart.
ORIGIN = {"lat": 49.4401, "lon": 7.7651}
DESTINATION = {"lat": 49.4436, "lon": 7.7712}

#: Limits that no route of the centre keeps (with ``strict``, the route that breaks them is 422
#: ``no_route``): unknown kerbs and slopes forbidden.
STRICTEST = {
    "max_kerb_height_cm": 0, "max_incline_percent": 0.5,
    "unknown.incline": "forbid", "unknown.kerb_height": "forbid",
}  # fmt: skip

Answer = tuple[bytes, list[tuple[bytes, bytes]], bytes]


def _servers(centre_graph_dir: Path, tmp: Path, **settings: Any) -> Iterator[tuple[int, int]]:
    from api.app import create_app
    from api.settings import Settings

    def app(direct: bool) -> tuple[Any, Settings]:
        url = f"sqlite:///{tmp / ('direct' if direct else 'asgi')}.db"
        s = Settings(graph_dir=centre_graph_dir, database_url=url, direct_routes=direct, **settings)
        return create_app(s), s

    with threaded_server(*app(True)) as direct, threaded_server(*app(False)) as asgi:
        yield int(direct.rsplit(":", 1)[1]), int(asgi.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def ports(
    centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int]]:
    """(direct, asgi) ports of two servers with the default settings."""
    yield from _servers(centre_graph_dir, tmp_path_factory.mktemp("direct"))


@pytest.fixture(scope="module")
def thread_ports(
    centre_graph_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int]]:
    """(direct, asgi) ports of two servers that compute every route in the CPU thread."""
    yield from _servers(
        centre_graph_dir, tmp_path_factory.mktemp("direct-thread"), idle_loop_routes=False
    )


@pytest.fixture
def direct_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The statuses of the answers the direct path writes."""
    written: list[int] = []
    original = DirectRoutes._direct_write

    def counted(self: DirectRoutes, pending: Any, req: Any, response: Any) -> None:
        written.append(response.status_code)
        original(self, pending, req, response)

    monkeypatch.setattr(DirectRoutes, "_direct_write", counted)
    return written


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of ``api.route_answers.<name>`` (in both servers: one process)."""
    calls: list[int] = []
    original = getattr(api.route_answers, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(api.route_answers, name, counted)
    return calls


def _read_answer(sock: socket.socket, buffer: bytearray) -> Answer:
    """One HTTP answer from ``sock`` (with a Content-Length); what follows stays in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the head"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = [tuple(line.split(b": ", 1)) for line in lines]
    length = int(next(v for k, v in headers if k == b"content-length"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the body"
        rest += chunk
    buffer[:] = rest[length:]
    return status, headers, rest[:length]  # type: ignore[return-value]


def _exchange(port: int, *requests: bytes) -> list[Answer]:
    """Send ``requests`` in one write on one connection; their answers in order."""
    with socket.create_connection((HOST, port), timeout=20) as sock:
        sock.sendall(b"".join(requests))
        buffer = bytearray()
        return [_read_answer(sock, buffer) for _ in requests]


def _request(
    body: bytes | dict[str, Any], *, gzip: bool = True, extra: bytes = b"", rid: str = "t-1"
) -> bytes:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (
        b"POST /routes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\n" % len(content)
        + (b"Accept-Encoding: gzip\r\n" if gzip else b"")
        + b"X-Request-ID: " + rid.encode() + b"\r\n" + extra
    )  # fmt: skip
    return head + b"\r\n" + content


def _comparable(answer: Answer) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    status, headers, body = answer
    return status, sorted(h for h in headers if h[0] != b"date"), body


def _same(ports: tuple[int, int], request: bytes) -> Answer:
    direct, asgi = (_exchange(port, request)[0] for port in ports)
    assert _comparable(direct) == _comparable(asgi)
    return direct


def _route(name: str = "wheelchair", **extra: Any) -> dict[str, Any]:
    body = {"origin": ORIGIN, "destination": DESTINATION, "profile": {"name": name}}
    return {**body, "departure_time": DEPARTURE, **extra}


@pytest.mark.parametrize("gzip", [True, False])
def test_direct_answers_are_the_bytes_of_the_asgi_path(
    ports: tuple[int, int], direct_writes: list[int], gzip: bool
) -> None:
    sent = 0
    for k, name in enumerate(("walk", "wheelchair", "rollator", "blind", "elderly")):
        status, headers, _ = _same(
            ports, _request(_route(name, language="en" if k % 2 else "de"), gzip=gzip)
        )
        assert status == b"HTTP/1.1 200 OK"
        assert (b"x-request-id", b"t-1") in headers
        assert any(h == (b"content-encoding", b"gzip") for h in headers) == gzip
        sent += 1
    assert direct_writes == [200] * sent  # each answered directly, not through ASGI


def test_the_cpu_thread_answers_the_same(
    thread_ports: tuple[int, int], direct_writes: list[int]
) -> None:
    for name in ("walk", "wheelchair"):
        assert _same(thread_ports, _request(_route(name)))[0] == b"HTTP/1.1 200 OK"
    assert direct_writes == [200, 200]


def test_a_route_error_in_the_cpu_thread_is_answered_by_the_app(
    thread_ports: tuple[int, int], direct_writes: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = _count_calls(monkeypatch, "route_answer")
    status, _, answer = _same(thread_ports, _request(_route("no-such-profile")))
    assert status.split()[1] == b"404"
    assert json.loads(answer)["code"] == "unknown_profile"
    assert direct_writes == []
    assert len(answers) == 2  # once per server: the direct one's error was not computed again


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        {"origin": ORIGIN},
        _route("no-such-profile"),
        _route() | {"profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": -3}}},
        _route() | {"origin": {"lat": ORIGIN["lon"], "lon": ORIGIN["lat"]}},
        _route() | {"alternatives": 99},
        _route(strict=True) | {"profile": {"name": "wheelchair", "parameters": STRICTEST}},
        b'{"origin": {"lat": NaN, "lon": 7.76}, "destination": {"lat": 49.44, "lon": 7.76}}',
        b'{"origin": {"lat": 1e999, "lon": 7.76}, "destination": {"lat": 49.44, "lon": 7.76}}',
        b"\xff\xfe{}",
        b"",
        json.dumps(_route()).encode()[:-1] + b', "profile": {"name": "walk"}}',  # a key twice
        _route() | {"unknown": 1},
        _route() | {"origin": {"lat": 10.0, "lon": 10.0}},
        _route() | {"origin": {"lat": 95.0, "lon": 7.7}},
        _route() | {"origin": {"lat": "49.4", "lon": "7.7"}},
        _route() | {"origin": {"lat": 10**30, "lon": 7.7}},
        _route() | {"via": [ORIGIN] * 40},
        _route() | {"language": "fr"},
        _route() | {"departure_time": "0001-01-01T00:00:00"},
        _route() | {"pollen_forecast": {"unknown_tree": 3}},
        _route() | {"profile": {"name": "wheelchair", "parameters": {"no_such": 1}}},
    ],
)
def test_bad_requests_and_route_errors_are_answered_by_the_app(
    ports: tuple[int, int],
    direct_writes: list[int],
    monkeypatch: pytest.MonkeyPatch,
    body: bytes | dict[str, Any],
) -> None:
    routes = _count_calls(monkeypatch, "plan")
    status, headers, answer = _same(ports, _request(body))
    if (b"content-encoding", b"gzip") in headers:  # a long error (no_route lists the breaks)
        answer = gzip.decompress(answer)
    if status != b"HTTP/1.1 200 OK":
        assert status.split()[1].startswith(b"4"), answer
        assert "code" in json.loads(answer)
        assert direct_writes == []  # the app shaped the error
    assert len(routes) <= 2  # once per server: an error found directly is not computed again


def test_a_closing_connection_goes_through_the_app(
    ports: tuple[int, int], direct_writes: list[int]
) -> None:
    status, headers, _ = _same(ports, _request(_route(), extra=b"Connection: close\r\n"))
    assert status == b"HTTP/1.1 200 OK"
    assert (b"connection", b"close") in headers
    assert direct_writes == []


def test_with_cors_every_route_request_goes_through_the_app(
    centre_graph_dir: Path, tmp_path: Path, direct_writes: list[int]
) -> None:
    """CORS headers come from the app's middleware (Starlette's adds ``Vary: Origin`` even to an
    answer for a request without an origin): with origins configured, the app answers."""
    cors = {"cors_origins": ["https://app.example"]}
    for ports in _servers(centre_graph_dir, tmp_path, **cors):
        origin = b"Origin: https://app.example\r\n"
        status, headers, _ = _same(ports, _request(_route(), extra=origin))
        assert status == b"HTTP/1.1 200 OK"
        assert (b"access-control-allow-origin", b"https://app.example") in headers
        assert _same(ports, _request(_route()))[0] == b"HTTP/1.1 200 OK"
        assert direct_writes == []


def test_a_chunked_body_goes_through_the_app(
    ports: tuple[int, int], direct_writes: list[int]
) -> None:
    content = json.dumps(_route()).encode()
    request = (
        b"POST /routes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nX-Request-ID: t-1\r\n\r\n"
        + b"%x\r\n" % len(content) + content + b"\r\n0\r\n\r\n"
    )  # fmt: skip
    assert _same(ports, request)[0] == b"HTTP/1.1 200 OK"
    assert direct_writes == []


def test_an_oversize_body_is_refused(ports: tuple[int, int], direct_writes: list[int]) -> None:
    body = b'{"origin": {"lat": 49.44, "lon": 7.76}, "pad": "' + b"x" * (70 * 1024) + b'"}'
    status, _, answer = _exchange(ports[0], _request(body))[0]
    assert status.split()[1] == b"413"
    assert json.loads(answer)["code"] == "payload_too_large"
    assert direct_writes == []


@pytest.mark.parametrize("which", ["ports", "thread_ports"])
def test_pipelined_requests_are_answered_in_order(
    request: pytest.FixtureRequest, direct_writes: list[int], which: str
) -> None:
    direct, _ = request.getfixturevalue(which)
    health = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"
    answers = _exchange(
        direct,
        _request(_route("wheelchair"), rid="first"),
        health,
        _request(_route("walk"), rid="third"),
        _request(b"{", rid="fourth"),
    )
    ids = [dict(headers).get(b"x-request-id") for _, headers, _ in answers]
    assert [ids[0], ids[2], ids[3]] == [b"first", b"third", b"fourth"]
    assert b'"status"' in answers[1][2]
    assert [a[0].split()[1] for a in answers] == [b"200", b"200", b"200", b"422"]
    assert direct_writes  # at least the first went directly


def test_the_access_line_is_the_asgi_paths(
    ports: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.direct
    import api.middleware

    lines: list[tuple[Any, ...]] = []

    def record(
        rid: str,
        method: str,
        path: str,
        status: int,
        start_s: float,
        profile: str | None = None,
        error_code: str | None = None,
    ) -> None:
        if rid == "same":  # the test before's last ASGI line may come after the patch
            lines.append((rid, method, path, status, profile, error_code))

    monkeypatch.setattr(api.direct, "log_request", record)
    monkeypatch.setattr(api.middleware, "log_request", record)
    for port in ports:
        _exchange(port, _request(_route("rollator"), rid="same"))
    # the ASGI middleware logs after the answer's last byte is sent: the client may read it
    # before the server's thread has written the line
    deadline = time.monotonic() + 5.0
    while len(lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(lines) == 2
    assert lines[0] == lines[1] == ("same", "POST", "/routes", 200, "rollator", None)


def test_off_switch_and_served_app_lookup(make_client: Callable[..., Any]) -> None:
    from api.direct import _served_app

    class Wrapper:
        def __init__(self, app: Any) -> None:
            self.app = app

    with make_client() as client:
        assert _served_app(Wrapper(Wrapper(client.app))) is client.app
    assert _served_app(object()) is None


def test_a_shutdown_lets_a_route_in_the_cpu_thread_answer(
    centre_graph_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graceful shutdown that begins while a direct route is in the CPU thread: the route is
    answered, then the connection closes (uvicorn's shutdown asks the busy cycle to)."""
    from api.app import create_app
    from api.settings import Settings

    started, release = threading.Event(), threading.Event()
    original = api.route_answers.route_answer

    def held(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(api.route_answers, "route_answer", held)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = Settings(graph_dir=centre_graph_dir, database_url=url, idle_loop_routes=False)
    with uvicorn_in_thread(create_app(settings), settings) as (server, base):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection((HOST, port), timeout=20) as sock:
            sock.sendall(_request(_route(), rid="late"))
            assert started.wait(20), "the route never reached the CPU thread"
            server.should_exit = True
            time.sleep(0.5)  # the server stops listening and asks its connections to close
            release.set()
            status, headers, _ = _read_answer(sock, bytearray())
            assert status == b"HTTP/1.1 200 OK"
            assert (b"x-request-id", b"late") in headers
            sock.settimeout(1.0)  # at once, not when the keep-alive timeout runs out
            assert sock.recv(1) == b""  # closed after the answer


@pytest.fixture
def busy_worker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """As in a worker whose live obstacles were just read: the threads that compute the routes
    ("stufenlos-cpu" or the event loop's)."""
    from api.obstacles.live import LiveObstacles

    threads: list[str] = []
    original, together = api.route_answers.route_answer, api.route_answers.route_answers

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    def recorded_together(r: Any, reqs: Any, *args: Any, **kwargs: Any) -> Any:
        threads.extend(threading.current_thread().name for _ in reqs)
        return together(r, reqs, *args, **kwargs)

    monkeypatch.setattr(LiveObstacles, "fresh_for", lambda self, arrived: True)
    monkeypatch.setattr(api.route_answers, "route_answer", recorded)
    monkeypatch.setattr(api.route_answers, "route_answers", recorded_together)
    return threads


def test_a_busy_worker_computes_short_routes_on_its_loop_in_turn(
    ports: tuple[int, int], direct_writes: list[int], busy_worker: list[str]
) -> None:
    """Short routes of a busy worker wait in the loop's queue (:mod:`api.loop_routes`) and are
    answered there, with the ASGI path's bytes. A route with alternatives or via points still
    goes to the CPU thread."""
    status, _, _ = _same(ports, _request(_route("rollator", language="en")))
    assert status == b"HTTP/1.1 200 OK"
    assert busy_worker[0] != "stufenlos-cpu"  # the direct server's route: on its loop
    busy_worker.clear()
    for name in ("walk", "wheelchair", "blind"):
        _, headers, _ = _exchange(ports[0], _request(_route(name), rid=name))[0]
        assert (b"x-request-id", name.encode()) in headers
    assert len(busy_worker) == 3
    assert "stufenlos-cpu" not in busy_worker
    busy_worker.clear()
    via = _route("walk") | {"via": [{"lat": 49.4420, "lon": 7.7680}]}
    for body in (via, _route("walk") | {"alternatives": 1}):
        assert _exchange(ports[0], _request(body))[0][0] == b"HTTP/1.1 200 OK"
    assert busy_worker == ["stufenlos-cpu"] * 2
    assert direct_writes == [200] * 6


def test_a_queued_route_whose_obstacles_need_a_read_goes_to_the_cpu_thread(
    ports: tuple[int, int], busy_worker: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.obstacles.live import LiveObstacles

    monkeypatch.setattr(LiveObstacles, "fresh_for", lambda self, arrived: False)
    assert _exchange(ports[0], _request(_route("walk")))[0][0] == b"HTTP/1.1 200 OK"
    assert busy_worker == ["stufenlos-cpu"]


def test_a_queued_route_whose_client_has_gone_is_not_computed(
    ports: tuple[int, int], busy_worker: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.loop_routes import LoopRoutes

    held: list[Any] = []
    monkeypatch.setattr(LoopRoutes, "put", lambda self, job: held.append(job))
    with socket.create_connection((HOST, ports[0]), timeout=20) as sock:
        sock.sendall(_request(_route("walk")))
        deadline = time.monotonic() + 20
        while not held and time.monotonic() < deadline:
            time.sleep(0.01)
    assert held, "the route was not queued"
    protocol = held[0].protocol
    while not protocol.transport.is_closing() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server notices the closed connection
    ran = threading.Event()

    def run_held() -> None:
        held[0]()
        ran.set()

    protocol.loop.call_soon_threadsafe(run_held)
    assert ran.wait(20)
    assert busy_worker == []  # no route computed for nobody
    assert protocol.cycle is None


def test_a_turn_writes_the_answers_of_its_routes_after_them(
    ports: tuple[int, int], busy_worker: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routes that wait in the loop's queue together are computed in one turn, together (stage
    by stage, :func:`api.route_answers.route_answers`), and their answers written after the
    last of them (:mod:`api.loop_routes`), each to its own client."""
    import asyncio

    import api.inflight
    import api.loop_routes
    from api.cpu import run_cpu

    events: list[str] = []
    route_answers = api.route_answers.route_answers
    write = DirectRoutes._direct_write

    def answered(r: Any, reqs: Any, *args: Any, **kwargs: Any) -> Any:
        events.append(f"{len(reqs)} routes")
        return route_answers(r, reqs, *args, **kwargs)

    def written(self: DirectRoutes, pending: Any, req: Any, response: Any) -> None:
        events.append("write")
        write(self, pending, req, response)

    monkeypatch.setattr(api.route_answers, "route_answers", answered)
    monkeypatch.setattr(DirectRoutes, "_direct_write", written)
    # connections other tests of this process left unread would make every turn single
    monkeypatch.setattr(api.inflight, "_new_connections", 0)
    # the queue waits while the CPU thread has a job: one holds it until the three are queued
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(20)

    holder = threading.Thread(target=lambda: asyncio.run(run_cpu(hold)))
    holder.start()
    socks: list[socket.socket] = []
    try:
        assert started.wait(20)
        for name in ("walk", "wheelchair", "blind"):
            sock = socket.create_connection((HOST, ports[0]), timeout=20)
            socks.append(sock)
            sock.sendall(_request(_route(name), rid=name))
        deadline = time.monotonic() + 20
        queued: list[api.loop_routes.LoopRoutes] = []
        while time.monotonic() < deadline and not queued:
            queued = [q for q in list(api.loop_routes._queues) if len(q) == 3]
            time.sleep(0.01)
        assert queued, "the routes were not queued"
        assert events == []
        monkeypatch.setattr(queued[0], "_turn_s", 60.0)  # a first route may take milliseconds
        release.set()
        for name, sock in zip(("walk", "wheelchair", "blind"), socks, strict=True):
            status, headers, _ = _read_answer(sock, bytearray())
            assert status == b"HTTP/1.1 200 OK"
            assert (b"x-request-id", name.encode()) in headers
    finally:
        release.set()
        holder.join(20)
        for sock in socks:
            sock.close()
    assert events == ["3 routes"] + ["write"] * 3
    assert "stufenlos-cpu" not in busy_worker
