"""Benchmark: the memory of ``stufenlos serve`` workers (RSS and PSS), with 1 and 2 workers.

Starts the real server (``_support.Server``, loopback) with 1 worker, then with 2, sends each a
few route requests of every preset (so that metrics are customised and kernels loaded), and reads
``/proc/<pid>/smaps_rollup`` of every worker process: RSS (what ``top`` shows), PSS (shared pages
split among the processes that map them: the honest share of each) and the shared part. Printed:
per worker RSS and PSS, and what the second worker adds (total PSS of 2 workers − PSS of 1).
The issue's targets: a worker ≤ 150 MB RSS, a second worker adds ≤ 50 MB.

Run::

    python benchmarks/bench_memory.py [--graph DIR] [--json OUT]
    python benchmarks/compare_commits.py --base 55b71d8 --rounds 1 -- bench_memory.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from _support import Server, graph_dir

TARGET_RSS_MB = 150.0
TARGET_SECOND_MB = 50.0
PRESETS = ("walk", "wheelchair", "rollator", "blind", "stroller")


def rollup(pid: int) -> dict[str, float]:
    """``/proc/<pid>/smaps_rollup`` in MB: rss, pss, shared (clean + dirty)."""
    kb: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *_ = line.split()
        kb[key.rstrip(":")] = int(value)
    return {
        "rss_mb": kb.get("Rss", 0) / 1024,
        "pss_mb": kb.get("Pss", 0) / 1024,
        "shared_mb": (kb.get("Shared_Clean", 0) + kb.get("Shared_Dirty", 0)) / 1024,
    }


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid``."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.extend(int(c) for c in text)
    return out


def workers_of(server: Server, workers: int) -> list[int]:
    """The worker processes: uvicorn's children that run the app (not its multiprocessing
    helpers), or the server itself with one worker."""
    pid = server.process.pid
    if workers == 1:
        return [pid]
    found = [
        c for c in children(pid) if "multiprocessing" in Path(f"/proc/{c}/cmdline").read_text()
    ]
    return [c for c in found if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()]


def exercise(base: str, rounds: int = 4) -> None:
    """A few route requests per preset, in a short spread, so that every worker answers some."""
    body: dict[str, Any] = {
        "origin": {"lat": 49.4447, "lon": 7.7690},
        "destination": {"lat": 49.4400, "lon": 7.7550},
    }
    with httpx.Client(timeout=30.0) as client:
        for _ in range(rounds):
            for preset in PRESETS:
                r = client.post(
                    f"{base}/routes", json=body | {"profile": {"name": preset}, "language": "de"}
                )
                r.raise_for_status()


def measure(graph: Path, workers: int) -> dict[str, Any]:
    """Start a server with ``workers`` workers, exercise it, read the workers' memory."""
    server = Server(graph, workers=workers)
    try:
        server.wait_healthy()
        exercise(server.base, rounds=4 * workers)
        time.sleep(0.5)
        pids = workers_of(server, workers)
        per = [rollup(p) for p in pids]
    finally:
        server.stop()
    return {
        "workers": workers,
        "per_worker": per,
        "rss_max_mb": max(p["rss_mb"] for p in per),
        "pss_total_mb": sum(p["pss_mb"] for p in per),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure 1 and 2 workers, print the figures and the targets' verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    folder = graph_dir(args.graph)
    one = measure(folder, 1)
    two = measure(folder, 2)
    second_mb = two["pss_total_mb"] - one["pss_total_mb"]
    for run in (one, two):
        for i, p in enumerate(run["per_worker"]):
            print(
                f"{run['workers']} worker(s), worker {i}: RSS {p['rss_mb']:.1f} MB, "
                f"PSS {p['pss_mb']:.1f} MB, shared {p['shared_mb']:.1f} MB"
            )
    print(f"second worker adds (PSS of 2 − PSS of 1): {second_mb:.1f} MB")
    ok_rss = one["rss_max_mb"] <= TARGET_RSS_MB
    ok_second = second_mb <= TARGET_SECOND_MB
    print(
        f"{'PASS' if ok_rss else 'MISS'}  one worker ≤ {TARGET_RSS_MB:g} MB RSS ({one['rss_max_mb']:.1f})"
    )
    print(
        f"{'PASS' if ok_second else 'MISS'}  second worker adds ≤ {TARGET_SECOND_MB:g} MB ({second_mb:.1f})"
    )
    if args.json_out:
        out = {
            "one_worker_rss_mb": one["rss_max_mb"],
            "one_worker_pss_mb": one["pss_total_mb"],
            "two_workers_pss_mb": two["pss_total_mb"],
            "two_workers_rss_max_mb": two["rss_max_mb"],
            "second_worker_adds_mb": second_mb,
        }
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
