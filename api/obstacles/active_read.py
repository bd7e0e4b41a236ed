"""What a reload of the live obstacles reads: every active row without its geometry, and the
geometry and the stored match only of the versions the worker has not applied yet.

Each write makes every worker reload the active obstacles (:mod:`api.obstacles.live`). It read
every row whole; the geometry, a JSON column, was decoded for every obstacle at every reload,
although only a new version needs it (to be matched, when no match is stored for it, and to be
encoded once for the public map; a reload keeps both of the versions it applied before). With
40 areas of 4,900 points active, that decoding was ~100 ms of each worker's interpreter per
write, however small the write: a route beside six closures of one point waited up to 117 ms.
Now the rows are read without it (:data:`ACTIVE_ROWS`) and the geometries of the versions that
need one in a second read (:data:`GEOMETRIES`), on the same connection.

Between the two reads another writer may commit a new version (PostgreSQL reads each statement
at its own moment, SQLite outside a transaction too): a version whose geometry is not found as
it was listed makes :func:`read_active` read both again (three tries; then the version is left
out and the revision given as unknown, -1, so that the next poll reloads).

A worker that has read the rows at revision ``R`` reads only the rows written since
(:data:`CHANGED_ROWS`: ``Obstacle.revision > R``, deleted and expired ones too; in the same
statement the geometries of those not deleted and their stored matches, so that another
worker's write costs a reload two round trips to the database, the revision and this, and
cannot race) and merges them into the rows it read before (:func:`read_active`'s ``known``).
Each write stores the counter's new value in the rows it writes, and writers take their values
in the order they commit (:func:`api.db.revision.bump_revision`), so a reader that reads the
counter as ``R'`` finds every row written up to ``R'``. With 10,000 obstacles active, reading
them all cost every worker 55 ms at every write; the rows of one write cost it under a
millisecond. The rows are put in their order here, not by the database (:func:`in_order`): the
merged rows are ordered as a read of all of them is, whatever collation the database sorts ids
by.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, select, type_coerce

from api.db.chunks import id_chunks
from api.db.models import Obstacle, ObstacleMatchRow
from api.obstacles.stored_matches import matches_of, read_matches
from routing.obstacles.matching import ObstacleMatch

__all__ = [
    "ACTIVE_ROWS",
    "CHANGED_ROWS",
    "GEOMETRIES",
    "ActiveRead",
    "ActiveRow",
    "Known",
    "WithGeometry",
    "in_order",
    "read_active",
]

#: Reads of the rows and geometries before a reload is given up for the next poll's.
TRIES = 3
#: The revision an incomplete read is given: no database revision is -1, so the next poll
#: finds it changed and reloads.
UNKNOWN_REVISION = -1

Version = tuple[str, int]


@dataclass(frozen=True, slots=True)
class ActiveRow:
    """What a reload reads of an obstacle's row (the columns of :data:`ACTIVE_ROWS`, in their
    order), as a plain object: a database row answers each attribute in about a microsecond,
    this in tens of nanoseconds, and a reload reads several of every active row (10,000
    active: 36 ms for the id, version and start of each, against 1.3)."""

    id: str
    version: int
    effect: dict[str, Any]
    valid_from: datetime
    valid_until: datetime | None
    reason: str
    created_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Known:
    """The rows a worker read before (active or scheduled then) and the revision it read them
    at: what the rows written since are merged into."""

    revision: int
    rows: Sequence[ActiveRow]


@dataclass(frozen=True, slots=True)
class WithGeometry:
    """An active row with its geometry (what the public map encodes of a new version)."""

    id: str
    version: int
    geometry: dict[str, Any]
    effect: dict[str, Any]
    reason: str
    valid_from: datetime
    valid_until: datetime | None

    @classmethod
    def of(cls, row: ActiveRow, geometry: dict[str, Any]) -> WithGeometry:
        """``row`` with ``geometry``."""
        return cls(
            row.id, row.version, geometry, row.effect, row.reason, row.valid_from, row.valid_until
        )


#: The columns a reload reads of every obstacle (not the geometry).
_COLUMNS = (
    Obstacle.id, Obstacle.version, Obstacle.effect, Obstacle.valid_from, Obstacle.valid_until,
    Obstacle.reason, Obstacle.created_at, Obstacle.deleted_at,
)  # fmt: skip
if tuple(c.key for c in _COLUMNS) != tuple(f.name for f in fields(ActiveRow)):  # pragma: no cover
    raise ImportError("active_read: the columns read and ActiveRow's fields disagree")
#: The obstacles not deleted and not expired at ``:now`` (in no order: :func:`in_order`). Built
#: once and read as plain rows on a connection: each write costs every worker this read, and
#: with an ORM session, the statement built anew and ORM objects, a worker's reload after a
#: closure took 2.6 ms of CPU instead of 2.0 (after its deletion 1.6 instead of 1.1).
ACTIVE_ROWS = select(*_COLUMNS).where(
    Obstacle.deleted_at.is_(None),
    or_(Obstacle.valid_until.is_(None), Obstacle.valid_until > bindparam("now")),
)
#: The obstacles written after the revision ``:since``, whatever their state now (deleted,
#: expired): what a worker that read the rows at ``:since`` merges into them; in the same
#: statement the geometry of each that is not deleted (a new version needs it) and its stored
#: match under ``:key`` (NULLs when none is stored). A write read by another worker costs it
#: one round trip to the database after the revision's, where the rows, the stored matches and
#: the geometries had taken three, and comes from one snapshot (no version can change between
#: the rows and their geometries).
CHANGED_ROWS = (
    select(
        *_COLUMNS,
        type_coerce(
            case((Obstacle.deleted_at.is_(None), Obstacle.geometry)), Obstacle.geometry.type
        ),
        ObstacleMatchRow.obstacle_id, ObstacleMatchRow.version, ObstacleMatchRow.geometry_type,
        ObstacleMatchRow.edges, ObstacleMatchRow.nodes,
    )
    .outerjoin(
        ObstacleMatchRow,
        and_(
            ObstacleMatchRow.obstacle_id == Obstacle.id,
            ObstacleMatchRow.version == Obstacle.version,
            ObstacleMatchRow.graph_key == bindparam("key"),
        ),
    )
    .where(Obstacle.revision > bindparam("since"))
)  # fmt: skip
#: Where the geometry and the stored match begin in a row of :data:`CHANGED_ROWS`.
_GEOMETRY_AT = len(_COLUMNS)
#: The order of the rows: oldest first, ties by id (the overlay applies them in it: later win).
_ORDER = operator.attrgetter("created_at", "id")


def in_order(rows: Iterable[ActiveRow]) -> list[ActiveRow]:
    """``rows`` oldest first, ties by id as Python orders strings (a database may order them by
    its locale's collation: PostgreSQL's)."""
    return sorted(rows, key=_ORDER)


#: The geometries (and versions) of the obstacles ``:ids``.
GEOMETRIES = select(Obstacle.id, Obstacle.version, Obstacle.geometry).where(
    Obstacle.id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True, slots=True)
class ActiveRead:
    """One reload's read: the revision, the rows, the geometries and stored matches it needs."""

    revision: int
    rows: Sequence[ActiveRow]
    geometries: dict[Version, dict[str, Any]]
    stored: dict[Version, ObstacleMatch]


