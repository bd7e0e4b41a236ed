"""The tester package sits beside the service: it never imports ``api``."""

from __future__ import annotations

import ast
from pathlib import Path

TESTERS = Path(__file__).resolve().parents[2] / "testers"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_testers_never_import_api() -> None:
    files = sorted(TESTERS.glob("*.py"))
    assert files
    for path in files:
        offending = {m for m in imported_modules(path) if m == "api" or m.startswith("api.")}
        assert not offending, f"{path.name} imports {sorted(offending)}"
