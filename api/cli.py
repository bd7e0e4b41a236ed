"""The ``stufenlos`` command: build graphs, route, serve, benchmark.

Every subcommand imports its heavy modules lazily so that ``stufenlos --help`` is instant.
Expected failures (bad files, bad coordinates, unknown profiles) print one sentence to stderr
and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            "--bbox needs four numbers: WEST,SOUTH,EAST,NORTH"
        ) from None
    if not (west < east and south < north):
        raise argparse.ArgumentTypeError("--bbox needs WEST < EAST and SOUTH < NORTH")
    return west, south, east, north


def _progress_bar(total: int) -> tuple[object, object]:
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        unit="step",
        file=sys.stderr,
        leave=True,
        bar_format="{desc:<48}{bar}| {elapsed}",
    )

    def step(message: str) -> None:
        bar.set_description_str(message)
        bar.update(1)

    return bar, step


def cmd_build(args: argparse.Namespace) -> int:
    """``stufenlos build``: OSM source → compiled graph folder + coverage report."""
    from graphs import settings
    from graphs.coverage import format_report
    from graphs.pipeline import SourceSpec, build_to_dir, default_area_source

    out = Path(args.out) if args.out else settings.default_graph_dir()
    if args.if_missing and (out / "meta.json").is_file():
        from graphs.model import GraphFormatError
        from graphs.store import load_graph

        try:
            load_graph(out)
            print(f"graph already built in {out}", file=sys.stderr)
            return 0
        except GraphFormatError as exc:
            print(f"rebuilding {out}: {exc}", file=sys.stderr)
    dem = Path(args.dem) if args.dem else None
    if args.default_area:
        source, default_dem = default_area_source()
        dem = dem or default_dem
    else:
        source = SourceSpec(
            osm=Path(args.osm) if args.osm else None, place=args.place, bbox=args.bbox
        )
    bar, step = _progress_bar(total=8)
    try:
        report = build_to_dir(
            source,
            out,
            dem_path=dem,
            boundary_path=Path(args.boundary) if args.boundary else None,
            progress=step,  # type: ignore[arg-type]
        )
    finally:
        bar.close()  # type: ignore[attr-defined]
    print(format_report(report))
    print(f"\ngraph written to {out}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``stufenlos info``: print the metadata and coverage of a built graph."""
    import json

    from graphs.store import load_graph

    graph = load_graph(args.graph)
    meta = {k: v for k, v in graph.meta.items() if k != "coverage"}
    print(json.dumps(meta | {"coverage": graph.meta.get("coverage")}, indent=2, ensure_ascii=False))
    return 0


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON, got {text!r}") from None
    return lat, lon


