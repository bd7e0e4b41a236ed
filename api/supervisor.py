"""``stufenlos serve``'s parent process: forks the uvicorn workers and keeps them running.

:class:`Supervisor` forks the workers from the preloaded parent, forks a new one when one dies,
and stops them all on SIGTERM, SIGINT or SIGHUP; :func:`migrate_in_child` brings the database
to the newest schema in a short-lived forked process, so that the serving parent never imports
Alembic.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from api.affinity import WorkerLoads, set_loop_home
from api.balance import BalancedServer, ConnectionShares
from api.log_stream import drain_output

__all__ = [
    "Supervisor",
    "migrate_in_child",
]


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

    The parent binds the socket and preloads (:func:`~api.preload.preload_app`); each child runs a
    uvicorn :class:`~uvicorn.Server` on the inherited socket and, with ``balance``, takes a new
    connection only while no other child holds fewer (:mod:`api.balance`). A child that dies is
    forked again from the same preloaded parent (at once, so a worker killed mid-request is back in
    well under a second); SIGTERM, SIGINT or SIGHUP to the parent stop every child (SIGTERM,
    graceful; SIGKILL after ``stop_timeout_s``) and then the parent. A child whose parent dies gets
    SIGTERM (``PR_SET_PDEATHSIG``), so no worker outlives a killed parent. A worker that fails to
    start (uvicorn's start-up failure, status 3: say the database cannot be reached) ends the
    server, with that status, rather than being forked forever; one that crashes within a second of
    its fork is forked again after a pause.
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
