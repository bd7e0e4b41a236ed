"""Benchmark: what one staff write costs a worker when many obstacles are active.

Every write makes every worker reload the active obstacles (``api.obstacles.live``): read
them, apply them to the graph, rebuild the arrays that routes test them with. With thousands
active, that reload is what a route waiting behind the write waits for. This makes a database
of ``--obstacles`` active obstacles (default 3,000: points, lines and small areas on network
lines, a third each closures, narrowings and kerbs; imported through ``stufenlos serve`` with
an admin key, as ``bench_map_reads.py`` does), then in process, on the default area, loads them
into a ``LiveObstacles`` and deletes ``--writes`` of them one by one through the
``ObstacleService`` (without a beacon, each write reloads before it returns). Printed: the
first load's seconds and each write's milliseconds (p50 / max), the write's own transaction
and the reload.

Before caea43c..HEAD (2026-12-06: the overlay keeps where each applied obstacle goes, the
walkers' arrays are picked out in one pass, a reload reads no geometry of known versions), a
write with 3,000 active cost 137-230 ms; against that commit::

    python benchmarks/compare_commits.py --base caea43c --script-here --rounds 2 -- bench_reload.py
    python benchmarks/bench_reload.py [--obstacles 3000] [--writes 12] [--json OUT]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import Server, graph_dir, print_figures, staff_database
from bench_map_reads import import_obstacles

from api.db.session import make_engine, make_sessionmaker
from api.obstacles.live import LiveObstacles
from api.obstacles.service import ObstacleService
from graphs.store import load_graph
from routing.engine import Router


def writes(url: str, graph: Path, count: int) -> dict[str, Any]:
    """The first load and ``count`` deletions, each with the reload it makes, timed."""
    router = Router(load_graph(graph))
    sessions = make_sessionmaker(make_engine(url))
    live = LiveObstacles(router, sessions)
    live.warm_up()
    t0 = time.perf_counter()
    live.refresh(force=True)
    first_s = time.perf_counter() - t0
    service = ObstacleService(sessions, live, live.clock)
    active = len(live.active)
    took = []
    for oid in list(live.active)[:count]:
        t0 = time.perf_counter()
        service.delete(oid, "bench_reload")
        took.append((time.perf_counter() - t0) * 1e3)
    return {
        "active": active,
        "first_load_s": round(first_s, 3),
        "write_p50_ms": round(statistics.median(took), 1),
        "write_max_ms": round(max(took), 1),
        "writes": len(took),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--obstacles", type=int, default=3000)
    parser.add_argument("--writes", type=int, default=12)
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args()
    graph = graph_dir(args.graph)
    with tempfile.TemporaryDirectory() as folder:
        url, key = staff_database(Path(folder), "bench_reload", "admin")
        server = Server(graph, workers=1, env={"STUFENLOS_DATABASE_URL": url})
        try:
            server.wait_healthy()
            made = import_obstacles(server, key, args.obstacles)
        finally:
            server.stop()
        out = {"imported": made, **writes(url, graph, args.writes)}
    print_figures(out, args.json_out, width=16)


if __name__ == "__main__":
    main()
