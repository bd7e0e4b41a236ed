"""Turn-by-turn instructions for people who navigate by ear, in German and English.

Each step says how far to go, which way to turn, onto which way (a street by its name with the
right German article; an unnamed way by its kind and, for a sidewalk, the street it runs beside),
and what is underfoot: kerbs with their height, steps with count and handrail, crossings with
their signals and tactile paving, long steep parts, poor surfaces, narrow passages, barriers,
elevators, and where the route breaks a limit that no barrier kind shows: a staff closure it
cannot avoid, a way or node mapped ``wheelchair=no``. The route's avoided obstacles come first,
its verdict last.

Rules, stated once:

* **One way, one step.** Consecutive pieces of one named street are one step, unless the
  route turns back on it (a U-turn is always said: at a seat the route goes to and comes back
  from, :mod:`routing.seat_turnbacks`, or at a via point). A piece of the
  same OSM way as the piece before (a way split at a kerb, a crossing node or a junction where
  the route follows it) continues the step unless the route turns sharply (135° or more) there:
  following a path's own bends is no decision. An unnamed piece that goes on without a real
  turn (less than :data:`STRAIGHT_DEG`) continues the unnamed step before it, whatever kind of
  way it is. A real turn onto the same kind of unnamed way is said as "rechts abbiegen, weiter
  auf dem Fußweg" ("turn right, staying on the footpath").
* **A turn is the bend where it is made.** At a junction the way in is the bearing over the
  piece before it and the way out over the piece after it, each up to :data:`BEARING_BASE_M`
  (to the point that far along the line) and at least :data:`BEARING_MIN_M`. Taken over
  :data:`BEARING_BASE_M` whatever the pieces, a short piece (4 m of footway to a bus platform,
  11 m of a side street between two main roads) was blurred with the bend after it: "links
  abbiegen" where the route turns right and, 4 m on, left again. The piece before is what was
  walked since the last turn said (pieces merged into a step are one), the piece after is the
  stretch of the OSM way entered (a way split at a kerb, a crossing node or a change of
  surface is read on across the splits): 3.6 m of a cycleway up to its first split, 50° off
  the line that it and the way before it follow, is neither "links abbiegen" nor, 3.6 m on,
  "rechts". A slight turn onto less than :data:`BEARING_MIN_M` of a way is not said (read
  over :data:`BEARING_MIN_M`, its bearing takes in the bend after it): that bend is said,
  read over what was walked, not "leicht rechts halten" 2 m before "rechts abbiegen".
* **Crossing the road is said as such.** A turn onto an unnamed footway, path or cycleway where
  a crossing begins (a crossing is reported where its piece begins) is "rechts abbiegen und
  die Straße überqueren" / "turn right and cross the road", followed at the same place by the
  crossing's signals and tactile paving.
* **One crossing, one announcement; every crossing announced.** The reports of one crossing
  are one announcement where it is first met, with their known facts merged (a known value
  beats an unknown one; signals beat a marking): the pieces of a crossing way walked in one go
  (split at kerbs and nodes, or two ways in a row), a carriageway walked piece after piece, a
  crossing node at the kerb where its way begins, and other reports within
  :data:`SAME_CROSSING_M` of the crossing's first (:func:`_crossing_groups`, with the route's
  graph). The second crossing way past an island, a crossing way some metres after the
  carriageway walked up to it, and a junction 20 m after a crossing are announcements of their
  own (they were one while every report within 12 m of the one before joined it: a chain).
* **The kerbs of one crossing, one announcement.** Kerbs each within :data:`SAME_CROSSING_M`
  of the kerb before them (both sides of a road, an island's) are said once where the first
  is, with their number, extent and highest known height: "5 Bordsteine abgesenkt (3 cm) auf
  den nächsten 10 m"; the route's barriers keep each of them.
* **Slopes long enough to matter.** Consecutive steep pieces of one direction and source are one
  slope. A tagged incline is announced from :data:`TAGGED_SLOPE_MIN_M`, an incline estimated
  from the elevation model (90 m cells) only from :data:`ESTIMATED_SLOPE_MIN_M`, and then says
  "geschätzt" / "estimated"; a slope that breaks the profile's incline limit is announced
  however short (a ramp of 2 m at 12 % was named only in the closing sentence).
* **One stretch of a poor surface, one announcement.** Consecutive pieces of one surface (and
  one smoothness, where it is listed: uneven from ``bad`` on, or worse than the profile allows), each
  beginning within 1 m of the end of the one before (a sidewalk of setts split at every
  driveway), are one stretch, said where it begins with its whole length: "Untergrund Pflaster
  auf 70 m", not "auf 20 m" and then "auf 50 m" 20 m later.
* **A closed or wheelchair=no stretch, one announcement.** Consecutive pieces the route walks
  closed (or tagged ``wheelchair=no``, for a profile that respects it), with the nodes at their
  ends, are one stretch, said where it begins with the metres walked on it: "Achtung, Weg
  gesperrt auf 20 m"; such a node alone is a place ("Achtung, gesperrt"); a closed elevator is
  "Achtung, Aufzug außer Betrieb", in place of its "Aufzug".
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np

from accessibility_rules.attributes import CrossingKind, HighwayClass, Wheelchair
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile
from graphs.model import CompiledGraph
from routing._kernels.steps import TURN_DEPART, leg_runs, turn_kinds
from routing.condition_steps import condition_stretches
from routing.rounding import round_float
from routing.route import Barrier, Route
from routing.wording import (
    Language,
    Way,
    accessibility_sentence,
    describe_barrier,
    describe_stretch,
    end_short_phrase,
    metres,
    obstacle_phrase,
    within,
)

__all__ = [
    "BEARING_BASE_M",
    "BEARING_MIN_M",
    "ESTIMATED_SLOPE_MIN_M",
    "SAME_CROSSING_M",
    "STRAIGHT_DEG",
    "TAGGED_SLOPE_MIN_M",
    "WAYS_JOINED_M",
    "Instruction",
    "describe_barrier",
    "instructions",
    "steps_json",
]

#: A change of bearing below this is no turn (degrees).
STRAIGHT_DEG = 20.0
#: Bearings at a junction are taken over the pieces before and after it, at most this much of
#: each (metres).
BEARING_BASE_M = 15.0
#: ... and at least this much (metres): a piece shorter than that (a way split a few decimetres
#: before a kerb) is read together with what follows it.
BEARING_MIN_M = 3.0
#: Crossing reports within this distance of a crossing's first report are that crossing
#: (metres; a node and the way beside it). On 150 seeded Neukölln wheelchair routes consecutive
#: crossing reports lie 2–8 m apart (one crossing: its node and its way, or a way split at
#: kerbs) or 20 m and more (two crossings). Without the route's graph, a report within it of
#: the report before it (a chain: two crossings 20 m apart with a report between were one).
SAME_CROSSING_M = 12.0
#: A stretch across roads (crossing ways, or a carriageway walked) beginning within this of
#: where a crossing ends (its last report, or the end of its last stretch, of the same kind) is
#: that crossing (metres; ways split apart, a crossing node at the kerb); one beginning farther
#: on is a crossing of its own.
WAYS_JOINED_M = 1.0
#: A slope from an ``incline`` tag is announced from this length on (metres).
TAGGED_SLOPE_MIN_M = 10.0
#: A slope estimated from the elevation model is announced from this length on (metres).
ESTIMATED_SLOPE_MIN_M = 50.0

_TURNS = {
    "de": {
        "straight": "geradeaus weiter", "slight_left": "leicht links halten", "left": "links abbiegen",
        "sharp_left": "scharf links abbiegen", "slight_right": "leicht rechts halten",
        "right": "rechts abbiegen", "sharp_right": "scharf rechts abbiegen", "uturn": "umkehren",
    },
    "en": {
        "straight": "continue straight", "slight_left": "keep slightly left", "left": "turn left",
        "sharp_left": "turn sharp left", "slight_right": "keep slightly right", "right": "turn right",
        "sharp_right": "turn sharp right", "uturn": "turn around",
    },
}  # fmt: skip

#: Seats, said on routes of a profile with a rest limit (max_distance_between_rests_m).
_SEAT_WORDS = {
    "de": {
        "seat": "Sitzgelegenheit", "yes": "mit Rückenlehne", "no": "ohne Rückenlehne",
        "seats": "{n} Sitzgelegenheiten", "some": "{k} davon mit Rückenlehne",
        "next": "Nächste Sitzgelegenheit in {d}", "none": "keine weitere Sitzgelegenheit bis zum Ziel ({d})",
        "none_unknown": "keine weitere Sitzgelegenheit bekannt bis zum Ziel ({d}; Bänke nicht erfasst)",
    },
    "en": {
        "seat": "seat", "yes": "with backrest", "no": "without backrest",
        "seats": "{n} seats", "some": "{k} with backrest",
        "next": "next seat in {d}", "none": "no further seat before the destination ({d})",
        "none_unknown": "no further seat known before the destination ({d}; benches not mapped)",
    },
}  # fmt: skip

#: Seats at most this far apart, one after the other, are said as one group ("6
#: Sitzgelegenheiten auf den nächsten 20 m"): a row of benches was six steps, "Nächste
#: Sitzgelegenheit in 3 m" each (metres along the route).
SEAT_GROUP_M = 15.0


def near_runs(places: Sequence[float], gap_m: float) -> list[range]:
    """Index ranges of ``places`` (metres along the route, ascending) in which each place is at
    most ``gap_m`` after the one before it: things said together (a row of seats, the kerbs of
    one crossing)."""
    runs: list[range] = []
    start = 0
    for i in range(1, len(places) + 1):
        if i == len(places) or places[i] - places[i - 1] > gap_m:
            runs.append(range(start, i))
            start = i
    return runs


def seat_groups(seats: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``seats`` (a rests report's, in walking order) in groups: a seat within
    :data:`SEAT_GROUP_M` of the one before it joins that one's group (:func:`near_runs`)."""
    places = [seat["at_m"] for seat in seats]
    return [[seats[i] for i in run] for run in near_runs(places, SEAT_GROUP_M)]


