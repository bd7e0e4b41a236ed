"""Phase 3 of the load test: a staff writer at 1 write/s under route load, write → live.

Each write is a closure on a seeded route that meets no obstacle yet; then routes are sent on a
connection held by *each* worker until every worker names the closure in
``obstacles.passed/avoided`` (:func:`wait_live`), and the closure is deleted again.
"""

from __future__ import annotations

import http.client
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from _load_http import WRITE_TIMEOUT_S, Reader, closure, pct
from _support import (
    Server,
)

__all__ = [
    "LIVE_LIMIT_S",
    "wait_live",
    "writer_phase",
]


LIVE_LIMIT_S = 10.0  # a write not seen in every worker by then counts as not live


def _first_naming(
    reader: Reader, body: dict[str, Any], oid: str, t0: float, stats: dict[str, int],
    server_pid: int,
) -> tuple[float, float] | None:  # fmt: skip
    """Routes on ``reader`` until one names ``oid``: (sent, answered) ms after ``t0``."""
    for _ in range(10_000):
        sent = time.perf_counter()
        if sent - t0 > LIVE_LIMIT_S:
            return None
        stats["polls"] += 1
        try:
            status, answer = reader.call("POST", "/routes", body)
        except (OSError, http.client.HTTPException):
            stats["poll_errors"] += 1
            reader.reconnect(server_pid)
            continue
        if status != 200:
            stats["poll_non_200"] += 1
            continue
        obstacles = answer["routes"][0]["obstacles"]
        if oid in [o["id"] for o in obstacles["avoided"] + obstacles["passed"]]:
            return (sent - t0) * 1000.0, (time.perf_counter() - t0) * 1000.0
    return None


def wait_live(
    readers: list[Reader], body: dict[str, Any], oid: str, t0: float, stats: dict[str, int],
    server_pid: int,
) -> tuple[float, float] | None:  # fmt: skip
    """When the write started at ``t0`` was live in every reader's worker (None: not in time).

    Every worker is asked at the same time, each on its own connection, with routes sent one
    after the other from the moment the write was acknowledged. Two figures, in ms after ``t0``:

    * **live**: the latest, over the workers, of the *sending* time of the first route that
      named the obstacle: from then on a route sent to any worker is answered with the write
      (an upper bound: the route before it was sent earlier and did not name it);
    * **answered**: the latest time such a route was *answered*, which adds that route's own
      time in the queue of a loaded worker (at concurrency 64 about one p50 of a route).
    """
    with ThreadPoolExecutor(len(readers)) as pool:
        futures = [pool.submit(_first_naming, r, body, oid, t0, stats, server_pid) for r in readers]
        found = [f.result() for f in futures]
    if not found or any(f is None for f in found):
        return None
    return max(f[0] for f in found if f), max(f[1] for f in found if f)


def writer_phase(
    server: Server, headers: dict[str, str], readers: list[Reader],
    candidates: list[tuple[dict[str, Any], list[float]]], seconds: float,
) -> dict[str, Any]:  # fmt: skip
    """One closure per second (POST, wait until live in every worker, DELETE) for ``seconds``."""
    live_ms: list[float] = []
    answered_ms: list[float] = []
    post_ms: list[float] = []
    not_live = failures = 0
    stats = {"polls": 0, "poll_errors": 0, "poll_non_200": 0}
    start = time.monotonic()
    with httpx.Client(base_url=server.base, headers=headers, timeout=WRITE_TIMEOUT_S) as staff:
        for i, (body, point) in enumerate(candidates):
            slot = start + 0.5 + i
            if slot > start + seconds - 0.5:
                break
            time.sleep(max(0.0, slot - time.monotonic()))
            for reader in readers:  # idle longer than the keep-alive: its worker closed it
                reader.ensure_open(server.process.pid)
            t0 = time.perf_counter()
            try:
                created = staff.post("/obstacles", json=closure(point, f"load writer {i}"))
            except httpx.HTTPError:
                failures += 1
                continue
            post_ms.append((time.perf_counter() - t0) * 1000.0)
            if created.status_code != 201:
                failures += 1
                continue
            oid = created.json()["id"]
            ms = wait_live(readers, body, oid, t0, stats, server.process.pid)
            if ms is None:  # counted at the limit, so that the percentiles stay honest
                not_live += 1
                live_ms.append(LIVE_LIMIT_S * 1000.0)
                answered_ms.append(LIVE_LIMIT_S * 1000.0)
            else:
                live_ms.append(ms[0])
                answered_ms.append(ms[1])
            try:
                staff.delete(f"/obstacles/{oid}")
            except httpx.HTTPError:
                failures += 1
    return {
        "writes": len(post_ms),
        "live": len(live_ms) - not_live,
        "not_live_within_s": {"count": not_live, "limit_s": LIVE_LIMIT_S},
        "failures": failures,
        "workers_polled": len(readers),
        "write_to_live_p50_ms": pct(live_ms, 50),
        "write_to_live_p95_ms": pct(live_ms, 95),
        "write_to_live_max_ms": round(max(live_ms), 2) if live_ms else math.nan,
        "write_to_answered_p50_ms": pct(answered_ms, 50),
        "write_to_answered_p95_ms": pct(answered_ms, 95),
        "post_p50_ms": pct(post_ms, 50),
        "post_p95_ms": pct(post_ms, 95),
    } | stats
