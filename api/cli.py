"""The ``stufenlos`` command: build graphs, route, serve, benchmark.

This module only parses arguments and dispatches; the work lives with its concept:
``build``/``info`` in :mod:`graphs.pipeline`, ``route`` in :mod:`routing.command`, ``serve`` in
:mod:`api.server`, ``keys``/``db`` in :mod:`api.db.commands`, ``bench`` in :mod:`testers.bench`.
Each is imported only when its command runs, so ``stufenlos --help`` is instant and
``stufenlos route`` loads neither the server nor the graph builder. Expected failures (bad files,
bad coordinates, unknown profiles, a folder that cannot be written, an out-of-range option) print
one sentence to stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2

#: The expected errors, by module: a command that never imported a module cannot raise its
#: errors, so they are looked up among the modules already imported (importing ``graphs.build``
#: just to name ``BuildError`` would cost ``stufenlos route`` seconds).
EXPECTED_ERRORS = {
    "graphs.sources": ("SourceError",),
    "graphs.elevation": ("DemError",),
    "graphs.build": ("BuildError",),
    "graphs.store": ("GraphNotFoundError",),
    "graphs.model": ("GraphFormatError",),
    "accessibility_rules.profile_errors": ("ProfileError",),
    "routing.errors": ("RoutingError",),
    "accessibility_rules.kernel_loading": ("KernelBuildError",),  # a build that does not load
    "sqlalchemy.exc": ("ArgumentError",),  # a database URL that cannot be read or served
}


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


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON, got {text!r}") from None
    return lat, lon


def _int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (refused outside, never clamped:
    ``--workers 0`` served with one worker, ``--random 0`` routed the default 1,000 pairs,
    ``--port 99999`` and ``--seed -1`` ended in a traceback)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--set needs key=value, got {text!r}")
    return key.strip(), value.strip()


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def _progress_bar(total: int) -> tuple[Any, Callable[[str], None]]:
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


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """``stufenlos build``: OSM source → compiled graph folder + coverage report."""
    from graphs.coverage import format_report
    from graphs.features import FeatureOptions
    from graphs.pipeline import build_command

    try:
        features = FeatureOptions(
            seat_distance_m=args.seat_distance_m, tree_distance_m=args.tree_distance_m,
            green_distance_m=args.green_distance_m,
        )  # fmt: skip
    except ValueError as exc:
        _stderr(str(exc))
        return EXIT_USAGE
    bar, step = _progress_bar(total=9)
    try:
        out, report = build_command(
            _path(args.out), osm=_path(args.osm), place=args.place, bbox=args.bbox,
            default_area=args.default_area, dem_path=_path(args.dem),
            boundary_path=_path(args.boundary), trees_path=_path(args.trees),
            trees_columns=(args.trees_genus_column, args.trees_lat_column, args.trees_lon_column),
            features=features, if_missing=args.if_missing, progress=step, notify=_stderr,
        )  # fmt: skip
    finally:
        bar.close()
    if report is not None:
        print(format_report(report))
        print(f"\ngraph written to {out}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``stufenlos info``: print the metadata and coverage of a built graph."""
    import json

    from graphs.pipeline import graph_info

    print(json.dumps(graph_info(Path(args.graph)), indent=2, ensure_ascii=False))
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    """``stufenlos route``: one route, printed as a summary or as GeoJSON."""
    from routing.command import route_text

    text = route_text(
        args.graph, args.origin, args.destination, args.profile,
        overrides=args.set or (), strict=args.strict, as_geojson=args.json,
    )  # fmt: skip
    print(text)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """``stufenlos serve``: run the HTTP API with uvicorn (building the graph if asked)."""
    from api.heap import fix_mmap_threshold, limit_heap_arenas

    limit_heap_arenas()  # before numpy's import starts a thread (api/heap.py)
    fix_mmap_threshold()  # large arrays in mappings of their own, freed with them
    from api.server import serve

    return serve(
        graph_dir=_path(args.graph), osm=_path(args.osm), dem=_path(args.dem), host=args.host,
        port=args.port, workers=args.workers, log_level=args.log_level,
    )  # fmt: skip


def cmd_bench(args: argparse.Namespace) -> int:
    """``stufenlos bench``: many pairs × profiles → CSV, JSON summary, plots (exit 3: regression)."""
    from testers.bench import run_bench

    return run_bench(args)


def cmd_keys(args: argparse.Namespace) -> int:
    """``stufenlos keys create|list|revoke``."""
    from api.db.commands import cmd_keys as run

    return run(args)


