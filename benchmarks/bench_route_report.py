"""Benchmark: the bare search against a whole route with its report and instructions, in process.

Per preset, ``--queries`` seeded random trips on the whole Kaiserslautern graph (random nodes
moved a few metres, as in ``bench_routing.py``), the profile's metric cached:

* **bare**: ``Router.snap`` of both ends plus ``Router.shortest_path`` (what the search costs);
* **whole**: what ``POST /routes`` computes in process: ``Router.route`` (snapping, search, the
  plain-walk detour search, the report with its verdict, ``ends_short``), ``Route.as_dict`` and
  the German ``instructions`` with their ``as_dict``;
* **stages** of the whole, each timed on its own over the same trips: ``snap`` (both ends),
  ``search``, ``walk`` (the detour's plain walking search), ``report`` (``build_route``),
  ``instructions`` and ``as_dict``;
* **objects**: the answer's dicts, lists, numbers and strings (the route's ``as_dict`` and the
  steps) made by orjson's C parser from their JSON: what making those objects costs at the
  least, with no computation in Python.

Printed: medians and p95 in ms, ``whole ÷ bare`` (the issue's target: ≤ 2), and the budget the
target leaves: ``2 × bare − (snap + search + walk)`` for the report, the instructions and the
answer's objects, beside what those take today and what the objects alone take. Side by side
with an older commit, in one run::

    python benchmarks/compare_commits.py --base 55b71d8 --match median -- \\
        bench_route_report.py --queries 300

Run alone::

    python benchmarks/bench_route_report.py [--graph DIR] [--queries 300] [--json OUT]
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from _support import graph_dir, random_points

from graphs.store import load_graph
from routing.engine import Router
from routing.errors import NoRouteError
from routing.instructions import instructions, steps_json
from routing.report import build_route

TARGET_RATIO = 2.0


def timed(fn: Callable[[], Any]) -> float:
    """Milliseconds one call of ``fn`` takes."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def summary(values: list[float]) -> dict[str, float]:
    """Median and p95 of ``values`` (ms)."""
    return {
        "median_ms": statistics.median(values),
        "p95_ms": float(np.percentile(np.asarray(values), 95)),
    }


def run_preset(router: Router, preset: str, queries: int, seed: int) -> dict[str, Any]:
    """Time bare searches, whole routes and their stages over ``queries`` trips of ``preset``."""
    rng = np.random.default_rng(seed)
    points = random_points(router, rng, 2 * queries)
    profile = router.profile(preset)
    metric = router.customize(profile)
    walk = router.customize(router.profile("walk"))
    trips = []
    for a, b in zip(points[::2], points[1::2], strict=True):
        s, _ = router.snap(a, metric, "origin")
        t, _ = router.snap(b, metric, "destination")
        try:
            path = router.shortest_path(s, t, metric)
        except NoRouteError:
            continue
        trips.append((a, b, s, t, path))

    def bare(a: Any, b: Any) -> None:
        s, _ = router.snap(a, metric, "origin")
        t, _ = router.snap(b, metric, "destination")
        router.shortest_path(s, t, metric)

    def snap_both(a: Any, b: Any) -> None:
        router.snap(a, metric, "origin")
        router.snap(b, metric, "destination")

    def steps(route: Any) -> None:
        steps_json(instructions(route, "de", avoided=[]))

    def whole(a: Any, b: Any) -> None:
        route = router.route(a, b, profile)
        route.as_dict()
        steps_json(instructions(route, "de", avoided=[]))

    times: dict[str, list[float]] = {
        k: [] for k in ("bare", "whole", "snap", "search", "walk", "report", "instructions")
    }
    times["as_dict"] = []
    times["objects"] = []
    objects: list[int] = []
    table = router.customizer.report_table()
    for _ in range(2):  # warm: the first pass fills caches of names and numba dispatch
        for a, b, *_rest in trips[:20]:
            whole(a, b)
    for a, b, s, t, path in trips:
        times["bare"].append(timed(functools.partial(bare, a, b)))
        times["whole"].append(timed(functools.partial(whole, a, b)))
        times["snap"].append(timed(functools.partial(snap_both, a, b)))
        times["search"].append(timed(functools.partial(router.shortest_path, s, t, metric)))
        try:
            walk_path = router.shortest_path(s, t, walk)
        except NoRouteError:
            walk_path = None
        times["walk"].append(timed(functools.partial(router.shortest_path, s, t, walk)))
        report = functools.partial(
            build_route, router.graph, table, profile, metric.weights, path, walk_path
        )
        route = report()
        times["report"].append(timed(report))
        times["instructions"].append(timed(functools.partial(steps, route)))
        times["as_dict"].append(timed(route.as_dict))
        answer = {"route": route.as_dict(), "steps": steps_json(instructions(route, "de"))}
        text = orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)
        times["objects"].append(timed(functools.partial(orjson.loads, text)))
        objects.append(count_objects(orjson.loads(text)))
    row: dict[str, Any] = {"preset": preset, "trips": len(trips)}
    for name, values in times.items():
        row[name] = summary(values)
    row["ratio_median"] = row["whole"]["median_ms"] / row["bare"]["median_ms"]
    row["objects_median"] = statistics.median(objects)
    med = {name: row[name]["median_ms"] for name in times}
    # the plain walk's route is its own detour reference: no second search
    searches = med["snap"] + med["search"] + (0.0 if preset == "walk" else med["walk"])
    row["left_at_target_ms"] = TARGET_RATIO * med["bare"] - searches
    row["besides_searches_ms"] = med["whole"] - searches
    row["after_search_ms"] = med["report"] + med["instructions"] + med["as_dict"]
    return row


