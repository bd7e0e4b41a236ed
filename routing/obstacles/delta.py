"""What a new list of active obstacles changes against the list applied before.

Every staff write makes every worker apply the whole list of active obstacles again
(:meth:`~routing.obstacles.overlay.ObstacleOverlay.apply` takes the complete list: applying is
idempotent and complete). With thousands active, building every patched array anew from the
pristine ones made a write cost every worker tens of milliseconds for one changed obstacle
(10,000 active: 60-70 ms of the overlay's, and the derived rows of every edge any obstacle
reaches recomputed). A write changes few of them, and an obstacle writes only the edges and
nodes it was matched to: the cells of the changed ones (old and new) are the only ones whose
values can differ. :func:`plan_delta` finds them, and the obstacles that write any of them, so
that the overlay resets just those cells to the map's values and applies just those obstacles
again, in their order, restricted to those cells: what a complete apply makes there, since
every other cell is written by the same obstacles in the same order as before.

The plan is refused (None: apply the whole list) when the order of the unchanged obstacles
changed, when an id is listed twice, when the list becomes empty, or when more than
:data:`MOST_CHANGED_SHARE` of it changed (then the complete apply costs no more).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch

__all__ = ["MOST_CHANGED_SHARE", "Delta", "plan_delta"]

#: Above this share of changed (new, replaced or removed) obstacles a complete apply is made.
MOST_CHANGED_SHARE = 0.25
#: Up to this many changed obstacles a delta is planned whatever the share (small lists).
FEW_CHANGED = 8

Item = tuple[str, ObstacleMatch, ObstacleEffect]


class Placement(Protocol):
    """What the overlay keeps of an applied obstacle: the match and effect it placed."""

    @property
    def match(self) -> ObstacleMatch: ...

    @property
    def effect(self) -> ObstacleEffect: ...


@dataclass(frozen=True, slots=True)
class Delta:
    """The change from the applied list to a new one.

    ``dirty_edges`` and ``dirty_nodes`` (sorted, unique) are the cells the changed obstacles
    wrote before or write now; ``rewrite`` the positions in the new list (ascending) of every
    obstacle that writes any of them; ``changed`` the new or replaced items and ``gone`` the
    matches of the placements removed or replaced (what the derived rows must be recomputed
    around), ``gone_ids`` their ids."""

    dirty_edges: np.ndarray
    dirty_nodes: np.ndarray
    rewrite: np.ndarray
    changed: list[Item]
    gone: list[ObstacleMatch]
    gone_ids: list[str]


def _cells(matches: Sequence[ObstacleMatch]) -> tuple[np.ndarray, np.ndarray]:
    """The sorted unique edges and nodes of ``matches``."""
    none = np.zeros(0, dtype=np.int64)
    edges = np.unique(np.concatenate([none, *(m.edges for m in matches)]))
    nodes = np.unique(np.concatenate([none, *(m.nodes for m in matches)]))
    return edges, nodes


def _writers(ids: list[np.ndarray], dirty: np.ndarray, count: int) -> np.ndarray:
    """Positions in ``ids`` (each obstacle's edges, or its nodes) of the obstacles with an id in
    ``dirty``, ids below ``count``."""
    sizes = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    if not dirty.size or not sizes.any():
        return np.zeros(0, dtype=np.int64)
    mask = np.zeros(count, dtype=bool)
    mask[dirty] = True
    owner = np.repeat(np.arange(len(ids), dtype=np.int64), sizes)
    return np.unique(owner[mask[np.concatenate(ids)]])


def plan_delta(
    applied: Sequence[str],
    placed: Mapping[str, Placement],
    items: Sequence[Item],
    fresh: Sequence[int],
    edge_count: int,
    node_count: int,
) -> Delta | None:
    """The :class:`Delta` from the obstacles ``applied`` (their ids in order, each placed as
    ``placed`` says) to ``items``, of which those at the positions ``fresh`` (ascending) are new
    or replaced and the others placed as they are; or None when the complete list is to be
    applied."""
    if not applied or not items or len(placed) != len(applied):
        return None  # nothing before (or ids repeated before), or nothing now: complete
    ids = [oid for oid, _, _ in items]
    if len(set(ids)) != len(ids):
        return None  # an id listed twice
    changed = [items[i] for i in fresh]
    kept = ids
    if fresh:
        new = set(fresh)
        kept = [oid for i, oid in enumerate(ids) if i not in new]
    kept_ids = set(kept)
    gone_ids = list(placed.keys() - kept_ids)
    gone = [placed[oid].match for oid in gone_ids]
    if len(changed) + len(gone) > max(FEW_CHANGED, MOST_CHANGED_SHARE * len(items)):
        return None
    if (list(applied) if not gone else [oid for oid in applied if oid in kept_ids]) != kept:
        return None  # the unchanged ones in another order: later ones win elsewhere
    dirty_edges, dirty_nodes = _cells([*gone, *(m for _, m, _ in changed)])
    rewrite = np.union1d(
        _writers([m.edges for _, m, _ in items], dirty_edges, edge_count),
        _writers([m.nodes for _, m, _ in items], dirty_nodes, node_count),
    )
    return Delta(dirty_edges, dirty_nodes, rewrite, changed, gone, gone_ids)
