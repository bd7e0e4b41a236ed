"""Benchmark: ``POST /routes`` through the fast path (``api/fastpath.py``) and through FastAPI.

Two apps on the same graph, one with ``fast_routes`` on and one with it off, are called as ASGI
applications in this process (no sockets: what is measured is the app, from the request's first
byte to the answer's last), one request at a time, with the same seeded route requests of
``bench_api.make_requests`` (wheelchair and walk, de and en, gzip accepted). The two apps take
turns by round, so the machine's drift hits both alike. Printed: the median and p95 per request
of each, their difference (the framework time the fast path saves) and, for reference, the
median of ``route_answer`` alone (the route, its report and instructions, JSON and gzip), which
both paths call.

Usage::

    python benchmarks/bench_fastpath.py [--graph DIR] [--trips 300] [--rounds 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _support import graph_dir, served_answer
from bench_api import make_requests

from api.app import create_app
from api.schemas import RouteRequest
from api.settings import Settings


async def call(app: Any, body: bytes) -> int:
    """One ``POST /routes`` on ``app`` as an ASGI call; the answer's status."""
    sent = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        return sent.pop() if sent else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    headers = [
        (b"host", b"bench"), (b"content-type", b"application/json"),
        (b"accept-encoding", b"gzip"), (b"content-length", str(len(body)).encode()),
    ]  # fmt: skip
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/routes", "raw_path": b"/routes", "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    await app(scope, receive, send)
    return status


async def timed_round(app: Any, bodies: list[bytes]) -> list[float]:
    """Milliseconds of each request, one after another."""
    out = []
    for body in bodies:
        t0 = time.perf_counter()
        status = await call(app, body)
        out.append((time.perf_counter() - t0) * 1000.0)
        if status != 200:
            raise RuntimeError(f"status {status} for {body[:120]!r}")
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    graph = graph_dir(args.graph)
    bodies = make_requests(graph, args.trips, args.seed, 300.0, 3000.0)
    apps = {
        "fast path": create_app(Settings(graph_dir=graph, fast_routes=True)),
        "FastAPI route": create_app(Settings(graph_dir=graph, fast_routes=False)),
    }
    times: dict[str, list[float]] = {name: [] for name in apps}
    async with (
        apps["fast path"].router.lifespan_context(apps["fast path"]),
        apps["FastAPI route"].router.lifespan_context(apps["FastAPI route"]),
    ):
        for app in apps.values():  # warm-up: metrics, kernels, caches
            await timed_round(app, bodies[:50])
        for _ in range(args.rounds):
            for name, app in apps.items():
                times[name] += await timed_round(app, bodies)
        app = apps["fast path"]
        state = app.state
        requests = [RouteRequest.model_validate_json(b) for b in bodies]
        alone = []
        answer = served_answer()
        for req in requests:
            t0 = time.perf_counter()
            answer(state.router, req, state.settings, state.live_obstacles, True)
            alone.append((time.perf_counter() - t0) * 1000.0)
    out: dict[str, Any] = {"trips": len(bodies), "rounds": args.rounds}
    for name, ms in times.items():
        q = statistics.quantiles(ms, n=20)
        out[name] = {"median_ms": round(statistics.median(ms), 3), "p95_ms": round(q[18], 3)}
    out["route_answer_median_ms"] = round(statistics.median(alone), 3)
    out["saved_median_ms"] = round(
        out["FastAPI route"]["median_ms"] - out["fast path"]["median_ms"], 3
    )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", default=None, help="graph folder (default: the default area's)")
    p.add_argument("--trips", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=20130401)
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    args = p.parse_args(argv)
    logging.getLogger("stufenlos.access").disabled = True  # a log line per request is not timed
    result = asyncio.run(run(args))
    print(f"POST /routes in process, {result['trips']} trips × {result['rounds']} rounds, ms")
    print(f"{'path':16s} {'median':>8s} {'p95':>8s}")
    for name in ("fast path", "FastAPI route"):
        print(f"{name:16s} {result[name]['median_ms']:8.3f} {result[name]['p95_ms']:8.3f}")
    print(f"saved by the fast path, median: {result['saved_median_ms']:.3f} ms; "
          f"route_answer alone (both call it): {result['route_answer_median_ms']:.3f} ms")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
