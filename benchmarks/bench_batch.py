"""Benchmark: route answers computed one by one against together, stage by stage, in process.

What a turn of a worker's event loop does with the short routes queued in it
(:mod:`api.loop_routes`): ``route_answer`` for each request in turn (**alone**), or
``route_answers`` for the group (**together**: every request's checks and day, then every snap,
search and walking search, every report, every body and facts, every step list, every JSON and
gzip). The same seeded requests as ``bench_api.py`` (wheelchair and walk alternating, de/en),
in groups of ``--group``; the two ways alternate group by group. ``--flush-mb`` writes that many
megabytes before each group (not timed): the caches hold none of the answers' code and data,
as when a served worker's loop has read its sockets and the client and the other worker ran
between two turns.

Printed: the mean µs per answer of each way and their ratio. The bytes of both ways are
compared first (equal, or the script stops). Usage::

    python benchmarks/bench_batch.py [--graph DIR] [--group 4] [--flush-mb 16] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from _support import graph_dir

from api.schemas import RouteRequest
from api.settings import Settings
from graphs.store import load_graph
from routing.engine import Router

try:
    from api.route_answers import route_answer, route_answers
except ImportError:  # a commit from before the module (compare_commits.py --script-here)
    from api.routes.routing import (  # type: ignore[no-redef,attr-defined]
        route_answer,
        route_answers,
    )

#: A fixed departure: answers made at different instants are the same bytes.
WHEN = "2026-06-21T15:00:00"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, check that both ways give the same bytes, time them, print."""
    from bench_api import make_requests

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--group", type=int, default=4, help="requests computed together")
    parser.add_argument("--flush-mb", type=int, default=16, help="written before each group")
    parser.add_argument("--rounds", type=int, default=4, help="passes over the requests")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)

    folder = graph_dir(args.graph)
    router = Router(load_graph(folder))
    router.warm_up()
    settings = Settings()
    reqs = []
    for body in make_requests(folder, args.requests, 20130401, 300.0, 3000.0):
        reqs.append(RouteRequest.model_validate(orjson.loads(body) | {"departure_time": WHEN}))

    def alone(group: list[RouteRequest]) -> list[Any]:
        return [route_answer(router, req, settings, None, True) for req in group]

    def together(group: list[RouteRequest]) -> list[Any]:
        return route_answers(router, group, settings, None, [True] * len(group))

    for a, b in zip(alone(reqs[:40]), together(reqs[:40]), strict=True):
        if a.body != b.body:
            sys.exit("bench_batch: an answer computed together differs from the one alone")
    junk = np.zeros(max(1, args.flush_mb * 2**20 // 8))
    ways: dict[str, Callable[[list[RouteRequest]], list[Any]]] = {
        "alone": alone,
        "together": together,
    }
    us: dict[str, list[float]] = {name: [] for name in ways}
    g = args.group
    groups = [reqs[i : i + g] for i in range(0, len(reqs) - g + 1, g)]
    for rnd in range(args.rounds):
        for k, group in enumerate(groups):
            order = list(ways) if (k + rnd) % 2 else list(reversed(ways))
            for name in order:
                if args.flush_mb:
                    junk.fill(float(k))
                t0 = time.perf_counter()
                ways[name](group)
                us[name].append((time.perf_counter() - t0) * 1e6 / len(group))
    means = {name: statistics.mean(v) for name, v in us.items()}
    print(
        f"graph {folder}; {len(groups)} groups of {g} × {args.rounds} rounds; "
        f"{args.flush_mb} MB written before each group"
    )
    for name, mean in means.items():
        print(f"{name:<10} {mean:8.1f} µs per answer")
    ratio = means["together"] / means["alone"]
    print(f"together ÷ alone {ratio:.3f}")
    if args.json_out:
        out = {"group": g, "flush_mb": args.flush_mb, "mean_us": means, "ratio": ratio}
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