def _seat_text(group: list[dict[str, Any]], lang: Language) -> str:
    """A seat or a group of seats in words, with what is known of their backrests."""
    w = _SEAT_WORDS[lang]
    backrests = [seat["backrest"] for seat in group]
    if len(group) == 1:
        return w["seat"] + (f" {w[backrests[0]]}" if backrests[0] in ("yes", "no") else "")
    text = w["seats"].format(n=len(group))
    with_rest = backrests.count("yes")
    if with_rest == len(group) or backrests.count("no") == len(group):
        text += f" {w[backrests[0]]}"
    text += within(group[-1]["at_m"] - group[0]["at_m"], lang)
    if 0 < with_rest < len(group):
        text += ", " + w["some"].format(k=with_rest)
    return text


def _seat_events(route: Route, lang: Language) -> list[tuple[float, str, float, float, str]]:
    """``(at_m, "rest", lon, lat, text)`` per seat of ``route`` (per group of seats close
    together, :func:`seat_groups`, at its first) when its profile has a rest limit
    (``route.rests["limit_m"]``): the seat, its backrest where known, and how far the next one
    is ("Sitzgelegenheit mit Rückenlehne. Nächste Sitzgelegenheit in 280 m")."""
    rests = route.rests
    if not rests or rests.get("limit_m") is None:
        return []
    w = _SEAT_WORDS[lang]
    groups = seat_groups(rests["seats"])
    out = []
    for i, group in enumerate(groups):
        first, last = group[0], group[-1]
        if i + 1 < len(groups):
            after = w["next"].format(d=metres(groups[i + 1][0]["at_m"] - last["at_m"], lang))
        else:
            none = "none" if rests.get("seats_known", True) else "none_unknown"
            after = w[none].format(d=metres(max(0.0, route.distance_m - last["at_m"]), lang))
        text = f"{_seat_text(group, lang)}. {_capital(after)}"
        out.append((float(first["at_m"]), "rest", first["lon"], first["lat"], text))
    return out


