"""Where a walk meets what an obstacle changes: directed edges, each with the ``MEETS_*`` bits a
piece of a walk on it must have to meet the change (:mod:`routing.walking`), for one obstacle
or for many at once.

The overlay finds where an obstacle's effect goes (:class:`~routing.obstacles.patching.Targets`)
and, from it, where walks meet it: along an edge whose attributes change, where the edge is
walked; at a closed node, on every edge into it (walked up to it and on past it) and out of it
(walked from it); at a kerb, on the edges into its node, or on its way's edges, where the walk
goes on past their head. A reload of an import places thousands of new obstacles, and one
obstacle's meetings are five small arrays joined (some numpy calls each, ~6 µs an obstacle);
:meth:`Meetings.of_many` finds those of all of them in a few calls over the joined arrays and
gives each obstacle views of them: the same arrays as :meth:`Meetings.of` one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphs.arrays import concat_ranges
from graphs.model import CompiledGraph
from graphs.runs import joined, offsets_of, owners_of
from routing.obstacles.patching import Targets
from routing.walking import MEETS_FROM_TAIL, MEETS_THROUGH, MEETS_WALKED

__all__ = ["Meetings", "Met"]

#: The directed edges where a walk meets an obstacle, and per edge the bits it must have.
Met = tuple[np.ndarray, np.ndarray]

_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_IDS.setflags(write=False)
#: The bits of each kind of meeting, in the order an obstacle's edges list them: along its
#: edges, into and out of its closed nodes, into its kerb nodes, on its kerb edges.
_BITS = (
    MEETS_WALKED,
    MEETS_WALKED | MEETS_THROUGH,
    MEETS_WALKED | MEETS_FROM_TAIL,
    MEETS_THROUGH,
    MEETS_THROUGH,
)
#: Where a node's edges lie: per node the first of its range, and the edge at each place of
#: the ranges (None: the places are the edge ids, as the edges out of a node are).
_EdgesAt = tuple[np.ndarray, np.ndarray | None]


class Meetings:
    """The edges into and out of nodes of one graph, and where walks meet obstacles on it."""

    __slots__ = ("_first_out", "_in_first", "_in_order")

    def __init__(self, graph: CompiledGraph) -> None:
        self._in_order = np.argsort(graph.head, kind="stable").astype(np.int64)
        counts = np.bincount(graph.head, minlength=graph.node_count)
        self._in_first = np.zeros(graph.node_count + 1, dtype=np.int64)
        np.cumsum(counts, out=self._in_first[1:])
        self._first_out = np.asarray(graph.first_out, dtype=np.int64)

    def entering(self, nodes: np.ndarray) -> np.ndarray:
        """Edges whose head is one of ``nodes`` (they carry the node's kerb, barrier …)."""
        if not nodes.size:  # most obstacles have no such nodes: no numpy calls for them
            return _NO_IDS
        if nodes.size == 1:  # a point on a node: one range, no concat_ranges
            v = int(nodes[0])
            return self._in_order[int(self._in_first[v]) : int(self._in_first[v + 1])].copy()
        return self._in_order[concat_ranges(self._in_first[nodes], self._in_first[nodes + 1])]

    def leaving(self, nodes: np.ndarray) -> np.ndarray:
        """Edges whose tail is one of ``nodes``."""
        if not nodes.size:
            return _NO_IDS
        if nodes.size == 1:
            v = int(nodes[0])
            return np.arange(int(self._first_out[v]), int(self._first_out[v + 1]), dtype=np.int64)
        return concat_ranges(self._first_out[nodes], self._first_out[nodes + 1])

    def of(self, at: Targets) -> Met:
        """The directed edges where a walk meets what ``at`` changes, each with the bits a
        piece on it must have (the kinds of meeting in the order of :data:`_BITS`)."""
        parts = (
            at.along,
            self.entering(at.closed_nodes),
            self.leaving(at.closed_nodes),
            self.entering(at.kerb_nodes),
            at.kerb_edges,
        )
        found = [(ids, m) for ids, m in zip(parts, _BITS, strict=True) if ids.size]
        if len(found) <= 1:  # most obstacles: one kind of meeting, or none
            ids, m = found[0] if found else (_NO_IDS, 0)
            return ids, np.full(ids.size, m, dtype=np.int64)
        return (
            np.concatenate([ids for ids, _ in found]),
            np.repeat(np.asarray([m for _, m in found]), [ids.size for ids, _ in found]),
        )

    def of_many(self, targets: Sequence[Targets]) -> list[Met]:
        """:meth:`of` of every ``targets``, found together: per obstacle views of two shared
        read-only arrays (the same values and order as one by one; one alone: :meth:`of`)."""
        if len(targets) <= 1:  # a write's one: its few calls, not the joining's some twenty
            return [self.of(at) for at in targets]
        kinds = [
            self._joined([t.along for t in targets], None),
            self._joined([t.closed_nodes for t in targets], self._into),
            self._joined([t.closed_nodes for t in targets], self._out_of),
            self._joined([t.kerb_nodes for t in targets], self._into),
            self._joined([t.kerb_edges for t in targets], None),
        ]
        sizes = np.stack([k_sizes for _, k_sizes in kinds])  # (kind, obstacle)
        total = sizes.sum(axis=0)
        starts = offsets_of(total)[:-1]
        ids = np.empty(int(total.sum()), dtype=np.int64)
        bits = np.empty(ids.size, dtype=np.int64)
        before = starts.copy()  # where each obstacle's edges of the next kind go
        for (kind_ids, k_sizes), m in zip(kinds, _BITS, strict=True):
            at = concat_ranges(before, before + k_sizes)
            ids[at], bits[at] = kind_ids, m
            before += k_sizes
        ids.setflags(write=False)
        bits.setflags(write=False)
        return [
            (ids[s:e], bits[s:e])
            for s, e in zip(starts.tolist(), (starts + total).tolist(), strict=True)
        ]

    def _joined(
        self, per_obstacle: list[np.ndarray], edges_at: _EdgesAt | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ids of every obstacle joined (or, with ``edges_at``, the edges at its nodes),
        and how many each obstacle has."""
        ids, offsets = joined(per_obstacle, np.int64)
        if edges_at is None:
            return ids, np.diff(offsets)
        first, order = edges_at
        per_node = first[ids + 1] - first[ids]
        edges = concat_ranges(first[ids], first[ids + 1])
        sizes = np.bincount(
            owners_of(offsets), weights=per_node, minlength=len(per_obstacle)
        ).astype(np.int64)
        return (order[edges] if order is not None else edges), sizes

    @property
    def _into(self) -> _EdgesAt:
        return self._in_first, self._in_order

    @property
    def _out_of(self) -> _EdgesAt:
        return self._first_out, None
