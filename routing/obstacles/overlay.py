"""The live effect of staff obstacles on a router: patched copies of the attribute arrays.

:class:`ObstacleOverlay` applies the set of currently active obstacles (each an id, an
:class:`~routing.obstacles.matching.ObstacleMatch` and an
:class:`~routing.obstacles.effect.ObstacleEffect`) to a :class:`~routing.engine.Router`: pristine
arrays + patches → new arrays, swapped in as new dictionaries through
:meth:`~routing.customizer.Customizer.replace_attributes` (never modified in place, so a query
running concurrently keeps a consistent view). Applying is idempotent and complete: the active list
*replaces* the previous one, and ``apply([])`` restores the OSM state exactly. A list that
differs from the one before in a few obstacles is applied as that difference
(:mod:`routing.obstacles.delta`): the cells those obstacles wrote or write are set back and
written again by every obstacle that writes them, in order; the outcome is the complete
apply's (a property test compares the two), at the cost of the change, not of the list.

Node-level effects (``closed``, ``wheelchair``) reach the matched *nodes* only when the geometry is
a point (or multipoint): a point on a crossing closes the crossing itself. For lines and areas
they act on the matched edges alone, since the nodes along a closed sidewalk are also where the
crossing streets start, and those stay open. ``kerb_height_cm`` is the exception by design: a kerb
*is* a node feature, so it goes to the matched nodes whatever the geometry, and to the matched
edges only when the match has no node.

The time bounds are the caller's: whoever stores obstacles decides which are active now and calls
:meth:`ObstacleOverlay.apply` with exactly those. :meth:`ObstacleOverlay.passed_and_avoided` then
tells which of them a route passes and which it avoids.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from accessibility_rules.registry import patchable_attributes
from graphs.model import CompiledGraph
from graphs.runs import Relayout, joined, offsets_of, owners_of
from routing._kernels.near_walk import obstacles_met
from routing.marks import edge_marks
from routing.obstacles.delta import Cells, Delta, plan_delta
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch
from routing.obstacles.meetings import Meetings
from routing.obstacles.patching import Copies, Placed, Targets, reset, write_effect
from routing.walking import MEETS_FROM_TAIL, MEETS_THROUGH, MEETS_WALKED

if TYPE_CHECKING:
    from routing.engine import Router

__all__ = ["EDGE_PATCHED_ATTRIBUTES", "NODE_PATCHED_ATTRIBUTES", "ObstacleOverlay"]

#: Edge attributes an obstacle can change (the overlay keeps pristine copies of exactly these);
#: the registry's ``patchable`` entries.
EDGE_PATCHED_ATTRIBUTES: tuple[str, ...] = patchable_attributes("edge")
#: Node attributes an obstacle can change.
NODE_PATCHED_ATTRIBUTES: tuple[str, ...] = patchable_attributes("node")

# --- the overlay -----------------------------------------------------------------------------
#: Every MEETS_* bit.
_MEETS_ALL = MEETS_WALKED | MEETS_THROUGH | MEETS_FROM_TAIL
#: For each MEETS_* combination ``b`` a piece has, the ``needs`` values it meets, as bits: bit
#: ``n`` is set when ``b`` has every bit of ``n`` (:meth:`ObstacleOverlay.obstacles_on`).
_MET_NEEDS = np.array(
    [sum(1 << n for n in range(_MEETS_ALL + 1) if b & n == n) for b in range(_MEETS_ALL + 1)],
    dtype=np.uint8,
)  # (read by the kernel, routing._kernels.near_walk.obstacles_met: every piece wholly is the last)
_MET_NEEDS.setflags(write=False)
_ActiveObstacle = tuple[str, ObstacleMatch, ObstacleEffect]
_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_IDS.setflags(write=False)


class ObstacleOverlay:
    """The live effect of the active obstacles on one :class:`~routing.engine.Router`.

    Create it once per router, before anything else patches the router's graph: it keeps pristine
    copies of the patchable arrays (:data:`EDGE_PATCHED_ATTRIBUTES`,
    :data:`NODE_PATCHED_ATTRIBUTES`). Then call :meth:`apply` with the complete list of active
    obstacles whenever it changes (an obstacle created, edited, expired or deleted).
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        graph = router.graph
        self._edge_count = graph.edge_count
        self._node_count = graph.node_count
        self._pristine_edge = {
            k: np.array(graph.edge[k], copy=True) for k in EDGE_PATCHED_ATTRIBUTES
        }
        self._pristine_node = {
            k: np.array(graph.node[k], copy=True) for k in NODE_PATCHED_ATTRIBUTES
        }
        for arr in (*self._pristine_edge.values(), *self._pristine_node.values()):
            arr.setflags(write=False)  # shared with the live graph when unpatched: never written
        self._edge_is_elevator = np.asarray(graph.edge["is_elevator"], dtype=bool)
        self._node_is_elevator = np.asarray(graph.node["is_elevator"], dtype=bool)
        self._meet = Meetings(graph)
        self._lock = threading.Lock()
        self._pristine_now = True  # the router's graph holds the arrays as mapped
        # (ids, the edges each obstacle changes concatenated, index into ids of each, the
        # MEETS_* bits a piece on that edge must have for the walk to meet the change, whether
        # each edge of the graph is one of them): replaced as one tuple
        empty = np.zeros(0, dtype=np.int64)
        self._lookup: tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (
            (), empty, empty, empty, np.zeros(self._edge_count, dtype=bool),
        )  # fmt: skip
        #: Per edge, whether the applied obstacles can reach it (what undoing them must
        #: recompute): a mask, so that a delta marks its few rows without sorting all of them.
        self._reached = np.zeros(self._edge_count, dtype=bool)
        #: The applied obstacles' cells (their matches' edges and nodes, joined in order):
        #: carried from one apply to the next, as ``_lookup`` is (a delta joins only the
        #: changed obstacles' anew).
        self._cells = Cells.of([])
        #: Per applied obstacle id, where its effect goes and where a walk meets it, with the
        #: match and effect they were found for (reused while both are the same objects).
        self._placed: dict[str, Placed] = {}

    @property
    def pristine_now(self) -> bool:
        """Whether no obstacle is applied: the router's attributes are those of the map."""
        return self._pristine_now

    @property
    def applied_ids(self) -> list[str]:
        """Ids of the obstacles applied last, in the order given."""
        return list(dict.fromkeys(self._lookup[0]))

    def _check(self, active: Sequence[_ActiveObstacle]) -> tuple[list[_ActiveObstacle], list[int]]:
        """``active`` as a list, and the positions in it of the items not placed as they are
        (new obstacles, new versions): those are checked, the others were when placed."""
        items = list(active)
        placed = self._placed
        fresh: list[int] = []
        for i, item in enumerate(items):
            try:
                oid, match, effect = item
                known = placed.get(oid) if type(oid) is str else None
            except (TypeError, ValueError):  # not three things: _check_one says what it is
                known = None
            if known is not None and known.match is match and known.effect is effect:
                continue
            fresh.append(i)
            self._check_one(i, item)
        return items, fresh

    def _check_one(self, i: int, item: object) -> None:
        """Raise for an entry that is not ``(id, ObstacleMatch, ObstacleEffect)`` of this graph."""
        if not (isinstance(item, tuple) and len(item) == 3):
            raise TypeError(f"active[{i}] must be a tuple (id, ObstacleMatch, ObstacleEffect)")
        oid, match, effect = item
        if not isinstance(oid, str):
            raise TypeError(f"active[{i}]: the obstacle id must be a str")
        if not isinstance(match, ObstacleMatch) or not isinstance(effect, ObstacleEffect):
            raise TypeError(f"obstacle {oid!r}: expected an ObstacleMatch and ObstacleEffect")
        bad_edges = match.edges.size and (match.edges[0] < 0 or match.edges[-1] >= self._edge_count)
        bad_nodes = match.nodes.size and (match.nodes[0] < 0 or match.nodes[-1] >= self._node_count)
        if bad_edges or bad_nodes:
            raise ValueError(
                f"obstacle {oid!r} was matched on another graph: its ids are out of range"
            )

    def _reach(self, matches: Sequence[ObstacleMatch]) -> np.ndarray:
        """Every edge whose derived rows obstacles matched at ``matches`` can change: the edges
        matched, and the edges entering or leaving the nodes matched (a superset of what
        :meth:`_patch` writes: each patch writes matched ids only)."""
        no_ids = np.zeros(0, dtype=np.int64)
        edges = np.concatenate([no_ids, *(m.edges for m in matches)])
        nodes = np.unique(np.concatenate([no_ids, *(m.nodes for m in matches)]))
        return np.unique(
            np.concatenate((edges, self._meet.entering(nodes), self._meet.leaving(nodes)))
        )

    def _targets(self, match: ObstacleMatch, fx: ObstacleEffect) -> Targets:
        """What ``fx`` at ``match`` writes and where a walk meets it (no array touched):
        :meth:`_patch` writes by it, :meth:`changed_edges` only reads it."""
        # (every set below is the match's ids or a part of them, which are sorted and unique:
        # the union of two is the larger one, no np.union1d, ~8 µs each, 10,000 at an import)
        ids_e, ids_n = match.edges, match.nodes
        node_level = match.is_point and ids_n.size > 0
        closed_e = ids_e if fx.closed else _NO_IDS
        closed_n = ids_n if fx.closed and node_level else _NO_IDS
        if fx.elevator_out_of_service and not fx.closed:
            lift_e = ids_e[self._edge_is_elevator[ids_e]]
            lift_n = ids_n[self._node_is_elevator[ids_n]]
            if not (lift_e.size or lift_n.size):
                lift_e = ids_e
            closed_e, closed_n = lift_e, lift_n
        elif fx.elevator_out_of_service and not node_level:  # closed: all its edges already,
            closed_n = ids_n[self._node_is_elevator[ids_n]]  # its elevator nodes too
        along = closed_e  # edge attributes changed
        others = (fx.width_m, fx.surface, fx.smoothness, fx.step_count, fx.wheelchair)
        if any(x is not None for x in others):
            along = ids_e
        kerb = fx.kerb_height_cm is not None
        return Targets(
            along, closed_e, closed_n,
            ids_n if kerb and ids_n.size else _NO_IDS,
            ids_e if kerb and not ids_n.size else _NO_IDS,
            node_level,
        )  # fmt: skip

    def _place_all(self, items: Sequence[_ActiveObstacle]) -> list[Placed]:
        """Where each of ``items`` goes: as placed before while its match and effect are the
        same objects (a reload passes the applied ones' again as they were: with 3,000
        obstacles, placing them all anew was 100 of 120 ms a write), else found now, the
        meetings of all new ones together (an import's thousands: :meth:`Meetings.of_many`)."""
        out: list[Placed | None] = []
        new: list[tuple[int, ObstacleMatch, ObstacleEffect, Targets]] = []
        for oid, match, fx in items:
            known = self._placed.get(oid)
            if known is None or known.match is not match or known.effect is not fx:
                new.append((len(out), match, fx, self._targets(match, fx)))
                known = None
            out.append(known)
        met = self._meet.of_many([at for _, _, _, at in new])
        for (i, match, fx, at), meets in zip(new, met, strict=True):
            out[i] = Placed(match, fx, at, meets)
        return [p for p in out if p is not None]

    def _patch(
        self, items: list[_ActiveObstacle]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
        """Fresh copies of the touched arrays with every patch applied in order, and for each
        obstacle the directed edges whose (effective) attributes it changes, each with the
        ``MEETS_*`` bits a piece on it must have for the walk to meet the change (the verdict's
        rule: along an edge where walked, at a head where the walk goes on, a closed node
        where the walk passes it)."""
        edge: dict[str, np.ndarray] = {}
        node: dict[str, np.ndarray] = {}
        affected: list[tuple[np.ndarray, np.ndarray]] = []
        placed: dict[str, Placed] = {}
        copies, node_copies = Copies(edge, self._pristine_edge), Copies(node, self._pristine_node)
        for (oid, _, _), known in zip(items, self._place_all(items), strict=True):
            placed[oid] = known
            write_effect(known, copies, node_copies)
            affected.append(known.met)
        self._placed = placed
        return edge, node, affected

    def _patch_delta(
        self, items: list[_ActiveObstacle], delta: Delta
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
        """:meth:`_patch`'s outcome from the arrays applied before: the cells of ``delta`` set
        back to the map's values and written again by the obstacles that write them, in their
        order (every other cell is written by the same obstacles in the same order as before).
        Copies of the arrays patched before and of those the rewrite touches; the rest stay."""
        graph = self.router.graph
        edge = {
            k: reset(graph.edge[k], pristine, delta.dirty_edges)
            for k, pristine in self._pristine_edge.items()
            if graph.edge[k] is not pristine
        }
        node = {
            k: reset(graph.node[k], pristine, delta.dirty_nodes)
            for k, pristine in self._pristine_node.items()
            if graph.node[k] is not pristine
        }
        keep_edges = np.zeros(self._edge_count, dtype=bool)
        keep_edges[delta.dirty_edges] = True
        keep_nodes = np.zeros(self._node_count, dtype=bool)
        keep_nodes[delta.dirty_nodes] = True
        placed = dict(self._placed)
        for oid in delta.gone_ids:
            del placed[oid]
        for (oid, _, _), known in zip(delta.changed, self._place_all(delta.changed), strict=True):
            placed[oid] = known
        copies = Copies(edge, self._pristine_edge, keep_edges)
        node_copies = Copies(node, self._pristine_node, keep_nodes)
        for position in delta.rewrite.tolist():
            write_effect(placed[items[position][0]], copies, node_copies)
        self._placed = placed
        return edge, node, [placed[oid].met for oid, _, _ in items]

    def changed_edges(self, match: ObstacleMatch, effect: ObstacleEffect) -> np.ndarray:
        """The directed edges, sorted and unique, where a walk would meet ``effect`` applied
        at ``match`` (the same rule as :meth:`apply`'s). Empty when the obstacle would change
        nothing: a line or an area acts on the nodes it meets only with a kerb, so a closure
        drawn as a line that runs along no path (across a road at a crossing node) closes
        nothing. Raises like :meth:`apply` for a match made on another graph."""
        self._check_one(0, ("", match, effect))
        return np.unique(self._meet.of(self._targets(match, effect))[0])

    def pristine_graph(self) -> CompiledGraph:
        """The router's graph as it is without any obstacle (a view sharing the arrays)."""
        graph = self.router.graph
        return dataclasses.replace(
            graph, edge=graph.edge | self._pristine_edge, node=graph.node | self._pristine_node
        )

    def apply(self, active: Sequence[tuple[str, ObstacleMatch, ObstacleEffect]]) -> None:
        """Make exactly the obstacles in ``active`` take effect on the router.

        Builds new arrays (pristine copies with every patch applied in the given order: later
        obstacles win, except ``closed``, which only ever closes, and ``width_m``, which keeps the
        narrowest width), swaps them into the router's graph as new dictionaries and refreshes
        the router: the derived rows of the edges the previous and the new obstacles reach are
        recomputed (:meth:`_reach`), and cached metrics re-weight the edges that changed when
        next used. Arrays no obstacle touches are the pristine ones. When few obstacles changed
        (:func:`~routing.obstacles.delta.plan_delta`), only their cells are written again and
        only the rows they reach recomputed (:meth:`_patch_delta`). ``apply([])`` restores the
        state of the map (and does nothing at all, not even a refresh, when no obstacle was
        applied before).

        Raises :class:`TypeError` for a malformed entry and :class:`ValueError` for a match made
        on another graph; nothing is changed then.
        """
        items, fresh = self._check(active)
        with self._lock:
            if not items and self._pristine_now:
                return  # nothing active before or now: no new arrays, the revision stays
            delta = plan_delta(
                self._lookup[0], self._placed, items, fresh, self._edge_count, self._node_count,
                self._cells,
            )  # fmt: skip
            if delta is None:
                patched_edge, patched_node, affected = self._patch(items)
                reached = np.zeros(self._edge_count, dtype=bool)
                reached[self._reach([m for _, m, _ in items])] = True
                # the rows to recompute: what undoing the old obstacles and applying the new
                # ones can change, nothing else
                rows = np.flatnonzero(self._reached | reached)
            else:
                patched_edge, patched_node, affected = self._patch_delta(items, delta)
                rows = self._reach([*delta.gone, *(m for _, m, _ in delta.changed)])
                reached = self._reached.copy()
                reached[rows] = True  # (a superset: the next complete apply recomputes a few
                # rows more)
            graph = self.router.graph
            new_edge = dict(graph.edge)
            for name in EDGE_PATCHED_ATTRIBUTES:
                new_edge[name] = patched_edge.get(name, self._pristine_edge[name])
            new_node = dict(graph.node)
            for name in NODE_PATCHED_ATTRIBUTES:
                new_node[name] = patched_node.get(name, self._pristine_node[name])
            for arr in (*patched_edge.values(), *patched_node.values()):
                arr.setflags(write=False)
            self.router.customizer.replace_attributes(new_edge, new_node, edges=rows)
            self._reached = reached
            ids = tuple([oid for oid, _, _ in items])
            if delta is None:
                self._cells = Cells.of([m for _, m, _ in items])
                owned, offsets = joined([a for a, _ in affected], np.int64)
                needs, _ = joined([m for _, m in affected], np.int64)
            else:  # the kept obstacles' runs as they were, the changed ones' joined anew
                self._cells = self._cells.updated(delta)
                made = [affected[i] for i in delta.fresh.tolist()]
                made_owned, made_offsets = joined([a for a, _ in made], np.int64)
                made_needs, _ = joined([m for _, m in made], np.int64)
                before = offsets_of(np.bincount(self._lookup[2], minlength=len(self._lookup[0])))
                layout = Relayout.of(
                    before, made_offsets, delta.kept, delta.kept_before, delta.fresh
                )
                owned = layout.join(self._lookup[1], made_owned)
                needs = layout.join(self._lookup[3], made_needs)
                offsets = layout.offsets
            on = np.zeros(self._edge_count, dtype=bool)
            on[owned] = True
            self._lookup = (ids, owned, owners_of(offsets), needs, on)
            self._pristine_now = not items

    def obstacles_on(self, edges: Iterable[int], meets: Sequence[int] | None = None) -> list[str]:
        """Ids of the applied obstacles that a walk over the directed ``edges`` meets.

        An obstacle changes the edges it was matched to, and for what it does at nodes (a kerb,
        a closed crossing) the edges leading into those nodes (closed nodes: out of them too),
        since that is where walking meets it. ``meets`` (per edge, the
        :data:`~routing.walking.MEETS_WALKED`… bits of :func:`routing.walking.piece_meets`)
        says what the walk meets of each piece, by the verdict's rule: a change along an edge
        only where some of it is walked, one at a node where the walk goes on past it. None or
        empty (a Route made without them): every piece wholly. In the order applied, each id
        once. Raises ``ValueError`` when ``meets`` and ``edges`` differ in length.
        Pass ``Route.edges`` and ``Route.meets`` for the obstacles a route passes.
        """
        ids, owned, owner, needs, on = self._lookup  # one consistent snapshot
        if owned.size == 0:  # no obstacle applied: nothing to read
            return []
        listed = edges if isinstance(edges, list | np.ndarray) else list(edges)
        wanted = np.ascontiguousarray(listed, dtype=np.int64)
        if meets and len(meets) != wanted.size:
            raise ValueError(f"{len(meets)} meets for {wanted.size} edges")
        bits = np.asarray(meets, dtype=np.int64) if meets else _NO_IDS
        hit = np.zeros(len(ids), dtype=bool)
        if not obstacles_met(
            wanted, bits, on, edge_marks(self._edge_count), _MET_NEEDS, owned,
            owner, needs, hit,
        ):  # fmt: skip
            return []  # a route meets few of them, if any
        return list(dict.fromkeys(ids[i] for i in np.flatnonzero(hit).tolist()))

    def passed_and_avoided(
        self,
        route_edges: Iterable[int],
        walk_edges: Iterable[int],
        route_meets: Sequence[int] | None = None,
        walk_meets: Sequence[int] | None = None,
    ) -> tuple[list[str], list[str]]:
        """Obstacles a route passes, and those it avoids.

        ``route_edges`` are the directed edges the route walks (``Route.edges``, with
        ``Route.meets``: what it meets of each, see :meth:`obstacles_on`); *avoided* obstacles
        lie on the plain walking route (``walk_edges``, ``Route.walk_edges`` and
        ``Route.walk_meets``) but not on the route itself. The walking route is computed on the
        patched graph too, so an obstacle that stops walkers as well (``closed``) is avoided by
        both and listed in neither.
        """
        passed = self.obstacles_on(route_edges, route_meets)
        on_walk = self.obstacles_on(walk_edges, walk_meets)
        taken = set(passed)
        return passed, [oid for oid in on_walk if oid not in taken]
