"""The vectorised weight rules: every hard limit, every unknown treatment, soft costs, penalties."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    HighwayClass,
    InclineSource,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.profile import make_profile
from accessibility_rules.weights import (
    POINT_LIMITS,
    VIOLATION_PENALTY_S,
    EdgeWeights,
    Limit,
    Unknown,
    WeightParts,
    compute_weights,
    weight_parts,
)
from graphs.model import EDGE_ATTRIBUTE_DTYPES

KNOWN_FOOTWAY: dict[str, Any] = {
    "length_m": 100.0, "highway": HighwayClass.FOOTWAY, "incline_percent": 0.0, "width_m": 2.0,
    "surface": SurfaceClass.ASPHALT, "smoothness": Smoothness.GOOD, "lit": Tri.YES,
    "wheelchair": Wheelchair.YES, "sidewalk": Sidewalk.NOT_APPLICABLE, "step_count": 0,
    "handrail": Tri.UNKNOWN, "name_id": -1, "reverse_edge": -1, "incline_source": InclineSource.TAG,
}  # fmt: skip
EFFECTIVE: dict[str, Any] = {
    "kerb_count": 0, "kerb_height_cm": np.nan, "kerb_unknown_count": 0,
    "crossing": CrossingKind.NONE, "crossing_share": 0.0, "acoustic_signal": AcousticSignal.UNKNOWN,
    "vibration_signal": Tri.UNKNOWN, "tactile_paving": Tri.UNKNOWN, "barrier": BarrierKind.NONE,
    "passage_width_m": 2.0, "is_elevator": False, "wheelchair": Wheelchair.YES, "closed": False,
    "is_road": False,
}  # fmt: skip


def one_edge(**changes: Any) -> tuple[dict[str, np.ndarray], EffectiveEdges]:
    """A single, fully known, accessible 100 m footway with some attributes changed."""
    edge = {name: np.zeros(1, dtype=dtype) for name, dtype in EDGE_ATTRIBUTE_DTYPES.items()}
    eff_values = dict(EFFECTIVE)
    for name, value in {**KNOWN_FOOTWAY, **changes}.items():
        if name in EFFECTIVE:
            eff_values[name] = value
        if name in edge and (name not in EFFECTIVE or name in KNOWN_FOOTWAY):
            edge[name][0] = value  # a way attribute that the effective view also has (wheelchair)
    if "width_m" in changes and "passage_width_m" not in changes:
        eff_values["passage_width_m"] = changes["width_m"]
    eff = EffectiveEdges(**{k: np.array([v]) for k, v in eff_values.items()})
    return edge, eff


def weights(
    profile: str = "wheelchair", overrides: dict[str, Any] | None = None, **changes: Any
) -> EdgeWeights:
    edge, eff = one_edge(**changes)
    return compute_weights(make_profile(profile, overrides or {}), edge, eff)


def parts(
    profile: str = "wheelchair", overrides: dict[str, Any] | None = None, **changes: Any
) -> WeightParts:
    """The four parts of :func:`weights`' cost (travel, transition, the two violation prices)."""
    edge, eff = one_edge(**changes)
    return weight_parts(make_profile(profile, overrides or {}), edge, eff)


def test_known_accessible_footway_costs_its_walking_time() -> None:
    w = weights("wheelchair")
    speed = make_profile("wheelchair").walking_speed_mps
    assert w.violations[0] == 0
    assert w.unknowns[0] == 0
    assert w.cost_s[0] == pytest.approx(100.0 / speed)
    assert w.min_cost_per_m == pytest.approx(1.0 / speed)


@pytest.mark.parametrize(
    ("changes", "limit"),
    [
        ({"is_steps": True, "step_count": 5}, Limit.STEPS),
        ({"incline_percent": 9.0}, Limit.INCLINE),
        ({"incline_percent": -9.0}, Limit.INCLINE),  # downhill is limited too
        ({"kerb_count": 1, "kerb_height_cm": 12.0}, Limit.KERB_HEIGHT),
        ({"width_m": 0.7}, Limit.WIDTH),
        ({"smoothness": Smoothness.BAD}, Limit.SMOOTHNESS),
        ({"barrier": BarrierKind.TURNSTILE}, Limit.BARRIER),
        ({"wheelchair": Wheelchair.NO}, Limit.WHEELCHAIR_NO),
        ({"closed": True}, Limit.CLOSED),
    ],
)
def test_each_hard_limit_is_flagged(changes: dict[str, Any], limit: Limit) -> None:
    w = weights("wheelchair", **changes)
    assert w.violations[0] & limit
    assert w.cost_s[0] >= VIOLATION_PENALTY_S


