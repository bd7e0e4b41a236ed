"""Read OpenStreetMap tags as typed accessibility attributes.

OSM tags are free text: ``incline=6%``, ``incline=5°``, ``width=1,5 m``, ``kerb:height=0.03``.
The graph build, the profiles and the API must not each re-implement (and disagree on) how such a
value is read, so this module and :mod:`accessibility_rules.tag_values` are the single place
where tag text becomes the enums and numbers of :mod:`accessibility_rules.attributes`.

Two layers:

* **Value parsers** (``parse_*``, :mod:`accessibility_rules.tag_values`) read one tag value.
  They are strict: a value they cannot read raises :class:`MalformedTagError`; they never return
  a guess, because a wrong "accessible" is worse than an honest "unknown".
* **Composite rules** (:func:`is_pedestrian_way`, :func:`way_attributes`,
  :func:`node_attributes`) read a whole tag dict. They never raise on bad values: an unreadable
  value becomes the unknown state and is counted in a ``Counter`` keyed by the tag key, so the
  coverage report can say how much data was dropped. The keys each attribute's rule reads are
  listed in :mod:`accessibility_rules.registry`, which derives the source key filters from them.

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
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from accessibility_rules.attributes import (
    ASSUMED_KERB_HEIGHT_CM,
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    KerbHeightSource,
    KerbKind,
    Seat,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.tag_values import (
    NOT_BARRIER_VALUES,
    MalformedTagError,
    highway_class,
    kerb_kind_from_height,
    lookup_tag_value,
    parse_acoustic_signal,
    parse_barrier,
    parse_crossing_kind,
    parse_incline,
    parse_kerb_height_cm,
    parse_kerb_kind,
    parse_lit,
    parse_lit_time,
    parse_sloped_curb,
    parse_smoothness,
    parse_step_count,
    parse_surface,
    parse_tactile_paving,
    parse_wheelchair,
    parse_width_m,
    parse_yes_no,
)

__all__ = [
    "EMPTY_NODE",
    "NodeAttributes",
    "WayAttributes",
    "barrier_access",
    "crossing_way_kerb",
    "crossing_way_with_nodes",
    "has_kerb_tags",
    "is_kerb_way",
    "is_pedestrian_way",
    "is_way_of_interest",
    "node_attributes",
    "way_attributes",
    "with_linear_kerbs",
]

_T = TypeVar("_T")


def _lit(tags: Mapping[str, str], malformed: Counter[str]) -> Tri:
    """``lit`` of a way, with ``lit:time`` where tagged: a way tagged unlit stays unlit; a
    schedule in ``lit:time`` says how a lit (or untagged) way is lit, as one in ``lit`` does."""
    lit = _read(tags, "lit", parse_lit, malformed)
    if lit is Tri.NO:
        return Tri.NO
    schedule = _read(tags, "lit:time", parse_lit_time, malformed)
    return _tri(schedule if schedule is not None else lit)


_BARRIER_PASS = frozenset({"yes", "designated", "permissive", "destination", "customers"})
_BARRIER_NO_PASS = frozenset({"no", "private"})


def barrier_access(tags: Mapping[str, str]) -> Tri:
    """Whether a pedestrian may pass a barrier node, from its ``foot`` tag, else ``access``.

    The more specific key wins, as everywhere in OSM's access rules: ``foot=yes`` opens a gate
    tagged ``access=no``. ``yes|designated|permissive|destination|customers`` → YES; ``no`` and
    ``private`` → NO; anything else, or neither key → UNKNOWN. Only barrier nodes get a value
    (other nodes: UNKNOWN), so an ``access`` tag alone keeps no node through simplification.
    """
    if _value(tags, "barrier") in ("", *NOT_BARRIER_VALUES):
        return Tri.UNKNOWN
    for key in ("foot", "access"):
        word = _value(tags, key)
        if word in _BARRIER_PASS:
            return Tri.YES
        if word in _BARRIER_NO_PASS:
            return Tri.NO
    return Tri.UNKNOWN


# --------------------------------------------------------------------------------------------
# Composite rules: helpers
# --------------------------------------------------------------------------------------------


def _read(
    tags: Mapping[str, str],
    key: str,
    parser: Callable[..., _T],
    malformed: Counter[str],
) -> _T | None:
    """Parse ``tags[key]`` with ``parser``; None when absent, and counted when malformed."""
    raw = tags.get(key)
    if raw is None:
        return None
    try:
        return parser(raw, key=key)
    except MalformedTagError:
        malformed[key] += 1
        return None


def _first_read(
    tags: Mapping[str, str],
    keys: Iterable[str],
    parser: Callable[..., _T],
    malformed: Counter[str],
) -> _T | None:
    """The first of ``keys`` that is present and readable (later keys are fallbacks)."""
    for key in keys:
        result = _read(tags, key, parser, malformed)
        if result is not None:
            return result
    return None


def _value(tags: Mapping[str, str], key: str) -> str:
    """The normalised (stripped, lower-case) value of ``key``, or "" when absent."""
    return tags.get(key, "").strip().lower()


#: Kerbs ordered from best to worst for wheels. An UNKNOWN kerb may be anything up to raised, so
#: it ranks below RAISED (known worst) but above every known lower kerb.
_KERB_BADNESS: dict[KerbKind, int] = {
    KerbKind.NONE: 0,
    KerbKind.FLUSH: 1,
    KerbKind.LOWERED: 2,
    KerbKind.ROLLED: 3,
    KerbKind.UNKNOWN: 4,
    KerbKind.RAISED: 5,
}


def _worse_kerb(kinds: list[KerbKind]) -> KerbKind:
    """The worst of several kerb kinds (see :data:`_KERB_BADNESS`)."""
    return max(kinds, key=_KERB_BADNESS.__getitem__)


def _kerb_state(
    kind: KerbKind | None, height_cm: float | None
) -> tuple[KerbKind, float | None, KerbHeightSource]:
    """Combine a tagged kerb kind and a tagged height into (kind, height, source).

    A tagged height wins (source TAG) and gives the kind unless a definite kind was tagged; a
    kind alone gets its :data:`ASSUMED_KERB_HEIGHT_CM` (source DERIVED) when it has one.
    """
    if height_cm is not None:
        if kind is None or kind not in ASSUMED_KERB_HEIGHT_CM:
            kind = kerb_kind_from_height(height_cm)
        return kind, height_cm, KerbHeightSource.TAG
    if kind is None:
        return KerbKind.NONE, None, KerbHeightSource.UNKNOWN
    assumed = ASSUMED_KERB_HEIGHT_CM.get(kind)
    source = KerbHeightSource.UNKNOWN if assumed is None else KerbHeightSource.DERIVED
    return kind, assumed, source


def _tri(value: Tri | None) -> Tri:
    """None → Tri.UNKNOWN."""
    return Tri.UNKNOWN if value is None else value


def _crossing_island(tags: Mapping[str, str], malformed: Counter[str]) -> Tri:
    """``crossing:island=yes|no``, else ``crossing=island`` (the older tagging, which says
    there is an island but not how the road is crossed): yes; else unknown."""
    island = _read(tags, "crossing:island", parse_yes_no, malformed)
    if island is not None:
        return island
    kinds = [v.strip() for v in tags.get("crossing", "").lower().split(";")]
    return Tri.YES if "island" in kinds else Tri.UNKNOWN


# --------------------------------------------------------------------------------------------
# Ways
# --------------------------------------------------------------------------------------------

_PEDESTRIAN_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "steps",
        "track",
        "bridleway",
        "platform",
        "elevator",
        "corridor",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        # Not a standard way tag, but mapped; such ways are footway crossings.
        "crossing",
    }
)
#: Never walkable, whatever else is tagged.
_NEVER_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "construction",
        "proposed",
        "abandoned",
        "razed",
        "raceway",
        "bus_guideway",
        "escape",
        "busway",
    }
)
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_FOOT_FORBIDDEN = frozenset({"no", "private"})
_ACCESS_FORBIDDEN = frozenset({"no", "private"})

#: Roads carry pedestrians on sidewalks (or the carriageway); their plain ``width`` is the
#: carriageway's.
_ROAD_HIGHWAYS = frozenset(
    {
        "residential",
        "living_street",
        "service",
        "unclassified",
        "road",
        "track",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
    }
)
#: Pedestrian infrastructure itself: the sidewalk question does not apply.
_NON_ROAD_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "platform",
        "corridor",
        "elevator",
        "cycleway",
        "bridleway",
        "crossing",
    }
)


def _effective_highway(tags: Mapping[str, str]) -> str:
    """``highway=*``, or ``platform`` for untagged ``public_transport``/``railway`` platforms."""
    highway = _value(tags, "highway")
    is_platform = "platform" in (_value(tags, "public_transport"), _value(tags, "railway"))
    if is_platform and highway not in _PEDESTRIAN_HIGHWAYS | _NEVER_HIGHWAYS:
        return "platform"
    return highway


def _is_crossing_way(tags: Mapping[str, str]) -> bool:
    """A way that crosses a road (``footway|path|cycleway=crossing`` or ``highway=crossing``)."""
    return _value(tags, "highway") == "crossing" or "crossing" in (
        _value(tags, "footway"),
        _value(tags, "path"),
        _value(tags, "cycleway"),
    )


def is_pedestrian_way(tags: Mapping[str, str]) -> bool:
    """Whether a pedestrian may use this OSM way (the German legal defaults apply).

    Kept: footways, paths, steps, platforms, elevators, corridors and roads up to primary;
    cycleways only with ``foot=yes|designated|permissive`` (German default: no pedestrians);
    trunk roads only with such a ``foot`` or a tagged sidewalk; ``public_transport=platform`` /
    ``railway=platform`` ways as platforms. ``foot=use_sidepath`` is kept (the road exists; its
    sidewalk is separate). Dropped: motorways and non-built ways, ``foot=no|private``,
    ``access=no|private`` without a permitting ``foot``, ``area=yes`` and crossings tagged
    ``crossing=no``.
    """
    highway = _effective_highway(tags)
    if highway in _NEVER_HIGHWAYS:
        return False
    foot = _value(tags, "foot")
    if foot in _FOOT_FORBIDDEN:
        return False
    foot_allowed = foot in _FOOT_ALLOWED
    if _value(tags, "access") in _ACCESS_FORBIDDEN and not foot_allowed:
        return False
    if _value(tags, "area") == "yes":
        return False
    if _is_crossing_way(tags) and _value(tags, "crossing") == "no":
        return False
    if highway == "cycleway":
        return foot_allowed
    if highway in ("trunk", "trunk_link"):
        return foot_allowed or _sidewalk_sides(tags, Counter())[0] is Sidewalk.PRESENT
    return highway in _PEDESTRIAN_HIGHWAYS


_SIDEWALK_VALUES: dict[str, tuple[str | None, str | None]] = {
    # value of sidewalk=* → (left side, right side); None = not said by this value
    "both": ("yes", "yes"),
    "left": ("yes", "no"),
    "right": ("no", "yes"),
    "yes": (None, None),  # present on an unsaid side: handled by the caller
    "no": ("no", "no"),
    "none": ("no", "no"),
    "separate": ("separate", "separate"),
}
_SIDE_VALUES: dict[str, str] = {
    "yes": "yes",
    "no": "no",
    "none": "no",
    "separate": "separate",
}
_SIDES = ("left", "right")


def _side_value(value: str, *, key: str | None = None) -> str:
    """Read ``sidewalk:<side>=yes|no|none|separate`` as "yes", "no" or "separate"."""
    return lookup_tag_value(_SIDE_VALUES, value, key, "a sidewalk value")


def _sidewalk_value(value: str, *, key: str | None = "sidewalk") -> tuple[str | None, str | None]:
    """Read ``sidewalk=*`` as (left, right) side states."""
    return lookup_tag_value(_SIDEWALK_VALUES, value, key, "a sidewalk value")


def _sidewalk_sides(
    tags: Mapping[str, str], malformed: Counter[str]
) -> tuple[Sidewalk, tuple[str, ...]]:
    """A road's sidewalk state and the sides ("left"/"right") a pedestrian may walk on.

    More specific keys override general ones: ``sidewalk:left`` over ``sidewalk:both`` over
    ``sidewalk``. Any side present → PRESENT; else any side separate → SEPARATE; both sides
    absent → NONE; otherwise UNKNOWN. ``foot=use_sidepath`` turns NONE/UNKNOWN into SEPARATE
    (a tagged sidewalk on the road itself still wins).
    """
    sides: dict[str, str | None] = {"left": None, "right": None}
    side_unsaid_present = False
    general = _read(tags, "sidewalk", _sidewalk_value, malformed)
    if general is not None:
        sides["left"], sides["right"] = general
        side_unsaid_present = general == (None, None)
    both = _read(tags, "sidewalk:both", _side_value, malformed)
    if both is not None:
        sides = {"left": both, "right": both}
    for side in _SIDES:
        value = _read(tags, f"sidewalk:{side}", _side_value, malformed)
        if value is not None:
            sides[side] = value
    present = tuple(side for side in _SIDES if sides[side] == "yes")
    unsaid = tuple(side for side in _SIDES if sides[side] is None)
    if not present and side_unsaid_present and unsaid:
        # sidewalk=yes without a side: either unsaid side may be the one.
        present = unsaid
    if present:
        return Sidewalk.PRESENT, present
    if "separate" in sides.values():
        state = Sidewalk.SEPARATE
    elif sides["left"] == sides["right"] == "no":
        state = Sidewalk.NONE
    else:
        state = Sidewalk.UNKNOWN
    if _value(tags, "foot") == "use_sidepath" and state in (Sidewalk.NONE, Sidewalk.UNKNOWN):
        state = Sidewalk.SEPARATE
    return state, ()


def _sidewalk_sub_value(
    tags: Mapping[str, str],
    sides: tuple[str, ...],
    key: str,
    parser: Callable[..., _T],
    worse: Callable[[list[_T]], _T],
    malformed: Counter[str],
) -> _T | None:
    """``sidewalk:both:<key>``, else the worse of ``sidewalk:<side>:<key>`` over present sides.

    A side without the sub-key does not count: if only one present side has a value, that value
    is used (the best information there is).
    """
    both = _read(tags, f"sidewalk:both:{key}", parser, malformed)
    if both is not None:
        return both
    values = [_read(tags, f"sidewalk:{side}:{key}", parser, malformed) for side in sides]
    known = [value for value in values if value is not None]
    return worse(known) if known else None


def _first(values: list[_T]) -> _T:
    """The first value: used for surfaces, which have no "worse" order.

    SurfaceClass is nominal (sett vs. grass is worse for different people), so when both present
    sidewalks name different surfaces we take the left one: arbitrary but reproducible.
    """
    return values[0]


def _worst_smoothness(values: list[Smoothness]) -> Smoothness:
    """The worst (largest) smoothness."""
    return max(values)


def _handrail(tags: Mapping[str, str], malformed: Counter[str]) -> Tri:
    """``handrail=*`` or ``handrail:left|right|center=*``: any yes → YES; all given no → NO."""
    keys = ("handrail", "handrail:left", "handrail:right", "handrail:center")
    values = [_read(tags, key, parse_yes_no, malformed) for key in keys]
    given = [value for value in values if value is not None]
    if Tri.YES in given:
        return Tri.YES
    return Tri.NO if given else Tri.UNKNOWN


def _ramp_wheelchair(tags: Mapping[str, str], malformed: Counter[str]) -> Tri:
    """Whether this way has a wheelchair ramp (``ramp:wheelchair``).

    ``separate`` means the ramp is its own way, so this way has none (NO). ``ramp=no`` says
    there is no ramp of any kind (NO); ``ramp=yes`` alone may be a bicycle or stroller ramp,
    which a wheelchair cannot use, so it stays UNKNOWN.
    """
    if "ramp:wheelchair" in tags:
        if _value(tags, "ramp:wheelchair") == "separate":
            return Tri.NO
        return _tri(_read(tags, "ramp:wheelchair", parse_yes_no, malformed))
    if _read(tags, "ramp", parse_yes_no, malformed) is Tri.NO:
        return Tri.NO
    return Tri.UNKNOWN


def _incline(
    tags: Mapping[str, str], malformed: Counter[str]
) -> tuple[float | None, InclineSource, int]:
    """(signed percent, source, direction sign) from ``incline=*``."""
    parsed = _read(tags, "incline", parse_incline, malformed)
    if parsed is None:
        return None, InclineSource.UNKNOWN, 0
    percent, direction = parsed
    if percent is None:
        return None, InclineSource.TAG_DIRECTION_ONLY, direction
    return percent, InclineSource.TAG, direction


def _way_crossing(tags: Mapping[str, str], malformed: Counter[str]) -> CrossingKind:
    """The crossing kind of a crossing way (UNKNOWN if untagged); NONE for other ways."""
    if not _is_crossing_way(tags):
        return CrossingKind.NONE
    kind = _read(tags, "crossing", parse_crossing_kind, malformed)
    return CrossingKind.UNKNOWN if kind is None else kind


def _is_sidewalk(tags: Mapping[str, str], highway: str) -> bool:
    """``footway=sidewalk``, or a footway/path tagged ``is_sidepath=yes``."""
    if _value(tags, "footway") == "sidewalk":
        return True
    return highway in ("footway", "path") and _value(tags, "is_sidepath") == "yes"


@dataclass(frozen=True, slots=True)
class WayAttributes:
    """Everything a pedestrian router needs to know about one OSM way.

    Unknown numbers are None, unknown categories the enums' UNKNOWN members. ``incline_percent``
    is signed along the way's drawing direction; ``incline_direction`` is its sign (+1/-1/0) and
    is the only slope information for ``incline=up|down`` (TAG_DIRECTION_ONLY).
    """

    highway: HighwayClass
    is_steps: bool
    step_count: int | None
    handrail: Tri
    incline_percent: float | None
    incline_source: InclineSource
    width_m: float | None
    surface: SurfaceClass
    smoothness: Smoothness
    wheelchair: Wheelchair
    lit: Tri
    sidewalk: Sidewalk
    is_sidewalk: bool
    crossing: CrossingKind
    acoustic_signal: AcousticSignal
    vibration_signal: Tri
    tactile_paving: Tri
    kerb: KerbKind
    kerb_height_cm: float | None
    kerb_height_source: KerbHeightSource
    is_elevator: bool
    ramp_wheelchair: Tri
    name: str | None
    incline_direction: int = 0
    level_offset: int = 0
    crossing_island: Tri = Tri.UNKNOWN  # a refuge island in the road (crossing:island)


@dataclass(frozen=True, slots=True)
class _Surfaces:
    """Width, surface, smoothness and kerb of the part of a way a pedestrian walks on."""

    width_m: float | None
    surface: SurfaceClass | None
    smoothness: Smoothness | None
    kerb: KerbKind | None
    kerb_height_cm: float | None


def _road_surfaces(
    tags: Mapping[str, str], sides: tuple[str, ...], malformed: Counter[str]
) -> _Surfaces:
    """What a pedestrian walks on along a road: its present sidewalk(s), else the carriageway.

    The road's plain ``width`` is the carriageway's and is never used. Its plain ``surface`` and
    ``smoothness`` are used when no sidewalk sub-key says otherwise, assuming a sidewalk is
    usually built like its road (and without a sidewalk the pedestrian walks on the road).
    """
    width = _sidewalk_sub_value(tags, sides, "width", parse_width_m, min, malformed)
    surface = _sidewalk_sub_value(tags, sides, "surface", parse_surface, _first, malformed)
    smoothness = _sidewalk_sub_value(
        tags, sides, "smoothness", parse_smoothness, _worst_smoothness, malformed
    )
    kerb = _sidewalk_sub_value(tags, sides, "kerb", parse_kerb_kind, _worse_kerb, malformed)
    kerb_height = _sidewalk_sub_value(
        tags, sides, "kerb:height", parse_kerb_height_cm, max, malformed
    )
    if surface is None:
        surface = _read(tags, "surface", parse_surface, malformed)
    if smoothness is None:
        smoothness = _read(tags, "smoothness", parse_smoothness, malformed)
    return _Surfaces(width, surface, smoothness, kerb, kerb_height)


def _path_surfaces(tags: Mapping[str, str], malformed: Counter[str]) -> _Surfaces:
    """Width (``width``, else ``est_width``), surface, smoothness and kerb of a non-road way."""
    return _Surfaces(
        width_m=_first_read(tags, ("width", "est_width"), parse_width_m, malformed),
        surface=_read(tags, "surface", parse_surface, malformed),
        smoothness=_read(tags, "smoothness", parse_smoothness, malformed),
        kerb=_read(tags, "kerb", parse_kerb_kind, malformed),
        kerb_height_cm=_read(tags, "kerb:height", parse_kerb_height_cm, malformed),
    )


def way_attributes(tags: Mapping[str, str], malformed: Counter[str]) -> WayAttributes:
    """Read a way's tags as :class:`WayAttributes`; never raises.

    A value that cannot be read becomes unknown and ``malformed[key]`` is incremented.
    """
    highway = _effective_highway(tags)
    if highway in _ROAD_HIGHWAYS:
        sidewalk, sides = _sidewalk_sides(tags, malformed)
        surfaces = _road_surfaces(tags, sides, malformed)
    else:
        sidewalk = Sidewalk.NOT_APPLICABLE if highway in _NON_ROAD_HIGHWAYS else Sidewalk.UNKNOWN
        surfaces = _path_surfaces(tags, malformed)
    kerb, kerb_height, kerb_source = _kerb_state(surfaces.kerb, surfaces.kerb_height_cm)
    incline, incline_source, incline_direction = _incline(tags, malformed)
    acoustic = _read(tags, "traffic_signals:sound", parse_acoustic_signal, malformed)
    wheelchair = _read(tags, "wheelchair", parse_wheelchair, malformed)
    name = tags.get("name", "").strip() or None
    return WayAttributes(
        highway=highway_class(highway),
        is_steps=highway == "steps",
        step_count=_read(tags, "step_count", parse_step_count, malformed),
        handrail=_handrail(tags, malformed),
        incline_percent=incline,
        incline_source=incline_source,
        width_m=surfaces.width_m,
        surface=SurfaceClass.UNKNOWN if surfaces.surface is None else surfaces.surface,
        smoothness=Smoothness.UNKNOWN if surfaces.smoothness is None else surfaces.smoothness,
        wheelchair=Wheelchair.UNKNOWN if wheelchair is None else wheelchair,
        lit=_lit(tags, malformed),
        sidewalk=sidewalk,
        is_sidewalk=_is_sidewalk(tags, highway),
        crossing=_way_crossing(tags, malformed),
        acoustic_signal=AcousticSignal.UNKNOWN if acoustic is None else acoustic,
        vibration_signal=_tri(_read(tags, "traffic_signals:vibration", parse_yes_no, malformed)),
        tactile_paving=_tri(_read(tags, "tactile_paving", parse_tactile_paving, malformed)),
        kerb=kerb,
        kerb_height_cm=kerb_height,
        kerb_height_source=kerb_source,
        is_elevator=highway == "elevator",
        ramp_wheelchair=_ramp_wheelchair(tags, malformed),
        name=name,
        incline_direction=incline_direction,
        level_offset=level_offset(tags, malformed),
        crossing_island=_crossing_island(tags, malformed),
    )


_LEVEL_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
#: ``tunnel=*`` values under which a way runs through the ground at its level (not below it).
_TUNNEL_AT_GROUND = frozenset({"no", "", "building_passage", "avalanche_protector"})
_NOT_A_BRIDGE = frozenset({"no", ""})


def level_offset(tags: Mapping[str, str], malformed: Counter[str]) -> int:
    """Where a way lies relative to the ground a person in the street stands on (SNAP).

    0 = at ground level, or no tag says otherwise (OSM's implied ``layer=0``); < 0 below ground
    (cannot be entered from the street right above it: tunnels, underground platforms and
    passages, basements); > 0 above ground (bridges, upper floors). In that order of trust:

    - ``level`` (building levels, ``0`` = ground; ``-1;0`` spans the ground → 0): the listed
      value nearest 0, rounded away from 0 (``-0.5`` → -1);
    - ``tunnel=*`` other than a building passage, or ``location=underground``: ``layer`` if it
      is negative, else -1; ``bridge=*`` (not ``no``): ``layer`` if positive, else +1;
    - ``layer`` alone does not move a way: it only orders ways that cross (a path with
      ``layer=-1`` may run under a bridge at ground level). Nor does ``indoor=*``.

    Snapping prefers ways at 0 unless a request allows others; routing ignores the value
    (steps and lifts connect the levels). A malformed ``level`` or ``layer`` counts as
    malformed and is ignored.
    """
    tunnel = tags.get("tunnel", "no").strip().lower()
    below = tunnel not in _TUNNEL_AT_GROUND or tags.get("location", "") == "underground"
    above = tags.get("bridge", "no").strip().lower() not in _NOT_A_BRIDGE
    raw_level = tags.get("level")
    if raw_level is not None:
        values = [float(v) for v in _LEVEL_NUMBER.findall(raw_level)]
        if values:
            v = min(values, key=abs)
            return int(max(-127, min(127, math.floor(v) if v < 0 else math.ceil(v))))
        malformed["level"] += 1
    layer = 0
    raw_layer = tags.get("layer")
    if raw_layer is not None:
        if re.fullmatch(r"[+-]?[0-9]+", raw_layer.strip()):
            layer = max(-127, min(127, int(raw_layer.strip())))
        else:
            malformed["layer"] += 1
    if below:
        return min(layer, -1)
    if above:
        return max(layer, 1)
    return 0


# --------------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------------


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
    kinds = [_read(tags, key, parse_kerb_kind, malformed) for key in _KERB_NODE_KEYS[:3]]
    known_kinds = [kind for kind in kinds if kind is not None]
    height = _read(tags, "kerb:height", parse_kerb_height_cm, malformed)
    if known_kinds or height is not None:
        kind = _worse_kerb(known_kinds) if known_kinds else None
        return _kerb_state(kind, height)
    sloped = _read(tags, "sloped_curb", parse_sloped_curb, malformed)
    if sloped is not None:
        try:
            sloped_height = parse_kerb_height_cm(tags["sloped_curb"])
        except MalformedTagError:
            return _kerb_state(sloped, None)
        return sloped, sloped_height, KerbHeightSource.TAG
    if _value(tags, "barrier") == "kerb" or any(key in tags for key in _KERB_NODE_KEYS):
        return KerbKind.UNKNOWN, None, KerbHeightSource.UNKNOWN
    return KerbKind.NONE, None, KerbHeightSource.UNKNOWN


def _node_crossing(tags: Mapping[str, str], malformed: Counter[str]) -> CrossingKind:
    """Crossing kind at a node: ``highway=crossing``, ``railway=crossing``, signals + crossing."""
    highway = _value(tags, "highway")
    if highway == "crossing":
        kind = _read(tags, "crossing", parse_crossing_kind, malformed)
        return CrossingKind.UNKNOWN if kind is None else kind
    if _value(tags, "railway") == "crossing":
        return CrossingKind.UNKNOWN
    if highway == "traffic_signals" and "crossing" in tags:
        kind = _read(tags, "crossing", parse_crossing_kind, malformed)
        return CrossingKind.UNKNOWN if kind is None else kind
    return CrossingKind.NONE


def _is_entrance(tags: Mapping[str, str]) -> bool:
    """``entrance=*`` (except ``no``) or ``door=*`` (``door=no`` is a doorway without a door)."""
    return ("entrance" in tags and _value(tags, "entrance") != "no") or "door" in tags


#: Stops that may carry ``bench=yes``.
_STOP_KEYS = (("highway", "bus_stop"), ("public_transport", "platform"))


def _seat(tags: Mapping[str, str], malformed: Counter[str]) -> Seat:
    """A seat at a node: ``amenity=bench``, ``leisure=picnic_table``, or a stop with ``bench=yes``.

    ``backrest=yes|no`` says whether it has a backrest; untagged, that stays UNKNOWN (a seat is
    there). A stop with ``bench=no`` or without ``bench`` has no seat mapped (NONE).
    """
    is_seat = _value(tags, "amenity") == "bench" or _value(tags, "leisure") == "picnic_table"
    if not is_seat and any(_value(tags, key) == value for key, value in _STOP_KEYS):
        is_seat = _read(tags, "bench", parse_yes_no, malformed) is Tri.YES
    if not is_seat:
        return Seat.NONE
    backrest = _read(tags, "backrest", parse_yes_no, malformed)
    if backrest is None:
        return Seat.UNKNOWN
    return Seat.BACKREST if backrest is Tri.YES else Seat.NO_BACKREST


def node_attributes(tags: Mapping[str, str], malformed: Counter[str]) -> NodeAttributes:
    """Read a node's tags as :class:`NodeAttributes`; never raises.

    A value that cannot be read becomes unknown and ``malformed[key]`` is incremented.
    """
    kerb, kerb_height, kerb_source = _node_kerb(tags, malformed)
    acoustic = _read(tags, "traffic_signals:sound", parse_acoustic_signal, malformed)
    barrier = _read(tags, "barrier", parse_barrier, malformed)
    wheelchair = _read(tags, "wheelchair", parse_wheelchair, malformed)
    return NodeAttributes(
        kerb=kerb,
        kerb_height_cm=kerb_height,
        kerb_height_source=kerb_source,
        crossing=_node_crossing(tags, malformed),
        acoustic_signal=AcousticSignal.UNKNOWN if acoustic is None else acoustic,
        vibration_signal=_tri(_read(tags, "traffic_signals:vibration", parse_yes_no, malformed)),
        tactile_paving=_tri(_read(tags, "tactile_paving", parse_tactile_paving, malformed)),
        button_operated=_tri(_read(tags, "button_operated", parse_yes_no, malformed)),
        barrier=BarrierKind.NONE if barrier is None else barrier,
        maxwidth_m=_first_read(tags, ("maxwidth:physical", "maxwidth"), parse_width_m, malformed),
        wheelchair=Wheelchair.UNKNOWN if wheelchair is None else wheelchair,
        is_elevator=_value(tags, "highway") == "elevator",
        is_entrance=_is_entrance(tags),
        seat=_seat(tags, malformed),
        barrier_access=barrier_access(tags),
        crossing_island=_crossing_island(tags, malformed),
    )


# --------------------------------------------------------------------------------------------
# Rules across ways and nodes (used by the graph build)
# --------------------------------------------------------------------------------------------


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
