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
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from accessibility_rules.attributes import Wheelchair
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile
from graphs.model import CompiledGraph
from routing.barriers_said import kerb_runs, merge_crossings, near_runs, said_slopes, said_surfaces
from routing.condition_steps import condition_stretches
from routing.legs import BEARING_BASE_M, route_legs, turns_at
from routing.rounding import round_float
from routing.route import Route
from routing.step_words import AFTER_WORDS, STEP_WORDS, TURN_AGAIN_WORDS, TURN_WORDS
from routing.wording import (
    Language,
    accessibility_sentence,
    describe_barrier,
    describe_stretch,
    end_short_phrase,
    metres,
    obstacle_phrase,
    within,
)

__all__ = [
    "Instruction",
    "describe_barrier",
    "instructions",
    "steps_json",
]


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
    w = STEP_WORDS[lang]
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
#: Per limit of :data:`_STRETCH_LIMITS`: whether an edge of a graph has it along it.
_ON_WAY: dict[str, Callable[[CompiledGraph, int], bool]] = {
    "closed": lambda graph, edge: bool(graph.edge["closed"][edge]),
    "wheelchair_no": lambda graph, edge: bool(graph.edge["wheelchair"][edge] == Wheelchair.NO),
}
#: The order of the steps: by place as said (``at_m``, to 0.1 m: a barrier's place is rounded
#: in the report, so a turn's exact place 0.03 m further would otherwise come after the steps
#: it turns onto), and at one place by the order of their kinds (a via point reached, then a
#: turn, then what lies on the way it turns onto; a U-turn last: one turns back from what is
#: there, a seat the route goes to and comes back from).
_PLACE = itemgetter(3, 1)
#: The order of a turn's step among the steps at its place (see :data:`_PLACE`); a U-turn's,
#: and that of a turn after it at the same place (legs of no length), keep their walking order.
_TURN_ORDER, _UTURN_ORDER = 2, 4


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


def _turns_back(route: Route, point: int) -> bool:
    """Whether the route turns back at its point ``point`` (a via point it goes to and comes
    back from): a U-turn between :data:`BEARING_BASE_M` before and after it."""
    lengths = (BEARING_BASE_M, BEARING_BASE_M)
    return turns_at(route.geometry, [point], lengths, route.polyline) == ["uturn"]


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
    w = STEP_WORDS[lang]
    geo = route.geometry
    legs = route_legs(route)
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
    turns, again = TURN_WORDS[lang], TURN_AGAIN_WORDS[lang]
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
    said = merge_crossings(route.barriers, route, graph)
    for barrier in said_surfaces(said_slopes(kerb_runs(said), steep)):
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
    after = AFTER_WORDS[lang]
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
