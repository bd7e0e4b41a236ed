"""Benchmark: the memory of ``stufenlos serve`` (RSS, PSS, USS), with 1 and 2 workers.

Starts the real server (``_support.Server``, loopback) with 1 worker, then with 2, sends each a
few route requests of every preset (so that metrics are customised and kernels loaded), and reads
``/proc/<pid>/smaps_rollup`` of every process of the server (the process started and all its
descendants: a serving parent, the workers, uvicorn's helpers if any):

- RSS: resident pages mapped by the process, shared or not (what ``top`` shows);
- PSS: each resident page divided by the number of processes mapping it (the honest share; the
  PSS of all processes adds up to the memory they use together);
- USS: the process's private pages (what ending it would free).

A *worker* is a process that serves requests: a leaf of the server's process tree (the server
itself when it has no children). Printed: per worker RSS, PSS and USS; the total PSS of all the
server's processes with 1 and with 2 workers; what the second worker adds, defined as
total PSS(2 workers) − total PSS(1 worker); and the one worker's RSS again after ``--busy``
(600) more varied routes over every preset, since the arrays the parent shares as a file
mapping (``routing/shared_arrays.py``) count in a worker's RSS only once it has read them.
First, unless ``--sustained 0``: two workers under the mixed traffic of ``traffic_mix.py`` (eight
clients: presets and 200 personal profiles, departures on other days, pollen forecasts, via
points, alternatives, ``GET /routes``, ``/matrix``, staff closures made and deleted, refused
requests) for ``--sustained`` seconds, every worker's RSS printed every 5 s: what a worker holds
once its caches are full (the largest RSS of the run's second half), and the server errors (5xx
or a broken connection: none allowed). ``--without-writes`` runs that mix with its staff
requests refused (no key): what the writes, a tenth of the mix's requests (20–30 a second,
each a new revision every metric in use is patched to), add to a worker; printed as INFO, it
is not the target's mix. The issue's targets: a worker ≤ 150 MB RSS (after a few
requests, and under the mixed traffic), a second worker adds ≤ 50 MB.

The script measures the code of the folder it is run from (the server runs ``python -m api.cli``,
which puts the working directory first on the path), so old and new code are compared in one
run by alternating (memory is not noisy the way time is)::

    python benchmarks/bench_memory.py [--graph DIR] [--json OUT] [--busy N] [--sustained S]
    for tree in ../old "$PWD"; do (cd $tree && PYTHONPATH=$tree python "$OLDPWD"/benchmarks/bench_memory.py); done
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from _support import Server, graph_dir, staff_database

TARGET_RSS_MB = 150.0
TARGET_SECOND_MB = 50.0
PRESETS = ("walk", "wheelchair", "rollator", "blind", "stroller")


def rollup(pid: int) -> dict[str, float]:
    """``/proc/<pid>/smaps_rollup`` in MB: rss, pss, uss (private clean + dirty), shared."""
    kb: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *_ = line.split()
        kb[key.rstrip(":")] = int(value)
    return {
        "rss_mb": kb.get("Rss", 0) / 1024,
        "pss_mb": kb.get("Pss", 0) / 1024,
        "uss_mb": (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024,
        "shared_mb": (kb.get("Shared_Clean", 0) + kb.get("Shared_Dirty", 0)) / 1024,
    }


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (a thread, or the process, that ends while they
    are read has none: a run of 30 s stopped once on a pool thread gone between the listing
    and its read)."""
    out: list[int] = []
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                out.extend(int(c) for c in (task / "children").read_text().split())
    return out


def process_tree(pid: int) -> dict[int, list[int]]:
    """``pid`` and all its descendants, each with its children."""
    tree: dict[int, list[int]] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        tree[p] = children(p)
        todo.extend(tree[p])
    return tree


def workers_of(tree: dict[int, list[int]], root: int) -> list[int]:
    """The processes that serve: the leaves of the tree, but not multiprocessing's resource
    tracker (uvicorn's spawned workers have one next to them); the root if it has no children."""
    leaves = [
        p
        for p, kids in tree.items()
        if not kids and b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()
    ]
    return sorted(p for p in leaves if p != root) or [root]


