"""The turns of the spoken steps (:mod:`routing.instructions`): the turn said at each junction,
classified from the bearings :func:`~routing._kernels.polyline.turn_deltas` gives
(:func:`turn_kind`, :func:`turn_kinds`), and the legs of a route, a way at a time
(:func:`leg_runs`), rather than in a Python loop."""

from __future__ import annotations

import math

import numpy as np

from accessibility_rules.kernel_loading import kernel
from routing._kernels.pieces import RUN_FIRST_POINT, RUN_HIGHWAY, RUN_NAME, RUN_SIDEWALK, RUN_WAY
from routing._kernels.polyline import turn_deltas

#: Codes of :func:`turn_kind`: straight, then slight / plain / sharp turns to the left and to
#: the right, then a U-turn (``routing.legs._TURN_KINDS`` names them in this order).
TURN_STRAIGHT, TURN_UTURN = 0, 7
#: The sharp turns of :func:`turn_kind` (they end a step even on the same way).
TURN_SHARP_LEFT, TURN_SHARP_RIGHT = 3, 6
#: The slight turns of :func:`turn_kind` (onto less than ``min_base_m`` of a way: no step).
TURN_SLIGHT_LEFT, TURN_SLIGHT_RIGHT = 1, 4


@kernel
def turn_kind(delta: float, straight_deg: float) -> int:
    """The code of a change of bearing ``delta`` (degrees, not normalised; NaN: straight):
    below ``straight_deg`` straight, below 45° slight, below 135° a turn, below 170° sharp, else
    a U-turn; left codes 1–3, right codes 4–6 (the operations of
    :func:`routing.legs._turn`, in the same order)."""
    if math.isnan(delta):
        return TURN_STRAIGHT
    delta = (delta + 180.0) % 360.0 - 180.0
    magnitude = abs(delta)
    side = 3 if delta > 0 else 0
    if magnitude < straight_deg:
        return TURN_STRAIGHT
    if magnitude < 45.0:
        return 1 + side
    if magnitude < 135.0:
        return 2 + side
    if magnitude < 170.0:
        return 3 + side
    return TURN_UTURN


@kernel
def turn_kinds(
    lon: np.ndarray, lat: np.ndarray, at: np.ndarray, back_m: np.ndarray, ahead_m: np.ndarray,
    straight_deg: float, deltas: np.ndarray, out: np.ndarray,
) -> None:  # fmt: skip
    """For each polyline point ``at[q]``: the :func:`turn_kind` code of the turn made there
    (bearings over ``back_m[q]`` before and ``ahead_m[q]`` after it) into ``out``
    (``deltas``: scratch of the same length, left holding :func:`turn_deltas`)."""
    turn_deltas(lon, lat, at, back_m, ahead_m, deltas)
    for q in range(len(at)):
        out[q] = turn_kind(deltas[q], straight_deg)


#: :func:`leg_runs`' turn code of a route's first leg (its departure: no turn).
TURN_DEPART = -1
#: The kinds of way of :func:`leg_runs`' keys besides the highway codes: a named way that is no
#: sidewalk (its name alone is its key), a sidewalk (of whichever street).
KEY_NAMED, KEY_SIDEWALK = -1, -2


@kernel
def _way_key(runs: np.ndarray, q: int, name: int, kind_key: np.ndarray) -> int:
    """The kind part of run ``q``'s way key (:meth:`routing.street_names.Way.key`; its name is
    ``name``, -1 for none)."""
    if runs[q, RUN_SIDEWALK] == 1:
        return KEY_SIDEWALK
    if name >= 0:
        return KEY_NAMED
    return kind_key[runs[q, RUN_HIGHWAY]]


