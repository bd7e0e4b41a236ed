"""How fast do staff obstacles reach routes, and what do writes cost the routes around them?

Starts the real server (``stufenlos serve``, uvicorn, ``--workers N``) on a free loopback port on
the whole Kaiserslautern graph, with a fresh SQLite database in a temporary folder and a staff key
made for the run. Then:

1. **write → live**: for ``--writes`` seeded walking routes, close the path in the middle of the
   route's longest straight piece (``POST /obstacles``) and send the same route again and again,
   over four other keep-alive connections, until every one has answered a route that names the
   obstacle (``obstacles.avoided``). Figures: ms from sending the POST to the first such answer,
   and to the last (median and max; the target applies to the last). With one worker the write
   is applied before the POST is answered; with several, the other workers notice the
   database's revision within ``obstacle_poll_s`` (50 ms).
2. **route latency**: seeded random city routes (``wheelchair`` and ``walk``, 0.5–3 km), one
   after another on one keep-alive connection, with ``--obstacles`` obstacles active and
   (a) no writes, (b) one write per second arriving (a background client PATCHes those
   obstacles in turn, so their number stays the same). p50/p95 of both. The two conditions
   alternate in ``--rounds`` blocks (ABAB…), so that load from other processes on the machine
   falls on both alike.

Everything is bounded in count and time. Targets: write → live median ≤ 100 ms; route p50 rises
less than 20 % under one write per second. Prints PASS/FAIL per target and can write JSON.

Usage::

    python benchmarks/bench_obstacles.py
    python benchmarks/bench_obstacles.py --workers 2 --json /tmp/bench_obstacles_w2.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _support import Server, staff_database
from _support import graph_dir as resolve_graph

TARGET_WRITE_LIVE_MS = 100.0
TARGET_P50_RISE = 0.20
PROFILES = ("wheelchair", "walk")


# --------------------------------------------------------------------------------- inputs


def route_pairs(graph: Any, count: int, seed: int) -> list[tuple[dict[str, float], ...]]:
    """Seeded random (origin, destination) pairs of graph nodes 500–3000 m apart."""
    from graphs.geodesy import metres_per_degree

    lat = np.asarray(graph.node["lat"], dtype=float)
    lon = np.asarray(graph.node["lon"], dtype=float)
    rng = np.random.default_rng(seed)
    k_lon, k_lat = metres_per_degree(float(lat.mean()))
    pairs: list[tuple[dict[str, float], ...]] = []
    while len(pairs) < count:
        a, b = rng.integers(0, len(lat), size=2)
        if 500 <= math.hypot((lat[a] - lat[b]) * k_lat, (lon[a] - lon[b]) * k_lon) <= 3000:
            pairs.append(
                (
                    {"lat": round(float(lat[a]), 6), "lon": round(float(lon[a]), 6)},
                    {"lat": round(float(lat[b]), 6), "lon": round(float(lon[b]), 6)},
                )
            )
    return pairs


def obstacle_points(graph: Any, count: int, seed: int) -> list[list[float]]:
    """Middles of seeded random edges at least 30 m long (each a point on a path)."""
    rng = np.random.default_rng(seed)
    long_edges = np.flatnonzero(np.asarray(graph.edge["length_m"]) >= 30.0)
    points = []
    for e in rng.choice(long_edges, size=count, replace=False):
        coords = graph.edge_coords(int(e))
        mid = coords[len(coords) // 2] if len(coords) > 2 else coords.mean(axis=0)
        points.append([round(float(mid[0]), 7), round(float(mid[1]), 7)])
    return points


def longest_piece_middle(route: dict[str, Any]) -> list[float]:
    coords = route["geometry"]["coordinates"]
    i = max(range(len(coords) - 1), key=lambda k: math.dist(coords[k], coords[k + 1]))
    (x1, y1), (x2, y2) = coords[i], coords[i + 1]
    return [round((x1 + x2) / 2, 7), round((y1 + y2) / 2, 7)]


def route_body(pair: tuple[dict[str, float], ...], profile: str) -> dict[str, Any]:
    return {"origin": pair[0], "destination": pair[1], "profile": {"name": profile}}


def percentiles(ms: list[float]) -> dict[str, float]:
    arr = np.array(ms) if ms else np.array([math.nan])
    return {
        "count": len(ms),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "mean_ms": round(float(arr.mean()), 2),
    }


# --------------------------------------------------------------------------------- phases


def write_to_live(
    client: httpx.Client,
    readers: list[httpx.Client],
    pairs: list[tuple[dict[str, float], ...]],
    writes: int,
    limit_s: float,
) -> dict[str, Any]:
    """Ms from sending a closure to the first route naming it, and until every reader
    connection (each on a worker of the server's choice) has answered a route naming it."""
    first: list[float] = []
    every: list[float] = []
    skipped = 0
    deadline = time.monotonic() + limit_s
    for pair in pairs:
        if len(first) >= writes or time.monotonic() > deadline:
            break
        before = client.post("/routes", json=route_body(pair, "walk"))
        if before.status_code != 200:
            skipped += 1
            continue
        point = longest_piece_middle(before.json()["routes"][0])
        body = {
            "geometry": {"type": "Point", "coordinates": point},
            "effect": {"closed": True},
            "reason": "benchmark closure",
        }
        t0 = time.perf_counter()
        created = client.post("/obstacles", json=body)
        if created.status_code != 201:
            skipped += 1
            continue
        oid = created.json()["id"]
        waiting = list(range(len(readers)))
        seen_first = None
        while waiting and time.perf_counter() - t0 < 2.0:
            for i in list(waiting):
                response = readers[i].post("/routes", json=route_body(pair, "walk"))
                if response.status_code != 200:
                    continue
                obstacles = response.json()["routes"][0]["obstacles"]
                if oid in [o["id"] for o in obstacles["avoided"] + obstacles["passed"]]:
                    waiting.remove(i)
                    seen_first = seen_first or (time.perf_counter() - t0) * 1000.0
        if seen_first is not None and not waiting:
            first.append(seen_first)
            every.append((time.perf_counter() - t0) * 1000.0)
        else:
            skipped += 1
        client.delete(f"/obstacles/{oid}")
    a = np.array(first) if first else np.array([math.nan])
    b = np.array(every) if every else np.array([math.nan])
    return {
        "writes": len(first),
        "skipped": skipped,
        "readers": len(readers),
        "median_ms": round(float(np.median(a)), 2),
        "max_ms": round(float(a.max()), 2),
        "all_readers_median_ms": round(float(np.median(b)), 2),
        "all_readers_max_ms": round(float(b.max()), 2),
    }


def route_latency(
    client: httpx.Client, pairs: list[tuple[dict[str, float], ...]], count: int, seconds: float
) -> dict[str, Any]:
    """Sequential routes (alternating profiles) for ``seconds`` (at most ``count``): p50/p95."""
    ms: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    for i in range(count):
        if time.monotonic() > deadline:
            break
        body = route_body(pairs[i % len(pairs)], PROFILES[i % 2])
        t0 = time.perf_counter()
        response = client.post("/routes", json=body)
        elapsed = (time.perf_counter() - t0) * 1000.0
        if response.status_code == 200:
            ms.append(elapsed)
        else:
            errors += 1
    return percentiles(ms) | {"errors": errors, "ms": ms}


class Writer(threading.Thread):
    """While ``active`` is set, PATCHes the given obstacles in turn, one per ``interval_s``."""

    def __init__(self, base: str, headers: dict[str, str], ids: list[str], interval_s: float):
        super().__init__(daemon=True)
        self.base, self.headers, self.ids, self.interval_s = base, headers, ids, interval_s
        self.stop_event = threading.Event()
        self.active = threading.Event()
        self.writes: list[float] = []
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=10.0) as client:
            i = 0
            while not self.stop_event.wait(self.interval_s) and i < 10_000:
                if not self.active.is_set():
                    continue
                oid = self.ids[i % len(self.ids)]
                version = client.get(f"/obstacles/{oid}").json()["version"]
                body = {"version": version, "reason": f"benchmark write {i}"}
                t0 = time.perf_counter()
                response = client.patch(f"/obstacles/{oid}", json=body)
                if response.status_code == 200:
                    self.writes.append((time.perf_counter() - t0) * 1000.0)
                else:
                    self.failures += 1
                i += 1


