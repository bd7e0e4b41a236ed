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

The writers of the dirty cells are found in the applied obstacles' cells as the overlay keeps
them joined (:class:`Cells`, carried from one apply to the next: joining thousands of matches'
ids anew took ~8 ms of every write at 10,000 active), and in the changed ones' own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from graphs.runs import Relayout, joined, owners_of
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch

__all__ = ["MOST_CHANGED_SHARE", "Cells", "Delta", "plan_delta"]

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
class Cells:
    """The edges and nodes of each applied obstacle's match, joined in the order applied: the
    ``edges`` of the obstacle at position ``i`` are ``edges[edge_offsets[i]:edge_offsets[i +
    1]]`` (the same for the nodes)."""

    edges: np.ndarray
    edge_offsets: np.ndarray
    nodes: np.ndarray
    node_offsets: np.ndarray

    @classmethod
    def of(cls, matches: Sequence[ObstacleMatch]) -> Cells:
        """The cells of ``matches``, in order."""
        edges, edge_offsets = joined([m.edges for m in matches], np.int64)
        nodes, node_offsets = joined([m.nodes for m in matches], np.int64)
        return cls(edges, edge_offsets, nodes, node_offsets)

    def updated(self, delta: Delta) -> Cells:
        """The cells of the list ``delta`` was planned for: the kept obstacles' from here, the
        changed ones' joined anew (what :meth:`of` makes of the whole new list)."""
        made = Cells.of([m for _, m, _ in delta.changed])
        kept, old, fresh = delta.kept, delta.kept_before, delta.fresh
        edges = Relayout.of(self.edge_offsets, made.edge_offsets, kept, old, fresh)
        nodes = Relayout.of(self.node_offsets, made.node_offsets, kept, old, fresh)
        return Cells(
            edges.join(self.edges, made.edges), edges.offsets,
            nodes.join(self.nodes, made.nodes), nodes.offsets,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Delta:
    """The change from the applied list to a new one.

    ``dirty_edges`` and ``dirty_nodes`` (sorted, unique) are the cells the changed obstacles
    wrote before or write now; ``rewrite`` the positions in the new list (ascending) of every
    obstacle that writes any of them; ``changed`` the new or replaced items and ``gone`` the
    matches of the placements removed or replaced (what the derived rows must be recomputed
    around), ``gone_ids`` their ids. ``fresh`` are the positions of ``changed`` in the new
    list, ``kept`` those of the others (ascending), and ``kept_before`` where each of those was
    in the applied list."""

    dirty_edges: np.ndarray
    dirty_nodes: np.ndarray
    rewrite: np.ndarray
    changed: list[Item]
    gone: list[ObstacleMatch]
    gone_ids: list[str]
    fresh: np.ndarray
    kept: np.ndarray
    kept_before: np.ndarray


def _writers(
    values: np.ndarray,
    offsets: np.ndarray,
    dirty: np.ndarray,
    count: int,
    now_at: np.ndarray,
    fresh: np.ndarray,
    fresh_ids: list[np.ndarray],
) -> np.ndarray:
    """Positions in the new list (ascending) of the obstacles with an id in ``dirty`` (ids below
    ``count``): of the applied ones by their joined ``values`` and ``offsets``, placed in the
    new list by ``now_at`` (−1: gone), and of the changed ones (at ``fresh``) by their own ids
    (``fresh_ids``)."""
    if not dirty.size:
        return np.zeros(0, dtype=np.int64)
    mask = np.zeros(count, dtype=bool)
    mask[dirty] = True
    before = now_at[np.unique(owners_of(offsets)[mask[values]])]
    changed = [p for p, ids in zip(fresh.tolist(), fresh_ids, strict=True) if mask[ids].any()]
    return np.union1d(before[before >= 0], np.asarray(changed, dtype=np.int64))


def plan_delta(
    applied: Sequence[str],
    placed: Mapping[str, Placement],
    items: Sequence[Item],
    fresh: Sequence[int],
    edge_count: int,
    node_count: int,
    cells: Cells | None = None,
) -> Delta | None:
    """The :class:`Delta` from the obstacles ``applied`` (their ids in order, each placed as
    ``placed`` says, their ``cells`` joined: made of ``placed`` when None) to ``items``, of
    which those at the positions ``fresh`` (ascending) are new or replaced and the others
    placed as they are; or None when the complete list is to be applied."""
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
    if not gone:
        kept_before = np.arange(len(applied), dtype=np.int64)
        if list(applied) != kept:
            return None  # the unchanged ones in another order: later ones win elsewhere
    else:
        staying = [oid in kept_ids for oid in applied]
        if [oid for oid, stays in zip(applied, staying, strict=True) if stays] != kept:
            return None
        kept_before = np.flatnonzero(np.asarray(staying, dtype=bool))
    fresh_at = np.asarray(fresh, dtype=np.int64)
    keep = np.ones(len(items), dtype=bool)
    keep[fresh_at] = False
    kept_at = np.flatnonzero(keep)
    now_at = np.full(len(applied), -1, dtype=np.int64)
    now_at[kept_before] = kept_at
    if cells is None:
        cells = Cells.of([placed[oid].match for oid in applied])
    dirty = Cells.of([*gone, *(m for _, m, _ in changed)])
    dirty_edges, dirty_nodes = np.unique(dirty.edges), np.unique(dirty.nodes)
    rewrite = np.union1d(
        _writers(cells.edges, cells.edge_offsets, dirty_edges, edge_count, now_at, fresh_at,
                 [m.edges for _, m, _ in changed]),
        _writers(cells.nodes, cells.node_offsets, dirty_nodes, node_count, now_at, fresh_at,
                 [m.nodes for _, m, _ in changed]),
    )  # fmt: skip
    return Delta(
        dirty_edges, dirty_nodes, rewrite, changed, gone, gone_ids, fresh_at, kept_at, kept_before
    )
