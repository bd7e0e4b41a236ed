"""The shared low-level helpers: the one earth model and the one concatenated-ranges rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphs.arrays import concat_ranges
from graphs.geodesy import (
    EARTH_RADIUS_M,
    METRES_PER_DEGREE,
    flat_bearing_deg,
    great_circle_m,
    haversine_m,
    metres_per_degree,
)


def test_concat_ranges_matches_a_python_loop() -> None:
    rng = np.random.default_rng(7)
    starts = rng.integers(0, 50, 200)
    stops = starts + rng.integers(0, 6, 200)  # empty ranges included
    expected = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
    got = concat_ranges(starts, stops)
    assert got.dtype == np.int64
    assert np.array_equal(got, expected)


def test_concat_ranges_of_nothing_is_empty() -> None:
    assert concat_ranges(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).size == 0
    assert concat_ranges(np.array([3, 5]), np.array([3, 5])).size == 0


def test_one_earth_model() -> None:
    assert pytest.approx(math.pi / 180 * EARTH_RADIUS_M) == METRES_PER_DEGREE
    mx, my = metres_per_degree(49.44)
    assert my == pytest.approx(METRES_PER_DEGREE)
    assert mx == pytest.approx(METRES_PER_DEGREE * math.cos(math.radians(49.44)))
    a, b = [7.7690, 49.4447], [7.7550, 49.4400]
    assert great_circle_m(a, b) == pytest.approx(float(haversine_m(a[0], a[1], b[0], b[1])))
    # one degree of latitude is METRES_PER_DEGREE long on the sphere
    assert great_circle_m([7.0, 49.0], [7.0, 50.0]) == pytest.approx(METRES_PER_DEGREE)


def test_flat_bearing() -> None:
    assert flat_bearing_deg((7.0, 49.0), (7.0, 49.001)) == pytest.approx(0.0)
    assert flat_bearing_deg((7.0, 49.0), (7.001, 49.0)) == pytest.approx(90.0)
    assert flat_bearing_deg((7.0, 49.0), (7.0, 48.999)) == pytest.approx(180.0)
