"""The route answer's Python modules compiled by mypyc, imported in place of their sources.

A route answer runs some 400 Python functions (the report, its facts, the steps and their
words, the request's day); interpreted, they are about two thirds of its time.
:mod:`routing.mypyc_build` compiles the modules of :data:`MYPYC_MODULES` with mypyc (the
compiler of mypy, which turns type-annotated Python into C extension modules: the same code,
without the interpreter's dispatch, with unboxed floats and ints where the annotations say
so) into one build in the cache folder. :func:`install` puts a finder first on
``sys.meta_path`` that imports those modules from the build, and nothing else; every other
module, and every module when there is no build, is imported from its source as before.

A build fits only the sources it was made from: its folder is named by :func:`build_key`, a
digest of every Python source of the four packages (the compiled code holds what mypy knew of
the modules they import: classes' layouts, signatures), of ``pyproject.toml`` (mypy's settings)
and of the versions of mypy and Python. After any edit the key is another one, so the
sources are imported until the next build: a stale build is never loaded.

``STUFENLOS_MYPYC`` (read by :func:`install`): ``auto`` (the default) uses the build when it
exists; ``off`` imports the sources (a debugger steps through them, a test may patch them).

What compiled code does differently, and what the suite holds it to: arguments are checked
against their annotations when a compiled function is called (a ``Route`` must be a
``Route``); a value annotated ``float`` is a Python ``float`` inside (a numpy scalar passed
in loses its numpy type, and so its numpy rounding). Compiled functions cannot be replaced by
assigning to their module (other compiled functions call them directly).
``tests/routing/test_mypyc_loading.py`` compares the bytes of route answers of every preset
made by the build and by the sources, in two processes.

This module sits in the lowest package and imports nothing of the project: the packages'
``__init__`` call :func:`install` before any of their modules is imported.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import platform
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = [
    "GROUP_MODULE",
    "MYPYC_MODULES",
    "build_dir",
    "build_key",
    "compiled_modules",
    "install",
    "mode",
    "status",
]

MODES = ("auto", "off")
#: The modules compiled: what a route answer runs, from the request's day to the steps' words.
MYPYC_MODULES = (
    "accessibility_rules.conditions",
    "accessibility_rules.sun",
    "api.conditions",
    "routing.condition_steps",
    "routing.conditions",
    "routing.facts",
    "routing.geometry",
    "routing.instructions",
    "routing.messages",
    "routing.report",
    "routing.rests",
    "routing.rounding",
    "routing.route",
    "routing.walking",
    "routing.wording",
)
#: The build's shared library (mypyc's runtime and every compiled function); the modules of
#: :data:`MYPYC_MODULES` are small shims that import it.
GROUP_MODULE = "stufenlos_mypyc__mypyc"
#: What mypyc calls the group (the shared library's name without ``__mypyc``).
GROUP_NAME = "stufenlos_mypyc"
#: Written last into a build's folder: a folder without it is a build cut short.
COMPLETE_MARK = "complete"

_ROOT = Path(__file__).resolve().parent.parent
_PACKAGES = ("graphs", "accessibility_rules", "routing", "api")
_lock = threading.Lock()
_installed: list[_BuildFinder] = []


def mode() -> str:
    """``STUFENLOS_MYPYC``, checked (one of :data:`MODES`)."""
    value = os.environ.get("STUFENLOS_MYPYC", "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(f"STUFENLOS_MYPYC must be one of {', '.join(MODES)}, not {value!r}")
    return value


def _sources() -> list[Path]:
    """Every file a build depends on, in a fixed order."""
    files = [p for package in _PACKAGES for p in sorted((_ROOT / package).rglob("*.py"))]
    settings = _ROOT / "pyproject.toml"  # absent where the packages are installed, not cloned
    return [*files, settings] if settings.is_file() else files


def build_key() -> str:
    """A digest of what a build depends on (see the module doc)."""
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(str(path.relative_to(_ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    try:
        mypy_version = importlib.metadata.version("mypy")
    except importlib.metadata.PackageNotFoundError:
        mypy_version = "none"
    for part in (mypy_version, sys.version, platform.machine(), platform.system()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def build_dir(key: str | None = None) -> Path:
    """Where the build of these sources lives (it may not exist)."""
    cache = os.environ.get("STUFENLOS_CACHE_DIR")
    root = Path(cache).expanduser() if cache else _ROOT / ".cache"
    return root / "mypyc" / (key or build_key())


def module_file(folder: Path, name: str) -> Path:
    """The extension file of module ``name`` in a build ``folder``."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return folder.joinpath(*name.split(".")).with_name(name.rsplit(".", 1)[-1] + suffix)


class _BuildFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules (and their shared library) in one build folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names = frozenset((*MYPYC_MODULES, GROUP_MODULE))

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        file = module_file(self.folder, fullname)
        if not file.is_file():
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def install() -> Path | None:
    """Import :data:`MYPYC_MODULES` from the build of these sources from now on, if there is
    one and ``STUFENLOS_MYPYC`` is not ``off``; the build's folder, or None. Idempotent. Call it
    before the modules are imported (the packages' ``__init__`` do): one already imported stays
    what it is."""
    with _lock:
        if _installed:
            return _installed[0].folder
        if mode() == "off":
            return None
        folder = build_dir()
        if not (folder / COMPLETE_MARK).is_file():
            return None
        finder = _BuildFinder(folder)
        sys.meta_path.insert(0, finder)
        _installed.append(finder)
        return folder


def status() -> str:
    """One sentence for the server's start: where the answer's modules come from."""
    if not _installed:
        if mode() == "off":
            return "the route answer's modules run from their sources (STUFENLOS_MYPYC=off)"
        return (
            "the route answer's modules run from their sources: no mypyc build of these sources "
            "(make mypyc, about two minutes, makes one)"
        )
    return f"the route answer's modules run as the mypyc build in {_installed[0].folder}"


def compiled_modules() -> list[str]:
    """The modules of :data:`MYPYC_MODULES` imported so far from a build (the others run
    from their sources)."""
    return [
        name
        for name in MYPYC_MODULES
        if (module := sys.modules.get(name)) is not None
        and str(getattr(module, "__file__", "")).endswith(
            tuple(importlib.machinery.EXTENSION_SUFFIXES)
        )
    ]
