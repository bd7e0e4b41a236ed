"""What ``stufenlos serve`` does: migrate the database, preload the app, fork uvicorn workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from accessibility_rules.kernel_loading import compiled_in_use
from api.affinity import WorkerLoads, available_cpus, set_loop_home, worker_cpus
from api.balance import BalancedServer, ConnectionShares, CountedConnection
from api.direct import DirectRoutes
from api.inflight import track
from api.log_stream import drain_output
from api.reading import MAX_HEAD_BYTES, BoundedReads, write_error_answer

if TYPE_CHECKING:
    from accessibility_rules.conditions import Conditions
    from accessibility_rules.profile import Profile
    from api.settings import Settings
    from routing.engine import Router

#: Environment variable through which the head timeout reaches the protocol of every worker.
HEADER_TIMEOUT_ENV = "STUFENLOS_HEADER_TIMEOUT_S"
DEFAULT_HEADER_TIMEOUT_S = 5.0
#: ... and the body timeout.
BODY_TIMEOUT_ENV = "STUFENLOS_BODY_TIMEOUT_S"
DEFAULT_BODY_TIMEOUT_S = 30.0


def header_timeout_s() -> float:
    """The head-read timeout of this process (``STUFENLOS_HEADER_TIMEOUT_S``, else 5 s)."""
    value = os.environ.get(HEADER_TIMEOUT_ENV)
    return float(value) if value else DEFAULT_HEADER_TIMEOUT_S


def body_timeout_s() -> float:
    """The body-read timeout of this process (``STUFENLOS_BODY_TIMEOUT_S``, else 30 s)."""
    value = os.environ.get(BODY_TIMEOUT_ENV)
    return float(value) if value else DEFAULT_BODY_TIMEOUT_S


class _HeadTimeout:
    """Close a connection that sends no complete request head within the timeout, or not the
    whole body of a request within the body timeout (and hand the process's request tasks to
    :func:`api.inflight.track`).

    uvicorn times out idle keep-alive connections only, and only until their first byte: a
    client that sends half a request line holds its connection forever, and so does one that
    announces a body (``Content-Length: 1000``) and sends ten bytes of it (found by a
    hostile-input battery: still open after 300 s, one of ``max_connections``). The head timer
    runs from the connection's start and from the end of each response (when no pipelined
    request waits) until a request head is complete; the body timer from then until the
    request's last byte. The app's work is not timed here.
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    timeout_keep_alive_task: asyncio.TimerHandle | None
    tasks: set[asyncio.Task[None]]
    _head_timer: asyncio.TimerHandle | None = None
    _head_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    _body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    _deferred_400: str | None = None  # a malformed request's, until the answer before it is out

    def _arm_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self._head_timeout_s, self._head_timed_out)

    def _arm_body_timer(self) -> None:
        """The head is complete: its body (if any) must follow within the body timeout."""
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self._body_timeout_s, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._head_timeout_s = header_timeout_s()  # read once per connection, not per response
        self._body_timeout_s = body_timeout_s()
        super().connection_made(transport)  # type: ignore[misc]
        track(self.tasks)  # the process's request tasks: a route alone may run on the loop
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self._deferred_400 is not None:  # a malformed request waited for this answer
            cycle = getattr(self, "cycle", None)
            if cycle is None or cycle.response_complete:  # (and any pipelined before it)
                self._write_400(self._deferred_400)
            return
        if self.timeout_keep_alive_task is not None:  # idle now: the next head is timed
            self._arm_head_timer()

    def _unsupported_upgrade_warning(self) -> None:
        """An ``Upgrade`` request is answered as plain HTTP (no WebSocket protocol:
        :func:`uvicorn_options`); uvicorn logged two warnings for each, one advising to install
        a WebSocket library. The access line records the request."""

    def send_400_response(self, msg: str) -> None:
        """A malformed request's 400 in the API's shape (:meth:`_write_400`),
        after the answer to a whole request before it on the connection that is still being
        made (pipelined): uvicorn wrote the 400 at once and closed the connection, and that
        request, well-formed, went unanswered (found by a hostile-input battery: a
        ``Content-Length`` shorter than the body, whose rest reads as a malformed request).
        A request whose own body broke the parser gets it at once."""
        if self._deferred_400 is not None:
            return  # said once (the parser, broken, may fail again on more data)
        cycle = getattr(self, "cycle", None)
        owed = (
            cycle is not None
            and not cycle.response_complete
            and not getattr(cycle, "more_body", False)  # its body is whole: not the malformed one
            and getattr(self, "_direct", None) is None  # (nor a direct route's, still coming)
            and not self.transport.is_closing()
        )
        if owed:
            self._deferred_400 = msg
            return
        self._write_400(msg)

    def _write_400(self, msg: str) -> None:
        """Write the 400 of :meth:`send_400_response` and close the connection, as uvicorn does:
        in the API's error shape and headers, where uvicorn wrote ``Invalid HTTP request
        received.`` as plain text without them (a bad chunk size, ``Content-Length`` with
        ``Transfer-Encoding``, a control byte in a header …; found by a hostile-input
        battery)."""
        if self.transport.is_closing():  # the client has gone meanwhile
            return
        problem = f"malformed HTTP request: {msg.rstrip('.')}"
        write_error_answer(self.transport, 400, b"Bad Request", "invalid_request", problem)
        self.transport.close()


