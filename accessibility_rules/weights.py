"""Profile × edge attributes → per-edge costs in seconds, vectorised over all edges.

Cost is time (Valhalla/AccessMap style), split into
- ``travel_s``: length ÷ walking speed, times soft penalty factors (incline above comfort,
  allowed steps, avoided surfaces, unlit ways, walking on the carriageway, penalised unknowns);
- ``transition_s``: what happens at the edge's end (kerbs, road crossings and their signals);
- ``violations``: a bitmask of the profile's hard limits the edge breaks (:class:`Limit`),
  including unknown values the profile forbids.

The search cost is ``travel_s + transition_s + violation_s``, where an edge that breaks any
limit costs :data:`VIOLATION_PENALTY_S`, plus that much again per :data:`VIOLATION_PENALTY_M`
of its length when the limit is broken along it (a slope, steps) rather than at a point (a
kerb, a barrier: :data:`POINT_LIMITS`). Every
route that honours all limits costs far less than one violation, so it is always preferred; if
none exists, the least-bad route (the fewest metres and places of broken limits, then fastest)
is found in the same search and reported as not fully accessible. The penalty follows length,
not edge count, so how OSM happens to split ways cannot send a wheelchair user on a detour.
No Python loop per edge: every rule is a numpy expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np

from accessibility_rules.attributes import (
    AcousticSignal,
    CrossingKind,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.barriers import barrier_masks
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.profile import Profile, UnknownTreatment
from accessibility_rules.registry import Where, unknown_flags

#: Added to the cost of an edge that breaks a hard limit (about 11.5 days): larger than any
#: route that honours the limits, so violations are only used when unavoidable.
VIOLATION_PENALTY_S = 1.0e6
#: A violating stretch costs one more VIOLATION_PENALTY_S per this many metres: a limit broken
#: at one place (a kerb) weighs like 10 m of a limit broken along the way (a steep slope).
VIOLATION_PENALTY_M = 10.0


class Limit(IntFlag):
    """Hard limits an edge can break (bitmask), in the profile's own terms."""

    CLOSED = 1 << 0
    STEPS = 1 << 1
    STEP_COUNT = 1 << 2
    HANDRAIL = 1 << 3
    INCLINE = 1 << 4
    KERB_HEIGHT = 1 << 5
    WIDTH = 1 << 6
    SURFACE = 1 << 7
    SMOOTHNESS = 1 << 8
    LIT = 1 << 9
    BARRIER = 1 << 10
    WHEELCHAIR_NO = 1 << 11
    ACOUSTIC_SIGNAL = 1 << 12
    TACTILE_PAVING = 1 << 13
    UNKNOWN_FORBIDDEN = 1 << 14


#: Limits broken at one place (the kerb, the barrier, the crossing): a flat penalty. All other
#: limits are broken along the edge, and their penalty grows with its length.
POINT_LIMITS = Limit.KERB_HEIGHT | Limit.BARRIER | Limit.ACOUSTIC_SIGNAL | Limit.TACTILE_PAVING


class Unknown(IntFlag):
    """Attributes whose value is unknown on an edge, for the attributes the profile cares about."""

    INCLINE = 1 << 0
    KERB_HEIGHT = 1 << 1
    WIDTH = 1 << 2
    SURFACE = 1 << 3
    SMOOTHNESS = 1 << 4
    STEP_COUNT = 1 << 5
    LIT = 1 << 6
    ACOUSTIC_SIGNAL = 1 << 7
    TACTILE_PAVING = 1 << 8
    BARRIER = 1 << 9


#: Each bit is the registry's ``unknown_flag`` of an attribute, and the profile's
#: ``unknown.<flag>`` says how it is treated.
_UNKNOWN_WHERE = unknown_flags()
if {f.upper() for f in _UNKNOWN_WHERE} != {m.name for m in Unknown}:  # pragma: no cover
    raise ImportError("weights.Unknown and the attribute registry's unknown flags disagree")

#: Unknown flags that describe the edge itself, along the way (penalised by a time factor); the
#: others describe kerbs and crossings (penalised by seconds per occurrence).
_EDGE_LEVEL_UNKNOWNS = Unknown(
    sum(int(Unknown[f.upper()]) for f, where in _UNKNOWN_WHERE.items() if where is Where.EDGE)
)


