"""Where a route answer's time goes: each stage timed *inside* whole answers, and on its own.

What ``POST /routes`` computes in process (``api.route_answers.route_answer``: the request's
day, snapping, the searches, the report, the facts, the steps, JSON and gzip) over the seeded
trips of ``bench_api.py`` (wheelchair and walk alternating, de/en). Two passes over the same
requests, after the same answers once without any timer (``answer_mean_untimed_us``: the figure
to compare between commits):

* **in situ**: the stages (:data:`STAGES`, functions named by module and attribute) are wrapped
  with ``perf_counter`` timers while whole answers run one after another; per stage its mean µs
  per answer, its share of the answer and its calls per answer. Nested stages count in their
  parents too (``build_route`` holds ``route_accessibility``), so the shares do not add up to 100 %.
* **alone**: each stage's *first* call of every answer, recorded with its arguments in the first
  pass, is called again on its own, answer after answer, for the same stage: the same work with
  the caches warm for it.

A stage costs 1.2 to 2.3 times as much in situ as alone (the smallest up to 3.4 times): an
answer runs some 30 stages in turn and each finds the caches full of the others' code and data.
The in-situ cost is what an answer costs a server (``bench_peers.py`` prints the server's CPU
per answer), so that column is the one to read for where to cut.

A stage renamed or moved in the code makes the script stop with its name (so nothing is
silently left unmeasured). A timer costs about 0.6 µs per call (measured on the 2-core
development machine), some 2 % of an answer with its ~35 timed calls; and the timers can shift
time between stages: since a624c7a ``rests_report`` reads ~46 µs in situ here where a plain
timer around it alone reads 12 µs, with the change and without it (not understood; compare a
stage's in-situ figure across commits with care, the untimed answer always).

Usage::

    python benchmarks/bench_answer_stages.py [--graph DIR] [--requests 500] [--answers 4000]
    python benchmarks/compare_commits.py --base fbb30d3 --match answer_mean -- \\
        bench_answer_stages.py --answers 3000
    python benchmarks/compare_commits.py --base 485c6e6 --script-here --rounds 4 -- \\
        bench_answer_stages.py --untimed --answers 4000   # a base with other stage names
    python benchmarks/bench_answer_stages.py --flush-mb 64 --answers 2000  # each answer cold
    python benchmarks/bench_answer_stages.py --untimed --database-url sqlite:////tmp/o.db

``--database-url`` answers with the obstacles active in that database applied (loaded once into
a ``LiveObstacles``, as a worker does at start; a database of N obstacles: ``bench_reload.py``
and ``bench_map_reads.py`` make them with ``import_obstacles``): each answer then says which
obstacles the route passes and which it avoids, as a server's does. The router is a worker's
(``api.app.load_router``) with every preset kept as the serving parent keeps them: the
reference routes of ``obstacles.avoided`` search on those kept metrics (before 2026-12-07 this
script searched them on metrics weighed again on the shared landmarks, 2.4 times a server's
search for a wheelchair). With ``--untimed`` it also says how many reference searches the
landmark bound spared (``api/obstacles/reference_bound.py``; 0 on a commit before it).

``--flush-mb`` writes that many megabytes before each answer (not timed): the caches hold none
of the answer's code and data, as at a server whose host ran other programs between two of its
requests (``bench_peers.py`` at concurrency 1 asks four servers in turn). Measured 2026-12-03:
2.31 ms per answer against 1.2–1.3 ms back to back, the extra ~1.1 ms spread over every stage
(the request's day 7× what it costs alone, the verdict 6.7×, snapping 4.9×; the searches 1.7×).
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from _support import graph_dir, preload_module, served_answer
from bench_api import make_requests

from api.app import load_router
from api.schemas import RouteRequest
from api.settings import Settings
from routing.engine import Router

#: (module, attribute, modules that imported it by name): the stages timed. A function imported
#: with ``from module import name`` is rebound in those modules too.
STAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("api.route_answers", "plan", ()),
    ("api.conditions", "request_conditions", ("api.route_answers",)),
    ("accessibility_rules.conditions", "day_light", ("api.conditions",)),
    ("routing.report", "build_route", ("routing.route_batch", "routing.via_routes")),
    ("routing.verdict", "route_accessibility", ("routing.report",)),
    ("routing.report", "_barriers", ()),
    ("routing.report", "_segments", ()),
    ("routing.verdict", "route_met", ("routing.report",)),
    ("routing.verdict", "route_unknowns", ("routing.report",)),
    ("routing.report", "walk_seats", ()),
    ("routing.report", "rests_report", ()),
    ("routing.report", "route_polyline", ()),
    ("routing.facts", "route_facts", ("api.route_answers",)),
    ("routing.facts", "_incline_facts", ()),
    ("routing.facts", "green_and_light_facts", ()),
    ("routing.instructions", "instructions", ("api.route_answers",)),
    ("routing.legs", "route_legs", ("routing.instructions",)),
    ("routing.instructions", "accessibility_sentence", ()),
    ("routing.instructions", "steps_json", ("api.route_answers",)),
    ("api.responses", "json_body", ()),
    ("api.responses", "gzip_body", ()),
)
#: Methods of :class:`~routing.engine.Router` timed as stages (``Router.<name>``).
ROUTER_STAGES = ("snap", "shortest_path", "walk_between", "customize")


class Timers:
    """Timers wrapped around the stages; the first call of each stage per answer recorded."""

    def __init__(self) -> None:
        self.seconds: collections.defaultdict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter[str] = collections.Counter()
        self.first: dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = {}
        self.recording = False
        self.recorded: list[dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]] = []  # fmt: skip

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` timed under ``name``."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.recording and name not in self.first:
                self.first[name] = (func, args, kwargs)
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t0
                self.calls[name] += 1

        return timed

    def install(self) -> None:
        """Wrap every stage (rebinding the names where they were imported)."""
        for module_name, attribute, importers in STAGES:
            module = importlib.import_module(module_name)
            if not hasattr(module, attribute):
                sys.exit(f"bench_answer_stages: {module_name}.{attribute} is gone: update STAGES")
            original = getattr(module, attribute)
            wrapped = self.wrap(attribute, original)
            setattr(module, attribute, wrapped)
            for importer in importers:
                other = importlib.import_module(importer)
                if getattr(other, attribute, None) is not original:
                    sys.exit(f"bench_answer_stages: {importer} does not import {attribute}: update STAGES")  # fmt: skip
                setattr(other, attribute, wrapped)
        for method in ROUTER_STAGES:
            if not hasattr(Router, method):
                sys.exit(f"bench_answer_stages: Router.{method} is gone: update ROUTER_STAGES")
            setattr(Router, method, self.wrap(f"Router.{method}", getattr(Router, method)))


class Flush:
    """Evicts the CPU caches before an answer (``--flush-mb``): writes every cache line of a
    buffer larger than the caches, as the other programs of a host do between two requests to an
    idle server (``bench_peers.py`` asks its servers in turn at concurrency 1)."""

    def __init__(self, megabytes: int) -> None:
        self.buffer = np.zeros(megabytes * 2**20 // 8) if megabytes > 0 else None

    def __call__(self) -> None:
        if self.buffer is not None:
            self.buffer += 1.0


def keep_presets(router: Router) -> None:
    """Every preset customised and kept as the serving parent does before it forks
    (``api.preload.keep_presets``, ``api.server``'s before 2026-12-08; inline for a base from
    before it, ``compare_commits.py --script-here``)."""
    preload = preload_module()
    kept = getattr(preload, "keep_presets", None)
    if kept is None:
        from accessibility_rules.profile import preset_names

        for name in preset_names():
            profile = router.profile(name)
            for conditions in preload.preset_conditions(router, profile):
                router.customize(profile, conditions, keep=True)
        return
    kept(router)


def obstacles_of(router: Router, url: str) -> Any:
    """A ``LiveObstacles`` of ``router`` with the obstacles active in the database ``url``
    applied (as a worker loads them at start)."""
    from api.db.session import make_engine, make_sessionmaker
    from api.obstacles.live import LiveObstacles

    live = LiveObstacles(router, make_sessionmaker(make_engine(url)))
    live.warm_up()
    live.refresh(force=True)
    return live


def run(
    graph: Path,
    requests: int,
    answers: int,
    seed: int,
    *,
    untimed: bool = False,
    flush_mb: int = 0,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Both passes; the figures as a dict. ``untimed``: the answers without timers only (no stage
    named: what ``compare_commits.py --script-here`` runs on an older commit, whose stages may
    have other names). ``flush_mb``: each answer of both passes starts with the caches evicted
    (:class:`Flush`; its own time is not counted); the *alone* calls stay warm."""
    settings = Settings(graph_dir=graph)
    router = load_router(settings)  # a worker's: its kernels warm, its landmarks refreshed
    keep_presets(router)  # as the serving parent does before it forks (api/server.py)
    live = obstacles_of(router, database_url) if database_url else None
    bodies = make_requests(graph, requests, seed, 300.0, 3000.0)
    reqs = [RouteRequest.model_validate(orjson.loads(b)) for b in bodies]
    flush = Flush(flush_mb)

    served = served_answer()

    def answer(req: RouteRequest) -> float:
        """One answer after the flush; its seconds."""
        flush()
        t0 = time.perf_counter()
        served(router, req, settings, live, True)
        return time.perf_counter() - t0

    for req in reqs[:100]:  # warm: caches of names, metrics and their landmarks
        answer(req)
    # whole answers without timers: what a server computes
    # the reference searches spared (an older commit's counts none; before 2026-12-08 the
    # live obstacles counted them themselves)
    counter = getattr(live, "meets", live)
    spared = getattr(counter, "references_spared", 0)
    plain_us = sum(answer(reqs[i % len(reqs)]) for i in range(answers)) / answers * 1e6
    spared = getattr(counter, "references_spared", 0) - spared
    active = len(live.active) if live is not None else 0
    if untimed:
        return {
            "answer_mean_untimed_us": plain_us, "answers": answers, "flush_mb": flush_mb,
            "obstacles_active": active, "reference_searches_spared": spared,
        }  # fmt: skip
    timers = Timers()
    timers.install()
    for req in reqs[:20]:
        answer(req)
    timers.seconds.clear()
    timers.calls.clear()
    elapsed = 0.0
    for i in range(answers):
        timers.recording = i < len(reqs)
        timers.first = {}
        elapsed += answer(reqs[i % len(reqs)])
        if timers.recording:
            timers.recorded.append(timers.first)
    timers.recording = False
    whole_us = elapsed / answers * 1e6
    in_situ = {
        name: {
            "mean_us": timers.seconds[name] / answers * 1e6,
            "share": timers.seconds[name] / elapsed,
            "calls_per_answer": timers.calls[name] / answers,
        }
        for name in timers.seconds
    }
    alone: dict[str, float] = {}
    for name in in_situ:
        calls = [rec[name] for rec in timers.recorded if name in rec]
        if not calls:
            continue
        t0 = time.perf_counter()
        for func, args, kwargs in calls:
            func(*args, **kwargs)
        alone[name] = (time.perf_counter() - t0) / len(calls) * 1e6
    return {
        "answer_mean_untimed_us": plain_us,
        "answer_mean_us": whole_us,
        "answers": answers,
        "in_situ": in_situ,
        "alone_first_call_us": alone,
        "flush_mb": flush_mb,
        "obstacles_active": active,
    }


