"""Rests: `elderly` with a seat at least every 300 m on Kaiserslautern — kept share, detour, time.

For seeded random trips (random nodes of the graph moved a few metres, as bench_routing.py):

* the share of trips with a route that keeps the limit (exact rest-constrained search);
* the median detour of those routes against the same profile without the limit (length ratio);
* query time (snap both ends + the constrained search) p50/p95, over all trips and over the
  trips that keep the limit; target p50 <= 5 ms;
* the least-bad route's time where no route keeps the limit (the bisection of routing/rests.py).

Seats: ``--seats graph`` uses the graph's own seat columns and table (the seat join of
``graphs/``); ``node`` the stand-in from seats on network nodes (tests/routing/seat_standin.py,
what exists before that join lands: 4 such nodes on the Kaiserslautern 2013 extract, so almost
no trip can keep the limit); ``synthetic:SHARE`` adds seeded seats on SHARE of the nodes, to time
the search on a network with seats. ``auto`` (default): graph if it has the columns, else node.

    python benchmarks/bench_rests.py --queries 1000 --seats auto \
        --json benchmarks/results/kaiserslautern-2013/rests_graph_seats.json
    python benchmarks/bench_rests.py --queries 1000 --seats synthetic:0.1
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the project itself after PYTHONPATH: compare_commits.py --script-here runs this copy of the
# script against another tree's code, named by PYTHONPATH (inserted first, it measured this tree
# on both sides)
sys.path.append(str(Path(__file__).resolve().parent.parent))

import contextlib

from _support import graph_dir

from graphs.store import load_graph
from routing import rests
from routing.engine import Router
from routing.errors import NoRouteError, SearchBudgetError
from routing.rest_walks import least_bad_rest_path, rest_path

LIMIT_M = 300.0


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank); NaN when empty."""
    if not values:
        return math.nan
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q / 100 * len(v)) - 1))]


def random_points(router: Router, rng: np.random.Generator, k: int) -> list[tuple[float, float]]:
    """``k`` random nodes moved up to 6 m in a random direction, as (lat, lon)."""
    g = router.graph
    nodes = rng.integers(0, g.node_count, k)
    lat, lon = g.node["lat"][nodes], g.node["lon"][nodes]
    dist, angle = rng.uniform(0.0, 6.0, k), rng.uniform(0.0, 2 * np.pi, k)
    dlat = dist * np.sin(angle) / 111_195.0
    dlon = dist * np.cos(angle) / (111_195.0 * np.cos(np.radians(lat)))
    return [(float(a), float(b)) for a, b in zip(lat + dlat, lon + dlon, strict=True)]