def _stretch_events(
    route: Route, lang: Language, flights: set[float], graph: CompiledGraph | None
) -> tuple[list[tuple[float, float, float, str]], set[float]]:
    """``(at_m, lon, lat, text)`` per stretch or place of ``route`` that breaks its profile's
    ``closed`` or ``wheelchair_no`` limit (a staff closure; a way or node mapped
    ``wheelchair=no``, a break only for profiles that respect the tag), said where it begins:
    "Weg gesperrt auf 20 m", "Weg nicht für Rollstühle freigegeben auf 40 m" (a way),
    "gesperrt", "nicht für Rollstühle freigegeben" (a node). No barrier kind lists either, so
    the closing sentence alone said them, among others ("und 1 weitere"). A ``wheelchair_no``
    break at the place of a flight of steps said (``flights``: their ``at_m``) is said by the
    flight.

    A way's break is placed where its piece begins, a node's at the node, which is also where
    the next piece begins: with the ``graph`` the route was found on (its live attributes,
    staff obstacles included), a break is the way's when the piece beginning there has the
    attribute (``route.edges``, ``route.walked_m``), and consecutive pieces, with the nodes at
    their ends, make one stretch; without it every break is said as a place. A closed stretch
    or place with an elevator (the route's ``elevator`` barriers: at the elevator's head) is
    "Aufzug außer Betrieb" / "elevator out of service"; the places of those elevators are
    returned with the events (their plain "Aufzug" step is left out)."""
    out: list[tuple[float, float, float, str]] = []
    w = _WORDS[lang]
    lifts = [b.at_m for b in route.barriers if b.kind == "elevator"]
    out_of_service: set[float] = set()
    for limit, way_words, place_words in _STRETCH_LIMITS:
        for start, end, lon, lat in _limit_runs(route, limit, graph):
            if limit == "wheelchair_no" and start in flights:
                continue
            until = start if end is None else end
            closed_lifts = [x for x in lifts if start <= x <= until]
            if limit == "closed" and closed_lifts:
                text = w["lift_closed"]  # an elevator out of service (or closed with its way)
                out_of_service.update(closed_lifts)
            elif end is None:
                text = w[place_words]
            else:
                text = w[way_words].format(d=metres(end - start, lang))
            out.append((start, lon, lat, w["caution"] + text))
    return out, out_of_service


