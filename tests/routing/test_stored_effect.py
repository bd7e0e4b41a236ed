"""A stored effect read back (:func:`routing.obstacles.effect.stored_effect`): what the schema's
own validation gives, one object for equal values, and refused as the schema refuses, whatever
was cached before (``True`` and ``1`` are equal keys in Python, not in the schema)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from routing.obstacles.effect import ObstacleEffect, stored_effect

values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 60), st.floats(-1.0, 60.0, allow_nan=False),
    st.sampled_from(["gravel", "bad", "no", "yes", "asphalt", "3"]),
)  # fmt: skip
names = st.sampled_from(
    ["closed", "elevator_out_of_service", "width_m", "kerb_height_cm", "surface", "smoothness",
     "step_count", "wheelchair", "colour"]
)  # fmt: skip


def _outcome(data: dict[str, Any]) -> ObstacleEffect | str:
    try:
        return ObstacleEffect.model_validate(data)
    except ValidationError as exc:
        return f"refused: {exc.error_count()}"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.dictionaries(names, values, max_size=4), min_size=1, max_size=6))
def test_a_stored_effect_is_what_validation_gives(effects: list[dict[str, Any]]) -> None:
    for data in effects:  # several in turn: a cached one never answers for another
        try:
            got: ObstacleEffect | str = stored_effect(data)
        except ValidationError as exc:
            got = f"refused: {exc.error_count()}"
        assert got == _outcome(data)


def test_equal_effects_are_one_object_and_true_is_not_one() -> None:
    first = stored_effect({"closed": True, "width_m": 0.8})
    assert stored_effect({"width_m": 0.8, "closed": True}) is first
    with pytest.raises(ValidationError):
        stored_effect({"closed": 1})
    with pytest.raises(ValidationError):
        stored_effect({"width_m": "0.8"})
    with pytest.raises(ValidationError):
        stored_effect({"surface": ["gravel"]})  # not hashable: validated, refused
