"""``stufenlos serve --workers 2``: workers forked from a preloaded parent, replaced when killed,
all stopped by SIGTERM (api/server.py's :class:`~api.supervisor.Supervisor`), over real HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.serving import HOST, cpus_allowed, free_port, stop

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

START_TIMEOUT_S = 60.0


@dataclass
class Served:
    """A running server: its base URL, its process and its log."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """The server's child processes (its workers), sorted."""
        out: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
                out.extend(int(c) for c in (task / "children").read_text().split())
        return sorted(out)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s until it holds; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout_s:.0f} s: {what}")
        time.sleep(0.1)


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def serving(
    graph_dir: Path, workdir: Path, workers: int = 2, cpus: set[int] | None = None
) -> Iterator[Served]:
    """``stufenlos serve --workers N`` on a throw-away database, healthy with all its workers;
    given ``cpus``, the server may run on those only and pins its workers
    (``STUFENLOS_WORKER_CPU_AFFINITY=auto``)."""
    port = free_port()
    log = workdir / "server.log"
    command = [
        sys.executable, "-m", "api.cli", "serve", "--graph", str(graph_dir),
        "--host", HOST, "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    env = os.environ | {"STUFENLOS_DATABASE_URL": f"sqlite:///{workdir}/stufenlos.db"}
    if cpus is not None:
        env["STUFENLOS_WORKER_CPU_AFFINITY"] = "auto"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env,
            preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
        )  # fmt: skip
    served = Served(f"http://{HOST}:{port}", process, log)
    try:
        wait_for(
            lambda: process.poll() is not None or healthy(served.base),
            START_TIMEOUT_S,
            "server healthy",
        )
        assert process.poll() is None, log.read_text()
        wait_for(lambda: len(served.workers()) == workers, 10.0, f"{workers} workers")
        yield served
    finally:
        stop(process)


