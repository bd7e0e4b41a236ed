"""Where the obstacles that stop walkers lie, as arrays: a route's "avoided" test over all at once.

An obstacle that stops walkers too (a closed sidewalk) is avoided by the plain walking route as
well, so a route names it as avoided when it lies on the walking route of the map *without*
obstacles (:meth:`api.obstacles.live.LiveObstacles.describe`). Two tests decide that per route:

1. **near**: could the obstacle lie on that walking route at all? Every way between two points
   that is at most ``bound`` metres long stays inside the ellipse of foci the two points and
   that length; an obstacle none of whose matched edge ends lies inside is not on it. Only if
   one is near (:meth:`WalkerObstacles.any_near`: a circle around each obstacle's ends rules
   most obstacles in or out on three numbers) is the walking route searched.
2. **on**: which share an edge with the walking route found, of those their ends near
   (:meth:`WalkerObstacles.on_walk`).

Both run over every obstacle at once, on arrays made once per reload. A loop over the obstacles
with one ``np.isin`` per near one made a route answer cost 2.4 ms at p50 with 200 closures in
the city, against 1.3 ms with one (``bench_obstacles.py --obstacles 200``); the arrays bring
it to 1.5 ms. With thousands of obstacles in the city the circle test stops at the first
circle wholly inside the ellipse, and the ends and edges of only the obstacles concerned are
read, by their offsets, in kernels.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from graphs.runs import Relayout, joined, offsets_of, owners_of
from routing._kernels.near_walk import any_circle_within, any_end_within, ends_near_walk
from routing.marks import edge_marks

__all__ = ["WalkerObstacles"]


def _coordinates(points_xy: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """The points' x and y as two contiguous float64 arrays (what the kernels read)."""
    xy = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    return np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])


class _Placed(Protocol):
    """What the arrays are made of, per obstacle (an ``ActiveObstacle``)."""

    @property
    def id(self) -> str: ...
    @property
    def edges(self) -> np.ndarray: ...
    @property
    def x(self) -> np.ndarray: ...
    @property
    def y(self) -> np.ndarray: ...
    @property
    def circle(self) -> tuple[float, float, float]: ...


