"""Where each obstacle version lies on a graph, shared by every worker (``obstacle_matches``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``obstacle_matches`` (empty: matches are stored from the next write on, and an
    obstacle without one is matched as before)."""
    op.create_table(
        "obstacle_matches",
        sa.Column("obstacle_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("graph_key", sa.String(64), nullable=False),
        sa.Column("geometry_type", sa.String(20), nullable=False),
        sa.Column("edges", sa.LargeBinary(), nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["obstacle_id"],
            ["obstacles.id"],
            name=op.f("fk_obstacle_matches_obstacle_id_obstacles"),
        ),
        sa.PrimaryKeyConstraint(
            "obstacle_id", "version", "graph_key", name=op.f("pk_obstacle_matches")
        ),
    )


def downgrade() -> None:
    """Drop ``obstacle_matches``."""
    op.drop_table("obstacle_matches")
