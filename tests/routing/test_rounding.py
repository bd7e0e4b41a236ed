"""``round_like_python`` and ``round_float`` against Python's own ``round``, value by value.

The fast path (numpy's ``rint`` of the scaled value) must never differ from ``round``; the
values near a half, where numpy's product can land on the other side, are the ones that matter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.rounding import round_float, round_like_python


def same(a: float, b: float) -> bool:
    """Equal as values and as JSON would print them (NaN equals NaN, -0.0 is not 0.0)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


#: Values whose product with a power of ten lies within an ulp of a half: numpy's ``round``
#: gets several of them wrong (0.15 → 0.2, 2.675 → 2.68 at two digits: Python says 0.1, 2.67).
NEAR_HALVES = [0.15, 0.25, 0.35, 1.005, 2.675, 1.45, -0.15, -2.675, 0.05, 1e-7, 1234.55, 999.95]


@pytest.mark.parametrize("digits", [1, 2, 3])
def test_near_halves_and_specials(digits: int) -> None:
    values = [*NEAR_HALVES, 0.0, -0.0, -0.04, math.nan, math.inf, -math.inf]
    got = round_like_python(np.asarray(values), digits)
    for x, y in zip(values, got, strict=True):
        assert same(y, round(x, digits)), (x, digits, y)


def test_numpy_alone_would_differ() -> None:
    """The near-half guard is needed: np.round disagrees with round on some of these."""
    assert any(float(np.round(x, 1)) != round(x, 1) for x in NEAR_HALVES)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
            # k/20 ± a few ulps: products at a half, the hard cases
            st.integers(-20_000, 20_000).map(lambda k: k / 20.0),
            st.integers(-20_000, 20_000).map(lambda k: math.nextafter(k / 20.0, math.inf)),
            st.integers(-20_000, 20_000).map(lambda k: math.nextafter(k / 20.0, -math.inf)),
            st.integers(-200_000, 200_000).map(lambda k: k / 200.0),
        ),
        max_size=60,
    ),
    st.integers(1, 3),
)
def test_equals_round(values: list[float], digits: int) -> None:
    got = round_like_python(np.asarray(values, dtype=np.float64), digits)
    assert len(got) == len(values)
    for x, y in zip(values, got, strict=True):
        assert same(y, round(x, digits)), (x, digits, y)


def test_digits_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="digits"):
        round_like_python(np.zeros(2), 0)


def test_values_of_one_dimension_only() -> None:
    with pytest.raises(ValueError, match="one dimension"):
        round_like_python(np.zeros((2, 2)))


#: Floats of every kind for :func:`round_float`: any double (huge, tiny, subnormal), the values
#: a route reports, and products exactly at, and an ulp beside, a half at every digit count.
ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e10, max_value=1e10),
    st.floats(min_value=-2.0, max_value=2.0),
    st.builds(
        lambda k, d, step: (
            math.nextafter(k / (2 * 10**d), math.inf * step) if step else k / (2 * 10**d)
        ),
        st.integers(-(10**10), 10**10),
        st.integers(0, 3),
        st.sampled_from([-1, 0, 1]),
    ),
)


@pytest.mark.parametrize("digits", [0, 1, 2, 3])
def test_round_float_near_halves_and_specials(digits: int) -> None:
    values = [
        *NEAR_HALVES, 0.0, -0.0, -0.04, -0.4, -0.6, -1e-300, 5e-324, math.nan, math.inf,
        -math.inf, 1e9 / 10**digits, 1e9 / 10**digits + 0.05, 2.0**52, -(2.0**60), 0.5, -0.5,
        1.5, 2.5, 1e-9 + 0.05,
    ]  # fmt: skip
    for x in values:
        assert same(round_float(x, digits), round(x, digits)), (x, digits)


@settings(max_examples=3000, deadline=None)
@given(ANY_FLOAT, st.integers(0, 3))
def test_round_float_equals_round(x: float, digits: int) -> None:
    got = round_float(x, digits)
    assert type(got) is float
    assert same(got, round(x, digits)), (x, digits, got)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6))
def test_round_float_at_one_digit_by_default(x: float) -> None:
    assert same(round_float(x), round(x, 1))
