"""Check that a change leaves the route answers byte for byte as an older commit gives them.

For refactors meant to change speed, not results. Seeded route requests on the default area,
varied on purpose:
- every preset, German and English;
- a summer afternoon, a winter night and a spring dawn (the light rules), fixed so that
  darkness does not depend on when the check runs;
- every seventh with an alternative route, every eleventh with a pollen forecast.

They are answered by ``plan`` (what ``POST /routes`` serialises) on the app as ``stufenlos
serve`` preloads it (``preload_app``), once with the code of
``--base`` (checked out into a temporary git worktree) and once with this tree. Each side runs
in a process of its own, with its own graph cache and an empty temporary database. The answers
are compared as bytes. Printed: how many differ, and for the first few where they first differ
(a path into the JSON and both values). Exit status 1 if any differ.

Run::

    python benchmarks/compare_answers.py --base 1cdcdbc [--requests 600] [--seed 7]

``--dump OUT`` only writes this tree's answers (one JSON line per request) to ``OUT``: what
each side runs. ``--database FILE`` (an SQLite file, e.g. one holding thousands of obstacles,
as ``bench_reload.py`` and ``bench_map_reads.py`` import them) is copied for each side instead
of an empty database: the answers then pass and avoid its active obstacles. A copy for an
older commit is migrated down to the schema it knows (``_support.database_copy``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _support import base_worktree, database_copy, graph_dir
from bench_api import make_requests

HERE = Path(__file__).resolve().parent.parent
TIMES = ("2026-06-21T15:00:00", "2026-12-21T21:00:00", "2026-04-10T06:30:00")


def requests(graph_dir: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """The seeded request bodies (see the module doc)."""
    from accessibility_rules.profile import preset_names

    presets = preset_names()
    out = []
    for i, raw in enumerate(make_requests(graph_dir, count, seed, 100.0, 4000.0)):
        body = json.loads(raw)
        body["profile"] = {"name": presets[i % len(presets)]}
        body["language"] = "en" if i % 3 == 0 else "de"
        body["departure_time"] = TIMES[i % len(TIMES)]
        if i % 7 == 0:
            body["alternatives"] = 1
        if i % 11 == 0:
            body["pollen_forecast"] = {"betula": 3, "grasses": 1}
        out.append(body)
    return out


def dump(out: Path, count: int, seed: int, database: Path | None = None) -> None:
    """Answer the requests with the code on ``PYTHONPATH``; one JSON line each into ``out``."""
    from api.errors import ApiError
    from api.responses import FastJSONResponse
    from api.schemas import RouteRequest
    from api.server import preload_app
    from api.settings import Settings
    from routing.errors import RoutingError

    try:
        from api.route_answers import plan
    except ImportError:  # a commit from before the module
        from api.routes.routing import plan  # type: ignore[no-redef,attr-defined]

    folder = Path(tempfile.mkdtemp(prefix="stufenlos-answers-"))
    if database is not None:  # a copy: the app stores the matches it makes at start (its
        database_copy(database, folder / "a.db")  # schema as this side's code knows it)
    settings = Settings(graph_dir=graph_dir(None), database_url=f"sqlite:///{folder / 'a.db'}")
    bodies = requests(settings.graph_dir, count, seed)
    app = preload_app(settings)  # as ``stufenlos serve`` loads it, before forking

    async def run() -> None:
        async with app.router.lifespan_context(app):
            with out.open("wb") as f:
                for body in bodies:
                    req = RouteRequest.model_validate(body)
                    try:
                        answer = plan(
                            app.state.router, req, settings.max_via_points,
                            settings.max_alternatives, obstacles=app.state.live_obstacles,
                        )  # fmt: skip
                    except (ApiError, RoutingError) as exc:
                        answer = {"error": type(exc).__name__, "message": str(exc)}
                    f.write(bytes(FastJSONResponse(answer).body) + b"\n")

    asyncio.run(run())


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two JSON values first differ (a path and both values), or None."""
    if type(a) is not type(b):
        return f"{path}: {a!r:.80} != {b!r:.80}"
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            found = first_difference(a.get(key), b.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b and repr(a) == repr(b) else f"{path}: {a!r:.80} != {b!r:.80}"


def side(tree: Path, out: Path, count: int, seed: int, database: Path | None = None) -> None:
    """Run ``--dump`` with the code of ``tree`` (its own graph cache)."""
    from graphs import settings

    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tree),
        STUFENLOS_DATA_DIR=str(settings.data_dir.resolve()),
        STUFENLOS_CACHE_DIR=str(tree / ".cache"),
    )
    command = [sys.executable, __file__, "--dump", str(out), "--requests", str(count)]
    command += ["--seed", str(seed)]
    if database is not None:
        command += ["--database", str(database.resolve())]
    print(f"$ ({tree.name}) {' '.join(command[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"answers failed in {tree}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    """Dump one side, or check out ``--base``, answer on both sides and compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the older commit (any git revision)")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dump", type=Path, help="only write this tree's answers here")
    parser.add_argument("--database", type=Path, help="an SQLite file to copy for each side")
    parser.add_argument("--show", type=int, default=5, help="differences shown")
    ns = parser.parse_args(argv)
    if ns.dump is not None:
        dump(ns.dump, ns.requests, ns.seed, ns.database)
        return 0
    if not ns.base:
        parser.error("--base is required (or --dump)")
    work = Path(tempfile.mkdtemp(prefix="stufenlos-compare-"))
    with base_worktree(ns.base) as base_tree:
        side(base_tree, work / "base.jsonl", ns.requests, ns.seed, ns.database)
        side(HERE, work / "here.jsonl", ns.requests, ns.seed, ns.database)
    base = (work / "base.jsonl").read_bytes().splitlines()
    here = (work / "here.jsonl").read_bytes().splitlines()
    differ = [i for i, (a, b) in enumerate(zip(base, here, strict=True)) if a != b]
    print(f"{len(here)} answers, base {ns.base} vs this tree: {len(differ)} differ")
    for i in differ[: ns.show]:
        where = first_difference(json.loads(base[i]), json.loads(here[i]))
        print(f"  request {i}{where or ': equal values, other bytes (key order, number format)'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