class HeadTimeoutHttpToolsProtocol(
    BoundedReads, _HeadTimeout, CountedConnection, DirectRoutes, HttpToolsProtocol
):
    """uvicorn's httptools protocol with a head-read timeout, a head-size limit and a bounded
    pipeline (:class:`api.reading.BoundedReads`), answering a well-formed route request itself
    (:class:`api.direct.DirectRoutes`), counted in its worker's share of the connections
    (:class:`api.balance.CountedConnection`)."""

    def on_headers_complete(self) -> None:
        self._arm_body_timer()
        self._head_ends()
        self.first_head()  # the request's task (if it gets one) is made just below
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_head_timer()  # the body is in
        self._next_head()
        super().on_message_complete()


class HeadTimeoutH11Protocol(_HeadTimeout, CountedConnection, H11Protocol):
    """uvicorn's h11 protocol with a head-read timeout (when httptools is not installed)."""

    _timing_body = False  # the head is in and the body timer runs

    def handle_events(self) -> None:
        super().handle_events()
        state = self.conn.their_state
        if state is h11.IDLE or self._head_timer is None:
            return
        if state is h11.SEND_BODY:  # the head is in, its body follows
            if not self._timing_body:
                self._timing_body = True
                self._arm_body_timer()
                self.first_head()
            return
        if not self._timing_body:  # head and (empty) body came at once
            self.first_head()
        self._timing_body = False
        self._stop_head_timer()  # the request is in


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that harden the server (``stufenlos serve`` and the tests use them).

    ``X-Forwarded-For`` is believed only from ``settings.forwarded_allow_ips`` (uvicorn's own
    default trusts every process on loopback); connections per worker are bounded (503 past
    ``max_connections``) and a request head must arrive within ``header_timeout_s``. No
    ``Server: uvicorn`` header: it tells an attacker the software and helps no client. No
    WebSocket protocol: the API has no WebSocket endpoint, and uvicorn upgraded any request
    asking for one, then answered 403 with an empty text body (no error shape, no request id,
    no security headers; found by a hostile-input battery). A request with ``Upgrade:
    websocket`` is now answered as the HTTP request it also is.
    """
    allow = settings.forwarded_allow_ips.strip()
    try:
        import httptools  # noqa: F401

        protocol = "api.server:HeadTimeoutHttpToolsProtocol"
    except ImportError:  # pragma: no cover - uvicorn[standard] ships httptools
        protocol = "api.server:HeadTimeoutH11Protocol"
    return {
        "http": protocol,
        "proxy_headers": bool(allow),
        "forwarded_allow_ips": allow or None,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "server_header": False,
        "ws": "none",
    }


#: What numba imports only to probe for, and the serving process never uses: SciPy, whose BLAS
#: numba would call for ``np.dot``/``np.linalg`` in jitted code (no kernel here does:
#: ``tests/test_architecture.py`` checks). Probed at numba's import, it brings ``scipy.linalg``,
#: ``numpy.testing``, ``unittest`` and ``numpy.f2py``: about 8 MB of every worker's memory.
NUMBA_PROBES_UNUSED = ("scipy",)


def import_numba_without_unused_probes() -> None:
    """Import numba with :data:`NUMBA_PROBES_UNUSED` hidden, then show them again.

    numba decides once, at import, whether SciPy's BLAS is there (``numba.np.arraymath``); with
    SciPy hidden it records "no BLAS" and loads nothing of it. The packages are importable again
    afterwards (the tester tools import ``scipy.sparse`` when a job needs it). A no-op when numba
    is already imported (a test run, a script that imported the engine first).
    """
    if "numba" in sys.modules:
        return
    hidden = [name for name in NUMBA_PROBES_UNUSED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401  (where the probe runs)
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def prepare_kernels() -> None:
    """Make the kernels' ahead-of-time build when it is missing (:mod:`routing.kernel_build`;
    once per change of the kernels, about half a minute), so that neither this process nor its
    workers import numba. ``STUFENLOS_KERNELS=jit`` skips it; where the build fails (no C
    compiler) the JIT serves, with a warning, unless the build was asked for
    (``STUFENLOS_KERNELS=compiled``)."""
    from accessibility_rules.kernel_loading import KernelBuildError, mode
    from routing.kernel_build import ensure_built

    if mode() == "jit":
        return
    try:
        ensure_built(log=lambda line: print(f"stufenlos: {line}", file=sys.stderr, flush=True))
    except KernelBuildError as error:
        if mode() != "auto":
            raise
        print(
            f"stufenlos: warning: {error}\nstufenlos: numba's JIT serves instead (each worker "
            "holds about 40 MB more)",
            file=sys.stderr,
        )


def preload_app(settings: Settings) -> Any:
    """The app with everything the workers share loaded once, in the serving parent.

    The graph's arrays are memory-mapped, the numba kernels loaded (``warm_up``), the metrics of
    every preset customised (in the conditions requests meet today: by day and in the dark, with
    today's pollen, :func:`preset_conditions`), obstacle matching's edge geometry index and the
    framework's per-route machinery (:func:`~api.app.build_route_handlers`) built, so that forked
    workers start with them in pages they share with the parent (copy-on-write) instead of
    loading, compiling and computing them each. The database, the live obstacles, the event loop
    and its threads are made by each worker after the fork (the app's lifespan), never here:
    none of them survives a fork.
    """
    import datetime as dt

    from accessibility_rules.conditions import BERLIN, day_light
    from api.app import build_route_handlers, create_app, load_router
    from routing.obstacles.matching import edge_geometry_index

    router = load_router(settings)
    keep_presets(router)
    # the sun's kernel and today's clock (every answer reports sunrise and sunset at its origin)
    day_light(
        float(router.graph.node["lat"][0]),
        float(router.graph.node["lon"][0]),
        dt.datetime.now(BERLIN),
    )
    edge_geometry_index(router.graph, router.index)  # obstacle matching's (cached by the index)
    router.share_memory()  # the workers map the derived arrays they read, not all of them
    _import_what_workers_import(settings)
    app = create_app(settings, router=router)
    build_route_handlers(app)
    app.openapi()  # the operations' query parameters (api.declared_query), /openapi.json
    return app


def keep_presets(router: Router) -> None:
    """Customise every preset in the conditions of :func:`preset_conditions`, kept (cached
    whatever the bound, :meth:`Router.customize <routing.engine.Router.customize>`): what the
    serving parent does before it forks, and what a benchmark in process does to answer as a
    worker does (these are also the metrics of the map without obstacles that the live
    obstacles' ``avoided`` searches on, with their own landmarks)."""
    from accessibility_rules.profile import preset_names

    for name in preset_names():
        profile = router.profile(name)
        for conditions in preset_conditions(router, profile):
            router.customize(profile, conditions, keep=True)


def preset_conditions(router: Router, profile: Profile) -> list[Conditions]:
    """The conditions a route request for ``profile`` meets today (the API resolves every
    request's day, :mod:`api.conditions`): today's pollen, by day (noon) and in the dark
    (midnight), at the graph's centre; equal ones once."""
    import datetime as dt

    from accessibility_rules.conditions import BERLIN, resolve_conditions

    lat = float(router.graph.node["lat"].mean())
    lon = float(router.graph.node["lon"].mean())
    today = dt.datetime.now(BERLIN).replace(hour=12, minute=0, second=0, microsecond=0)
    found: list[Conditions] = []
    for when in (today, today.replace(hour=0)):
        conditions = resolve_conditions(profile, lat=lat, lon=lon, departure_time=when)
        if conditions not in found:
            found.append(conditions)
    return found


def _import_what_workers_import(settings: Settings) -> None:
    """Import here the modules a worker would import at start-up or on its first request (the
    database layer and its dialect, anyio's backend), so that they are shared, not loaded per
    worker. Only imports: no engine, connection, thread or event loop is made."""
    import anyio._backends._asyncio  # noqa: F401
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import configure_mappers

    import api.obstacles.ratelimit
    import api.obstacles.wiring  # noqa: F401
    from api.db.session import resolve_url

    make_url(resolve_url(settings.database_url)).get_dialect()
    configure_mappers()  # the ORM's one-time set-up, else done by each worker's first query


def migrate_in_child() -> int:
    """Bring the database to the newest schema in a short-lived forked process; its status.

    Alembic (with Mako and Pygments, about 10 MB) is then never imported by the serving parent,
    so the forked workers do not inherit it either; they skip the migration (the app's
    ``schema_migrated``).
    """
    from api.db.commands import migrate_before_serving

    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status

        def migrate() -> int:
            migrate_before_serving()
            return 0

        _run_child(migrate)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _run_child(body: Callable[[], int]) -> NoReturn:
    """In a forked child: run ``body`` and end the process with its status, never returning
    into the parent's code (``SystemExit`` keeps its code; any other error is printed, 1)."""
    code = 1
    try:
        code = body()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        drain_output()  # what the child's log holds queued (api/log_stream.py), then exit
        os._exit(code)


class Supervisor:
    """``stufenlos serve``'s parent: forks ``workers`` uvicorn servers from a preloaded app.

    The parent binds the socket and preloads (:func:`preload_app`); each child runs a uvicorn
    :class:`~uvicorn.Server` on the inherited socket and, with ``balance``, takes a new
    connection only while no other child holds fewer (:mod:`api.balance`). A child that dies is
    forked again from the same preloaded parent (at once, so a worker killed mid-request is back
    in well under a second); SIGTERM, SIGINT or SIGHUP to the
    parent stop every child (SIGTERM, graceful; SIGKILL after ``stop_timeout_s``) and then the
    parent. A child whose parent dies gets SIGTERM (``PR_SET_PDEATHSIG``), so no worker outlives
    a killed parent. A worker that fails to start (uvicorn's start-up failure, status 3: say the
    database cannot be reached) ends the server, with that status, rather than being forked
    forever; one that crashes within a second of its fork is forked again after a pause.
    """

    STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    #: uvicorn's exit status when the app's lifespan start-up failed.
    STARTUP_FAILURE = 3
    #: A worker that ends sooner after its fork is forked again only after this pause.
    MIN_LIFE_S = 1.0

    def __init__(
        self,
        config: Any,
        sock: socket.socket,
        workers: int,
        stop_timeout_s: float = 10.0,
        cpus: list[int] | None = None,
        balance: bool = True,
    ) -> None:
        self.config, self.sock, self.workers = config, sock, workers
        self.cpus = cpus  # the CPU of each slot (api/affinity.py), None: not pinned
        self.loads = None if cpus is None else WorkerLoads(workers)  # shared by the workers
        # each worker's open connections, when they choose by them (api/balance.py)
        self.shares = ConnectionShares(workers) if balance and workers > 1 else None
        self.stop_timeout_s = stop_timeout_s
        self.children: dict[int, tuple[int, float]] = {}  # pid → slot, monotonic start
        self.parent_pid = os.getpid()

    def run(self) -> int:
        """Fork the workers, replace those that die, until a stop signal; the exit status."""
        watched = {signal.SIGCHLD, *self.STOP_SIGNALS}
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
        try:
            for slot in range(self.workers):
                self._fork(slot, old_mask)
            status = self._watch(watched, old_mask)
        finally:
            self._stop_children()
            while signal.sigtimedwait(watched, 0) is not None:  # a second Ctrl-C while stopping
                pass
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        return status

    def _watch(self, watched: set[signal.Signals], old_mask: set[int | signal.Signals]) -> int:
        while True:
            info = signal.sigtimedwait(watched, 1.0)
            if info is not None and info.si_signo in self.STOP_SIGNALS:
                return 0
            for pid, code in self._reap():
                slot, started_at = self.children.pop(pid)
                if self.shares is not None:  # no connection waits for it until it is back
                    self.shares.mark_gone(slot)
                if code == self.STARTUP_FAILURE:
                    print(f"stufenlos: worker {pid} failed to start; stopping", file=sys.stderr)
                    return self.STARTUP_FAILURE
                print(f"stufenlos: worker {pid} ended ({_describe(code)}); forking a new one",
                      file=sys.stderr, flush=True)  # fmt: skip
                if time.monotonic() - started_at < self.MIN_LIFE_S:  # no fork storm on a crash loop
                    time.sleep(self.MIN_LIFE_S)
                self._fork(slot, old_mask)

    def _reap(self) -> list[tuple[int, int]]:
        """The children that ended since the last call: (pid, exit status or −signal)."""
        ended = []
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in self.children:
                ended.append((pid, os.waitstatus_to_exitcode(status)))
        return ended

    def _fork(self, slot: int, old_mask: set[int | signal.Signals]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            self.children[pid] = (slot, time.monotonic())
            return
        _run_child(lambda: self._child(slot, old_mask))

    def _child(self, slot: int, old_mask: set[int | signal.Signals]) -> int:
        import uvicorn

        if self.cpus is not None:  # the event loop's home CPU (api/affinity.py)
            set_loop_home(self.cpus[slot], self.loads, slot)
        _die_with_parent()
        for sig in self.STOP_SIGNALS:  # uvicorn installs its own handlers in Server.run
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if os.getppid() != self.parent_pid:  # the parent died before the death signal was set
            return 1
        print(f"stufenlos: worker {os.getpid()} forked from preloaded parent {self.parent_pid}",
              file=sys.stderr, flush=True)  # fmt: skip
        if self.shares is not None:  # connections spread by least connections (api/balance.py)
            server: uvicorn.Server = BalancedServer(self.config, self.shares, slot)
        else:
            server = uvicorn.Server(self.config)
        server.run(sockets=[self.sock])
        return 0 if server.started else self.STARTUP_FAILURE

    def _stop_children(self) -> None:
        """SIGTERM to every child, wait; SIGKILL those still running after the timeout."""
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        while self.children and time.monotonic() < deadline:
            for pid, _ in self._reap():
                self.children.pop(pid, None)
            time.sleep(0.05)
        for pid in self.children:
            _signal(pid, signal.SIGKILL)
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children.clear()


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _describe(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"status {code}"


def _die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover
        pass


def serve(
    *,
    graph_dir: Path | None = None,
    osm: Path | None = None,
    dem: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "warning",
) -> int:
    """Run the HTTP API until it is stopped; return the exit status.

    ``osm`` builds that file once into the cache and serves it; otherwise ``graph_dir`` (default:
    the default area's graph). This process preloads the app (:func:`preload_app`: a missing or
    broken graph fails here with one sentence rather than inside a worker), migrates the database
    once before the workers start (they would race on SQLite; :func:`migrate_in_child`), binds the socket,
    freezes its objects out of the garbage collector's reach (``gc.freeze``: a collection in a
    worker would otherwise write to, and so copy, every shared page holding a Python object) and
    forks the ``workers`` (:class:`Supervisor`). Its output and its workers' is written by a
    thread of its own (:func:`~api.log_stream.queued_output`: a reader that does not read must
    not hold a request), entered before any log handler is made.
    """
    from api.log_stream import queued_output

    with queued_output():
        return _serve(graph_dir, osm, dem, host, port, workers, log_level)


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`OSError` with one sentence when ``host``:``port`` cannot be listened on
    (another server there, a host name this machine does not have). Found 2026-12-07: the
    serving parent loaded the graph and the presets for seconds, then uvicorn said "ERROR:
    [Errno 98] Address already in use" and the command ended with status 3. Tried with a
    socket as uvicorn makes it (``SO_REUSEADDR``), closed at once; port 0 always passes."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise OSError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another server there? "
                "--port chooses another)"
            ) from exc


def _serve(
    graph_dir: Path | None,
    osm: Path | None,
    dem: Path | None,
    host: str,
    port: int,
    workers: int,
    log_level: str,
) -> int:
    """:func:`serve`'s work, with its output queued."""
    import uvicorn

    check_port_free(host, port)  # before seconds of loading, not after them
    prepare_kernels()  # before anything imports the kernels (api.app does)
    if not compiled_in_use():
        import_numba_without_unused_probes()  # before anything imports numba
    from api.heap import release_free_heap
    from api.settings import Settings
    from graphs import settings as graph_settings

    graph_dir = graph_dir if graph_dir is not None else graph_settings.default_graph_dir()
    if osm is not None:
        from graphs.pipeline import SourceSpec, build_to_dir

        graph_dir = graph_settings.cache_dir / "graphs" / osm.name.split(".")[0]
        if not (graph_dir / "meta.json").is_file():
            build_to_dir(SourceSpec(osm=osm), graph_dir, dem_path=dem)
    os.environ["STUFENLOS_GRAPH_DIR"] = str(graph_dir)
    settings = Settings()
    os.environ[HEADER_TIMEOUT_ENV] = str(settings.header_timeout_s)
    os.environ[BODY_TIMEOUT_ENV] = str(settings.body_timeout_s)
    app = preload_app(settings)
    status = migrate_in_child()
    if status != 0:
        return status
    app.state.schema_migrated = True
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
        **uvicorn_options(settings),
    )  # fmt: skip
    config.load()
    sock = config.bind_socket()
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    cpus = worker_cpus(settings.worker_cpu_affinity, workers, available_cpus())
    pinned = "" if cpus is None else f", on CPUs {', '.join(map(str, cpus))}"
    print(
        f"stufenlos: serving {graph_dir} on http://{host}:{port} with {workers} worker(s)"
        f"{pinned} (docs: /docs)", file=sys.stderr, flush=True,
    )  # fmt: skip
    gc.collect()
    gc.freeze()
    release_free_heap()
    try:
        return Supervisor(
            config, sock, workers, cpus=cpus, balance=settings.balance_connections
        ).run()
    finally:
        sock.close()
