"""Where a server worker's memory is, after a while under the mixed traffic: a diagnostic.

``bench_memory.py`` says how much a worker holds; this says where. It serves the graph with
``--workers`` workers started through ``_picture_cli.py`` (the real ``stufenlos``, whose workers
write their memory picture when sent ``SIGUSR2``), runs the mix of ``traffic_mix.py`` (with its
staff closures, or ``--without-writes``) for ``--seconds``, printing every worker's RSS every
10 s, then asks each worker for its picture and prints it:

* the metric cache: how many metrics of each kind (``kept``: the presets customised before
  the fork; ``personal``; ``pristine``: a personal profile's map without obstacles;
  ``preset-other``: a preset in another day's conditions) and the MB of their arrays held
  privately (not in the shared mapping), each array once; the kept presets' patched arrays
  equal to a sibling's at the same revision (what sharing them would save);
* malloc's account (``mallinfo2``: system, in use, free, mmapped) and ``/proc/self/smaps``
  by kind of mapping (``[heap]``, anonymous, ``memfd``: the shared graph, ``so``, files);
* Python's small-object allocator: its arenas and the bytes of the objects in them (on
  2026-12-07: 51–53 arenas, 49–54 MB of objects, most of them the preloaded parent's; not
  with ``--traced``);
* with ``--traced FRAMES``: the server runs under tracemalloc and each worker lists the source
  lines whose allocations grew most since its fork (how the profile echoed in every answer,
  16 kB of orjson's buffer for 1.9 kB of JSON, was found).

Run::

    python benchmarks/memory_picture.py [--graph DIR] [--seconds 60] [--workers 2]
        [--without-writes] [--traced 1] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import Server, graph_dir, staff_database
from bench_memory import rollup, server_error, worker_pids
from traffic_mix import run_mix

_CLI = (str(Path(__file__).with_name("_picture_cli.py")),)
#: How long a worker may take to write its picture (it hashes the kept copies' arrays; with
#: ``--traced`` it compares two snapshots of every allocation).
_PICTURE_TIMEOUT_S = 120.0


def pictures(server: Server, folder: Path) -> dict[int, dict[str, Any]]:
    """Each worker's picture (by pid), asked for one worker at a time."""
    found: dict[int, dict[str, Any]] = {}
    for pid in worker_pids(server):
        out = folder / f"{pid}.json"
        os.kill(pid, signal.SIGUSR2)
        deadline = time.monotonic() + _PICTURE_TIMEOUT_S
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.2)  # written in one call; let it finish
        found[pid] = json.loads(out.read_text()) if out.exists() else {"error": "no picture"}
    return found


def show(pid: int, rss_mb: float, p: dict[str, Any]) -> None:
    """Print one worker's picture."""
    if "error" in p:
        print(f"worker {pid}: {p['error']}")
        return
    print(f"worker {pid}: RSS {rss_mb:.1f} MB, router revision {p['router_revision']}, "
          f"{p['live_obstacles']} live obstacles, {p['threads']} threads")  # fmt: skip
    counts = ", ".join(f"{k} {v}" for k, v in p["metrics"].items())
    print(f"  metrics cached: {counts}; counted in the bound {p['bound_counted_mb']:.1f} MB")
    held = ", ".join(f"{k} {v:.2f}" for k, v in p["private_metric_mb"].items())
    print(f"  metric arrays held privately (MB): {held}")
    print("  of the kept presets' patched arrays, equal to a sibling's at the same revision: "
          f"{p['kept_copies_equal_to_a_sibling_mb']:.2f} MB")  # fmt: skip
    m = p["malloc_mb"]
    print(f"  malloc: system {m['system']:.1f} MB, in use {m['in_use']:.1f}, free {m['free']:.1f}, "
          f"mmapped {m['mmapped']:.1f}")  # fmt: skip
    print("  resident by mapping (MB): " + ", ".join(f"{k} {v}" for k, v in p["smaps_mb"].items()))
    py = p["pymalloc_mb"]
    if py:
        print(f"  Python's small objects: {py.get('arenas', 0):.0f} arenas of 1 MiB, objects "
              f"{py.get('objects', 0):.1f} MB, free blocks {py.get('free_blocks', 0):.1f} MB")  # fmt: skip
    if p["traced_growth"]:
        print("  grown most since the fork (tracemalloc):")
        for line in p["traced_growth"]:
            print(f"    {line}")


def main(argv: list[str] | None = None) -> int:
    """Serve, run the mix, print the workers' pictures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--seconds", type=float, default=60.0, help="of mixed traffic")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="clients of the mix")
    parser.add_argument("--without-writes", action="store_true", help="the mix's writes refused")
    parser.add_argument(
        "--traced", type=int, default=0, metavar="FRAMES",
        help="trace the server's allocations (tracemalloc, FRAMES deep; slows it some 3x) and "
        "print the source lines that grew most in each worker since its fork",
    )  # fmt: skip
    parser.add_argument("--json", dest="json_out", help="write the pictures to this JSON file")
    args = parser.parse_args(argv)

    graph = graph_dir(args.graph)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, staff = staff_database(folder, "picture")
        env = {"STUFENLOS_DATABASE_URL": url, "STUFENLOS_PICTURE_DIR": str(folder)}
        if args.traced > 0:
            env["PYTHONTRACEMALLOC"] = str(args.traced)
        server = Server(graph, workers=args.workers, env=env, cli=_CLI)
        try:
            server.wait_healthy()

            def tick(elapsed_s: float, answered: int) -> None:
                rss = ", ".join(f"{rollup(p)['rss_mb']:.1f}" for p in worker_pids(server))
                print(f"  {elapsed_s:4.0f} s, {answered:6d} answers: workers' RSS {rss} MB")

            print(f"{args.workers} workers, the mixed traffic{' without writes' * args.without_writes}"
                  f" for {args.seconds:g} s:", flush=True)  # fmt: skip
            counts = run_mix(
                server.base, graph, {} if args.without_writes else staff, args.seconds,
                args.threads, on_tick=tick, tick_s=10.0,
            )  # fmt: skip
            errors = sum(n for k, n in counts.items() if server_error(k))
            print(f"{sum(counts.values())} answers, {errors} server errors")
            rss = {p: rollup(p)["rss_mb"] for p in worker_pids(server)}
            found = pictures(server, folder)
        finally:
            server.stop()
    for pid, p in found.items():
        show(pid, rss.get(pid, 0.0), p)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({str(k): v for k, v in found.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
