"""Which database errors mean "the database cannot be used now", not "this request is wrong".

A PostgreSQL server that is down, restarting or unreachable, a connection it dropped, a pool
with no connection free in time, an SQLite file that is locked beyond the busy timeout or cannot
be opened: each raises one of the errors :func:`database_unavailable` accepts. The service
answers them ``503 database_unavailable`` with ``Retry-After`` (:mod:`api.errors`), and routes
go on with the obstacles last read (:class:`api.obstacles.live.LiveObstacles`): none of it is a
fault of the request, and none of it may become a 500. Integrity and data errors are not
included: the API's validation keeps them from happening, and one that happens is a defect to
be logged as such.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

#: What a 503 ``database_unavailable`` asks the client to wait before trying again (seconds).
RETRY_AFTER_S = 5


class DatabaseNotAnsweringError(Exception):
    """A read that was given up waiting for: the database server accepts connections (or holds
    one open) but does not answer, as a frozen process does; no driver error would come."""


#: PostgreSQL's error codes that say the database cannot be written now though it answers,
#: which psycopg raises as other classes than ``OperationalError``: ``25006``
#: read_only_sql_transaction (a hot standby after a failover, a database set read-only; was a
#: 500 ``internal_error``, found 2026-12-07).
UNAVAILABLE_SQLSTATES = frozenset({"25006"})

#: The errors a database read may raise: the driver's, through SQLAlchemy, and a read given up.
DATABASE_ERRORS = (SQLAlchemyError, DatabaseNotAnsweringError)


def first_line(exc: BaseException) -> str:
    """The first line of an error's text, at most 300 characters (SQLAlchemy's add the
    statement and a link below): what a log line about an outage says of its cause."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or the error it was raised from) says the database could not be
    reached or used just now: a connection refused, lost or timed out, the pool exhausted,
    SQLite's file locked or not openable, a database that only reads."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            OperationalError | InterfaceError | PoolTimeoutError | DatabaseNotAnsweringError,
        ):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if getattr(current, "sqlstate", None) in UNAVAILABLE_SQLSTATES:  # the driver's own
            return True
        current = current.__cause__
    return False
