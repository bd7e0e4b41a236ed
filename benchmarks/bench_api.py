"""HTTP benchmark of ``stufenlos serve`` on the whole Kaiserslautern graph.

Starts the real server (uvicorn, ``--workers N``) on a free loopback port, waits for ``/health``,
then sends seeded random city routes (``POST /routes``; ``wheelchair`` and ``walk`` alternating,
German and English, instructions in every response) with httpx:

- concurrency 1: one keep-alive connection, requests one after another (``--gap-ms G``: G ms
  apart, so that the server's threads and cores go idle between them as between an app's
  requests; the pause is not timed);
- concurrency 8: eight connections from an ``httpx.AsyncClient``.

Each level is bounded in count *and* time (it stops after ``--time-limit`` seconds whatever
happens). Latency is measured by the client, from sending the request to having read the whole
(gzip-decoded) body. Targets: p50 ≤ 2 ms at concurrency 1, ≥ 500 routes/s at concurrency 8.

The client runs on the same machine and competes with the server for the CPU cores; the
figures are therefore a lower bound of what the server alone can do.

Usage::

    python benchmarks/bench_api.py                 # 1 worker
    python benchmarks/bench_api.py --workers 2 --json /tmp/bench_api_w2.json
    python benchmarks/bench_api.py --workers 2 --gap-ms 4   # concurrency 1 at an idle server
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np
from _support import Server, ensure_graph, load_client

PROFILES = ("wheelchair", "walk")
LANGUAGES = ("de", "en")
TARGET_P50_MS_C1 = 2.0
TARGET_RPS_C8 = 500.0


# --------------------------------------------------------------------------------------- server


# ------------------------------------------------------------------------------------- requests


def make_requests(
    graph_dir: Path, count: int, seed: int, min_m: float, max_m: float
) -> list[bytes]:
    """Seeded random city routes between graph nodes ``min_m``–``max_m`` apart (with ±15 m jitter
    so that snapping is exercised), alternating profile and language; JSON bodies."""
    from graphs.geodesy import metres_per_degree
    from graphs.store import load_graph

    graph = load_graph(graph_dir)
    lat = np.asarray(graph.node["lat"], dtype=float)
    lon = np.asarray(graph.node["lon"], dtype=float)
    rng = np.random.default_rng(seed)
    k_lon, k_lat = metres_per_degree(float(lat.mean()))
    bodies: list[bytes] = []
    while len(bodies) < count:
        a, b = rng.integers(0, len(lat), size=2)
        dist = math.hypot((lat[a] - lat[b]) * k_lat, (lon[a] - lon[b]) * k_lon)
        if not min_m <= dist <= max_m:
            continue
        jitter = rng.uniform(-15.0, 15.0, size=4)
        i = len(bodies)
        body = {
            "origin": {"lat": round(lat[a] + jitter[0] / k_lat, 6), "lon": round(lon[a] + jitter[1] / k_lon, 6)},
            "destination": {"lat": round(lat[b] + jitter[2] / k_lat, 6), "lon": round(lon[b] + jitter[3] / k_lon, 6)},
            "profile": {"name": PROFILES[i % 2]},
            "language": LANGUAGES[(i // 2) % 2],
        }  # fmt: skip
        bodies.append(json.dumps(body).encode())
    return bodies


HEADERS = {"content-type": "application/json", "accept-encoding": "gzip"}


@dataclass
class Level:
    """Result of one concurrency level."""

    concurrency: int
    requested: int
    completed: int
    errors: int
    statuses: dict[str, int]
    elapsed_s: float
    stopped_by_time: bool
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    requests_per_s: float
    mean_route_m: float


def summarise(
    concurrency: int, requested: int, latencies: list[float], statuses: list[int],
    distances: list[float], elapsed: float, stopped: bool,
) -> Level:  # fmt: skip
    ms = np.array(latencies) * 1000.0 if latencies else np.array([math.nan])
    counts: dict[str, int] = {}
    for s in statuses:
        counts[str(s)] = counts.get(str(s), 0) + 1
    return Level(
        concurrency=concurrency,
        requested=requested,
        completed=len(latencies),
        errors=sum(1 for s in statuses if s != 200),
        statuses=counts,
        elapsed_s=round(elapsed, 3),
        stopped_by_time=stopped,
        p50_ms=round(float(np.percentile(ms, 50)), 3),
        p95_ms=round(float(np.percentile(ms, 95)), 3),
        p99_ms=round(float(np.percentile(ms, 99)), 3),
        mean_ms=round(float(ms.mean()), 3),
        requests_per_s=round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        mean_route_m=round(float(np.mean(distances)), 1) if distances else math.nan,
    )


def route_length(response: httpx.Response) -> float | None:
    if response.status_code != 200:
        return None
    return float(response.json()["routes"][0]["distance_m"])


def run_sequential(
    base: str, bodies: list[bytes], time_limit_s: float, gap_s: float = 0.0
) -> Level:
    """Concurrency 1: one keep-alive connection, one request after another, ``gap_s`` seconds
    apart (the gap is not timed)."""
    latencies: list[float] = []
    statuses: list[int] = []
    distances: list[float] = []
    stopped = False
    with httpx.Client(base_url=base, headers=HEADERS) as client:
        started = time.perf_counter()
        deadline = started + time_limit_s
        for body in bodies:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                stopped = True
                break
            if gap_s > 0:
                time.sleep(gap_s)
            t0 = time.perf_counter()
            try:
                response = client.post("/routes", content=body, timeout=min(10.0, remaining))
            except httpx.TimeoutException:
                stopped = True
                break
            latencies.append(time.perf_counter() - t0)
            statuses.append(response.status_code)
            if (length := route_length(response)) is not None:
                distances.append(length)
        elapsed = time.perf_counter() - started
    return summarise(1, len(bodies), latencies, statuses, distances, elapsed, stopped)


async def _run_concurrent(
    base: str, bodies: list[bytes], concurrency: int, time_limit_s: float
) -> Level:
    latencies: list[float] = []
    statuses: list[int] = []
    distances: list[float] = []
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + time_limit_s

        async def worker() -> None:
            for body in queue:
                if time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                response = await client.post("/routes", content=body, timeout=10.0)
                latencies.append(time.perf_counter() - t0)
                statuses.append(response.status_code)
                if (length := route_length(response)) is not None:
                    distances.append(length)

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        _, pending = await asyncio.wait(tasks, timeout=time_limit_s + 1.0)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - started
    stopped = bool(pending) or len(latencies) < len(bodies)
    return summarise(concurrency, len(bodies), latencies, statuses, distances, elapsed, stopped)


def run_concurrent(base: str, bodies: list[bytes], concurrency: int, time_limit_s: float) -> Level:
    """Concurrency N: N connections of one ``httpx.AsyncClient``."""
    return asyncio.run(_run_concurrent(base, bodies, concurrency, time_limit_s))


# ---------------------------------------------------------------------------------------- main


WRK_SCRIPT = r"""
local bodies = {}
local i = 0
local n = 0
setup = function(thread)
  thread:set("offset", n * 997)
  n = n + 1
