"""How one obstacle's effect is written into copies of the router's attribute arrays.

:class:`~routing.obstacles.overlay.ObstacleOverlay` finds where an obstacle's effect goes
(:class:`Targets`, found once per match and effect: :class:`Placed`) and builds the patched
arrays: every obstacle written in order into copies of the map's arrays (:class:`Copies`), or,
for a change of a few (:mod:`routing.obstacles.delta`), the cells they wrote or write set back
(:func:`reset`) and written again with the writes restricted to those cells. The rules of
:func:`write_effect` are the overlay's (later obstacles win, except ``closed``, which only
ever closes, and ``width_m``, which keeps the narrowest width).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from accessibility_rules.attributes import KerbHeightSource, Smoothness, SurfaceClass, Wheelchair
from accessibility_rules.tag_values import kerb_kind_from_height
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch

__all__ = ["Copies", "Placed", "Targets", "reset", "write_effect"]


class Targets(NamedTuple):
    """Where one obstacle's effect goes: directed edges and nodes (found by the overlay's
    ``_targets``)."""

    along: np.ndarray  # edges whose own attributes change
    closed_edges: np.ndarray
    closed_nodes: np.ndarray  # every edge in or out of them is closed
    kerb_nodes: np.ndarray  # a kerb set at the nodes: met entering them
    kerb_edges: np.ndarray  # a kerb set on the ways (no node matched): met at their heads
    node_level: bool  # a point on nodes: closed and wheelchair reach the nodes too


class Placed(NamedTuple):
    """One obstacle's :class:`Targets` and where a walk meets them
    (:mod:`routing.obstacles.meetings`), and the match and effect they were found for."""

    match: ObstacleMatch
    effect: ObstacleEffect
    targets: Targets
    met: tuple[np.ndarray, np.ndarray]


class Copies:
    """The patched copies of one kind of attribute arrays (edge or node) being made: each
    array copied from the map's when first written, and with ``keep`` (a mask over the ids) the
    writes restricted to the kept ids (the overlay's ``_patch_delta``)."""

    __slots__ = ("arrays", "keep", "pristine")

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        pristine: dict[str, np.ndarray],
        keep: np.ndarray | None = None,
    ) -> None:
        self.arrays, self.pristine, self.keep = arrays, pristine, keep

    def array(self, name: str) -> np.ndarray:
        """The copy of ``name`` to write (made from the map's array when first asked for)."""
        if name not in self.arrays:
            self.arrays[name] = self.pristine[name].copy()
        return self.arrays[name]

    def kept(self, ids: np.ndarray) -> np.ndarray:
        """The ``ids`` to write: all of them, or those kept."""
        return ids if self.keep is None or not ids.size else ids[self.keep[ids]]


def reset(current: np.ndarray, pristine: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """A copy of ``current`` with the values at ``ids`` set back to ``pristine``'s."""
    out = current.copy()
    out[ids] = pristine[ids]
    return out


def write_effect(known: Placed, e: Copies, n: Copies) -> None:
    """Write one placed obstacle's effect into the copies (restricted to their kept cells)."""
    fx, at = known.effect, known.targets
    ids_e, ids_n = e.kept(known.match.edges), n.kept(known.match.nodes)
    if fx.closed or fx.elevator_out_of_service:
        e.array("closed")[e.kept(at.closed_edges)] = True
        if at.closed_nodes.size:
            n.array("closed")[n.kept(at.closed_nodes)] = True
    if fx.width_m is not None:
        width = e.array("width_m")
        width[ids_e] = np.fmin(width[ids_e], np.float32(fx.width_m))
    if fx.kerb_height_cm is not None:
        kind = int(kerb_kind_from_height(fx.kerb_height_cm))
        if at.kerb_nodes.size:
            kerb_nodes = n.kept(at.kerb_nodes)
            n.array("kerb")[kerb_nodes] = kind
            n.array("kerb_height_cm")[kerb_nodes] = fx.kerb_height_cm
            n.array("kerb_height_source")[kerb_nodes] = int(KerbHeightSource.TAG)
        else:
            kerb_edges = e.kept(at.kerb_edges)
            e.array("kerb")[kerb_edges] = kind
            e.array("kerb_height_cm")[kerb_edges] = fx.kerb_height_cm
    if fx.surface is not None:
        e.array("surface")[ids_e] = int(SurfaceClass[fx.surface.upper()])
    if fx.smoothness is not None:
        e.array("smoothness")[ids_e] = int(Smoothness[fx.smoothness.upper()])
    if fx.step_count is not None:
        e.array("is_steps")[ids_e] = True
        e.array("step_count")[ids_e] = fx.step_count  # the whole flight on every piece
    if fx.wheelchair is not None:
        code = int(Wheelchair[fx.wheelchair.upper()])
        e.array("wheelchair")[ids_e] = code
        if at.node_level:
            n.array("wheelchair")[ids_n] = code
