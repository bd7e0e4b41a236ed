"""The route answer's modules compiled by mypyc: ``python -m routing.mypyc_build``.

Compiles :data:`~accessibility_rules.mypyc_loading.MYPYC_MODULES` with mypyc (one C file per
module, ``-O3``, compiled two at a time) into the folder
:func:`~accessibility_rules.mypyc_loading.build_dir` names for these sources, where
:func:`~accessibility_rules.mypyc_loading.install` finds them. Needs a C compiler and mypy (a
test dependency); about two minutes on the 2-core development machine (mypy's analysis of the
program, then gcc). Made in a temporary folder next to the target and moved into place with
its completion mark, so a reader sees a whole build or none. ``make run`` and ``make test``
make it (``make mypyc``); a source edited since is imported from the source until the next build.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from accessibility_rules.mypyc_loading import (
    COMPLETE_MARK,
    GROUP_NAME,
    MYPYC_MODULES,
    build_dir,
    build_key,
)

_ROOT = Path(__file__).resolve().parent.parent
#: gcc processes at once (one C file per module).
_JOBS = max(1, min(4, os.cpu_count() or 1))


class MypycBuildError(RuntimeError):
    """The build could not be made (no mypy, no C compiler, or a module mypyc rejects)."""


def build(target: Path) -> Path:
    """Compile the modules into the folder ``target`` (replaced as a whole); its path."""
    try:
        from mypyc.build import mypycify
        from setuptools import Distribution
    except ImportError as error:  # mypy is a test dependency
        raise MypycBuildError(f"mypyc is not installed ({error}): pip install mypy") from error
    paths = [str(Path(*name.split(".")).with_suffix(".py")) for name in MYPYC_MODULES]
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        out = work / "out"
        with contextlib.chdir(_ROOT):  # mypyc names the modules by their paths from here
            extensions = mypycify(
                paths, opt_level="3", multi_file=True, target_dir=str(work / "c"),
                group_name=GROUP_NAME,
            )  # fmt: skip
            command = Distribution({"ext_modules": extensions}).get_command_obj("build_ext")
            command.build_lib = str(out)
            command.build_temp = str(work / "o")
            command.parallel = _JOBS
            command.ensure_finalized()
            command.run()
        (out / COMPLETE_MARK).write_text(f"{' '.join(MYPYC_MODULES)}\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def ensure_built(*, log: Callable[[str], None] = print) -> Path:
    """The build of these sources, made first when missing (in a child process: mypy's analysis
    holds some hundreds of MB). Raises :class:`MypycBuildError` with the end of its output when
    the build fails."""
    target = build_dir()
    if (target / COMPLETE_MARK).is_file():
        return target
    log(f"compiling the route answer's modules with mypyc into {target} (about two minutes) …")
    result = subprocess.run(
        [sys.executable, "-m", "routing.mypyc_build", str(target)],
        capture_output=True, text=True, cwd=_ROOT, check=False,
        env=os.environ | {"STUFENLOS_MYPYC": "off"},
    )  # fmt: skip
    if result.returncode != 0 or not (target / COMPLETE_MARK).is_file():
        tail = "\n".join((result.stderr + result.stdout).strip().splitlines()[-15:])
        raise MypycBuildError(f"the mypyc build failed:\n{tail}")
    return target


def main(argv: list[str] | None = None) -> int:
    """Build into the folder given, or into the cache's place for these sources (``--if-missing``:
    only when that has none)."""
    args = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    if args == ["--if-missing"]:
        target = ensure_built(log=lambda line: print(f"stufenlos: {line}", flush=True))
    else:
        target = build(Path(args[0]) if args else build_dir(build_key()))
    print(f"mypyc build: {target} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
