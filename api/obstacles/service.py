"""Transactional obstacle operations: create, update, delete, read (citizens' reports in
:mod:`api.obstacles.citizen_reports`, export and import in :mod:`api.obstacles.transfer`, both
written through this service).

Every write (reports too) runs in one transaction that (1) bumps the single-row revision counter
first, which also serialises writers (the row lock on PostgreSQL, the write lock on SQLite), (2)
changes the obstacle with ``UPDATE … WHERE id = ? AND version = ?`` and checks the row count, so
that of two writers holding the same version exactly one wins and the other gets 409
``version_conflict``, and stores the counter's new value in every obstacle row it writes
(``Obstacle.revision``: a worker reloads the rows changed since the revision it applied), and (3)
writes the audit history row. After the commit the live overlay of this process is refreshed before
the caller answers, so the next route already sees the change; other worker processes notice the new
revision within ``obstacle_poll_s``.

Geometry is matched on the graph before the transaction (a geometry that matches nothing is
refused with 422 ``obstacle_matches_nothing`` and nothing is written); the match is stored in
the transaction, for the other workers to read instead of matching again
(:mod:`api.obstacles.stored_matches`).
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import shapely
from sqlalchemy import Engine, Update, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db.models import Obstacle, ObstacleHistory
from api.db.revision import bump_revision, read_revision
from api.db.session import reading_session
from api.obstacles.errors import (
    InvalidObstacleError,
    NotFoundError,
    VersionConflictError,
    VersionRequiredError,
)
from api.obstacles.few_statements import (
    in_few_statements,
    insert_obstacle,
    recorded,
    revised,
)
from api.obstacles.geometry import (
    AnyGeoJson,
    geometry_json,
    parse_geometry,
    to_shapely,
)
from api.obstacles.schemas import (
    ObstacleCreate,
    ObstacleStored,
    ObstacleUpdate,
    in_force,
)
from api.obstacles.stored_matches import forget_matches, match_columns, store_match
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch

if TYPE_CHECKING:
    from routing.engine import Router

Clock = Callable[[], datetime]
StatusFilter = Literal["all", "active", "scheduled", "expired"]


def effect_json(effect: ObstacleEffect) -> dict[str, Any]:
    """The effect as stored: only the fields that change something."""
    return effect.model_dump(mode="json", exclude_defaults=True)


class Overlay(Protocol):
    """What the service needs of the live overlay (:class:`api.obstacles.live.LiveObstacles`):
    matching, its cache seeded by writes, and a refresh after each commit."""

    router: Router

    @property
    def match_key(self) -> str:
        """What the matches it stores are valid for (:mod:`api.obstacles.stored_matches`)."""
        ...

    def match(self, geometry: shapely.Geometry) -> ObstacleMatch:
        """The edges and nodes a geometry refers to (raises ObstacleMatchError)."""
        ...

    def check_effect(self, match: ObstacleMatch, effect: ObstacleEffect) -> None:
        """Raise ObstacleMatchError when the effect at the match would change no path."""
        ...

    def remember(self, obstacle_id: str, version: int, match: ObstacleMatch) -> None:
        """Seed the match cache."""
        ...

    def cached_match(self, obstacle_id: str, version: int) -> ObstacleMatch | None:
        """The cached match of an obstacle version."""
        ...

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the active obstacles if anything changed."""
        ...

    def written(self) -> None:
        """A write of this process committed: every worker applies it before its next route."""
        ...


def is_active(row: Obstacle, now: datetime) -> bool:
    """Not deleted, and ``valid_from <= now < valid_until`` (no end: permanent)."""
    return in_force(now, row.valid_from, row.valid_until, row.deleted_at)


def snapshot(row: Obstacle) -> dict[str, Any]:
    """The obstacle as JSON (audit history, export)."""
    return ObstacleStored.model_validate(row, from_attributes=True).snapshot()