def test_the_same_edges_are_fine_for_walking() -> None:
    for changes in (
        {"is_steps": True, "step_count": 5},
        {"incline_percent": 9.0},
        {"width_m": 0.7},
    ):
        assert weights("walk", **changes).violations[0] == 0


def test_blind_profile_can_require_acoustic_signals_at_traffic_lights() -> None:
    lights: dict[str, Any] = {"crossing": CrossingKind.TRAFFIC_SIGNALS, "crossing_share": 1.0}
    silent = weights(
        "blind", {"require_acoustic_signals": True}, acoustic_signal=AcousticSignal.NO, **lights
    )
    sounding = weights(
        "blind", {"require_acoustic_signals": True}, acoustic_signal=AcousticSignal.YES, **lights
    )
    assert silent.violations[0] & Limit.ACOUSTIC_SIGNAL
    assert sounding.violations[0] == 0
    preferred = weights("blind", acoustic_signal=AcousticSignal.NO, **lights)
    assert preferred.violations[0] == 0  # by default a missing signal costs time, not a ban
    sounding_s = parts("blind", acoustic_signal=AcousticSignal.YES, **lights).transition_s[0]
    assert parts("blind", acoustic_signal=AcousticSignal.NO, **lights).transition_s[0] > sounding_s


@pytest.mark.parametrize(("treatment", "forbidden", "slower"), [("accept", False, False), ("penalize", False, True), ("forbid", True, False)])  # fmt: skip
def test_unknown_surface_treatment(treatment: str, forbidden: bool, slower: bool) -> None:
    overrides = {"unknown.surface": treatment}
    unknown = weights("wheelchair", overrides, surface=SurfaceClass.UNKNOWN)
    assert unknown.unknowns[0] & Unknown.SURFACE  # the route will say it relies on it
    assert bool(unknown.violations[0] & Limit.UNKNOWN_FORBIDDEN) is forbidden
    travel_s = parts("wheelchair", overrides, surface=SurfaceClass.UNKNOWN).travel_s[0]
    assert bool(travel_s > parts("wheelchair", overrides).travel_s[0]) is slower


def test_unknown_kerb_height_costs_seconds_per_kerb_when_penalised() -> None:
    penalize = {"unknown.kerb_height": "penalize"}
    base = parts("wheelchair", penalize, kerb_count=1, kerb_height_cm=2.0)
    unknown = parts("wheelchair", penalize, kerb_count=1, kerb_unknown_count=1)
    assert weights("wheelchair", penalize, kerb_count=1, kerb_unknown_count=1).unknowns[0] & (
        Unknown.KERB_HEIGHT
    )
    assert unknown.transition_s[0] - base.transition_s[0] == pytest.approx(
        make_profile("wheelchair").unknown_transition_penalty_s
    )


def test_a_barrier_gap_does_not_make_an_unknown_way_width_known() -> None:
    w = weights("wheelchair", width_m=np.nan, passage_width_m=1.5)
    assert w.unknowns[0] & Unknown.WIDTH
    assert w.violations[0] == 0  # 1.5 m passes min_width_m; the unknown way width is reported
    narrow_gap = weights("wheelchair", width_m=np.nan, passage_width_m=0.7)
    assert narrow_gap.violations[0] & Limit.WIDTH


def test_walk_does_not_report_unknowns_it_has_no_rule_about() -> None:
    w = weights("walk", surface=SurfaceClass.UNKNOWN, width_m=np.nan, smoothness=Smoothness.UNKNOWN)
    assert w.unknowns[0] == 0


@pytest.mark.parametrize("incline", [0.0, 0.5, 1.0, 1.5, 2.0, -2.0, 2.5, 4.0])
def test_a_comfortable_incline_taken_down_to_the_limit_changes_no_compliant_cost(
    incline: float,
) -> None:
    """``max_incline_percent`` lowered alone takes the comfortable incline down to it
    (``make_profile``): every slope within the limit costs exactly what it would cost with the
    preset's comfortable incline above the limit; only slopes beyond it (broken) cost more."""
    lowered = make_profile("wheelchair", {"max_incline_percent": 2})
    assert lowered.comfortable_incline_percent == 2.0
    preset_comfort = lowered.model_copy(update={"comfortable_incline_percent": 3.0})
    edge, eff = one_edge(incline_percent=incline)
    a = compute_weights(lowered, edge, eff)
    b = compute_weights(preset_comfort, edge, eff)
    if abs(incline) <= 2.0:
        assert a.violations[0] == 0
        assert a.cost_s[0] == b.cost_s[0]
    else:
        assert a.violations[0] != 0
        assert a.cost_s[0] >= b.cost_s[0]