@dataclass(frozen=True, slots=True)
class WalkerObstacles:
    """The obstacles that stop walkers, in the order given: circles, edge ends and edges.

    Per obstacle ``i``: the circle ``(cx[i], cy[i], radius[i])`` around its matched edge ends
    in the router's local frame (metres; radius −1: it has no ends, so it is near no route);
    its ends are ``end_x``/``end_y`` where ``end_owner == i``, its edges ``edges`` where
    ``edge_owner == i``. The owners never decrease, so each obstacle's ends and edges are one
    run: ``end_x[end_offsets[i]:end_offsets[i + 1]]``, ``edges[edge_offsets[i]:edge_offsets[i
    + 1]]`` (a route's tests read the ends and edges of the few obstacles they concern, not all).
    """

    ids: tuple[str, ...]
    cx: np.ndarray
    cy: np.ndarray
    radius: np.ndarray
    end_x: np.ndarray
    end_y: np.ndarray
    end_owner: np.ndarray
    edges: np.ndarray
    edge_owner: np.ndarray
    index: dict[str, int]  # id → its position in ``ids``
    end_offsets: np.ndarray  # (len(ids) + 1,) int64: where each obstacle's ends begin
    edge_offsets: np.ndarray  # (len(ids) + 1,) int64: where each obstacle's edges begin

    @classmethod
    def of(cls, obstacles: Sequence[_Placed]) -> WalkerObstacles:
        """The arrays of ``obstacles`` (each one's circle, ends and edges). Their ``x``, ``y``
        (float64) and ``edges`` (int64) are taken as the arrays they are: no numpy call per
        obstacle (10,000 of them at every reload: 19 ms with one per array, 6 without)."""
        circles = np.array([o.circle for o in obstacles], dtype=np.float64).reshape(-1, 3)
        end_x, end_offsets = joined([o.x for o in obstacles], np.float64)
        end_y, _ = joined([o.y for o in obstacles], np.float64)
        edges, edge_offsets = joined([o.edges for o in obstacles], np.int64)
        ids = tuple([o.id for o in obstacles])
        return cls(
            ids=ids,
            cx=circles[:, 0].copy(),
            cy=circles[:, 1].copy(),
            radius=circles[:, 2].copy(),
            end_x=end_x,
            end_y=end_y,
            end_owner=owners_of(end_offsets),
            edges=edges,
            edge_owner=owners_of(edge_offsets),
            index={oid: k for k, oid in enumerate(ids)},
            end_offsets=end_offsets,
            edge_offsets=edge_offsets,
        )

    def updated(self, obstacles: Sequence[_Placed], unchanged: Sequence[bool]) -> WalkerObstacles:
        """What :meth:`of` makes of ``obstacles``, where each one with ``unchanged`` true is
        in these arrays under its id as it is (the same object was made into them): its circle,
        ends and edges are gathered from here, and only the others are read one by one. A
        reload with 10,000 active and one changed: ~5 ms against 10-16 for :meth:`of`."""
        n = len(obstacles)
        keep = np.fromiter(unchanged, dtype=bool, count=n)
        if not keep.any():
            return WalkerObstacles.of(obstacles)
        ids = tuple([o.id for o in obstacles])
        kept = np.flatnonzero(keep)
        fresh = np.flatnonzero(~keep)
        old = np.fromiter((self.index[ids[i]] for i in kept.tolist()), np.int64, kept.size)
        made = WalkerObstacles.of([obstacles[i] for i in fresh.tolist()])
        circles = np.empty((3, n), dtype=np.float64)
        for row, here, there in zip(
            circles, (self.cx, self.cy, self.radius), (made.cx, made.cy, made.radius), strict=True
        ):
            row[kept], row[fresh] = here[old], there
        ends = Relayout.of(self.end_offsets, made.end_offsets, kept, old, fresh)
        edges = Relayout.of(self.edge_offsets, made.edge_offsets, kept, old, fresh)
        return WalkerObstacles(
            ids=ids, cx=circles[0], cy=circles[1], radius=circles[2],
            end_x=ends.join(self.end_x, made.end_x), end_y=ends.join(self.end_y, made.end_y),
            end_owner=owners_of(ends.offsets), edges=edges.join(self.edges, made.edges),
            edge_owner=owners_of(edges.offsets),
            index={oid: k for k, oid in enumerate(ids)},
            end_offsets=ends.offsets, edge_offsets=edges.offsets,
        )  # fmt: skip

    def subset(self, keep: np.ndarray) -> WalkerObstacles:
        """The obstacles ``i`` with ``keep[i]`` (a bool per obstacle), in the same order: what
        :meth:`of` would make of them, without going through them one by one."""
        keep = np.asarray(keep, dtype=bool)
        renumber = np.cumsum(keep) - 1
        kept = np.flatnonzero(keep)
        ends, edges = keep[self.end_owner], keep[self.edge_owner]
        ids = tuple(self.ids[i] for i in kept.tolist())
        return WalkerObstacles(
            ids=ids,
            cx=self.cx[kept], cy=self.cy[kept], radius=self.radius[kept],
            end_x=self.end_x[ends], end_y=self.end_y[ends],
            end_owner=renumber[self.end_owner[ends]],
            edges=self.edges[edges], edge_owner=renumber[self.edge_owner[edges]],
            index={oid: k for k, oid in enumerate(ids)},
            end_offsets=offsets_of(np.diff(self.end_offsets)[kept]),
            edge_offsets=offsets_of(np.diff(self.edge_offsets)[kept]),
        )  # fmt: skip

    def touching(self, changed: np.ndarray) -> np.ndarray:
        """Per obstacle: whether one of its edges is ``changed`` (a bool per directed edge)."""
        hit = np.zeros(len(self.ids), dtype=bool)
        hit[self.edge_owner[np.asarray(changed, dtype=bool)[self.edges]]] = True
        return hit

    def edges_in_question(self, skip: Collection[str], most: int) -> np.ndarray | None:
        """The edges of the obstacles :meth:`on_walk` would test (none in ``skip``), or None
        when more than ``most`` obstacles may be in question (for
        :func:`~api.obstacles.reference_bound.cannot_pass`; with many obstacles active, None
        before any array is made)."""
        if len(self.ids) - len(skip) > most:
            return None
        candidate = self._candidates(skip)
        if int(np.count_nonzero(candidate)) > most:
            return None
        return self.edges[candidate[self.edge_owner]]

    def _candidates(self, skip: Collection[str]) -> np.ndarray:
        """Per obstacle: whether it has ends and is not in ``skip``."""
        candidate = self.radius >= 0.0
        for oid in skip:  # few: what the route passes or avoids already
            i = self.index.get(oid)
            if i is not None:
                candidate[i] = False
        return candidate

    def any_near(
        self, points_xy: Sequence[tuple[float, float]], bound_m: float, skip: Collection[str] = ()
    ) -> bool:
        """Whether an obstacle (none in ``skip``) has an end within ``bound_m`` metres summed
        from two consecutive points of ``points_xy`` (the ellipse every way of at most
        ``bound_m`` between them stays in): at once when a circle lies wholly inside an
        ellipse (every point of it, so its ends, within the bound: the triangle inequality; an
        end on the very boundary may round the other way, which costs a search, no answer),
        else by the ends, stopped at the first inside (a kernel). With thousands of obstacles
        around a route most circles lie inside, and testing every end of them (tens of
        thousands) cost a route 3 ms at 10,000."""
        candidate = self._candidates(skip)
        for (ax, ay), (bx, by) in itertools.pairwise(points_xy):
            if any_circle_within(self.cx, self.cy, self.radius, candidate, ax, ay, bx, by, bound_m):
                return True
        px, py = _coordinates(points_xy)
        return bool(
            any_end_within(
                candidate, self.end_x, self.end_y, self.end_offsets, px, py, float(bound_m)
            )
        )

    def on_walk(
        self,
        points_xy: Sequence[tuple[float, float]],
        bound_m: float,
        walked: np.ndarray,
        edge_count: int,
        skip: Collection[str] = (),
    ) -> list[str]:
        """Ids of the obstacles (none in ``skip``) that have an edge among ``walked``
        (directed edge ids below ``edge_count``) and an end within ``bound_m`` metres summed
        from two consecutive points of ``points_xy``, in the order given. The edges first: the
        ends are tested of the obstacles on the walk only (a few), in one kernel pass
        (:func:`~routing._kernels.near_walk.ends_near_walk`; in numpy, some 20 calls, and the near
        ones tested against the walk a second time: with 300 obstacles active 84 µs of an answer,
        with 3,000 211)."""
        out = np.zeros(len(self.ids), dtype=bool)
        px, py = _coordinates(points_xy)
        if ends_near_walk(
            np.ascontiguousarray(walked, dtype=np.int64), edge_marks(edge_count).view(np.bool_),
            self._candidates(skip), self.edges, self.edge_offsets, self.end_x, self.end_y,
            self.end_offsets, px, py, float(bound_m), out,
        ) == 0:  # fmt: skip
            return []
        return [self.ids[i] for i in np.flatnonzero(out).tolist()]