def _limit_runs(
    route: Route, limit: str, graph: CompiledGraph | None
) -> list[tuple[float, float | None, float, float]]:
    """``(start, end, lon, lat)`` per stretch of ``route``'s ``limit`` breaks (``end`` None: a
    place), by the rule of :func:`_stretch_events`."""
    breaks = [b for b in route.accessibility.breaks if b.limit == limit]
    if not breaks:
        return []
    ways: dict[float, float] = {}  # where a piece with it begins -> ends (as said)
    if graph is not None:
        on_way = _ON_WAY[limit]
        spans = route.piece_spans(breaks[-1].at_m)
        for edge, walked, (begins, ends) in zip(route.edges, route.walked_m, spans, strict=False):
            if walked > 0.0 and on_way(graph, edge):
                ways.setdefault(begins, ends)
    runs: list[list[Any]] = []  # [start, end (None: a place), lon, lat]
    for b in breaks:
        end = ways.get(b.at_m)
        prev = runs[-1] if runs else None
        if prev is not None and prev[1] is not None and b.at_m <= prev[1]:
            prev[1] = max(prev[1], end if end is not None else b.at_m)  # goes on, or its node
        else:
            runs.append([b.at_m, end, b.lon, b.lat])
    return [(r[0], r[1], r[2], r[3]) for r in runs]


#: The limits :func:`_stretch_events` says, with the words of a way and of a place.
_STRETCH_LIMITS = (
    ("closed", "closed_way", "closed_point"),
    ("wheelchair_no", "no_wheelchair_way", "no_wheelchair_point"),
)
#: ``graph.edge["crossing"]`` of a way that is not a crossing.
_NOT_A_CROSSING = int(CrossingKind.NONE)
#: Per limit of :data:`_STRETCH_LIMITS`: whether an edge of a graph has it along it.
_ON_WAY: dict[str, Callable[[CompiledGraph, int], bool]] = {
    "closed": lambda graph, edge: bool(graph.edge["closed"][edge]),
    "wheelchair_no": lambda graph, edge: bool(graph.edge["wheelchair"][edge] == Wheelchair.NO),
}


_WORDS = {
    "de": {
        "after": "Nach {d}", "depart": "Starten Sie", "arrive": "Sie haben Ihr Ziel erreicht.",
        "stop": "Sie haben Ihr Zwischenziel erreicht", "stop_n": "Sie haben Zwischenziel {n} erreicht",
        "stop_back": ", dann umkehren",
        "arrive_after": "haben Sie Ihr Ziel erreicht.", "again": "erneut",
        "staying": "weiter auf {way}", "caution": "Achtung, ", "crossing": " und die Straße überqueren.",
        "closed_way": "Weg gesperrt auf {d}", "closed_point": "gesperrt",
        "lift_closed": "Aufzug außer Betrieb",
        "no_wheelchair_way": "Weg nicht für Rollstühle freigegeben auf {d}",
        "no_wheelchair_point": "nicht für Rollstühle freigegeben",
    },
    "en": {
        "after": "In {d}", "depart": "Start", "arrive": "You have arrived.",
        "stop": "You have reached your stop", "stop_n": "You have reached stop {n}",
        "stop_back": ", then turn around",
        "arrive_after": "you have arrived.", "again": "again", "staying": "staying on {way}",
        "caution": "Caution, ", "crossing": " and cross the road.",
        "closed_way": "way closed for {d}", "closed_point": "closed",
        "lift_closed": "elevator out of service",
        "no_wheelchair_way": "way not open to wheelchairs for {d}",
        "no_wheelchair_point": "not open to wheelchairs",
    },
}  # fmt: skip

_LANGUAGES: tuple[Language, ...] = ("de", "en")

#: A turn said the second time in a row onto the same kind of way: "erneut rechts abbiegen",
#: "turn right again".
_TURNS_AGAIN = {
    "de": {k: f"{_WORDS['de']['again']} {v}" for k, v in _TURNS["de"].items()},
    "en": {k: f"{v} {_WORDS['en']['again']}" for k, v in _TURNS["en"].items()},
}
#: "Nach {d}" / "In {d}" up to the distance, which ends them.
_AFTER = {lang: words["after"].removesuffix("{d}") for lang, words in _WORDS.items()}
#: The order of the steps: by place as said (``at_m``, to 0.1 m: a barrier's place is rounded
#: in the report, so a turn's exact place 0.03 m further would otherwise come after the steps
#: it turns onto), and at one place by the order of their kinds (a via point reached, then a
#: turn, then what lies on the way it turns onto; a U-turn last: one turns back from what is
#: there, a seat the route goes to and comes back from).
_PLACE = itemgetter(3, 1)
#: The order of a turn's step among the steps at its place (see :data:`_PLACE`); a U-turn's,
#: and that of a turn after it at the same place (legs of no length), keep their walking order.
_TURN_ORDER, _UTURN_ORDER = 2, 4

