"""Read one OpenStreetMap tag value as a typed accessibility attribute.

OSM tags are free text: ``incline=6%``, ``incline=5°``, ``width=1,5 m``, ``kerb:height=0.03``.
The graph build, the profiles and the API must not each re-implement (and disagree on) how such a
value is read, so this module is the single place where a tag's text becomes the enums and
numbers of :mod:`accessibility_rules.attributes`; the composite rules
(:mod:`accessibility_rules.way_rules`, :mod:`accessibility_rules.node_rules`) read whole tag dicts
with these parsers.

The value parsers (``parse_*``) are strict: a value they cannot read raises
:class:`MalformedTagError`; they never return a guess, because a wrong "accessible" is worse
than an honest "unknown". Everything here is pure: no I/O, no global state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from accessibility_rules.attributes import (
    ASSUMED_KERB_HEIGHT_CM,
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    KerbKind,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)

__all__ = [
    "NIGHT_ENDS_BY_MIN",
    "NIGHT_STARTS_BY_MIN",
    "NOT_BARRIER_VALUES",
    "MalformedTagError",
    "highway_class",
    "kerb_kind_from_height",
    "lit_schedule",
    "lookup_tag_value",
    "parse_acoustic_signal",
    "parse_barrier",
    "parse_crossing_kind",
    "parse_incline",
    "parse_kerb_height_cm",
    "parse_kerb_kind",
    "parse_lit",
    "parse_lit_time",
    "parse_sloped_curb",
    "parse_smoothness",
    "parse_step_count",
    "parse_surface",
    "parse_tactile_paving",
    "parse_wheelchair",
    "parse_width_m",
    "parse_yes_no",
]

_T = TypeVar("_T")


#: OSM limits tag values to 255 characters; anything longer is not a real value.
_MAX_VALUE_LENGTH = 255

#: A non-negative decimal number with "." or "," as the decimal mark (ASCII digits only).
_NUMBER = r"(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)"


class MalformedTagError(ValueError):
    """A tag value that cannot be read as what its key promises.

    ``key`` is the tag key when the parser knows it (``None`` for generic parsers such as
    :func:`parse_yes_no` called without a key); ``value`` is the raw value as given.
    """

    def __init__(self, key: str | None, value: str, expected: str) -> None:
        """Build the message "cannot read <key>='<value>' as <expected>"."""
        self.key = key
        self.value = value
        self.expected = expected
        shown = f"{key}={value!r}" if key is not None else repr(value)
        super().__init__(f"cannot read {shown} as {expected}")


def _normalise(value: str, key: str | None, expected: str) -> str:
    """Strip and lower-case ``value``; raise for empty or over-long values."""
    text = value.strip()
    if not text or len(text) > _MAX_VALUE_LENGTH:
        raise MalformedTagError(key, value, expected)
    return text.lower()


def _to_float(number: str) -> float:
    """Read a regex-checked :data:`_NUMBER` (decimal comma allowed) as a float."""
    return float(number.replace(",", "."))


def _to_decimal(number: str) -> Decimal:
    """Read a regex-checked :data:`_NUMBER` exactly, so unit conversions stay exact."""
    return Decimal(number.replace(",", "."))


def lookup_tag_value(table: Mapping[str, _T], value: str, key: str | None, expected: str) -> _T:
    """Look ``value`` up in ``table`` after normalising it, or raise."""
    text = _normalise(value, key, expected)
    try:
        return table[text]
    except KeyError:
        raise MalformedTagError(key, value, expected) from None


_INCLINE_RE = re.compile(rf"([+-]?)\s*({_NUMBER})\s*(%|°|deg|degree|degrees)?")


def parse_incline(value: str, *, key: str | None = "incline") -> tuple[float | None, int]:
    """Read ``incline=*`` as (percent signed along the way's drawing direction, direction sign).

    ``6%`` → (6.0, 1); ``-10 %`` → (-10.0, -1); ``0`` → (0.0, 0); ``up`` → (None, 1);
    ``down`` → (None, -1); ``5°`` / ``5deg`` → (tan(5°)·100, 1). A bare number is percent.
    Percent values above 100 are rejected (almost always a typo), as are angles of 90° or more.
    """
    expected = "a slope"
    text = _normalise(value, key, expected)
    if text == "up":
        return None, 1
    if text == "down":
        return None, -1
    match = _INCLINE_RE.fullmatch(text)
    if match is None:
        raise MalformedTagError(key, value, expected)
    sign, number, unit = match.groups()
    magnitude = _to_float(number)
    if unit in (None, "%"):
        if magnitude > 100.0:
            raise MalformedTagError(key, value, expected)
        percent = magnitude
    else:
        if magnitude >= 90.0:
            raise MalformedTagError(key, value, expected)
        percent = math.tan(math.radians(magnitude)) * 100.0
    if percent == 0.0:
        return 0.0, 0
    return (-percent, -1) if sign == "-" else (percent, 1)


_METRIC_LENGTH_RE = re.compile(rf"({_NUMBER})\s*(m|cm|mm)?")
_FEET_INCHES_RE = re.compile(r"([0-9]+)\s*(?:'|ft)\s*(?:([0-9]+(?:\.[0-9]+)?)\s*(?:\"|in))?")
_INCHES_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(?:\"|in)")
_CM_PER_UNIT: dict[str | None, Decimal] = {
    None: Decimal(100),
    "m": Decimal(100),
    "cm": Decimal(1),
    "mm": Decimal("0.1"),
}
_METRES_PER_FOOT = Decimal("0.3048")
_METRES_PER_INCH = Decimal("0.0254")


def _length_m(text: str) -> Decimal | None:
    """Read a metric or feet/inches length as metres, or None if it is not one."""
    match = _METRIC_LENGTH_RE.fullmatch(text)
    if match is not None:
        number, unit = match.groups()
        return _to_decimal(number) * _CM_PER_UNIT[unit] / 100
    match = _FEET_INCHES_RE.fullmatch(text)
    if match is not None:
        feet, inches = match.groups()
        inch_value = Decimal(inches) if inches is not None else Decimal(0)
        if inch_value >= 12:
            return None
        return Decimal(feet) * _METRES_PER_FOOT + inch_value * _METRES_PER_INCH
    match = _INCHES_RE.fullmatch(text)
    if match is not None:
        return Decimal(match.group(1)) * _METRES_PER_INCH
    return None


def parse_width_m(value: str, *, key: str | None = "width") -> float:
    """Read a width (``width``, ``est_width``, ``maxwidth`` …) in metres.

    Bare numbers are metres (``1.5``, ``1,5``); units ``m``, ``cm``, ``mm``, feet/inches
    (``4'``, ``3'6"``). The result must be > 0 and < 100 m.
    """
    expected = "a width in metres"
    metres = _length_m(_normalise(value, key, expected))
    if metres is None or not 0 < metres < 100:
        raise MalformedTagError(key, value, expected)
    return float(metres)


def parse_kerb_height_cm(value: str, *, key: str | None = "kerb:height") -> float:
    """Read ``kerb:height=*`` in centimetres.

    Bare numbers are METRES as on the OSM wiki (``0.03`` → 3.0); ``3 cm``, ``30 mm``, ``0,03``
    and ``0.03 m`` also give 3.0. A bare ``3`` would be 3 m and is rejected (the result must lie
    in 0–50 cm): it is usually centimetres written without a unit, and we do not guess.
    """
    expected = "a kerb height"
    match = _METRIC_LENGTH_RE.fullmatch(_normalise(value, key, expected))
    if match is None:
        raise MalformedTagError(key, value, expected)
    number, unit = match.groups()
    height_cm = _to_decimal(number) * _CM_PER_UNIT[unit]
    if height_cm > 50:
        raise MalformedTagError(key, value, expected)
    return float(height_cm)


def parse_step_count(value: str, *, key: str | None = "step_count") -> int:
    """Read ``step_count=*`` as a positive integer (``12``); ranges and decimals are rejected."""
    expected = "a number of steps"
    text = _normalise(value, key, expected)
    if re.fullmatch(r"[0-9]+", text) is None or int(text) <= 0:
        raise MalformedTagError(key, value, expected)
    return int(text)


_SURFACES: dict[str, SurfaceClass] = {
    "asphalt": SurfaceClass.ASPHALT,
    # chipseal: chippings rolled into bitumen; rides like (rough) asphalt.
    "chipseal": SurfaceClass.ASPHALT,
    "concrete": SurfaceClass.CONCRETE,
    "concrete:plates": SurfaceClass.CONCRETE,
    "concrete:lanes": SurfaceClass.CONCRETE,
    "paving_stones": SurfaceClass.PAVING_STONES,
    # bricks and tiles: regular laid units with narrow joints, like paving stones.
    "bricks": SurfaceClass.PAVING_STONES,
    "tiles": SurfaceClass.PAVING_STONES,
    "paved": SurfaceClass.PAVED,
    "sett": SurfaceClass.SETT,
    "cobblestone": SurfaceClass.COBBLESTONE,
    "unhewn_cobblestone": SurfaceClass.COBBLESTONE,
    "cobblestone:flattened": SurfaceClass.COBBLESTONE,
    "compacted": SurfaceClass.COMPACTED,
    "fine_gravel": SurfaceClass.FINE_GRAVEL,
    "gravel": SurfaceClass.GRAVEL,
    "pebblestone": SurfaceClass.GRAVEL,
    # shells: loose small pieces, behaves like gravel under wheels.
    "shells": SurfaceClass.GRAVEL,
    "ground": SurfaceClass.GROUND,
    "dirt": SurfaceClass.GROUND,
    "earth": SurfaceClass.GROUND,
    "mud": SurfaceClass.GROUND,
    "sand": SurfaceClass.GROUND,
    # woodchips: soft and loose, closest to natural ground.
    "woodchips": SurfaceClass.GROUND,
    "grass": SurfaceClass.GRASS,
    "grass_paver": SurfaceClass.GRASS_PAVER,
    "wood": SurfaceClass.WOOD,
    "metal": SurfaceClass.METAL,
    "metal_grid": SurfaceClass.METAL,
    "unpaved": SurfaceClass.UNPAVED,
    # Known OSM surfaces without a close class. rock and stepping_stones are uneven in ways no
    # paved class describes; sports and indoor surfaces (tartan, artificial_turf, clay, rubber,
    # plastic, acrylic, carpet) and weather surfaces (snow, ice, salt) are OTHER too.
    "rock": SurfaceClass.OTHER,
    "stepping_stones": SurfaceClass.OTHER,
    "artificial_turf": SurfaceClass.OTHER,
    "tartan": SurfaceClass.OTHER,
    "clay": SurfaceClass.OTHER,
    "rubber": SurfaceClass.OTHER,
    "plastic": SurfaceClass.OTHER,
    "acrylic": SurfaceClass.OTHER,
    "carpet": SurfaceClass.OTHER,
    "snow": SurfaceClass.OTHER,
    "ice": SurfaceClass.OTHER,
    "salt": SurfaceClass.OTHER,
}


def parse_surface(value: str, *, key: str | None = "surface") -> SurfaceClass:
    """Read ``surface=*`` as a :class:`SurfaceClass`.

    ``paving_stones:<anything>`` (e.g. ``paving_stones:30``) is PAVING_STONES. Lists such as
    ``asphalt;gravel`` and unknown free text are malformed: there is no single class to give.
    """
    expected = "a surface"
    text = _normalise(value, key, expected)
    if text.startswith("paving_stones:") and len(text) > len("paving_stones:"):
        return SurfaceClass.PAVING_STONES
    return lookup_tag_value(_SURFACES, text, key, expected)


_SMOOTHNESS: dict[str, Smoothness] = {
    "excellent": Smoothness.EXCELLENT,
    "good": Smoothness.GOOD,
    "intermediate": Smoothness.INTERMEDIATE,
    "bad": Smoothness.BAD,
    "very_bad": Smoothness.VERY_BAD,
    "horrible": Smoothness.HORRIBLE,
    "very_horrible": Smoothness.VERY_HORRIBLE,
    "impassable": Smoothness.IMPASSABLE,
}


def parse_smoothness(value: str, *, key: str | None = "smoothness") -> Smoothness:
    """Read ``smoothness=*`` (the eight OSM values) as an ordinal :class:`Smoothness`."""
    return lookup_tag_value(_SMOOTHNESS, value, key, "a smoothness")


_WHEELCHAIR: dict[str, Wheelchair] = {
    "yes": Wheelchair.YES,
    "limited": Wheelchair.LIMITED,
    "no": Wheelchair.NO,
    "designated": Wheelchair.DESIGNATED,
}


def parse_wheelchair(value: str, *, key: str | None = "wheelchair") -> Wheelchair:
    """Read ``wheelchair=yes|limited|no|designated``."""
    return lookup_tag_value(_WHEELCHAIR, value, key, "a wheelchair access value")


_YES_NO: dict[str, Tri] = {
    "yes": Tri.YES,
    "true": Tri.YES,
    "1": Tri.YES,
    "no": Tri.NO,
    "false": Tri.NO,
    "0": Tri.NO,
    "none": Tri.NO,
}


def parse_yes_no(value: str, *, key: str | None = None) -> Tri:
    """Read a boolean tag: ``yes``/``true``/``1`` → YES, ``no``/``false``/``0``/``none`` → NO."""
    return lookup_tag_value(_YES_NO, value, key, "yes or no")


_LIT: dict[str, Tri] = {
    "yes": Tri.YES,
    "24/7": Tri.YES,
    "automatic": Tri.YES,  # switched on by a motion sensor when someone comes
    "sunset-sunrise": Tri.YES,
    "no": Tri.NO,
    "disused": Tri.NO,  # lamps exist but are broken or switched off for good
    # limited: lamps exist but are switched off for part of the night: not reliably lit, and
    # claiming YES would send someone down a dark path at 2 a.m.
    "limited": Tri.NO,
    # interval: flashing warning lights on tall structures; they do not light the way.
    "interval": Tri.NO,
}
_SUN_EVENTS = frozenset({"sunrise", "sunset", "dusk", "dawn"})
_OPENING_HOURS_WORDS = _SUN_EVENTS | {
    *("mo", "tu", "we", "th", "fr", "sa", "su", "ph", "sh", "off"),
    *("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
}
_OPENING_HOURS_CHARS_RE = re.compile(r"[a-z0-9:;,+\-/ ().\[\]]+")


def _looks_like_opening_hours(text: str) -> bool:
    """True for an opening_hours-like schedule (``mo-fr 06:00-22:00``, ``dusk-dawn``)."""
    if _OPENING_HOURS_CHARS_RE.fullmatch(text) is None:
        return False
    words = re.findall(r"[a-z]+", text)
    if any(word not in _OPENING_HOURS_WORDS for word in words):
        return False
    has_time = re.search(r"[0-9]{1,2}:[0-9]{2}", text) is not None
    has_sun_event = any(word in _SUN_EVENTS for word in words)
    return has_time or has_sun_event


#: Bounds of darkness in Germany (local time): no place has its sunset before 15:00 or its
#: sunrise after 09:00 (earliest sunset ≈ 15:50 in the east in December, latest sunrise ≈ 08:50
#: in the west in January). A clock-time schedule lights every night only if it covers both.
NIGHT_STARTS_BY_MIN = 15 * 60
NIGHT_ENDS_BY_MIN = 9 * 60
_TIME = r"(?:[01]?[0-9]|2[0-4]):[0-5][0-9]"
_EVENT = rf"\(?(?:sunset|dusk|sunrise|dawn)(?:[+-]{_TIME})?\)?"
_RANGE_RE = re.compile(rf"^(?P<a>{_EVENT}|{_TIME})-(?P<b>{_EVENT}|{_TIME})$")
_EVENT_RE = re.compile(rf"^\(?(?P<event>[a-z]+)(?:(?P<sign>[+-])(?P<offset>{_TIME}))?\)?$")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _bound_covers_night(bound: str, *, start: bool) -> bool:
    """Whether one end of a range lies outside the night: a start at or before dark (sunset or
    dusk, not later; or a clock time from noon to :data:`NIGHT_STARTS_BY_MIN`), an end at or
    after light (sunrise or dawn, not earlier; or a clock time from :data:`NIGHT_ENDS_BY_MIN`
    to noon, or 24:00)."""
    event = _EVENT_RE.match(bound)
    if event is not None and event["event"] in _SUN_EVENTS:
        evening = event["event"] in ("sunset", "dusk")
        if evening != start:
            return False
        sign = event["sign"]
        # an offset that shortens the lit time (after sunset, before sunrise) leaves it dark
        return sign is None or _minutes(event["offset"]) == 0 or (sign == "-") == start
    minutes = _minutes(bound)
    if start:
        return 12 * 60 <= minutes <= NIGHT_STARTS_BY_MIN
    return NIGHT_ENDS_BY_MIN <= minutes <= 12 * 60 or minutes == 24 * 60


def lit_schedule(text: str) -> Tri:
    """Whether an operating-time schedule (opening_hours syntax, lower case) lights the way
    through every night: YES when one rule for every day (no day selector, or ``mo-su``) has a
    range from dark to light: ``sunset-sunrise``, ``dusk-dawn``, ``(sunset-00:30)-sunrise``,
    ``15:00-09:00``, ``00:00-24:00``, ``24/7``. NO otherwise: the lights follow a timetable that
    leaves part of some night dark (``Mo-Fr 06:00-22:00``, ``sunset-01:00``,
    ``(sunset+01:00)-sunrise``), which is ``lit=limited`` by another name.
    """
    for rule in (re.sub(r"\s*-\s*", "-", r.strip()) for r in text.split(";")):
        if rule in ("24/7", "mo-su 24/7"):
            return Tri.YES
        days, _, times = rule.rpartition(" ")
        if days not in ("", "mo-su"):
            continue
        for part in times.split(","):
            match = _RANGE_RE.match(part.strip())
            if match is None:
                continue
            a, b = match["a"], match["b"]
            if (a, b) == ("00:00", "24:00") or (
                _bound_covers_night(a, start=True) and _bound_covers_night(b, start=False)
            ):
                return Tri.YES
    return Tri.NO


def parse_lit(value: str, *, key: str | None = "lit") -> Tri:
    """Read ``lit=*`` as whether the way is lit through the night.

    YES: ``yes`` (lit at night, the wiki's reading), ``24/7``, ``automatic`` (switched on by a
    motion sensor whenever someone comes) and a schedule in opening_hours syntax that lights
    every whole night (``sunset-sunrise``, ``dusk-dawn``: :func:`lit_schedule`). NO: ``no``,
    ``disused``, ``limited`` (switched off for part of the night: not reliably lit),
    ``interval`` (beacon lights, not lighting), and a schedule that leaves part of some night
    dark (``Mo-Fr 06:00-22:00``, ``sunset-01:00``), which is ``limited`` by its times.
    """
    expected = "a lighting value"
    text = _normalise(value, key, expected)
    if text in _LIT:
        return _LIT[text]
    if _looks_like_opening_hours(text):
        return lit_schedule(text)
    raise MalformedTagError(key, value, expected)


def parse_lit_time(value: str, *, key: str | None = "lit:time") -> Tri:
    """Read a separate operating-time key (``lit:time``, rare: the wiki notes that separate
    schedule tags are little used) with :func:`lit_schedule`."""
    expected = "an operating-time schedule"
    text = _normalise(value, key, expected)
    if text == "24/7" or _looks_like_opening_hours(text):
        return lit_schedule(text)
    raise MalformedTagError(key, value, expected)


_TACTILE_PAVING: dict[str, Tri] = {
    "yes": Tri.YES,
    "contrasted": Tri.YES,
    "primitive": Tri.YES,
    "no": Tri.NO,
    # partial or incorrectly laid paving does not guide a long cane reliably.
    "incorrect": Tri.NO,
    "partial": Tri.NO,
}


def parse_tactile_paving(value: str, *, key: str | None = "tactile_paving") -> Tri:
    """Read ``tactile_paving=*``: usable guidance → YES, absent/partial/incorrect → NO."""
    return lookup_tag_value(_TACTILE_PAVING, value, key, "a tactile paving value")


_ACOUSTIC_SIGNAL: dict[str, AcousticSignal] = {
    "yes": AcousticSignal.YES,
    "no": AcousticSignal.NO,
    "locate": AcousticSignal.LOCATE,
    "walk_only": AcousticSignal.YES,  # sounds during the green phase: still a go signal
}


def parse_acoustic_signal(
    value: str, *, key: str | None = "traffic_signals:sound"
) -> AcousticSignal:
    """Read ``traffic_signals:sound=yes|no|locate|walk_only``."""
    return lookup_tag_value(_ACOUSTIC_SIGNAL, value, key, "an acoustic signal value")


_CROSSING_KINDS: dict[str, CrossingKind] = {
    "traffic_signals": CrossingKind.TRAFFIC_SIGNALS,
    # British signalled crossing types (deprecated as crossing values, but unambiguous).
    "pelican": CrossingKind.TRAFFIC_SIGNALS,
    "toucan": CrossingKind.TRAFFIC_SIGNALS,
    "puffin": CrossingKind.TRAFFIC_SIGNALS,
    "pegasus": CrossingKind.TRAFFIC_SIGNALS,
    "marked": CrossingKind.MARKED,
    "zebra": CrossingKind.MARKED,
    "uncontrolled": CrossingKind.MARKED,
    "unmarked": CrossingKind.UNMARKED,
    "informal": CrossingKind.INFORMAL,
    "island": CrossingKind.UNKNOWN,  # says there is an island, not how the road is crossed
    "no": CrossingKind.NONE,  # crossing is not possible here; the caller decides what to do
}
#: When a value lists several kinds (``traffic_signals;marked``) the most specific one wins.
_CROSSING_SPECIFICITY: tuple[CrossingKind, ...] = (
    CrossingKind.TRAFFIC_SIGNALS,
    CrossingKind.MARKED,
    CrossingKind.UNMARKED,
    CrossingKind.INFORMAL,
    CrossingKind.UNKNOWN,
)


def parse_crossing_kind(value: str, *, key: str | None = "crossing") -> CrossingKind:
    """Read ``crossing=*`` as a :class:`CrossingKind`.

    ``no`` gives NONE (crossing not possible here). ``a;b`` lists give the most specific kind
    (``traffic_signals;marked`` → TRAFFIC_SIGNALS); a list mixing ``no`` with a kind is malformed.
    """
    expected = "a crossing kind"
    text = _normalise(value, key, expected)
    parts = text.split(";")
    if any(part.strip() not in _CROSSING_KINDS for part in parts):
        raise MalformedTagError(key, value, expected)
    kinds = {_CROSSING_KINDS[part.strip()] for part in parts}
    if len(kinds) == 1:
        return kinds.pop()
    if CrossingKind.NONE in kinds:
        raise MalformedTagError(key, value, expected)
    return next(kind for kind in _CROSSING_SPECIFICITY if kind in kinds)


_KERB_KINDS: dict[str, KerbKind] = {
    "raised": KerbKind.RAISED,
    "regular": KerbKind.RAISED,  # an ordinary (full-height) kerb
    "lowered": KerbKind.LOWERED,
    "rolled": KerbKind.ROLLED,
    "flush": KerbKind.FLUSH,
    "no": KerbKind.FLUSH,
    "yes": KerbKind.UNKNOWN,  # a kerb is there, its kind is not said
}


def parse_kerb_kind(value: str, *, key: str | None = "kerb") -> KerbKind:
    """Read ``kerb=raised|lowered|rolled|flush|no|yes|regular`` as a :class:`KerbKind`."""
    return lookup_tag_value(_KERB_KINDS, value, key, "a kerb kind")


_SLOPED_CURB_WORDS: dict[str, KerbKind] = {
    "at_grade": KerbKind.FLUSH,
    "flush": KerbKind.FLUSH,
    "yes": KerbKind.LOWERED,
    "both": KerbKind.LOWERED,
    "one_side": KerbKind.LOWERED,
    "no": KerbKind.RAISED,
}


def kerb_kind_from_height(height_cm: float) -> KerbKind:
    """Classify a measured kerb height: 0 → FLUSH, ≤ 3 cm → LOWERED, > 3 cm → RAISED.

    Used for tagged heights and for heights staff record as obstacles alike.
    """
    if height_cm <= 0.0:
        return KerbKind.FLUSH
    if height_cm <= ASSUMED_KERB_HEIGHT_CM[KerbKind.LOWERED]:
        return KerbKind.LOWERED
    return KerbKind.RAISED


def parse_sloped_curb(value: str, *, key: str | None = "sloped_curb") -> KerbKind:
    """Read the deprecated ``sloped_curb=*`` as a :class:`KerbKind`.

    ``0``/``at_grade``/``flush`` → FLUSH; ``yes``/``both``/``one_side`` → LOWERED; ``no`` →
    RAISED; a height (read like ``kerb:height``, bare numbers in metres) is classified by
    :func:`kerb_kind_from_height`.
    """
    expected = "a sloped curb value"
    text = _normalise(value, key, expected)
    if text in _SLOPED_CURB_WORDS:
        return _SLOPED_CURB_WORDS[text]
    try:
        height_cm = parse_kerb_height_cm(text, key=key)
    except MalformedTagError:
        raise MalformedTagError(key, value, expected) from None
    return kerb_kind_from_height(height_cm)


#: Values that are no barrier node: kerbs are read as KerbKind, ``no`` says there is none.
NOT_BARRIER_VALUES = frozenset({"kerb", "no", "none"})
#: What an OSM value looks like: lower-case words, digits, ``_``, ``-``, ``:`` (no lists).
_OSM_WORD_RE = re.compile(r"[a-z0-9_:\-]+")


def parse_barrier(value: str, *, key: str | None = "barrier") -> BarrierKind:
    """Read ``barrier=*`` on a node as a :class:`BarrierKind`.

    A value of the passability table (``accessibility_rules/barriers.csv``) is its member
    (``full-height_turnstile`` → FULL_HEIGHT_TURNSTILE); ``kerb``, ``no`` → NONE; ``yes`` and any
    other single OSM-style value are UNKNOWN: a barrier whose passability nobody has described.
    Lists (``a;b``) and free text are malformed.
    """
    expected = "a barrier kind"
    text = _normalise(value, key, expected)
    if text in NOT_BARRIER_VALUES:
        return BarrierKind.NONE
    if _OSM_WORD_RE.fullmatch(text) is None:
        raise MalformedTagError(key, value, expected)
    member = BarrierKind.__members__.get(text.replace("-", "_").upper())
    return BarrierKind.UNKNOWN if member is None or member is BarrierKind.NONE else member


_HIGHWAY_CLASSES: dict[str, HighwayClass] = {
    "footway": HighwayClass.FOOTWAY,
    "path": HighwayClass.PATH,
    "pedestrian": HighwayClass.PEDESTRIAN,
    "living_street": HighwayClass.LIVING_STREET,
    "residential": HighwayClass.RESIDENTIAL,
    "service": HighwayClass.SERVICE,
    "steps": HighwayClass.STEPS,
    "cycleway": HighwayClass.CYCLEWAY,
    "track": HighwayClass.TRACK,
    "bridleway": HighwayClass.BRIDLEWAY,
    "platform": HighwayClass.PLATFORM,
    "elevator": HighwayClass.ELEVATOR,
    "corridor": HighwayClass.CORRIDOR,
    "unclassified": HighwayClass.UNCLASSIFIED,
    "tertiary": HighwayClass.TERTIARY,
    "tertiary_link": HighwayClass.TERTIARY,
    "secondary": HighwayClass.SECONDARY,
    "secondary_link": HighwayClass.SECONDARY,
    "primary": HighwayClass.PRIMARY,
    "primary_link": HighwayClass.PRIMARY,
    "trunk": HighwayClass.TRUNK,
    "trunk_link": HighwayClass.TRUNK,
    "road": HighwayClass.ROAD,
}


def highway_class(value: str) -> HighwayClass:
    """Group a ``highway=*`` value for pedestrians; anything not listed is OTHER (never raises)."""
    return _HIGHWAY_CLASSES.get(value.strip().lower(), HighwayClass.OTHER)
