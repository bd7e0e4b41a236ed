"""Which barriers the spoken steps say, and once each (:mod:`routing.instructions`): the
reports of one crossing said together (:func:`merge_crossings`: the crossing ways walked in one
go, the reports within :data:`SAME_CROSSING_M`, a second crossing past an island said again),
kerbs in a row as one run (:func:`kerb_runs`), slopes only where long enough
(:func:`said_slopes`: :data:`TAGGED_SLOPE_MIN_M`, :data:`ESTIMATED_SLOPE_MIN_M`) and a surface
where it begins with its whole length (:func:`said_surfaces`). The module doc of
:mod:`routing.instructions` states each rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from accessibility_rules.attributes import CrossingKind
from graphs.model import CompiledGraph
from routing.rounding import round_float
from routing.route import Barrier, Route

__all__ = [
    "ESTIMATED_SLOPE_MIN_M",
    "SAME_CROSSING_M",
    "TAGGED_SLOPE_MIN_M",
    "WAYS_JOINED_M",
    "kerb_runs",
    "merge_crossings",
    "near_runs",
    "said_slopes",
    "said_surfaces",
]

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


#: ``graph.edge["crossing"]`` of a way that is not a crossing.
_NOT_A_CROSSING = int(CrossingKind.NONE)

_CROSSING_RANK: dict[Any, int] = {
    "traffic_signals": 5,
    "marked": 4,
    "uncontrolled": 3,
    "unmarked": 2,
}


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


def merge_crossings(
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


def said_slopes(barriers: Sequence[Barrier], broken: Sequence[float] = ()) -> list[Barrier]:
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


def kerb_runs(barriers: Sequence[Barrier]) -> list[Barrier]:
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


def said_surfaces(barriers: Sequence[Barrier]) -> list[Barrier]:
    """Consecutive pieces of one poor surface joined into one stretch (see module doc), said
    once where it begins. ``barriers`` are sorted by place, as a route lists them."""
    return _joined(
        barriers,
        "surface",
        lambda a, b: a["surface"] == b["surface"] and a.get("smoothness") == b.get("smoothness"),
        lambda a, b: a,
    )
