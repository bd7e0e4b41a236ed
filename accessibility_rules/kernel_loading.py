"""How the numba kernels are loaded: built ahead of time, or compiled by numba's JIT.

Every kernel is written once, as a Python function decorated with :func:`kernel` in
:mod:`routing._kernels`' modules, :mod:`accessibility_rules._kernels` or
:mod:`accessibility_rules._sun_kernels` (:data:`KERNEL_MODULES`). What the decorator returns
depends on the mode (``STUFENLOS_KERNELS``, read when the kernels' modules are imported):

- ``jit``: ``numba.njit(cache=True, nogil=True)``: numba compiles each kernel for the types of
  its first call (or loads it from its cache). The process imports numba and LLVM.
- ``compiled``: the function of the ahead-of-time build (:mod:`routing.kernel_build`: the same
  functions compiled by ``numba.pycc`` for the signatures of
  :mod:`accessibility_rules.kernel_signatures`, into one extension module in the cache folder).
  The process imports neither numba nor LLVM: the server's workers are forked from a parent
  that has them not, about 40 MB less of each worker's memory (numba's import 24 MB and its
  compiler's start 14 MB, measured on the serving parent, besides the kernels' code). The built
  functions release the GIL while they run, as the JIT's do (``nogil``). A kernel of
  :data:`~accessibility_rules.kernel_signatures.GUARDED` tests each call's arguments and hands
  one the build does not take to the JIT (which then imports numba).
- ``checked``: ``compiled``, every call's arguments tested against the declared signature; the
  test suite runs so. A call that does not fit is a ``TypeError`` when it comes from the
  library (a caller passing other types than the engine's: the build would misread them), and
  is answered by the JIT when it comes from a test (a test may try other dtypes on purpose).
- ``auto`` (the default): ``compiled`` when the cache holds a build of exactly these sources
  (:func:`build_key`), else ``jit``. ``stufenlos serve`` and the test suite make the build first
  (:func:`routing.kernel_build.ensure_built`).

Helpers that only kernels call (the search's heap, rounding) are not exported by the build; in
the compiled modes they are :class:`_Deferred`: called from Python (a test does), numba's JIT
answers, from a copy of the module's kernels (:func:`_jit_twin`).

The build lives in ``$STUFENLOS_CACHE_DIR/kernels/<key>/`` (the cache folder of
:mod:`graphs.settings`, read here from the environment: this module sits below ``graphs``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import platform
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from accessibility_rules.kernel_signatures import GUARDED, SIGNATURES, arguments_fit

MODES = ("auto", "jit", "compiled", "checked")
#: The build's extension module (its file name adds Python's suffix).
MODULE_NAME = "stufenlos_kernels"
_ROOT = Path(__file__).resolve().parent.parent
#: The modules whose kernels are built: every module of the package ``routing/_kernels`` (a
#: module per concept, found in its folder: a new one is built without being listed here), then
#: the weights' and the sun's.
KERNEL_MODULES = (
    *(
        f"routing._kernels.{path.stem}"
        for path in sorted((_ROOT / "routing" / "_kernels").glob("*.py"))
        if path.stem != "__init__"
    ),
    "accessibility_rules._kernels",
    "accessibility_rules._sun_kernels",
)
#: The files whose bytes decide whether a build fits: the kernels, their signatures, the build.
_SOURCES = (
    *(_ROOT.joinpath(*m.split(".")).with_suffix(".py") for m in KERNEL_MODULES),
    _ROOT / "accessibility_rules" / "kernel_signatures.py",
    _ROOT / "routing" / "kernel_build.py",
)


class KernelBuildError(RuntimeError):
    """The ahead-of-time build is missing or could not be made."""


def mode() -> str:
    """``STUFENLOS_KERNELS``, checked (one of :data:`MODES`)."""
    value = os.environ.get("STUFENLOS_KERNELS", "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(f"STUFENLOS_KERNELS must be one of {', '.join(MODES)}, not {value!r}")
    return value


def export_name(key: str) -> str:
    """The name of kernel ``module.name`` in the build (unique across the kernels' modules)."""
    return key.replace(".", "_")


def _cpu_identity() -> str:
    """What the build's code depends on of this machine (it is compiled for the host CPU)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    wanted = ("model name", "flags")
    return "|".join(sorted({ln for ln in lines if ln.split(":")[0].strip() in wanted}))


def build_key() -> str:
    """A digest of everything a build depends on: the kernels' sources, their signatures, the
    build script, numba's and Python's versions, the platform and the CPU."""
    digest = hashlib.blake2b(digest_size=10)
    for path in _SOURCES:
        digest.update(path.read_bytes())
    for part in (
        importlib.metadata.version("numba"),
        sys.version,
        sys.platform,
        platform.machine(),
        _cpu_identity(),
    ):
        digest.update(part.encode())
    return digest.hexdigest()


def built_file() -> Path:
    """Where the build of these sources lives (it may not exist)."""
    cache = os.environ.get("STUFENLOS_CACHE_DIR")
    root = Path(cache).expanduser() if cache else _ROOT / ".cache"
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return root / "kernels" / build_key() / f"{MODULE_NAME}{suffix}"


_lock = threading.RLock()
_loaded: dict[str, ModuleType | None] = {}
_modules_by_path: dict[Path, ModuleType] = {}


def load_built(path: Path) -> ModuleType:
    """The build at ``path`` as a module (loaded once per path)."""
    with _lock:
        module = _modules_by_path.get(path)
        if module is None:
            spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _modules_by_path[path] = module
        return module


def _compiled_module() -> ModuleType | None:
    """The build as a module in the compiled modes (None in the JIT mode or, with ``auto``,
    without a build). Loaded once."""
    with _lock:
        if "module" in _loaded:
            return _loaded["module"]
        chosen = mode()
        module = None
        if chosen != "jit":
            path = built_file()
            if path.exists():
                module = _load_or_say(path, chosen)
            elif chosen != "auto":
                raise KernelBuildError(
                    f"STUFENLOS_KERNELS={chosen} but no build at {path}: run "
                    "`python -m routing.kernel_build` (or `stufenlos serve`, which makes it)"
                )
        _loaded["module"] = module
        return module


def _load_or_say(path: Path, chosen: str) -> ModuleType | None:
    """The build at ``path``; one that does not load (a file left short by a power cut before
    the build made its writes durable, a damaged disk) is, with ``auto``, passed over for the
    JIT with a warning, else a :class:`KernelBuildError` saying what to do, not a traceback of
    the loader's (``stufenlos serve`` and the tests make such a build again,
    :func:`routing.kernel_build.ensure_built`)."""
    try:
        return load_built(path)
    except (ImportError, OSError) as exc:
        why = str(exc).removeprefix(f"{path}: ")[:200]
        said = f"the kernels' build {path} does not load ({why})"
        if chosen != "auto":
            raise KernelBuildError(
                f"{said}: delete it; `stufenlos serve` or `python -m routing.kernel_build "
                "--if-missing` makes it again"
            ) from exc
        print(f"stufenlos: warning: {said}: numba's JIT runs the kernels instead",
              file=sys.stderr, flush=True)  # fmt: skip
        return None


def compiled_in_use() -> bool:
    """Whether the kernels come from the ahead-of-time build."""
    return _compiled_module() is not None


#: Every kernel's Python function, by module and name (what the JIT and the build compile).
PY_FUNCS: dict[str, dict[str, Callable[..., Any]]] = {}


def _jit(fn: Callable[..., Any]) -> Any:
    from numba import njit

    return njit(cache=True, nogil=True)(fn)


def kernel(fn: Callable[..., Any]) -> Any:
    """The kernel ``fn`` as the mode wants it (see the module's docstring)."""
    PY_FUNCS.setdefault(fn.__module__, {})[fn.__name__] = fn
    module = _compiled_module()
    if module is None:
        return _jit(fn)
    return _from_build(fn, module, checked=mode() == "checked")


def _from_build(fn: Callable[..., Any], module: ModuleType, *, checked: bool) -> Any:
    """What stands for kernel ``fn`` with the build ``module``: the built function, tested
    (``checked``, or a guarded kernel) or not; a helper the build does not export deferred."""
    key = f"{fn.__module__}.{fn.__name__}"
    built = getattr(module, export_name(key), None)
    if built is None:
        return _Deferred(fn)
    if checked or key in GUARDED:
        return _Checked(fn, built, strict=key not in GUARDED)
    return built


def checked_build(key: str, path: Path) -> Any:
    """Kernel ``key`` (``"module.name"``) of the build at ``path`` as the ``checked`` mode gives
    it, whatever this process's mode (its module imported first)."""
    module_name, name = key.rsplit(".", 1)
    importlib.import_module(module_name)
    return _from_build(PY_FUNCS[module_name][name], load_built(path), checked=True)


_twins: dict[str, dict[str, Any]] = {}


def _jit_twin(module_name: str) -> dict[str, Any]:
    """The JIT's kernels of ``module_name`` in a namespace of their own: a copy of the module's
    globals whose kernels are numba's (they call one another through it), the module itself
    left as it is. What answers a call the build cannot take. A kernel it imported from another
    kernels' module is that module's twin's (numba calls numba's functions, not the build's)."""
    with _lock:
        twin = _twins.get(module_name)
        if twin is None:
            twin = dict(vars(sys.modules[module_name]))
            for name, fn in PY_FUNCS.get(module_name, {}).items():
                clone = FunctionType(fn.__code__, twin, fn.__name__, fn.__defaults__)
                clone.__qualname__, clone.__module__ = fn.__qualname__, fn.__module__
                twin[name] = _jit(clone)
            for other, functions in PY_FUNCS.items():
                home = sys.modules[other]
                for name in functions.keys() & twin.keys():
                    if other != module_name and twin[name] is getattr(home, name, None):
                        twin[name] = _jit_twin(other)[name]
            _twins[module_name] = twin
        return twin


class _Deferred:
    """A kernel the build does not export (a helper of other kernels): called from Python (a
    test does), the JIT answers (:func:`_jit_twin`)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.__wrapped__ = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def __call__(self, *args: Any) -> Any:
        fn = self.__wrapped__
        return _jit_twin(fn.__module__)[fn.__name__](*args)


_TESTS = str(_ROOT / "tests")


class _Checked:
    """A built kernel whose every call's arguments are tested against its declared signature:
    the ``checked`` mode, and the :data:`~accessibility_rules.kernel_signatures.GUARDED`
    kernels. A call that does not fit goes to the JIT if it comes from a test or the kernel is
    guarded (not ``strict``), else raises ``TypeError``."""

    def __init__(self, fn: Callable[..., Any], built: Callable[..., Any], *, strict: bool) -> None:
        self.__wrapped__ = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self._built = built
        self._key = f"{fn.__module__}.{fn.__name__}"
        self._strict = strict

    def __call__(self, *args: Any) -> Any:
        if arguments_fit(self._key, args):
            return self._built(*args)
        caller = sys._getframe(1).f_code.co_filename
        if self._strict and not caller.startswith(_TESTS):
            declared = SIGNATURES[self._key][1]
            got = [type(a).__name__ + (f"[{a.dtype}]" if hasattr(a, "dtype") else "") for a in args]
            raise TypeError(f"kernel {self._key} is built for {declared}, not ({', '.join(got)})")
        fn = self.__wrapped__
        return _jit_twin(fn.__module__)[fn.__name__](*args)
