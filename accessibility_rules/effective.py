"""What a pedestrian meets when walking an edge: way attributes combined with the head node's.

Kerbs, crossings, barriers and elevators are mapped on nodes; the routing core only knows edges.
An edge's *effective* attributes therefore include the node it leads to: walking ``u → v`` crosses
the kerb mapped at ``v``. Each node is thus met exactly once on a path, and the same kerb is met
whichever direction one walks. A crossing way already carries the facts of its crossing nodes
(merged at build time by :func:`accessibility_rules.tags.crossing_way_with_nodes`: a known value
beats unknown, the node wins when both are known), so all of its edges agree; the node's facts
at an edge's head only fill what is still unknown, and the way's ``way_share`` makes the whole
way one crossing. A road whose sidewalks are mapped as ways of their own is walked on its
carriageway only to cross it where no crossing is mapped (or to walk beside its sidewalk): each
such edge is one informal crossing (``crossing=informal``: no markings; signals and paving
unknown), wherever it leads. A walk along a road (sidewalks not mapped apart) that goes on
through a road junction — 3 or more carriageway arms, the node's ``road_arms`` — passes a side
road's mouth there, which it crosses unless it keeps to the other side: a
``CrossingKind.JUNCTION`` at the head, half a crossing where three arms meet and a whole one where
more do (going straight on, a side arm is on the walker's side), no markings, signals and
paving unknown; a crossing mapped on the junction node is that crossing instead. Which way the
walk turns is not known to an edge, so turning into a side road on the near side counts too.
Crossing that mouth on a sidewalk means going down a kerb and up another, and where nobody
mapped them (no kerb tag on the junction node, none on the road's sidewalk) their height is
unknown: such a junction adds *implied* kerbs to ``kerb_unknown_count`` (one where three arms
meet, two where more do: the crossing's share in kerbs), for a road whose sidewalk is present
or not known (on ``sidewalk=no`` the walk is already on the carriageway; a living street is one
level surface; a service road without a known sidewalk is walked on its carriageway). They are
reliances, not barriers: they change ``kerb_unknown_count`` only, so a profile that weighs
unknown kerbs prices them and its route lists them among what it relies on, while the barriers
and the steps name the kerbs someone mapped. Driveways and other service ways are no arms
(``road_arms``), so their mouths imply no kerbs.
Recomputed vectorised (well under a millisecond for a city) whenever
obstacles patch the raw arrays.

A rule over plain arrays (the graph's ``edge`` and ``node`` dictionaries, ``head`` and ``tail``):
it lives with the other tag meanings and imports nothing from ``graphs`` or ``routing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    KerbKind,
    Sidewalk,
    Tri,
    Wheelchair,
    is_road_class,
)


class GraphArrays(Protocol):
    """Anything with a compiled graph's attribute tables and arc ends (a ``CompiledGraph``)."""

    @property
    def edge(self) -> Mapping[str, np.ndarray]:
        """Per-edge attribute arrays (length ``m``)."""
        ...

    @property
    def node(self) -> Mapping[str, np.ndarray]:
        """Per-node attribute arrays (length ``n``)."""
        ...

    @property
    def head(self) -> np.ndarray:
        """Head node of every edge."""
        ...

    @property
    def tail(self) -> np.ndarray:
        """Tail node of every edge."""
        ...


