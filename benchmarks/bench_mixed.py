"""Benchmark: served routes when some of them are long jobs of the worker's CPU thread.

Most route requests are short (one leg, no alternatives, no distance between rests) and a
worker computes them on its event loop (``api/loop_routes.py``). The others go to the worker's
CPU thread: a rest-limited profile (``elderly``: a seat at least every 300 m, an exact
rest-constrained search of up to tens of milliseconds), via points, alternatives. While that
thread has a job the loop's route queue waits (a job may reload the live obstacles, which
changes what routes read), so a long job holds the short routes behind it. This benchmark
shows what such a mix costs: ``stufenlos serve`` (2 workers) on the default area, the seeded
trips of ``bench_api.py`` with every ``--every``-th one asked for ``--profile`` (default: one in
ten for ``elderly``), wrk at concurrency 8 and 64 for ``--duration`` seconds each. Printed per
level: routes/s, wrk's p50 / p99 and the server's own p50 / p99 (the ``ms`` of its access
lines: request head read to answer written; wrk's hold its own wait for a core on a machine it
shares with the workers).

Side by side with an older commit, in one run::

    python benchmarks/compare_commits.py --base 2c6e746 --script-here --rounds 2 -- \\
        bench_mixed.py --duration 10

Run alone::

    export PYTHONPATH=$PWD STUFENLOS_DATA_DIR=../shared/data STUFENLOS_CACHE_DIR=$PWD/.cache
    python benchmarks/bench_mixed.py [--every 10] [--profile elderly] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from _support import ACCESS_LINES_LATE_S, Server, graph_dir, server_latency
from bench_api import make_requests, run_wrk

LEVELS = (8, 64)
WORKERS = 2


def mixed_bodies(bodies: list[bytes], every: int, profile: str) -> list[bytes]:
    """``bodies`` with every ``every``-th one (the first included) asked for ``profile``."""
    out = []
    for i, body in enumerate(bodies):
        if i % every == 0:
            request = json.loads(body)
            request["profile"] = {"name": profile}
            body = json.dumps(request).encode()
        out.append(body)
    return out


def level(server: Server, bodies: list[bytes], concurrency: int, seconds: float) -> dict[str, Any]:
    """One wrk run: its figures and the server's own route times over it."""
    start = server.log_offset()
    run = run_wrk(server.base, bodies, concurrency, seconds)
    time.sleep(ACCESS_LINES_LATE_S)
    own = server_latency(server.route_ms(start, server.log_offset()))
    return {
        "routes_per_s": run.requests_per_s,
        "errors": run.errors,
        "p50_ms": run.p50_ms,
        "p99_ms": run.p99_ms,
        **{f"server_{name}": value for name, value in own.items()},
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", type=Path, default=None, help="graph folder (default: the city's)")
    p.add_argument("--every", type=int, default=10, help="every n-th trip gets --profile")
    p.add_argument("--profile", default="elderly", help="the profile of those trips")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per level")
    p.add_argument("--seed", type=int, default=20130401)
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = p.parse_args(argv)
    if args.every < 1 or not args.duration > 0:
        p.error("--every must be at least 1 and --duration positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench_mixed needs wrk (Debian: apt install wrk)", file=sys.stderr)
        return 2
    graph = graph_dir(args.graph)
    bodies = mixed_bodies(
        make_requests(graph, 2000, args.seed, 300.0, 3000.0), args.every, args.profile
    )
    server = Server(graph, workers=WORKERS)
    results: dict[str, Any] = {}
    try:
        server.wait_healthy()
        run_wrk(server.base, bodies, 8, 3.0)  # warm up every worker's metrics
        for concurrency in LEVELS:
            results[f"c{concurrency}"] = level(server, bodies, concurrency, args.duration)
    finally:
        server.stop()
    print(
        f"stufenlos serve, {WORKERS} workers, python {platform.python_version()}: 2,000 seeded "
        f"trips, one in {args.every} for {args.profile}, {args.duration:.0f} s per level"
    )
    print(f"{'level':>6} {'routes/s':>9} {'wrk p50 / p99 ms':>18} {'server p50 / p99 ms':>21}")
    for name, r in results.items():
        print(
            f"{name:>6} {r['routes_per_s']:>9.0f} {r['p50_ms']:>8.1f} / {r['p99_ms']:<7.1f} "
            f"{r['server_p50_ms']:>10.1f} / {r['server_p99_ms']:<7.1f}"
            + (f"  {r['errors']} errors" if r["errors"] else "")
        )
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "mixed", **results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
