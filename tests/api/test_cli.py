"""The ``stufenlos`` command line stays light: ``route`` loads neither the server nor the tester
package, and the obstacle service and live overlay do not import each other."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("fastapi", "sqlalchemy", "uvicorn", "testers")
BUILD_ONLY = ("osmnx", "matplotlib")


def loaded_after(code: str) -> set[str]:
    """Top-level packages imported by ``code`` in a fresh interpreter."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def route_code(graph: Path) -> str:
    argv = ["route", "--graph", str(graph), "--from", "49.4405,7.7660", "--to", "49.4420,7.7700"]
    return f"from api.cli import main\nassert main({argv!r}) == 0"


@pytest.mark.realdata
def test_route_command_does_not_load_the_server(centre_graph_dir: Path) -> None:
    loaded = loaded_after(route_code(centre_graph_dir))
    assert "routing" in loaded
    assert not loaded & set(SERVER_ONLY), sorted(loaded & set(SERVER_ONLY))


@pytest.mark.realdata
def test_route_command_does_not_load_the_graph_builder(centre_graph_dir: Path) -> None:
    loaded = loaded_after(route_code(centre_graph_dir))
    assert not loaded & set(BUILD_ONLY), sorted(loaded & set(BUILD_ONLY))


def test_help_imports_nothing_heavy() -> None:
    loaded = loaded_after("from api.cli import build_parser\nbuild_parser()")
    assert not loaded & {*SERVER_ONLY, *BUILD_ONLY, "numpy", "routing", "graphs"}


def test_obstacle_service_and_live_overlay_do_not_import_each_other() -> None:
    assert "api.obstacles.live" not in loaded_modules("import api.obstacles.service")
    assert "api.obstacles.service" not in loaded_modules("import api.obstacles.live")


def loaded_modules(code: str) -> set[str]:
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))