@dataclass(frozen=True, slots=True)
class EffectiveEdges:
    """Per-edge arrays (length ``m``) of what walking each edge involves."""

    kerb_count: np.ndarray  # int8: kerbs crossed (way kerb + head node kerb)
    kerb_height_cm: np.ndarray  # float32: highest kerb of known height, NaN if none known
    kerb_unknown_count: np.ndarray  # int8: kerbs crossed whose height is unknown (the mapped ones
    # and a junction's implied ones, module doc: it may exceed kerb_count)
    crossing: np.ndarray  # int8 CrossingKind
    crossing_share: np.ndarray  # float32: share of one road crossing this edge accounts for
    acoustic_signal: np.ndarray  # int8 AcousticSignal (at the crossing)
    vibration_signal: np.ndarray  # int8 Tri
    tactile_paving: np.ndarray  # int8 Tri (at the crossing)
    barrier: np.ndarray  # int8 BarrierKind at the head node
    passage_width_m: np.ndarray  # float32: narrowest known width (way width, barrier maxwidth)
    is_elevator: np.ndarray  # bool
    wheelchair: np.ndarray  # int8 Wheelchair: the worse of way and head node
    closed: np.ndarray  # bool: edge, its head or its tail closed by an obstacle
    is_road: np.ndarray  # bool: a carriageway (pedestrians use its sidewalk if any)
    # The head node barrier's own overrides of the passability table (None: not known, as for
    # arrays built by hand): int8 Tri (foot, else access) and int8 Wheelchair.
    barrier_access: np.ndarray | None = None
    barrier_wheelchair: np.ndarray | None = None
    #: bool: the edge's crossing is at its head node (a crossing node, a junction: met when the
    #: walk goes on through it), not along the edge (a crossing way, a carriageway walked).
    #: None: all along (arrays built by hand).
    crossing_at_head: np.ndarray | None = None
    #: int8 Tri: a refuge island in the road at the crossing (``crossing:island``). None: not
    #: known anywhere (arrays built by hand).
    crossing_island: np.ndarray | None = None


# the codes the rules compare with, as plain ints (an enum member is an attribute lookup away)
_KERB_NONE = int(KerbKind.NONE)
_CROSSING_NONE = int(CrossingKind.NONE)
_CROSSING_INFORMAL = int(CrossingKind.INFORMAL)
_CROSSING_JUNCTION = int(CrossingKind.JUNCTION)
_SIDEWALK_SEPARATE = int(Sidewalk.SEPARATE)
_SIDEWALK_PRESENT = int(Sidewalk.PRESENT)
_SIDEWALK_UNKNOWN = int(Sidewalk.UNKNOWN)
_LIVING_STREET = int(HighwayClass.LIVING_STREET)
_SERVICE = int(HighwayClass.SERVICE)
#: Carriageway arms (``road_arms``) from which a node is a road junction.
_JUNCTION_ARMS = 3
_BARRIER_NONE = int(BarrierKind.NONE)
_WHEELCHAIR_UNKNOWN = int(Wheelchair.UNKNOWN)
_SIGNAL_UNKNOWN = int(AcousticSignal.UNKNOWN)
_TRI_UNKNOWN = int(Tri.UNKNOWN)


def _fill_unknown(primary: np.ndarray, fallback: np.ndarray, unknown: int) -> np.ndarray:
    return np.where(primary == unknown, fallback, primary).astype(np.int8)


def effective_edges(graph: GraphArrays) -> EffectiveEdges:
    """Combine way-level edge attributes with the attributes of each edge's head node."""
    return effective_edges_from_arrays(graph.edge, graph.node, graph.head, graph.tail)


