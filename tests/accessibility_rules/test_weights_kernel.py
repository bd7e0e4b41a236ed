"""The weight kernel equals the numpy rules it replaced, bit for bit, for every field.

The reference is the former implementation (``weights_reference.py``). Compared on random edges
that cover every attribute code, NaNs and both dtypes the kernel meets (the graph's own and the
wide ones of hand-built arrays), on the real Kaiserslautern graph, and through the obstacle patch
path (a subset of edges), for the presets and hypothesis-random personal profiles drawn within
the published parameter ranges.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    KerbKind,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.profile import (
    ParameterOutOfRangeError,
    Profile,
    load_preset,
    make_profile,
    parameter_table,
    preset_names,
)
from accessibility_rules.weights import (
    BITS_DTYPE,
    EdgeWeights,
    WeightParts,
    compute_weights,
    edge_events,
    weight_parts,
)
from graphs.model import EDGE_ATTRIBUTE_DTYPES

from .weights_reference import reference_weights, reference_weights_and_parts

PRESETS = preset_names()
#: Limits not exact in float32 (0.9 m reads 0.8999999762) and exact ones: values in the random
#: edges and limits of the profiles below, where comparing at the wrong precision shows.
AT_LIMITS = [0.9, 0.8, 0.7, 3.3, 6.1, 1.1, 2.2, 3.0, 6.0, 2.0, 1.0, 4.0, 5.0, 10.0]
ODD_LIMITS = {
    "max_kerb_height_cm": 1.1, "min_width_m": 0.9, "max_incline_percent": 2.2,
    "comfortable_incline_percent": 1.0,
}  # fmt: skip


def assert_same(kernel: EdgeWeights | WeightParts, reference: EdgeWeights | WeightParts) -> None:
    """Every field equal (NaN equals NaN), with the same dtypes and contiguous arrays."""
    assert type(kernel) is type(reference)
    for f in dataclasses.fields(reference):
        got, want = getattr(kernel, f.name), getattr(reference, f.name)
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype, f.name
            assert got.flags["C_CONTIGUOUS"], f.name
            np.testing.assert_array_equal(got, want, err_msg=f.name, strict=True)
        else:
            assert got == want or (np.isnan(got) and np.isnan(want)), f.name


def assert_as_reference(
    profile: Profile,
    edge: dict[str, np.ndarray],
    eff: EffectiveEdges,
    conditions: Conditions = DEFAULT_CONDITIONS,
) -> None:
    """The kernel's weights and the parts of their costs equal the reference's, bit for bit."""
    weights, parts = reference_weights_and_parts(profile, edge, eff, conditions)
    assert_same(compute_weights(profile, edge, eff, conditions), weights)
    assert_same(weight_parts(profile, edge, eff, conditions), parts)


def _codes(enum: Any) -> list[int]:
    return [int(m) for m in enum]


def random_edges(
    seed: int, n: int = 3000, *, wide: bool = False, overrides: bool = True
) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
    """``n`` random edges over every attribute code, with NaNs, zero lengths and steps.

    ``wide``: int64/float64 arrays (as hand-built tests make them) instead of the graph's dtypes;
    ``overrides``: with the barrier nodes' own access and wheelchair tags (else ``None``).
    """
    rng = np.random.default_rng(seed)

    def pick(values: list[int]) -> np.ndarray:
        return rng.choice(np.asarray(values), n)

    def real(lo: float, hi: float, nan_share: float = 0.3) -> np.ndarray:
        x = rng.uniform(lo, hi, n)
        x[rng.random(n) < nan_share] = np.nan
        # values on float32 steps and exactly at typical limits, where the comparison matters
        at = rng.random(n) < 0.3
        x[at] = rng.choice(AT_LIMITS, int(at.sum()))
        return x

    length = rng.exponential(40.0, n)
    length[rng.random(n) < 0.02] = 0.0
    edge: dict[str, np.ndarray] = {
        name: np.zeros(n, dtype=dtype) for name, dtype in EDGE_ATTRIBUTE_DTYPES.items()
    }
    edge.update(
        length_m=length,
        incline_percent=real(-25, 25) * rng.choice([1, 0.1], n),
        is_steps=rng.random(n) < 0.15,
        surface=pick(_codes(SurfaceClass)),
        smoothness=pick(_codes(Smoothness)),
        lit=pick(_codes(Tri)),
        incline_source=pick(_codes(InclineSource)),
        width_m=real(0.3, 4),
        step_count=rng.integers(-1, 40, n),
        handrail=pick(_codes(Tri)),
        wheelchair=pick(_codes(Wheelchair)),
        sidewalk=pick(_codes(Sidewalk)),
        highway=pick(_codes(HighwayClass)),
        kerb=pick(_codes(KerbKind)),
    )
    share = rng.choice([0.0, 0.25, 0.5, 1.0], n)
    share[rng.random(n) < 0.02] = np.nan
    eff: dict[str, Any] = {
        "kerb_count": rng.integers(0, 3, n),
        "kerb_height_cm": real(0, 15, 0.5),
        "kerb_unknown_count": rng.integers(0, 3, n),
        "crossing": pick(_codes(CrossingKind)),
        "crossing_share": share,
        "acoustic_signal": pick(_codes(AcousticSignal)),
        "vibration_signal": pick(_codes(Tri)),
        "tactile_paving": pick(_codes(Tri)),
        "barrier": np.where(rng.random(n) < 0.6, 0, pick(_codes(BarrierKind))),
        "passage_width_m": real(0.3, 4),
        "is_elevator": rng.random(n) < 0.01,
        "wheelchair": pick(_codes(Wheelchair)),
        "closed": rng.random(n) < 0.03,
        "is_road": rng.random(n) < 0.3,
        "barrier_access": pick(_codes(Tri)) if overrides else None,
        "barrier_wheelchair": pick(_codes(Wheelchair)) if overrides else None,
        "crossing_at_head": rng.random(n) < 0.3,  # the report's, not read by the weights
        "crossing_island": pick(_codes(Tri)),  # the report's, not read by the weights
    }
    dtypes = {f.name: f.type for f in dataclasses.fields(EffectiveEdges)}
    assert set(eff) == set(dtypes)
    if wide:
        wider = {"f": np.float64, "i": np.int64, "u": np.int64, "b": np.bool_}
        edge = {k: v.astype(wider[v.dtype.kind]) for k, v in edge.items()}
        return edge, EffectiveEdges(**eff)  # the wide dtypes numpy gives
    narrow = {
        "kerb_height_cm": np.float32, "crossing_share": np.float32, "passage_width_m": np.float32,
        "is_elevator": np.bool_, "closed": np.bool_, "is_road": np.bool_,
        "crossing_at_head": np.bool_,
    }  # fmt: skip
    eff = {k: None if v is None else v.astype(narrow.get(k, np.int8)) for k, v in eff.items()}
    edge = {k: v.astype(EDGE_ATTRIBUTE_DTYPES[k]) for k, v in edge.items()}
    return edge, EffectiveEdges(**eff)


def _value(row: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one published parameter, within its range."""
    kind = row["type"]
    if kind == "number":
        base: st.SearchStrategy[Any] = st.one_of(
            st.floats(row["minimum"], row["maximum"], allow_nan=False),
            st.sampled_from(
                sorted({row["minimum"], row["maximum"], *row["defaults"].values()} - {None})
            ),
        )
    elif kind == "integer":
        base = st.integers(row["minimum"], min(row["maximum"], 50))
    elif kind == "boolean":
        base = st.booleans()
    elif kind == "enum":
        base = st.sampled_from(row["choices"])
    else:
        base = st.frozensets(st.sampled_from(row["choices"]), max_size=6)
    return st.one_of(st.none(), base) if row["nullable"] else base


