"""The PostgreSQL connections of the service: what a read and a write cost in round trips, and
how connections a server dropped are replaced (``api/db/session.py``).

A read of the live obstacles runs without a transaction (autocommit: no ``BEGIN``, no
``ROLLBACK``), and a pooled connection is tested before use only after it has idled (a test on
every checkout was one round trip more on every read and write: with the database 4 ms away,
a revision poll took four round trips, now one). A connection the server dropped is replaced:
one that idled by its test, one in use by the first failure, which replaces every connection
of the pool opened before it. Against the real server: its own ``pg_terminate_backend``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from api.db import session as db_session
from api.db.availability import database_unavailable
from api.db.session import autocommit_connection, make_engine
from tests.api.support import new_schema, skip_without_postgres


@pytest.fixture
def engine(postgres_admin: Any) -> Iterator[Engine]:
    """The service's engine on a new schema of the test PostgreSQL database."""
    skip_without_postgres(postgres_admin)
    url, schema = new_schema(postgres_admin)
    made = make_engine(url)
    try:
        yield made
    finally:
        made.dispose()
        with postgres_admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def backend_pid(engine: Engine) -> int:
    """The server process of the connection the pool hands out next (and gets back)."""
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def terminate(postgres_admin: Any, *pids: int) -> None:
    """Have the server drop these connections, as a restart drops all, and wait until their
    processes are gone (the call only signals them)."""
    with postgres_admin.connect() as conn:
        for pid in pids:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)")
        deadline = time.monotonic() + 10.0
        while conn.execute(alive, {"pids": list(pids)}).scalar():
            assert time.monotonic() < deadline, "the server did not end the connections"
            time.sleep(0.01)


def test_a_read_runs_without_a_transaction_and_leaves_none_behind(engine: Engine) -> None:
    """Each statement of a read is its own transaction (``now()`` moves between two), and the
    connection goes back to the pool as it came: the next transaction on it rolls back."""
    with autocommit_connection(engine) as reader:
        first = reader.exec_driver_sql("SELECT now()").scalar_one()
        time.sleep(0.01)
        second = reader.exec_driver_sql("SELECT now()").scalar_one()
        assert second > first
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT now()").scalar_one() > second
        connection.exec_driver_sql("CREATE TABLE t (x integer)")
        connection.rollback()  # in a transaction again: the table is gone with it
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT to_regclass('t')").scalar() is None


def test_a_connection_that_idled_is_tested_and_replaced(
    engine: Engine, postgres_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection dropped while it idled in the pool is found by its test and replaced: the
    caller never sees it (the first use after a quiet night, a server restarted meanwhile)."""
    monkeypatch.setattr(db_session, "POSTGRES_PING_AFTER_IDLE_S", 0.05)
    pid = backend_pid(engine)
    terminate(postgres_admin, pid)
    time.sleep(0.1)
    assert backend_pid(engine) != pid


def test_a_connection_in_use_fails_once_and_the_pool_is_replaced(
    engine: Engine, postgres_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections used just now are not tested: when the server dropped them, the first use
    fails with an error the service answers 503 (nothing written), and that failure replaces
    every connection of the pool opened before it: the next use finds a new one."""
    monkeypatch.setattr(db_session, "POSTGRES_PING_AFTER_IDLE_S", 3600.0)
    first, second = engine.connect(), engine.connect()  # two connections in the pool
    pids = [int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in (first, second)]
    first.close()
    second.close()
    terminate(postgres_admin, *pids)
    with pytest.raises(DBAPIError) as failed:
        backend_pid(engine)
    assert database_unavailable(failed.value)
    assert backend_pid(engine) not in pids
    assert backend_pid(engine) not in pids


def test_the_pool_pings_none_and_each_connection_knows_its_last_use(engine: Engine) -> None:
    """The pool's own test of every checkout is off; ours keeps the idle time per connection."""
    assert engine.pool._pre_ping is False  # the setting under test
    backend_pid(engine)
    with engine.connect() as connection:
        used_at = connection.connection.info[db_session._USED_AT]
        assert time.monotonic() - used_at < db_session.POSTGRES_PING_AFTER_IDLE_S
