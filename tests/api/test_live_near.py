"""The ellipse test of live obstacles: the circle around an obstacle's ends never rules out an
obstacle the exact test (every end, numpy) finds inside (hypothesis against the exact test)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from api.obstacles.live import ActiveObstacle

coord = st.floats(-5000.0, 5000.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    ends=st.lists(st.tuples(coord, coord), min_size=1, max_size=12),
    a=st.tuples(coord, coord),
    b=st.tuples(coord, coord),
    bound=st.floats(0.0, 20000.0),
)
def test_the_circle_never_rules_out_an_end_inside(
    ends: list[tuple[float, float]], a: tuple[float, float], b: tuple[float, float], bound: float
) -> None:
    x = np.array([p[0] for p in ends])
    y = np.array([p[1] for p in ends])
    info = ActiveObstacle.of("o", 1, "r", {}, np.zeros(0, dtype=np.int64), x, y)
    cx, cy, radius = info.circle
    assert np.all(np.hypot(x - cx, y - cy) <= radius + 1e-9)
    exact = float((np.hypot(x - a[0], y - a[1]) + np.hypot(x - b[0], y - b[1])).min())
    coarse = math.hypot(cx - a[0], cy - a[1]) + math.hypot(cx - b[0], cy - b[1]) - 2 * radius
    assert coarse <= exact + 1e-6  # so coarse > bound implies exact > bound


def test_an_obstacle_without_ends_has_no_circle() -> None:
    empty = np.zeros(0)
    info = ActiveObstacle.of("o", 1, "r", {}, np.zeros(0, dtype=np.int64), empty, empty)
    assert info.circle[2] < 0