def allowed_cpus(pid: int) -> dict[int, frozenset[int]]:
    """The CPUs each thread of process ``pid`` may run on, by thread id (a thread that ends
    while they are read is left out: a worker starting up makes and ends threads)."""
    out: dict[int, frozenset[int]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            out[int(task.name)] = cpus_allowed(task)
    return out


#: Two of the CPUs the tests may use (one where there is only one): ``serve --workers 2`` on
#: these, with ``STUFENLOS_WORKER_CPU_AFFINITY=auto``, gives worker i the i-th as its home
#: (api/affinity.py), unless there is only one.
TWO_CPUS = set(sorted(os.sched_getaffinity(0))[:2])


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


ROUTE = {
    "origin": {"lat": 49.4444, "lon": 7.7712},
    "destination": {"lat": 49.4417, "lon": 7.7617},
    "profile": {"name": "wheelchair"},
}


def test_workers_are_forked_from_the_preloaded_parent(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    with serving(centre_graph_dir, tmp_path, cpus=TWO_CPUS) as served:
        parent = served.process.pid
        workers = served.workers()
        assert len(workers) == 2
        for pid in workers:
            # forked, not spawned: a worker runs the parent's command line, and says so
            assert (
                Path(f"/proc/{pid}/cmdline").read_bytes()
                == Path(f"/proc/{parent}/cmdline").read_bytes()
            )

            def started(pid: int = pid) -> bool:
                return (
                    f"worker {pid} forked from preloaded parent {parent}" in served.log.read_text()
                )

            wait_for(started, 10.0, "the worker's start line")
            # the preloaded pages are shared with the parent, not loaded again (tens of MB)
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().split()
            shared_kb = sum(
                int(rollup[i + 1]) for i, k in enumerate(rollup) if k.startswith("Shared_")
            )
            assert shared_kb > 50 * 1024
            maps = Path(f"/proc/{pid}/maps").read_text()
            assert "site-packages/scipy/" not in maps  # numba imported without it (api/server.py)
            assert "memfd:stufenlos-shared-arrays" in maps  # routing/shared_arrays.py
        with httpx.Client(base_url=served.base, timeout=30.0) as client:
            for _ in range(4):  # new connections: either worker may take them (api/balance.py)
                response = client.post("/routes", json=ROUTE, headers={"Connection": "close"})
                assert response.status_code == 200, response.text
        # a worker that is not loaded runs on a CPU of its own, every thread of it (its event
        # loop, its CPU thread): api/affinity.py
        each = [set(allowed_cpus(pid).values()) for pid in workers]
        if len(TWO_CPUS) == 2:
            assert len(each) == 2  # and each worker's threads share one CPU, the two differ:
            assert {frozenset(m) for m in each} == {frozenset({frozenset({c})}) for c in TWO_CPUS}
            assert max(len(allowed_cpus(pid)) for pid in workers) > 1  # a CPU thread is there
            assert "with 2 worker(s), on CPUs" in served.log.read_text()
        else:  # one CPU: nothing pinned beyond what the server was given
            assert each == [{frozenset(TWO_CPUS)}] * 2


def test_workers_are_not_pinned_by_default(centre_graph_dir: Path, tmp_path: Path) -> None:
    with serving(centre_graph_dir, tmp_path) as served:
        with httpx.Client(base_url=served.base, timeout=30.0) as client:
            response = client.post("/routes", json=ROUTE)
            assert response.status_code == 200, response.text
        everywhere = allowed_cpus(served.process.pid)[served.process.pid]
        for pid in served.workers():
            assert set(allowed_cpus(pid).values()) == {everywhere}
        assert "on CPUs" not in served.log.read_text()


def test_a_killed_worker_is_replaced_and_answers(centre_graph_dir: Path, tmp_path: Path) -> None:
    with serving(centre_graph_dir, tmp_path, cpus=TWO_CPUS) as served:
        victim, survivor = served.workers()
        victim_cpus = allowed_cpus(victim)[victim]
        os.kill(victim, signal.SIGKILL)
        now: list[int] = []

        def replaced() -> bool:
            # one reading: the killed worker is listed until the parent reaps it, so two
            # readings could see it (and the survivor) and then neither it nor the new one
            now[:] = served.workers()
            return len(now) == 2 and victim not in now

        wait_for(replaced, 10.0, "a new worker in place of the killed one")
        (new,) = set(now) - {survivor}
        assert survivor in now
        wait_for(  # the same slot, so the same CPU (it pins itself just after the fork)
            lambda: allowed_cpus(new).get(new) == victim_cpus, 10.0, "the new worker on its CPU"
        )
        assert f"worker {victim} ended (signal SIGKILL)" in served.log.read_text()
        wait_for(  # the new worker writes this line itself, just after the fork
            lambda: (
                f"worker {new} forked from preloaded parent {served.process.pid}"
                in served.log.read_text()
            ),
            10.0,
            "the new worker's start line",
        )
        os.kill(survivor, signal.SIGSTOP)  # only the new worker can answer now
        try:
            response = httpx.post(f"{served.base}/routes", json=ROUTE, timeout=30.0)
        finally:
            os.kill(survivor, signal.SIGCONT)
        assert response.status_code == 200, response.text


def connections_held(pids: list[int], port: int) -> list[int]:
    """How many established connections to ``port`` each of ``pids`` holds (from /proc)."""
    local = f"0100007F:{port:04X}"
    inodes = {
        f"socket:[{f[9]}]"
        for f in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
        if f[1] == local and f[3] == "01"  # 01: ESTABLISHED
    }
    held = []
    for pid in pids:
        n = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # a descriptor closed meanwhile
                n += os.readlink(fd) in inodes
        held.append(n)
    return held


def health_on_each(clients: list[socket.socket]) -> None:
    """``GET /health`` on each keep-alive connection, its answer read."""
    for c in clients:
        c.sendall(b"GET /health HTTP/1.1\r\nHost: stufenlos\r\n\r\n")
    for c in clients:
        assert c.recv(65536).startswith(b"HTTP/1.1 200")


def _burst_of_eight(workers: list[int], port: int) -> list[int]:
    """Eight connections queued while both workers are stopped (a burst, as wrk or a proxy
    opens its pool), then let go: the connections each worker holds, once all are answered."""
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        burst = [socket.create_connection((HOST, port), timeout=10) for _ in range(8)]
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    health_on_each(burst)
    held = connections_held(workers, port)
    for c in burst:
        c.close()
    wait_for(lambda: connections_held(workers, port) == [0, 0], 10.0, "connections closed")
    return held


def _eight_one_by_one(workers: list[int], port: int) -> list[int]:
    """Eight connections opened one after another, each answered before the next."""
    one_by_one = []
    for _ in range(8):
        one_by_one.append(socket.create_connection((HOST, port), timeout=10))
        health_on_each(one_by_one[-1:])
    held = connections_held(workers, port)
    for c in one_by_one:
        c.close()
    wait_for(lambda: connections_held(workers, port) == [0, 0], 10.0, "connections closed")
    return held


def test_connections_are_spread_evenly_over_the_workers(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    """api/balance.py: eight connections in a burst, then one by one: four each. The event
    loops' own accepting gave all eight queued ones to whichever worker woke first.

    Balancing leaves a connection to the worker with fewer only while that one moves within
    ``STEP_ASIDE_S`` (10 ms); a worker the host does not schedule for longer (a busy CI
    machine, just after SIGCONT) is passed over, by design (measured: 4/4 in 20 of 20 bursts
    on a quiet machine, 19 of 20 in a busy hour). So each pattern gets three tries, and one of
    them must come out even."""
    with serving(centre_graph_dir, tmp_path) as served:
        port = int(served.base.rsplit(":", 1)[1])
        workers = served.workers()
        for pattern in (_burst_of_eight, _eight_one_by_one):
            tries: list[list[int]] = []
            while len(tries) < 3 and [4, 4] not in tries:
                tries.append(pattern(workers, port))
            assert [4, 4] in tries, (pattern.__name__, tries)


def test_sigterm_stops_the_parent_and_every_worker(centre_graph_dir: Path, tmp_path: Path) -> None:
    with serving(centre_graph_dir, tmp_path) as served:
        workers = served.workers()
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=20) == 0
        wait_for(lambda: not any(alive(p) for p in workers), 5.0, "workers gone")


def test_workers_end_when_the_parent_is_killed(centre_graph_dir: Path, tmp_path: Path) -> None:
    with serving(centre_graph_dir, tmp_path) as served:
        workers = served.workers()
        served.process.kill()
        served.process.wait(timeout=10)
        wait_for(lambda: not any(alive(p) for p in workers), 15.0, "orphaned workers gone")


def test_the_serving_code_leaves_file_readers_and_sparse_graphs_unimported() -> None:
    """Every module the serving parent imports sits in each forked worker's memory: the OSM
    reader (pyosmium) and SciPy's sparse graphs (trip drawing of bench runs) are imported only
    by the functions that use them."""
    code = (
        "import sys, api.app, api.server, routing.engine, testers.jobs, testers.priorities\n"
        "print(sorted(m for m in ('osmium', 'scipy.sparse') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


#: The environment of a child that runs the kernels by numba's JIT
#: (``accessibility_rules.kernel_loading``): what a machine without the build serves with.
_JIT = os.environ | {"STUFENLOS_KERNELS": "jit"}


def test_the_serving_process_imports_numba_without_scipy(centre_graph_dir: Path) -> None:
    """With numba's JIT (no ahead-of-time build): numba probes for SciPy's BLAS at import
    (``numba.np.arraymath``); the serving process hides SciPy during that import
    (``import_numba_without_unused_probes``), so neither SciPy nor what it drags in
    (``numpy.testing``, ``unittest``, ``numpy.f2py``) sits in every worker. SciPy stays
    importable afterwards, and the kernels still load and run."""
    code = (
        "import sys\n"
        "from api.preload import import_numba_without_unused_probes\n"
        "import_numba_without_unused_probes()\n"
        "import api.app, routing.engine, numba.np.arraymath\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in\n"
        "              ('scipy', 'unittest')}), numba.np.arraymath._HAVE_BLAS)\n"
        "import scipy.sparse\n"
        "from graphs.store import load_graph\n"
        "from routing.engine import Router\n"
        "Router(load_graph(sys.argv[1])).warm_up()\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(centre_graph_dir)],
        capture_output=True, text=True, timeout=300, check=True, env=_JIT,
    )  # fmt: skip
    assert out.stdout.split("\n")[:2] == ["[] False", "ok"]


#: Run in a fresh interpreter: preload the app as ``stufenlos serve`` does, note how many
#: signatures every kernel has loaded, answer varied route requests, print the kernels that
#: loaded more (JSON). A kernel first loaded by a request is loaded by every forked worker on
#: its own: numba's code for it (several MB) is then private memory in each worker.
_KERNELS_AFTER_PRELOAD = """
import importlib, itertools, json, sys
import numpy as np
from accessibility_rules.kernel_loading import KERNEL_MODULES
from accessibility_rules.profile import preset_names
from api.errors import ApiError
from api.route_answers import plan
from api.schemas import RouteRequest
from api.preload import preload_app
from api.settings import Settings
from routing.errors import RoutingError

settings = Settings(graph_dir=sys.argv[1], database_url=f"sqlite:///{sys.argv[2]}")
app = preload_app(settings)
router = app.state.router
kernels = {
    f"{module.__name__}.{name}": f
    for module in map(importlib.import_module, KERNEL_MODULES)
    for name, f in vars(module).items()
    if hasattr(f, "signatures") and hasattr(f, "py_func")
}
loaded = {name: len(f.signatures) for name, f in kernels.items()}
lat, lon = router.graph.node["lat"], router.graph.node["lon"]
rng = np.random.default_rng(11)
times = ("2026-06-21T15:00:00", "2026-12-21T21:00:00", "2026-04-10T06:30:00")
answered = 0
for i, preset in enumerate(itertools.islice(itertools.cycle(preset_names()), 56)):
    a, b, c = (int(x) for x in rng.integers(0, len(lat), size=3))
    point = lambda n: {"lat": float(lat[n]) + 1e-5, "lon": float(lon[n]) - 1e-5}
    body = {
        "origin": point(a), "destination": point(b), "profile": {"name": preset},
        "language": ("de", "en")[i % 2], "departure_time": times[i % 3],
    }
    if i % 4 == 1:
        body["alternatives"] = 1
    if i % 4 == 2:
        body["via"] = [point(c)]
    if i % 5 == 0:
        body["pollen_forecast"] = {"betula": 3, "grasses": 1}
    try:
        plan(router, RouteRequest.model_validate(body), 3, 3)
        answered += 1
    except (ApiError, RoutingError):
        pass
more = sorted(n for n, f in kernels.items() if len(f.signatures) > loaded[n])
print(json.dumps({"answered": answered, "loaded_later": more}))
"""


def test_the_preloaded_parent_loads_every_kernel_a_route_uses(
    centre_graph_dir: Path, tmp_path: Path
) -> None:
    """With numba's JIT: every kernel that answering a route runs is loaded by the serving
    parent before the fork (``Router.warm_up``): answering route requests of every preset, both languages, by day, at
    night and at dawn, with alternatives, via points and a pollen forecast loads none."""
    out = subprocess.run(
        [sys.executable, "-c", _KERNELS_AFTER_PRELOAD, str(centre_graph_dir), str(tmp_path / "a.db")],
        capture_output=True, text=True, timeout=300, check=True, env=_JIT,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["answered"] >= 40
    assert result["loaded_later"] == []