_CROSSING_RANK: dict[Any, int] = {
    "traffic_signals": 5,
    "marked": 4,
    "uncontrolled": 3,
    "unmarked": 2,
}


class Instruction(NamedTuple):
    """One spoken step: what to do after ``distance_m`` from the previous step (a named tuple,
    cheap to build, as :class:`~routing.route.Segment`)."""

    type: str  # depart, obstacle, turn, via, barrier, rest, pollen, green, light, arrive
    at_m: float
    distance_m: float
    lon: float
    lat: float
    text: str
    street: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary: the fields by name, in order (:func:`steps_json` makes
        these for a whole route at once)."""
        return self._asdict()


#: :class:`Instruction` from a tuple of its fields (``tuple.__new__``: a named tuple's own
#: ``__new__`` is a Python function, and a route says about twenty steps).
_new_instruction = functools.partial(tuple.__new__, Instruction)


def steps_json(steps: Sequence[Instruction]) -> list[dict[str, Any]]:
    """:meth:`Instruction.as_dict` of every step, in one pass (what a route answer sends; the
    keys are :class:`Instruction`'s fields in order, which the tests check)."""
    return [
        {"type": t, "at_m": a, "distance_m": d, "lon": lo, "lat": la, "text": x, "street": s}
        for t, a, d, lo, la, x, s in steps
    ]


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


def _turns_at(
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
    """A way as the steps name it (:class:`~routing.wording.Way`), worked out once per
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
    for lang in _LANGUAGES:
        w = _WORDS[lang]
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


def _legs(route: Route) -> list[_Leg]:
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
    """:func:`_legs` from the Segment tuples themselves (a route put together from legs; the
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
        (turn,) = _turns_at(route.geometry, [seg.first_point], [leg_m, stretch], route.polyline)
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


def _said_together(
    barriers: Sequence[Barrier],
    kind: str,
    merged: Callable[[list[Barrier]], Barrier],
    groups: Callable[[list[float]], list[range]] | None = None,
) -> list[Barrier]:
    """``barriers`` with each run of ``kind`` (``groups`` of their places; by default each
    within :data:`SAME_CROSSING_M` of the one of that kind before it: :func:`near_runs`)
    replaced by ``merged(run)`` at its first's place; a barrier alone and the other kinds as
    they are. ``barriers`` are sorted by place."""
    found = [i for i, b in enumerate(barriers) if b.kind == kind]
    if len(found) < 2:  # most routes: nothing to join
        return list(barriers)
    out: list[Barrier | None] = list(barriers)
    places = [barriers[i].at_m for i in found]
    for run in near_runs(places, SAME_CROSSING_M) if groups is None else groups(places):
        if len(run) < 2:
            continue
        out[found[run[0]]] = merged([barriers[found[j]] for j in run])
        for j in run[1:]:
            out[found[j]] = None  # said with the run's first
    return [b for b in out if b is not None]


def _merge_crossings(
    barriers: Sequence[Barrier], route: Route | None = None, graph: CompiledGraph | None = None
) -> list[Barrier]:
    """One barrier per crossing (see module doc), at its first report's place: the later
    reports of a crossing fill in its unknown facts. ``barriers`` are sorted by place, as a
    route lists them. With the ``route`` and the ``graph`` it was found on, the crossings are
    :func:`_crossing_groups` of the reports (the carriageways walked across are the pieces the
    ``informal`` reports begin); without, each report within :data:`SAME_CROSSING_M` of the one
    before it joins its crossing."""
    if route is None or graph is None:
        return _said_together(barriers, "crossing", _one_crossing)
    across = {
        b.at_m for b in barriers if b.kind == "crossing" and b.details.get("crossing") == "informal"
    }
    return _said_together(
        barriers, "crossing", _one_crossing,
        lambda places: _crossing_groups(places, route, graph, across),
    )  # fmt: skip


def _crossing_ways(
    route: Route, graph: CompiledGraph, across: Collection[float] = (), until: float = math.inf
) -> list[tuple[float, float, bool]]:
    """``(start, end, carriageway)`` of each stretch of ``route`` across roads, as its places are
    said (:meth:`~routing.route.Route.piece_spans`): along ways tagged as crossings
    (``footway=crossing`` …), or (``carriageway``) on the pieces beginning at ``across`` (a
    road's carriageway walked where its sidewalks are ways of their own: the places of the
    ``informal`` crossings). Pieces of one kind in a row are one stretch: a crossing way split
    at an island's or a road's node, two ways mapped across one road, a carriageway walked
    piece after piece. Pieces beginning beyond ``until`` are not read."""
    crossing = graph.edge["crossing"]
    out: list[tuple[float, float, bool]] = []
    spans = route.piece_spans(until)
    for edge, walked, (begins, ends) in zip(route.edges, route.walked_m, spans, strict=False):
        carriageway = crossing[edge] == _NOT_A_CROSSING
        if walked > 0.0 and (not carriageway or begins in across):
            if out and out[-1][1] == begins and out[-1][2] == carriageway:
                out[-1] = (out[-1][0], ends, carriageway)
            else:
                out.append((begins, ends, carriageway))
    return out


def _stretch_at(ways: list[tuple[float, float, bool]], place: float) -> int:
    """The stretch of ``ways`` (:func:`_crossing_ways`) a report at ``place`` is on: the one
    that begins there or goes on through it, else the one that ends there (a node at its far
    end); -1 none."""
    for i, (begins, ends, _) in enumerate(ways):
        if begins <= place < ends:
            return i
    for i, (_, ends, _) in enumerate(ways):
        if place == ends:
            return i
    return -1


def _crossing_groups(
    places: Sequence[float], route: Route, graph: CompiledGraph, across: Collection[float]
) -> list[range]:
    """Index ranges of the crossing reports at ``places`` (ascending) that are one crossing.

    A report on a stretch across roads (:func:`_crossing_ways`; on it or at one of its ends)
    joins the crossing before it when that crossing has a
    report on the same stretch, or when the stretch begins within :data:`WAYS_JOINED_M` of
    where that crossing ends (its last report, or the end of its last stretch) and that
    crossing has no stretch yet (a crossing node at the kerb where the way begins) or its last
    is of the same kind (crossing ways split apart). Any other report (a crossing node, a
    junction) joins it when within :data:`SAME_CROSSING_M` of that crossing's first report.
    So the second crossing way past an island, a crossing way after the carriageway walked up
    to it, and a junction 20 m after a crossing are each said where they begin; a way split
    into pieces, a carriageway walked piece after piece, and a node beside its way are not
    said twice.
    """
    ways = _crossing_ways(route, graph, across, places[-1])  # none after the last
    on = [_stretch_at(ways, place) for place in places]  # -1: on none
    groups: list[range] = []
    start = 0
    ends = places[0] if on[0] < 0 else ways[on[0]][1]  # where the crossing ends so far
    kind = None if on[0] < 0 else ways[on[0]][2]  # of its last stretch (None: none yet)
    for i in range(1, len(places)):
        way = on[i]
        if way >= 0:
            begins, _, carriageway = ways[way]
            joins = way in on[start:i] or (
                begins <= ends + WAYS_JOINED_M and kind in (None, carriageway)
            )
        else:
            joins = places[i] - places[start] <= SAME_CROSSING_M
        if not joins:
            groups.append(range(start, i))
            start, ends, kind = i, places[i], None
        if way >= 0:
            ends, kind = max(ends, ways[way][1]), ways[way][2]
        else:
            ends = max(ends, places[i])
    groups.append(range(start, len(places)))
    return groups


def _one_crossing(reports: list[Barrier]) -> Barrier:
    """The first report's crossing with the known facts of the later ones (a known value beats
    an unknown one; a more controlled kind beats a less controlled one)."""
    first = reports[0]
    details = dict(first.details)
    for report in reports[1:]:
        for key, value in report.details.items():
            if key == "crossing":
                if _CROSSING_RANK.get(value, 0) > _CROSSING_RANK.get(details.get(key), 0):
                    details[key] = value
            elif details.get(key) in (None, "unknown") and value not in (None, "unknown"):
                details[key] = value
    return Barrier(first.kind, first.at_m, first.lon, first.lat, details)


def _joined(
    barriers: Sequence[Barrier],
    kind: str,
    alike: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
    facts: Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any]],
) -> list[Barrier]:
    """Barriers of ``kind`` joined into the one before them when they begin at most 1 m after
    its end (its ``length_m``) and are ``alike`` it: said at its place, with ``facts(before,
    joined)`` and the length to the joined one's end (rounded as it grows). Others as they
    are. ``barriers`` are sorted by place, as a route lists them."""
    out: list[Barrier] = []
    last: Barrier | None = None
    at = -1  # of ``last`` in ``out``
    for b in barriers:
        if b.kind != kind:
            out.append(b)
            continue
        d = b.details
        if last is not None:
            ld = last.details
            if b.at_m <= last.at_m + float(ld["length_m"]) + 1.0 and alike(ld, d):
                length = round_float(b.at_m + float(d["length_m"]) - last.at_m)
                merged = Barrier(kind, last.at_m, last.lon, last.lat, {**facts(ld, d), "length_m": length})  # fmt: skip
                out[at] = last = merged
                continue
        last = b
        at = len(out)
        out.append(b)
    return out


def _slopes(barriers: Sequence[Barrier], broken: Sequence[float] = ()) -> list[Barrier]:
    """Consecutive steep pieces of one direction and source joined into one slope (its
    steepest incline, the later piece's on a tie), and only slopes long enough to matter kept
    (see module doc), or that break the profile's incline limit (``broken``: the places of the
    route's ``incline`` breaks, each where its piece begins). ``barriers`` are sorted by place,
    as a route lists them."""
    out = _joined(
        barriers, "steep",
        lambda a, b: (a["incline_percent"] > 0) == (b["incline_percent"] > 0)
        and a.get("source") == b.get("source"),
        lambda a, b: {**a, "incline_percent": max(b["incline_percent"], a["incline_percent"], key=abs)},
    )  # fmt: skip

    def kept(b: Barrier) -> bool:
        if b.kind != "steep":
            return True
        length = float(b.details["length_m"])
        minimum = ESTIMATED_SLOPE_MIN_M if b.details.get("source") == "dem" else TAGGED_SLOPE_MIN_M
        return length >= minimum or any(
            b.at_m - 0.05 <= x <= b.at_m + length + 0.05 for x in broken
        )

    return [b for b in out if kept(b)]


def _kerb_runs(barriers: Sequence[Barrier]) -> list[Barrier]:
    """Kerbs each within :data:`SAME_CROSSING_M` of the kerb before them (the kerbs of one
    crossing, an island's too) as one run, said once where it begins with how many, over how
    far, and the highest known height (:func:`~routing.wording.describe_barrier`): a crossing
    with a traffic island in Neukölln was five steps, "Bordstein abgesenkt (3 cm)" 2-4 m apart.
    A kerb alone stays as it is. ``barriers`` are sorted by place, as a route lists them."""
    return _said_together(barriers, "kerb", _one_kerb_run)


def _one_kerb_run(kerbs: list[Barrier]) -> Barrier:
    """Kerbs one after the other as one barrier: their count, how many of unknown height, the
    highest known height, whether the known ones are alike, and the run's length."""
    heights = [b.details.get("height_cm") for b in kerbs]
    counts = [int(b.details.get("count") or 1) for b in kerbs]
    known = [h for h in heights if h is not None]
    first = kerbs[0]
    return Barrier("kerb", first.at_m, first.lon, first.lat, {
        "height_cm": max(known) if known else None,
        "count": sum(counts),
        "unknown_count": sum(c for h, c in zip(heights, counts, strict=True) if h is None),
        "alike": len(set(known)) == 1,
        "run_length_m": round_float(kerbs[-1].at_m - first.at_m),
    })  # fmt: skip


def _surfaces(barriers: Sequence[Barrier]) -> list[Barrier]:
    """Consecutive pieces of one poor surface joined into one stretch (see module doc), said
    once where it begins. ``barriers`` are sorted by place, as a route lists them."""
    return _joined(
        barriers,
        "surface",
        lambda a, b: a["surface"] == b["surface"] and a.get("smoothness") == b.get("smoothness"),
        lambda a, b: a,
    )


def _turns_back(route: Route, point: int) -> bool:
    """Whether the route turns back at its point ``point`` (a via point it goes to and comes
    back from): a U-turn between :data:`BEARING_BASE_M` before and after it."""
    lengths = (BEARING_BASE_M, BEARING_BASE_M)
    return _turns_at(route.geometry, [point], lengths, route.polyline) == ["uturn"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def instructions(
    route: Route,
    lang: Language = "de",
    *,
    avoided: Sequence[Mapping[str, Any]] = (),
    graph: CompiledGraph | None = None,
    profile: Profile | None = None,
    conditions: Conditions = DEFAULT_CONDITIONS,
    day: dt.date | None = None,
) -> list[Instruction]:
    """Spoken-style steps for ``route``: departure, the obstacles it avoids, turns where the way
    changes, each via point reached (``via``: "Sie haben Ihr Zwischenziel erreicht", with ", dann
    umkehren" where the route goes back the way it came; before the turn made there), every
    barrier where it is met (crossings once, slopes only where long enough), each closed or
    ``wheelchair=no`` stretch the route breaks its limit on (:func:`_stretch_events`), the seats
    on routes with a rest limit, and arrival with the route's verdict. Steps are ordered by
    ``at_m``.

    ``avoided`` are the staff obstacles the route goes around (the response's
    ``obstacles.avoided``: ``{id, reason, effect}``), said after the departure, those alike (one
    phrase: the same reason) once.

    Given the ``graph`` the route was found on and the ``profile`` it was found for, the
    stretches that profile cares about in ``conditions`` are said where they begin
    (:mod:`routing.condition_steps`): ``pollen`` ("Birken auf den nächsten 200 m
    (Hauptblütezeit)"; ``day`` names the season), ``green`` ("Park-Abschnitt 400 m
    (Körnerpark)") and ``light`` ("unbeleuchtet auf 150 m").
    """
    w = _WORDS[lang]
    geo = route.geometry
    legs = _legs(route)
    if not legs:
        return []
    # (at, order, type, at_m, lon, lat, text, street): an Instruction is made once, at the end
    events: list[tuple[float, int, str, float, float, float, str, str | None]] = []
    first = legs[0].way
    lon, lat = geo[0]
    short = {end["role"]: end_short_phrase(end, lang) for end in route.ends_short}
    depart = first.words[lang][0] + (f" {short['origin']}" if "origin" in short else "")
    events.append((0.0, 0, "depart", 0.0, lon, lat, depart, first.name))
    # obstacles alike (the same reason) said once: the answer's obstacles.avoided lists each
    for phrase in dict.fromkeys(obstacle_phrase(obstacle, lang) for obstacle in avoided):
        events.append((0.0, 1, "obstacle", 0.0, lon, lat, phrase + ".", None))
    turns, again = _TURNS[lang], _TURNS_AGAIN[lang]
    # a crossing is reported where its piece begins: a leg beginning there turns onto it
    crossings = {b.at_m for b in route.barriers if b.kind == "crossing"}
    turned: set[float] = set()  # the places of U-turns (a via point there need not say it)
    for prev, leg in itertools.pairwise(legs):
        way = leg.way
        at_m = round_float(leg.start_m)
        if way.crossable and at_m in crossings:
            text = turns[leg.turn] + w["crossing"]
        elif way.key == prev.way.key:
            text = (again if leg.turn == prev.turn else turns)[leg.turn] + way.words[lang][2]
        else:
            text = turns[leg.turn] + way.words[lang][3 if leg.turn == "straight" else 1]
        lon, lat = geo[leg.point]
        if leg.turn == "uturn":
            turned.add(at_m)
        order = _UTURN_ORDER if at_m in turned else _TURN_ORDER  # (a stable sort: in leg order)
        events.append((leg.start_m, order, "turn", at_m, lon, lat, text, way.name))
    # a via point the route turns back at says so, unless a step of the way turns there
    for n, stop in enumerate(route.stops, 1):
        text = w["stop"] if len(route.stops) == 1 else w["stop_n"].format(n=n)
        if stop.at_m not in turned and _turns_back(route, stop.point):
            text += w["stop_back"]
        lon, lat = geo[stop.point]
        events.append((stop.at_m, 1, "via", stop.at_m, lon, lat, text + ".", None))
    flights = {b.at_m for b in route.barriers if b.kind == "steps"}  # merging keeps each
    has_steps = bool(flights)
    stretches, out_of_service = _stretch_events(route, lang, flights, graph)
    steep = [b.at_m for b in route.accessibility.breaks if b.limit == "incline"]
    said = _merge_crossings(route.barriers, route, graph)
    for barrier in _surfaces(_slopes(_kerb_runs(said), steep)):
        if barrier.kind == "elevator" and barrier.at_m in out_of_service:
            continue  # said as out of service
        text = describe_barrier(barrier.kind, barrier.details, lang)
        if barrier.kind == "steps":
            text = w["caution"] + text
        events.append((barrier.at_m, 3, "barrier", barrier.at_m, barrier.lon, barrier.lat, _capital(text) + ".", None))  # fmt: skip
    for at_m, lon, lat, text in stretches:
        events.append((at_m, 3, "barrier", at_m, lon, lat, _capital(text) + ".", None))
    for at_m, kind, lon, lat, text in _seat_events(route, lang):
        events.append((at_m, 3, kind, round_float(at_m), lon, lat, _capital(text) + ".", None))
    if graph is not None and profile is not None:
        for st in condition_stretches(route, graph, profile, conditions, day=day):
            text = _capital(describe_stretch(st.kind, st.details, st.length_m, lang)) + "."
            events.append((st.at_m, 3, st.kind, round(st.at_m, 1), st.lon, st.lat, text, None))
    verdict = accessibility_sentence(route.accessibility, lang, has_steps=has_steps)
    if "destination" in short:  # where the limits would be kept, before the verdict on them
        verdict = f"{short['destination']} {verdict}"
    lon, lat = geo[-1]
    events.append((route.distance_m, 4, "arrive", round(route.distance_m, 1), lon, lat, f"{w['arrive']} {verdict}", None))  # fmt: skip
    events.sort(key=_PLACE)
    after = _AFTER[lang]
    out: list[Instruction] = []
    last_at = 0.0
    for at, _, kind, at_m, lon, lat, text, street in events:
        gap = at - last_at
        if not gap > 0.0:  # as max(0.0, gap)
            gap = 0.0
        if gap >= 1.0 and kind != "depart" and kind != "obstacle":
            d = after + metres(gap, lang)
            if kind == "arrive":
                text = f"{d} {w['arrive_after']} {verdict}"
            elif kind == "turn":
                text = f"{d} {text}"
            else:
                text = f"{d}: {text}"
        else:
            text = _capital(text)
        out.append(_new_instruction((kind, at_m, round_float(gap), lon, lat, text, street)))
        if at > last_at:  # as max(last_at, at)
            last_at = at
    return out
