"""Route every pair under every profile and record what a tester wants to know about each route.

Per pair and profile, two timings are taken on a warm router (weights cached, kernels compiled):

- ``search_ms``: ``Router.snap`` of both points plus ``Router.shortest_path`` — the search alone;
- ``route_ms``: ``Router.route(..., compare_walk=True)`` — everything a request costs: snapping,
  the search, the plain walking route for the detour, and the route report (barriers, unknowns).

The route's figures: the verdict (``yes``/``unknown``/``no``) and ``known_share``, distance,
duration, the detour against walking, the numbers of kerbs (kerbs crossed, summing each kerb barrier's ``count``), flights of steps and road
crossings met (from ``Route.barriers``), and ``unknown_share`` — the length on edges where an
attribute the profile cares about is unknown (incline, width, surface, smoothness, step count,
lighting), divided by the route's distance, and the same share per attribute. Errors (``out_of_area``, ``no_route``) are recorded,
not raised.

With ``jobs > 1`` the work is spread over that many processes (forked from this one, so they
share its loaded graph and compiled kernels, or spawned when this process runs other threads);
every timing is still taken inside one process for one query.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accessibility_rules.weights import Unknown
from routing.engine import Router
from routing.errors import NoRouteError, RoutingError
from testers.pairs import Pair

if TYPE_CHECKING:
    from testers.compare import NetworkxBaseline

#: Unknown attributes measured along the route's length (the others are kerbs and crossings).
LENGTH_UNKNOWNS = (
    Unknown.INCLINE | Unknown.WIDTH | Unknown.SURFACE | Unknown.SMOOTHNESS | Unknown.STEP_COUNT
    | Unknown.LIT
)  # fmt: skip
_LENGTH_BITS = int(LENGTH_UNKNOWNS)
#: name → bit of each length-measured unknown, as plain ints (IntFlag arithmetic is slow).
_UNKNOWN_NAMES = {(u.name or "").lower(): int(u) for u in Unknown if u & LENGTH_UNKNOWNS}
_CHUNK = 50


@dataclass(slots=True)
class PairResult:
    """One pair under one profile (``None`` where the figure does not exist, e.g. on errors)."""

    pair_id: str
    profile: str
    ok: bool
    error: str | None = None
    verdict: str | None = None  # the route's accessibility verdict: yes, unknown or no
    known_share: float | None = None  # share of its length with every limited attribute known
    distance_m: float | None = None
    duration_s: float | None = None
    cost_s: float | None = None
    walk_distance_m: float | None = None
    detour_m: float | None = None
    detour_ratio: float | None = None
    kerbs: int | None = None
    steps: int | None = None
    crossings: int | None = None
    unknown_m: float | None = None
    unknown_share: float | None = None
    unknown_attributes: str | None = None  # "surface=0.4200;width=1.0000": share per attribute
    settled_nodes: int | None = None
    search_ms: float | None = None
    route_ms: float | None = None
    nx_cost_s: float | None = None
    nx_agree: bool | None = None
    nx_ms: float | None = None
    nx_ours_ms: float | None = None

    @classmethod
    def columns(cls) -> list[str]:
        """Field names in CSV column order."""
        return [f.name for f in fields(cls)]

    def row(self) -> dict[str, Any]:
        """The result as a dict of its fields."""
        return {name: getattr(self, name) for name in self.columns()}


@dataclass(slots=True)
class RunOutput:
    """All results (profile by profile, pairs in input order) and the run's wall time."""

    results: list[PairResult]
    wall_s: float
    jobs: int


