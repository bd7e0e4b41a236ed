"""At most so many requests of a worker on some paths at once: :class:`PathAdmission`, and its
two uses, :class:`DatabaseAdmission` and :class:`MapReadAdmission`.

A request on the admitted paths first takes one of a number of places, waiting on the event
loop (no thread) at most a while, else it is answered 503 in the API's error shape with
``Retry-After``. The operations behind those paths run in the interpreter's thread pool; the
places bound how many pool threads they hold (the database's) and how much of the worker's
interpreter they take from the routes beside them (the public map's).

- The database's paths (:data:`DATABASE_ADMITTED_PATHS`): when the database makes its callers
  wait — an SQLite file whose write lock another process holds (each writer waits up to its 30 s
  busy timeout), a PostgreSQL server that does not answer — every such request holds a pool
  thread while it waits, and 60 citizen reports held all 40 of them: ``GET /profiles`` answered
  after 27 s. With :data:`DATABASE_SLOTS` places the rest of the pool serves everything else.
- The public map's reads (:data:`api.errors.MAP_READ_PATHS`): each builds up to 5,000 GeoJSON
  pieces in Python, milliseconds of the worker's interpreter lock, which the routes of the CPU
  thread need between their kernels. Eight clients asking ``/network`` in a loop held as many
  pool threads and cut the routes of two workers from 231 to 10 per second (p50 16 → 450 ms;
  the map then took 100 ms to build, now 7–13). One place per worker
  (:data:`MAP_READ_SLOTS`): the map's reads queue on the loop, not for the interpreter lock.
"""

from __future__ import annotations

import asyncio

from api.asgi_types import ASGIApp, Receive, Scope, Send
from api.db.availability import RETRY_AFTER_S
from api.errors import MAP_READ_PATHS, error_response

#: Requests of one worker on the database's paths at once: of the interpreter's 40 pool threads,
#: and fewer than the 15 connections of SQLite's engine (5 + 10 overflow; PostgreSQL's has 30),
#: so that the live obstacles' poll always finds a connection free to read on.
DATABASE_SLOTS = 12
#: The paths whose operations read or write the database in a pool thread. ``/matrix`` (in
#: :data:`api.errors.DATABASE_PATHS` for a keyed caller's key) is not among them: its work is
#: the CPU thread's, and a queue of matrices is no busy database.
DATABASE_ADMITTED_PATHS = ("/obstacles", "/reports", "/bench")
#: How long a request waits for a place before it is answered 503 (seconds).
ADMISSION_WAIT_S = 10.0

#: Reads of the public map at once per worker.
MAP_READ_SLOTS = 1
#: Seconds a map read waits for its place; the answer 503 ``service_busy`` says when to retry.
MAP_READ_WAIT_S = 5.0
MAP_READ_RETRY_AFTER_S = 1


class PathAdmission:
    """ASGI middleware: the requests on :attr:`paths` through :attr:`slots` places."""

    paths: tuple[str, ...] = ()
    code = "service_busy"
    retry_after_s = 1
    default_slots = 1
    default_wait_s = 5.0

    def __init__(self, app: ASGIApp, slots: int | None = None, wait_s: float | None = None) -> None:
        self.app = app
        self.slots = self.default_slots if slots is None else slots
        self.wait_s = self.default_wait_s if wait_s is None else wait_s
        self._places: asyncio.Semaphore | None = None  # made on the serving loop
        self._loop: asyncio.AbstractEventLoop | None = None

    def refusal(self) -> str:
        """The message of the 503 answered after :attr:`wait_s` without a place."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.paths):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._places is None or self._loop is not loop:  # (a test client's loop is its own)
            self._places, self._loop = asyncio.Semaphore(self.slots), loop
        places = self._places
        try:
            await asyncio.wait_for(places.acquire(), self.wait_s)
        except TimeoutError:
            response = error_response(
                503, self.code, self.refusal(), headers={"Retry-After": str(self.retry_after_s)}
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()


class DatabaseAdmission(PathAdmission):
    """The database's paths through :data:`DATABASE_SLOTS` places; 503 ``database_unavailable``."""

    paths = DATABASE_ADMITTED_PATHS
    code = "database_unavailable"
    retry_after_s = RETRY_AFTER_S
    default_slots = DATABASE_SLOTS
    default_wait_s = ADMISSION_WAIT_S

    def refusal(self) -> str:
        return (
            f"the database is busy: {self.slots} requests of this worker have waited for it "
            f"for {self.wait_s:g} s; try again in a few seconds"
        )


class MapReadAdmission(PathAdmission):
    """The public map's reads through :data:`MAP_READ_SLOTS` places; 503 ``service_busy``."""

    paths = MAP_READ_PATHS
    retry_after_s = MAP_READ_RETRY_AFTER_S
    default_slots = MAP_READ_SLOTS
    default_wait_s = MAP_READ_WAIT_S

    def refusal(self) -> str:
        return (
            f"too many map reads at once: this worker builds {self.slots} at a time and the "
            f"next has waited {self.wait_s:g} s; try again in a moment"
        )