def worker_pids(server: Server) -> list[int]:
    """The processes of ``server`` that serve (:func:`workers_of` its process tree)."""
    return workers_of(process_tree(server.process.pid), server.process.pid)


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


def busy(base: str, graph: Path, count: int) -> None:
    """``count`` varied city routes (100 m–4 km, seeded), cycling through every preset."""
    from bench_api import make_requests

    from accessibility_rules.profile import preset_names

    presets = preset_names()
    with httpx.Client(timeout=30.0) as client:
        for i, raw in enumerate(make_requests(graph, count, 3, 100.0, 4000.0)):
            body = json.loads(raw) | {"profile": {"name": presets[i % len(presets)]}}
            client.post(f"{base}/routes", json=body)  # a trip without a route is fine too


def measure(graph: Path, workers: int, busy_routes: int = 0) -> dict[str, Any]:
    """Start a server with ``workers`` workers, exercise it, read its processes' memory; then,
    with ``busy_routes``, send that many varied routes and read the workers' RSS again."""
    server = Server(graph, workers=workers)
    try:
        server.wait_healthy()
        exercise(server.base, rounds=4 * workers)
        time.sleep(0.5)
        tree = process_tree(server.process.pid)
        pids = workers_of(tree, server.process.pid)
        every = {p: rollup(p) for p in tree}
        busy_rss = 0.0
        if busy_routes:
            busy(server.base, graph, busy_routes)
            busy_rss = max(rollup(p)["rss_mb"] for p in pids)
    finally:
        server.stop()
    per = [every[p] for p in pids]
    return {
        "busy_rss_max_mb": busy_rss,
        "workers": workers,
        "processes": len(every),
        "per_worker": per,
        "rss_max_mb": max(p["rss_mb"] for p in per),
        "uss_max_mb": max(p["uss_mb"] for p in per),
        "pss_total_mb": sum(p["pss_mb"] for p in every.values()),
        "others_pss_mb": sum(m["pss_mb"] for p, m in every.items() if p not in pids),
    }


def sustained(graph: Path, seconds: float, threads: int, writes: bool = True) -> dict[str, Any]:
    """Two workers under the mixed traffic of :mod:`traffic_mix` for ``seconds``: every worker's
    RSS sampled every 5 s (printed as it goes); the largest of the last half of the run (the
    level a worker holds once its caches are full) and the answers' statuses. Without
    ``writes`` the mix's staff requests go without a key (refused, 401): what the staff writes
    (a tenth of the mix's requests, some 20–30 a second) add to a worker is the difference."""
    import tempfile

    from traffic_mix import run_mix

    with tempfile.TemporaryDirectory() as folder:
        url, staff = staff_database(Path(folder), "memory")
        server = Server(graph, workers=2, env={"STUFENLOS_DATABASE_URL": url})
        samples: list[tuple[float, list[float]]] = []

        def sample(elapsed_s: float, answered: int) -> None:
            pids = worker_pids(server)
            rss = [rollup(p)["rss_mb"] for p in pids]
            samples.append((elapsed_s, rss))
            print(f"  {elapsed_s:5.0f} s, {answered:6d} answers: workers' RSS "
                  + ", ".join(f"{r:.0f}" for r in rss) + " MB", flush=True)  # fmt: skip

        try:
            server.wait_healthy()
            counts = run_mix(
                server.base, graph, staff if writes else {}, seconds, threads, on_tick=sample
            )
        finally:
            server.stop()
    late = [max(rss) for at, rss in samples if at >= seconds / 2] or [0.0]
    return {
        "seconds": seconds,
        "rss_max_mb": max(late),
        "samples": samples,
        "statuses": dict(sorted(counts.items())),
        "server_errors": sum(n for k, n in counts.items() if server_error(k)),
    }


def server_error(key: str) -> bool:
    """Whether a count of :func:`traffic_mix.run_mix` (``"POST /routes 200"``, ``"error
    ReadTimeout"``) is a server error: a 5xx status or no answer."""
    last = key.rsplit(" ", 1)[-1]
    return key.startswith("error ") or (last.isdigit() and int(last) >= 500)