def effective_edges_from_arrays(
    e: Mapping[str, np.ndarray], nd: Mapping[str, np.ndarray], h: np.ndarray, t: np.ndarray
) -> EffectiveEdges:
    """:func:`effective_edges` over plain arrays: edge and node tables, heads and tails."""
    road = is_road_class(e["highway"])

    way_kerb = e["kerb"] != _KERB_NONE
    node_kerb = nd["kerb"][h] != _KERB_NONE
    way_h = np.where(way_kerb, e["kerb_height_cm"], np.nan)
    node_h = np.where(node_kerb, nd["kerb_height_cm"][h], np.nan)
    both = np.stack((way_h, node_h))
    with np.errstate(invalid="ignore"):
        kerb_height = np.where(
            np.all(np.isnan(both), axis=0), np.nan, np.nanmax(np.nan_to_num(both, nan=-1.0), axis=0)
        )
    kerb_unknown = (way_kerb & np.isnan(way_h)).astype(np.int8) + (
        node_kerb & np.isnan(node_h)
    ).astype(np.int8)

    way_crossing = e["crossing"] != _CROSSING_NONE
    head_is_crossing = nd["crossing"][h] != _CROSSING_NONE
    node_crossing = head_is_crossing & ~road & ~way_crossing
    # a road whose sidewalks are ways of their own is walked on its carriageway only to cross
    # it where no crossing is mapped (or in the road beside its sidewalk): each such edge is
    # one informal crossing, whose markings, signals and paving nobody mapped
    informal = road & (e["sidewalk"] == _SIDEWALK_SEPARATE) & ~way_crossing
    # a walk along a road that goes on through a road junction (3 or more carriageway arms)
    # crosses a side road's mouth there unless it turns into it on its own side: half a
    # crossing where three arms meet, one where four or more do (going straight on, one of
    # the side arms is on the walker's side); a crossing mapped on the junction node is that
    # crossing, else the junction is its own kind, nothing of it mapped
    arms = nd["road_arms"][h]
    junction = road & ~informal & ~way_crossing & (arms >= _JUNCTION_ARMS)
    bare_junction = junction & ~head_is_crossing
    unmapped = informal | bare_junction
    at_node = node_crossing | (junction & head_is_crossing)
    crossing = np.select(
        [way_crossing, at_node, informal, bare_junction],
        [e["crossing"], nd["crossing"][h], _CROSSING_INFORMAL, _CROSSING_JUNCTION],
        _CROSSING_NONE,
    )
    share = np.select(
        [way_crossing, node_crossing | informal, junction],
        [e["way_share"], 1.0, np.where(arms > _JUNCTION_ARMS, 1.0, 0.5)],
        0.0,
    )

    mapped = (crossing != _CROSSING_NONE) & ~unmapped  # facts known only where mapped

    def at_crossing(name: str, unknown: int) -> np.ndarray:
        node_val = np.where(head_is_crossing, nd[name][h], unknown)
        way_val = np.where(way_crossing, e[name], unknown)
        merged = _fill_unknown(way_val, node_val, unknown)
        return np.where(mapped, merged, unknown).astype(np.int8)

    width = e["width_m"].astype(np.float32)
    maxwidth = nd["maxwidth_m"][h]
    passage = np.where(
        np.isnan(width), maxwidth, np.where(np.isnan(maxwidth), width, np.minimum(width, maxwidth))
    )

    way_wc, node_wc = e["wheelchair"], nd["wheelchair"][h]
    rank = np.where(way_wc == _WHEELCHAIR_UNKNOWN, 99, way_wc)
    node_rank = np.where(node_wc == _WHEELCHAIR_UNKNOWN, 99, node_wc)
    worse = np.minimum(rank, node_rank)
    wheelchair = np.where(worse == 99, _WHEELCHAIR_UNKNOWN, worse).astype(np.int8)

    # the kerbs of the side road's mouth at a junction walked along a road (module doc)
    highway = e["highway"]
    sidewalk = e["sidewalk"]
    level = (highway == _LIVING_STREET) | ((highway == _SERVICE) & (sidewalk != _SIDEWALK_PRESENT))
    on_sidewalk = (sidewalk == _SIDEWALK_PRESENT) | (sidewalk == _SIDEWALK_UNKNOWN)
    implied = junction & ~way_kerb & ~node_kerb & on_sidewalk & ~level
    # a kerb down and one up per whole crossing of the mouth: twice the junction's share
    kerb_unknown = kerb_unknown + np.where(implied, np.rint(2.0 * share), 0.0).astype(np.int8)

    return EffectiveEdges(
        kerb_count=(way_kerb.astype(np.int8) + node_kerb.astype(np.int8)),
        kerb_height_cm=kerb_height.astype(np.float32),
        kerb_unknown_count=kerb_unknown.astype(np.int8),
        crossing=crossing.astype(np.int8),
        crossing_share=share.astype(np.float32),
        acoustic_signal=at_crossing("acoustic_signal", _SIGNAL_UNKNOWN),
        vibration_signal=at_crossing("vibration_signal", _TRI_UNKNOWN),
        tactile_paving=at_crossing("tactile_paving", _TRI_UNKNOWN),
        barrier=nd["barrier"][h].astype(np.int8),
        barrier_access=nd["barrier_access"][h].astype(np.int8),
        barrier_wheelchair=np.where(
            nd["barrier"][h] != _BARRIER_NONE, nd["wheelchair"][h], _WHEELCHAIR_UNKNOWN
        ).astype(np.int8),
        passage_width_m=passage.astype(np.float32),
        is_elevator=e["is_elevator"] | nd["is_elevator"][h],
        wheelchair=wheelchair,
        closed=e["closed"] | nd["closed"][h] | nd["closed"][t],
        is_road=road,
        crossing_at_head=node_crossing | junction,
        crossing_island=at_crossing("crossing_island", _TRI_UNKNOWN),
    )
