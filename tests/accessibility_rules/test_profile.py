"""Tests for accessibility_rules.profile: presets, overrides, errors and the parameter table."""

from __future__ import annotations

import math
import tomllib
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules import profile as profile_module
from accessibility_rules.attributes import (
    BarrierKind,
    Mobility,
    Smoothness,
    SurfaceClass,
)
from accessibility_rules.profile import (
    BarrierName,
    Profile,
    Severity,
    SmoothnessName,
    SurfaceName,
    UnknownPolicy,
    UnknownTreatment,
    load_preset,
    make_profile,
    parameter_names,
    parameter_table,
    parse_override_value,
    preset_names,
)
from accessibility_rules.profile_errors import (
    ParameterOutOfRangeError,
    ProfileError,
    UnknownParameterError,
    UnknownProfileError,
)

PRESET_DIR = Path(profile_module.__file__).parent / "profiles"
EXPECTED_PRESETS = [
    "allergy",
    "blind",
    "dog_walk",
    "elderly",
    "electric_wheelchair",
    "low_vision",
    "rollator",
    "stroller",
    "walk",
    "wheelchair",
]
META = {"name", "label_de", "label_en"}
SEVERITY = {UnknownTreatment.ACCEPT: 0, UnknownTreatment.PENALIZE: 1, UnknownTreatment.FORBID: 2}


def _get(profile: Profile, key: str) -> object:
    parent, _, leaf = key.rpartition(".")
    return getattr(getattr(profile, parent) if parent else profile, leaf)


# ------------------------------------------------------------------------------- vocabulary


@pytest.mark.parametrize(
    ("literal", "enum", "excluded"),
    [
        (SurfaceName, SurfaceClass, "unknown"),
        (SmoothnessName, Smoothness, "unknown"),
        (BarrierName, BarrierKind, "none"),
    ],
)
def test_name_literals_match_attribute_enums(
    literal: object, enum: type[Enum], excluded: str
) -> None:
    expected = [m.name.lower() for m in enum if m.name.lower() != excluded]
    assert list(typing.get_args(literal)) == expected


# ---------------------------------------------------------------------------------- presets


def test_preset_names_are_the_ten_files() -> None:
    assert preset_names() == EXPECTED_PRESETS


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_preset_loads_and_validates(name: str) -> None:
    profile = load_preset(name)
    assert isinstance(profile, Profile)
    assert profile.name == name
    assert not profile.customised
    assert profile.label_de
    assert profile.label_en
    # a round trip through the model re-validates every value, including the cross-field rules
    assert Profile.model_validate(profile.model_dump()) == profile
    assert load_preset(name) is profile  # cached


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_preset_lists_every_field_explicitly(name: str) -> None:
    data = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    top = set(data) - {"unknown", "severity"}
    expected_top = set(Profile.model_fields) - {"unknown", "severity", "customised"}
    assert top == expected_top
    assert set(data["unknown"]) == set(UnknownPolicy.model_fields)
    assert set(data["severity"]) == set(Severity.model_fields)


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_preset_comments_every_parameter(name: str) -> None:
    lines = (PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    for line in lines:
        if "=" in line and not line.startswith((" ", "#", "]")):
            assert "#" in line, f"{name}.toml: no reason given for {line!r}"


def test_preset_missing_a_parameter_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (PRESET_DIR / "walk.toml").read_text(encoding="utf-8")
    broken = "\n".join(ln for ln in text.splitlines() if not ln.startswith("kerb_delay_s"))
    (tmp_path / "walk.toml").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(profile_module, "_preset_dir", lambda: tmp_path)
    profile_module._load_preset.cache_clear()
    try:
        with pytest.raises(ValueError, match="kerb_delay_s"):
            load_preset("walk")
    finally:
        profile_module._load_preset.cache_clear()


def test_unknown_preset_raises_with_known_names() -> None:
    with pytest.raises(UnknownProfileError) as info:
        load_preset("hoverboard")
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, ProfileError)
    message = str(info.value)
    assert "hoverboard" in message
    for name in EXPECTED_PRESETS:
        assert name in message
    with pytest.raises(UnknownProfileError):
        make_profile("../walk")


