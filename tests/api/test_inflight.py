"""uvicorn's request tasks as :mod:`api.inflight` reads them, through the serving protocol.

A real uvicorn server on a loopback port, with the protocol ``stufenlos serve`` uses
(:class:`api.http_protocol.HeadTimeoutHttpToolsProtocol`), answers a small ASGI app that records what
:func:`api.inflight.alone` says while each request is handled: alone when nothing else is in
hand, not alone while another request waits for its answer, alone again after it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from api import inflight

SLOW_S = 2.0


class _Recorder:
    """An ASGI app: ``/slow`` answers after :data:`SLOW_S`, anything else at once; each request
    records ``(path, alone())`` when it starts."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        self.seen.append((scope["path"], inflight.alone()))
        if scope["path"] == "/slow":
            await asyncio.sleep(SLOW_S)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, _Recorder]]:
    monkeypatch.setattr(inflight, "_tasks", None)
    app = _Recorder()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        http="api.http_protocol:HeadTimeoutHttpToolsProtocol",
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_alone_follows_the_requests_in_hand(served: tuple[str, _Recorder]) -> None:
    base, app = served
    assert not inflight.alone()  # no connection yet: nothing tracked
    assert httpx.get(f"{base}/first").status_code == 200
    slow = threading.Thread(target=httpx.get, args=(f"{base}/slow",), kwargs={"timeout": 10})
    slow.start()
    deadline = time.monotonic() + SLOW_S / 2
    while ("/slow", True) not in app.seen:  # until /slow is in hand
        assert time.monotonic() < deadline, "/slow did not arrive"
        time.sleep(0.005)
    assert httpx.get(f"{base}/beside").status_code == 200
    slow.join(10)
    assert httpx.get(f"{base}/after").status_code == 200
    assert app.seen == [("/first", True), ("/slow", True), ("/beside", False), ("/after", True)]
