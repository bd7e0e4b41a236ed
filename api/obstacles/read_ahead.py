"""A write's obstacles read beside the routes, not before them: :class:`ReadAhead`.

A staff write bumps the host's beacon (:mod:`api.obstacles.beacon`), and every worker must apply
it before a route that was *asked after the write was answered*. Until 2026-12-07 a worker
applied it before the next route it computed, whenever that route had arrived: the worker's
CPU thread read the database (in a bounded thread of its own, :mod:`api.obstacles.bounded_read`)
and waited for the read, and every route queued in the worker waited too — 3–17 ms per write
and worker under 64 concurrent routes, the apply 1–2 ms of it, and with the database on another
host every round trip of the read on top.

A route that arrived before the write needs none of it: it was asked while the write was not
yet answered, so the map before the write is a true answer to it. So each route request notes
the beacon's value when it arrives (:data:`Arrival`), and a worker whose applied writes reach
that value computes it at once; the database is read *ahead*, in a thread of its own, while
those routes are computed, and the read is applied between two routes when it is in (in the CPU
thread, no database wait: the apply alone). Only a route that arrived after the write waits,
for the read under way or its own. Under load that route is queued behind the ones before it
anyway, so the read is hidden; on an idle worker it waits as before.

What it gains is the read's waiting, not its work: the read's Python takes turns with the
routes at the worker's interpreter wherever it runs. Measured with ``bench_load.py`` (c64, a
closure written and deleted every second, 2026-12-07): on this machine's SQLite the route p99
with writes did not change (60.0 against 63.6 ms in the server); with PostgreSQL 4 ms of round
trip away (``--database-delay-ms 2``) it fell from 105 to 84 ms, and write → live p95 from 111 to
99 ms (``docs/MEASUREMENTS.md``).

:class:`ReadAhead` holds one such read at a time: started in a thread of its own (or run in the
caller's, the background poll's executor thread), its result kept until the CPU thread takes
it. A result read against another state than the one applied when it is taken (a reload came
between) is not applied: the next route reads again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

log = logging.getLogger("stufenlos.obstacles")

S = TypeVar("S")
R = TypeVar("R")

#: What a route request notes when it arrives: the beacon's value then (None: it arrived
#: where none is noted, and it honours every write made before it is computed).
Arrival = int | None


@dataclass(frozen=True, slots=True)
class Ahead(Generic[S, R]):
    """A read made ahead: against ``state`` (the state applied when it began), at ``now``,
    after the beacon read ``beacon`` (every write that bumped it up to that is in it);
    ``read`` is what changed, None when nothing did."""

    state: S
    beacon: int
    now: datetime
    read: R | None


class ReadAhead(Generic[S, R]):
    """One read ahead at a time, and its result until taken (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._ready: Ahead[S, R] | None = None
        self._done = threading.Event()
        self._done.set()
        self._failing = False  # the last read failed (logged once until one succeeds)
        self.reads = 0  # reads made ahead (for tests and benchmarks)

    @property
    def ready(self) -> bool:
        """Whether a result waits to be taken."""
        return self._ready is not None

    @property
    def running(self) -> bool:
        """Whether a read is under way."""
        return self._running

    def start(self, read: Callable[[], Ahead[S, R] | None]) -> bool:
        """Run ``read`` in a thread of its own unless one runs or a result waits; whether it
        started one. ``read`` returns None when it could not read (another read held the
        database's lock); its errors are logged (the first of a run of them), not raised."""
        if not self._claim():
            return False
        threading.Thread(
            target=self._run, args=(read,), name="obstacle-read-ahead", daemon=True
        ).start()
        return True

    def run_here(self, read: Callable[[], Ahead[S, R] | None]) -> bool:
        """:meth:`start`, in the calling thread (one that may wait for the database: the
        background poll's); whether it ran."""
        if not self._claim():
            return False
        self._run(read)
        return True

    def _claim(self) -> bool:
        with self._lock:
            if self._running or self._ready is not None:
                return False
            self._running = True
            self._done.clear()
            return True

    def _run(self, read: Callable[[], Ahead[S, R] | None]) -> None:
        result: Ahead[S, R] | None = None
        try:
            result = read()
            self._failing = False
        except Exception as exc:  # the routes' own reads report it (and note an outage)
            if not self._failing:  # once, not with every write while the database flaps
                log.warning("reading the obstacles ahead failed: %s", exc)
            self._failing = True
        finally:
            with self._lock:
                if result is not None:
                    self._ready = result
                    self.reads += 1
                self._running = False
                self._done.set()

    def wait(self, timeout_s: float) -> None:
        """Wait for a read under way to end, at most ``timeout_s``."""
        self._done.wait(timeout_s)

    def take(self) -> Ahead[S, R] | None:
        """The result waiting (then none waits), or None."""
        with self._lock:
            ready, self._ready = self._ready, None
            return ready

    def put_back(self, ahead: Ahead[S, R]) -> None:
        """Keep ``ahead`` for a later :meth:`take` unless another result waits already."""
        with self._lock:
            if self._ready is None:
                self._ready = ahead
