"""The kernels' ahead-of-time build: ``python -m routing.kernel_build [TARGET]``.

Compiles every kernel of :data:`accessibility_rules.kernel_signatures.SIGNATURES` with
``numba.pycc`` (the functions numba's JIT compiles, for exactly the declared signature, for this
machine's CPU, each releasing the GIL while it runs, as ``nogil=True`` does) into one extension
module, which :mod:`accessibility_rules.kernel_loading` loads in place of the JIT (see there for
why). Runs in the JIT mode (it reads the kernels' Python functions). Needs a C compiler (pycc
compiles the module's glue with it). Written to a temporary file and moved into place, so a
reader sees a whole build or none; :func:`ensure_built` keeps the cache's :data:`KEPT_BUILDS`
newest builds. TARGET defaults to
:func:`~accessibility_rules.kernel_loading.built_file`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from accessibility_rules.kernel_loading import (
    KERNEL_MODULES,
    MODULE_NAME,
    PY_FUNCS,
    KernelBuildError,
    built_file,
    export_name,
    mode,
)
from accessibility_rules.kernel_signatures import SIGNATURES, numba_signature
from graphs.durable import fsync_path

_ROOT = Path(__file__).resolve().parent.parent
#: Builds kept in the cache (one per change of the kernels, ~24 MB each): the most recent ones,
#: so that switching between a few branches does not rebuild.
KEPT_BUILDS = 4
#: A build's folder in the cache: its :func:`~accessibility_rules.kernel_loading.build_key`.
_KEY_FOLDER = re.compile(r"[0-9a-f]{20}")


@contextlib.contextmanager
def _releasing_gil() -> Iterator[None]:
    """numba.pycc's exported functions, compiled with ``release_gil`` (pycc has no option)."""
    import numba.pycc.compiler as pycc_compiler

    plain = pycc_compiler.Flags

    class NoGilFlags(plain):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    setattr(pycc_compiler, "Flags", NoGilFlags)  # noqa: B010  (a module's class, replaced)
    try:
        yield
    finally:
        setattr(pycc_compiler, "Flags", plain)  # noqa: B010


@contextlib.contextmanager
def _host_features() -> Iterator[None]:
    """numba.pycc's ``target_cpu = "host"`` with the host's ISA features, as numba's JIT compiles.

    pycc passes the host CPU's model name and no feature string, so LLVM enables every feature of
    that model: on a virtual machine that reports an AMD Zen 4 (``znver4``) and hides AVX-512, the
    build used AVX-512 instructions and the first weights kernel stopped the process with SIGILL.
    The features LLVM reads off the running CPU override the model's defaults (``-avx512f``)."""
    from numba.core.codegen import AOTCPUCodegen, get_host_cpu_features

    plain = AOTCPUCodegen._customize_tm_features

    def host(self: AOTCPUCodegen) -> str:
        return str(get_host_cpu_features()) if self._cpu_name == "host" else plain(self)

    setattr(AOTCPUCodegen, "_customize_tm_features", host)  # noqa: B010  (a class's method, replaced)
    try:
        yield
    finally:
        setattr(AOTCPUCodegen, "_customize_tm_features", plain)  # noqa: B010


def build(target: Path) -> Path:
    """Compile the declared kernels into the extension module ``target``; its path."""
    if mode() != "jit":
        raise KernelBuildError("run the build with STUFENLOS_KERNELS=jit (it reads the kernels)")
    for module in KERNEL_MODULES:  # their Python functions, into PY_FUNCS
        importlib.import_module(module)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc's pending deprecation
        from numba.pycc import CC

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        cc = CC(MODULE_NAME)
        cc.output_dir = tmp
        cc.target_cpu = "host"
        cc.verbose = False
        for key in SIGNATURES:
            module, name = key.rsplit(".", 1)
            cc.export(export_name(key), numba_signature(key))(PY_FUNCS[module][name])
        with _releasing_gil(), _host_features():
            cc.compile()
        _durable_replace(Path(tmp) / cc.output_file, target)
    return target


def _durable_replace(made: Path, target: Path) -> None:
    """``made`` renamed to ``target``, its bytes and the rename on the disk first
    (:mod:`graphs.durable`): a power cut then leaves the old state or the whole build, never a
    file of the new name with a part of it, which the dynamic loader refuses ("file too short")
    or maps and dies on (SIGBUS)."""
    fsync_path(made)
    os.replace(made, target)
    fsync_path(target.parent)


#: How long :func:`loads_in_a_child` waits for the child (a whole build loads in ~0.1 s).
LOAD_CHECK_TIMEOUT_S = 60.0


def loads_in_a_child(path: Path) -> str | None:
    """Whether the build at ``path`` loads, tried in a child process (a damaged extension module
    can kill the process that maps it): None when it does, else what went wrong."""
    code = (
        "import importlib.util, sys; "
        f"spec = importlib.util.spec_from_file_location({MODULE_NAME!r}, sys.argv[1]); "
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True, text=True, check=False, timeout=LOAD_CHECK_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"its loading took over {LOAD_CHECK_TIMEOUT_S:g} s"
    if result.returncode == 0:
        return None
    said = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
    return said[:300]


def prune_builds(current: Path, keep: int = KEPT_BUILDS) -> list[Path]:
    """Delete the cache's builds but the ``keep`` most recently made, ``current`` (a build's
    file) always among them; the folders deleted. Only folders named like a build key are
    touched. A process that has a deleted build loaded keeps it (its mapping outlives the
    file); one being made elsewhere is recent and kept."""
    folders = [
        folder
        for folder in current.parent.parent.iterdir()
        if folder.is_dir() and _KEY_FOLDER.fullmatch(folder.name) and folder != current.parent
    ]
    folders.sort(key=lambda folder: folder.stat().st_mtime, reverse=True)
    doomed = folders[max(keep - 1, 0) :]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed


def ensure_built(*, log: Callable[[str], None] = print) -> Path:
    """The build's file, made first when missing: in a child process (this one then imports no
    numba), about half a minute once per change of the kernels. One that is there is first
    loaded in a child (:func:`loads_in_a_child`) and made again when it does not load. Raises
    :class:`~accessibility_rules.kernel_loading.KernelBuildError` when the build fails (no C
    compiler), with the end of its output."""
    target = built_file()
    if target.exists():
        broken = loads_in_a_child(target)
        if broken is None:
            return target
        log(f"the kernels' build {target} does not load ({broken}): made again")
        target.unlink(missing_ok=True)
    log(f"compiling the routing kernels ahead of time into {target.parent} (once) …")
    result = subprocess.run(
        [sys.executable, "-m", "routing.kernel_build", str(target)],
        env=os.environ | {"STUFENLOS_KERNELS": "jit"}, capture_output=True, text=True,
        cwd=_ROOT, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not target.exists():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise KernelBuildError(f"the kernels' ahead-of-time build failed:\n{tail}")
    if pruned := prune_builds(target):
        log(f"deleted {len(pruned)} older builds of the kernels (kept the {KEPT_BUILDS} newest)")
    return target


def main(argv: list[str] | None = None) -> int:
    """Build into the path given, or into the cache's place for these sources (``--if-missing``:
    only when that has none, in a child process as :func:`ensure_built` does)."""
    args = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    if args == ["--if-missing"]:
        target = ensure_built(log=lambda line: print(f"stufenlos: {line}", flush=True))
    else:
        target = Path(args[0]) if args else built_file()
        build(target)
    print(f"kernels: {target} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
