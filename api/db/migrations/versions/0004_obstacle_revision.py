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
    at start, and the rows changed since by this column) and its index."""
    with op.batch_alter_table("obstacles") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        batch.create_index("ix_obstacles_revision", ["revision"])


def downgrade() -> None:
    """Drop the index and the column."""
    with op.batch_alter_table("obstacles") as batch:
        batch.drop_index("ix_obstacles_revision")
        batch.drop_column("revision")
