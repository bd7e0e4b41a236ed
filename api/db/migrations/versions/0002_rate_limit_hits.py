"""The shared rate-limit counters of citizen reports (one row per client address and window).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``rate_limit_hits`` and its window index (for pruning)."""
    op.create_table(
        "rate_limit_hits",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("window_start_s", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "window_start_s", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index("ix_rate_limit_hits_window_start_s", "rate_limit_hits", ["window_start_s"])


def downgrade() -> None:
    """Drop ``rate_limit_hits``."""
    op.drop_index("ix_rate_limit_hits_window_start_s", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
