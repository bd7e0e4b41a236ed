"""``accessibility_rules.made_profiles``: a user's profile made once per preset and parameters,
against ``make_profile`` called every time."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility_rules import made_profiles
from accessibility_rules.made_profiles import MADE_PROFILES_MAX, made_profile
from accessibility_rules.profile import make_profile
from accessibility_rules.profile_errors import UnknownProfileError


@pytest.fixture(autouse=True)
def _fresh() -> None:
    made_profiles._made.clear()


def _same(a: Any, b: Any) -> bool:
    """Equal profiles that echo the same JSON (the sign of a zero, an int against a float)."""
    return a == b and a.model_dump_json() == b.model_dump_json()


def test_the_same_parameters_give_the_same_profile() -> None:
    first = made_profile("wheelchair", {"max_kerb_height_cm": 2.5})
    assert made_profile("wheelchair", {"max_kerb_height_cm": 2.5}) is first
    assert _same(first, make_profile("wheelchair", {"max_kerb_height_cm": 2.5}))
    assert made_profile("rollator", {"max_kerb_height_cm": 2.5}) is not first


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("max_kerb_height_cm", [2, 2.0, "2", "2.0"]),
        ("max_step_count", [1, 1.0, True, "1"]),
        ("max_kerb_height_cm", [0.0, -0.0, 0]),
        ("avoid_surfaces", [["sett"], ("sett",), "sett"]),
    ],
)
def test_values_that_hash_alike_are_told_apart(name: str, values: list[Any]) -> None:
    """``1``, ``1.0``, ``True`` and ``"1"`` (and ``0.0`` / ``-0.0``) are one dict key in Python;
    each gets what ``make_profile`` makes of it, or its error."""
    for value in values:
        try:
            want = make_profile("wheelchair", {name: value})
        except Exception as error:  # the validation's refusal: the same, every time
            for _ in range(2):
                with pytest.raises(type(error)):
                    made_profile("wheelchair", {name: value})
            continue
        for _ in range(2):
            assert _same(made_profile("wheelchair", {name: value}), want), value


def test_a_refused_request_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(UnknownProfileError):
            made_profile("no-such-preset", {"max_kerb_height_cm": 2})
    assert made_profiles._made == {}


def test_the_cache_is_bounded() -> None:
    for n in range(3 * MADE_PROFILES_MAX):
        made_profile("wheelchair", {"max_kerb_height_cm": n / 10})
        assert len(made_profiles._made) <= MADE_PROFILES_MAX


def test_a_value_the_key_cannot_hold_is_made_without_the_cache() -> None:
    class Odd:
        pass

    with pytest.raises(Exception) as refused:  # noqa: PT011  (whatever make_profile raises)
        make_profile("wheelchair", {"max_kerb_height_cm": Odd()})
    with pytest.raises(type(refused.value)):
        made_profile("wheelchair", {"max_kerb_height_cm": Odd()})
    assert made_profiles._made == {}


_VALUES = st.one_of(
    st.integers(0, 20),
    st.floats(0, 20, allow_nan=False),
    st.booleans(),
    st.sampled_from(["3", "4.5", "none", "forbid", "ignore"]),
)
_NAMES = st.sampled_from(
    ["max_kerb_height_cm", "max_incline_percent", "max_step_count", "walking_speed_mps",
     "unknown.incline", "min_width_m"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["wheelchair", "walk", "blind", "elderly"]), st.dictionaries(_NAMES, _VALUES, max_size=3))  # fmt: skip
def test_made_profiles_are_make_profiles(preset: str, overrides: dict[str, Any]) -> None:
    """Whatever the parameters, asked twice: ``make_profile``'s profile or its error."""
    try:
        want = make_profile(preset, overrides)
    except Exception as error:
        with pytest.raises(type(error)):
            made_profile(preset, overrides)
        return
    assert _same(made_profile(preset, overrides), want)
    assert _same(made_profile(preset, dict(overrides)), want)