@kernel
def leg_runs(
    runs: np.ndarray, n: int, run_length_m: np.ndarray, kind_key: np.ndarray,
    lon: np.ndarray, lat: np.ndarray, min_base_m: float, base_m: float, straight_deg: float,
    kept: np.ndarray, at: np.ndarray, back_m: np.ndarray, ahead_m: np.ndarray,
    deltas: np.ndarray, legs: np.ndarray,
) -> int:  # fmt: skip
    """The legs a route's instructions name, from its :func:`segment_runs` (``runs[:n]``, their
    lengths ``run_length_m``): the rules of :func:`routing.legs.route_legs`, in one pass.

    Runs of no length are left out (all are kept when none has a length). At each kept run
    after the first, the turn made at its first point (:func:`turn_kind` of
    :func:`turn_deltas` on the polyline ``lon``/``lat``, the way in taken over the leg so far
    (the kept runs since the last turn said) and the way out over the stretch of the run's
    OSM way (it and the kept runs of its way after it), each clamped to ``min_base_m`` ..
    ``base_m``, as :func:`routing.legs._segment_legs` reads them). A run continues the
    leg before it when it is the same named street on the same side (sidewalk or not) and
    the route does not turn back there (a U-turn is always said), or when it goes on without
    a turn (no sharp turn on the same OSM way and way key, none at all
    between two unnamed ways; a slight turn onto a stretch shorter than ``min_base_m`` is no
    turn: the bend after it, read over what was walked, is said). Names are ids (the graph's names are distinct and non-empty);
    ``kind_key`` maps a highway code to the code of its kind of way (its own, or ``road``).
    Per leg a row of ``legs``: its run and its turn code (:data:`TURN_DEPART` for the first).
    ``kept``, ``at``, ``back_m``, ``ahead_m``, ``deltas``: scratch of ``n`` entries. Returns
    the number of legs."""
    m = 0
    for q in range(n):
        if run_length_m[q] > 0:
            kept[m] = q
            m += 1
    if m == 0:
        for q in range(n):
            kept[q] = q
        m = n
    if m == 0:
        return 0
    # the way out of each junction is read over the stretch of the way it enters: the kept run
    # and the kept runs of its OSM way after it (summed from the far end, as _way_stretches)
    for j in range(m - 1, -1, -1):
        ahead_m[j] = run_length_m[kept[j]]
        way = runs[kept[j], RUN_WAY]
        if j < m - 1 and way >= 0 and way == runs[kept[j + 1], RUN_WAY]:
            ahead_m[j] = ahead_m[j + 1] + run_length_m[kept[j]]
    prev = kept[0]
    legs[0, 0] = prev
    legs[0, 1] = TURN_DEPART
    count = 1
    last_way = runs[prev, RUN_WAY]
    leg_m = run_length_m[prev]  # walked since the last turn said: the way in
    for j in range(1, m):
        q = kept[j]
        at[j - 1] = runs[q, RUN_FIRST_POINT]
        back_m[j - 1] = min(max(leg_m, min_base_m), base_m)
        ahead_m[j - 1] = min(max(ahead_m[j], min_base_m), base_m)  # (entry j - 1 is done with)
        one = slice(j - 1, j)  # the way in depends on the legs said before: one turn a call
        turn_deltas(lon, lat, at[one], back_m[one], ahead_m[one], deltas[one])
        turn = turn_kind(deltas[j - 1], straight_deg)
        way = runs[q, RUN_WAY]
        same_way = way >= 0 and way == last_way
        last_way = way
        name = runs[q, RUN_NAME]
        prev_name = runs[prev, RUN_NAME]
        side = runs[q, RUN_SIDEWALK]
        leg_m += run_length_m[q]  # merged into the leg, unless a turn is said below
        if (
            name >= 0
            and name == prev_name
            and side == runs[prev, RUN_SIDEWALK]
            and turn != TURN_UTURN
        ):
            continue  # one named street: merged whatever the turn, but for turning back
        same_key = (
            name == prev_name
            and side == runs[prev, RUN_SIDEWALK]
            and _way_key(runs, q, name, kind_key) == _way_key(runs, prev, prev_name, kind_key)
        )
        same_way = same_way and same_key
        sharp = turn in (TURN_SHARP_LEFT, TURN_SHARP_RIGHT, TURN_UTURN)
        # a slight bend onto less than min_base_m of a way: the bend after it is said instead
        # (ahead_m[j] still holds the stretch: entry j is clamped in the next round)
        glancing = turn in (TURN_SLIGHT_LEFT, TURN_SLIGHT_RIGHT) and ahead_m[j] < min_base_m
        no_turn = turn == TURN_STRAIGHT or glancing or (same_way and not sharp)
        if no_turn and (same_way or (prev_name < 0 and name < 0)):
            continue  # the same way without a sharp turn, or unnamed ways without a turn
        prev = q
        leg_m = run_length_m[q]
        legs[count, 0] = q
        legs[count, 1] = turn
        count += 1
    return count
