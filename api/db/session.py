"""The database engine, sessions and migrations.

The URL comes from ``STUFENLOS_DATABASE_URL`` (``api.settings.Settings.database_url``); without it
the service keeps an SQLite file in the cache folder (``graphs.settings.cache_dir``). SQLite runs in
WAL mode with a busy timeout so that several threads and worker processes can write; PostgreSQL
(``postgresql+psycopg://…``) is what a multi-server deployment uses.

Migrations are Alembic scripts shipped inside the package (``api/db/migrations``) and run in code:
:func:`upgrade` at start-up and by ``stufenlos db upgrade``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

from graphs import settings as graph_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How long an SQLite writer waits for another one before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: How long a PostgreSQL statement waits for a lock another transaction holds (milliseconds;
#: ``lock_timeout``, as SQLite's busy timeout): the revision's row behind another host's write
#: that does not end, a table behind a migration. Without it such a write waited without end,
#: holding its pool thread and its caller; with it the write answers 503
#: ``database_unavailable`` and stores nothing.
POSTGRES_LOCK_TIMEOUT_MS = 30_000
#: How long a new PostgreSQL connection may take before the attempt fails (seconds; libpq's
#: ``connect_timeout``, unless the URL sets it): a server that does not answer then costs a
#: request a bounded wait and a 503, not a thread held until the operating system gives up.
POSTGRES_CONNECT_TIMEOUT_S = 3
#: A pooled PostgreSQL connection unused for this long is tested before it is handed out (one
#: round trip; SQLAlchemy's ``pool_pre_ping`` tests every one, a round trip more on every read
#: and write). One that fails the test is replaced, and with it every connection of the pool
#: opened before (a restarted server dropped them all). A connection used within this time is
#: taken as alive: while routes are asked, the live obstacles' revision poll reads every 50 ms
#: in each worker, so a server restart makes a poll fail first, and that failure replaces the
#: pool's connections (SQLAlchemy invalidates them on a disconnection); a write in the ~50 ms
#: between may fail once, answered 503 ``database_unavailable`` with nothing stored. Without
#: traffic the connections idle, and each is tested before its next use.
POSTGRES_PING_AFTER_IDLE_S = 1.0
#: Where a pooled connection's record keeps when it was last used (``time.monotonic``).
_USED_AT = "stufenlos_used_at"
#: Key of the PostgreSQL advisory lock held while migrating (two workers starting at once).
_MIGRATION_LOCK_KEY = 0x5717_F105


def default_database_url() -> str:
    """``sqlite:///<cache_dir>/stufenlos.db``."""
    return f"sqlite:///{graph_settings.cache_dir / 'stufenlos.db'}"


#: The databases the obstacles, reports, keys and runs are stored in (SQLAlchemy backends).
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class UnsupportedDatabaseError(ArgumentError):
    """A database URL of a backend other than :data:`SUPPORTED_BACKENDS` (``mysql://`` ended in
    a traceback naming a missing driver). An ``ArgumentError``, as SQLAlchemy raises for a URL
    it cannot read: whatever reports a database error reports it."""


def resolve_url(url: str | None) -> str:
    """The configured URL, or the default SQLite file; :class:`UnsupportedDatabaseError` for a
    URL of another database."""
    url = url or default_database_url()
    backend = make_url(url).get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise UnsupportedDatabaseError(
            f"{backend} databases are not supported: use SQLite (sqlite:///path/to/file.db) or "
            "PostgreSQL (postgresql+psycopg://user:password@host/database)"
        )
    return url


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only (0600), or make an
    existing one so, with its ``-wal`` and ``-shm`` files: it holds citizens' contact details.
    SQLite creates the ``-wal`` and ``-shm`` files with the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # no-op on an existing file
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue
        except PermissionError:  # another user's file: leave it as its owner set it
            continue