class _Worker:
    """Routes pairs on one router; keeps a networkx baseline per profile when comparing."""

    def __init__(self, router: Router, compare: bool) -> None:
        self.router = router
        self.compare = compare
        self._baselines: dict[str, NetworkxBaseline] = {}

    def run(self, profile_name: str, pairs: Sequence[Pair]) -> list[PairResult]:
        router = self.router
        profile = router.profile(profile_name)
        metric = router.customize(profile)  # computed (and cached) before any timing
        baseline = None
        if self.compare:
            from testers.compare import NetworkxBaseline

            baseline = self._baselines.get(profile_name)
            if baseline is None:
                baseline = self._baselines[profile_name] = NetworkxBaseline(router, metric.weights)
        return [self._one(profile, metric, baseline, pair) for pair in pairs]

    def _one(self, profile: Any, metric: Any, baseline: NetworkxBaseline | None, pair: Pair) -> PairResult:  # fmt: skip
        router = self.router
        res = PairResult(pair.id, profile.name, ok=False)
        clock = time.perf_counter_ns
        start = clock()
        try:
            s, _ = router.snap(pair.origin, metric, "origin")
            t, _ = router.snap(pair.destination, metric, "destination")
        except RoutingError as exc:
            res.error = exc.code
            return res
        try:
            path = router.shortest_path(s, t, metric)
            res.search_ms = round((clock() - start) / 1e6, 4)
            res.settled_nodes = path.settled_nodes
            res.cost_s = path.cost_s
        except NoRouteError as exc:
            res.error = exc.code
        if baseline is not None:
            from testers.compare import compare_pair

            cmp = compare_pair(router, metric, baseline, s, t)
            res.nx_cost_s, res.nx_agree = cmp.networkx_cost_s, cmp.agree
            res.nx_ms, res.nx_ours_ms = round(cmp.networkx_ms, 4), round(cmp.ours_ms, 4)
        if res.error is not None:
            return res
        start = clock()
        try:
            route = router.route(pair.origin, pair.destination, profile, compare_walk=True)
        except RoutingError as exc:
            res.error = exc.code
            return res
        res.route_ms = (clock() - start) / 1e6
        res.ok = True
        res.verdict = route.accessibility.verdict
        res.known_share = route.accessibility.known_share
        res.distance_m = round(route.distance_m, 2)
        res.duration_s = round(route.duration_s, 2)
        res.cost_s = route.cost_s
        if route.detour:
            res.walk_distance_m = route.detour["walk_distance_m"]
            res.detour_m = route.detour["extra_distance_m"]
            res.detour_ratio = route.detour["ratio"]
        res.kerbs = sum(
            int(b.details.get("count") or 1) for b in route.barriers if b.kind == "kerb"
        )
        res.steps = sum(1 for b in route.barriers if b.kind == "steps")
        res.crossings = sum(1 for b in route.barriers if b.kind == "crossing")
        unknown_bits = metric.weights.unknowns
        unknown_m = 0.0
        by_attribute = dict.fromkeys(_UNKNOWN_NAMES, 0.0)
        for seg in route.segments:
            bits = int(unknown_bits[seg.edge]) & _LENGTH_BITS
            if bits:
                unknown_m += seg.length_m
                for name, bit in _UNKNOWN_NAMES.items():
                    if bits & bit:
                        by_attribute[name] += seg.length_m
        res.unknown_m = round(unknown_m, 2)
        total = route.distance_m
        res.unknown_share = round(unknown_m / total, 4) if total > 0 else 0.0
        res.unknown_attributes = ";".join(
            f"{name}={length / total:.4f}" for name, length in by_attribute.items() if length > 0
        ) if total > 0 else ""  # fmt: skip
        res.route_ms = round(res.route_ms, 4)
        return res


_WORKER: _Worker | None = None
_INHERITED: Router | None = None  # the parent's router, seen by forked workers


def _init_process(graph_dir: str, max_snap_m: float, compare: bool) -> None:
    global _WORKER
    router = _INHERITED
    if router is None:  # spawned: load the graph in this process
        from graphs.store import load_graph

        router = Router(load_graph(graph_dir), max_snap_m=max_snap_m)
    router.warm_up()
    _WORKER = _Worker(router, compare)


def _run_chunk(index: int, profile_name: str, pairs: list[Pair]) -> tuple[int, list[PairResult]]:
    assert _WORKER is not None
    return index, _WORKER.run(profile_name, pairs)


def _start_method() -> str:
    """``fork`` (workers inherit the loaded graph and compiled kernels) when this process runs
    a single thread and the platform has it; ``spawn`` otherwise (safe with threads)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def run_pairs(
    router: Router,
    pairs: Sequence[Pair],
    profiles: Sequence[str],
    *,
    jobs: int = 1,
    graph_dir: str | Path | None = None,
    compare: bool = False,
    progress: bool = True,
) -> RunOutput:
    """Route every pair for every profile (a tqdm bar on stderr unless ``progress=False``).

    ``jobs > 1`` needs ``graph_dir``: worker processes are forked from this one when it runs a
    single thread, otherwise spawned, and then load the graph from ``graph_dir`` themselves.
    """
    global _INHERITED
    from tqdm import tqdm

    jobs = max(1, int(jobs))
    if jobs > 1 and graph_dir is None:
        raise ValueError("run_pairs with jobs > 1 needs graph_dir")
    tasks = [
        (profile, list(pairs[i : i + _CHUNK]))
        for profile in profiles
        for i in range(0, len(pairs), _CHUNK)
    ]
    total = len(pairs) * len(profiles)
    chunks: list[list[PairResult]] = [[] for _ in tasks]
    started = time.perf_counter()
    router.warm_up()
    if jobs == 1:
        worker = _Worker(router, compare)
        with tqdm(total=total, unit="route", file=sys.stderr, disable=not progress, desc="routing") as bar:  # fmt: skip
            for i, (profile, chunk) in enumerate(tasks):
                chunks[i] = worker.run(profile, chunk)
                bar.update(len(chunk))
        return RunOutput([r for c in chunks for r in c], time.perf_counter() - started, jobs)
    method = _start_method()
    _INHERITED = router if method == "fork" else None
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)),
            mp_context=multiprocessing.get_context(method),
            initializer=_init_process,
            initargs=(str(graph_dir), router.snapper.max_snap_m, compare),
        ) as pool:
            # submitting starts the workers (forked ones at once): before tqdm starts a thread
            futures = [
                pool.submit(_run_chunk, i, profile, chunk)
                for i, (profile, chunk) in enumerate(tasks)
            ]
            with tqdm(total=total, unit="route", file=sys.stderr, disable=not progress, desc="routing") as bar:  # fmt: skip
                for future in as_completed(futures):
                    i, results = future.result()
                    chunks[i] = results
                    bar.update(len(results))
    finally:
        _INHERITED = None
    return RunOutput([r for c in chunks for r in c], time.perf_counter() - started, jobs)
