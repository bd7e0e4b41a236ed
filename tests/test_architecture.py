"""The package layering of docs/ARCHITECTURE.md, checked on the source of every module.

``api → routing → graphs → accessibility_rules``, and ``testers`` beside ``api`` (it may use
everything below ``api`` but never ``api``). Every import counts, also the ones inside functions
and under ``TYPE_CHECKING``: a lower layer must not even *name* a higher one. Inside the library
layers there are no import cycles between modules, and ``import routing.engine`` (what the
server, the CLI and every bench worker pay) loads neither the graph builder's osmnx stack nor a
plotting library.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from accessibility_rules.kernel_loading import KERNEL_MODULES

ROOT = Path(__file__).resolve().parents[1]

#: What each top-level package may import from this project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "accessibility_rules": set(),
    "graphs": {"accessibility_rules"},
    "routing": {"graphs", "accessibility_rules"},
    "testers": {"routing", "graphs", "accessibility_rules"},
    "api": {"routing", "graphs", "accessibility_rules", "testers"},
}
PACKAGES = tuple(ALLOWED)
#: api may reach the tester package only to dispatch the ``bench`` command.
#: The api modules that serve the testers' tools: the CLI's ``bench``, and over HTTP the bench
#: jobs and mapping priorities of the web console (``api.app`` wires the jobs at start-up).
API_TO_TESTERS = {"api.cli", "api.app", "api.routes.bench", "api.routes.priorities"}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules imported anywhere in ``path`` (resolved to the longest known module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for target in targets:
            if target.split(".")[0] not in PACKAGES:
                continue
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_only_lower_layers(module: str) -> None:
    package = module.split(".")[0]
    allowed = ALLOWED[package] | {package}
    if package == "api" and module not in API_TO_TESTERS:
        allowed = allowed - {"testers"}
    wrong = sorted(t for t in GRAPH[module] if t.split(".")[0] not in allowed)
    assert not wrong, f"{module} imports {wrong}, against the layering {package} → {allowed}"


def test_no_import_cycles_between_modules() -> None:
    """Tarjan's strongly connected components over the module import graph: all singletons."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            # a package's __init__ re-exporting its modules is not a cycle of concepts
            if len(component) > 1 and not any(c in PACKAGES for c in component):
                cycles.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(GRAPH):
            if v not in index:
                visit(v)
    finally:  # the process's own again: a test of the API after this one in the same worker
        sys.setrecursionlimit(limit)  # reads a 5,000-deep body only under a raised limit
    assert not cycles, f"import cycles: {cycles}"


def test_engine_import_loads_no_builder_or_plotting() -> None:
    code = (
        "import sys, routing.engine, routing.matrix, routing.obstacles.overlay; "
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = {m.split(".")[0] for m in done.stdout.split()}
    heavy = {"osmnx", "matplotlib", "geopandas", "networkx", "pandas", "fastapi", "sqlalchemy"}
    assert not loaded & heavy, sorted(loaded & heavy)
    assert "graphs.build" not in done.stdout.split()


def test_no_kernel_calls_blas() -> None:
    """The serving process imports numba with SciPy hidden (``api/server.py``), so a kernel that
    called ``np.dot``, ``np.linalg``, ``np.vdot``, ``np.matmul``, ``np.kron``, ``np.inner`` or
    ``@`` would fail to compile there: none does."""
    paths = [ROOT.joinpath(*module.split(".")).with_suffix(".py") for module in KERNEL_MODULES]
    assert len(paths) >= 3
    for path in paths:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} uses @")
            if isinstance(node, ast.Attribute) and node.attr in {
                "dot", "linalg", "vdot", "matmul", "kron", "inner",
            }:  # fmt: skip
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} uses np.{node.attr}")