def test_walk_has_no_hard_limits() -> None:
    walk = load_preset("walk")
    assert walk.max_incline_percent is None
    assert walk.max_kerb_height_cm is None
    assert walk.max_step_count is None
    assert walk.min_width_m is None
    assert walk.worst_smoothness is None
    assert not walk.avoid_steps
    assert not walk.require_handrail_on_steps
    assert not walk.avoid_surfaces
    assert not walk.avoid_barriers
    assert not walk.require_lit
    assert not walk.require_acoustic_signals
    assert not walk.require_tactile_paving
    assert not walk.respect_wheelchair_no
    assert all(t is UnknownTreatment.ACCEPT for t in walk.unknown.model_dump().values())


def _limit(value: float | None) -> float:
    return math.inf if value is None else value


def _smooth_rank(name: str | None) -> int:
    return Smoothness.IMPASSABLE if name is None else Smoothness[name.upper()]


def test_wheelchair_is_stricter_than_walk_on_every_limit() -> None:
    walk, chair = load_preset("walk"), load_preset("wheelchair")
    assert _limit(chair.max_incline_percent) < _limit(walk.max_incline_percent)
    assert chair.comfortable_incline_percent < walk.comfortable_incline_percent
    assert chair.incline_penalty_per_percent > walk.incline_penalty_per_percent
    assert _limit(chair.max_kerb_height_cm) < _limit(walk.max_kerb_height_cm)
    assert chair.kerb_delay_s > walk.kerb_delay_s
    assert chair.avoid_steps
    assert not walk.avoid_steps
    assert _limit(chair.max_step_count) < _limit(walk.max_step_count)
    assert chair.steps_penalty_factor > walk.steps_penalty_factor
    assert walk.min_width_m is None
    assert chair.min_width_m is not None
    assert chair.avoid_surfaces > walk.avoid_surfaces
    assert chair.surface_penalty_factor > walk.surface_penalty_factor
    assert _smooth_rank(chair.worst_smoothness) < _smooth_rank(walk.worst_smoothness)
    assert chair.mobility is Mobility.WHEELCHAIR  # barriers.csv refuses stiles, turnstiles …
    assert walk.mobility is Mobility.FOOT
    assert chair.respect_wheelchair_no
    assert not walk.respect_wheelchair_no
    assert chair.crossing_delay_s > walk.crossing_delay_s
    assert chair.unmarked_crossing_penalty_s > walk.unmarked_crossing_penalty_s
    assert chair.carriageway_penalty_factor > walk.carriageway_penalty_factor
    for attribute in UnknownPolicy.model_fields:
        assert (
            SEVERITY[getattr(chair.unknown, attribute)]
            >= SEVERITY[getattr(walk.unknown, attribute)]
        )
    for attribute in ("incline", "kerb_height", "width", "surface"):
        assert getattr(chair.unknown, attribute) is UnknownTreatment.PENALIZE


def test_wheelchair_preset_matches_the_brief() -> None:
    chair = load_preset("wheelchair")
    assert chair.max_incline_percent == 6.0  # DIN 18040
    assert chair.max_kerb_height_cm == 3.0
    assert chair.min_width_m == 0.9
    assert chair.worst_smoothness == "intermediate"
    power = load_preset("electric_wheelchair")
    assert power.avoid_steps
    assert power.min_width_m == 1.0
    assert _limit(power.max_incline_percent) > _limit(chair.max_incline_percent)


def test_blind_preset_prefers_but_does_not_require_crossing_aids() -> None:
    blind = load_preset("blind")
    assert blind.max_incline_percent is None
    assert not blind.require_acoustic_signals
    assert not blind.require_tactile_paving
    assert blind.missing_acoustic_signal_penalty_s > 0
    assert blind.missing_tactile_paving_penalty_s > 0
    assert blind.unmarked_crossing_penalty_s > 0
    assert blind.unknown.acoustic_signal is UnknownTreatment.PENALIZE
    assert blind.unknown.tactile_paving is UnknownTreatment.PENALIZE


