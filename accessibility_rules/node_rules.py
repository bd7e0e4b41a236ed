"""The composite rule of a node: the typed accessibility attributes a way's node holds.

:func:`node_attributes` reads a node's tag dict into a :class:`NodeAttributes`: its kerb (kind
and height, with their source), crossing (kind, island, signals, tactile paving), barrier and
whether a pedestrian may pass it, steps, an entrance, a seat (a bench, a shelter, a stop's).
Like the way rules it never raises on a bad value: an unreadable one becomes the unknown state
and is counted (:mod:`accessibility_rules.tag_reading`). :data:`EMPTY_NODE` is a node that says
nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    KerbHeightSource,
    KerbKind,
    Seat,
    Tri,
    Wheelchair,
)
from accessibility_rules.tag_reading import (
    barrier_access,
    crossing_island,
    kerb_state,
    read_first,
    read_tag,
    tag_value,
    tri,
    worse_kerb,
)
from accessibility_rules.tag_values import (
    MalformedTagError,
    parse_acoustic_signal,
    parse_barrier,
    parse_crossing_kind,
    parse_kerb_height_cm,
    parse_kerb_kind,
    parse_sloped_curb,
    parse_tactile_paving,
    parse_wheelchair,
    parse_width_m,
    parse_yes_no,
)

__all__ = [
    "EMPTY_NODE",
    "NodeAttributes",
    "node_attributes",
]


@dataclass(frozen=True, slots=True)
class NodeAttributes:
    """Accessibility facts at one OSM node (kerb, crossing, barrier, entrance …)."""

    kerb: KerbKind
    kerb_height_cm: float | None
    kerb_height_source: KerbHeightSource
    crossing: CrossingKind
    acoustic_signal: AcousticSignal
    vibration_signal: Tri
    tactile_paving: Tri
    button_operated: Tri
    barrier: BarrierKind
    maxwidth_m: float | None
    wheelchair: Wheelchair
    is_elevator: bool
    is_entrance: bool
    seat: Seat = Seat.NONE
    barrier_access: Tri = Tri.UNKNOWN  # may pedestrians pass the barrier (foot, else access)
    crossing_island: Tri = Tri.UNKNOWN  # a refuge island in the road (crossing:island)

    @property
    def is_notable(self) -> bool:
        """True when anything is known here: such nodes must survive graph simplification."""
        return self != EMPTY_NODE


#: The attributes of a node without any relevant tag.
EMPTY_NODE = NodeAttributes(
    kerb=KerbKind.NONE,
    kerb_height_cm=None,
    kerb_height_source=KerbHeightSource.UNKNOWN,
    crossing=CrossingKind.NONE,
    acoustic_signal=AcousticSignal.UNKNOWN,
    vibration_signal=Tri.UNKNOWN,
    tactile_paving=Tri.UNKNOWN,
    button_operated=Tri.UNKNOWN,
    barrier=BarrierKind.NONE,
    maxwidth_m=None,
    wheelchair=Wheelchair.UNKNOWN,
    is_elevator=False,
    is_entrance=False,
    seat=Seat.NONE,
)

_KERB_NODE_KEYS = ("kerb", "kerb:left", "kerb:right", "kerb:height", "sloped_curb")


def _node_kerb(
    tags: Mapping[str, str], malformed: Counter[str]
) -> tuple[KerbKind, float | None, KerbHeightSource]:
    """(kind, height, source) of the kerb at a node.

    ``kerb:height`` (TAG) and ``kerb`` / ``kerb:left`` / ``kerb:right`` (the worst side, as on
    crossing nodes) first; else the deprecated ``sloped_curb`` (a number there is a measured
    height, TAG); else ``barrier=kerb`` or an unreadable kerb tag → UNKNOWN.
    """
    kinds = [read_tag(tags, key, parse_kerb_kind, malformed) for key in _KERB_NODE_KEYS[:3]]
    known_kinds = [kind for kind in kinds if kind is not None]
    height = read_tag(tags, "kerb:height", parse_kerb_height_cm, malformed)
    if known_kinds or height is not None:
        kind = worse_kerb(known_kinds) if known_kinds else None
        return kerb_state(kind, height)
    sloped = read_tag(tags, "sloped_curb", parse_sloped_curb, malformed)
    if sloped is not None:
        try:
            sloped_height = parse_kerb_height_cm(tags["sloped_curb"])
        except MalformedTagError:
            return kerb_state(sloped, None)
        return sloped, sloped_height, KerbHeightSource.TAG
    if tag_value(tags, "barrier") == "kerb" or any(key in tags for key in _KERB_NODE_KEYS):
        return KerbKind.UNKNOWN, None, KerbHeightSource.UNKNOWN
    return KerbKind.NONE, None, KerbHeightSource.UNKNOWN


def _node_crossing(tags: Mapping[str, str], malformed: Counter[str]) -> CrossingKind:
    """Crossing kind at a node: ``highway=crossing``, ``railway=crossing``, signals + crossing."""
    highway = tag_value(tags, "highway")
    if highway == "crossing":
        kind = read_tag(tags, "crossing", parse_crossing_kind, malformed)
        return CrossingKind.UNKNOWN if kind is None else kind
    if tag_value(tags, "railway") == "crossing":
        return CrossingKind.UNKNOWN
    if highway == "traffic_signals" and "crossing" in tags:
        kind = read_tag(tags, "crossing", parse_crossing_kind, malformed)
        return CrossingKind.UNKNOWN if kind is None else kind
    return CrossingKind.NONE


def _is_entrance(tags: Mapping[str, str]) -> bool:
    """``entrance=*`` (except ``no``) or ``door=*`` (``door=no`` is a doorway without a door)."""
    return ("entrance" in tags and tag_value(tags, "entrance") != "no") or "door" in tags


#: Stops that may carry ``bench=yes``.
_STOP_KEYS = (("highway", "bus_stop"), ("public_transport", "platform"))


def _seat(tags: Mapping[str, str], malformed: Counter[str]) -> Seat:
    """A seat at a node: ``amenity=bench``, ``leisure=picnic_table``, or a stop with ``bench=yes``.

    ``backrest=yes|no`` says whether it has a backrest; untagged, that stays UNKNOWN (a seat is
    there). A stop with ``bench=no`` or without ``bench`` has no seat mapped (NONE).
    """
    is_seat = tag_value(tags, "amenity") == "bench" or tag_value(tags, "leisure") == "picnic_table"
    if not is_seat and any(tag_value(tags, key) == value for key, value in _STOP_KEYS):
        is_seat = read_tag(tags, "bench", parse_yes_no, malformed) is Tri.YES
    if not is_seat:
        return Seat.NONE
    backrest = read_tag(tags, "backrest", parse_yes_no, malformed)
    if backrest is None:
        return Seat.UNKNOWN
    return Seat.BACKREST if backrest is Tri.YES else Seat.NO_BACKREST


def node_attributes(tags: Mapping[str, str], malformed: Counter[str]) -> NodeAttributes:
    """Read a node's tags as :class:`NodeAttributes`; never raises.

    A value that cannot be read becomes unknown and ``malformed[key]`` is incremented.
    """
    kerb, kerb_height, kerb_source = _node_kerb(tags, malformed)
    acoustic = read_tag(tags, "traffic_signals:sound", parse_acoustic_signal, malformed)
    barrier = read_tag(tags, "barrier", parse_barrier, malformed)
    wheelchair = read_tag(tags, "wheelchair", parse_wheelchair, malformed)
    return NodeAttributes(
        kerb=kerb,
        kerb_height_cm=kerb_height,
        kerb_height_source=kerb_source,
        crossing=_node_crossing(tags, malformed),
        acoustic_signal=AcousticSignal.UNKNOWN if acoustic is None else acoustic,
        vibration_signal=tri(read_tag(tags, "traffic_signals:vibration", parse_yes_no, malformed)),
        tactile_paving=tri(read_tag(tags, "tactile_paving", parse_tactile_paving, malformed)),
        button_operated=tri(read_tag(tags, "button_operated", parse_yes_no, malformed)),
        barrier=BarrierKind.NONE if barrier is None else barrier,
        maxwidth_m=read_first(tags, ("maxwidth:physical", "maxwidth"), parse_width_m, malformed),
        wheelchair=Wheelchair.UNKNOWN if wheelchair is None else wheelchair,
        is_elevator=tag_value(tags, "highway") == "elevator",
        is_entrance=_is_entrance(tags),
        seat=_seat(tags, malformed),
        barrier_access=barrier_access(tags),
        crossing_island=crossing_island(tags, malformed),
    )