def main(argv: list[str] | None = None) -> int:
    """Measure 1 and 2 workers, print the figures and the targets' verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    parser.add_argument(
        "--busy", type=int, default=600,
        help="then this many varied routes over every preset, and RSS again (0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--sustained", type=float, default=90.0,
        help="then 2 workers under mixed traffic for this many seconds (0: skip)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=8, help="clients of the mixed traffic")
    parser.add_argument(
        "--without-writes", action="store_true",
        help="the mixed traffic without staff writes (for comparison; not the target's mix)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    folder = graph_dir(args.graph)
    mixed = None
    if args.sustained:
        without = " without staff writes" if args.without_writes else ""
        print(
            f"2 workers under mixed traffic{without} ({args.threads} clients, {args.sustained:g} s):"
        )
        mixed = sustained(folder, args.sustained, args.threads, writes=not args.without_writes)
    one = measure(folder, 1, args.busy)
    two = measure(folder, 2)
    second_mb = two["pss_total_mb"] - one["pss_total_mb"]
    for run in (one, two):
        for i, p in enumerate(run["per_worker"]):
            print(
                f"{run['workers']} worker(s), worker {i}: RSS {p['rss_mb']:.1f} MB, "
                f"PSS {p['pss_mb']:.1f} MB, USS {p['uss_mb']:.1f} MB, "
                f"shared {p['shared_mb']:.1f} MB"
            )
        print(
            f"{run['workers']} worker(s): total PSS of the server's {run['processes']} processes "
            f"{run['pss_total_mb']:.1f} MB (not serving: {run['others_pss_mb']:.1f} MB)"
        )
    print(f"second worker adds (total PSS of 2 workers − of 1): {second_mb:.1f} MB")
    if args.busy:
        print(
            f"1 worker after {args.busy} more varied routes over every preset: "
            f"RSS {one['busy_rss_max_mb']:.1f} MB"
        )
    if mixed is not None:
        answers = sum(mixed["statuses"].values())
        print(
            f"under mixed traffic: {answers} answers, {mixed['server_errors']} server errors; "
            f"a worker's RSS over the second half of the run: up to {mixed['rss_max_mb']:.1f} MB"
        )
    ok_rss = one["rss_max_mb"] <= TARGET_RSS_MB
    ok_second = second_mb <= TARGET_SECOND_MB
    print(
        f"{'PASS' if ok_rss else 'MISS'}  one worker ≤ {TARGET_RSS_MB:g} MB RSS ({one['rss_max_mb']:.1f})"
    )
    print(
        f"{'PASS' if ok_second else 'MISS'}  second worker adds ≤ {TARGET_SECOND_MB:g} MB ({second_mb:.1f})"
    )
    if mixed is not None:
        ok_mixed = mixed["rss_max_mb"] <= TARGET_RSS_MB and mixed["server_errors"] == 0
        verdict = "INFO" if args.without_writes else ("PASS" if ok_mixed else "MISS")
        print(
            f"{verdict}  a worker under mixed traffic{' without staff writes' if args.without_writes else ''} "
            f"≤ {TARGET_RSS_MB:g} MB RSS ({mixed['rss_max_mb']:.1f}), no server error "
            f"({mixed['server_errors']})"
        )
    if args.json_out:
        out = {
            "one_worker_rss_mb": one["rss_max_mb"],
            "one_worker_pss_total_mb": one["pss_total_mb"],
            "two_workers_pss_total_mb": two["pss_total_mb"],
            "two_workers_rss_max_mb": two["rss_max_mb"],
            "one_worker_uss_mb": one["uss_max_mb"],
            "two_workers_uss_max_mb": two["uss_max_mb"],
            "second_worker_adds_mb": second_mb,
            "one_worker_busy_rss_mb": one["busy_rss_max_mb"],
            "mixed_traffic": mixed,
            "mixed_traffic_writes": not args.without_writes,
        }
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