def test_profiles_are_immutable_and_hashable() -> None:
    chair = load_preset("wheelchair")
    with pytest.raises(ValueError, match="frozen"):
        chair.walking_speed_mps = 2.0
    assert hash(chair) == hash(make_profile("wheelchair", {}))


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_the_remembered_hash_agrees_with_equality(name: str) -> None:
    """The hash is computed once per object (a slot); equal profiles still hash alike, unequal
    ones made from a hashed one by ``model_copy`` get their own, and the memo is not a field."""
    preset = load_preset(name)
    first = hash(preset)
    assert hash(preset) == first == hash(load_preset(name))
    faster = make_profile(name, {"walking_speed_mps": preset.walking_speed_mps * 0.5})
    copied = preset.model_copy(update={"walking_speed_mps": faster.walking_speed_mps})
    assert copied != preset
    assert hash(copied) == hash(faster.model_copy(update={"customised": False}))
    assert hash(copied) != first  # (a collision of two 64-bit hashes would be a miracle)
    assert "_hash_memo" not in preset.model_dump()
    assert preset == load_preset(name)
    assert {preset: 1}[load_preset(name)] == 1


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_profile_json_round_trip(name: str) -> None:
    profile = load_preset(name)
    text = profile.model_dump_json()
    assert Profile.model_validate_json(text) == profile
    assert text == load_preset(name).model_dump_json()  # sets are written sorted


# -------------------------------------------------------------------------------- overrides


def test_override_flat_keeps_name_and_marks_customised() -> None:
    profile = make_profile("wheelchair", {"max_incline_percent": 8.0, "avoid_steps": False})
    assert profile.max_incline_percent == 8.0
    assert not profile.avoid_steps
    assert profile.name == "wheelchair"
    assert profile.customised
    assert load_preset("wheelchair").max_incline_percent == 6.0  # the cached preset is untouched


def test_override_with_the_same_values_is_not_customised() -> None:
    chair = load_preset("wheelchair")
    assert not make_profile("wheelchair").customised
    assert not make_profile("wheelchair", {"max_kerb_height_cm": 3}).customised
    assert make_profile("wheelchair", {"max_kerb_height_cm": 3}) == chair


def test_override_dotted_and_nested_unknown_keys() -> None:
    dotted = make_profile("walk", {"unknown.incline": "forbid"})
    nested = make_profile("walk", {"unknown": {"incline": "forbid"}})
    assert dotted == nested
    assert dotted.unknown.incline is UnknownTreatment.FORBID
    assert dotted.unknown.kerb_height is UnknownTreatment.ACCEPT
    both = make_profile("walk", {"unknown.lit": "penalize", "unknown": {"lit": "penalize"}})
    assert both.unknown.lit is UnknownTreatment.PENALIZE


def test_override_twice_with_different_values_is_refused() -> None:
    with pytest.raises(ParameterOutOfRangeError, match=r"unknown\.lit is given twice"):
        make_profile("walk", {"unknown.lit": "penalize", "unknown": {"lit": "forbid"}})


def test_override_from_a_profile_object() -> None:
    base = make_profile("rollator", {"walking_speed_mps": 0.6})
    again = make_profile(base, {"kerb_delay_s": 20})
    assert again.walking_speed_mps == 0.6
    assert again.kerb_delay_s == 20.0
    assert again.customised
    assert again.name == "rollator"


