"""Where each obstacle version lies on the graph, stored with it: matched once, by its writer.

Matching a geometry on the graph is the costly part of applying an obstacle: an area of 4,900
points takes 50-100 ms (``shapely.buffer`` and the edges it covers). The worker that writes an
obstacle matches it anyway (a geometry that matches nothing is refused), and every other worker
had to match it again in its reload, before its next route: after an import of 40 such areas,
a route on the other worker of two waited 3.1 s. Now the writer stores the match (the edge and
node ids) in the same transaction as the obstacle (table ``obstacle_matches``), and a reload
reads the matches of the versions it has not matched yet instead of matching them; a restart
too.

Ids are only valid for the graph and the matcher that produced them: a match is stored under
:func:`match_key`, a hash of the graph's topology and node coordinates, the matching tolerance
and the source of the matcher (:mod:`routing.obstacles.matching`); a worker reads only the
matches of its own key and matches the others itself, as before. Each write of an obstacle
replaces its stored matches (older versions' are of no use), a deletion removes them. A worker
that had to match obstacles itself at its start (written before there were stored matches, or
stored under another key: after a rebuild of the map, all of them) stores those matches then
(:func:`store_missing`), so that the next start and the other workers read them.
"""

from __future__ import annotations

import hashlib
import inspect
import marshal
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from api.db.chunks import chunks, id_chunks
from api.db.models import ObstacleMatchRow
from api.db.upsert import dialect_insert
from graphs.model import CompiledGraph
from routing.obstacles import matching
from routing.obstacles.matching import ObstacleMatch

__all__ = [
    "forget_matches", "match_columns", "match_key", "matches_of", "read_matches", "store_match",
    "store_missing",
]  # fmt: skip

#: The stored ids' type: int64, little-endian (the same bytes on every host).
_IDS = np.dtype("<i8")


#: The stored matches of the obstacles ``:ids`` under the key ``:key``.
_STORED = select(
    ObstacleMatchRow.obstacle_id, ObstacleMatchRow.version, ObstacleMatchRow.geometry_type,
    ObstacleMatchRow.edges, ObstacleMatchRow.nodes,
).where(
    ObstacleMatchRow.graph_key == bindparam("key"),
    ObstacleMatchRow.obstacle_id.in_(bindparam("ids", expanding=True)),
)  # fmt: skip


def match_key(graph: CompiledGraph, tolerance_m: float) -> str:
    """What a stored match is valid for: the graph's edges (tails, heads) and node coordinates,
    the tolerance (metres) and the matcher's source, as a SHA-256 (hex). A rebuilt graph with
    other ids, another tolerance or a changed matcher has another key."""
    digest = hashlib.sha256()
    for array in (graph.tail, graph.head, graph.node["lon"], graph.node["lat"]):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr(float(tolerance_m)).encode())
    digest.update(_matcher())
    return digest.hexdigest()


def _matcher() -> bytes:
    """The matcher as the key names it: its module's source, or, installed without sources,
    its functions' compiled code."""
    try:
        return inspect.getsource(matching).encode()
    except (OSError, TypeError):
        functions = [
            f for f in vars(matching).values()
            if inspect.isfunction(f) and f.__module__ == matching.__name__
        ]  # fmt: skip
        return b"".join(marshal.dumps(f.__code__) for f in functions)


def store_match(
    session: Session,
    obstacle_id: str,
    version: int,
    key: str,
    match: ObstacleMatch,
    *,
    new: bool = False,
) -> None:
    """In the write's transaction: ``match`` as the one stored match of the obstacle (those of
    its earlier versions, and of other graphs, go; a ``new`` obstacle has none)."""
    if not new:
        forget_matches(session, obstacle_id)
    session.add(ObstacleMatchRow(**_row(obstacle_id, version, key, match)))


def _row(obstacle_id: str, version: int, key: str, match: ObstacleMatch) -> dict[str, Any]:
    """The columns of a stored match."""
    return {"obstacle_id": obstacle_id, "version": version, **match_columns(key, match)}


def match_columns(key: str, match: ObstacleMatch) -> dict[str, Any]:
    """The columns of ``match`` stored under ``key``, but the obstacle's id and version."""
    return {
        "graph_key": key, "geometry_type": match.geometry_type,
        "edges": np.asarray(match.edges, dtype=_IDS).tobytes(),
        "nodes": np.asarray(match.nodes, dtype=_IDS).tobytes(),
    }  # fmt: skip


def store_missing(
    session: Session, key: str, matches: Mapping[tuple[str, int], ObstacleMatch]
) -> None:
    """Store ``matches`` (by ``(id, version)``) under ``key`` where no such row is stored yet
    (another worker starting at the same moment may store the same: the second insert of a
    row does nothing, on SQLite as on PostgreSQL). For the matches a worker made itself at its
    start: obstacles written before there were stored matches, or matched on another graph
    (after a rebuild of the map every stored match has another key)."""
    if not matches:
        return
    insert = dialect_insert(session.get_bind().dialect.name)
    rows = [_row(oid, version, key, match) for (oid, version), match in sorted(matches.items())]
    for chunk in chunks(rows):
        session.execute(insert(ObstacleMatchRow).values(list(chunk)).on_conflict_do_nothing())


def forget_matches(session: Session, obstacle_id: str) -> None:
    """In the write's transaction: no stored match of the obstacle any more."""
    session.execute(
        delete(ObstacleMatchRow)
        .where(ObstacleMatchRow.obstacle_id == obstacle_id)
        .execution_options(synchronize_session=False)  # (no loaded match row to keep in step:
    )  # the default looks through every object of the session, an import's thousands each time)


def read_matches(
    reader: Any, key: str, wanted: Collection[tuple[str, int]]
) -> dict[tuple[str, int], ObstacleMatch]:
    """The stored matches of ``key`` for the ``(id, version)`` pairs in ``wanted`` that have
    one, read on ``reader`` (a connection or a session)."""
    if not wanted:
        return {}
    versions = dict(wanted)  # one version per id in a reload
    rows = [
        row
        for ids in id_chunks(versions)
        for row in reader.execute(_STORED, {"key": key, "ids": ids}).all()
    ]
    return matches_of([row for row in rows if versions.get(row[0]) == row[1]])


def matches_of(
    rows: Sequence[tuple[str, int, str, bytes, bytes]],
) -> dict[tuple[str, int], ObstacleMatch]:
    """The matches of stored rows ``(id, version, geometry_type, edges, nodes)``, by ``(id,
    version)`` (made together: ``ObstacleMatch.joined``, ~1 µs a match against ~9 one by
    one)."""
    matches = ObstacleMatch.joined(
        np.frombuffer(b"".join([row[3] for row in rows]), dtype=_IDS),
        [len(row[3]) // _IDS.itemsize for row in rows],
        np.frombuffer(b"".join([row[4] for row in rows]), dtype=_IDS),
        [len(row[4]) // _IDS.itemsize for row in rows],
        [row[2] for row in rows],
    )
    return {(row[0], row[1]): match for row, match in zip(rows, matches, strict=True)}
