"""Benchmark: routes beside clients that read the public map in a loop.

The public map's reads (``GET /network`` of a 5,000-piece bbox, ``GET /obstacles/active``,
``GET /features``) are built in the workers' interpreter, beside the routes of its CPU thread.
This starts ``stufenlos serve`` (``--workers``, default 2) on the default area with a database of
``--obstacles`` active obstacles (default 3,000: points, lines and areas on the network, imported
with an admin key), then for each phase runs four route clients for ``--seconds`` (keep-alive
connections, one trip after the other) and prints their routes/s, p50 and p99 (the client's
times), the server's own route p99 and the slowest ``/health`` of a prober asking every 20 ms:

- ``alone``: the routes only;
- ``beside <path>``: eight more clients, in a process of their own, ask ``<path>`` in a loop;
  their answers/s and statuses are printed too. ``/profiles`` (a few kilobytes, answered at
  once) is the control: what eight busy clients of any kind cost the routes on two cores.

Before api/admission.py's MapReadAdmission and api/obstacles/public_map.py (2026-12-06), eight
clients of ``/network`` cut the routes of two workers from 231 to 10 per second. Run it against
the older commit in one run::

    python benchmarks/compare_commits.py --base ed42cec --script-here --rounds 2 -- \\
        bench_map_reads.py --seconds 6
    python benchmarks/bench_map_reads.py [--graph DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _support import Connection, Server, graph_dir, server_latency, staff_database

#: The phases' map reads (a bbox of 4,630 pieces: near the 5,000 limit).
MAP_READS = (
    "/network?bbox=7.745,49.43,7.785,49.45&attribute=kerb",
    "/obstacles/active",
    "/features?kind=stops&bbox=7.72,49.42,7.82,49.456",
    "/profiles",
)
TRIPS = ((49.4447, 7.769), (49.44, 7.772), (49.4385, 7.7585), (49.4452, 7.7775), (49.436, 7.765))


def import_obstacles(server: Server, key: dict[str, str], count: int) -> int:
    """``count`` obstacles on the network's lines (points, two-point lines, small areas); how
    many the import created."""
    import httpx

    if count == 0:
        return 0
    net = httpx.get(f"{server.base}{MAP_READS[0]}", timeout=60).json()["features"]
    rng = random.Random(3)
    features = []
    for i in range(count):
        line = rng.choice(net)["geometry"]["coordinates"]
        lon, lat = line[0]
        if i % 3 == 0:
            geometry: dict[str, Any] = {"type": "Point", "coordinates": [lon, lat]}
        elif i % 3 == 1:
            geometry = {"type": "LineString", "coordinates": line[:2]}
        else:
            d = 0.0001
            ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat - d]]
            geometry = {"type": "Polygon", "coordinates": [ring]}
        effect = ({"closed": True}, {"width_m": 0.7}, {"kerb_height_cm": 8})[i % 3]
        features.append({"type": "Feature", "geometry": geometry, "properties": {"id": f"b{i}", "effect": effect, "reason": f"Baustelle {i}"}})  # fmt: skip
    answer = httpx.post(
        f"{server.base}/obstacles/import?mode=overwrite",
        json={"type": "FeatureCollection", "features": features}, headers=key, timeout=300,
    )  # fmt: skip
    if answer.status_code == 422:  # drop those that match nothing, import the rest
        bad = {e["index"] for e in answer.json()["details"]["errors"]}
        features = [f for k, f in enumerate(features) if k not in bad]
        answer = httpx.post(
            f"{server.base}/obstacles/import?mode=overwrite",
            json={"type": "FeatureCollection", "features": features}, headers=key, timeout=300,
        )  # fmt: skip
    answer.raise_for_status()
    return int(answer.json()["created"]) + int(answer.json()["updated"])


def _hogs(base: str, path: str, clients: int, seconds: float, out: Any) -> None:
    """Eight clients (threads of this process) ask ``path`` in a loop; statuses to ``out``."""
    statuses: list[int] = []
    stop = time.monotonic() + seconds

    def ask() -> None:
        connection = Connection(base)
        while time.monotonic() < stop:
            statuses.append(connection.request("GET", path, None)[0])
        connection.close()

    threads = [threading.Thread(target=ask) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(dict(Counter(statuses)))


def phase(server: Server, seconds: float, hog: str | None) -> dict[str, Any]:
    """Routes (4 clients) for ``seconds``, beside eight clients of ``hog`` when given."""
    results: Any = multiprocessing.get_context("spawn").Queue()
    hogs = None
    if hog is not None:
        hogs = multiprocessing.get_context("spawn").Process(
            target=_hogs, args=(server.base, hog, 8, seconds + 1.0, results)
        )
        hogs.start()
        time.sleep(0.5)
    start = server.log_offset()
    times: list[float] = []
    health: list[float] = []
    stop = time.monotonic() + seconds

    def route(seed: int) -> None:
        rng = random.Random(seed)
        connection = Connection(server.base)
        while time.monotonic() < stop:
            a, b = rng.sample(TRIPS, 2)
            body = {"origin": {"lat": a[0], "lon": a[1]}, "destination": {"lat": b[0], "lon": b[1]}}  # fmt: skip
            status, _, elapsed = connection.request("POST", "/routes", json.dumps(body).encode())
            if status == 200:
                times.append(elapsed * 1e3)
        connection.close()

    def probe() -> None:
        connection = Connection(server.base)
        while time.monotonic() < stop:
            health.append(connection.request("GET", "/health", None)[2] * 1e3)
            time.sleep(0.02)
        connection.close()

    threads = [threading.Thread(target=route, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.2)
    figures: dict[str, Any] = {
        "routes_per_s": round(len(times) / seconds, 1),
        "p50_ms": round(statistics.median(times), 2) if times else float("nan"),
        "p99_ms": round(sorted(times)[int(len(times) * 0.99)], 2) if times else float("nan"),
        "server_p99_ms": server_latency(server.route_ms(start, server.log_offset()))["p99_ms"],
        "health_max_ms": round(max(health), 1) if health else float("nan"),
    }
    if hogs is not None:
        statuses = results.get(timeout=60)
        hogs.join(timeout=30)
        figures["map_reads_per_s"] = round(sum(statuses.values()) / (seconds + 1.0), 1)
        figures["map_read_statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--obstacles", type=int, default=3000, help="active obstacles imported")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args()
    graph = graph_dir(args.graph)
    with tempfile.TemporaryDirectory() as folder:
        url, key = staff_database(Path(folder), "bench_map_reads", "admin")
        server = Server(graph, workers=args.workers, env={"STUFENLOS_DATABASE_URL": url})
        try:
            server.wait_healthy()
            made = import_obstacles(server, key, args.obstacles)
            print(f"{args.workers} workers, {made} active obstacles, phases of {args.seconds:g} s")
            out: dict[str, Any] = {"obstacles": made, "phases": {}}
            for hog in (None, *MAP_READS):
                name = "alone" if hog is None else f"beside {hog.split('?')[0]}"
                figures = phase(server, args.seconds, hog)
                out["phases"][name] = figures
                print(f"  {name:28} " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)  # fmt: skip
        finally:
            server.stop()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