@dataclass(frozen=True, slots=True)
class EdgeWeights:
    """Per-edge costs of one profile; ``cost_s`` is what the search minimises."""

    travel_s: np.ndarray
    transition_s: np.ndarray
    violations: np.ndarray  # uint32 Limit bits
    unknowns: np.ndarray  # uint32 Unknown bits (relevant to this profile)
    violation_s: np.ndarray  # float64: penalty of the whole edge (0 where no limit is broken)
    cost_s: np.ndarray  # float64, contiguous, >= 0
    min_cost_per_m: float  # smallest cost_s / length_m: scales an admissible A* heuristic

    @property
    def usable(self) -> np.ndarray:
        """Edges that break no hard limit."""
        return self.violations == 0


def _flag(mask: np.ndarray, bit: int) -> np.ndarray:
    return np.where(mask, np.uint32(bit), np.uint32(0))


def _names(members: frozenset[str], enum: type[SurfaceClass]) -> list[int]:
    return [int(enum[name.upper()]) for name in members]


def compute_weights(
    profile: Profile, edge: dict[str, np.ndarray], eff: EffectiveEdges
) -> EdgeWeights:
    """Weights of ``profile`` for a graph's raw edge arrays and its :class:`EffectiveEdges`."""
    p, u = profile, profile.unknown
    length = edge["length_m"]
    incline = np.abs(edge["incline_percent"].astype(np.float64))
    steps = edge["is_steps"]
    surface = edge["surface"]
    smooth = edge["smoothness"]
    lit = edge["lit"]
    zero = np.zeros(length.shape, dtype=np.uint32)

    # --- which values are unknown, for the attributes this profile has a rule about ---------
    cares_incline = p.max_incline_percent is not None or p.incline_penalty_per_percent > 0
    cares_kerb = p.max_kerb_height_cm is not None
    cares_width = p.min_width_m is not None
    cares_surface = bool(p.avoid_surfaces)
    cares_smooth = p.worst_smoothness is not None
    cares_steps = p.max_step_count is not None and not p.avoid_steps
    cares_lit = p.require_lit or p.unlit_penalty_factor > 1
    cares_signals = p.require_acoustic_signals or p.missing_acoustic_signal_penalty_s > 0
    cares_tactile = p.require_tactile_paving or p.missing_tactile_paving_penalty_s > 0
    barriers = barrier_masks(p.mobility, eff, p.avoid_barriers)
    crossing = eff.crossing != CrossingKind.NONE
    signalised = eff.crossing == CrossingKind.TRAFFIC_SIGNALS
    unknowns = (
        _flag(cares_incline & np.isnan(incline) & ~steps, Unknown.INCLINE)
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
    )  # fmt: skip
    treatment = {Unknown[f.upper()]: getattr(u, f) for f in _UNKNOWN_WHERE}
    forbid_bits = sum(int(f) for f, t in treatment.items() if t == UnknownTreatment.FORBID)
    penal_bits = sum(int(f) for f, t in treatment.items() if t == UnknownTreatment.PENALIZE)

    # --- hard limits -------------------------------------------------------------------------
    worst = Smoothness[p.worst_smoothness.upper()] if p.worst_smoothness else None
    step_count = edge["step_count"]
    with np.errstate(invalid="ignore"):
        violations = (
            _flag(eff.closed, Limit.CLOSED)
            | _flag(p.avoid_steps & steps, Limit.STEPS)
            | _flag(
                (not p.avoid_steps) & (p.max_step_count is not None) & steps
                & (step_count > (p.max_step_count if p.max_step_count is not None else 0)),
                Limit.STEP_COUNT,
            )
            | _flag(p.require_handrail_on_steps & steps & (edge["handrail"] == Tri.NO), Limit.HANDRAIL)
            | _flag(
                (p.max_incline_percent is not None) & ~steps
                & (incline > (p.max_incline_percent if p.max_incline_percent is not None else np.inf)),
                Limit.INCLINE,
            )
            | _flag(
                (p.max_kerb_height_cm is not None)
                & (eff.kerb_height_cm > (p.max_kerb_height_cm if p.max_kerb_height_cm is not None else np.inf)),
                Limit.KERB_HEIGHT,
            )
            | _flag(
                (p.min_width_m is not None)
                & (eff.passage_width_m < (p.min_width_m if p.min_width_m is not None else 0.0)),
                Limit.WIDTH,
            )
            | _flag(p.avoid_surfaces_hard & np.isin(surface, _names(p.avoid_surfaces, SurfaceClass)), Limit.SURFACE)
            | _flag((worst is not None) & (smooth > (int(worst) if worst is not None else 99)), Limit.SMOOTHNESS)
            | _flag(p.require_lit & (lit == Tri.NO), Limit.LIT)
            | _flag(barriers.blocked, Limit.BARRIER)
            | _flag(p.respect_wheelchair_no & (eff.wheelchair == Wheelchair.NO), Limit.WHEELCHAIR_NO)
            | _flag(
                p.require_acoustic_signals & signalised & (eff.acoustic_signal == AcousticSignal.NO),
                Limit.ACOUSTIC_SIGNAL,
            )
            | _flag(p.require_tactile_paving & crossing & (eff.tactile_paving == Tri.NO), Limit.TACTILE_PAVING)
            | _flag((unknowns & np.uint32(forbid_bits)) != 0, Limit.UNKNOWN_FORBIDDEN)
        )  # fmt: skip

    # --- soft costs --------------------------------------------------------------------------
    factor = np.ones(length.shape)
    excess = np.nan_to_num(incline - p.comfortable_incline_percent, nan=0.0)
    factor *= 1.0 + p.incline_penalty_per_percent * np.maximum(excess, 0.0) * ~steps
    factor *= np.where(steps, p.steps_penalty_factor, 1.0)
    if not p.avoid_surfaces_hard:
        factor *= np.where(
            np.isin(surface, _names(p.avoid_surfaces, SurfaceClass)), p.surface_penalty_factor, 1.0
        )
    factor *= np.where(lit == Tri.NO, p.unlit_penalty_factor, 1.0)
    carriageway = eff.is_road & np.isin(edge["sidewalk"], [Sidewalk.NONE, Sidewalk.SEPARATE])
    factor *= np.where(carriageway, p.carriageway_penalty_factor, 1.0)
    edge_penal = (unknowns & np.uint32(penal_bits & int(_EDGE_LEVEL_UNKNOWNS))) != 0
    factor *= np.where(edge_penal, p.unknown_penalty_factor, 1.0)
    travel = length / p.walking_speed_mps * factor

    share = eff.crossing_share.astype(np.float64)
    transition = eff.kerb_count * p.kerb_delay_s + share * p.crossing_delay_s
    transition += share * np.where(signalised & (eff.acoustic_signal == AcousticSignal.NO), p.missing_acoustic_signal_penalty_s, 0.0)  # fmt: skip
    transition += share * np.where(crossing & (eff.tactile_paving == Tri.NO), p.missing_tactile_paving_penalty_s, 0.0)  # fmt: skip
    transition += share * np.where(eff.crossing == CrossingKind.UNMARKED, p.unmarked_crossing_penalty_s, 0.0)  # fmt: skip
    node_penal = unknowns & np.uint32(penal_bits & ~int(_EDGE_LEVEL_UNKNOWNS) & 0xFFFF)
    penal_count = np.where(node_penal & np.uint32(Unknown.KERB_HEIGHT), eff.kerb_unknown_count, 0) + share * (
        (node_penal & np.uint32(Unknown.ACOUSTIC_SIGNAL | Unknown.TACTILE_PAVING)) != 0
    ) + ((node_penal & np.uint32(Unknown.BARRIER)) != 0)  # fmt: skip
    transition += penal_count * p.unknown_transition_penalty_s

    along = (violations & np.uint32(~int(POINT_LIMITS) & 0xFFFFFFFF)) != 0
    penalty = np.where(violations != 0, VIOLATION_PENALTY_S, 0.0)
    penalty += np.where(along, VIOLATION_PENALTY_S * length / VIOLATION_PENALTY_M, 0.0)
    cost = np.ascontiguousarray(travel + transition + penalty)
    has_length = length > 0
    min_per_m = float(np.min(cost[has_length] / length[has_length])) if has_length.any() else 0.0
    return EdgeWeights(
        travel_s=np.ascontiguousarray(travel),
        transition_s=np.ascontiguousarray(transition),
        violations=violations.astype(np.uint32) | zero,
        unknowns=unknowns.astype(np.uint32) | zero,
        violation_s=np.ascontiguousarray(penalty),
        cost_s=cost,
        min_cost_per_m=min_per_m,
    )