def cmd_route(args: argparse.Namespace) -> int:
    """``stufenlos route``: one route, printed as a summary or as GeoJSON."""
    import json

    from accessibility_rules.profile import parse_override_value
    from graphs.store import load_graph
    from routing.engine import Router

    overrides = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"--set needs key=value, got {item!r}")
        overrides[key.strip()] = parse_override_value(key.strip(), value.strip())
    router = Router(load_graph(args.graph))
    route = router.route(
        args.origin, args.destination, args.profile, strict=args.strict, **overrides
    )
    if args.json:
        print(json.dumps(route.to_geojson(), ensure_ascii=False, indent=1))
    else:
        print(route.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """``stufenlos serve``: run the HTTP API with uvicorn (building the graph if asked)."""
    import os

    import uvicorn

    from graphs import settings
    from graphs.store import load_graph

    graph_dir = Path(args.graph) if args.graph else settings.default_graph_dir()
    if args.osm:
        from graphs.pipeline import SourceSpec, build_to_dir

        graph_dir = settings.cache_dir / "graphs" / Path(args.osm).name.split(".")[0]
        if not (graph_dir / "meta.json").is_file():
            build_to_dir(
                SourceSpec(osm=Path(args.osm)),
                graph_dir,
                dem_path=Path(args.dem) if args.dem else None,
            )
    load_graph(graph_dir)  # fail here, with one sentence, rather than inside a worker
    from api.db.commands import migrate_before_serving

    migrate_before_serving()  # once, before the workers start (they would race on SQLite)
    os.environ["STUFENLOS_GRAPH_DIR"] = str(graph_dir)
    print(
        f"stufenlos: serving {graph_dir} on http://{args.host}:{args.port} (docs: /docs)",
        file=sys.stderr,
    )
    uvicorn.run(
        "api.app:create_app", factory=True, host=args.host, port=args.port,
        workers=args.workers, log_level=args.log_level, access_log=False,
    )  # fmt: skip
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """``stufenlos bench``: many pairs × profiles → CSV, JSON summary, plots (exit 3: regression)."""
    from api.testers.bench import run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all subcommands."""
    parser = argparse.ArgumentParser(prog="stufenlos", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a compiled accessibility graph from OSM data")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--osm", help="OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf)")
    src.add_argument("--place", help="download this place with osmnx (needs a network)")
    src.add_argument("--bbox", type=_bbox, help="download WEST,SOUTH,EAST,NORTH with osmnx")
    src.add_argument(
        "--default-area", action="store_true", help="the configured default area (Kaiserslautern)"
    )
    b.add_argument("--dem", help="elevation model (.hgt, .hgt.gz, GeoTIFF) for inclines")
    b.add_argument("--boundary", help="Osmosis .poly file to clip the area to")
    b.add_argument("--out", help="output folder (default: the cache folder of the default area)")
    b.add_argument("--if-missing", action="store_true", help="do nothing if --out holds a graph")
    b.set_defaults(func=cmd_build)

    r = sub.add_parser("route", help="compute one route and print its summary or GeoJSON")
    r.add_argument("--graph", required=True, help="compiled graph folder")
    r.add_argument("--from", dest="origin", required=True, type=_latlon, help="origin LAT,LON")
    r.add_argument(
        "--to", dest="destination", required=True, type=_latlon, help="destination LAT,LON"
    )
    r.add_argument("--profile", default="walk", help="preset name (wheelchair, blind, …)")
    r.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a profile parameter"
    )
    r.add_argument("--strict", action="store_true", help="fail instead of a least-bad route")
    r.add_argument("--json", action="store_true", help="print GeoJSON instead of a summary")
    r.set_defaults(func=cmd_route)

    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    s.add_argument("--osm", help="build (once, into the cache) and serve this OSM file")
    s.add_argument("--dem", help="elevation model used with --osm")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="worker processes (2 for two cores)")
    s.add_argument("--log-level", default="warning")
    s.set_defaults(func=cmd_serve)

    i = sub.add_parser("info", help="show metadata and coverage of a compiled graph")
    i.add_argument("--graph", required=True, help="compiled graph folder")
    i.set_defaults(func=cmd_info)

    bn = sub.add_parser("bench", help="route many pairs for every profile: CSV, JSON, plots")
    bn.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    pairs = bn.add_mutually_exclusive_group()
    pairs.add_argument("--pairs", help="CSV with id,origin_lat,origin_lon,destination_lat,…")
    pairs.add_argument("--random", type=int, metavar="N", help="N seeded random pairs (1000)")
    bn.add_argument("--seed", type=int, default=0, help="seed of the random pairs (default 0)")
    bn.add_argument("--profiles", help="comma-separated presets (default: all)")
    bn.add_argument("--out", help="output folder (default: benchmarks/out/<timestamp>)")
    bn.add_argument("--compare", choices=["networkx"], help="check costs against networkx")
    bn.add_argument("--baseline", help="earlier summary.json: flag regressions (exit status 3)")
    bn.add_argument("--jobs", type=int, default=0, help="processes (default: one per core)")
    bn.add_argument("--quiet", action="store_true", help="no progress bar")
    bn.set_defaults(func=cmd_bench)
    from api.db.commands import add_commands

    add_commands(sub)  # keys create|list|revoke, db upgrade
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stufenlos`` console script."""
    args = build_parser().parse_args(argv)
    from accessibility_rules.profile_errors import ProfileError
    from graphs.build import BuildError
    from graphs.elevation import DemError
    from graphs.model import GraphFormatError
    from graphs.sources import SourceError
    from graphs.store import GraphNotFoundError
    from routing.errors import RoutingError

    expected = (
        SourceError, DemError, BuildError, GraphNotFoundError, GraphFormatError, ProfileError,
        RoutingError, argparse.ArgumentTypeError,
    )  # fmt: skip
    try:
        return int(args.func(args))
    except expected as exc:
        print(f"stufenlos {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