def test_override_from_strings() -> None:
    profile = make_profile(
        "wheelchair",
        {
            "max_incline_percent": "8",
            "max_kerb_height_cm": "none",
            "max_step_count": "0",
            "avoid_steps": "false",
            "require_lit": "Yes",
            "avoid_surfaces": "sett, cobblestone",
            "avoid_barriers": "",
            "worst_smoothness": "BAD",
            "walking_speed_mps": "0.9 m/s",
            "unknown.width": "forbid",
        },
    )
    assert profile.max_incline_percent == 8.0
    assert profile.max_kerb_height_cm is None
    assert profile.max_step_count == 0
    assert profile.avoid_steps is False
    assert profile.require_lit is True
    assert profile.avoid_surfaces == frozenset({"sett", "cobblestone"})
    assert profile.avoid_barriers == frozenset()
    assert profile.worst_smoothness == "bad"
    assert profile.walking_speed_mps == 0.9
    assert profile.unknown.width is UnknownTreatment.FORBID


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("max_incline_percent", "6", 6.0),
        ("max_incline_percent", "6 %", 6.0),
        ("max_kerb_height_cm", "3cm", 3.0),
        ("max_kerb_height_cm", "None", None),
        ("max_step_count", "3", 3),
        ("avoid_steps", "true", True),
        ("avoid_steps", "off", False),
        ("avoid_surfaces", "sett,gravel", frozenset({"sett", "gravel"})),
        ("avoid_surfaces", "none", frozenset()),
        ("worst_smoothness", " Intermediate ", "intermediate"),
        ("worst_smoothness", "null", None),
        ("unknown.incline", "Penalize", "penalize"),
    ],
)
def test_parse_override_value(key: str, text: str, expected: object) -> None:
    value = parse_override_value(key, text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("max_step_count", "2.5"),
        ("walking_speed_mps", "fast"),
        ("walking_speed_mps", "none"),
        ("avoid_steps", "maybe"),
        ("max_incline_percent", "6 cm"),
    ],
)
def test_parse_override_value_rejects_unreadable_text(key: str, text: str) -> None:
    with pytest.raises(ParameterOutOfRangeError) as info:
        parse_override_value(key, text)
    assert info.value.parameter == key
    assert key in str(info.value)


# ----------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("max_kerb_height_cm", 80, "max_kerb_height_cm must be between 0 and 50 cm"),
        ("max_kerb_height_cm", "80", "max_kerb_height_cm must be between 0 and 50 cm"),
        ("walking_speed_mps", 0.1, "walking_speed_mps must be between 0.2 and 3 m/s"),
        ("walking_speed_mps", 3.5, "walking_speed_mps must be between 0.2 and 3 m/s"),
        ("max_incline_percent", -1, "max_incline_percent must be between 0 and 100 %"),
        ("incline_penalty_per_percent", 6, "between 0 and 5 1/%"),
        ("max_step_count", 1001, "max_step_count must be a whole number between 0 and 1000"),
        ("surface_penalty_factor", 0.5, "surface_penalty_factor must be between 1 and 100 ×"),
        ("crossing_delay_s", 601, "crossing_delay_s must be between 0 and 600 s"),
        ("unknown_transition_penalty_s", -5, "between 0 and 3600 s"),
        ("min_width_m", 11, "min_width_m must be between 0 and 10 m"),
    ],
)
def test_out_of_range_is_rejected_with_name_and_range(
    key: str, value: float | str, expected: str
) -> None:
    with pytest.raises(ParameterOutOfRangeError) as info:
        make_profile("wheelchair", {key: value})
    error = info.value
    assert expected in str(error)
    assert str(error).endswith(f"got {value}")
    assert error.parameter == key
    assert error.minimum is not None
    assert error.maximum is not None
    assert error.minimum <= error.maximum
    assert error.value == (float(value) if isinstance(value, str) else value)  # as parsed
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("value", "said"),
    [(50.0000001, "50.0000001"), (1e10, "10000000000"), (1e300, "1e+300"), (-1e-07, "-1e-07")],
)
def test_a_value_out_of_range_is_quoted_in_full(value: float, said: str) -> None:
    """A number is quoted as given: "got 50" for 50.0000001 (limit 50) read as within it."""
    with pytest.raises(ParameterOutOfRangeError) as info:
        make_profile("wheelchair", {"max_kerb_height_cm": value})
    assert str(info.value).endswith(f"got {said}")


def test_error_attributes_carry_range_and_unit() -> None:
    with pytest.raises(ParameterOutOfRangeError) as info:
        make_profile("walk", {"max_kerb_height_cm": 80})
    error = info.value
    assert (error.parameter, error.minimum, error.maximum, error.unit, error.value) == (
        "max_kerb_height_cm",
        0.0,
        50.0,
        "cm",
        80,
    )
    assert str(error).startswith("max_kerb_height_cm must be between 0 and 50 cm")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "nan", "inf"])
