"""Read OpenStreetMap tags as typed accessibility attributes.

OSM tags are free text: ``incline=6%``, ``incline=5°``, ``width=1,5 m``, ``kerb:height=0.03``.
The graph build, the profiles and the API must not each re-implement (and disagree on) how such a
value is read, so the modules named here are the single place where tag text becomes the enums
and numbers of :mod:`accessibility_rules.attributes`.

Two layers:

* **Value parsers** (``parse_*``, :mod:`accessibility_rules.tag_values`) read one tag value.
  They are strict: a value they cannot read raises :class:`MalformedTagError`; they never return
  a guess, because a wrong "accessible" is worse than an honest "unknown".
* **Composite rules** (:func:`~accessibility_rules.way_rules.is_pedestrian_way`,
  :func:`~accessibility_rules.way_rules.way_attributes`,
  :func:`~accessibility_rules.node_rules.node_attributes`) read a whole tag dict. They never raise
  on bad values: an unreadable value becomes the unknown state and is counted in a ``Counter``
  keyed by the tag key (:mod:`accessibility_rules.tag_reading`), so the coverage report can say
  how much data was dropped. The keys each attribute's rule reads are listed in
  :mod:`accessibility_rules.registry`, which derives the source key filters from them.

This module holds the rules across ways and nodes that the graph build applies: which ways a
source reader keeps (:func:`is_way_of_interest`), the kerb lines' tags carried to the nodes a path
shares with them (:func:`with_linear_kerbs`), and a crossing way's facts merged with its nodes'.

Crossings: node and way facts
-----------------------------
A road crossing is often mapped twice: as a ``footway=crossing`` way and as the
``highway=crossing`` node where that way meets the road, and each may carry ``crossing=*``,
``traffic_signals:sound``, ``traffic_signals:vibration`` and ``tactile_paving``.
:func:`crossing_way_with_nodes` merges them into the way (the graph build applies it to every
crossing way), so every edge of the way carries the same facts wherever the way is split:

1. *A known value beats unknown*, from either side: a way without ``crossing=*`` whose node says
   ``crossing=traffic_signals`` is a signalised crossing (``crossing=island`` and
   ``railway=crossing`` nodes say nothing about how the road is crossed: unknown).
2. *Both known and different: the node wins.* The node is where the road is crossed and where
   the signal equipment stands; it is the object the wiki documents as the crossing and the one
   surveying tools (StreetComplete) ask about and update, while a way's copy is usually set when
   the way is drawn and goes stale.
3. *Several crossing nodes on one way* (a road with a central island mapped as two crossings):
   of their known values the worst for a pedestrian wins (the least controlled crossing kind; no
   signal before a locator tone before a go signal; no before yes), because the way leads over
   all of them.

Everything here is pure: no I/O, no global state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar

from accessibility_rules.attributes import AcousticSignal, CrossingKind, KerbKind, Tri
from accessibility_rules.node_rules import NodeAttributes
from accessibility_rules.way_rules import WayAttributes

__all__ = [
    "TagLookup",
    "crossing_way_kerb",
    "crossing_way_with_nodes",
    "has_kerb_tags",
    "is_kerb_way",
    "is_way_of_interest",
    "with_linear_kerbs",
]

_T = TypeVar("_T")


class TagLookup(Protocol):
    """What the source predicates need of a tag list (a dict, or pyosmium's ``TagList``)."""

    def get(self, key: str, default: str | None = None, /) -> str | None:
        """The value of ``key``, or ``default``."""
        ...

    def __contains__(self, key: str, /) -> bool:
        """Whether ``key`` is tagged."""
        ...


def is_way_of_interest(tags: TagLookup) -> bool:
    """Whether a source reader keeps a way: any ``highway``, or a railway/public transport platform.

    A coarse first filter; :func:`is_pedestrian_way` decides what is walkable.
    """
    return (
        "highway" in tags
        or tags.get("railway") == "platform"
        or tags.get("public_transport") == "platform"
    )


def is_kerb_way(tags: TagLookup) -> bool:
    """A linear kerb (a ``barrier=kerb`` way along the road edge)."""
    return tags.get("barrier") == "kerb"


def has_kerb_tags(tags: Mapping[str, str]) -> bool:
    """Whether a node says anything about a kerb (``barrier=kerb``, ``kerb*``, ``sloped_curb``)."""
    return tags.get("barrier") == "kerb" or any(
        k.startswith("kerb") or k == "sloped_curb" for k in tags
    )


def with_linear_kerbs(
    node_tags: Mapping[int, Mapping[str, str]],
    way_nodes: Iterable[Iterable[int]],
    kerb_ways: Iterable[tuple[Iterable[int], Mapping[str, str]]],
) -> dict[int, dict[str, str]]:
    """Node tags, plus the kerb tags of ``barrier=kerb`` ways at the nodes a path shares with them.

    A footway that shares a node with a mapped kerb line crosses that kerb there; the node's own
    kerb tags, if any, take precedence. ``way_nodes`` are the node lists of the paths,
    ``kerb_ways`` the (node list, tags) of the kerb lines.
    """
    tags: dict[int, dict[str, str]] = {n: dict(t) for n, t in node_tags.items()}
    kerbs = list(kerb_ways)
    if not kerbs:
        return tags
    path_nodes = {n for nodes in way_nodes for n in nodes}
    for nodes, kerb in kerbs:
        kerb_tags = {k: v for k, v in kerb.items() if k == "barrier" or k.startswith("kerb")}
        for n in nodes:
            if n in path_nodes:
                own = tags.get(n, {})
                if not any(k.startswith("kerb") or k == "sloped_curb" for k in own):
                    tags[n] = kerb_tags | own
    return tags


#: Crossing kinds from the most to the least controlled (rule 3 of the module docstring).
_CROSSING_CONTROL: tuple[CrossingKind, ...] = (
    CrossingKind.TRAFFIC_SIGNALS,
    CrossingKind.MARKED,
    CrossingKind.UNMARKED,
    CrossingKind.INFORMAL,
)
#: Acoustic signals from the best to the worst for a blind pedestrian.
_ACOUSTIC_ORDER: tuple[AcousticSignal, ...] = (
    AcousticSignal.YES,
    AcousticSignal.LOCATE,
    AcousticSignal.NO,
)
_TRI_ORDER: tuple[Tri, ...] = (Tri.YES, Tri.NO)


def _worst_known(values: Iterable[_T], order: tuple[_T, ...]) -> _T | None:
    """The last of ``order`` among ``values`` (unknown values are not in ``order``), or None."""
    present = set(values)
    known = [v for v in order if v in present]
    return known[-1] if known else None


def crossing_way_with_nodes(
    way: WayAttributes, way_nodes: Iterable[NodeAttributes]
) -> WayAttributes:
    """A crossing way with the facts of its crossing nodes merged in (module docstring rules).

    ``way_nodes`` are the attributes of the way's nodes; only crossing nodes count. Other ways
    are returned unchanged.
    """
    if way.crossing == CrossingKind.NONE:
        return way
    nodes = [n for n in way_nodes if n.crossing != CrossingKind.NONE]
    if not nodes:
        return way
    kind = _worst_known((n.crossing for n in nodes), _CROSSING_CONTROL)
    acoustic = _worst_known((n.acoustic_signal for n in nodes), _ACOUSTIC_ORDER)
    vibration = _worst_known((n.vibration_signal for n in nodes), _TRI_ORDER)
    tactile = _worst_known((n.tactile_paving for n in nodes), _TRI_ORDER)
    island = _worst_known((n.crossing_island for n in nodes), _TRI_ORDER)
    return dataclasses.replace(
        way,
        crossing=way.crossing if kind is None else kind,
        acoustic_signal=way.acoustic_signal if acoustic is None else acoustic,
        vibration_signal=way.vibration_signal if vibration is None else vibration,
        tactile_paving=way.tactile_paving if tactile is None else tactile,
        crossing_island=way.crossing_island if island is None else island,
    )


def crossing_way_kerb(way: WayAttributes, way_nodes: Iterable[NodeAttributes]) -> WayAttributes:
    """A crossing way without kerb tags and without kerb nodes crosses a kerb of unknown height.

    A crossing leads over a kerb; untagged, its height is unknown, not zero. ``way_nodes`` are
    the attributes of the way's nodes.
    """
    if way.crossing == CrossingKind.NONE or way.kerb != KerbKind.NONE:
        return way
    if any(node.kerb != KerbKind.NONE for node in way_nodes):
        return way
    return dataclasses.replace(way, kerb=KerbKind.UNKNOWN)