def setup_seats(graph: Any, mode: str) -> str:
    """Install the seats of ``mode``; return what was used (for the report)."""
    has_columns = all(c in graph.edge for c in rests.SEAT_COLUMNS)
    if mode == "auto":
        mode = "graph" if has_columns else "node"
    if mode == "graph":
        if not has_columns:
            sys.exit("bench_rests.py: this graph has no seat columns (build it with the seat join)")
        return "graph (seat join)"
    from tests.routing.seat_standin import install_node_seats, synthetic_node_seats

    if mode == "node":
        rests.seat_reader = install_node_seats(graph)
        return "stand-in: seats on network nodes only"
    if mode.startswith("synthetic:"):
        share = float(mode.split(":", 1)[1])
        rests.seat_reader = install_node_seats(graph, synthetic_node_seats(graph, share))
        return f"stand-in: node seats + seeded seats on {share:.0%} of the nodes"
    sys.exit(f"bench_rests.py: unknown --seats {mode!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random trips")
    parser.add_argument("--queries", type=int, default=1000, help="trips")
    parser.add_argument("--seats", default="auto", help="auto | graph | node | synthetic:SHARE")
    parser.add_argument("--least-bad", type=int, default=50, help="trips timed for least-bad")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)

    graph = load_graph(graph_dir(args.graph))
    seats_used = setup_seats(graph, args.seats)
    router = Router(graph)
    prof = router.profile("elderly")
    assert prof.max_distance_between_rests_m == LIMIT_M
    plain = router.customize(router.profile("elderly", {"max_distance_between_rests_m": None}))
    metric = router.customize(prof)
    rng = np.random.default_rng(args.seed)
    points = random_points(router, rng, 2 * args.queries)
    pairs = list(zip(points[::2], points[1::2], strict=True))
    for o, d in pairs[:20]:  # warm-up (numba dispatch, caches)
        s, _ = router.snap(o, metric, "origin")
        t, _ = router.snap(d, metric, "destination")
        with contextlib.suppress(SearchBudgetError):
            rest_path(router, s, t, metric, LIMIT_M)

    clock = time.perf_counter_ns
    times_ms, kept_ms, failed_ms, detours, labels = [], [], [], [], []
    kept = no_route = budget = 0
    infeasible: list[tuple[Any, Any]] = []
    for o, d in pairs:
        start = clock()
        s, _ = router.snap(o, metric, "origin")
        t, _ = router.snap(d, metric, "destination")
        try:
            path = rest_path(router, s, t, metric, LIMIT_M)
        except SearchBudgetError:
            path, budget = None, budget + 1
        ms = (clock() - start) / 1e6
        times_ms.append(ms)
        if path is None:
            failed_ms.append(ms)
            infeasible.append((s, t))
            continue
        kept += 1
        kept_ms.append(ms)
        labels.append(path.settled_nodes)
        try:
            ref = router.shortest_path(s, t, plain)
        except NoRouteError:
            no_route += 1
            continue
        ref_m = rests.walk_length_m(graph, ref.pieces)
        if ref_m > 0:
            detours.append(rests.walk_length_m(graph, path.pieces) / ref_m)

    least_ms, least_gap = [], []
    for s, t in infeasible[: args.least_bad]:
        start = clock()
        try:
            p = least_bad_rest_path(router, s, t, metric, LIMIT_M)
        except NoRouteError:
            continue
        least_ms.append((clock() - start) / 1e6)
        least_gap.append(rests.pieces_longest_gap(graph, p.pieces))

    n = len(pairs)
    out = {
        # the default area by name, not by this checkout's folder (the JSON is committed)
        "graph": args.graph or "kaiserslautern (default area)",
        "seats": seats_used,
        "seat_edges": int(np.isfinite(graph.edge["seat_first_m"]).sum()),
        "limit_m": LIMIT_M,
        "trips": n,
        "kept_share": kept / n,
        "budget_exhausted": budget,
        "median_detour_ratio": statistics.median(detours) if detours else math.nan,
        "p95_detour_ratio": percentile(detours, 95),
        "query_ms_p50": statistics.median(times_ms),
        "query_ms_p95": percentile(times_ms, 95),
        "kept_query_ms_p50": statistics.median(kept_ms) if kept_ms else math.nan,
        "kept_query_ms_p95": percentile(kept_ms, 95),
        "not_kept_query_ms_p50": statistics.median(failed_ms) if failed_ms else math.nan,
        "not_kept_query_ms_p95": percentile(failed_ms, 95),
        "labels_settled_median_kept": statistics.median(labels) if labels else math.nan,
        "least_bad_trips": len(least_ms),
        "least_bad_ms_p50": statistics.median(least_ms) if least_ms else math.nan,
        "least_bad_ms_p95": percentile(least_ms, 95),
        "least_bad_longest_gap_m_median": statistics.median(least_gap) if least_gap else math.nan,
    }
    for k, v in out.items():
        print(f"{k:34s} {v:.3f}" if isinstance(v, float) else f"{k:34s} {v}")
    p50_ms = statistics.median(times_ms)
    print(f"target p50 <= 5 ms: {'met' if p50_ms <= 5.0 else 'NOT met'}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