@pytest.mark.parametrize("key", ["walking_speed_mps", "max_incline_percent", "kerb_delay_s"])
def test_nan_and_inf_are_rejected(key: str, bad: float | str) -> None:
    with pytest.raises(ParameterOutOfRangeError) as info:
        make_profile("walk", {key: bad})
    assert info.value.parameter == key


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("walking_speed_mps", True),
        ("walking_speed_mps", None),
        ("max_step_count", 2.5),
        ("avoid_steps", 1),
        ("worst_smoothness", "awful"),
        ("avoid_surfaces", ["sett", "lava"]),
        ("avoid_barriers", ["none"]),
        ("unknown.incline", "ignore"),
        ("unknown", "forbid"),
    ],
)
def test_wrong_types_and_choices_are_rejected(key: str, value: Any) -> None:
    with pytest.raises(ParameterOutOfRangeError) as info:
        make_profile("walk", {key: value})
    assert info.value.parameter == key
    assert key in str(info.value)


def test_a_whole_number_written_with_a_fraction_of_zero_is_that_number() -> None:
    """``2.0`` is the integer 2 (JSON Schema's ``integer``, as the API's other integer fields
    take it), in JSON and as text; ``2.5`` is refused either way."""
    for value in (2.0, 2):
        profile = make_profile("wheelchair", {"max_step_count": value})
        assert profile.max_step_count == 2
        assert type(profile.max_step_count) is int
    assert parse_override_value("max_step_count", "2.0") == 2
    assert type(parse_override_value("max_step_count", "2.0")) is int
    with pytest.raises(ParameterOutOfRangeError, match="whole number between 0 and 1000"):
        make_profile("wheelchair", {"max_step_count": 2.5})
    with pytest.raises(ParameterOutOfRangeError, match="whole number between 0 and 1000"):
        make_profile("wheelchair", {"max_step_count": 1001.0})


def test_set_error_names_the_bad_item() -> None:
    with pytest.raises(ParameterOutOfRangeError, match="'lava' not allowed") as info:
        make_profile("walk", {"avoid_surfaces": "sett,lava"})
    assert "cobblestone" in (info.value.choices or [])


def test_comfortable_incline_cannot_exceed_the_limit() -> None:
    """Stated together and contradictory: refused, naming the comfortable incline."""
    with pytest.raises(ParameterOutOfRangeError) as info:
        make_profile("wheelchair", {"max_incline_percent": 2, "comfortable_incline_percent": 2.5})
    error = info.value
    assert error.parameter == "comfortable_incline_percent"
    assert error.maximum == 2
    assert "cannot exceed max_incline_percent" in str(error)
    # lowering both together is fine; no limit at all is fine too
    both = make_profile("wheelchair", {"max_incline_percent": 2, "comfortable_incline_percent": 1})
    assert both.comfortable_incline_percent == 1
    assert make_profile("wheelchair", {"max_incline_percent": None}).max_incline_percent is None
    # a base profile whose own values contradict is refused too (nothing of it is changed)
    with pytest.raises(ParameterOutOfRangeError):
        make_profile(load_preset("wheelchair"), {"comfortable_incline_percent": 7})


@pytest.mark.parametrize(
    ("preset", "limit", "comfort"),
    [("wheelchair", 2, 2.0), ("wheelchair", "2.5 %", 2.5), ("electric_wheelchair", 5, 5.0),
     ("rollator", 0, 0.0), ("wheelchair", 4, 3.0), ("electric_wheelchair", 8.5, 6.0)],
)  # fmt: skip
def test_a_lowered_limit_takes_the_unstated_comfortable_incline_with_it(
    preset: str, limit: float | str, comfort: float
) -> None:
    """A user who lowers only the slope limit gets a profile (the preset's comfortable incline
    taken down to the limit, where it was above it), not an error about a value never sent."""
    profile = make_profile(preset, {"max_incline_percent": limit})
    assert profile.comfortable_incline_percent == comfort
    assert profile.comfortable_incline_percent <= (profile.max_incline_percent or 0.0)
    assert profile.customised
    chained = make_profile(profile, {"max_incline_percent": 1})  # down only, never up
    assert chained.comfortable_incline_percent == min(comfort, 1.0)


