"""Benchmark the graph build: the whole Kaiserslautern extract with its elevation model.

    python benchmarks/bench_build.py [--repeat N] [--osm FILE] [--dem FILE] [--json OUT.json]

Every run builds in a fresh child process (``multiprocessing`` spawn), so the peak memory
(``ru_maxrss``) is the build's own and not the benchmark's; the child times each build stage
by wrapping the progress callback. The parent then times loading the result. Prints a table per
run, a summary and the targets (build < 30 s, peak memory < 2 GB) with PASS/FAIL.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_BUILD_S = 30.0
TARGET_PEAK_MB = 2048.0
LOAD_REPEATS = 5


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _child_build(osm: str, dem: str | None, out_dir: str, queue: mp.Queue) -> None:
    """Run in a fresh process: build, time the stages, report peak memory."""
    try:
        t0 = time.perf_counter()
        from graphs.pipeline import SourceSpec, build_to_dir

        import_s = time.perf_counter() - t0
        marks: list[tuple[str, float]] = []

        def progress(message: str) -> None:
            marks.append((message, time.perf_counter()))

        start = time.perf_counter()
        report = build_to_dir(
            SourceSpec(osm=Path(osm)),
            Path(out_dir),
            dem_path=Path(dem) if dem else None,
            progress=progress,
        )
        end = time.perf_counter()
        stages: list[tuple[str, float]] = []
        if marks and marks[0][1] - start > 0.0005:
            stages.append(("opening the elevation model", marks[0][1] - start))
        for (name, t), (_, t_next) in zip(marks, [*marks[1:], ("end", end)], strict=True):
            stages.append((name, t_next - t))
        queue.put(
            {
                "ok": True,
                "import_s": import_s,
                "build_s": end - start,
                "stages": stages,
                "peak_mb": _peak_rss_mb(),
                "nodes": report["counts"]["nodes"],
                "edges": report["counts"]["edges_directed"],
                "network_km": report["counts"]["network_km"],
            }
        )
    except BaseException as exc:
        queue.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        raise


def run_once(osm: Path, dem: Path | None, out_dir: Path) -> dict[str, Any]:
    """One build in a spawned child process, then the load time of its result in this one."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    started = time.perf_counter()
    child = ctx.Process(
        target=_child_build, args=(str(osm), str(dem) if dem else None, str(out_dir), queue)
    )
    child.start()
    result = queue.get()
    child.join()
    result["process_s"] = time.perf_counter() - started
    if not result["ok"]:
        raise SystemExit(f"build failed: {result['error']}")
    from graphs.store import load_graph

    load_graph(out_dir)  # warm the page cache: the service loads a graph it just built
    times = []
    for _ in range(LOAD_REPEATS):
        t = time.perf_counter()
        load_graph(out_dir)
        times.append(time.perf_counter() - t)
    result["load_s"] = min(times)
    return result


def _print_run(i: int, r: dict[str, Any]) -> None:
    print(f"\nrun {i}: {r['nodes']} nodes, {r['edges']} directed edges, {r['network_km']} km")
    print(f"  {'stage':<50} {'seconds':>8}")
    print(f"  {'(imports in the child process)':<50} {r['import_s']:8.3f}")
    for name, seconds in r["stages"]:
        print(f"  {name:<50} {seconds:8.3f}")
    print(f"  {'total build (build_to_dir)':<50} {r['build_s']:8.3f}")
    print(f"  {'child process wall time (start, imports, build)':<50} {r['process_s']:8.3f}")
    print(f"  {'peak memory (ru_maxrss of the child), MB':<50} {r['peak_mb']:8.1f}")
    print(f"  {f'load time (best of {LOAD_REPEATS}), ms':<50} {r['load_s'] * 1000:8.1f}")


def main(argv: list[str] | None = None) -> int:
    from graphs import settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="number of builds (default 1)")
    parser.add_argument("--osm", default=str(settings.data_file(settings.area_osm)))
    parser.add_argument("--dem", default=str(settings.data_file(settings.area_dem)))
    parser.add_argument("--no-dem", action="store_true", help="build without elevation model")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    osm = Path(args.osm)
    dem = None if args.no_dem else Path(args.dem)
    for path in (osm, dem):
        if path is not None and not path.is_file():
            print(f"bench_build: {path} does not exist (see STUFENLOS_DATA_DIR)", file=sys.stderr)
            return 2

    print(f"building {osm.name}" + (f" with {dem.name}" if dem else " without DEM"))
    print(f"{args.repeat} run(s), each in a fresh process")
    runs = []
    with tempfile.TemporaryDirectory(prefix="stufenlos-bench-") as tmp:
        for i in range(1, args.repeat + 1):
            result = run_once(osm, dem, Path(tmp) / f"graph-{i}")
            _print_run(i, result)
            runs.append(result)

    builds = [r["build_s"] for r in runs]
    peak = max(r["peak_mb"] for r in runs)
    worst = max(builds)
    print("\nsummary")
    print(f"  {'':<28} {'min':>8} {'median':>8} {'max':>8}")
    print(f"  {'build, s':<28} {min(builds):8.2f} {statistics.median(builds):8.2f} {worst:8.2f}")
    peaks = [r["peak_mb"] for r in runs]
    print(
        f"  {'peak memory, MB':<28} {min(peaks):8.0f} {statistics.median(peaks):8.0f} {peak:8.0f}"
    )
    loads = [r["load_s"] * 1000 for r in runs]
    print(f"  {'load, ms':<28} {min(loads):8.1f} {statistics.median(loads):8.1f} {max(loads):8.1f}")
    checks = [
        ("build time (worst run)", f"{worst:.2f} s", f"< {TARGET_BUILD_S:.0f} s", worst < TARGET_BUILD_S),
        ("peak memory (worst run)", f"{peak:.0f} MB", f"< {TARGET_PEAK_MB / 1024:.0f} GB", peak < TARGET_PEAK_MB),
    ]  # fmt: skip
    print("\ntargets")
    for name, value, target, ok in checks:
        print(f"  {name:<28} {value:>10}  {target:<8} {'PASS' if ok else 'FAIL'}")
    if args.json:
        figures = {
            "osm": str(osm),
            "dem": str(dem) if dem else None,
            "runs": runs,
            "targets": {name: {"value": v, "target": t, "pass": ok} for name, v, t, ok in checks},
        }
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
