"""Staff writes in as few statements as PostgreSQL allows: each a round trip to the database.

Written in a transaction of the ORM's session, a new obstacle was ``BEGIN``, the revision's
increment, the obstacle's row, its history row, its stored match and ``COMMIT``: six round trips,
each a network's when PostgreSQL runs on another host (4 ms away: 24 ms of every ``POST
/obstacles``, and of the time until every worker routes around the obstacle). PostgreSQL runs
data-modifying statements in ``WITH`` as parts of one statement, so:

* **a new obstacle** (:func:`insert_obstacle`) is one ``INSERT … SELECT`` chain sent on a
  connection in autocommit (:func:`api.db.session.autocommit_connection`): atomic as every
  statement is, one round trip. The obstacle's row takes its ``revision`` from the counter's
  increment (:func:`api.db.revision.bumped_revision`), so the counter's row is locked before the
  obstacle is written and writers commit in the order of their revisions (what a reader of the
  counter relies on, :mod:`api.db.revision`); the history row and the stored match are inserted
  from the obstacle's ``RETURNING`` row: written with it, or not at all.
* **a change or a deletion** stays a transaction, since a change that finds its row changed by
  another writer (a version conflict) must take its increment back: ``BEGIN``, the ``UPDATE``
  with the increment as a part of it (:func:`revised`), the history row with the stored match's
  replacement (:func:`recorded`), ``COMMIT``: four round trips where there were six (a deletion)
  and seven (a change).

SQLite has no data-modifying ``WITH``; there, and for a new obstacle made by accepting a
citizen's report (the report is closed in the same transaction), the writes stay the session's
statements (in process, a round trip costs next to nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from sqlalchemy import (
    Delete,
    Engine,
    Insert,
    Select,
    Table,
    Update,
    delete,
    insert,
    literal,
    select,
)

from api.db.models import Obstacle, ObstacleHistory, ObstacleMatchRow
from api.db.revision import bumped_revision
from api.db.session import autocommit_connection

__all__ = ["in_few_statements", "insert_obstacle", "recorded", "revised"]

_OBSTACLES: Table = Obstacle.__table__  # type: ignore[assignment]
_HISTORY: Table = ObstacleHistory.__table__  # type: ignore[assignment]
_MATCHES: Table = ObstacleMatchRow.__table__  # type: ignore[assignment]


def in_few_statements(engine: Any) -> TypeGuard[Engine]:
    """Whether the staff's writes on ``engine`` (a session maker's ``bind``) are made in the
    statements of this module: on PostgreSQL; not on SQLite, nor for a test's sessions without
    an engine of their own."""
    return isinstance(engine, Engine) and engine.dialect.name == "postgresql"


def _literals(table: Table, values: Mapping[str, Any]) -> list[Any]:
    """``values`` as typed bound values named after ``table``'s columns (their types convert
    them: times to UTC, JSON, bytes)."""
    return [literal(value, table.c[name].type).label(name) for name, value in values.items()]


def _statement(
    obstacle: Mapping[str, Any], history: Mapping[str, Any], match: Mapping[str, Any]
) -> Select[Any]:
    """The one statement: the counter's increment, the obstacle's row (all its columns but
    ``revision`` in ``obstacle``), its history row and its match (without the obstacle's id
    and version, taken from the inserted row); selects the new revision."""
    bumped = bumped_revision()
    row = select(*_literals(_OBSTACLES, obstacle), bumped.c.value.label("revision"))
    inserted = (
        insert(_OBSTACLES)
        .from_select([*obstacle, "revision"], row)
        .returning(_OBSTACLES.c.id, _OBSTACLES.c.version, _OBSTACLES.c.revision)
        .cte("inserted_obstacle")
    )
    audit = insert(_HISTORY).from_select(
        ["obstacle_id", "version", *history],
        select(inserted.c.id, inserted.c.version, *_literals(_HISTORY, history)),
    )
    stored = insert(_MATCHES).from_select(
        ["obstacle_id", "version", *match],
        select(inserted.c.id, inserted.c.version, *_literals(_MATCHES, match)),
    )
    return select(inserted.c.revision).add_cte(
        audit.cte("inserted_history"), stored.cte("inserted_match")
    )


def insert_obstacle(
    engine: Engine,
    obstacle: Mapping[str, Any],
    history: Mapping[str, Any],
    match: Mapping[str, Any],
) -> int:
    """Write a new obstacle with its history row and stored match in one statement (see the
    module); its revision. ``obstacle``: every column but ``revision``; ``history`` and
    ``match``: their columns but the obstacle's id and version. Raises as the driver does
    (nothing is written then)."""
    with autocommit_connection(engine) as connection:
        revision: int = connection.execute(_statement(obstacle, history, match)).scalar_one()
        return revision


def revised(statement: Update) -> Update:
    """``statement`` (an ``UPDATE`` of obstacles) with the counter's increment as a part of it,
    each changed row's ``revision`` the new value. The increment is a ``WITH`` part that the
    new rows read, so it is made (and the counter's row locked) before any obstacle's row is;
    PostgreSQL makes it even when the statement changes no row (the caller's transaction,
    rolled back then, takes it back)."""
    bumped = bumped_revision()
    return statement.values(revision=select(bumped.c.value).scalar_subquery()).add_cte(bumped)


def recorded(
    obstacle_id: str,
    version: int,
    history: Mapping[str, Any],
    match: Mapping[str, Any] | None,
) -> Insert | Delete:
    """One statement for what a change of an obstacle writes besides its row: its history row
    (``history``: the columns but the obstacle's id and version) and its stored match in place
    of the earlier versions' (``match``: the columns but id and version, as
    :func:`~api.obstacles.stored_matches.match_columns` gives them; None: the matches removed,
    for a deleted obstacle). The ``DELETE`` of the earlier matches does not see the new one
    (every part reads the database as it was before the statement)."""
    audit = insert(_HISTORY).values(obstacle_id=obstacle_id, version=version, **history)
    forget = delete(_MATCHES).where(_MATCHES.c.obstacle_id == obstacle_id)
    if match is None:
        return forget.add_cte(audit.cte("inserted_history"))
    store = insert(_MATCHES).values(obstacle_id=obstacle_id, version=version, **match)
    return store.add_cte(audit.cte("inserted_history"), forget.cte("forgotten_matches"))