@dataclass(frozen=True, slots=True)
class _Changed:
    """The rows of :data:`CHANGED_ROWS`: each row, and by ``(id, version)`` the geometries of
    those not deleted and the stored matches found."""

    rows: list[ActiveRow]
    geometries: dict[Version, dict[str, Any]]
    stored: dict[Version, ObstacleMatch]

    @property
    def versions(self) -> set[Version]:
        """Every version read (a stored match looked for with each)."""
        return {(r.id, r.version) for r in self.rows}


_NOTHING_CHANGED = _Changed([], {}, {})


def read_active(
    reader: Any,
    revision: int,
    now: datetime,
    *,
    encoded: Collection[Version],
    matched: Collection[Version],
    key: str,
    known: Known | None = None,
) -> ActiveRead:
    """The rows active or scheduled at ``now`` on ``reader`` (a connection or a session, whose
    database's revision is ``revision``), the stored matches (under ``key``) of the active
    versions not in ``matched``, and the geometries of the active versions neither ``encoded``
    (kept for the public map) nor matched by then. With ``known`` (at a revision not above
    ``revision``), the rows written since are read, with their geometries and stored matches
    (:data:`CHANGED_ROWS`), and merged into its rows; what else is wanted is read after."""
    for _ in range(TRIES):
        changed = _NOTHING_CHANGED if known is None else _changed(reader, known.revision, key)
        rows = _rows(reader, now, known, changed.rows)
        active = [(r.id, r.version) for r in rows if r.valid_from <= now]
        looked_up = changed.versions
        stored = {v: changed.stored[v] for v in active if v not in matched and v in changed.stored}
        stored |= read_matches(
            reader, key, [v for v in active if v not in matched and v not in looked_up]
        )
        wanted = {v for v in active if v not in encoded or (v not in matched and v not in stored)}
        geometries = {v: changed.geometries[v] for v in wanted if v in changed.geometries}
        geometries |= _geometries(reader, wanted - geometries.keys())
        if wanted <= geometries.keys():
            return ActiveRead(revision, rows, geometries, stored)
    missing = wanted - geometries.keys()
    kept = [r for r in rows if (r.id, r.version) not in missing]
    return ActiveRead(UNKNOWN_REVISION, kept, geometries, stored)


def _changed(reader: Any, since: int, key: str) -> _Changed:
    """The rows written after revision ``since``, with what :data:`CHANGED_ROWS` reads."""
    found = reader.execute(CHANGED_ROWS, {"since": since, "key": key}).all()
    at = _GEOMETRY_AT
    return _Changed(
        rows=[ActiveRow(*r[:at]) for r in found],
        geometries={(r[0], r[1]): r[at] for r in found if r[at] is not None},
        stored=matches_of([tuple(r[at + 1 :]) for r in found if r[at + 1] is not None]),
    )


def _rows(
    reader: Any, now: datetime, known: Known | None, changed: Iterable[ActiveRow]
) -> list[ActiveRow]:
    """The rows not deleted and not expired at ``now``, in order: all read, or with ``known``
    its rows with those written since its revision (``changed``) in their place."""
    if known is None:
        return in_order([ActiveRow(*r) for r in reader.execute(ACTIVE_ROWS, {"now": now})])
    merged = {r.id: r for r in known.rows}
    for r in changed:
        merged[r.id] = r
    return in_order(
        r
        for r in merged.values()
        if r.deleted_at is None and (r.valid_until is None or r.valid_until > now)
    )


def _geometries(reader: Any, wanted: Collection[Version]) -> dict[Version, dict[str, Any]]:
    """The geometries of the ``(id, version)`` pairs in ``wanted`` as they are stored now
    (a pair whose obstacle has another version by now is left out)."""
    if not wanted:
        return {}
    versions = set(wanted)
    found = [
        row
        for ids in id_chunks({oid for oid, _ in wanted})
        for row in reader.execute(GEOMETRIES, {"ids": ids}).all()
    ]
    return {(r.id, r.version): r.geometry for r in found if (r.id, r.version) in versions}
