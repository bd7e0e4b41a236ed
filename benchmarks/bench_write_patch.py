"""Benchmark: what one staff write costs the routes of every cached profile, in process.

On the whole Kaiserslautern graph, ``--profiles`` profiles (presets and personal ones) are
customised and cached; then ``--writes`` times one obstacle-like change of a few edges' attributes
(a way narrowed to 0.5 m, seeded edges) is swapped in with ``Customizer.replace_attributes`` (what
the obstacle overlay does: only the rows of the derived tables the change reaches re-derived, here
the narrowed edges; ``--all-rows`` every row, as this script measured until 2026-12-07, which no
write does since 2026-12-05), and one route per cached profile follows. Printed: medians of the swap
(ms) and of the first route per profile after it (ms; with the metrics dropped, each pays a full
customisation; patched, none). Side by side with an older commit::

    python benchmarks/compare_commits.py --base 55b71d8 --rounds 1 -- bench_write_patch.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _support import graph_dir

from graphs.store import load_graph
from routing.engine import Router
from routing.errors import NoRouteError

PROFILES = [
    ("walk", {}), ("wheelchair", {}), ("rollator", {}), ("blind", {}), ("stroller", {}),
    ("wheelchair", {"max_kerb_height_cm": 2.5}), ("rollator", {"walking_speed_mps": 0.7}),
    ("walk", {"walking_speed_mps": 1.0}),
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Measure, print and optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument(
        "--all-rows", action="store_true",
        help="re-derive every row of the derived tables (before 2026-12-05 every write did)",
    )  # fmt: skip
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    router = Router(load_graph(graph_dir(args.graph)))
    router.warm_up()
    g = router.graph
    profiles = [router.profile(name, overrides) for name, overrides in PROFILES]
    a = (float(g.node["lat"][10]), float(g.node["lon"][10]))
    b = (float(g.node["lat"][g.node_count // 2]), float(g.node["lon"][g.node_count // 2]))
    for p in profiles:
        router.customize(p)
    rng = np.random.default_rng(0)
    swaps, firsts = [], []
    for _ in range(args.writes):
        edge = dict(router.graph.edge)
        width = np.array(edge["width_m"], copy=True)
        narrowed = np.unique(rng.integers(0, g.edge_count, 6))
        width[narrowed] = 0.5
        edge["width_m"] = width
        t0 = time.perf_counter()
        # as the obstacle overlay swaps: the rows a change reaches (an edge attribute: its own)
        router.customizer.replace_attributes(
            edge, router.graph.node, edges=None if args.all_rows else narrowed
        )
        swaps.append((time.perf_counter() - t0) * 1e3)
        for p in profiles:
            t0 = time.perf_counter()
            with contextlib.suppress(NoRouteError):
                router.route(a, b, p, compare_walk=False)
            firsts.append((time.perf_counter() - t0) * 1e3)
    row = {
        "swap_median_ms": statistics.median(swaps),
        "first_route_after_write_median_ms": statistics.median(firsts),
        "all_profiles_after_write_ms": statistics.median(swaps)
        + len(profiles) * statistics.median(firsts),
    }
    print(
        f"{len(profiles)} cached profiles: swap {row['swap_median_ms']:.2f} ms, first route per "
        f"profile after a write {row['first_route_after_write_median_ms']:.2f} ms (medians)"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
