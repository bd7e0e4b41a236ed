"""A database read that is waited for at most a while: :func:`bounded_read`.

The live overlay reads the database before routes (the revision poll, a reload after a write or
at a validity boundary). A server that is down answers at once with an error; one that is frozen
or cut off mid-connection answers nothing, and a read would wait for it as long as the operating
system keeps the connection (psycopg has no client-side timeout for a query). So each read runs
in a thread of its own and the caller waits for it at most :data:`READ_WAIT_S`; then the caller
goes on (the overlay: with the obstacles last read, the database counted unreachable), and the
read, if it ever ends, ends alone. A thread per read costs ~0.1 ms; it is used where waiting
would stop routes (in the CPU thread: a reload after a write or at a validity boundary, a poll
no background read came before) and not for the background polls, which may wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from api.db.availability import DatabaseNotAnsweringError

T = TypeVar("T")

#: How long a caller waits for one read (seconds): far above a healthy read under load (a few
#: milliseconds; a write's p95 under 64 concurrent routes is ~27 ms), far below a stalled worker.
READ_WAIT_S = 1.0


def bounded_read(read: Callable[[], T], wait_s: float = READ_WAIT_S) -> T:
    """``read()`` in a daemon thread of its own, its result or error, or
    :class:`~api.db.availability.DatabaseNotAnsweringError` after ``wait_s``."""
    done: Future[T] = Future()

    def run() -> None:
        try:
            done.set_result(read())
        except BaseException as exc:  # handed to the caller, who decides
            done.set_exception(exc)

    threading.Thread(target=run, name="obstacle-database-read", daemon=True).start()
    try:
        return done.result(timeout=wait_s)
    except FutureTimeout:
        raise DatabaseNotAnsweringError(
            f"the database did not answer a read within {wait_s:g} s"
        ) from None