# ----------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph (default: the default area's)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--writes", type=int, default=20, help="write → live measurements")
    parser.add_argument("--routes", type=int, default=20_000, help="most routes per phase")
    parser.add_argument("--phase-s", type=float, default=20.0, help="seconds per condition")
    parser.add_argument("--rounds", type=int, default=5, help="alternating blocks per condition")
    parser.add_argument("--obstacles", type=int, default=10, help="obstacles active in phase 2")
    parser.add_argument("--time-limit", type=float, default=45.0, help="write → live, max s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    from graphs.store import load_graph

    graph_dir = resolve_graph(args.graph)
    graph = load_graph(graph_dir)
    pairs = route_pairs(graph, 2000, args.seed)
    points = obstacle_points(graph, args.obstacles, args.seed + 1)

    with tempfile.TemporaryDirectory(prefix="bench_obstacles_") as tmp:
        url, headers = staff_database(Path(tmp), "benchmark")
        server = Server(graph_dir, workers=args.workers, env={"STUFENLOS_DATABASE_URL": url})
        try:
            server.wait_healthy()
            with httpx.Client(base_url=server.base, headers=headers, timeout=10.0) as client:
                for pair in pairs[:20]:  # warm up every worker's weight caches
                    for profile in PROFILES:
                        client.post("/routes", json=route_body(pair, profile))
                readers = [httpx.Client(base_url=server.base, timeout=10.0) for _ in range(4)]
                try:
                    live = write_to_live(client, readers, pairs, args.writes, args.time_limit)
                finally:
                    for reader in readers:
                        reader.close()
                ids = []
                for i, point in enumerate(points):
                    body = {
                        "geometry": {"type": "Point", "coordinates": point},
                        "effect": {"closed": True} if i % 2 else {"width_m": 0.8},
                        "reason": f"benchmark obstacle {i}",
                    }
                    response = client.post("/obstacles", json=body)
                    if response.status_code == 201:
                        ids.append(response.json()["id"])
                time.sleep(0.2)  # every worker has seen them
                route_latency(client, pairs, 40, args.phase_s)  # caches warm again
                writer = Writer(server.base, headers, ids, 1.0)
                writer.start()
                block_s = args.phase_s / args.rounds
                per_block = max(1, args.routes // args.rounds)
                quiet_ms: list[float] = []
                busy_ms: list[float] = []
                try:
                    for r in range(args.rounds):
                        chunk = pairs[(r * 97) % len(pairs) :] + pairs
                        writer.active.clear()
                        quiet_ms += route_latency(client, chunk, per_block, block_s)["ms"]
                        writer.active.set()
                        busy_ms += route_latency(client, chunk, per_block, block_s)["ms"]
                finally:
                    writer.stop_event.set()
                    writer.join(timeout=15)
                quiet, busy = percentiles(quiet_ms), percentiles(busy_ms)
        finally:
            server.stop()

    rise = busy["p50_ms"] / quiet["p50_ms"] - 1.0 if quiet["p50_ms"] > 0 else math.nan
    result = {
        "benchmark": "bench_obstacles",
        "graph": str(graph_dir),
        "edges": graph.edge_count,
        "workers": args.workers,
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
        "write_to_live": live,
        "obstacles_active": len(ids),
        "routes_without_writes": quiet,
        "routes_with_1_write_per_s": busy
        | {
            "writes": len(writer.writes),
            "write_failures": writer.failures,
            "write_p50_ms": round(float(np.median(writer.writes)), 2) if writer.writes else None,
        },
        "p50_rise": round(rise, 3),
        "targets": {
            "write_to_live_median_ms": TARGET_WRITE_LIVE_MS,
            "p50_rise_below": TARGET_P50_RISE,
        },
    }
    ok_live = live["all_readers_median_ms"] <= TARGET_WRITE_LIVE_MS and live["writes"] > 0
    ok_rise = rise < TARGET_P50_RISE
    print(f"graph: {graph_dir} ({graph.edge_count} edges), {args.workers} worker(s)")
    print(
        f"write → live, first route naming it: median {live['median_ms']:.1f} ms, "
        f"max {live['max_ms']:.1f} ms over {live['writes']} closures ({live['skipped']} skipped)"
    )
    print(
        f"write → live, all {live['readers']} connections: median "
        f"{live['all_readers_median_ms']:.1f} ms, max {live['all_readers_max_ms']:.1f} ms"
        f"  [{'PASS' if ok_live else 'FAIL'}: target ≤ {TARGET_WRITE_LIVE_MS:.0f} ms]"
    )
    print(
        f"routes, {len(ids)} obstacles, no writes:   p50 {quiet['p50_ms']:.2f} ms, "
        f"p95 {quiet['p95_ms']:.2f} ms ({quiet['count']} routes)"
    )
    w = result["routes_with_1_write_per_s"]
    print(
        f"routes, {len(ids)} obstacles, 1 write/s:   p50 {busy['p50_ms']:.2f} ms, "
        f"p95 {busy['p95_ms']:.2f} ms ({busy['count']} routes, {w['writes']} writes, "
        f"write p50 {w['write_p50_ms']} ms)"
    )
    print(
        f"p50 rise under writes: {rise * 100:+.1f} %"
        f"  [{'PASS' if ok_rise else 'FAIL'}: target < {TARGET_P50_RISE * 100:.0f} %]"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok_live and ok_rise else 1


if __name__ == "__main__":
    sys.exit(main())
