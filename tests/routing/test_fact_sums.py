"""The green and light facts' kernels against the numpy code they replaced (kept here as the
reference), value for value and bit for bit:

* :func:`routing._kernels.sums.pairwise_sum` must give exactly numpy's ``.sum()`` (its pairwise
  summation) for any length, below and above the 8 and 128 values where numpy's tree changes;
* :func:`routing.conditions.green_facts`, :func:`~routing.conditions.light_facts` and both at
  once (:func:`~routing.conditions.green_and_light_facts`, what the route report calls): one
  kernel pass each, they must give exactly the old masked numpy sums and the old park
  dictionary, on drawn columns (unknown values, missing columns, parks without a name,
  repeated edges, negative edges counting from the end) and on real Kaiserslautern routes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import Tri
from accessibility_rules.conditions import Conditions
from routing._kernels.sums import pairwise_sum
from routing.conditions import (
    GreenFacts,
    LightFacts,
    green_and_light_facts,
    green_facts,
    light_facts,
)
from tests.routing.trips import seeded_routes

HYP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a: float | None, b: float | None) -> bool:
    """Equal as JSON would print them: NaN equals NaN, ``-0.0`` is not 0.0, None is None."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


# --- the old numpy code (be8d6e0), the reference ---------------------------------------------
def _walked_reference(
    edge: Mapping[str, np.ndarray], edges: np.ndarray, walked_m: Sequence[float] | None
) -> np.ndarray:
    length = np.asarray(edge["length_m"], dtype=np.float64)[edges]
    if walked_m is None:
        return length.copy()
    walked = np.asarray(walked_m, dtype=np.float64)
    if walked.shape != length.shape:
        raise ValueError(f"walked_m has {walked.size} values for {length.size} edges")
    return walked


def green_reference(
    edge: Mapping[str, np.ndarray],
    edges: Sequence[int],
    parks: Sequence[str],
    walked_m: Sequence[float] | None,
) -> tuple[float | None, float, list[tuple[int, str, float]]]:
    idx = np.asarray(edges, dtype=np.int64)
    walked = _walked_reference(edge, idx, walked_m)
    column = edge.get("green_share")
    green = np.full(len(idx), np.nan) if column is None else np.asarray(column, np.float64)[idx]
    known = ~np.isnan(green)
    known_m = float(walked[known].sum())
    share = float((green[known] * walked[known]).sum()) / known_m if known_m > 0 else None
    passages: dict[int, float] = {}
    park_ids = edge.get("park_id")
    if park_ids is not None:
        for pid, metres in zip(np.asarray(park_ids)[idx].tolist(), walked.tolist(), strict=True):
            if pid >= 0:
                passages[pid] = passages.get(pid, 0.0) + metres
    named = [
        (pid, parks[pid] if pid < len(parks) else f"park {pid}", metres)
        for pid, metres in passages.items()
    ]
    return share, float(walked[~known].sum()), named


def light_reference(
    edge: Mapping[str, np.ndarray], edges: Sequence[int], walked_m: Sequence[float] | None
) -> tuple[float | None, float, float, float]:
    idx = np.asarray(edges, dtype=np.int64)
    walked = _walked_reference(edge, idx, walked_m)
    lit = np.asarray(edge["lit"])[idx]
    lit_m = float(walked[lit == Tri.YES].sum())
    unlit_m = float(walked[lit == Tri.NO].sum())
    unknown_m = float(walked[(lit != Tri.YES) & (lit != Tri.NO)].sum())
    known = lit_m + unlit_m
    return lit_m / known if known > 0 else None, lit_m, unlit_m, unknown_m


def assert_green(got: GreenFacts, want: tuple[float | None, float, list[Any]]) -> None:
    share, unknown_m, named = want
    assert same(got.green_share, share), (got.green_share, share)
    assert same(got.unknown_m, unknown_m), (got.unknown_m, unknown_m)
    assert [(p.park_id, p.name) for p in got.parks] == [(pid, name) for pid, name, _ in named]
    for p, (_, _, metres) in zip(got.parks, named, strict=True):
        assert same(p.length_m, metres), (p, metres)


def assert_light(got: LightFacts, want: tuple[float | None, float, float, float]) -> None:
    for a, b in zip((got.lit_share, got.lit_m, got.unlit_m, got.unknown_m), want, strict=True):
        assert same(a, b), (got, want)


# --- numpy's sum ------------------------------------------------------------------------------
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(-1e4, 1e4),
    st.sampled_from([0.0, -0.0, 0.1, 1e-300, 1e300, -1e300]),
)


@HYP
@given(st.lists(values, max_size=400), st.integers(0, 3))
def test_pairwise_sum_is_numpys(xs: list[float], spare: int) -> None:
    a = np.asarray(xs, dtype=np.float64)
    buffer = np.concatenate((a, np.full(spare, 7.0)))  # sums only the first n of the buffer
    with np.errstate(over="ignore", invalid="ignore"):  # huge values may overflow to ±inf
        want = float(a.sum())
    assert same(pairwise_sum(buffer, len(a)), want)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 135, 136, 255, 256, 257, 1000, 8193])
