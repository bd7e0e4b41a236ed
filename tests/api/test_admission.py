"""The database's paths hold at most so many of a worker's pool threads, the public map's
reads one at a time beside the routes (api/admission.py).

Measured with ``stufenlos serve`` on SQLite while another process held the write lock (the note
of issue 11, 2026-12-06): 60 citizen reports waiting made ``GET /profiles`` wait 27 s for a pool
thread before, 28 ms after.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from api.admission import DatabaseAdmission, MapReadAdmission
from api.asgi_types import Message, Receive, Scope, Send


class Held:
    """An app whose requests on ``held`` paths wait until released; others answer at once."""

    def __init__(self, held: tuple[str, ...] = ("/obstacles",)) -> None:
        self.held = held
        self.release = asyncio.Event()
        self.inside = 0
        self.most_inside = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(self.held):
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            await self.release.wait()
            self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def call(app: Any, path: str) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], json.loads(body), dict(start["headers"])


def test_database_requests_beyond_the_slots_wait_then_get_503_and_others_pass() -> None:
    async def scenario() -> None:
        inner = Held()
        app = DatabaseAdmission(inner, slots=2, wait_s=0.3)
        held = [asyncio.create_task(call(app, f"/obstacles/{i}")) for i in range(2)]
        await asyncio.sleep(0.05)
        assert inner.inside == 2
        # a third waits on the loop, then is refused in the API's error shape
        status, body, headers = await call(app, "/obstacles")
        assert status == 503
        assert body["code"] == "database_unavailable"
        assert headers[b"retry-after"] == b"5"
        # the other paths never wait for a place (a matrix is CPU work, not the database's)
        for path in ("/profiles", "/matrix"):
            status, _, _ = await asyncio.wait_for(call(app, path), 0.1)
            assert status == 200
        # a place freed is taken by the next request
        waiting = asyncio.create_task(call(app, "/reports"))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        inner.release.set()
        assert [s for s, _, _ in await asyncio.gather(*held, waiting)] == [200, 200, 200]
        assert inner.most_inside == 2

    asyncio.run(scenario())


def test_map_reads_beyond_their_one_place_wait_then_get_503_and_routes_pass() -> None:
    """Eight clients asking ``/network`` in a loop cut the routes of ``stufenlos serve`` (two
    workers) from 231 to 10 per second before (the note of issue 11, 2026-12-06)."""

    async def scenario() -> None:
        inner = Held(held=("/network", "/features"))
        app = MapReadAdmission(inner, slots=1, wait_s=0.3)
        held = asyncio.create_task(call(app, "/network"))
        await asyncio.sleep(0.05)
        assert inner.inside == 1
        status, body, headers = await call(app, "/network")
        assert status == 503
        assert body["code"] == "service_busy"
        assert "try again" in body["message"]
        assert headers[b"retry-after"] == b"1"
        for path in ("/routes", "/profiles", "/health", "/obstacles/active"):
            status, _, _ = await asyncio.wait_for(call(app, path), 0.1)
            assert status == 200, path
        waiting = asyncio.create_task(call(app, "/features"))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        inner.release.set()
        assert [s for s, _, _ in await asyncio.gather(held, waiting)] == [200, 200]
        assert inner.most_inside == 1

    asyncio.run(scenario())
