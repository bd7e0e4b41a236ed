"""Benchmark of ``POST /matrix``: a 100 × 100 matrix on the whole Kaiserslautern graph, per preset.

Per preset, 100 sources and 100 targets are drawn with :class:`testers.pairs.PointSampler`
(seeded, on the streets of the largest component). Timed: ``cost_matrix`` itself (snapping all
200 points, one Dijkstra per source, distances and durations from the search tree) — best and
median of ``--repeats`` — and one ``POST /matrix`` through the FastAPI app in process (request
validation, JSON encoding of the matrices). ``--check`` cells per preset are compared with
single ``Router.route`` requests (costs must agree to 1e-9 relative, verdicts exactly). The
shares of the verdicts ``yes`` / ``unknown`` / ``no`` are printed per preset.

Target: every preset's 100 × 100 matrix in under 2 s (the HTTP request included).

Run::

    python benchmarks/bench_matrix.py [--graph DIR] [--seed 0] [--size 100] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _support import graph_dir

from accessibility_rules.profile import preset_names
from graphs.store import load_graph
from routing.engine import Router
from routing.errors import NoRouteError
from routing.matrix import MatrixResult, cost_matrix
from routing.query import LatLon
from routing.route import VERDICTS
from testers.pairs import PointSampler

TARGET_S = 2.0
REL = 1e-9


def check_cells(
    router: Router, m: MatrixResult, sources: list[LatLon], targets: list[LatLon], preset: str,
    k: int, rng: np.random.Generator,
) -> int:  # fmt: skip
    """Mismatches (cost or verdict) between ``k`` random cells and single route requests."""
    bad = 0
    for _ in range(k):
        i, j = int(rng.integers(len(sources))), int(rng.integers(len(targets)))
        try:
            route = router.route(sources[i], targets[j], preset, compare_walk=False)
            cost, verdict = route.cost_s, route.accessibility.verdict
        except NoRouteError:
            cost, verdict = math.inf, None
        got = float(m.cost_s[i, j])
        same = (math.isinf(cost) and math.isinf(got)) or math.isclose(got, cost, rel_tol=REL)
        bad += not (same and m.verdict[i, j] == verdict)
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=100, help="sources = targets = SIZE")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per preset")
    parser.add_argument("--check", type=int, default=200, help="cells checked per preset")
    parser.add_argument("--presets", nargs="*", default=None, help="default: all presets")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    folder = graph_dir(args.graph)
    router = Router(load_graph(folder))
    router.warm_up()
    sampler = PointSampler(router.graph)
    presets = args.presets or preset_names()
    n = args.size
    app = create_app(Settings(graph_dir=folder, max_matrix_cells=max(n * n, 10_000)), router=router)
    print(
        f"graph {folder}: {router.graph.node_count} nodes, {router.graph.edge_count} edges; "
        f"{n} x {n} matrix per preset, seed {args.seed}"
    )
    header = f"{'preset':<20}{'best s':>8}{'median s':>10}{'HTTP s':>8}{'reachable':>11}{'yes':>8}{'unknown':>9}{'no':>7}{'mismatch':>10}"  # fmt: skip
    print(header)
    print("-" * len(header))
    rows = []
    with TestClient(app) as client:
        for k, preset in enumerate(presets):
            rng = np.random.default_rng(args.seed + k)
            points = sampler.points(2 * n, rng)
            sources, targets = points[:n], points[n:]
            router.customize(router.profile(preset))  # metrics are cached by the service too
            cost_matrix(router, sources[:2], targets[:2], preset)  # warm-up
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                m = cost_matrix(router, sources, targets, preset)
                times.append(time.perf_counter() - start)
            body = {
                "sources": [{"lat": a, "lon": b} for a, b in sources],
                "targets": [{"lat": a, "lon": b} for a, b in targets],
                "profile": {"name": preset},
            }
            start = time.perf_counter()
            response = client.post("/matrix", json=body)
            http_s = time.perf_counter() - start
            if response.status_code != 200:
                print(f"{preset}: HTTP {response.status_code} {response.text[:200]}")
                return 1
            mismatches = check_cells(router, m, sources, targets, preset, args.check, rng)
            row = {
                "preset": preset,
                "best_s": min(times),
                "median_s": statistics.median(times),
                "http_s": http_s,
                "reachable_pct": 100.0 * float(m.reachable.mean()),
                **{f"{v}_pct": 100.0 * float((m.verdict == v).mean()) for v in VERDICTS},
                "settled_nodes": m.settled_nodes,
                "checked_cells": args.check,
                "mismatches": mismatches,
            }
            rows.append(row)
            print(
                f"{preset:<20}{row['best_s']:>8.3f}{row['median_s']:>10.3f}{http_s:>8.3f}"
                f"{row['reachable_pct']:>10.1f}%{row['yes_pct']:>7.1f}%{row['unknown_pct']:>8.1f}%"
                f"{row['no_pct']:>6.1f}%"
                f"{mismatches:>10d}"
            )
    worst = max(max(r["median_s"], r["http_s"]) for r in rows)
    mismatches = sum(r["mismatches"] for r in rows)
    targets_met = {
        f"{n} x {n} matrix under {TARGET_S:g} s for every preset (worst {worst:.3f} s)": worst
        < TARGET_S,
        f"cells agree with single queries ({mismatches} mismatches)": mismatches == 0,
    }
    print()
    for text, ok in targets_met.items():
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    if args.json_out:
        out = {"graph": str(folder), "size": n, "presets": rows, "targets": targets_met}
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0 if all(targets_met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
