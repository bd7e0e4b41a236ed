"""The composite rule of a way: whether it is walkable, and its typed accessibility attributes.

:func:`is_pedestrian_way` decides which ways the graph keeps (a footway, a road a pedestrian may
walk along or on, a platform), and :func:`way_attributes` reads a kept way's whole tag dict into
a :class:`WayAttributes`: its kind, sidewalks, surfaces (a road's own, or its sidewalks' where
mapped on the road), width, incline, steps, kerbs, crossing, lighting and level
(:func:`level_offset`). It never raises on a bad value: an unreadable one becomes the unknown
state and is counted (:mod:`accessibility_rules.tag_reading`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from accessibility_rules.attributes import (
    AcousticSignal,
    CrossingKind,
    HighwayClass,
    InclineSource,
    KerbHeightSource,
    KerbKind,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.tag_reading import (
    crossing_island,
    kerb_state,
    read_first,
    read_tag,
    tag_value,
    tri,
    worse_kerb,
)
from accessibility_rules.tag_values import (
    highway_class,
    lookup_tag_value,
    parse_acoustic_signal,
    parse_crossing_kind,
    parse_incline,
    parse_kerb_height_cm,
    parse_kerb_kind,
    parse_lit,
    parse_lit_time,
    parse_smoothness,
    parse_step_count,
    parse_surface,
    parse_tactile_paving,
    parse_wheelchair,
    parse_width_m,
    parse_yes_no,
)

__all__ = [
    "WayAttributes",
    "is_pedestrian_way",
    "level_offset",
    "way_attributes",
]

_T = TypeVar("_T")


def _lit(tags: Mapping[str, str], malformed: Counter[str]) -> Tri:
    """``lit`` of a way, with ``lit:time`` where tagged: a way tagged unlit stays unlit; a
    schedule in ``lit:time`` says how a lit (or untagged) way is lit, as one in ``lit`` does."""
    lit = read_tag(tags, "lit", parse_lit, malformed)
    if lit is Tri.NO:
        return Tri.NO
    schedule = read_tag(tags, "lit:time", parse_lit_time, malformed)
    return tri(schedule if schedule is not None else lit)


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
    highway = tag_value(tags, "highway")
    is_platform = "platform" in (tag_value(tags, "public_transport"), tag_value(tags, "railway"))
    if is_platform and highway not in _PEDESTRIAN_HIGHWAYS | _NEVER_HIGHWAYS:
        return "platform"
    return highway


def _is_crossing_way(tags: Mapping[str, str]) -> bool:
    """A way that crosses a road (``footway|path|cycleway=crossing`` or ``highway=crossing``)."""
    return tag_value(tags, "highway") == "crossing" or "crossing" in (
        tag_value(tags, "footway"),
        tag_value(tags, "path"),
        tag_value(tags, "cycleway"),
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
    foot = tag_value(tags, "foot")
    if foot in _FOOT_FORBIDDEN:
        return False
    foot_allowed = foot in _FOOT_ALLOWED
    if tag_value(tags, "access") in _ACCESS_FORBIDDEN and not foot_allowed:
        return False
    if tag_value(tags, "area") == "yes":
        return False
    if _is_crossing_way(tags) and tag_value(tags, "crossing") == "no":
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
    general = read_tag(tags, "sidewalk", _sidewalk_value, malformed)
    if general is not None:
        sides["left"], sides["right"] = general
        side_unsaid_present = general == (None, None)
    both = read_tag(tags, "sidewalk:both", _side_value, malformed)
    if both is not None:
        sides = {"left": both, "right": both}
    for side in _SIDES:
        value = read_tag(tags, f"sidewalk:{side}", _side_value, malformed)
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
    if tag_value(tags, "foot") == "use_sidepath" and state in (Sidewalk.NONE, Sidewalk.UNKNOWN):
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
    both = read_tag(tags, f"sidewalk:both:{key}", parser, malformed)
    if both is not None:
        return both
    values = [read_tag(tags, f"sidewalk:{side}:{key}", parser, malformed) for side in sides]
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
    values = [read_tag(tags, key, parse_yes_no, malformed) for key in keys]
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
        if tag_value(tags, "ramp:wheelchair") == "separate":
            return Tri.NO
        return tri(read_tag(tags, "ramp:wheelchair", parse_yes_no, malformed))
    if read_tag(tags, "ramp", parse_yes_no, malformed) is Tri.NO:
        return Tri.NO
    return Tri.UNKNOWN


def _incline(
    tags: Mapping[str, str], malformed: Counter[str]
) -> tuple[float | None, InclineSource, int]:
    """(signed percent, source, direction sign) from ``incline=*``."""
    parsed = read_tag(tags, "incline", parse_incline, malformed)
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
    kind = read_tag(tags, "crossing", parse_crossing_kind, malformed)
    return CrossingKind.UNKNOWN if kind is None else kind


def _is_sidewalk(tags: Mapping[str, str], highway: str) -> bool:
    """``footway=sidewalk``, or a footway/path tagged ``is_sidepath=yes``."""
    if tag_value(tags, "footway") == "sidewalk":
        return True
    return highway in ("footway", "path") and tag_value(tags, "is_sidepath") == "yes"


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
    kerb = _sidewalk_sub_value(tags, sides, "kerb", parse_kerb_kind, worse_kerb, malformed)
    kerb_height = _sidewalk_sub_value(
        tags, sides, "kerb:height", parse_kerb_height_cm, max, malformed
    )
    if surface is None:
        surface = read_tag(tags, "surface", parse_surface, malformed)
    if smoothness is None:
        smoothness = read_tag(tags, "smoothness", parse_smoothness, malformed)
    return _Surfaces(width, surface, smoothness, kerb, kerb_height)


def _path_surfaces(tags: Mapping[str, str], malformed: Counter[str]) -> _Surfaces:
    """Width (``width``, else ``est_width``), surface, smoothness and kerb of a non-road way."""
    return _Surfaces(
        width_m=read_first(tags, ("width", "est_width"), parse_width_m, malformed),
        surface=read_tag(tags, "surface", parse_surface, malformed),
        smoothness=read_tag(tags, "smoothness", parse_smoothness, malformed),
        kerb=read_tag(tags, "kerb", parse_kerb_kind, malformed),
        kerb_height_cm=read_tag(tags, "kerb:height", parse_kerb_height_cm, malformed),
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
    kerb, kerb_height, kerb_source = kerb_state(surfaces.kerb, surfaces.kerb_height_cm)
    incline, incline_source, incline_direction = _incline(tags, malformed)
    acoustic = read_tag(tags, "traffic_signals:sound", parse_acoustic_signal, malformed)
    wheelchair = read_tag(tags, "wheelchair", parse_wheelchair, malformed)
    name = tags.get("name", "").strip() or None
    return WayAttributes(
        highway=highway_class(highway),
        is_steps=highway == "steps",
        step_count=read_tag(tags, "step_count", parse_step_count, malformed),
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
        vibration_signal=tri(read_tag(tags, "traffic_signals:vibration", parse_yes_no, malformed)),
        tactile_paving=tri(read_tag(tags, "tactile_paving", parse_tactile_paving, malformed)),
        kerb=kerb,
        kerb_height_cm=kerb_height,
        kerb_height_source=kerb_source,
        is_elevator=highway == "elevator",
        ramp_wheelchair=_ramp_wheelchair(tags, malformed),
        name=name,
        incline_direction=incline_direction,
        level_offset=level_offset(tags, malformed),
        crossing_island=crossing_island(tags, malformed),
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
