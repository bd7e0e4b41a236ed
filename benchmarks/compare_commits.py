"""Run one benchmark on an older commit and on the working tree, alternately, in one run.

This machine's speed drifts by ±30 % with the shared host's load, so figures measured minutes
apart cannot be compared. This script checks the older commit out into a temporary git worktree,
then runs the same benchmark script (with ``--json``) on ``base`` and on this tree in turns, the
order swapped every round (``base, here, here, base, base, here, …``: on this machine the
second of two back-to-back runs tends to be the faster — 6 of 6 alternating wrk pairs of two
identical servers on 2026-12-03 —, so neither side may always run second; use an even number
of rounds), each side with its own graph cache (graph formats may differ between commits), and
prints every numeric figure of the JSON side by side with the ratio here ÷ base (the median
over the rounds). ``--base-python`` runs the base side on another interpreter (a venv's
``python`` with the project's dependencies installed): with ``--base HEAD``, the same code on
two interpreters.

Run::

    python benchmarks/compare_commits.py --base 0461762 -- bench_routing.py --queries 300
    python benchmarks/compare_commits.py --base HEAD~3 --rounds 3 --match median_ms -- \\
        bench_routing.py --queries 500 --baseline-queries 20
    python benchmarks/compare_commits.py --base HEAD --base-python /tmp/pyenv-venv/bin/python \\
        --rounds 4 -- bench_answer_stages.py --untimed --answers 3000

The benchmark script is looked up in ``benchmarks/`` of each side (this tree's when the base has
none, or with ``--script-here``: a new benchmark, or a new option of one, measures the old code
too); both sides run with this interpreter (the project's venv; the base with ``--base-python`` when
given) and ``PYTHONPATH`` set to their own tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _support import base_worktree

HERE = Path(__file__).resolve().parent.parent


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a JSON value as ``{"a.b.0.c": x}`` (lists of dicts keyed by a name)."""
    out: dict[str, float] = {}
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        out[prefix] = float(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            name = str(i)
            if isinstance(v, dict):
                name = str(v.get("preset") or v.get("name") or v.get("profile") or i)
            out.update(flatten(v, f"{prefix}.{name}" if prefix else name))
    return out


def side_env(tree: Path, data_dir: Path) -> dict[str, str]:
    """The environment a side runs in: its own code and its own cache folder."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tree),
        STUFENLOS_DATA_DIR=str(data_dir),
        STUFENLOS_CACHE_DIR=str(tree / ".cache"),
    )
    return env


def prepare_side(tree: Path, data_dir: Path, python: str = sys.executable) -> None:
    """Make the side's kernels' ahead-of-time build in its cache as ``stufenlos serve`` does
    (``api.server.prepare_kernels``, since ba48a99), before anything is timed: a fresh
    worktree's cache holds none, and a base whose ``benchmarks/_support.py`` does not make it
    itself would run numba's JIT, up to 12 % slower than the same code with its build (HEAD
    against HEAD, 2026-12-03)."""
    if not (tree / "routing" / "kernel_build.py").exists():
        return
    code = "from api.server import prepare_kernels; prepare_kernels()"
    print(f"$ ({tree.name}) the kernels' build", file=sys.stderr, flush=True)
    subprocess.run([python, "-c", code], cwd=tree, env=side_env(tree, data_dir), check=True)


def run_side(
    tree: Path,
    script: str,
    args: list[str],
    data_dir: Path,
    *,
    script_here: bool = False,
    python: str = sys.executable,
) -> dict[str, float]:
    """Run ``benchmarks/<script>`` in ``tree`` with ``python`` (``script_here``: this tree's copy
    of it, on ``tree``'s code) and return its flattened JSON figures."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    env = side_env(tree, data_dir)
    path = tree / "benchmarks" / script
    if script_here or not path.exists():  # newer than the base commit: this tree's on its code
        path = HERE / "benchmarks" / script
    command = [python, str(path), *args, "--json", str(out)]
    print(f"$ ({tree.name}) {' '.join(command[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if not out.exists() or out.stat().st_size == 0:
        sys.exit(f"{script} failed in {tree}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    figures = flatten(json.loads(out.read_text()))
    out.unlink()
    return figures


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run both sides alternately, print the side-by-side table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the older commit (any git revision)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per side (alternating)")
    parser.add_argument(
        "--match", default="", help="only figures whose name contains this text (e.g. median)"
    )
    parser.add_argument(
        "--script-here", action="store_true",
        help="run this tree's copy of the script on both sides (an option the base's lacks)",
    )  # fmt: skip
    parser.add_argument(
        "--base-python", default=sys.executable,
        help="the base side's interpreter (a venv's python with the dependencies; default: this one)",
    )  # fmt: skip
    parser.add_argument("script", help="benchmark script in benchmarks/, e.g. bench_routing.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    ns = parser.parse_args(argv)
    if ns.rounds < 1:
        parser.error("--rounds must be at least 1")
    from graphs import settings

    data_dir = settings.data_dir.resolve()
    runs: dict[str, list[dict[str, float]]] = {"base": [], "here": []}
    with base_worktree(ns.base) as base_tree:
        python = {"base": ns.base_python, "here": sys.executable}
        prepare_side(base_tree, data_dir, python["base"])
        prepare_side(HERE, data_dir)
        for r in range(ns.rounds):
            for side in ("base", "here") if r % 2 == 0 else ("here", "base"):
                tree = base_tree if side == "base" else HERE
                runs[side].append(
                    run_side(tree, ns.script, ns.args, data_dir, python=python[side],
                             script_here=ns.script_here and side == "base")
                )  # fmt: skip
    names = [n for n in runs["here"][0] if n in runs["base"][0] and ns.match in n]
    width = max((len(n) for n in names), default=10) + 2
    on = f" on {ns.base_python}" if ns.base_python != sys.executable else ""
    print(
        f"{ns.script} {' '.join(ns.args)}: base {ns.base}{on} vs this tree, {ns.rounds} rounds each"
    )
    print(f"{'figure':<{width}}{'base':>12}{'here':>12}{'here/base':>11}")
    for name in names:
        base = statistics.median(r[name] for r in runs["base"] if name in r)
        here = statistics.median(r[name] for r in runs["here"] if name in r)
        ratio = f"{here / base:>11.2f}" if base else f"{'-':>11}"
        print(f"{name:<{width}}{base:>12.4g}{here:>12.4g}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
