"""The dialect's ``INSERT`` with ``ON CONFLICT`` clauses, imported only for the dialect in use.

SQLAlchemy's generic ``insert`` has no ``on_conflict_do_nothing`` / ``on_conflict_do_update``;
SQLite's and PostgreSQL's own do, with the same call. Importing
``sqlalchemy.dialects.postgresql`` costs a process about 2 MB of resident memory (its modules'
code and types); a worker on SQLite would carry it for nothing, and every worker's RSS counts
against the issue's 150 MB. So the dialect's module is imported when a statement is first
made for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["dialect_insert"]


def dialect_insert(dialect: str) -> Any:
    """The ``insert`` of ``dialect`` (``"sqlite"`` or ``"postgresql"``), which has
    ``on_conflict_do_nothing`` and ``on_conflict_do_update``. Raises ``NotImplementedError`` for
    another dialect (the project supports these two)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(
        f"an insert with ON CONFLICT needs SQLite or PostgreSQL, not {dialect}"
    )