#: How an update or a soft delete hands back the row it changed: in its own statement
#: (``UPDATE … RETURNING``; a ``SELECT`` after it was one more round trip of the transaction),
#: replacing what the session held of it.
_CHANGED_ROW: dict[str, Any] = {"synchronize_session": False, "populate_existing": True}


def history_row(row: Obstacle, action: str, author: str, at: datetime) -> ObstacleHistory:
    return ObstacleHistory(
        obstacle_id=row.id, version=row.version, **_history_columns(row, action, author, at)
    )


def _history_columns(row: Obstacle, action: str, author: str, at: datetime) -> dict[str, Any]:
    """The columns of ``row``'s history row but its id and version."""
    return {"action": action, "author": author, "at": at, "snapshot": snapshot(row)}


def _columns(row: Obstacle) -> dict[str, Any]:
    """The columns of a new obstacle's ``row`` but its revision (the write's own)."""
    return {c.key: getattr(row, c.key) for c in _OBSTACLE_COLUMNS if c.key != "revision"}


_OBSTACLE_COLUMNS = tuple(Obstacle.__table__.columns)


@dataclass(frozen=True, slots=True)
class Written:
    """A written obstacle and what its geometry matched."""

    row: Obstacle
    match: ObstacleMatch


class ObstacleService:
    """The obstacle operations of one app (one database, one live overlay); the reports and the
    transfer write through it (:meth:`insert`, :meth:`match_geometry`, :meth:`after_write`)."""

    def __init__(self, sessions: sessionmaker[Session], live: Overlay, clock: Clock) -> None:
        self.sessions, self.live, self.clock = sessions, live, clock
        bind = sessions.kw.get("bind")
        #: the engine the writes are made on in fewer statements
        #: (:mod:`api.obstacles.few_statements`), None where they are not
        self._few_engine: Engine | None = bind if in_few_statements(bind) else None

    def match_json(self, match: ObstacleMatch) -> dict[str, Any]:
        """What a geometry matched, as the ``match`` of a write's answer."""
        return match.as_dict(self.live.router.graph)

    def match_geometry(
        self,
        geometry: AnyGeoJson | dict[str, Any],
        effect: ObstacleEffect,
        cached: ObstacleMatch | None = None,
    ) -> ObstacleMatch:
        """Where a validated geometry (or a stored one) lies on the graph, ``cached`` if given:
        the one call of the matcher, which is given a shapely geometry; raises
        ObstacleMatchError when the geometry meets no path or ``effect`` there changes none."""
        if cached is None:
            if isinstance(geometry, dict):
                geometry = parse_geometry(geometry)
            cached = self.live.match(to_shapely(geometry))
        self.live.check_effect(cached, effect)
        return cached

    def preview(self, data: ObstacleCreate) -> dict[str, Any]:
        """What ``data`` would match if it were created (nothing is stored or applied)."""
        _check_window(data.valid_from or self.clock(), data.valid_until)
        return self.match_json(self.match_geometry(data.geometry, data.effect))

    # --- reading -------------------------------------------------------------------------------
    def get(self, obstacle_id: str) -> Obstacle:
        """The obstacle (not deleted) or :class:`NotFoundError`."""
        with reading_session(self.sessions) as session:
            row = session.get(Obstacle, obstacle_id)
        if row is None or row.deleted_at is not None:
            raise NotFoundError(f"there is no obstacle {obstacle_id!r}", id=obstacle_id)
        return row

    def list(self, status: StatusFilter = "all") -> list[Obstacle]:
        """Obstacles that are not deleted, oldest first, filtered by their state now."""
        now = self.clock()
        query = select(Obstacle).where(Obstacle.deleted_at.is_(None))
        if status == "active":
            query = query.where(
                Obstacle.valid_from <= now,
                or_(Obstacle.valid_until.is_(None), Obstacle.valid_until > now),
            )
        elif status == "scheduled":
            query = query.where(Obstacle.valid_from > now)
        elif status == "expired":
            query = query.where(Obstacle.valid_until <= now)
        with reading_session(self.sessions) as session:
            return list(session.scalars(query.order_by(Obstacle.created_at, Obstacle.id)))

    def history(self, obstacle_id: str) -> builtins.list[ObstacleHistory]:
        """The audit trail of an obstacle (deleted ones too), oldest first."""
        with reading_session(self.sessions) as session:
            rows = list(
                session.scalars(
                    select(ObstacleHistory)
                    .where(ObstacleHistory.obstacle_id == obstacle_id)
                    .order_by(ObstacleHistory.version, ObstacleHistory.id)
                )
            )
        if not rows:
            raise NotFoundError(f"there is no obstacle {obstacle_id!r}", id=obstacle_id)
        return rows

    def revision(self) -> int:
        """The database's revision counter."""
        with reading_session(self.sessions) as session:
            return read_revision(session)

    # --- writing -------------------------------------------------------------------------------
    def after_write(self, written: builtins.list[Written]) -> None:
        """What this process does after a committed write: the matches remembered by version,
        the live overlay told (it is refreshed before the next route)."""
        for w in written:
            self.live.remember(w.row.id, w.row.version, w.match)
        self.live.written()

    def create(
        self, data: ObstacleCreate, author: str, *, source: str = "staff", action: str = "create"
    ) -> Written:
        """Match, store and audit a new obstacle; every route that starts after this returns
        honours it."""
        return self.insert(data, author, source=source, action=action)

    def insert(
        self,
        data: ObstacleCreate,
        author: str,
        *,
        source: str,
        action: str,
        also: Callable[[Session, Obstacle, datetime], None] | None = None,
    ) -> Written:
        """Insert an obstacle with its audit row and stored match; ``also`` runs in the same
        transaction. On PostgreSQL without ``also``: one statement
        (:func:`~api.obstacles.few_statements.insert_obstacle`)."""
        match = self.match_geometry(data.geometry, data.effect)
        now = self.clock()
        row = Obstacle(
            id=str(uuid.uuid4()),
            geometry=geometry_json(data.geometry),
            effect=effect_json(data.effect),
            valid_from=data.valid_from or now,
            valid_until=data.valid_until,
            reason=data.reason,
            source=source,
            author=author,
            created_at=now,
            updated_at=now,
            version=1,
            deleted_at=None,
        )
        _check_window(row.valid_from, row.valid_until)
        if also is None and self._few_engine is not None:
            row.revision = insert_obstacle(
                self._few_engine, _columns(row), _history_columns(row, action, author, now),
                match_columns(self.live.match_key, match),
            )  # fmt: skip
        else:
            with self.sessions.begin() as session:
                row.revision = bump_revision(session)
                session.add(row)
                session.flush()
                session.add(history_row(row, action, author, now))
                store_match(session, row.id, row.version, self.live.match_key, match, new=True)
                if also is not None:
                    also(session, row, now)
        written = Written(row, match)
        self.after_write([written])
        return written

    def update(
        self, obstacle_id: str, changes: ObstacleUpdate, version: int | None, author: str
    ) -> Written:
        """Change the given fields if ``version`` is still the stored one (else 409). An
        obstacle that is not there (or deleted) is 404 whatever the request: the version and
        the fields are asked for only of one that is."""
        current = self.get(obstacle_id)
        if version is None:
            raise VersionRequiredError(
                "send the version you read, as the body field 'version' or an If-Match header"
            )
        fields = changes.model_fields_set - {"version"}
        if not fields:
            raise InvalidObstacleError("the request changes nothing: send at least one field")
        if current.version != version:
            raise _conflict(obstacle_id, version, current.version)
        values: dict[str, Any] = {}
        for name in sorted(fields):
            value = getattr(changes, name)
            if isinstance(value, ObstacleEffect):
                value = effect_json(value)
            elif name == "geometry":
                value = geometry_json(value)
            values[name] = value
        valid_from = values.get("valid_from", current.valid_from)
        valid_until = values.get("valid_until", current.valid_until)
        _check_window(valid_from, valid_until)
        geometry = values.get("geometry", current.geometry)
        cached = None if "geometry" in values else self.live.cached_match(obstacle_id, version)
        effect = ObstacleEffect.model_validate(values.get("effect", current.effect))
        match = self.match_geometry(geometry, effect, cached)
        now = self.clock()
        with self.sessions.begin() as session:
            row = self._change(
                session,
                update(Obstacle)
                .where(
                    Obstacle.id == obstacle_id,
                    Obstacle.version == version,
                    Obstacle.deleted_at.is_(None),
                )
                .values(**values, version=version + 1, updated_at=now),
            )
            if row is None:
                raise self._lost_race(session, obstacle_id, version)
            self._record(session, row, "update", author, now, match)
        written = Written(row, match)
        self.after_write([written])
        return written

    def delete(self, obstacle_id: str, author: str, version: int | None = None) -> Obstacle:
        """Soft-delete (kept for the audit trail); with ``version``, only if it is current."""
        now = self.clock()
        conditions = [Obstacle.id == obstacle_id, Obstacle.deleted_at.is_(None)]
        if version is not None:
            conditions.append(Obstacle.version == version)
        with self.sessions.begin() as session:
            row = self._change(
                session,
                update(Obstacle)
                .where(*conditions)
                .values(deleted_at=now, updated_at=now, version=Obstacle.version + 1),
            )
            if row is None:
                raise self._lost_race(session, obstacle_id, version)
            self._record(session, row, "delete", author, now, None)
        self.live.written()
        return row

    def _change(self, session: Session, statement: Update) -> Obstacle | None:
        """``statement`` (an ``UPDATE`` of one obstacle) made with the write's new revision,
        in ``session``'s transaction: the row it changed, or None when none was. On PostgreSQL
        the counter's increment is a part of the statement
        (:func:`~api.obstacles.few_statements.revised`: a round trip less), elsewhere a
        statement before it; either way it comes first (:mod:`api.db.revision`)."""
        if self._few_engine is not None:
            statement = revised(statement)
        else:
            statement = statement.values(revision=bump_revision(session))
        changed = statement.returning(Obstacle).execution_options(**_CHANGED_ROW)
        row: Obstacle | None = session.execute(changed).scalar_one_or_none()
        return row

    def _record(
        self,
        session: Session,
        row: Obstacle,
        action: str,
        author: str,
        at: datetime,
        match: ObstacleMatch | None,
    ) -> None:
        """In ``session``'s transaction: the history row of ``row``'s change and its stored
        match in place of the earlier versions' (None: a deleted obstacle's removed). On
        PostgreSQL one statement (:func:`~api.obstacles.few_statements.recorded`)."""
        if self._few_engine is not None:
            stored = None if match is None else match_columns(self.live.match_key, match)
            history = _history_columns(row, action, author, at)
            session.execute(recorded(row.id, row.version, history, stored))
            return
        session.add(history_row(row, action, author, at))
        if match is None:
            forget_matches(session, row.id)
        else:
            store_match(session, row.id, row.version, self.live.match_key, match)

    @staticmethod
    def _lost_race(session: Session, obstacle_id: str, version: int | None) -> Exception:
        row = session.get(Obstacle, obstacle_id, populate_existing=True)
        if row is None or row.deleted_at is not None:
            return NotFoundError(f"there is no obstacle {obstacle_id!r}", id=obstacle_id)
        return _conflict(obstacle_id, version, row.version)


def _check_window(valid_from: datetime, valid_until: datetime | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidObstacleError(
            f"valid_until ({valid_until.isoformat()}) must be after valid_from "
            f"({valid_from.isoformat()})",
            valid_from=valid_from.isoformat(),
            valid_until=valid_until.isoformat(),
        )


def _conflict(obstacle_id: str, version: int | None, current: int) -> VersionConflictError:
    return VersionConflictError(
        f"obstacle {obstacle_id} is at version {current}, not {version}: someone changed it "
        "since you read it; read it again and reapply your change",
        id=obstacle_id,
        your_version=version,
        current_version=current,
    )
