"""The route report's rounding shortcuts against what they stand for: :func:`round_as_numpy`
against ``np.round`` (every float, ties of the decimal and the product, zeros, NaN, ±inf) and
:func:`~routing.walking.detour` against the ``round`` calls it made before (a numpy float's
rounding stays numpy's, and its type a numpy float); :func:`~routing.walking.piece_meets`
against the verdict kernel's reading of a walk's pieces."""

from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.rounding import round_as_numpy
from routing.walking import MEETS_FROM_TAIL, MEETS_THROUGH, MEETS_WALKED, detour, piece_meets

HYP = settings(max_examples=2000, deadline=None)


def bits(x: float) -> bytes:
    """The double's bytes: equal values of different zero sign differ; NaN is NaN."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


#: Values a decimal half apart (0.15, 2.675, 1.005, ...: where np.round and Python's round
#: differ), signed zeros, infinities, NaN, huge values whose product overflows, and any double.
floats = st.one_of(
    st.builds(
        lambda n, digits: (2 * n + 1) / (2 * 10**digits),
        st.integers(-(10**9), 10**9),
        st.integers(0, 3),
    ),
    st.sampled_from([0.0, -0.0, -0.04, 0.05, -0.05, 0.5, -0.5, 1.5, 2.5, math.inf, -math.inf]),
    st.sampled_from([math.nan, 1e308, -1e308, 5e-324]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e4, 1e4),
)


@HYP
@given(x=floats, digits=st.integers(0, 3))
def test_round_as_numpy_is_np_round(x: float, digits: int) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        want = float(np.round(np.float64(x), digits))
    assert bits(round_as_numpy(x, digits)) == bits(want)


def detour_reference(distance_m: float, walk_distance_m: float) -> dict[str, float]:
    """The detour before its rounding shortcut: ``round`` of whatever type it was given."""
    return {
        "walk_distance_m": round(walk_distance_m, 1),
        "extra_distance_m": round(distance_m - walk_distance_m, 1),
        "ratio": round(distance_m / walk_distance_m, 3) if walk_distance_m > 0 else 1.0,
    }


@HYP
@given(
    distance=st.one_of(st.floats(0.0, 1e5), st.sampled_from([0.0, 12.25, 100.05])),
    walk=st.one_of(st.floats(0.01, 1e5), st.sampled_from([0.0, 12.25, 100.05, 2.675])),
    numpy_walk=st.booleans(),
)
def test_detour_rounds_as_round_did(distance: float, walk: float, numpy_walk: bool) -> None:
    """Python floats as Python's ``round``; a numpy walk distance (a numpy sum) as numpy's,
    with numpy floats out: values and types as before."""
    w = np.float64(walk) if numpy_walk else walk
    assert repr(detour(distance, w)) == repr(detour_reference(distance, w))


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(0, 5),
    start=st.sampled_from([0.0, 0.3, 1.0]),
    end=st.sampled_from([0.0, 0.6, 1.0]),
)
def test_piece_meets_is_the_verdicts_rule(count: int, start: float, end: float) -> None:
    """Per piece, as ``routing._kernels.verdict.route_verdict`` reads it: walked where the walk's
    fraction grows on it, through its head on every piece but the last, from its tail on the
    first piece when the walk starts at fraction 0."""
    if count == 1 and end < start:
        return  # not a walk
    want = []
    for i in range(count):
        s = start if i == 0 else 0.0
        t = end if i == count - 1 else 1.0
        bits = MEETS_WALKED if t > s else 0
        bits |= MEETS_THROUGH if i < count - 1 else 0
        bits |= MEETS_FROM_TAIL if i == 0 and start == 0.0 else 0
        want.append(bits)
    assert piece_meets(count, start, end) == want
