"""Connections spread over the workers (``api/balance.py``) against first-awake accepting, side by side.

Two ``stufenlos serve`` of this tree run at once on the default area, one as configured
(``STUFENLOS_BALANCE_CONNECTIONS=true``: a worker takes a new connection only while no other
holds fewer) and one with ``STUFENLOS_BALANCE_CONNECTIONS=false`` (whichever worker's event loop
wakes first takes every waiting connection), each with ``--workers`` workers. Then:

- **wrk at concurrency 8**, ``--rounds`` short runs per server with fresh connections each, the
  order alternating per round: per run the routes/s, how the connections were split over the
  workers (counted from ``/proc`` halfway through the run) and each worker's share of the CPU
  time; per server the median and lowest routes/s, and in how many runs one worker held at
  least three quarters of the connections;
- **a new connection per request** (concurrency 1, ``Connection: close``; an app that does not
  keep its connection), each trip to both servers in turn: p50 and p90 of the client's latency,
  connect included, which is what the balanced accepting costs.

Usage::

    export PYTHONPATH=$PWD STUFENLOS_DATA_DIR=../shared/data STUFENLOS_CACHE_DIR=$PWD/.cache
    python benchmarks/bench_balance.py                   # 2 workers, 20 rounds of 3 s at c8
    python benchmarks/bench_balance.py --rounds 10 --json /tmp/balance.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _support import (
    Server,
    connections_held,
    cpu_seconds,
    cpu_shares,
    graph_dir,
    latency_pair,
    latency_pair_line,
    worker_pids,
)
from bench_api import Level, make_requests, run_wrk

SIDES = {
    "balanced": {"STUFENLOS_BALANCE_CONNECTIONS": "true"},
    "first-awake": {"STUFENLOS_BALANCE_CONNECTIONS": "false"},
}
LEVEL = 8


def wrk_run(server: Server, bodies: list[bytes], seconds: float) -> dict[str, Any]:
    """One wrk run at :data:`LEVEL` connections: routes/s, the connections each worker held
    halfway through, and each worker's CPU share."""
    pids = worker_pids(server.process.pid)
    port = int(server.base.rsplit(":", 1)[1])
    result: dict[str, Level] = {}
    load = threading.Thread(
        target=lambda: result.setdefault("level", run_wrk(server.base, bodies, LEVEL, seconds))
    )
    before = cpu_seconds(pids)
    load.start()
    time.sleep(seconds / 2)
    held = connections_held(pids, port)
    load.join()
    shares = cpu_shares(before, cpu_seconds(pids))
    level = result["level"]
    if level.errors:
        raise RuntimeError(f"wrk saw {level.errors} errors: {level.statuses}")
    return {
        "routes_per_s": level.requests_per_s,
        "held": held,
        "cpu_shares": [round(s, 2) for s in shares],
    }


def fresh_connection_request(base: str, body: bytes) -> float:
    """Seconds from connecting to having read the whole answer of one ``POST /routes`` sent with
    ``Connection: close`` on a new connection."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    head = (
        f"POST /routes HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Accept-Encoding: gzip\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    t0 = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head + body)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    elapsed = time.perf_counter() - t0
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {data[:200]!r}")
    return elapsed


def fresh_connections(servers: dict[str, Server], bodies: list[bytes]) -> dict[str, Any]:
    """Every body to both servers in turn (the order alternating), each on a new connection."""
    times: dict[str, list[float]] = {side: [] for side in servers}
    sides = list(servers)
    for i, body in enumerate(bodies):
        for side in sides if i % 2 == 0 else sides[::-1]:
            times[side].append(fresh_connection_request(servers[side].base, body) * 1000.0)
    return latency_pair(times, "balanced", "first-awake")


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and lowest routes/s of one server's runs, its splits, and how many were uneven."""
    rates = [r["routes_per_s"] for r in runs]
    splits = Counter("/".join(map(str, sorted(r["held"], reverse=True))) for r in runs)
    return {
        "median_routes_per_s": statistics.median(rates),
        "lowest_routes_per_s": min(rates),
        "splits": dict(splits.most_common()),
        "uneven_runs": sum(max(r["held"]) >= 0.75 * LEVEL for r in runs),
        "runs": runs,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--graph", type=Path, default=None, help="graph folder (default: the default area's)")  # fmt: skip
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=20, help="wrk runs per server")
    p.add_argument("--seconds", type=float, default=3.0, help="duration of each wrk run")
    p.add_argument("--trips", type=int, default=300, help="requests on new connections, per server")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench_balance: wrk not found (apt-get install wrk)")

    graph = graph_dir(args.graph)
    bodies = make_requests(graph, max(args.trips, 300), 20130401, 300.0, 3000.0)
    servers = {side: Server(graph, workers=args.workers, env=env) for side, env in SIDES.items()}
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in servers}
    try:
        for server in servers.values():
            server.wait_healthy()
            run_wrk(server.base, bodies, LEVEL, 1)  # warm-up, not counted
        sides = list(servers)
        for r in range(args.rounds):
            for side in sides if r % 2 == 0 else sides[::-1]:
                runs[side].append(wrk_run(servers[side], bodies, args.seconds))
                time.sleep(0.3)  # the connections of the run closed before the next one opens
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{side} {runs[side][-1]['routes_per_s']:.0f} routes/s held {runs[side][-1]['held']}"
                for side in sides
            ), flush=True)  # fmt: skip
        fresh = fresh_connections(servers, bodies[: args.trips])
    finally:
        for server in servers.values():
            server.stop()

    results: dict[str, Any] = {"workers": args.workers, "level": LEVEL}
    results |= {side: summary(side_runs) for side, side_runs in runs.items()}
    results["fresh_connection_c1"] = fresh
    print(f"\nbalanced vs first-awake accepting, {args.workers} workers each, wrk -c {LEVEL}, "
          f"{args.rounds} runs of {args.seconds:g} s each")  # fmt: skip
    for side in servers:
        s = results[side]
        print(
            f"  {side:<12} median {s['median_routes_per_s']:.0f} routes/s, lowest "
            f"{s['lowest_routes_per_s']:.0f}; one worker held ≥ {0.75 * LEVEL:g} of {LEVEL} "
            f"connections in {s['uneven_runs']} of {len(s['runs'])} runs; splits {s['splits']}"
        )
    print(
        f"  new connection per request, c1: {latency_pair_line(fresh, 'balanced', 'first-awake')}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
