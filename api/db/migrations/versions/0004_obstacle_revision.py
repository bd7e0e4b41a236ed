"""The revision of each obstacle row's last write (``obstacles.revision``), indexed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``obstacles.revision`` (empty for the rows written before: a worker reads every row
    at start, and the rows changed since by this column) and its index. Plain ``ALTER TABLE``
    on both databases: a batch operation would copy ``obstacles`` on SQLite and drop the
    original, which the foreign keys of its history and matches refuse."""
    op.add_column("obstacles", sa.Column("revision", sa.Integer(), nullable=True))
    op.create_index("ix_obstacles_revision", "obstacles", ["revision"])


def downgrade() -> None:
    """Drop the index and the column (SQLite 3.35 or later: ``DROP COLUMN``)."""
    op.drop_index("ix_obstacles_revision", table_name="obstacles")
    op.drop_column("obstacles", "revision")