def test_soft_factors_slow_down_without_forbidding() -> None:
    uphill = weights("elderly", incline_percent=5.0)
    carriageway = weights(
        "wheelchair", highway=HighwayClass.RESIDENTIAL, sidewalk=Sidewalk.SEPARATE, is_road=True
    )
    assert uphill.violations[0] == 0
    assert parts("elderly", incline_percent=5.0).travel_s[0] > parts("elderly").travel_s[0]
    assert carriageway.violations[0] == 0
    on_road = parts(
        "wheelchair", highway=HighwayClass.RESIDENTIAL, sidewalk=Sidewalk.SEPARATE, is_road=True
    )
    assert on_road.travel_s[0] > parts("wheelchair").travel_s[0]


def test_point_violations_are_charged_at_the_head_and_along_ones_along_the_edge() -> None:
    kerb: dict[str, Any] = {"kerb_count": 1, "kerb_height_cm": 12.0}
    kerb_short, kerb_long = parts(length_m=10.0, **kerb), parts(length_m=200.0, **kerb)
    assert kerb_short.violation_along_s[0] == kerb_long.violation_along_s[0] == 0.0
    assert kerb_short.violation_point_s[0] == kerb_long.violation_point_s[0]
    assert weights("wheelchair", length_m=10.0, **kerb).violations_at_head[0] == Limit.KERB_HEIGHT
    slope_short = parts("wheelchair", length_m=10.0, incline_percent=10.0)
    slope_long = parts("wheelchair", length_m=200.0, incline_percent=10.0)
    assert slope_short.violation_point_s[0] == slope_long.violation_point_s[0] == 0.0
    assert slope_long.violation_along_s[0] > slope_short.violation_along_s[0] > VIOLATION_PENALTY_S
    assert weights("wheelchair", length_m=10.0, incline_percent=10.0).violations_at_head[0] == 0


def test_cost_is_travel_plus_transition_plus_both_violation_parts() -> None:
    changes: dict[str, Any] = {"incline_percent": 9.0, "kerb_count": 1, "kerb_height_cm": 8.0}
    w, p = weights("wheelchair", **changes), parts("wheelchair", **changes)
    assert w.violations[0] == Limit.INCLINE | Limit.KERB_HEIGHT
    travel_s, transition_s = p.travel_s[0], p.transition_s[0]
    along_s, point_s = p.violation_along_s[0], p.violation_point_s[0]
    assert w.cost_s[0] == travel_s + transition_s + along_s + point_s  # in this order
    assert w.way_s[0] == travel_s + along_s  # what a partly walked edge is charged by its share
    assert w.head_s[0] == transition_s + point_s  # and what passing its head costs
    # the flat part is charged once per edge, with the along part
    sev = make_profile("wheelchair").severity
    assert point_s == pytest.approx(sev.kerb_s_per_cm * 5.0)
    assert along_s == pytest.approx(
        VIOLATION_PENALTY_S + sev.incline_s_per_m_per_percent * 100.0 * 3.0
    )


def test_point_limits_are_the_ones_at_the_head() -> None:
    assert (
        POINT_LIMITS
        == Limit.KERB_HEIGHT | Limit.BARRIER | Limit.ACOUSTIC_SIGNAL | Limit.TACTILE_PAVING
    )


def test_every_accessible_route_beats_any_violation() -> None:
    """A 50 km detour that honours every limit still costs less than one broken limit."""
    detour = weights("wheelchair", length_m=50_000.0)
    assert detour.cost_s[0] < VIOLATION_PENALTY_S


def test_weights_are_vectorised_over_many_edges() -> None:
    edge, eff = one_edge()
    n = 50_000
    big_edge = {k: np.repeat(v, n) for k, v in edge.items()}
    big_eff = EffectiveEdges(
        **{
            k: np.repeat(v, n)
            for k in EffectiveEdges.__slots__
            if (v := getattr(eff, k)) is not None
        }
    )
    w = compute_weights(make_profile("wheelchair"), big_edge, big_eff)
    assert w.cost_s.shape == (n,)
    assert w.cost_s.flags["C_CONTIGUOUS"]