def cmd_db(args: argparse.Namespace) -> int:
    """``stufenlos db upgrade``."""
    from api.db.commands import cmd_db as run

    return run(args)


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
    b.add_argument(
        "--trees",
        help="city tree register (Baumkataster): GeoJSON points or CSV with lat/lon/genus",
    )
    b.add_argument("--trees-genus-column", default="genus", help="genus column (default genus)")
    b.add_argument("--trees-lat-column", default="lat", help="latitude column of a CSV (lat)")
    b.add_argument("--trees-lon-column", default="lon", help="longitude column of a CSV (lon)")
    b.add_argument(
        "--seat-distance-m", type=float, default=15.0,
        help="seats join the nearest edge within this distance, not across a road (15)",
    )  # fmt: skip
    b.add_argument(
        "--tree-distance-m", type=float, default=20.0,
        help="trees count on every edge within this distance (20)",
    )  # fmt: skip
    b.add_argument(
        "--green-distance-m", type=float, default=10.0,
        help="green share: length within this distance of a green area (10)",
    )  # fmt: skip
    b.set_defaults(func=cmd_build)

    r = sub.add_parser("route", help="compute one route and print its summary or GeoJSON")
    r.add_argument("--graph", required=True, help="compiled graph folder")
    r.add_argument("--from", dest="origin", required=True, type=_latlon, help="origin LAT,LON")
    r.add_argument(
        "--to", dest="destination", required=True, type=_latlon, help="destination LAT,LON"
    )
    r.add_argument("--profile", default="walk", help="preset name (wheelchair, blind, …)")
    r.add_argument(
        "--set", action="append", type=_key_value, metavar="KEY=VALUE",
        help="override a profile parameter",
    )  # fmt: skip
    r.add_argument("--strict", action="store_true", help="fail instead of a least-bad route")
    r.add_argument("--json", action="store_true", help="print GeoJSON instead of a summary")
    r.set_defaults(func=cmd_route)

    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    s.add_argument("--osm", help="build (once, into the cache) and serve this OSM file")
    s.add_argument("--dem", help="elevation model used with --osm")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_int_in(0, 65535), default=8000)
    s.add_argument(
        "--workers", type=_int_in(1), default=1, help="worker processes (2 for two cores)"
    )
    s.add_argument("--log-level", default="warning")
    s.set_defaults(func=cmd_serve)

    i = sub.add_parser("info", help="show metadata and coverage of a compiled graph")
    i.add_argument("--graph", required=True, help="compiled graph folder")
    i.set_defaults(func=cmd_info)

    bn = sub.add_parser("bench", help="route many pairs for every profile: CSV, JSON, plots")
    bn.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    pairs = bn.add_mutually_exclusive_group()
    pairs.add_argument("--pairs", help="CSV with id,origin_lat,origin_lon,destination_lat,…")
    pairs.add_argument(
        "--random", type=_int_in(1), metavar="N", help="N seeded random pairs (1000)"
    )
    bn.add_argument(
        "--seed", type=_int_in(0, 2**31 - 1), default=0, help="seed of the random pairs (default 0)"
    )
    bn.add_argument("--profiles", help="comma-separated presets (default: all)")
    bn.add_argument("--out", help="output folder (default: benchmarks/out/<timestamp>)")
    bn.add_argument("--compare", choices=["networkx"], help="check costs against networkx")
    bn.add_argument("--baseline", help="earlier summary.json: flag regressions (exit status 3)")
    bn.add_argument(
        "--jobs", type=_int_in(0), default=0, help="processes (default 0: one per core)"
    )
    bn.add_argument("--quiet", action="store_true", help="no progress bar")
    bn.set_defaults(func=cmd_bench)

    url_help = "database URL (default: STUFENLOS_DATABASE_URL or the SQLite file in the cache)"
    k = sub.add_parser("keys", help="create, list and revoke API keys of city staff")
    ksub = k.add_subparsers(dest="keys_command", required=True)
    kc = ksub.add_parser("create", help="make a key (printed once, stored only as a hash)")
    kc.add_argument("--name", required=True, help="who the key belongs to (author of changes)")
    kc.add_argument("--role", required=True, choices=["tester", "staff", "admin"])
    ksub.add_parser("list", help="every key with role, creation and revocation time")
    kr = ksub.add_parser("revoke", help="revoke a key at once")
    kr.add_argument("id", type=int, help="the key's id (see 'stufenlos keys list')")
    for p in ksub.choices.values():
        p.add_argument("--database-url", help=url_help)
    k.set_defaults(func=cmd_keys)

    d = sub.add_parser("db", help="database maintenance")
    dsub = d.add_subparsers(dest="db_command", required=True)
    du = dsub.add_parser("upgrade", help="create or migrate the tables (also done at start-up)")
    du.add_argument("--database-url", help=url_help)
    d.set_defaults(func=cmd_db)
    return parser


def expected_errors() -> tuple[type[BaseException], ...]:
    """The error classes that end a command with one sentence (see :data:`EXPECTED_ERRORS`)."""
    # OSError: a folder that cannot be written, a port taken, a file that is not there
    found: list[type[BaseException]] = [argparse.ArgumentTypeError, OSError]
    for module_name, names in EXPECTED_ERRORS.items():
        module = sys.modules.get(module_name)
        if module is not None:
            found += [getattr(module, name) for name in names]
    return tuple(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stufenlos`` console script."""
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a reader that has gone (``| head``) is met here, not at exit
        return status
    except BrokenPipeError:
        return _reader_gone()
    except Exception as exc:
        if not isinstance(exc, expected_errors()):
            raise
        print(f"stufenlos {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


#: The status of a command whose reader closed the pipe: a shell's for a process that
#: SIGPIPE ended (128 + 13), which Python ignores and turns into ``BrokenPipeError``.
EXIT_READER_GONE = 141


def _reader_gone() -> int:
    """End quietly when standard output's reader has gone (``stufenlos info … | head``):
    what is left unwritten goes nowhere, as with any Unix tool, instead of a sentence about
    "[Errno 32] Broken pipe" and Python's own complaint when it flushes the stream at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_READER_GONE


if __name__ == "__main__":
    sys.exit(main())