end
local method = "POST"
local path = "/routes"
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = (offset or 0) % #bodies
  method = args[2] or method
  path = args[3] or path
end
request = function()
  i = i % #bodies + 1
  if method == "GET" then
    -- each line is a whole path with its query
    return wrk.format("GET", bodies[i], {["Accept-Encoding"] = "gzip"})
  end
  return wrk.format(method, path,
    {["Content-Type"] = "application/json", ["Accept-Encoding"] = "gzip"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def run_wrk(
    base: str, bodies: list[bytes], concurrency: int, seconds: float,
    *, method: str = "POST", path: str = "/routes",
) -> Level:  # fmt: skip
    """Load with wrk (a C client, so the client's CPU barely competes with the server): the
    seeded bodies are cycled for ``seconds`` with ``concurrency`` connections. With
    ``method="GET"`` each of ``bodies`` is a whole request path (for servers such as OSRM that
    take the trip in the URL) and ``path`` is unused."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "routes.lua"
        script.write_text(WRK_SCRIPT)
        data = Path(tmp) / "bodies.jsonl"
        data.write_bytes(b"\n".join(bodies) + b"\n")
        threads = min(concurrency, 2)
        cmd = [
            "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(script), base, "--", str(data), method, path,
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRKJSON "))
    w = json.loads(line[len("WRKJSON ") :])
    elapsed = w["duration_us"] / 1e6
    errors = w["socket_errors"] + w["non2xx"]
    return Level(
        concurrency=concurrency,
        requested=w["requests"],
        completed=w["requests"],
        errors=errors,
        statuses={"non_2xx": w["non2xx"], "socket_errors": w["socket_errors"]},
        elapsed_s=round(elapsed, 3),
        stopped_by_time=True,
        p50_ms=round(w["p50_us"] / 1000, 3),
        p95_ms=round(w["p95_us"] / 1000, 3),
        p99_ms=round(w["p99_us"] / 1000, 3),
        mean_ms=round(w["mean_us"] / 1000, 3),
        requests_per_s=round(w["requests"] / elapsed, 1) if elapsed > 0 else 0.0,
        mean_route_m=math.nan,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from graphs import settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, default=None, help="graph folder (default: the default area's)")  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (try 1 and 2)")
    p.add_argument("--sequential", type=int, default=500, help="requests at concurrency 1")
    p.add_argument("--concurrent", type=int, default=2000, help="requests at concurrency 8")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--warmup", type=int, default=100, help="requests sent (and not counted) first")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds per level, at most")
    p.add_argument("--min-m", type=float, default=300.0, help="shortest straight-line trip, m")
    p.add_argument("--max-m", type=float, default=3000.0, help="longest straight-line trip, m")
    p.add_argument("--seed", type=int, default=20130401)
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    p.add_argument(
        "--client", choices=("auto", "wrk", "httpx"), default="auto",
        help="load generator: wrk (C, apt-get install wrk) or httpx (Python); auto = wrk if installed",
    )  # fmt: skip
    p.add_argument("--wrk-seconds", type=float, default=15.0, help="duration per level with wrk")
    p.add_argument(
        "--gap-ms", type=float, default=0.0,
        help="pause before each concurrency-1 request (as an app's requests reach an idle "
        "server; with httpx, whatever --client says)",
    )  # fmt: skip
    args = p.parse_args(argv)
    args.default_graph = args.graph is None
    args.graph = args.graph or settings.default_graph_dir()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_graph(args.graph, is_default=args.default_graph)
    cores = os.cpu_count() or 1
    total = args.warmup + args.sequential + args.concurrent
    bodies = make_requests(args.graph, total, args.seed, args.min_m, args.max_m)
    warm = bodies[: args.warmup]
    seq = bodies[args.warmup : args.warmup + args.sequential]
    conc = bodies[args.warmup + args.sequential :]

    client = load_client(args.client)
    load_before = os.getloadavg()[0]
    server = Server(args.graph, workers=args.workers)
    try:
        t0 = time.perf_counter()
        health = server.wait_healthy()
        startup_s = time.perf_counter() - t0
        # warm-up concurrently so that every worker process computes its profile weights
        run_concurrent(server.base, warm, max(2, args.workers * 2), 30.0)
        gap_s = args.gap_ms / 1e3
        if client == "wrk" and gap_s == 0:
            level1 = run_wrk(server.base, seq + conc, 1, args.wrk_seconds)
        else:  # wrk sends back to back: a gap needs the Python client
            level1 = run_sequential(server.base, seq, args.time_limit, gap_s)
        if client == "wrk":
            level_n = run_wrk(server.base, seq + conc, args.concurrency, args.wrk_seconds)
        else:
            level_n = run_concurrent(server.base, conc, args.concurrency, args.time_limit)
    finally:
        server.stop()
    load_after = os.getloadavg()[0]

    ok1 = level1.p50_ms <= TARGET_P50_MS_C1
    ok_n = level_n.requests_per_s >= TARGET_RPS_C8
    graph = health["graph"]
    note = (
        f"client {client}; server and client share this machine's {cores} CPU cores, so the "
        "client's own CPU time competes with the server"
    )
    print(
        f"stufenlos API benchmark: {graph['nodes']} nodes / {graph['edges']} edges "
        f"({Path(graph['source'] or '?').name}), uvicorn workers={args.workers}, "
        f"python {platform.python_version()}, server ready in {startup_s:.1f} s"
    )
    print(f"NOTE: {note}.")
    print(
        f"load average (1 min) before/after the run: {load_before:.2f}/{load_after:.2f} "
        "(anything else running on the machine also competes)"
    )
    print(
        f"requests: seeded ({args.seed}) random node pairs {args.min_m:.0f}–{args.max_m:.0f} m "
        f"apart, {'/'.join(PROFILES)} alternating, de/en, steps included, gzip accepted; "
        f"{args.warmup} warm-up requests not counted"
        + (f"; {args.gap_ms:g} ms between concurrency-1 requests (httpx)" if args.gap_ms else "")
    )
    header = f"{'conc':>4} {'done':>5} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'route m':>8}  target"  # fmt: skip
    print(header)
    for level, target, ok in (
        (level1, f"p50 <= {TARGET_P50_MS_C1:g} ms", ok1),
        (level_n, f">= {TARGET_RPS_C8:g} routes/s", ok_n),
    ):
        cut = " (stopped by time limit)" if level.stopped_by_time else ""
        print(
            f"{level.concurrency:>4} {level.completed:>5} {level.errors:>4} {level.p50_ms:>8.2f} "
            f"{level.p95_ms:>8.2f} {level.p99_ms:>8.2f} {level.requests_per_s:>8.1f} "
            f"{level.mean_route_m:>8.0f}  {target}: {'PASS' if ok else 'FAIL'}{cut}"
        )
        if level.errors:
            print(f"     statuses: {level.statuses}")
    if args.json:
        result = {
            "benchmark": "api",
            "workers": args.workers,
            "client": client,
            "cpu_cores": cores,
            "python": platform.python_version(),
            "graph": {k: graph.get(k) for k in ("source", "nodes", "edges", "bbox")},
            "server_startup_s": round(startup_s, 2),
            "seed": args.seed,
            "warmup_requests": args.warmup,
            "gap_ms": args.gap_ms,
            "levels": [asdict(level1), asdict(level_n)],
            "targets": {
                "p50_ms_at_concurrency_1": {
                    "target": TARGET_P50_MS_C1,
                    "value": level1.p50_ms,
                    "pass": ok1,
                },
                f"routes_per_s_at_concurrency_{args.concurrency}": {
                    "target": TARGET_RPS_C8,
                    "value": level_n.requests_per_s,
                    "pass": ok_n,
                },
            },
            "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
            "note": note,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 1 if args.check and not (ok1 and ok_n) else 0


if __name__ == "__main__":
    sys.exit(main())
