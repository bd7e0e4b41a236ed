"""The legs of a route for its spoken steps (:mod:`routing.instructions`): the ways a person is
told about and the turn onto each, read by one :func:`~routing._kernels.steps.leg_runs` pass over
the route's segments (:func:`route_legs`; a route without its segments' rows takes the Python
:func:`_segment_legs`, the kernel's reference). A turn's bearings are read over
:data:`BEARING_BASE_M` on either side (at least :data:`BEARING_MIN_M`); a change below
:data:`STRAIGHT_DEG` is no turn; each way's phrases are worded once and cached.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from accessibility_rules.attributes import HighwayClass
from routing._kernels.steps import TURN_DEPART, leg_runs, turn_kinds
from routing.route import Route
from routing.step_words import LANGUAGES, STEP_WORDS
from routing.street_names import Way
from routing.wording import Language

__all__ = [
    "BEARING_BASE_M",
    "BEARING_MIN_M",
    "STRAIGHT_DEG",
    "route_legs",
    "turns_at",
]


#: A change of bearing below this is no turn (degrees).
STRAIGHT_DEG = 20.0
#: Bearings at a junction are taken over the pieces before and after it, at most this much of
#: each (metres).
BEARING_BASE_M = 15.0
#: ... and at least this much (metres): a piece shorter than that (a way split a few decimetres
#: before a kerb) is read together with what follows it.
BEARING_MIN_M = 3.0


def _turn(delta: float) -> str:
    """The turn of a change of bearing ``delta`` (degrees, not normalised): the rule, stated in
    Python. The kernel :func:`routing._kernels.steps.turn_kind` repeats it for every junction of a
    route at once (the tests compare the two)."""
    delta = (delta + 180.0) % 360.0 - 180.0
    magnitude = abs(delta)
    side = "right" if delta > 0 else "left"
    if magnitude < STRAIGHT_DEG:
        return "straight"
    if magnitude < 45:
        return f"slight_{side}"
    if magnitude < 135:
        return side
    if magnitude < 170:
        return f"sharp_{side}"
    return "uturn"


#: The turns by the codes of :func:`routing._kernels.steps.turn_kind` (its docstring says the
#: order).
_TURN_KINDS = (
    "straight", "slight_left", "left", "sharp_left", "slight_right", "right", "sharp_right", "uturn",
)  # fmt: skip
#: Turns that end a step even on the same way (a path's own bends do not).
_SHARP = frozenset({"sharp_left", "sharp_right", "uturn"})
#: Turns too slight to be said onto less than :data:`BEARING_MIN_M` of a way (module doc).
_SLIGHT = frozenset({"slight_left", "slight_right"})
#: The turns by the codes of :func:`routing._kernels.steps.leg_runs` (``TURN_DEPART``: "depart").
_TURN_NAMES = {TURN_DEPART: "depart", **dict(enumerate(_TURN_KINDS))}


def _kind_keys() -> np.ndarray:
    """Per highway code, a code of the kind of way it is worded as (the middle of
    :meth:`Way.key` of an unnamed way of that highway): what
    :func:`~routing._kernels.steps.leg_runs` compares for the way keys of unnamed ways."""
    kinds = {int(h): Way(None, (h.name or "").lower(), False).key()[1] for h in HighwayClass}
    codes = {kind: i for i, kind in enumerate(dict.fromkeys(kinds.values()))}
    keys = np.full(max(kinds) + 1, -1, dtype=np.int64)
    for h, kind in kinds.items():
        keys[h] = codes[kind]
    return keys


_KIND_KEYS = _kind_keys()


def _bearing_base(length_m: float) -> float:
    """Metres of a piece of ``length_m`` a bearing at its end is taken over (module doc)."""
    return min(max(length_m, BEARING_MIN_M), BEARING_BASE_M)


def _way_stretches(lengths_m: Sequence[float], ways: Sequence[int]) -> list[float]:
    """Per piece, the metres of the stretch of its OSM way (``ways``, -1 for none) that begins
    with it: it and the consecutive pieces of its way after it, whatever splits them (a kerb,
    a crossing node, a change of surface). Summed from the far end, as
    :func:`routing._kernels.steps.leg_runs` sums them."""
    beginning = list(lengths_m)
    for i in range(len(beginning) - 2, -1, -1):
        if ways[i] >= 0 and ways[i] == ways[i + 1]:
            beginning[i] = beginning[i + 1] + lengths_m[i]
    return beginning


def turns_at(
    geo: Sequence[Sequence[float]],
    points: Sequence[int],
    lengths_m: Sequence[float],
    xy: np.ndarray | None = None,
) -> list[str]:
    """The turn made at each of the route points ``points``, where the piece of ``lengths_m[q]``
    metres before point ``q`` meets the piece of ``lengths_m[q + 1]`` after it: the change of
    bearing over each (:func:`_bearing_base`; "straight" where either side has no length),
    classified as :func:`_turn` does, in one kernel call per route. ``xy``: ``geo`` as an
    ``n × 2`` array when the caller has it (a route's
    :attr:`~routing.route.Route.polyline`), else made here."""
    if len(lengths_m) != len(points) + 1:  # the kernel reads one base per side of each point
        raise ValueError(
            f"{len(points)} points need {len(points) + 1} lengths, got {len(lengths_m)}"
        )
    if not points:
        return []
    if xy is None:
        xy = np.fromiter(itertools.chain.from_iterable(geo), np.float64, 2 * len(geo))
        xy = xy.reshape(-1, 2)
    at = np.asarray(points, dtype=np.int64)
    bases = np.array([_bearing_base(length) for length in lengths_m], dtype=np.float64)
    codes = np.empty(len(at), dtype=np.int8)
    turn_kinds(
        xy[:, 0], xy[:, 1], at, bases[:-1], bases[1:], STRAIGHT_DEG, np.empty(len(at)), codes
    )
    return [_TURN_KINDS[c] for c in codes.tolist()]


class _Way(NamedTuple):
    """A way as the steps name it (:class:`~routing.street_names.Way`), worked out once per
    ``(name, highway, is_sidewalk)`` by :func:`_way`: the German article of a street name
    takes a few lookups, and a route has a few dozen pieces on a dozen ways."""

    name: str | None
    is_sidewalk: bool
    key: tuple[str | None, str, bool]  # Way.key(): ways with equal keys are worded alike
    #: By language: the departure ("Starten Sie auf der Bremerstraße."), what follows a turn
    #: onto it (" in die Bremerstraße.", ", weiter Am Altenhof."), what follows a turn that
    #: stays on its kind of way (", weiter auf dem Fußweg.") and what follows "straight on"
    #: onto it (" Am Altenhof.": "geradeaus weiter" says "weiter" already).
    words: Mapping[Language, tuple[str, str, str, str]]
    #: An unnamed path of a kind a crossing way is mapped as (``footway=crossing``): a turn onto
    #: one where a crossing begins is said as "… und die Straße überqueren".
    crossable: bool


#: The kinds of way a crossing is mapped as (``highway=footway|path|cycleway`` with
#: ``footway=crossing`` or ``crossing=*``).
_CROSSING_WAYS = frozenset({"footway", "path", "cycleway"})


#: The side of the road a sidewalk runs beside, walking it (:attr:`Segment.road_side`): said
#: after the sidewalk, so that a person who cannot see it knows where the traffic is.
_ROAD_SIDE = {
    "de": {-1: "die Fahrbahn links von Ihnen", 1: "die Fahrbahn rechts von Ihnen"},
    "en": {-1: "the road on your left", 1: "the road on your right"},
}


@functools.lru_cache(maxsize=4096)
def _way(name: str | None, highway: str, is_sidewalk: bool, road_side: int = 0) -> _Way:
    """The :class:`_Way` of a piece of the route. Cached: Kaiserslautern's graph has 894 such
    ways (about 1.5 kB each with their phrases). A sidewalk named after its road says on which
    side that road is (``road_side``, :data:`_ROAD_SIDE`)."""
    way = Way(name, highway, is_sidewalk)
    words = {}
    for lang in LANGUAGES:
        w = STEP_WORDS[lang]
        into = way.into(lang)
        staying = w["staying"].format(way=way.english() if lang == "en" else way.german("dat"))
        onto = f", {into}." if into.startswith("weiter ") else f" {into}."
        phrases: tuple[str, str, str, str] = (
            f"{w['depart']} {way.on(lang)}.",
            onto,
            f", {staying}.",
            f" {into.removeprefix('weiter ')}." if onto.startswith(", weiter ") else onto,
        )
        side = _ROAD_SIDE[lang].get(road_side) if is_sidewalk and way.name else None
        if side is not None:
            depart, onto_side, staying_side, straight = (
                f"{p.removesuffix('.')}, {side}." for p in phrases
            )
            phrases = (depart, onto_side, staying_side, straight)
        words[lang] = phrases
    crossable = name is None and not is_sidewalk and highway in _CROSSING_WAYS
    return _Way(way.name, way.is_sidewalk, way.key(), words, crossable)


class _Leg(NamedTuple):
    """One step of the way: the way, where it begins (metres, route point), the turn onto it."""

    way: _Way
    start_m: float
    point: int
    turn: str


def route_legs(route: Route) -> list[_Leg]:
    """The route's segments merged into the ways a person is told about (see module doc): in
    one kernel pass over the rows they were made from where the route has them
    (:func:`routing._kernels.steps.leg_runs`), else by :func:`_segment_legs`."""
    rows, xy = route.segment_runs, route.polyline
    if rows is None or xy is None:
        return _segment_legs(route)
    n = len(rows.runs)
    legs = np.empty((n, 2), dtype=np.int64)
    count = leg_runs(
        rows.runs, n, rows.length_m, _KIND_KEYS, xy[:, 0], xy[:, 1], BEARING_MIN_M,
        BEARING_BASE_M, STRAIGHT_DEG, np.empty(n, np.int64), np.empty(n, np.int64),
        np.empty(n), np.empty(n), np.empty(n), legs,
    )  # fmt: skip
    segments = route.segments
    out = []
    for q, turn in legs[:count].tolist():
        seg = segments[q]
        way = _way(seg.name, seg.highway, seg.is_sidewalk, seg.road_side)
        out.append(_Leg(way, seg.start_m, seg.first_point, _TURN_NAMES[turn]))
    return out


def _segment_legs(route: Route) -> list[_Leg]:
    """:func:`route_legs` from the Segment tuples themselves (a route put together from legs; the
    tests' reference for the kernel)."""
    segments = [s for s in route.segments if s.length_m > 0] or route.segments
    if not segments:
        return []
    first = segments[0]
    prev = _way(first.name, first.highway, first.is_sidewalk, first.road_side)  # of the last leg
    legs = [_Leg(prev, first.start_m, first.first_point, "depart")]
    last_way_id = first.way_id  # of the segment before
    stretches = _way_stretches([s.length_m for s in segments], [s.way_id for s in segments])
    leg_m = first.length_m  # walked since the last turn said: the way in
    for seg, stretch in zip(itertools.islice(segments, 1, None), stretches[1:], strict=True):
        (turn,) = turns_at(route.geometry, [seg.first_point], [leg_m, stretch], route.polyline)
        way = _way(seg.name, seg.highway, seg.is_sidewalk, seg.road_side)
        same_way = seg.way_id >= 0 and seg.way_id == last_way_id
        last_way_id = seg.way_id
        leg_m += seg.length_m  # merged into the leg, unless a turn is said below
        name = way.name
        if (
            name is not None
            and name == prev.name
            and way.is_sidewalk == prev.is_sidewalk
            and turn != "uturn"
        ):
            continue  # one named street: merged whatever the turn, but for turning back
        same_way = same_way and way.key == prev.key
        glancing = turn in _SLIGHT and stretch < BEARING_MIN_M  # the bend after it is said
        no_turn = turn == "straight" or glancing or (same_way and turn not in _SHARP)
        if no_turn and (same_way or (prev.name is None and name is None)):
            continue  # the same way without a sharp turn, or unnamed ways without a turn
        prev = way
        leg_m = seg.length_m
        legs.append(_Leg(way, seg.start_m, seg.first_point, turn))
    return legs
