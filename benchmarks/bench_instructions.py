"""Instructions per route answer, counted by Valgrind: a figure the host's load does not move.

This machine's wall-clock speed drifts by ±30 % with the shared host's load, so a change worth a
few percent of an answer is hard to time (``compare_commits.py`` of ``bench_answer_stages.py
--untimed`` separates about 3 % in six rounds on a quiet hour, nothing on a busy one). What the
CPU executes for an answer does not depend on the host. This script runs, under ``valgrind
--tool=cachegrind --cache-sim=no``, a process that loads the default area's graph, answers
``--warmup`` seeded route requests and then N more (``route_answer`` in process: route, report,
steps, facts, JSON, gzip; every request departing at noon today, Europe/Berlin, so that the
day's light is the same in every run), once with N = 0 and once with N = ``--answers``: the
difference divided by N is the instructions per answer. Python's hash seed is fixed; what the
process still varies (some tens of millions of instructions in start-up and garbage collection)
is what the ``--repeat`` pairs show (their median is the figure).

Instructions are not time: a cache miss costs hundreds of them, a division tens, and the
interpreter's and numpy's instructions are cheaper than they look. So this complements the
timed benchmarks: it says whether a change made the CPU do less work, not how much sooner an
answer is ready. Needs Valgrind (``apt-get install valgrind``); about a minute per run.

Usage::

    export PYTHONPATH=$PWD STUFENLOS_DATA_DIR=../shared/data STUFENLOS_CACHE_DIR=$PWD/.cache
    python benchmarks/bench_instructions.py                        # 2000 answers, 2 pairs
    python benchmarks/compare_commits.py --base HEAD~1 --script-here --rounds 2 -- \\
        bench_instructions.py --repeat 1
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

#: Cachegrind's summary line of the instructions executed.
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
#: Requests made: the first ``--warmup`` are answered before counting starts.
_TRIPS = 500


def _answer_loop(answers: int, warmup: int, seed: int) -> None:
    """The counted process: set up, answer ``warmup`` requests, then ``answers`` more."""
    import orjson
    from _support import graph_dir, served_answer
    from bench_api import make_requests

    from accessibility_rules.conditions import BERLIN
    from api.schemas import RouteRequest
    from api.settings import Settings
    from graphs.store import load_graph
    from routing.engine import Router

    graph = graph_dir(None)
    router, settings = Router(load_graph(graph)), Settings()
    answer = served_answer()
    noon = dt.datetime.combine(dt.datetime.now(BERLIN).date(), dt.time(12)).isoformat()
    requests = [
        RouteRequest.model_validate({**orjson.loads(body), "departure_time": noon})
        for body in make_requests(graph, _TRIPS, seed, 300.0, 3000.0)
    ]
    counted = requests[warmup:]
    for req in requests[:warmup]:
        answer(router, req, settings, None, True)
    for i in range(answers):
        with contextlib.suppress(Exception):  # a trip without a route is answered by an error
            answer(router, counted[i % len(counted)], settings, None, True)


def count(answers: int, warmup: int, seed: int) -> int:
    """Instructions of one counted process that answers ``answers`` requests after set-up."""
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, str(Path(__file__).resolve()), "--child", str(answers),
        "--warmup", str(warmup), "--seed", str(seed),
    ]  # fmt: skip
    env = os.environ | {"PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"the counted process failed ({done.returncode}): {done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--answers", type=int, default=2000, help="answers counted per run")
    p.add_argument("--warmup", type=int, default=30, help="answers before counting starts")
    p.add_argument("--repeat", type=int, default=2, help="pairs of runs (N = 0 and N = answers)")
    p.add_argument("--seed", type=int, default=7, help="seed of the trips")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        _answer_loop(args.child, args.warmup, args.seed)
        return 0
    if args.answers < 1 or args.repeat < 1 or not 0 <= args.warmup < _TRIPS:
        p.error(f"--answers and --repeat must be at least 1, --warmup within 0-{_TRIPS - 1}")
    if shutil.which("valgrind") is None:
        print("bench_instructions: valgrind not found (apt-get install valgrind)", file=sys.stderr)
        return 2
    per_answer = []
    for i in range(args.repeat):
        base, loaded = count(0, args.warmup, args.seed), count(args.answers, args.warmup, args.seed)
        per_answer.append((loaded - base) / args.answers)
        print(
            f"pair {i + 1}/{args.repeat}: set-up {base:,} instructions, with {args.answers} "
            f"answers {loaded:,}: {per_answer[-1]:,.0f} per answer",
            flush=True,
        )
    result = {
        "answers": args.answers,
        "instructions_per_answer": statistics.median(per_answer),
        "instructions_per_answer_spread": max(per_answer) - min(per_answer),
    }
    print(
        f"instructions per answer: {result['instructions_per_answer']:,.0f} "
        f"(median of {args.repeat}; spread {result['instructions_per_answer_spread']:,.0f})"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
