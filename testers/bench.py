"""``stufenlos bench``: route many pairs under every profile; write CSV, JSON summary and plots.

Outputs (in ``--out``, default ``benchmarks/out/<UTC timestamp>`` under the current folder):
``pairs.csv`` (the pairs used), ``results.csv`` (one row per pair and profile), ``summary.json``
(per-profile figures and run metadata, see :mod:`testers.report`), ``latency.png``,
``detour.png`` and ``routes_map.png``.

Exit status: 0 when all is well; 3 when ``--baseline`` is given and a regression is found; 1 when
``--compare networkx`` finds a cost that networkx does not confirm; 2 on bad input (a pairs file,
a baseline, a profile name or a graph that cannot be read).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from graphs.stamps import utc_stamp
from testers.pairs import MIN_SEPARATION_M, PairsError, random_pairs, read_pairs, write_pairs
from testers.report import (
    BaselineError,
    find_regressions,
    format_table,
    load_baseline,
    summarize,
    write_results_csv,
    write_summary,
)

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_USAGE = 2
EXIT_REGRESSION = 3
DEFAULT_RANDOM_PAIRS = 1000


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _software_version() -> str:
    try:
        return metadata.version("stufenlos")
    except metadata.PackageNotFoundError:
        return "unknown"


def _command_line(args: argparse.Namespace, profiles: list[str], out: Path) -> str:
    """The command that reproduces this run (with every default spelled out)."""
    parts = ["stufenlos", "bench", "--graph", str(args.graph_dir)]
    if args.pairs:
        parts += ["--pairs", str(args.pairs)]
    else:
        parts += ["--random", str(args.random or DEFAULT_RANDOM_PAIRS), "--seed", str(args.seed)]
    parts += ["--profiles", ",".join(profiles), "--jobs", str(args.jobs_used), "--out", str(out)]
    if args.compare:
        parts += ["--compare", args.compare]
    if args.baseline:
        parts += ["--baseline", str(args.baseline)]
    return " ".join(parts)


def _profiles(text: str | None) -> list[str]:
    from accessibility_rules.profile import make_profile, preset_names

    if not text or text.strip() == "all":
        return preset_names()
    names: list[str] = []
    for name in (n.strip() for n in text.split(",")):
        if name and name not in names:
            make_profile(name)  # raises UnknownProfileError with suggestions
            names.append(name)
    if not names:
        raise PairsError("--profiles names no profile")
    return names


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark described by the parsed ``stufenlos bench`` arguments."""
    try:
        return _run(args)
    except (PairsError, BaselineError) as exc:
        print(f"stufenlos bench: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    from graphs import settings
    from graphs.store import load_graph
    from routing.engine import Router

    t0 = time.perf_counter()
    stamp = datetime.now(UTC)
    # other work on the machine skews latency: recorded so that runs can be judged
    load_at_start = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    profiles = _profiles(args.profiles)
    baseline = load_baseline(args.baseline) if args.baseline else None
    args.graph_dir = Path(args.graph) if args.graph else settings.default_graph_dir()
    graph = load_graph(args.graph_dir)
    router = Router(graph)
    out = (
        Path(args.out)
        if args.out
        else Path("benchmarks") / "out" / stamp.strftime("%Y%m%dT%H%M%SZ")
    )
    out.mkdir(parents=True, exist_ok=True)
    t_load = time.perf_counter()

    if args.pairs:
        pairs = read_pairs(args.pairs)
        pairs_meta: dict[str, Any] = {"source": "csv", "file": str(args.pairs), "seed": None}
    else:
        n = args.random or DEFAULT_RANDOM_PAIRS
        pairs = random_pairs(graph, n, args.seed)
        pairs_meta = {"source": "random", "seed": args.seed, "min_separation_m": MIN_SEPARATION_M}
    pairs_csv = write_pairs(pairs, out / "pairs.csv")
    pairs_meta |= {"count": len(pairs), "sha256": _sha256(pairs_csv)}
    t_pairs = time.perf_counter()

    from testers.runner import run_pairs

    jobs = args.jobs if args.jobs else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(pairs) * len(profiles)))
    args.jobs_used = jobs
    print(
        f"stufenlos bench: {len(pairs)} pairs × {len(profiles)} profiles on {args.graph_dir} "
        f"({graph.node_count} nodes, {graph.edge_count} edges), {jobs} process(es) → {out}",
        file=sys.stderr,
    )
    output = run_pairs(
        router, pairs, profiles, jobs=jobs, graph_dir=args.graph_dir,
        compare=args.compare == "networkx", progress=not args.quiet,
    )  # fmt: skip
    t_routes = time.perf_counter()
    write_results_csv(output.results, out / "results.csv")

    from testers.plots import plot_all

    plot_all(router, output.results, pairs, profiles, out)
    t_plots = time.perf_counter()

    meta = graph.meta
    run_meta: dict[str, Any] = {
        "timestamp": utc_stamp(stamp),
        "command": _command_line(args, profiles, out),
        "software_version": _software_version(),
        "graph": {
            "dir": str(args.graph_dir),
            "source": meta.get("source"),
            "source_sha256": meta.get("source_sha256"),
            "built_at": meta.get("built_at"),
            "built_with_version": meta.get("software_version"),
            "nodes": graph.node_count,
            "edges": graph.edge_count,
        },
        "seed": pairs_meta.get("seed"),
        "pair_count": len(pairs),
        "pairs": pairs_meta,
        "profiles": profiles,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.machine(),
            "python": platform.python_version(),
            "load_average_at_start": load_at_start,
        },
        "seconds": {
            "load": round(t_load - t0, 3),
            "pairs": round(t_pairs - t_load, 3),
            "routing": round(t_routes - t_pairs, 3),
            "plots": round(t_plots - t_routes, 3),
            "total": round(time.perf_counter() - t0, 3),
        },
    }
    summary = summarize(output, profiles, run_meta)
    status = EXIT_OK
    regressions: list[dict[str, Any]] = []
    if baseline is not None:
        regressions, notes = find_regressions(summary, baseline)
        summary["baseline"] = {
            "file": str(args.baseline),
            "timestamp": (baseline.get("run") or {}).get("timestamp"),
            "notes": notes,
        }
        summary["regressions"] = regressions
    write_summary(summary, out / "summary.json")

    print(format_table(summary))
    nx_cmp = summary.get("comparison", {}).get("networkx")
    if nx_cmp and nx_cmp["agreeing"] != nx_cmp["pairs_compared"]:
        print(f"MISMATCH: {nx_cmp['pairs_compared'] - nx_cmp['agreeing']} costs differ from networkx")  # fmt: skip
        status = EXIT_MISMATCH
    if baseline is not None:
        for note in summary["baseline"]["notes"]:
            print(f"note: {note}")
        if regressions:
            print(f"REGRESSIONS against {args.baseline}:")
            for r in regressions:
                print(
                    f"  {r['profile']}: {r['metric']} {r['baseline']} → {r['current']} "
                    f"({r['change']}, threshold {r['threshold']})"
                )
            status = EXIT_REGRESSION
        else:
            print(f"no regressions against {args.baseline}")
    seconds = summary["run"]["seconds"]
    print(
        f"{len(output.results)} routes in {seconds['routing']:.1f} s "
        f"(total {seconds['total']:.1f} s); written to {out}"
    )
    return status
