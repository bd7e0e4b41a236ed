"""Route requests answered at the HTTP protocol (``api/direct.py``) against ASGI, side by side.

Two ``stufenlos serve`` of this tree run at once on the default area, one as configured
(``STUFENLOS_DIRECT_ROUTES=true``) and one with ``STUFENLOS_DIRECT_ROUTES=false`` (every route
request through ASGI and ``api/fastpath.py``), each with ``--workers`` workers. Then:

- **concurrency 1**: the seeded trips of ``bench_api.make_requests`` (wheelchair and walk, de and
  en, instructions in every answer), each sent to both servers in turn (the order alternates per
  trip) on one keep-alive connection each, once back to back and once with ``--gap-ms`` pauses
  (the threads and cores of an app's server go idle between requests); p50 and p90 of the
  client's latency, and their ratio direct ÷ ASGI;
- **concurrency 8 and 64** (with ``wrk``, when installed): ``--rounds`` rounds of
  ``--seconds`` per level and server, the order alternating per round; the median routes/s and
  p99, and their ratios.

Both servers answer with the same bytes (``tests/api/test_direct.py`` checks that); only the
time differs. This machine's speed drifts by ±30 % with the host's load, which is why both run
in the same minutes and alternate.

Usage::

    export PYTHONPATH=$PWD STUFENLOS_DATA_DIR=../shared/data STUFENLOS_CACHE_DIR=$PWD/.cache
    python benchmarks/bench_direct.py                    # 2 workers, 500 trips, 3 wrk rounds
    python benchmarks/bench_direct.py --trips 300 --rounds 2 --json /tmp/direct.json
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from _peer_runs import Target, median_load, run_load, run_sequential, stufenlos_ok
from _support import Server, graph_dir, latency_pair, latency_pair_line
from bench_api import make_requests

SIDES = {
    "direct": {"STUFENLOS_DIRECT_ROUTES": "true"},
    "asgi": {"STUFENLOS_DIRECT_ROUTES": "false"},
}


def sequential(targets: list[Target], count: int, gap_s: float) -> dict[str, Any]:
    """``_peer_runs.run_sequential`` over both servers; p50 / p90 per server and the ratio."""
    ms: dict[str, list[float]] = {}
    for name, result in run_sequential(targets, count, gap_s=gap_s).items():
        if result.failures:
            raise RuntimeError(f"{name}: {result.failures} failed, e.g. {result.failure_examples}")
        ms[name] = [t * 1000.0 for t in result.latencies_s]
    return latency_pair(ms, "direct", "asgi")


def loaded(targets: list[Target], level: int, seconds: float, rounds: int) -> dict[str, Any]:
    """wrk at ``level`` connections, ``rounds`` times per server (alternating order); the
    median round (``_peer_runs.median_load``) with the server's CPU time per route."""
    runs: dict[str, list[Any]] = {t.name: [] for t in targets}
    for r in range(rounds):
        for target in targets if r % 2 == 0 else targets[::-1]:
            runs[target.name].append(run_load(target, level, seconds))
    out: dict[str, Any] = {}
    for name, loads in runs.items():
        median = median_load(loads)
        out[name] = {
            "routes_per_s": median.level.requests_per_s,
            "p99_ms": median.level.p99_ms,
            "server_cpu_ms_per_request": median.cpu_ms_per_request,
            "all_routes_per_s": [ld.level.requests_per_s for ld in loads],
        }
    out["routes_per_s_ratio"] = round(
        out["direct"]["routes_per_s"] / out["asgi"]["routes_per_s"], 3
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--graph", type=Path, default=None, help="graph folder (default: the default area's)")  # fmt: skip
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--trips", type=int, default=500, help="trips at concurrency 1 (per server)")
    p.add_argument("--gap-ms", type=float, default=5.0, help="pause after each c1 request, ms")
    p.add_argument("--seconds", type=float, default=6.0, help="wrk duration per level and server")
    p.add_argument("--rounds", type=int, default=3, help="wrk rounds per level (median taken)")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    args = p.parse_args()

    graph = graph_dir(args.graph)
    bodies = make_requests(graph, args.trips, 20130401, 300.0, 3000.0)
    servers = {side: Server(graph, workers=args.workers, env=env) for side, env in SIDES.items()}
    results: dict[str, Any] = {"workers": args.workers, "trips": args.trips}
    try:
        for server in servers.values():
            server.wait_healthy()
        targets = [
            Target(side, server.base, "POST", ["/routes"], bodies, stufenlos_ok, server.process.pid)
            for side, server in servers.items()
        ]
        run_sequential(targets, min(50, args.trips))  # warm-up, not counted
        results["c1_back_to_back"] = sequential(targets, args.trips, 0.0)
        results[f"c1_gap_{args.gap_ms:g}_ms"] = sequential(
            targets, args.trips, args.gap_ms / 1000.0
        )
        if shutil.which("wrk"):
            for level in (8, 64):
                results[f"c{level}"] = loaded(targets, level, args.seconds, args.rounds)
        else:
            print("bench_direct: wrk not found (apt-get install wrk): concurrency 8/64 skipped")
    finally:
        for server in servers.values():
            server.stop()

    print(f"direct route path vs ASGI, {args.workers} worker(s) each, the same tree and trips")
    for name, row in results.items():
        if not isinstance(row, dict):
            continue
        if "p50_ratio" in row:
            print(f"  {name:<18} {latency_pair_line(row, 'direct', 'asgi')}")
        else:
            d, a = row["direct"], row["asgi"]
            print(
                f"  {name:<18} {d['routes_per_s']:.0f} vs {a['routes_per_s']:.0f} routes/s "
                f"(÷ {row['routes_per_s_ratio']:.3f}), p99 {d['p99_ms']:.1f} vs {a['p99_ms']:.1f} ms, "
                f"server CPU per route {d['server_cpu_ms_per_request']:.3f} vs "
                f"{a['server_cpu_ms_per_request']:.3f} ms; "
                f"rounds {d['all_routes_per_s']} vs {a['all_routes_per_s']}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
