"""Benchmark: what a large obstacle import costs the routes and ``/health`` of the workers.

Starts ``stufenlos serve`` (``--workers``, default 2) on the default area with a fresh SQLite
database and an admin key, then imports ``--areas`` ellipses of ``--points`` points each
(default 40 × 4,900: 4.9 MB, of the 8 MB ``STUFENLOS_MAX_IMPORT_BYTES`` allows) around seeded
nodes of the network (each covers some paths: every feature matches), while

- two route clients send seeded wheelchair and walking routes, one after the other with 10 ms
  between them (keep-alive connections, so each stays with one worker);
- a prober asks ``GET /health`` every 5 ms.

Printed (and written with ``--json``): the import's status and seconds; ``/health`` max and
how many answers took over 50 ms (the target: within 50 ms during any load); the routes'
p50 / p99 / max as the clients saw them and the slowest route as the server timed it, during
the import and the 1.5 s after it (when the workers apply it); then the slowest route beside six
small writes (a closure of one point and its deletion, each a reload of every active obstacle
in every worker) with the 40 areas active, and the workers' largest RSS after all that
(``--points 1``: as many closures of one point each instead of areas). The client builds the body
before it starts and then freezes its own garbage collector (``gc.freeze``): its collections
over the 400,000 lists of the body took 100 ms and would be counted as the server's.

Before api/piecewise_json.py, api/collector.py and api/obstacles/stored_matches.py
(2026-12-06), with one worker ``/health`` took up to 74 ms (the body read on the event loop,
then 14 full garbage collections of 31-54 ms), and with two a route on the other worker waited
2.6-3.1 s (it matched all 40 areas again before its next route). Against the older commit::

    python benchmarks/compare_commits.py --base dc04996 --script-here --rounds 2 -- \\
        bench_big_import.py
    python benchmarks/bench_big_import.py [--workers 1] [--areas 40] [--points 4900] [--json OUT]
    python benchmarks/bench_big_import.py --areas 10000 --points 1   # 10,000 closures
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _support import Connection, Server, graph_dir, print_figures, staff_database
from bench_api import make_requests
from bench_memory import rollup, worker_pids

from graphs.store import load_graph

#: Half-axes of each area in degrees (about 58 m east-west, 56 m north-south at 49.4° N).
AREA_LON_DEG, AREA_LAT_DEG = 0.0008, 0.0005
#: Seconds measured after the import answered (the other workers apply it then).
AFTER_S = 1.5
#: Small writes (a closure of one point, then its deletion) made once the areas are active.
SMALL_WRITES = 6


def area_features(
    graph: Path, areas: int, points: int, seed: int
) -> tuple[list[dict[str, Any]], list[float]]:
    """``areas`` ellipses of ``points`` points around seeded nodes of the middle of the graph
    (``points`` 1: closures of a point each, beside such a node), and one more such node
    (``[lon, lat]``) for the small writes."""
    g = load_graph(graph)
    lat = np.asarray(g.node["lat"], dtype=float)
    lon = np.asarray(g.node["lon"], dtype=float)
    middle = np.flatnonzero(
        (np.abs(lat - np.median(lat)) < 0.01) & (np.abs(lon - np.median(lon)) < 0.015)
    )
    rng = np.random.default_rng(seed)
    features = []
    chosen = rng.choice(middle, size=areas + 1, replace=areas + 1 > len(middle))
    if points == 1:  # closures of one point each, within a metre or two of a node
        for i, node in enumerate(chosen[:-1]):
            where = [round(float(lon[node]) + rng.uniform(-2e-5, 2e-5), 7), round(float(lat[node]) + rng.uniform(-1e-5, 1e-5), 7)]  # fmt: skip
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": where},
                "properties": {"id": f"point{i}", "effect": {"closed": True}, "reason": f"Baustelle {i}"},
            })  # fmt: skip
        return features, [float(lon[chosen[-1]]), float(lat[chosen[-1]])]
    for i, node in enumerate(chosen[:-1]):
        turn = 2 * math.pi * np.arange(points) / points
        ring = np.column_stack(
            (lon[node] + AREA_LON_DEG * np.cos(turn), lat[node] + AREA_LAT_DEG * np.sin(turn))
        ).round(7)
        coordinates = [*ring.tolist(), ring[0].tolist()]
        features.append({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [coordinates]},
            "properties": {"id": f"area{i}", "effect": {"kerb_height_cm": 8}, "reason": f"Baustelle {i}"},
        })  # fmt: skip
    return features, [float(lon[chosen[-1]]), float(lat[chosen[-1]])]


def small_writes(server: Server, key: dict[str, str], point: list[float]) -> list[float]:
    """:data:`SMALL_WRITES` closures of one point, each deleted again, 0.25 s apart: the
    milliseconds of each write (create and delete)."""
    took = []
    with httpx.Client(base_url=server.base, headers=key, timeout=60) as client:
        for _ in range(SMALL_WRITES):
            t0 = time.perf_counter()
            made = client.post("/obstacles", json={"geometry": {"type": "Point", "coordinates": point}, "effect": {"closed": True}, "reason": "Baustelle"})  # fmt: skip
            made.raise_for_status()
            client.delete(f"/obstacles/{made.json()['id']}").raise_for_status()
            took.append((time.perf_counter() - t0) * 1e3)
            time.sleep(0.25)
    return took


def run(
    server: Server,
    key: dict[str, str],
    body: bytes,
    route_bodies: list[bytes],
    point: list[float],
) -> dict[str, Any]:
    """The import with the route clients and the prober running; the figures."""
    stop = threading.Event()
    health: list[float] = []
    routes: list[float] = []
    statuses: list[int] = []

    def probe() -> None:
        connection = Connection(server.base)
        while not stop.is_set():
            health.append(connection.request("GET", "/health", None)[2] * 1e3)
            time.sleep(0.005)
        connection.close()

    def route(first: int) -> None:
        connection = Connection(server.base)
        k = first
        while not stop.is_set():
            status, _, seconds = connection.request(
                "POST", "/routes", route_bodies[k % len(route_bodies)]
            )
            statuses.append(status)
            routes.append(seconds * 1e3)
            k += 2
            time.sleep(0.01)
        connection.close()

    threads = [
        threading.Thread(target=probe),
        *(threading.Thread(target=route, args=(k,)) for k in range(2)),
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    before_health, before_routes = max(health), max(routes)
    health.clear()
    routes.clear()
    start = server.log_offset()
    t0 = time.perf_counter()
    answer = httpx.post(
        f"{server.base}/obstacles/import?mode=overwrite", content=body,
        headers={**key, "Content-Type": "application/json"}, timeout=300,
    )  # fmt: skip
    import_s = time.perf_counter() - t0
    time.sleep(AFTER_S)
    server_ms = server.route_ms(start, server.log_offset())
    ordered = sorted(routes)
    # then small writes beside the large areas: each makes every worker reload the active ones
    routes.clear()
    start = server.log_offset()
    write_ms = small_writes(server, key, point)
    writes_server_ms = server.route_ms(start, server.log_offset())
    rss_mb = [rollup(pid)["rss_mb"] for pid in worker_pids(server)]
    stop.set()
    for thread in threads:
        thread.join()
    return {
        "import_status": answer.status_code,
        "imported": answer.json().get("total") if answer.status_code == 200 else answer.text[:200],
        "import_s": round(import_s, 2),
        "health_max_ms_before": round(before_health, 1),
        "health_max_ms": round(max(health), 1),
        "health_over_50_ms": sum(ms > 50 for ms in health),
        "health_answers": len(health),
        "route_max_ms_before": round(before_routes, 1),
        "routes": len(ordered),
        "route_p50_ms": round(statistics.median(ordered), 1),
        "route_p99_ms": round(ordered[int(len(ordered) * 0.99)], 1),
        "route_max_ms": round(ordered[-1], 1),
        "server_route_max_ms": round(max(server_ms), 1) if server_ms else float("nan"),
        "route_statuses": sorted(set(statuses)),
        "small_writes": len(write_ms),
        "small_write_p50_ms": round(statistics.median(write_ms), 1),
        "routes_beside_small_writes": len(routes),
        "route_max_ms_beside_small_writes": round(max(routes), 1) if routes else float("nan"),
        "server_route_max_ms_beside_small_writes": (
            round(max(writes_server_ms), 1) if writes_server_ms else float("nan")
        ),
        "worker_rss_mb_max": round(max(rss_mb), 1) if rss_mb else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--areas", type=int, default=40)
    parser.add_argument(
        "--points", type=int, default=4900,
        help="points per area (≤ 4,999; 1: --areas closures of one point each)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args()
    graph = graph_dir(args.graph)
    features, point = area_features(graph, args.areas, args.points, args.seed)
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    route_bodies = make_requests(graph, 200, args.seed, 500.0, 2500.0)
    del features
    gc.collect()
    gc.freeze()  # the client's own collections over the body are not the server's stalls
    with tempfile.TemporaryDirectory() as folder:
        url, key = staff_database(Path(folder), "bench_big_import", "admin")
        server = Server(graph, workers=args.workers, env={"STUFENLOS_DATABASE_URL": url})
        try:
            server.wait_healthy()
            print(f"{args.workers} workers; import of {args.areas} areas of {args.points} points, "
                  f"{len(body) / 1e6:.2f} MB", flush=True)  # fmt: skip
            out = {
                "workers": args.workers,
                "body_mb": round(len(body) / 1e6, 2),
                **run(server, key, body, route_bodies, point),
            }
        finally:
            server.stop()
    print_figures(out, args.json_out)


if __name__ == "__main__":
    main()
