"""Benchmark: the first query of a new personal profile against a cached one, and the landmarks.

Part 1: ``--profiles`` new personal profiles (wheelchair with varied kerb height and speed), each
routed once (customisation + route) and once again (cached), both without the walking detour;
printed: medians and the ratio first ÷ cached (the issue's target: ≤ 3), also against a cached
query of another trip (the same trip again finds its nodes in the processor's caches, which
the first, and the next request of a user, do not), once with landmarks
per profile only (``Router(per_profile_landmarks=True)``, the old behaviour) and once with the
shared landmarks for new personal profiles (the default). A third row, ``served``: the same with
what ``POST /routes`` computes in process (the walking detour and the German instructions too),
the first request of a new profile against its next one as a user sees them. Both again as
``presets_kept`` and ``served_kept``, on a router that has customised and kept every preset
in today's conditions first, as ``stufenlos serve`` does before its workers start
(:func:`keep_presets`): there a new profile's weights are compared with its preset's (the
arrays equal to them shared) and it borrows its preset's landmarks, so its first route does
more and its cached ones search faster than on the bare router of the rows above.

A fourth row, ``rest_limit_only``: new personal profiles that change only the distance between
seats (elderly), on a router that has customised the presets as ``stufenlos serve`` does: such a
profile changes no weight, so its first route runs on the preset's metric (one metric for all of
them; printed with how many metrics the cache holds afterwards).

A fifth row, ``preset_other_day``: the allergy preset kept in today's conditions, as the server
keeps every preset, then asked for a route on days of the coming year whose pollen makes other
conditions (each such day once: its first route, then the same route again).

Part 2: per preset, settled nodes and search time of the same trips with the profile's own
landmarks and with the shared (metre) landmarks scaled: the figures behind the decision
documented in ``routing/landmarks.py``.

Part 3 (``--http N``): as an app sees it, a real ``stufenlos serve`` (one worker) answers
``POST /routes`` for ``N`` new personal profiles, each asked twice in a row over one keep-alive
connection (gzip, as the app asks); printed: the medians of the first and the second answer
and their ratio.

Run::

    python benchmarks/bench_new_profile.py [--graph DIR] [--trips 300] [--http 120] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _support import graph_dir, preload_module, random_points

from graphs.store import load_graph
from routing.engine import Router
from routing.errors import NoRouteError
from routing.instructions import instructions

TARGET_RATIO = 3.0
PRESETS = ("walk", "wheelchair", "rollator", "blind", "stroller", "elderly")


def _wheelchair_kerb_and_speed(j: int) -> tuple[str, dict[str, Any]]:
    """The ``j``-th new personal profile of part 1: wheelchair, kerb height and speed varied."""
    return "wheelchair", {"max_kerb_height_cm": 3 + (j % 7) * 0.5, "walking_speed_mps": 0.6 + j * 0.01}  # fmt: skip


def first_vs_cached(
    router: Router,
    pairs: list[Any],
    k: int,
    *,
    served: bool = False,
    offset: int = 0,
    new_profile: Callable[[int], tuple[str, dict[str, Any]]] = _wheelchair_kerb_and_speed,
) -> dict[str, float]:
    """Median ms of the first and the cached route of ``k`` new personal profiles
    (``new_profile(j)``: preset and overrides of the ``j``-th; ``served``: with the walking
    detour and the instructions, as ``POST /routes``).

    The cached route is the same trip again (``cached_median_ms``, ``ratio``: its nodes and
    edges still in the processor's caches from the first) and, when ``pairs`` has ``2k`` trips,
    another trip from the end of ``pairs`` (``cached_other_trip_median_ms``,
    ``ratio_other_trip``: a cached profile's query as the next request meets it, its trip as
    cold as the first's)."""
    firsts: list[float] = []
    cached: list[float] = []
    others: list[float] = []
    for i, (a, b) in enumerate(pairs[:k]):
        profile = router.profile(*new_profile(i + offset))  # never seen by this router
        trips = [(firsts, a, b), (cached, a, b)]
        if len(pairs) >= 2 * k:
            trips.append((others, *pairs[len(pairs) - 1 - i]))
        for times, origin, destination in trips:
            t0 = time.perf_counter()
            with contextlib.suppress(NoRouteError):
                route = router.route(origin, destination, profile, compare_walk=served)
                if served:
                    [step.as_dict() for step in instructions(route, "de")]
            times.append((time.perf_counter() - t0) * 1e3)
    first, again = statistics.median(firsts), statistics.median(cached)
    row = {"first_median_ms": first, "cached_median_ms": again, "ratio": first / again}
    if others:
        other = statistics.median(others)
        row.update(cached_other_trip_median_ms=other, ratio_other_trip=first / other)
    return row


def _other_trip(row: dict[str, float]) -> str:
    """The row's ratio against a cached query of another trip, printed after its own."""
    if "ratio_other_trip" not in row:
        return ""
    return (
        f"; against another trip {row['cached_other_trip_median_ms']:.2f} ms, ratio "
        f"{row['ratio_other_trip']:.2f}"
    )


def preset_other_day(router: Router, pairs: list[Any]) -> dict[str, float]:
    """Median ms of the first and the second route of the allergy preset on each day of the
    coming year (weekly) whose pollen gives other conditions than today's, the metrics of
    today kept first, as ``stufenlos serve`` keeps them (an older router without ``keep``:
    cached)."""
    import datetime as dt

    from accessibility_rules.conditions import BERLIN, Conditions, resolve_conditions

    allergy = router.profile("allergy")
    lat, lon = float(router.graph.node["lat"].mean()), float(router.graph.node["lon"].mean())
    today = dt.datetime.now(BERLIN).replace(hour=12, minute=0, second=0, microsecond=0)
    seen: set[Conditions] = set()
    for hour in (12, 0):
        conditions = resolve_conditions(
            allergy, lat=lat, lon=lon, departure_time=today.replace(hour=hour)
        )
        try:
            router.customize(allergy, conditions, keep=True)
        except TypeError:
            router.customize(allergy, conditions)
        seen.add(conditions)
    firsts: list[float] = []
    cached: list[float] = []
    for day in range(7, 366, 7):
        when = today + dt.timedelta(days=day)
        conditions = resolve_conditions(allergy, lat=lat, lon=lon, departure_time=when)
        if conditions in seen:
            continue
        seen.add(conditions)
        a, b = pairs[day % len(pairs)]
        for times in (firsts, cached):
            t0 = time.perf_counter()
            with contextlib.suppress(NoRouteError):
                router.route(a, b, allergy, compare_walk=False, conditions=conditions)
            times.append((time.perf_counter() - t0) * 1e3)
    if not firsts:
        return {"first_median_ms": 0.0, "cached_median_ms": 0.0, "ratio": 0.0, "days": 0.0}
    first, again = statistics.median(firsts), statistics.median(cached)
    return {"first_median_ms": first, "cached_median_ms": again, "ratio": first / again,
            "days": float(len(firsts))}  # fmt: skip


def rest_limit_only(router: Router, pairs: list[Any], k: int) -> dict[str, float]:
    """:func:`first_vs_cached` of ``k`` new elderly profiles that change only
    ``max_distance_between_rests_m``, the presets customised first (as the server does), and
    how many metrics they added to the cache."""
    from accessibility_rules.profile import preset_names

    for name in preset_names():
        router.customize(router.profile(name))
    before = len(router.customizer.metric_cache)
    row = first_vs_cached(
        router, pairs, k,
        new_profile=lambda j: ("elderly", {"max_distance_between_rests_m": 150.0 + 5.0 * j}),
    )  # fmt: skip
    return row | {"metrics_added": float(len(router.customizer.metric_cache) - before)}


def keep_presets(router: Router) -> None:
    """Customise and keep every preset in the conditions requests meet today, as ``stufenlos
    serve`` does before its workers start (:func:`api.preload.preload_app`): a new personal
    profile then borrows its preset's landmarks and shares the arrays equal to the preset's.
    An older router without ``keep`` customises them into its cache."""
    from accessibility_rules.profile import preset_names

    preset_conditions = preload_module().preset_conditions
    for name in preset_names():
        profile = router.profile(name)
        for conditions in preset_conditions(router, profile):
            try:
                router.customize(profile, conditions, keep=True)
            except TypeError:
                router.customize(profile, conditions)


def over_http(graph: Path, k: int, seed: int) -> dict[str, float]:
    """Median ms of the first and the second ``POST /routes`` of ``k`` new personal profiles
    (wheelchair with varied kerb height and speed) on a real server with one worker."""
    from _support import Connection, Server
    from bench_api import make_requests

    bodies = [json.loads(b) for b in make_requests(graph, k + 20, seed, 300.0, 3000.0)]
    server = Server(graph, workers=1)
    try:
        server.wait_healthy()
        conn = Connection(server.base)

        def post(body: dict[str, Any]) -> float:
            status, _, elapsed_s = conn.request("POST", "/routes", json.dumps(body).encode())
            if status not in (200, 404):  # 404: no route for this trip and profile
                raise RuntimeError(f"POST /routes answered {status}")
            return elapsed_s * 1e3

        for body in bodies[:20]:  # a warm connection and worker, as in use
            post(body)
        firsts, again = [], []
        for i, body in enumerate(bodies[20:]):
            parameters = {"max_kerb_height_cm": 3 + (i % 7) * 0.5, "walking_speed_mps": round(0.6 + i * 0.001, 4)}  # fmt: skip
            body = body | {"profile": {"name": "wheelchair", "parameters": parameters}}
            firsts.append(post(body))
            again.append(post(body))
        conn.close()
    finally:
        server.stop()
    first, second = statistics.median(firsts), statistics.median(again)
    return {"first_median_ms": first, "cached_median_ms": second, "ratio": first / second}


def settled(router: Router, pairs: list[Any], preset: str, own: bool) -> dict[str, float]:
    """Median settled nodes and search ms of ``preset`` with its own or the shared landmarks."""
    metric = router.customizer.metric(
        router.customize(router.profile(preset)).weights, own_landmarks=own
    )
    counts, times = [], []
    for a, b in pairs:
        s, _ = router.snap(a, metric, "origin")
        t, _ = router.snap(b, metric, "destination")
        t0 = time.perf_counter()
        try:
            path = router.shortest_path(s, t, metric)
        except NoRouteError:
            continue
        times.append((time.perf_counter() - t0) * 1e3)
        counts.append(path.settled_nodes)
    return {
        "settled_median": statistics.median(counts),
        "search_median_ms": statistics.median(times),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--trips", type=int, default=300)
    parser.add_argument("--profiles", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--http", type=int, default=0, metavar="N",
        help="also time N new profiles over HTTP on a real server (one worker; default: skip)",
    )  # fmt: skip
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    graph = load_graph(graph_dir(args.graph))
    out: dict[str, Any] = {"new_profile": {}, "landmarks": []}
    configurations = (
        ("per_profile_only", True, False), ("shared_for_new", False, False),
        ("presets_kept", False, True),
    )  # fmt: skip
    for name, per_profile, kept in configurations:
        try:
            router = Router(graph, per_profile_landmarks=per_profile)
        except TypeError:  # an older router without the choice: per-profile landmarks only
            if not per_profile:
                continue
            router = Router(graph)
        router.warm_up()
        if kept:
            keep_presets(router)
        pts = random_points(router, np.random.default_rng(args.seed), 2 * args.trips)
        pairs = list(zip(pts[::2], pts[1::2], strict=True))
        rows = {name: first_vs_cached(router, pairs, args.profiles)}
        if not per_profile:
            rows["served_kept" if kept else "served"] = first_vs_cached(
                router, pairs, args.profiles, served=True, offset=args.profiles
            )
        for label, row in rows.items():
            out["new_profile"][label] = row
            print(
                f"{label:<18} first query of a new profile {row['first_median_ms']:.2f} ms, "
                f"cached {row['cached_median_ms']:.2f} ms, ratio {row['ratio']:.2f} "
                f"(target ≤ {TARGET_RATIO:g}){_other_trip(row)}"
            )
    if "shared_for_new" in out["new_profile"]:
        row = rest_limit_only(router, pairs, args.profiles)
        out["new_profile"]["rest_limit_only"] = row
        print(
            f"{'rest_limit_only':<18} first query of a new profile {row['first_median_ms']:.2f} ms, "
            f"cached {row['cached_median_ms']:.2f} ms, ratio {row['ratio']:.2f} "
            f"(target ≤ {TARGET_RATIO:g}); metrics added to the cache: {row['metrics_added']:.0f}"
            f"{_other_trip(row)}"
        )
        day = preset_other_day(Router(graph), pairs)
        out["new_profile"]["preset_other_day"] = day
        print(
            f"{'preset_other_day':<18} first route of the allergy preset on a day of other pollen "
            f"{day['first_median_ms']:.2f} ms, again {day['cached_median_ms']:.2f} ms, ratio "
            f"{day['ratio']:.2f} ({day['days']:.0f} such days in the coming year)"
        )
        for preset in PRESETS:
            own = settled(router, pairs, preset, True)
            shared = settled(router, pairs, preset, False)
            out["landmarks"].append({"preset": preset, "own": own, "shared": shared})
            print(
                f"{preset:<12} own: settled {own['settled_median']:.0f}, search "
                f"{own['search_median_ms']:.3f} ms; shared: settled {shared['settled_median']:.0f}, "
                f"search {shared['search_median_ms']:.3f} ms"
            )
    if args.http > 0:
        row = over_http(graph_dir(args.graph), args.http, args.seed)
        out["new_profile"]["http"] = row
        print(
            f"{'http':<18} first POST /routes of a new profile {row['first_median_ms']:.2f} ms, "
            f"again {row['cached_median_ms']:.2f} ms, ratio {row['ratio']:.2f} "
            f"(target ≤ {TARGET_RATIO:g})"
        )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
