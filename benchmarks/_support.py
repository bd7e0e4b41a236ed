"""What the benchmarks share: the graph to measure and a real ``stufenlos serve`` child process.

Benchmarks run as scripts (``python benchmarks/bench_x.py``), so they import this module as a
sibling: ``from _support import Server, graph_dir``.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np


def _prepare_kernels() -> None:
    """The kernels as ``stufenlos serve`` runs them: their ahead-of-time build made first when the
    cache has none (``api.preload.prepare_kernels``, which ``api.server`` imports, where an older
    commit defines it; ``STUFENLOS_KERNELS=jit`` keeps numba's JIT). At import: a benchmark imports
    this module before the project's, whose kernels are chosen when their modules load, so an
    in-process benchmark never measures the JIT by accident on a fresh cache."""
    from api.server import prepare_kernels

    prepare_kernels()


_prepare_kernels()

HOST = "127.0.0.1"  # loopback only: load tests never leave this machine
START_TIMEOUT_S = 90.0


def load_client(choice: str) -> str:
    """The load generator of ``--client``: ``auto`` is wrk when installed, else httpx, with a
    warning on stderr: httpx runs in the benchmark's own process, which on two cores measures
    itself more than the server (2026-12-06, ``bench_load.py`` on a machine without wrk: 471 /
    142 routes/s at c8 / c64, against 1,900 / 1,900 with Debian's ``wrk``)."""
    if choice != "auto":
        return choice
    if shutil.which("wrk"):
        return "wrk"
    print("wrk is not installed (Debian: apt-get install wrk): the load comes from httpx in this "
          "process, and its figures are mostly its own", file=sys.stderr)  # fmt: skip
    return "httpx"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def ensure_graph(graph: Path, *, is_default: bool) -> None:
    """Make sure ``graph`` holds a loadable graph: the default area is (re)built when it is
    missing or of an older format; any other folder must exist already."""
    from graphs.model import GraphFormatError
    from graphs.store import GraphNotFoundError, load_graph

    try:
        load_graph(graph)
        return
    except (GraphNotFoundError, GraphFormatError) as exc:
        reason = str(exc)
    if not is_default:
        sys.exit(f"{Path(sys.argv[0]).name}: {reason}; build it with `stufenlos build`")
    print(f"{Path(sys.argv[0]).name}: {reason}; building the default area …", file=sys.stderr)
    command = [sys.executable, "-m", "api.cli", "build", "--default-area", "--if-missing"]
    subprocess.run(command, check=True, timeout=600)


def served_answer() -> Any:
    """What a server computes for one route request, in process: ``route_answer`` (route,
    report, steps, facts, JSON, gzip; the serving protocol writes its bytes as they are), or,
    on a commit from before it (``compare_commits.py --script-here``), ``answer_route`` (the
    same with a Starlette ``Response`` around it). Called as ``(router, request, settings,
    live, gzip_ok)``. Where it lives: ``api.route_answers``, on older commits the endpoints'
    module ``api.routes.routing``."""
    try:
        from api import route_answers as routing
    except ImportError:  # a commit from before the module
        from api.routes import routing  # type: ignore[no-redef]

    return getattr(routing, "route_answer", None) or getattr(routing, "answer_route")  # noqa: B009


def preload_module() -> Any:
    """Where the serving parent's preloading lives: ``api.preload``, on a commit from before
    2026-12-08 (``compare_commits.py --script-here``) ``api.server`` (``keep_presets``,
    ``preset_conditions``)."""
    try:
        import api.preload as module
    except ImportError:  # a commit from before the module
        import api.server as module  # type: ignore[no-redef]
    return module


def staff_database(folder: Path, name: str, role: str = "staff") -> tuple[str, dict[str, str]]:
    """A fresh SQLite database in ``folder``, migrated, holding one key named ``name`` (of
    ``role``: staff, or admin for imports): its URL and the headers that send the key."""
    url = f"sqlite:///{folder / 'stufenlos.db'}"
    return url, staff_key(url, name, role)


def staff_key(url: str, name: str, role: str = "staff") -> dict[str, str]:
    """The database at ``url`` migrated, and a new key named ``name`` (of ``role``) in it: the
    headers that send the key."""
    from api.auth import create_key
    from api.db.session import make_engine, make_sessionmaker, upgrade

    engine = make_engine(url)
    upgrade(engine)
    _, key = create_key(make_sessionmaker(engine), name, role)
    engine.dispose()
    return {"Authorization": f"Bearer {key}"}


def print_figures(out: dict[str, Any], json_out: str | None, width: int = 24) -> None:
    """A benchmark's figures, a line each (name padded to ``width``), and the same as JSON to
    ``json_out`` when given (what ``compare_commits.py`` reads)."""
    for name, value in out.items():
        print(f"  {name:{width}} {value}")
    if json_out:
        Path(json_out).write_text(json.dumps(out, indent=2))


def graph_dir(arg: str | Path | None) -> Path:
    """The graph folder given on the command line, else the default area's (built if needed)."""
    from graphs import settings

    path = Path(arg) if arg else settings.default_graph_dir()
    ensure_graph(path, is_default=arg is None)
    return path


#: How long after a phase the server's last access lines of it may reach its log (the access
#: log writes its lines in batches, at most 10 ms after the first: ``api.middleware.ACCESS_FLUSH_S``).
ACCESS_LINES_LATE_S = 0.1


class Server:
    """``stufenlos serve`` as a child process in its own session (its workers stop with it)."""

    def __init__(
        self,
        graph: Path,
        *,
        workers: int = 1,
        port: int | None = None,
        env: dict[str, str] | None = None,
        cli: tuple[str, ...] = ("-m", "api.cli"),
    ) -> None:
        """``cli``: how the interpreter is told to run ``stufenlos`` (a script in its place:
        ``memory_picture.py``'s)."""
        self.base = f"http://{HOST}:{port or free_port()}"
        # the server writes here for its whole life; stop() closes and removes the file
        fd, self.log_path = tempfile.mkstemp(prefix="stufenlos_bench_", suffix=".log")
        self.log = os.fdopen(fd, "wb")
        command = [
            sys.executable, *cli, "serve", "--graph", str(graph),
            "--host", HOST, "--port", self.base.rsplit(":", 1)[1], "--workers", str(workers),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env=os.environ | (env or {}),
        )  # fmt: skip

    def wait_healthy(self, timeout_s: float = START_TIMEOUT_S) -> dict[str, Any]:
        """Poll ``/health`` until it answers 200 (bounded); return its body."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.output()}")
            try:
                response = httpx.get(f"{self.base}/health", timeout=2.0)
                if response.status_code == 200:
                    return response.json()
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after {timeout_s:.0f} s: {self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        """What the server printed so far (its last lines)."""
        self.log.flush()
        return Path(self.log_path).read_text(errors="replace")[-2000:]

    def log_offset(self) -> int:
        """How many bytes the server has written to its log so far: where the lines of a phase
        that starts now begin (:meth:`route_ms`)."""
        return Path(self.log_path).stat().st_size

    def route_ms(self, start: int, end: int, path: str = "/routes") -> list[float]:
        """The server's own time of every request to ``path`` (a route by default) it answered
        with 200 between two offsets (:meth:`log_offset`): the ``ms`` of its access lines (from
        the request head read to the answer written; the wait of an answer or a request in the
        sockets is not in it)."""
        with open(self.log_path, "rb") as log:
            log.seek(start)
            text = log.read(max(0, end - start))
        out = []
        for line in text.splitlines():
            if not line.startswith(b'{"event":"access"'):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("path") == path and entry.get("status") == 200:
                out.append(float(entry["ms"]))
        return out

    def stop(self) -> None:
        """SIGTERM, wait; SIGKILL to its process group if it does not stop in 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self.log.close()
        Path(self.log_path).unlink(missing_ok=True)


def server_latency(ms: list[float]) -> dict[str, float]:
    """Count, p50 and p99 (ms, rounded to 0.01; NaN when empty) of the server's own route times
    of a phase (:meth:`Server.route_ms`): beside the client's figures, what the server adds. On
    this machine the client shares the two cores with the busy workers, and its own wait for a
    core (a response read late) is in its figures: at concurrency 64 wrk's p99 was 75–90 ms
    while no route took the server more than 45 ms (request head read to answer written) in
    the same runs."""

    def pct(q: float) -> float:
        return round(float(np.percentile(ms, q)), 2) if ms else float("nan")

    return {"routes": len(ms), "p50_ms": pct(50), "p99_ms": pct(99)}


class Connection:
    """One keep-alive HTTP/1.1 connection (reopened when the server closed it)."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes, float]:
        """(status, decoded body, seconds from sending to having read the body)."""
        headers = {"Accept-Encoding": "gzip"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - t0
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # keep-alive ended by the server (OSRM: 512 requests)
                if attempt:
                    raise
        if response.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return response.status, data, elapsed

    def close(self) -> None:
        self.conn.close()


# ------------------------------------------------------------------- keys, workers, connections


def create_staff_key(database_url: str, name: str = "benchmark") -> str:
    """A staff key made with ``stufenlos keys create`` (which migrates the database first)."""
    command = [
        sys.executable, "-m", "api.cli", "keys", "create", "--name", name, "--role", "staff",
        "--database-url", database_url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip().splitlines()[-1].strip()


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces), from
    the state on; None for a process that is gone (Linux only)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc; Linux only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(entry.name)) and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (read from /proc; Linux only)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(_children(p))
    return found


def worker_pids(server_pid: int) -> list[int]:
    """The server's worker processes, oldest first: its children, without multiprocessing's
    resource tracker (uvicorn's spawned workers, ``spawn_main``, come with one; the workers
    that ``stufenlos serve`` forks from its preloaded parent are all its children)."""
    workers = []
    for pid in _children(server_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            workers.append(pid)
    return sorted(workers)


def cpu_seconds(pids: list[int]) -> list[float]:
    """User + system CPU seconds each of ``pids`` has used (from /proc; 0 for one gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    for pid in pids:
        fields = _stat_fields(pid)  # utime and stime are fields 14 and 15 of the whole line
        out.append(0.0 if fields is None else (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_shares(before: list[float], after: list[float]) -> list[float]:
    """Each process's share (0–1) of the CPU time all of them used between two
    :func:`cpu_seconds` readings (equal shares when none was used)."""
    used = [max(0.0, b - a) for a, b in zip(before, after, strict=True)]
    total = sum(used)
    return [u / total if total > 0 else 1.0 / len(used) for u in used]


def _server_sockets(
    server_port: int, client_port: int | None = None, *, established: bool = False
) -> set[str]:
    """The server ends of loopback connections to ``server_port`` (from ``client_port`` only,
    when given; ``established`` ones only) as the ``socket:[inode]`` links of /proc/<pid>/fd."""
    local = f"0100007F:{server_port:04X}"
    remote = None if client_port is None else f"0100007F:{client_port:04X}"
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] != local or (remote is not None and fields[2] != remote):
            continue
        if not established or fields[3] == "01":  # 01: ESTABLISHED
            found.add(f"socket:[{fields[9]}]")
    return found


def _holds(pid: int, sockets: set[str]) -> int:
    """How many of ``sockets`` process ``pid`` has open (0 for a process gone)."""
    n = 0
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # a descriptor closed meanwhile
                n += os.readlink(fd) in sockets
    return n


def connection_owner(pids: list[int], server_port: int, client_port: int) -> int | None:
    """Which of ``pids`` holds the server end of the loopback connection from ``client_port``
    (matched in /proc/net/tcp by ports, then by socket inode in each process's fds)."""
    sockets = _server_sockets(server_port, client_port)
    if sockets:
        for pid in pids:
            if _holds(pid, sockets):
                return pid
    return None


def connections_held(pids: list[int], server_port: int) -> list[int]:
    """How many established loopback connections to ``server_port`` each of ``pids`` holds."""
    sockets = _server_sockets(server_port, established=True)
    return [_holds(pid, sockets) for pid in pids]


def random_points(router: Any, rng: Any, k: int) -> list[tuple[float, float]]:
    """``k`` random nodes of ``router``'s graph, each moved 0-5 m in a random direction, as
    (lat, lon): seeded trips for the benchmarks."""
    import numpy as np

    from graphs.geodesy import METRES_PER_DEGREE

    g = router.graph
    nodes = rng.integers(0, g.node_count, k)
    lat, lon = g.node["lat"][nodes], g.node["lon"][nodes]
    dist = rng.uniform(0.0, 5.0, k)
    angle = rng.uniform(0.0, 2 * np.pi, k)
    lat = lat + dist * np.sin(angle) / METRES_PER_DEGREE
    lon = lon + dist * np.cos(angle) / (METRES_PER_DEGREE * np.cos(np.radians(lat)))
    return [(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]


#: The repository these benchmarks belong to.
REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def base_worktree(rev: str) -> Iterator[Path]:
    """The commit ``rev`` checked out into a temporary git worktree, removed afterwards: the
    older side of a comparison in one run (``compare_commits.py``, ``compare_answers.py``)."""
    tree = Path(tempfile.mkdtemp(prefix="stufenlos-base-"))
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev],
        check=True,
        capture_output=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )


def database_copy(source: Path, target: Path) -> Path:
    """``source`` (an SQLite file) copied to ``target``, its schema brought down to the newest
    revision the running code knows when it is newer (so a benchmark's database, made by this
    tree, also opens for an older commit's side of ``compare_commits.py``,
    ``compare_answers.py``: an older server refuses a revision it has no script for). The
    downgrade runs this repository's migrations, which have every revision, in a process of
    their own (the running code may be the older commit's); a schema the code knows is left as
    it is (the server upgrades it at start)."""
    import sqlite3

    from alembic.script import ScriptDirectory

    from api.db.session import MIGRATIONS_DIR  # the running code's (maybe the base's)

    shutil.copyfile(source, target)
    with contextlib.closing(sqlite3.connect(target)) as db:
        (stored,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    known = {s.revision for s in scripts.walk_revisions()}
    if stored in known:
        return target
    head = scripts.get_current_head()
    down = (
        "import sys; from alembic import command; from api.db.session import alembic_config, "
        "make_engine; command.downgrade(alembic_config(make_engine(sys.argv[1])), sys.argv[2])"
    )
    done = subprocess.run(  # (in this repository: ``-c`` puts the working folder first)
        [sys.executable, "-c", down, f"sqlite:///{target.resolve()}", str(head)],
        cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"bringing {target} down to schema {head} failed:\n{done.stderr[-2000:]}")
    print(f"{target.name}: schema {stored} brought down to {head} for this code", file=sys.stderr)
    return target


# ------------------------------------------------------------------- two sides of one switch


def latency_pair(ms: dict[str, list[float]], ours: str, other: str) -> dict[str, Any]:
    """p50 and p90 (ms) of each side's latencies, and the p50 ratio ``ours ÷ other``."""
    out: dict[str, Any] = {}
    for side in (ours, other):
        q = statistics.quantiles(ms[side], n=10)
        out[side] = {"p50_ms": round(q[4], 3), "p90_ms": round(q[8], 3)}
    out["p50_ratio"] = round(out[ours]["p50_ms"] / out[other]["p50_ms"], 3)
    return out


def latency_pair_line(pair: dict[str, Any], ours: str, other: str) -> str:
    """``p50 a vs b ms (÷ r), p90 a vs b ms`` of a :func:`latency_pair`."""
    a, b = pair[ours], pair[other]
    return (
        f"p50 {a['p50_ms']:.3f} vs {b['p50_ms']:.3f} ms (÷ {pair['p50_ratio']:.3f}), "
        f"p90 {a['p90_ms']:.3f} vs {b['p90_ms']:.3f} ms"
    )