def test_nothing_is_clamped() -> None:
    with pytest.raises(ParameterOutOfRangeError):
        make_profile("walk", {"walking_speed_mps": 3.0001})
    assert make_profile("walk", {"walking_speed_mps": 3.0}).walking_speed_mps == 3.0


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("max_inclin_percent", "max_incline_percent"),
        ("max_kerb_height", "max_kerb_height_cm"),
        ("unknown.inclne", "unknown.incline"),
        ("walking_speed", "walking_speed_mps"),
    ],
)
def test_unknown_key_suggests_close_matches(key: str, suggestion: str) -> None:
    with pytest.raises(UnknownParameterError) as info:
        make_profile("walk", {key: 1})
    assert suggestion in info.value.suggestions
    assert repr(suggestion) in str(info.value)
    assert key in str(info.value)


def test_unknown_nested_key_suggests_close_matches() -> None:
    with pytest.raises(UnknownParameterError, match=r"unknown\.kerb_height"):
        make_profile("walk", {"unknown": {"kerb_hieght": "forbid"}})


@pytest.mark.parametrize("key", ["name", "label_de", "customised", 3])
def test_metadata_and_odd_keys_cannot_be_overridden(key: Any) -> None:
    with pytest.raises(UnknownParameterError):
        make_profile("walk", {key: "x"})


# ------------------------------------------------------------------------------------ table


def test_parameter_table_covers_every_field() -> None:
    rows = parameter_table()
    names = [row["name"] for row in rows]
    top = set(Profile.model_fields) - META - {"customised", "unknown", "severity"}
    nested = {f"unknown.{n}" for n in UnknownPolicy.model_fields}
    nested |= {f"severity.{n}" for n in Severity.model_fields}
    assert set(names) == top | nested
    assert len(names) == len(set(names))
    assert names == parameter_names()


def test_parameter_table_rows_are_complete() -> None:
    for row in parameter_table():
        assert set(row) >= {"name", "type", "unit", "minimum", "maximum", "choices"}
        assert row["description"]
        assert set(row["defaults"]) == set(EXPECTED_PRESETS)
        if row["type"] in ("number", "integer"):
            assert row["unit"], row["name"]
            assert row["minimum"] is not None
            assert row["maximum"] is not None
            for value in row["defaults"].values():
                assert value is None or row["minimum"] <= value <= row["maximum"]
        if row["type"] in ("enum", "set"):
            assert row["choices"]
        if row["type"] == "set":
            assert all(isinstance(v, list) for v in row["defaults"].values())


@pytest.mark.parametrize(
    ("name", "unit", "kind"),
    [
        ("walking_speed_mps", "m/s", "number"),
        ("max_incline_percent", "%", "number"),
        ("incline_penalty_per_percent", "1/%", "number"),
        ("max_kerb_height_cm", "cm", "number"),
        ("min_width_m", "m", "number"),
        ("kerb_delay_s", "s", "number"),
        ("steps_penalty_factor", "×", "number"),
        ("max_step_count", "steps", "integer"),
        ("avoid_steps", None, "boolean"),
        ("worst_smoothness", None, "enum"),
        ("avoid_surfaces", None, "set"),
        ("unknown.incline", None, "enum"),
        ("estimated_incline_breaks_limit", None, "boolean"),
        ("severity.steps_s", "s", "number"),
        ("severity.steps_s_per_m", "s/m", "number"),
        ("severity.step_count_s_per_step", "s/step", "number"),
        ("severity.incline_s_per_m_per_percent", "s/(m·%)", "number"),
        ("severity.kerb_s_per_cm", "s/cm", "number"),
        ("severity.width_s_per_cm", "s/cm", "number"),
        ("severity.smoothness_s_per_m_per_grade", "s/(m·grade)", "number"),
        ("severity.barrier_s", "s", "number"),
    ],
)
def test_parameter_table_units_and_types(name: str, unit: str | None, kind: str) -> None:
    row = next(r for r in parameter_table() if r["name"] == name)
    assert row["unit"] == unit
    assert row["type"] == kind


