"""The ``stufenlos`` command line stays light: ``route`` loads neither the server nor the tester
package, and the obstacle service and live overlay do not import each other; and it refuses bad
options and says what it cannot do in one sentence (exit status 2), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def exit_status(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``stufenlos argv``'s exit status and what it wrote to stderr."""
    from api.cli import main

    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's refusal
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["serve", "--port", "99999"], "argument --port: must be from 0 to 65535, got 99999"),
        (["serve", "--workers", "0"], "argument --workers: must be at least 1, got 0"),
        (["bench", "--random", "0"], "argument --random: must be at least 1, got 0"),
        (["bench", "--seed", "-1"], "argument --seed: must be from 0 to 2147483647, got -1"),
        (["bench", "--jobs", "-2"], "argument --jobs: must be at least 0, got -2"),
        (["bench", "--jobs", "two"], "argument --jobs: expected an integer, got 'two'"),
        (["keys", "list", "--database-url", "mysql://x"], "mysql databases are not supported"),
        (["db", "upgrade", "--database-url", "sqlite:////proc/none/x.db"], "stufenlos db: [Errno"),
    ],
)
def test_bad_options_end_in_one_sentence_not_a_traceback_or_a_clamp(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hostile-input battery of the command line (2026-12-06): ``--workers 0`` served with one
    worker and ``--random 0`` routed the default 1,000 pairs (clamped, not refused); ``--port
    99999``, ``--seed -1``, a ``mysql://`` database URL and a database file that cannot be made
    ended in a traceback."""
    status, err = exit_status(argv, capsys)
    assert status == 2
    assert said in err
    assert "Traceback" not in err


@pytest.mark.realdata
def test_serve_and_bench_say_what_they_cannot_do_in_one_sentence(
    centre_graph_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, err = exit_status(
        ["bench", "--graph", str(centre_graph_dir), "--random", "2", "--out", "/proc/none", "--quiet"],
        capsys,
    )  # fmt: skip
    assert (status, "Traceback" in err) == (2, False)
    assert err.startswith("stufenlos bench: [Errno")
    monkeypatch.setenv("STUFENLOS_DATABASE_URL", "mysql://x")
    status, err = exit_status(["serve", "--graph", str(centre_graph_dir), "--port", "0"], capsys)
    assert status == 2
    assert err.startswith("stufenlos serve: mysql databases are not supported: use SQLite")


@pytest.mark.realdata
@pytest.mark.parametrize("command", [["info"], ["route", "--from", "49.4405,7.7660", "--to", "49.4420,7.7700", "--json"]])  # fmt: skip
def test_a_reader_that_has_gone_ends_the_command_quietly(
    centre_graph_dir: Path, command: list[str]
) -> None:
    """``stufenlos info --graph G | head`` said "stufenlos info: [Errno 32] Broken pipe" once
    ``head`` had read its lines (2026-12-07). Now the command ends as a Unix tool does: status
    141 (a shell's for SIGPIPE), nothing on standard error. Its standard output here is a pipe
    whose reading end is already closed, so every write fails."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", *command[:1], "--graph", str(centre_graph_dir), *command[1:]],
            cwd=REPO_ROOT, stdout=writing, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    finally:
        os.close(writing)
    assert (done.returncode, done.stderr) == (141, "")


def test_serve_on_a_port_in_use_says_so_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """A port another server listens on: one sentence and status 2 before anything is loaded
    (found 2026-12-07: seconds of loading, then uvicorn's "ERROR: [Errno 98] Address already in
    use" and status 3)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        status, err = exit_status(["serve", "--port", str(port), "--graph", "/nonexistent"], capsys)
    assert status == 2
    assert err == (
        f"stufenlos serve: cannot listen on 127.0.0.1:{port}: Address already in use (another "
        "server there? --port chooses another)\n"
    )
    assert time.monotonic() - started < 5.0  # before the graph was looked for