def report(result: dict[str, Any]) -> None:
    """Print the table, largest stage first."""
    flushed = (
        f", the caches evicted ({result['flush_mb']} MB written) before each"
        if result["flush_mb"]
        else ""
    )
    print(f"answer mean {result['answer_mean_untimed_us'] / 1e3:.3f} ms over {result['answers']} answers (route_answer in process{flushed}); {result['answer_mean_us'] / 1e3:.3f} ms with the stages' timers")  # fmt: skip
    print(f"{'stage':<28} {'in situ µs':>11} {'share':>7} {'calls':>6} {'alone µs':>9} {'situ÷alone':>11}")  # fmt: skip
    rows = sorted(result["in_situ"].items(), key=lambda kv: -kv[1]["mean_us"])
    for name, row in rows:
        alone = result["alone_first_call_us"].get(name)
        per_call = row["mean_us"] / row["calls_per_answer"] if row["calls_per_answer"] else 0.0
        ratio = f"{per_call / alone:>11.2f}" if alone else f"{'–':>11}"
        alone_s = f"{alone:>9.1f}" if alone else f"{'–':>9}"
        print(f"{name:<28} {row['mean_us']:>11.1f} {100 * row['share']:>6.1f}% {row['calls_per_answer']:>6.2f} {alone_s} {ratio}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--requests", type=int, default=500, help="seeded trips (cycled)")
    parser.add_argument("--answers", type=int, default=4000, help="answers timed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, metavar="OUT")
    parser.add_argument(
        "--untimed", action="store_true", help="only the answers without timers (any commit)"
    )
    parser.add_argument(
        "--flush-mb", type=int, default=0, metavar="MB",
        help="evict the caches before each answer by writing MB megabytes (0: answers back to back)",
    )  # fmt: skip
    parser.add_argument(
        "--database-url", help="answer with the obstacles active in this database applied"
    )
    args = parser.parse_args(argv)
    if args.answers < 1 or args.requests < 1 or args.flush_mb < 0:
        parser.error("--answers and --requests must be at least 1, --flush-mb at least 0")
    result = run(
        graph_dir(args.graph), args.requests, args.answers, args.seed, untimed=args.untimed,
        flush_mb=args.flush_mb, database_url=args.database_url,
    )  # fmt: skip
    result["python"] = platform.python_version()
    if args.untimed:
        flushed = f", caches evicted ({args.flush_mb} MB) before each" if args.flush_mb else ""
        if result["obstacles_active"]:
            flushed += (
                f", {result['obstacles_active']} obstacles active, "
                f"{result['reference_searches_spared']} reference searches spared"
            )
        print(f"answer mean {result['answer_mean_untimed_us'] / 1e3:.3f} ms over {args.answers} answers (route_answer in process, no timers{flushed})")  # fmt: skip
    else:
        report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
