"""What walking a route takes and how far it strays: the one duration and the one detour rule.

Route reports, via-point routes, alternatives and the cost matrix all compute their figures here,
so a route's ``duration_s`` and a matrix cell's agree, and so do the detours of a route, its legs
and its alternatives.
"""

from __future__ import annotations

from typing import overload

import numpy as np

from accessibility_rules.profile import Profile
from routing.rounding import round_as_numpy

__all__ = [
    "MEETS_FROM_TAIL",
    "MEETS_THROUGH",
    "MEETS_WALKED",
    "detour",
    "piece_meets",
    "transition_delay_s",
    "walked_length_m",
    "walking_time_s",
]

#: What a walk meets of one of its pieces, as bits (the rule of
#: :func:`routing._kernels.verdict.route_verdict`, which decides the verdict): some of it is walked
#: (the walk's fraction on it grows); the walk goes on past its head (every piece but the last); the
#: walk starts on its tail node (the first piece, from fraction 0).
MEETS_WALKED, MEETS_THROUGH, MEETS_FROM_TAIL = 1, 2, 4


def piece_meets(count: int, start: float, end: float) -> list[int]:
    """Per piece of a walk over ``count`` edges from fraction ``start`` of the first to ``end``
    of the last: the ``MEETS_*`` bits. An end piece of no length is not walked: a walk that
    starts at the head of its first edge meets nothing along it (only what lies at that head,
    where it goes on), and one that ends at the tail of its last edge meets nothing of it."""
    if count <= 0:
        return []
    out = [MEETS_WALKED | MEETS_THROUGH] * count
    first_end = end if count == 1 else 1.0
    out[0] = (MEETS_WALKED if first_end > start else 0) | (MEETS_FROM_TAIL if start == 0.0 else 0)
    if count > 1:
        out[0] |= MEETS_THROUGH
        out[-1] = MEETS_WALKED if end > 0.0 else 0
    return out


def transition_delay_s(
    profile: Profile, kerb_count: np.ndarray, crossing_share: np.ndarray
) -> np.ndarray:
    """Per edge: the seconds the profile loses past the edge's head (kerbs and road crossings).

    Counted for every piece but the last of a walk (the walk ends before the head).
    """
    return np.asarray(kerb_count, dtype=np.float64) * float(profile.kerb_delay_s) + np.asarray(
        crossing_share, dtype=np.float64
    ) * float(profile.crossing_delay_s)


@overload
def walking_time_s(profile: Profile, length_m: float, delay_s: float = 0.0) -> float: ...
@overload
def walking_time_s(
    profile: Profile, length_m: np.ndarray, delay_s: np.ndarray | float = 0.0
) -> np.ndarray: ...
def walking_time_s(
    profile: Profile, length_m: float | np.ndarray, delay_s: float | np.ndarray = 0.0
) -> float | np.ndarray:
    """Real walking time: ``length_m`` at the profile's walking speed plus ``delay_s`` (the sum
    of :func:`transition_delay_s` over the heads walked past). Scalars or arrays alike."""
    return length_m / profile.walking_speed_mps + delay_s


def walked_length_m(lengths_m: np.ndarray, start: float, end: float) -> float:
    """Metres walked over edges of ``lengths_m`` (in walking order), from fraction ``start`` of
    the first to ``end`` of the last: the walk's length a route's detour is measured against."""
    if len(lengths_m) == 1:
        return float(lengths_m[0]) * (end - start)
    total = float(np.add.reduce(lengths_m))
    return total - (start * float(lengths_m[0]) + (1.0 - end) * float(lengths_m[-1]))


def detour(distance_m: float, walk_distance_m: float) -> dict[str, float]:
    """A route's detour against the plain walking route between the same points.

    ``walk_distance_m`` and ``extra_distance_m`` to 0.1 m, ``ratio`` (route ÷ walk) to three
    decimals, 1.0 when the walk has no length.
    """
    return {
        "walk_distance_m": _round(walk_distance_m, 1),
        "extra_distance_m": _round(distance_m - walk_distance_m, 1),
        "ratio": _round(distance_m / walk_distance_m, 3) if walk_distance_m > 0 else 1.0,
    }


def _round(x: float, digits: int) -> float:
    """``round(x, digits)``, as fast for a numpy float as for a Python one.

    A walk distance summed by numpy is a ``np.float64``, whose ``round`` is ``np.round`` (a
    numpy float, rounded as numpy does) at a few microseconds a call; :func:`round_as_numpy`
    gives the same value without numpy's per-call cost. Any other value: ``round`` itself.
    """
    if type(x) is np.float64:
        return np.float64(round_as_numpy(float(x), digits))
    return round(x, digits)
