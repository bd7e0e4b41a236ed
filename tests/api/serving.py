"""Real HTTP servers on free loopback ports, for the tests that need them: ``python -m api.cli
serve`` in a process (:func:`running_server`), or an app served in a thread (:func:`threaded_server`).

:func:`running_server` starts the server with a throw-away SQLite database (never the
developer's ``.cache/stufenlos.db``), waits until ``/health`` answers, yields the base URL and
stops the server (terminate, then kill) whatever happens; :func:`threaded_server` serves an app
the test made (its settings name its database) until the test is done. :func:`app_state` is the
state of the app a test client serves.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import State

HOST = "127.0.0.1"  # loopback only
START_TIMEOUT_S = 60.0


def app_state(client: TestClient) -> State:
    """``client.app.state``: the state of the FastAPI app a test client serves (``TestClient.app``
    is typed as any ASGI app)."""
    assert isinstance(client.app, FastAPI)
    return client.app.state


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpus_allowed(task: Path) -> frozenset[int]:
    """The CPUs a process or thread may run on: ``Cpus_allowed_list`` of its ``status`` in
    ``/proc`` (``task``: ``/proc/<pid>`` or ``/proc/<pid>/task/<tid>``), e.g. ``0-1,4``."""
    for line in (task / "status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            out: set[int] = set()
            for part in line.split(":", 1)[1].strip().split(","):
                first, _, last = part.partition("-")
                out.update(range(int(first), int(last or first) + 1))
            return frozenset(out)
    raise AssertionError(f"no Cpus_allowed_list in {task}/status")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server and wait for it; kill it if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def running_server(graph_dir: Path, workdir: Path) -> Iterator[str]:
    """``stufenlos serve`` on ``graph_dir``; its log and database live in ``workdir``."""
    port = free_port()
    log = workdir / "server.log"
    command = [
        sys.executable, "-m", "api.cli", "serve", "--graph", str(graph_dir),
        "--host", HOST, "--port", str(port),
    ]  # fmt: skip
    env = os.environ | {"STUFENLOS_DATABASE_URL": f"sqlite:///{workdir}/stufenlos.db"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not healthy after {START_TIMEOUT_S:.0f} s:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        stop(process)
    assert process.returncode is not None


@contextmanager
def uvicorn_in_thread(app: Any, settings: Any, **options: Any) -> Iterator[tuple[Any, str]]:
    """``app`` served by uvicorn in a thread of this process, with the options and protocol of
    ``stufenlos serve`` (:func:`api.http_protocol.uvicorn_options`; ``options`` replace some, e.g.
    ``http`` for the h11 fallback protocol); yields the ``uvicorn.Server`` (a test may ask it to
    exit) and the base URL. Afterwards in-process test clients count as unserved again
    (:func:`api.inflight.track`)."""
    import uvicorn

    from api import inflight
    from api.http_protocol import uvicorn_options

    port = free_port()
    tracked = inflight._tasks
    config = uvicorn.Config(
        app, host=HOST, port=port, log_level="error", **(uvicorn_options(settings) | options)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            assert thread.is_alive(), "server stopped"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield server, f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        inflight.track(tracked)


@contextmanager
def threaded_server(app: Any, settings: Any, **options: Any) -> Iterator[str]:
    """:func:`uvicorn_in_thread`, yielding the base URL only."""
    with uvicorn_in_thread(app, settings, **options) as (_, base):
        yield base