def count_objects(value: Any) -> int:
    """The objects of a JSON-ready value: every dict, list, number and string."""
    if isinstance(value, dict):
        return 1 + sum(count_objects(v) for v in value.values()) + len(value)
    if isinstance(value, list):
        return 1 + sum(count_objects(v) for v in value)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the presets, print the table and the target's verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--queries", type=int, default=300, help="trips per preset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--presets", nargs="*", default=["wheelchair", "walk", "rollator"])
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)

    folder = graph_dir(args.graph)
    router = Router(load_graph(folder))
    router.warm_up()
    rows = [run_preset(router, p, args.queries, args.seed + i) for i, p in enumerate(args.presets)]
    stages = ("snap", "search", "walk", "report", "instructions", "as_dict")
    header = f"{'preset':<12}{'bare':>8}{'whole':>8}{'ratio':>7}" + "".join(
        f"{s:>13}" for s in stages
    )
    print(f"graph {folder}; {args.queries} trips per preset; medians in ms")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['preset']:<12}{r['bare']['median_ms']:>8.3f}{r['whole']['median_ms']:>8.3f}"
            f"{r['ratio_median']:>7.2f}" + "".join(f"{r[s]['median_ms']:>13.3f}" for s in stages)
        )
    print(
        "\nthe target's budget (medians, ms): 2 × bare − (snap + search + walk) is left for "
        "the rest of the whole route: the report, the instructions and the answer's objects"
    )
    for r in rows:
        print(
            f"{r['preset']:<12}left {r['left_at_target_ms']:.3f}; the rest of the whole takes "
            f"{r['besides_searches_ms']:.3f} (report + instructions + as_dict alone "
            f"{r['after_search_ms']:.3f}); the answer's "
            f"{r['objects_median']:.0f} objects made from JSON by orjson's C parser "
            f"{r['objects']['median_ms']:.3f}"
        )
    worst = max(r["ratio_median"] for r in rows)
    ok = worst <= TARGET_RATIO
    print(
        f"\n{'PASS' if ok else 'MISS'}  whole route (report + instructions) median ≤ "
        f"{TARGET_RATIO:g}× the bare search (worst preset {worst:.2f}×)"
    )
    if args.json_out:
        out = {
            "graph": str(folder),
            "machine": platform.platform(),
            "python": platform.python_version(),
            "presets": rows,
            "worst_ratio": worst,
        }
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
