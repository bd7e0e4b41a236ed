"""Benchmark of the routing core on the whole Kaiserslautern graph, against networkx and scipy.

Per preset: ``--queries`` seeded random pairs of points (random nodes moved a few metres); one
query is what a request costs once the profile's weights are cached: ``Router.snap`` twice plus
``Router.shortest_path`` (search and path extraction). Reported: median and p95 query time,
median settled nodes. Also the time to compute the weights of a customised profile, and the
first ``--baseline-queries`` pairs per preset solved on the same weights and the same snapped
points with networkx (bidirectional Dijkstra on a DiGraph, and ``shortest_path_length`` on a
MultiDiGraph) and scipy (``csgraph.dijkstra`` from a
virtual source): graph/matrix construction is excluded, the virtual end edges are included for
networkx (they are part of its query) and excluded for scipy (they are part of its matrix).
Costs must agree to 1e-9 relative.

Run::

    python benchmarks/bench_routing.py [--graph DIR] [--seed 0] [--json OUT]

Without ``--graph`` the default area's graph (``graphs.settings.default_graph_dir()``) is used and
built there first (with the DEM) when it has no ``meta.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from _support import graph_dir, random_points
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from accessibility_rules.profile import make_profile, preset_names
from accessibility_rules.weights import EdgeWeights, compute_weights
from graphs.store import load_graph
from routing.engine import Router
from routing.errors import NoRouteError
from routing.snapping import SnapPoint
from testers.compare import EndEdges, end_edges, min_edges

TARGET_MEDIAN_MS = 0.3
TARGET_VS_NETWORKX = 30.0
TARGET_WEIGHTS_MS = 5.0
REL = 1e-9


# ------------------------------------------------------------------------------------ setup


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else math.nan


class NetworkxBaseline:
    """networkx on the same weights, with virtual end nodes.

    ``bidirectional``: ``nx.bidirectional_dijkstra`` on a DiGraph (cheapest parallel edge kept),
    the fastest networkx way; otherwise ``nx.shortest_path_length`` (Dijkstra with early stop)
    on a MultiDiGraph of every finite edge.
    """

    def __init__(self, router: Router, w: EdgeWeights, *, bidirectional: bool) -> None:
        g = router.graph
        self.n = g.node_count
        self.bidirectional = bidirectional
        if bidirectional:
            tails, heads, costs = min_edges(g.tail, g.head, w.cost_s)
            self.graph = nx.DiGraph()
        else:
            finite = np.isfinite(w.cost_s)
            tails, heads, costs = g.tail[finite], g.head[finite], w.cost_s[finite]
            self.graph = nx.MultiDiGraph()
        self.graph.add_nodes_from(range(self.n + 2))
        self.graph.add_weighted_edges_from(
            zip(tails.tolist(), heads.tolist(), costs.tolist(), strict=True)
        )

    def query(self, starts: EndEdges, ends: EndEdges, direct: float) -> float:
        s, t = self.n, self.n + 1
        g = self.graph
        for u, v, c in [(s, node, c) for node, c in starts] + [(node, t, c) for node, c in ends]:
            if not math.isfinite(c):
                continue
            # both ends of a loop edge are one node: a DiGraph must keep the cheaper piece
            if self.bidirectional and g.has_edge(u, v) and g[u][v]["weight"] <= c:
                continue
            g.add_edge(u, v, weight=c)
        try:
            if self.bidirectional:
                cost = nx.bidirectional_dijkstra(g, s, t, weight="weight")[0]
            else:
                cost = nx.shortest_path_length(g, s, t, weight="weight")
        except nx.NetworkXNoPath:
            cost = math.inf
        finally:
            g.remove_edges_from(list(g.out_edges(s)) + list(g.in_edges(t)))
        return min(cost, direct)


class ScipyBaseline:
    """``scipy.sparse.csgraph.dijkstra`` from a virtual source (no early stop exists there)."""

    def __init__(self, router: Router, w: EdgeWeights) -> None:
        g = router.graph
        self.n = g.node_count
        self.base = min_edges(g.tail.astype(np.int64), g.head.astype(np.int64), w.cost_s)

    def matrix(self, starts: EndEdges, ends: EndEdges) -> sp.csr_matrix:
        """The graph plus the virtual end edges (built outside the timed part)."""
        s, t = self.n, self.n + 1
        tails = [s] * len(starts) + [node for node, _ in ends]
        heads = [node for node, _ in starts] + [t] * len(ends)
        costs = [c for _, c in starts] + [c for _, c in ends]
        all_t, all_h, all_c = min_edges(
            np.concatenate((self.base[0], tails)),
            np.concatenate((self.base[1], heads)),
            np.concatenate((self.base[2], costs)),
        )
        return sp.csr_matrix((all_c, (all_t, all_h)), shape=(self.n + 2, self.n + 2))

    def query(self, matrix: sp.csr_matrix, direct: float) -> float:
        dist = scipy_dijkstra(matrix, directed=True, indices=self.n, min_only=True)
        return min(float(dist[self.n + 1]), direct)


# -------------------------------------------------------------------------------- benchmark


def run_preset(
    router: Router, preset: str, queries: int, baseline: int, seed: int
) -> dict[str, Any]:
    metric = router.customize(make_profile(preset))
    w = metric.weights
    rng = np.random.default_rng(seed)
    points = random_points(router, rng, 2 * queries)
    pairs = list(zip(points[::2], points[1::2], strict=True))
    for origin, destination in pairs[:20]:  # warm-up (numba dispatch, caches)
        s, _ = router.snap(origin, w, "origin")
        t, _ = router.snap(destination, w, "destination")
        with contextlib.suppress(NoRouteError):
            router.shortest_path(s, t, metric)

    times_ms: list[float] = []
    settled: list[int] = []
    results: list[tuple[SnapPoint, SnapPoint, float]] = []
    no_route = 0
    clock = time.perf_counter_ns
    for origin, destination in pairs:
        start = clock()
        s, _ = router.snap(origin, w, "origin")
        t, _ = router.snap(destination, w, "destination")
        try:
            path = router.shortest_path(s, t, metric)
            cost, nodes = path.cost_s, path.settled_nodes
        except NoRouteError:
            cost, nodes = math.inf, -1
        times_ms.append((clock() - start) / 1e6)
        if nodes < 0:
            no_route += 1
        else:
            settled.append(nodes)
        results.append((s, t, cost))

    nx_bidi = NetworkxBaseline(router, w, bidirectional=True)
    nx_multi = NetworkxBaseline(router, w, bidirectional=False)
    sc_base = ScipyBaseline(router, w)
    nx_ms: list[float] = []
    nx_multi_ms: list[float] = []
    sc_ms: list[float] = []
    mismatches = {"networkx": 0, "networkx_multidigraph": 0, "scipy": 0}
    for s, t, cost in results[:baseline]:
        starts, ends, direct = end_edges(router, w, s, t)
        start = clock()
        nx_cost = nx_bidi.query(starts, ends, direct)
        nx_ms.append((clock() - start) / 1e6)
        start = clock()
        nx_multi_cost = nx_multi.query(starts, ends, direct)
        nx_multi_ms.append((clock() - start) / 1e6)
        matrix = sc_base.matrix(starts, ends)
        start = clock()
        sc_cost = sc_base.query(matrix, direct)
        sc_ms.append((clock() - start) / 1e6)
        for name, ref in (
            ("networkx", nx_cost),
            ("networkx_multidigraph", nx_multi_cost),
            ("scipy", sc_cost),
        ):
            same = (cost == ref == math.inf) or math.isclose(cost, ref, rel_tol=REL, abs_tol=1e-9)
            mismatches[name] += not same

    ours_base = statistics.median(times_ms[:baseline])
    return {
        "preset": preset,
        "queries": queries,
        "no_route": no_route,
        "median_ms": statistics.median(times_ms),
        "p95_ms": percentile(times_ms, 95),
        "settled_median": statistics.median(settled) if settled else math.nan,
        "baseline_queries": min(baseline, queries),
        "ours_baseline_median_ms": ours_base,
        "networkx_median_ms": statistics.median(nx_ms),
        "networkx_multidigraph_median_ms": statistics.median(nx_multi_ms),
        "scipy_median_ms": statistics.median(sc_ms),
        "vs_networkx": statistics.median(nx_ms) / ours_base,
        "vs_networkx_multidigraph": statistics.median(nx_multi_ms) / ours_base,
        "vs_scipy": statistics.median(sc_ms) / ours_base,
        "cost_mismatches": mismatches,
    }


def weights_ms(router: Router, repeats: int = 20) -> float:
    """Median time to compute the weights of a customised profile (no cache)."""
    profile = make_profile("wheelchair", {"max_kerb_height_cm": 4})
    compute_weights(profile, router.graph.edge, router.customizer.effective)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        compute_weights(profile, router.graph.edge, router.customizer.effective)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random pairs")
    parser.add_argument("--queries", type=int, default=1000, help="pairs per preset")
    parser.add_argument(
        "--baseline-queries", type=int, default=200, help="pairs per preset for networkx/scipy"
    )
    parser.add_argument("--presets", nargs="*", default=None, help="default: all presets")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.queries < 1 or args.baseline_queries < 1:
        parser.error(
            "--queries and --baseline-queries must be at least 1 (the figures are medians)"
        )

    folder = graph_dir(args.graph)
    graph = load_graph(folder)
    router = Router(graph)
    presets = args.presets or preset_names()
    print(
        f"graph {folder}: {graph.node_count} nodes, {graph.edge_count} edges; "
        f"{args.queries} queries/preset (baselines: {args.baseline_queries}), seed {args.seed}"
    )
    rows = [
        run_preset(router, p, args.queries, args.baseline_queries, args.seed + i)
        for i, p in enumerate(presets)
    ]
    w_ms = weights_ms(router)

    header = (
        f"{'preset':<20}{'median ms':>10}{'p95 ms':>9}{'settled':>9}{'no route':>9}"
        f"{'nx bidi':>9}{'nx dijk':>9}{'scipy ms':>10}{'×nx bidi':>10}{'×nx dijk':>10}"
        f"{'×scipy':>8}{'mismatch':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        mm = r["cost_mismatches"]
        print(
            f"{r['preset']:<20}{r['median_ms']:>10.3f}{r['p95_ms']:>9.3f}"
            f"{r['settled_median']:>9.0f}{r['no_route']:>9d}{r['networkx_median_ms']:>9.2f}"
            f"{r['networkx_multidigraph_median_ms']:>9.2f}{r['scipy_median_ms']:>10.2f}"
            f"{r['vs_networkx']:>10.1f}{r['vs_networkx_multidigraph']:>10.1f}"
            f"{r['vs_scipy']:>8.1f}{sum(mm.values()):>10d}"
        )
    print(
        "(medians over the first baseline pairs; nx bidi = nx.bidirectional_dijkstra on a "
        "DiGraph, nx dijk = nx.shortest_path_length on a MultiDiGraph; ×: their time / ours)"
    )
    print(f"\nweights of a customised profile (wheelchair, max_kerb_height_cm=4): {w_ms:.2f} ms")

    worst_median = max(r["median_ms"] for r in rows)
    worst_nx = min(r["vs_networkx"] for r in rows)
    worst_nx_multi = min(r["vs_networkx_multidigraph"] for r in rows)
    worst_scipy = min(r["vs_scipy"] for r in rows)
    mismatches = sum(sum(r["cost_mismatches"].values()) for r in rows)
    targets = {
        f"median query <= {TARGET_MEDIAN_MS} ms (worst preset {worst_median:.3f} ms)": (
            worst_median <= TARGET_MEDIAN_MS
        ),
        f">= {TARGET_VS_NETWORKX:g}x faster than networkx bidirectional Dijkstra "
        f"(worst preset {worst_nx:.1f}x)": worst_nx >= TARGET_VS_NETWORKX,
        f">= {TARGET_VS_NETWORKX:g}x faster than networkx Dijkstra on a MultiDiGraph "
        f"(worst preset {worst_nx_multi:.1f}x)": worst_nx_multi >= TARGET_VS_NETWORKX,
        f"faster than scipy (worst preset {worst_scipy:.1f}x)": worst_scipy > 1.0,
        f"weights <= {TARGET_WEIGHTS_MS:g} ms ({w_ms:.2f} ms)": w_ms <= TARGET_WEIGHTS_MS,
        f"costs agree with networkx and scipy ({mismatches} mismatches)": mismatches == 0,
    }
    print()
    for text, ok in targets.items():
        print(f"{verdict(ok)}  {text}")

    if args.json_out:
        out = {
            "graph": str(folder),
            "nodes": graph.node_count,
            "edges": graph.edge_count,
            "seed": args.seed,
            "machine": platform.platform(),
            "python": platform.python_version(),
            "presets": rows,
            "weights_custom_profile_ms": w_ms,
            "targets": {text: ok for text, ok in targets.items()},
        }
        Path(args.json_out).write_text(json.dumps(out, indent=2))
        print(f"\nfigures written to {args.json_out}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