def test_parameter_table_defaults_match_presets() -> None:
    for row in parameter_table():
        for preset, value in row["defaults"].items():
            actual = _get(load_preset(preset), row["name"])
            if isinstance(actual, frozenset):
                actual = sorted(actual)
            assert value == actual


# ------------------------------------------------------------------------------- hypothesis

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["none", "true", "6", "6 %", "accept", "forbid", "sett,gravel", "bad"]),
    st.lists(st.sampled_from([*typing.get_args(SurfaceName), "lava", "stile"]), max_size=4),
    st.frozensets(st.sampled_from(typing.get_args(BarrierName)), max_size=3),
    st.sampled_from(list(UnknownTreatment)),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)
_KEYS = st.sampled_from([*parameter_names(), "unknown", "severity"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(EXPECTED_PRESETS),
    overrides=st.dictionaries(_KEYS, _VALUES, max_size=5),
    nested=st.dictionaries(st.sampled_from(list(UnknownPolicy.model_fields)), _VALUES, max_size=3),
)
def test_make_profile_returns_a_valid_profile_or_a_domain_error(
    base: str, overrides: dict[str, Any], nested: dict[str, Any]
) -> None:
    if nested:
        overrides = {**overrides, "unknown": nested}
    try:
        profile = make_profile(base, overrides)
    except (ParameterOutOfRangeError, UnknownParameterError) as exc:
        error: ProfileError | None = exc
    else:
        error = None
    if error is not None:
        assert str(error).strip()  # a sentence, never an empty message
        return
    assert isinstance(profile, Profile)
    assert Profile.model_validate(profile.model_dump()) == profile
    assert profile.name == base
    for key in parameter_names():
        value = _get(profile, key)
        if isinstance(value, float):
            assert math.isfinite(value)


# --------------------------------------------------------------------------------- severity


def test_severity_is_set_dotted_or_nested_and_rejected_out_of_range() -> None:
    dotted = make_profile("wheelchair", {"severity.kerb_s_per_cm": "5e6"})
    nested = make_profile("wheelchair", {"severity": {"kerb_s_per_cm": 5e6}})
    assert dotted == nested
    assert dotted.severity.kerb_s_per_cm == 5e6
    assert dotted.customised
    for bad in (-1.0, 1e11, math.nan, math.inf):
        with pytest.raises(ParameterOutOfRangeError) as info:
            make_profile("wheelchair", {"severity.steps_s": bad})
        assert info.value.parameter == "severity.steps_s"
        assert info.value.unit == "s"
    with pytest.raises(ParameterOutOfRangeError, match="severity must be a table"):
        make_profile("walk", {"severity": 3})
    with pytest.raises(UnknownParameterError, match=r"severity\.kerb_s_per_cm"):
        make_profile("walk", {"severity": {"kerb_s_per_mm": 1.0}})


def test_preset_severities_read_impassable_versus_hard_work() -> None:
    """Steps and barriers weigh like being carried; a little too steep or too high like effort."""
    chair = load_preset("wheelchair").severity
    flight = chair.steps_s + 1.0 * chair.steps_s_per_m  # one metre: about three steps
    slope = 95.0 * 1.0 * chair.incline_s_per_m_per_percent  # the KL case: 95 m at 7 %
    kerb = 1.0 * chair.kerb_s_per_cm  # a 4 cm kerb
    assert flight >= 1e8
    assert chair.barrier_s >= 1e8
    assert chair.wheelchair_no_s >= 1e8
    assert slope < 1e7
    assert kerb < 1e7
    assert flight > 10 * (slope + kerb)
    power = load_preset("electric_wheelchair").severity
    assert power.steps_s >= chair.steps_s  # a power chair cannot even be carried


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_estimated_inclines_do_not_break_limits_in_any_preset(name: str) -> None:
    assert load_preset(name).estimated_incline_breaks_limit is False
