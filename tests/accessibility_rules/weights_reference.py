"""The weight rules as numpy expressions: the independent reference of the weight kernel.

This is the implementation :func:`accessibility_rules.weights.compute_weights` had before it
became one compiled pass over the edges (:mod:`accessibility_rules._kernels`), kept verbatim so
that every field of the kernel's :class:`EdgeWeights` can be checked equal to it, bit for bit.
The rules of the day's conditions (pollen, green, light in the dark) were added here as numpy
expressions from the rules in ``weights.py``'s docstring, independently of the kernel.
"""

from __future__ import annotations

import numpy as np

from accessibility_rules.attributes import (
    AcousticSignal,
    CrossingKind,
    InclineSource,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.barriers import barrier_masks
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.pollen import TREE_TAXA
from accessibility_rules.profile import Profile, UnknownTreatment
from accessibility_rules.weights import (
    _EDGE_LEVEL_UNKNOWNS,
    _UNKNOWN_WHERE,
    BITS_DTYPE,
    VIOLATION_PENALTY_S,
    EdgeWeights,
    Limit,
    Unknown,
    WeightParts,
)


def _bits(values: np.ndarray) -> np.ndarray:
    """The reference's uint32 bits as the weights store them (every bit must fit)."""
    assert not np.any(values >> np.uint32(8 * np.dtype(BITS_DTYPE).itemsize)), (
        "a bit beyond the dtype"
    )
    return values.astype(BITS_DTYPE)


def _exceeds(values: np.ndarray, limit: float) -> np.ndarray:
    """``values > limit`` as the data says it: attributes are stored as float32, so a tagged
    0.9 m reads 0.8999999762; compared at float32 precision it equals a 0.9 m limit."""
    return np.asarray(values, dtype=np.float32) > np.float32(limit)


def _flag(mask: np.ndarray, bit: int) -> np.ndarray:
    return np.where(mask, np.uint32(bit), np.uint32(0))


def _names(members: frozenset[str], enum: type[SurfaceClass]) -> list[int]:
    return [int(enum[name.upper()]) for name in members]


def _pollen(
    profile: Profile, edge: dict[str, np.ndarray], conditions: Conditions, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pollen load (Σ intensity/3 × exposure) and where the exposure is unknown."""
    nan = np.full(length.shape, np.nan)

    def column(name: str) -> np.ndarray:
        return edge[name].astype(np.float64) if name in edge else nan

    def weight(taxon: str) -> float:
        return conditions.intensity(taxon) / 3.0 if taxon in profile.avoid_pollen else 0.0

    load = np.zeros(length.shape)
    unknown = np.zeros(length.shape, dtype=bool)
    trees_flying = False
    for taxon in TREE_TAXA:
        w = weight(taxon)
        if w > 0:
            trees_flying = True
            n = column(f"trees_{taxon}")
            unknown |= np.isnan(n)
            with np.errstate(divide="ignore", invalid="ignore"):
                per = np.where((n > 0) & (length > 0), n * 10.0 / length, 0.0)
            load = load + w * per
    if trees_flying:
        n_unknown = column("trees_unknown")
        unknown |= np.isnan(n_unknown) | (n_unknown > 0)
    w = weight("grasses")
    if w > 0:
        grass = column("grass_share")
        unknown |= np.isnan(grass)
        load = load + w * np.where(np.isnan(grass), 0.0, grass)
    if weight("mugwort") > 0 or weight("ambrosia") > 0:
        unknown |= True
    return load, unknown


def reference_weights(
    profile: Profile,
    edge: dict[str, np.ndarray],
    eff: EffectiveEdges,
    conditions: Conditions = DEFAULT_CONDITIONS,
) -> EdgeWeights:
    """Weights of ``profile``: the rules as whole-array numpy expressions (the former implementation)."""
    return reference_weights_and_parts(profile, edge, eff, conditions)[0]


def reference_weights_and_parts(
    profile: Profile,
    edge: dict[str, np.ndarray],
    eff: EffectiveEdges,
    conditions: Conditions = DEFAULT_CONDITIONS,
) -> tuple[EdgeWeights, WeightParts]:
    """:func:`reference_weights` and the four parts of its costs."""
    p, u, sev = profile, profile.unknown, profile.severity
    dark = conditions.dark is not False
    length = edge["length_m"].astype(np.float64)
    incline = np.abs(edge["incline_percent"].astype(np.float64))
    steps = edge["is_steps"]
    surface = edge["surface"]
    smooth = edge["smoothness"]
    lit = edge["lit"]
    zero = np.zeros(length.shape, dtype=np.uint32)

    # --- inclines: estimated ones above the limit break it only if the profile says so -------
    max_incline = p.max_incline_percent if p.max_incline_percent is not None else np.inf
    with np.errstate(invalid="ignore"):
        too_steep = ~steps & _exceeds(incline, max_incline)
    estimated = edge["incline_source"] == InclineSource.DEM
    steep_estimate = too_steep & estimated & (not p.estimated_incline_breaks_limit)
    too_steep &= ~steep_estimate

    # --- which values are unknown, for the attributes this profile has a rule about ---------
    cares_incline = p.max_incline_percent is not None or p.incline_penalty_per_percent > 0
    cares_kerb = p.max_kerb_height_cm is not None
    cares_width = p.min_width_m is not None
    cares_surface = bool(p.avoid_surfaces)
    cares_smooth = p.worst_smoothness is not None
    cares_steps = p.max_step_count is not None and not p.avoid_steps
    cares_lit = (p.require_lit or p.unlit_penalty_factor > 1) and dark
    pollen_load, pollen_unknown = _pollen(p, edge, conditions, length)
    cares_signals = p.require_acoustic_signals or p.missing_acoustic_signal_penalty_s > 0
    cares_tactile = p.require_tactile_paving or p.missing_tactile_paving_penalty_s > 0
    barriers = barrier_masks(p.mobility, eff, p.avoid_barriers)
    crossing = eff.crossing != CrossingKind.NONE
    signalised = eff.crossing == CrossingKind.TRAFFIC_SIGNALS
    unknowns = (
        _flag(cares_incline & ((np.isnan(incline) & ~steps) | steep_estimate), Unknown.INCLINE)
        | _flag(cares_kerb & (eff.kerb_unknown_count > 0), Unknown.KERB_HEIGHT)
        # the way's own width: a barrier's maxwidth at its end bounds it but does not make it known
        | _flag(cares_width & np.isnan(edge["width_m"]), Unknown.WIDTH)
        | _flag(cares_surface & (surface == SurfaceClass.UNKNOWN), Unknown.SURFACE)
        | _flag(cares_smooth & (smooth == Smoothness.UNKNOWN), Unknown.SMOOTHNESS)
        | _flag(cares_steps & steps & (edge["step_count"] < 0), Unknown.STEP_COUNT)
        | _flag(cares_lit & (lit == Tri.UNKNOWN), Unknown.LIT)
        | _flag(cares_signals & signalised & (eff.acoustic_signal == AcousticSignal.UNKNOWN), Unknown.ACOUSTIC_SIGNAL)
        | _flag(cares_tactile & crossing & (eff.tactile_paving == Tri.UNKNOWN), Unknown.TACTILE_PAVING)
        | _flag(barriers.unknown, Unknown.BARRIER)
        | _flag(pollen_unknown, Unknown.POLLEN)
    )  # fmt: skip
    treatment = {Unknown[f.upper()]: getattr(u, f) for f in _UNKNOWN_WHERE}
    forbid_bits = sum(int(f) for f, t in treatment.items() if t == UnknownTreatment.FORBID)
    penal_bits = sum(int(f) for f, t in treatment.items() if t == UnknownTreatment.PENALIZE)
    edge_bits = int(_EDGE_LEVEL_UNKNOWNS)

    # --- hard limits, each with its severity in seconds (along the edge / at its head) -------
    worst = Smoothness[p.worst_smoothness.upper()] if p.worst_smoothness else None
    step_count = edge["step_count"].astype(np.int64)
    max_steps = p.max_step_count if p.max_step_count is not None else 0
    max_kerb = p.max_kerb_height_cm if p.max_kerb_height_cm is not None else np.inf
    min_width = p.min_width_m if p.min_width_m is not None else 0.0
    way_width = edge["width_m"].astype(np.float64)
    passage = eff.passage_width_m.astype(np.float64)
    kerb_h = eff.kerb_height_cm.astype(np.float64)
    rank = smooth.astype(np.int64)
    with np.errstate(invalid="ignore"):
        avoided_steps = p.avoid_steps & steps
        long_flight = (
            (not p.avoid_steps) & (p.max_step_count is not None) & steps & (step_count > max_steps)
        )
        no_handrail = p.require_handrail_on_steps & steps & (edge["handrail"] == Tri.NO)
        high_kerb = (p.max_kerb_height_cm is not None) & _exceeds(kerb_h, max_kerb)
        narrow_way = (p.min_width_m is not None) & _exceeds(-way_width, -min_width)
        narrow_gap = (p.min_width_m is not None) & _exceeds(-passage, -min_width) & ~narrow_way
        bad_surface = p.avoid_surfaces_hard & np.isin(
            surface, _names(p.avoid_surfaces, SurfaceClass)
        )
        too_rough = (worst is not None) & (rank > (int(worst) if worst is not None else 99))
        unlit = p.require_lit & dark & (lit == Tri.NO)
        barrier = barriers.blocked
        wc_way = p.respect_wheelchair_no & (edge["wheelchair"] == Wheelchair.NO)
        wc_node = p.respect_wheelchair_no & (eff.wheelchair == Wheelchair.NO) & ~wc_way
        silent = (
            p.require_acoustic_signals & signalised & (eff.acoustic_signal == AcousticSignal.NO)
        )
        no_paving = p.require_tactile_paving & crossing & (eff.tactile_paving == Tri.NO)
    forbidden = unknowns & np.uint32(forbid_bits)
    unknown_way = (forbidden & np.uint32(edge_bits)) != 0
    unknown_node_count = (
        np.where((forbidden & np.uint32(Unknown.KERB_HEIGHT)) != 0, eff.kerb_unknown_count, 0)
        + ((forbidden & np.uint32(Unknown.ACOUSTIC_SIGNAL | Unknown.TACTILE_PAVING)) != 0)
        + ((forbidden & np.uint32(Unknown.BARRIER)) != 0)
    ).astype(np.float64)
    unknown_node = unknown_node_count > 0

    def over(broken: np.ndarray, amount: np.ndarray) -> np.ndarray:
        """How far a limit is broken where it is (0 elsewhere, never NaN or infinite)."""
        return np.where(broken, np.nan_to_num(amount, nan=0.0, posinf=0.0, neginf=0.0), 0.0)

    along_parts = [  # (broken, its limit, its price in seconds)
        (eff.closed, Limit.CLOSED, sev.closed_s + sev.closed_s_per_m * length),
        (avoided_steps, Limit.STEPS, sev.steps_s + sev.steps_s_per_m * length),
        (long_flight, Limit.STEP_COUNT, sev.step_count_s_per_step * over(long_flight, step_count - max_steps)),
        (no_handrail, Limit.HANDRAIL, sev.handrail_s_per_m * length),
        (too_steep, Limit.INCLINE, sev.incline_s_per_m_per_percent * length * over(too_steep, incline - max_incline)),
        (narrow_way, Limit.WIDTH, sev.width_s_per_cm * over(narrow_way, (min_width - way_width) * 100)),
        (bad_surface, Limit.SURFACE, sev.surface_s_per_m * length),
        (too_rough, Limit.SMOOTHNESS, sev.smoothness_s_per_m_per_grade * length * over(too_rough, rank - (int(worst) if worst is not None else 0))),
        (unlit, Limit.LIT, sev.unlit_s_per_m * length),
        (wc_way, Limit.WHEELCHAIR_NO, np.full(length.shape, sev.wheelchair_no_s)),
        (unknown_way, Limit.UNKNOWN_FORBIDDEN, sev.unknown_s_per_m * length),
    ]  # fmt: skip
    point_parts = [
        (high_kerb, Limit.KERB_HEIGHT, sev.kerb_s_per_cm * over(high_kerb, kerb_h - max_kerb)),
        (narrow_gap, Limit.WIDTH, sev.width_s_per_cm * over(narrow_gap, (min_width - passage) * 100)),
        (barrier, Limit.BARRIER, np.full(length.shape, sev.barrier_s)),
        (wc_node, Limit.WHEELCHAIR_NO, np.full(length.shape, sev.wheelchair_no_s)),
        (silent, Limit.ACOUSTIC_SIGNAL, np.full(length.shape, sev.acoustic_signal_s)),
        (no_paving, Limit.TACTILE_PAVING, np.full(length.shape, sev.tactile_paving_s)),
        (unknown_node, Limit.UNKNOWN_FORBIDDEN, sev.unknown_s * unknown_node_count),
    ]  # fmt: skip
    along_bits, head_bits = zero.copy(), zero.copy()
    along_s, point_s = np.zeros(length.shape), np.zeros(length.shape)
    for limit_parts, bits, price in (
        (along_parts, along_bits, along_s),
        (point_parts, head_bits, point_s),
    ):
        for broken, limit, seconds in limit_parts:
            broken = np.asarray(broken, dtype=bool) & np.ones(length.shape, dtype=bool)
            bits |= _flag(broken, limit)
            price += np.where(broken, np.maximum(seconds, 0.0), 0.0)
    violations = along_bits | head_bits
    # the flat part once per broken edge: with the along part if the edge breaks a limit along it
    along_s += np.where(along_bits != 0, VIOLATION_PENALTY_S, 0.0)
    point_s += np.where((along_bits == 0) & (head_bits != 0), VIOLATION_PENALTY_S, 0.0)

    # --- soft costs --------------------------------------------------------------------------
    factor = np.ones(length.shape)
    excess = np.nan_to_num(incline - p.comfortable_incline_percent, nan=0.0)
    factor *= 1.0 + p.incline_penalty_per_percent * np.maximum(excess, 0.0) * ~steps
    factor *= np.where(steps, p.steps_penalty_factor, 1.0)
    if not p.avoid_surfaces_hard:
        factor *= np.where(
            np.isin(surface, _names(p.avoid_surfaces, SurfaceClass)), p.surface_penalty_factor, 1.0
        )
    factor *= np.where((lit == Tri.NO) & dark, p.unlit_penalty_factor, 1.0)
    carriageway = eff.is_road & np.isin(edge["sidewalk"], [Sidewalk.NONE, Sidewalk.SEPARATE])
    factor *= np.where(carriageway, p.carriageway_penalty_factor, 1.0)
    edge_penal = (unknowns & np.uint32(penal_bits & int(_EDGE_LEVEL_UNKNOWNS))) != 0
    factor *= np.where(edge_penal, p.unknown_penalty_factor, 1.0)
    factor *= 1.0 + p.pollen_penalty_factor * pollen_load
    green = (
        edge["green_share"].astype(np.float64) if "green_share" in edge else np.zeros(length.shape)
    )
    factor *= 1.0 + p.green_preference * (1.0 - np.where(np.isnan(green), 0.0, green))
    travel = length / p.walking_speed_mps * factor

    share = eff.crossing_share.astype(np.float64)
    transition = eff.kerb_count * p.kerb_delay_s + share * p.crossing_delay_s
    transition += share * np.where(signalised & (eff.acoustic_signal == AcousticSignal.NO), p.missing_acoustic_signal_penalty_s, 0.0)  # fmt: skip
    transition += share * np.where(crossing & (eff.tactile_paving == Tri.NO), p.missing_tactile_paving_penalty_s, 0.0)  # fmt: skip
    unmarked = np.isin(
        eff.crossing, (CrossingKind.UNMARKED, CrossingKind.INFORMAL, CrossingKind.JUNCTION)
    )  # no markings
    transition += share * np.where(unmarked, p.unmarked_crossing_penalty_s, 0.0)
    node_penal = unknowns & np.uint32(penal_bits & ~int(_EDGE_LEVEL_UNKNOWNS) & 0xFFFF)
    penal_count = np.where(node_penal & np.uint32(Unknown.KERB_HEIGHT), eff.kerb_unknown_count, 0) + share * (
        (node_penal & np.uint32(Unknown.ACOUSTIC_SIGNAL | Unknown.TACTILE_PAVING)) != 0
    ) + ((node_penal & np.uint32(Unknown.BARRIER)) != 0)  # fmt: skip
    transition += penal_count * p.unknown_transition_penalty_s

    cost = np.ascontiguousarray(travel + transition + along_s + point_s)
    has_length = length > 0
    with np.errstate(over="ignore"):  # a violating edge of a micrometre: inf, never the minimum
        min_per_m = (
            float(np.min(cost[has_length] / length[has_length])) if has_length.any() else 0.0
        )
    weights = EdgeWeights(
        way_s=np.ascontiguousarray(travel + along_s),
        head_s=np.ascontiguousarray(transition + point_s),
        violations=_bits(violations.astype(np.uint32) | zero),
        unknowns=_bits(unknowns.astype(np.uint32) | zero),
        cost_s=cost,
        min_cost_per_m=min_per_m,
        violations_at_head=_bits((head_bits & ~along_bits).astype(np.uint32) | zero),
    )
    parts = WeightParts(
        travel_s=np.ascontiguousarray(travel),
        transition_s=np.ascontiguousarray(transition),
        violation_along_s=np.ascontiguousarray(along_s),
        violation_point_s=np.ascontiguousarray(point_s),
    )
    return weights, parts
