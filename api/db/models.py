"""The tables, as SQLAlchemy 2 declarative models.

Times are stored in UTC and always come back timezone-aware (:class:`UTCDateTime`), on SQLite as
on PostgreSQL. The migrations in ``api/db/migrations`` create exactly these tables; a test checks
that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Constraint names that are the same on every database (Alembic needs them to alter tables).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Where an obstacle came from.
SOURCES = ("staff", "citizen_report", "import")
#: What an audit history row records.
ACTIONS = ("create", "update", "delete", "accept", "import")
#: States of a citizen report.
REPORT_STATUSES = ("open", "accepted", "rejected")
#: Roles of API keys (admin may do everything staff may).
ROLES = ("tester", "staff", "admin")
#: The single row of the revision table.
REVISION_ROW_ID = 1


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive values are refused (never guessed)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset: it was stored as UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}  # noqa: RUF012


class Obstacle(Base):
    """A time-bounded patch of edge attributes drawn by city staff (or accepted from a report)."""

    __tablename__ = "obstacles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    geometry: Mapped[dict[str, Any]]  # GeoJSON Point, LineString or Polygon (WGS84)
    effect: Mapped[dict[str, Any]]  # routing.obstacles.effect.ObstacleEffect as JSON
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]  # None: a permanent correction
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None]
    #: The revision counter's value of the write that made this state of the row (None: written
    #: before the column existed): a worker that applied revision R reads the rows changed
    #: since as those with ``revision > R`` (:mod:`api.obstacles.active_read`).
    revision: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_obstacles_validity", "deleted_at", "valid_from", "valid_until"),
        Index("ix_obstacles_revision", "revision"),
    )


class ObstacleHistory(Base):
    """One audited change of an obstacle: who did what when, and the state afterwards."""

    __tablename__ = "obstacle_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    obstacle_id: Mapped[str] = mapped_column(ForeignKey("obstacles.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    snapshot: Mapped[dict[str, Any]]


class ObstacleMatchRow(Base):
    """Where one version of an obstacle lies on one graph (``api.obstacles.stored_matches``):
    the edge and node ids its geometry matched, written by the worker that matched it, so that
    the other workers and a restart apply it without matching the geometry again."""

    __tablename__ = "obstacle_matches"

    obstacle_id: Mapped[str] = mapped_column(ForeignKey("obstacles.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: the graph and the matcher it was matched with (``stored_matches.match_key``)
    graph_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    geometry_type: Mapped[str] = mapped_column(String(20))
    edges: Mapped[bytes] = mapped_column(LargeBinary)  # int64, little-endian, sorted
    nodes: Mapped[bytes] = mapped_column(LargeBinary)


class Report(Base):
    """A citizen's report of an obstacle, waiting for staff to accept or reject it."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    geometry: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), index=True)
    obstacle_id: Mapped[str | None] = mapped_column(ForeignKey("obstacles.id"))
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]


class ApiKey(Base):
    """An API key of a staff member or admin; only its SHA-256 hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Revision(Base):
    """A single-row counter bumped by every write; other worker processes poll it."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer)


class RateLimitHit(Base):
    """Hits of one client address in one fixed window (``api.obstacles.ratelimit``), shared by
    every worker process; rows of windows older than the previous one are pruned."""

    __tablename__ = "rate_limit_hits"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start_s: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_rate_limit_hits_window_start_s", "window_start_s"),)
