"""At most so many requests of a worker use the database at once: :class:`DatabaseAdmission`.

The operations on the database's paths (:data:`ADMITTED_PATHS`) run in the interpreter's
thread pool, as do the public map's (``/profiles``, ``/network``, ``/features``,
``/priorities``). When the database makes its callers wait — an SQLite file whose write lock
another process holds (each writer waits up to its 30 s busy timeout), a PostgreSQL server that
does not answer — every such request holds a pool thread while it waits, and 60 citizen reports
held all 40 of them: ``GET /profiles`` answered after 27 s. Here a request on those paths first
takes one of :data:`DATABASE_SLOTS` places, waiting on the event loop (no thread) at most
:data:`ADMISSION_WAIT_S`, else ``503 database_unavailable``; so the database can hold at most
that many threads, and the rest of the pool serves everything else.
"""

from __future__ import annotations

import asyncio

from api.asgi_types import ASGIApp, Receive, Scope, Send
from api.db.availability import RETRY_AFTER_S
from api.errors import error_response

#: Requests of one worker on the database's paths at once: of the interpreter's 40 pool threads,
#: and fewer than the 15 connections of SQLite's engine (5 + 10 overflow; PostgreSQL's has 30),
#: so that the live obstacles' poll always finds a connection free to read on.
DATABASE_SLOTS = 12
#: The paths whose operations read or write the database in a pool thread. ``/matrix`` (in
#: :data:`api.errors.DATABASE_PATHS` for a keyed caller's key) is not among them: its work is
#: the CPU thread's, and a queue of matrices is no busy database.
ADMITTED_PATHS = ("/obstacles", "/reports", "/bench")
#: How long a request waits for a place before it is answered 503 (seconds).
ADMISSION_WAIT_S = 10.0


class DatabaseAdmission:
    """ASGI middleware: the database's paths through :data:`DATABASE_SLOTS` places."""

    def __init__(
        self, app: ASGIApp, slots: int = DATABASE_SLOTS, wait_s: float = ADMISSION_WAIT_S
    ) -> None:
        self.app, self.slots, self.wait_s = app, slots, wait_s
        self._places: asyncio.Semaphore | None = None  # made on the serving loop
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(ADMITTED_PATHS):
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
                503, "database_unavailable",
                f"the database is busy: {self.slots} requests of this worker have waited for it "
                f"for {self.wait_s:g} s; try again in a few seconds",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )  # fmt: skip
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()
