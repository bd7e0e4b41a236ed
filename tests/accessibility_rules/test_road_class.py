"""``is_road_class``: the one rule of which highway codes are roads, against the set itself."""

from __future__ import annotations

import numpy as np

from accessibility_rules.attributes import ROAD_CLASSES, HighwayClass, is_road_class


def test_is_road_class_is_membership_of_road_classes() -> None:
    codes = np.array([-1, *(int(h) for h in HighwayClass), 99, 127], dtype=np.int8)
    expected = [int(c) in {int(r) for r in ROAD_CLASSES} for c in codes]
    assert is_road_class(codes).tolist() == expected
    assert not is_road_class(np.array([-1], dtype=np.int8))[0]  # unknown is no road
    assert is_road_class(codes.reshape(1, -1)).shape == (1, codes.size)
    assert is_road_class(codes.astype(np.float64)).tolist() == expected  # codes held as floats
    assert is_road_class(np.array([])).shape == (0,)