PERSONAL = st.tuples(
    st.sampled_from(PRESETS),
    st.fixed_dictionaries({}, optional={row["name"]: _value(row) for row in parameter_table()}),
)


def personal(base_and_overrides: tuple[str, dict[str, Any]]) -> Profile:
    """A personal profile, or a hypothesis ``assume`` failure when the combination is refused."""
    base, overrides = base_and_overrides
    try:
        return make_profile(base, overrides)
    except ParameterOutOfRangeError:
        assume(False)
        raise


EDGE_SETS = {
    "graph_dtypes": random_edges(1),
    "wide_dtypes": random_edges(2, wide=True),
    "no_barrier_overrides": random_edges(3, overrides=False),
}


def _events_reference(edge: dict[str, np.ndarray], eff: EffectiveEdges) -> tuple[np.ndarray, ...]:
    """The event word and the unknown candidates as numpy expressions, bit by bit."""
    from accessibility_rules import _kernels as k

    steps = edge["is_steps"].astype(bool)
    kind = eff.crossing.astype(np.int64)
    signalised, crossing = kind == CrossingKind.TRAFFIC_SIGNALS, kind != CrossingKind.NONE
    acoustic, paving = eff.acoustic_signal.astype(np.int64), eff.tactile_paving.astype(np.int64)
    lit = edge["lit"].astype(np.int64)
    side = edge["sidewalk"].astype(np.int64)
    bits = [
        (steps, k.E_STEPS),
        (edge["incline_source"].astype(np.int64) == InclineSource.DEM, k.E_DEM),
        (eff.barrier.astype(np.int64) != BarrierKind.NONE, k.E_BARRIER),
        (eff.closed.astype(bool), k.E_CLOSED),
        (edge["handrail"].astype(np.int64) == Tri.NO, k.E_HANDRAIL_NO),
        (lit == Tri.NO, k.E_LIT_NO),
        (edge["wheelchair"].astype(np.int64) == Wheelchair.NO, k.E_WAY_WHEELCHAIR_NO),
        (eff.wheelchair.astype(np.int64) == Wheelchair.NO, k.E_NODE_WHEELCHAIR_NO),
        (signalised & (acoustic == AcousticSignal.NO), k.E_SIGNAL_NO),
        (crossing & (paving == Tri.NO), k.E_PAVING_NO),
        (
            np.isin(kind, (CrossingKind.UNMARKED, CrossingKind.INFORMAL, CrossingKind.JUNCTION)),
            k.E_UNMARKED,
        ),
        (eff.is_road.astype(bool) & np.isin(side, [Sidewalk.NONE, Sidewalk.SEPARATE]), k.E_CARRIAGEWAY),
    ]  # fmt: skip
    unknown = [
        (np.isnan(edge["incline_percent"].astype(np.float64)) & ~steps, k.U_INCLINE),
        (eff.kerb_unknown_count.astype(np.int64) > 0, k.U_KERB_HEIGHT),
        (np.isnan(edge["width_m"].astype(np.float64)), k.U_WIDTH),
        (edge["surface"].astype(np.int64) == SurfaceClass.UNKNOWN, k.U_SURFACE),
        (edge["smoothness"].astype(np.int64) == Smoothness.UNKNOWN, k.U_SMOOTHNESS),
        (steps & (edge["step_count"].astype(np.int64) < 0), k.U_STEP_COUNT),
        (lit == Tri.UNKNOWN, k.U_LIT),
        (signalised & (acoustic == AcousticSignal.UNKNOWN), k.U_ACOUSTIC_SIGNAL),
        (crossing & (paving == Tri.UNKNOWN), k.U_TACTILE_PAVING),
    ]
    # the sum of a non-empty list of arrays is an array (sum's 0 only stands for an empty one)
    word = [
        cast(np.ndarray, sum(np.where(m, b, 0) for m, b in pairs)).astype(BITS_DTYPE)
        for pairs in (bits, unknown)
    ]
    return word[0], word[1]