def _postgres_settings(dbapi_connection: Any, _record: Any) -> None:
    """:data:`POSTGRES_LOCK_TIMEOUT_MS` for the session of every new connection (committed:
    a ``SET`` in a transaction that is rolled back would be undone)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(POSTGRES_LOCK_TIMEOUT_MS)}")
    dbapi_connection.commit()


def _mark_used(_dbapi_connection: Any, record: Any) -> None:
    """A pooled connection was opened or given back: it answered just now."""
    record.info[_USED_AT] = time.monotonic()


def _ping_if_idle(engine: Engine) -> None:
    """Test a pooled PostgreSQL connection unused for :data:`POSTGRES_PING_AFTER_IDLE_S`
    before it is handed out, as SQLAlchemy's pre-ping does for every one: one that fails is
    replaced, with every connection of the pool opened before it."""
    dialect = engine.dialect

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get(_USED_AT)
        if used is not None and time.monotonic() - used < POSTGRES_PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            raise InvalidatePoolError(f"a pooled connection failed its test: {exc}") from exc
        record.info[_USED_AT] = time.monotonic()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "connect", _mark_used)
    event.listen(engine, "checkin", _mark_used)


def autocommit_connection(engine: Engine) -> Connection:
    """A connection for statements that need no transaction of their own: reads of a few
    statements, and a write made in one statement (:mod:`api.obstacles.few_statements`). On
    PostgreSQL in autocommit: each statement its own snapshot, as under READ COMMITTED each
    statement of a transaction has, and its own transaction (no ``BEGIN``, ``COMMIT`` or
    ``ROLLBACK``: the live obstacles' revision poll is one round trip instead of three); on
    SQLite as it is (its driver begins no transaction for a ``SELECT``; a write there is made in
    a session's transaction)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


@contextmanager
def reading(sessions: sessionmaker[Session]) -> Iterator[Connection | Session]:
    """Something to run a read on: a :func:`autocommit_connection` of the sessions' engine (a
    third of an ORM session's cost), or a session when the sessions have no engine of their
    own (a test's)."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        with sessions() as session:
            yield session
        return
    with autocommit_connection(bind) as connection:
        yield connection


@contextmanager
def reading_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session of ``sessions`` for reads only, on :func:`reading`'s connection (on PostgreSQL
    a ``SELECT`` is one round trip, not three), or :func:`reading`'s own session."""
    with reading(sessions) as bind:
        if isinstance(bind, Session):
            yield bind
            return
        with sessions(bind=bind) as session:
            yield session


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is on the disk before the write is answered, so an acknowledged write
    # survives a power cut or a crash of the system, not only of the process (NORMAL in WAL
    # mode may lose the last commits then). 0.36 against 0.05 ms per commit on this machine's
    # disk; a staff write takes 10-30 ms.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: the SQLite file in the cache folder).

    JSON columns (obstacles' geometry and effect, reports' geometry) are decoded by orjson: each
    write makes every worker read every active obstacle again, and the standard library's
    decoder took 197 of the 234 ms of reading 3,049 of them (36 of them areas of 4,900 points).

    SQLite: the folder is created, every connection gets WAL, ``busy_timeout``, foreign keys and
    ``synchronous=FULL`` (commits durable).
    PostgreSQL: connections idle for :data:`POSTGRES_PING_AFTER_IDLE_S` are tested before use
    (a restarted server's are replaced), the most recently used one is handed out first (the
    others idle, and are tested before their next use), a connection attempt gives up after
    :data:`POSTGRES_CONNECT_TIMEOUT_S` and a wait for a lock after
    :data:`POSTGRES_LOCK_TIMEOUT_MS`.
    """
    url = resolve_url(url)
    parsed = make_url(url)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database).expanduser())
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        given = kwargs.get("connect_args", {})
        kwargs["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S, **given}
    kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", _postgres_settings)
        if not kwargs.get("pool_pre_ping"):
            _ping_if_idle(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Any:
    """An Alembic ``Config`` built in code (no ``alembic.ini``), pointing at the packaged scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision`` (idempotent)."""
    from alembic import command

    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:  # two workers starting at once must not both create the tables
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if postgres:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                )
                connection.commit()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