def test_pairwise_sum_at_the_tree_boundaries(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(20):
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)
        assert same(pairwise_sum(a, n), float(a.sum()))
    zeros = np.full(n, -0.0)
    assert same(pairwise_sum(zeros, n), float(zeros.sum()))  # 0.0: numpy adds to its 0.0


def test_pairwise_sum_of_a_long_array() -> None:
    a = np.random.default_rng(3).standard_normal(1_000_003) * 1e3
    assert same(pairwise_sum(a, len(a)), float(a.sum()))


# --- green and light on drawn columns -------------------------------------------------------
@st.composite
def drawn_facts(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], list[int], list[float] | None]:
    """Columns of ``m`` edges (green with NaN, parks -1 … beyond the names, lit -1 … 2), a route
    over them (repeated and negative edges, up to 300 long: beyond numpy's 128-value block) and
    its walked metres (0, ``-0.0``, NaN and partial included) or None (whole edges)."""
    m = draw(st.integers(1, 30))
    shares = st.one_of(st.just(math.nan), st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0]))
    metres = st.one_of(st.floats(0.0, 500.0), st.sampled_from([0.0, -0.0, 0.1, 1e-9, math.nan]))
    edge: dict[str, np.ndarray] = {
        "length_m": np.asarray(draw(st.lists(metres, min_size=m, max_size=m))),
        "lit": np.asarray(draw(st.lists(st.integers(-1, 2), min_size=m, max_size=m)), np.int8),
    }
    if draw(st.booleans()):
        green = draw(st.lists(shares, min_size=m, max_size=m))
        edge["green_share"] = np.asarray(green, dtype=np.float32)
    if draw(st.booleans()):
        parks = draw(st.lists(st.integers(-1, 4), min_size=m, max_size=m))
        edge["park_id"] = np.asarray(parks, dtype=np.int32)
    k = draw(st.integers(0, 300))
    edges = draw(st.lists(st.integers(-m, m - 1), min_size=k, max_size=k))
    walked = draw(st.one_of(st.none(), st.lists(metres, min_size=k, max_size=k)))
    return edge, edges, walked


@HYP
@given(drawn_facts(), st.sampled_from([None, True, False]), st.sampled_from([[], ["Volkspark"]]))
def test_green_and_light_equal_the_numpy_code(
    case: tuple[dict[str, np.ndarray], list[int], list[float] | None],
    dark: bool | None,
    parks: list[str],
) -> None:
    """Each alone and both in one pass (the columns the other reads are then not read)."""
    edge, edges, walked = case
    want_green = green_reference(edge, edges, parks, walked)
    want_light = light_reference(edge, edges, walked)
    assert_green(green_facts(edge, edges, parks, walked_m=walked), want_green)
    assert_light(light_facts(edge, edges, Conditions(dark=dark), walked_m=walked), want_light)
    green, light = green_and_light_facts(edge, edges, parks, Conditions(dark=dark), walked_m=walked)
    assert_green(green, want_green)
    assert_light(light, want_light)
    assert light.light == ("unknown" if dark is None else "dark" if dark else "day")


def test_edges_beyond_the_columns_raise_index_error_as_before() -> None:
    edge = {
        "length_m": np.full(3, 10.0),
        "lit": np.zeros(3, dtype=np.int8),
        "green_share": np.zeros(2, dtype=np.float32),  # shorter than the others
    }
    for edges in ([0, 3], [-4], [2]):
        with pytest.raises(IndexError):
            green_facts(edge, edges, walked_m=[1.0] * len(edges))
        with pytest.raises(IndexError):
            green_reference(edge, edges, [], [1.0] * len(edges))
    with pytest.raises(IndexError):
        light_facts(edge, [3], Conditions(), walked_m=[1.0])
    with pytest.raises(IndexError):
        green_and_light_facts(edge, [2], [], Conditions(), walked_m=[1.0])
    light_facts(edge, [2], Conditions(), walked_m=[1.0])  # green_share is not read: no error
    with pytest.raises(ValueError, match="walked_m"):
        light_facts(edge, [0, 1], Conditions(), walked_m=[1.0])


# --- real routes ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("preset", ["wheelchair", "walk"])
def test_green_and_light_on_real_routes(ksl_router: Any, preset: str) -> None:
    g = ksl_router.graph
    parks = g.meta.get("parks") or []
    for route in seeded_routes(ksl_router, preset, seed=5, count=40):
        for walked in (route.walked_m, None):
            want_green = green_reference(g.edge, route.edges, parks, walked)
            want_light = light_reference(g.edge, route.edges, walked)
            got = green_facts(g.edge, route.edges, parks, walked_m=walked)
            assert_green(got, want_green)
            light = light_facts(g.edge, route.edges, Conditions(), walked_m=walked)
            assert_light(light, want_light)
            both = green_and_light_facts(
                g.edge, np.asarray(route.edges), parks, Conditions(), walked_m=walked
            )
            assert_green(both[0], want_green)
            assert_light(both[1], want_light)