@pytest.mark.parametrize("edges", sorted(EDGE_SETS))
def test_edge_events_equal_their_numpy_reference(edges: str) -> None:
    edge, eff = EDGE_SETS[edges]
    got = edge_events(edge, eff)
    events, unknown = _events_reference(edge, eff)
    np.testing.assert_array_equal(got.events, events, strict=True)
    np.testing.assert_array_equal(got.unknown_candidates, unknown, strict=True)
    assert np.count_nonzero(got.events)  # the random edges set bits (not a vacuous pass)
    assert np.count_nonzero(got.unknown_candidates)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("edges", sorted(EDGE_SETS))
def test_kernel_equals_the_numpy_rules_for_every_preset(preset: str, edges: str) -> None:
    edge, eff = EDGE_SETS[edges]
    profile = load_preset(preset)
    assert_as_reference(profile, edge, eff)


@pytest.mark.parametrize("preset", PRESETS)
def test_kernel_compares_attributes_at_float32_like_the_rules(preset: str) -> None:
    edge, eff = EDGE_SETS["graph_dtypes"]
    profile = make_profile(preset, ODD_LIMITS)
    assert_as_reference(profile, edge, eff)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=PERSONAL.map(personal), edges=st.sampled_from(sorted(EDGE_SETS)))
def test_kernel_equals_the_numpy_rules_for_random_personal_profiles(
    profile: Profile, edges: str
) -> None:
    edge, eff = EDGE_SETS[edges]
    assert_as_reference(profile, edge, eff)


def test_kernel_handles_no_edges_and_only_zero_lengths() -> None:
    edge, eff = random_edges(4, n=5)
    for rows in (np.array([], dtype=np.int64), np.array([0, 1])):
        sub_edge = {k: v[rows] for k, v in edge.items()}
        sub_edge["length_m"] = np.zeros(len(rows))
        sub_eff = EffectiveEdges(
            **{f.name: getattr(eff, f.name)[rows] for f in dataclasses.fields(EffectiveEdges)}
        )
        profile = load_preset("wheelchair")
        got = compute_weights(profile, sub_edge, sub_eff)
        assert_same(got, reference_weights(profile, sub_edge, sub_eff))
        assert got.min_cost_per_m == 0.0


# ------------------------------------------------------------------------------ real graph


@pytest.fixture(scope="module")
def ksl_arrays(kaiserslautern_graph: Any) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
    """The Kaiserslautern graph's edge arrays and effective edges."""
    from accessibility_rules.effective import effective_edges
    from graphs.store import load_graph

    graph = load_graph(Path(kaiserslautern_graph.out_dir))
    return dict(graph.edge), effective_edges(graph)


@pytest.mark.slow
def test_kernel_equals_the_numpy_rules_on_kaiserslautern(
    ksl_arrays: tuple[dict[str, np.ndarray], EffectiveEdges],
) -> None:
    edge, eff = ksl_arrays
    for name in PRESETS:
        profile = load_preset(name)
        assert_as_reference(profile, edge, eff)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(profile=PERSONAL.map(personal))
    def personal_profiles(profile: Profile) -> None:
        assert_as_reference(profile, edge, eff)

    personal_profiles()
