"""Profiles that differ only in fields no weight reads share their weights (one metric).

``weights_profile`` is the key the router caches a metric under: an elderly user who sets their
own distance between seats is served the preset's metric (own landmarks, no weighing pass).
Checked here: each of :data:`WEIGHTLESS_FIELDS` changes nothing the weight kernel reads, the
mapping itself, and the router's use of it (one metric, the user's own rest limit kept).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.profile import Profile, load_preset, make_profile, preset_names
from accessibility_rules.weights import WEIGHTLESS_FIELDS, profile_inputs, weights_profile

#: A value of each weightless field unlike every preset's.
_OTHER: dict[str, Any] = {
    "customised": True,
    "label_de": "Meine Einstellungen",
    "label_en": "My settings",
    "max_distance_between_rests_m": 137.0,
}

#: The day conditions a preset can be weighed in: none, in the dark, pollen in flight.
_CONDITIONS = (
    DEFAULT_CONDITIONS,
    Conditions(dark=True),
    Conditions(pollen=(("betula", 3.0), ("grasses", 2.0)), dark=False),
)


def test_every_weightless_field_is_a_profile_field() -> None:
    assert set(WEIGHTLESS_FIELDS) == set(_OTHER)
    assert set(WEIGHTLESS_FIELDS) <= set(Profile.model_fields)


@pytest.mark.parametrize("preset", preset_names())
@pytest.mark.parametrize("field", WEIGHTLESS_FIELDS)
def test_a_weightless_field_changes_nothing_the_kernel_reads(preset: str, field: str) -> None:
    base = load_preset(preset)
    changed = base.model_copy(update={field: _OTHER[field]})
    assert changed != base
    for conditions in _CONDITIONS:
        for a, b in zip(
            profile_inputs(base, conditions), profile_inputs(changed, conditions), strict=True
        ):
            np.testing.assert_array_equal(a, b)
    assert changed.mobility == base.mobility  # the kernel's other profile input


def test_a_preset_is_its_own_key() -> None:
    for name in preset_names():
        preset = load_preset(name)
        assert weights_profile(preset) is preset


@pytest.mark.parametrize(("preset", "limit_m"), [("elderly", 200.0), ("rollator", 400.0)])
def test_a_rest_limit_alone_keeps_the_presets_weights(preset: str, limit_m: float) -> None:
    personal = make_profile(preset, {"max_distance_between_rests_m": limit_m})
    assert personal.customised
    assert personal.max_distance_between_rests_m == limit_m
    assert weights_profile(personal) is load_preset(preset)
    none = make_profile("elderly", {"max_distance_between_rests_m": None})
    assert weights_profile(none) is load_preset("elderly")


def test_weight_changes_are_kept_and_rest_limits_shared() -> None:
    preset = load_preset("elderly")
    a = make_profile("elderly", {"max_distance_between_rests_m": 200.0, "max_kerb_height_cm": 2})
    b = make_profile("elderly", {"max_distance_between_rests_m": 500.0, "max_kerb_height_cm": 2})
    key = weights_profile(a)
    assert key != preset
    assert key.customised
    assert key.max_kerb_height_cm == 2
    assert key.max_distance_between_rests_m == preset.max_distance_between_rests_m
    assert weights_profile(b) == key
    assert hash(weights_profile(b)) == hash(key)
