"""The numba kernels of :func:`accessibility_rules.weights.compute_weights`: one pass over the edges
per profile (:func:`edge_weights`), on each edge's event word (:func:`edge_events`: what no
profile changes, computed once per state of the attributes).

Why a kernel: the rules are elementwise per edge, and as numpy expressions they are some 250
whole-array operations; on a city graph (22,000 edges) that is 8–15 ms of call overhead and
temporaries per new profile, while one loop over the edges takes a few tenths of a millisecond.
That is what keeps the first query of a never-seen personal profile close to a cached one.

The kernel reads the graph's attribute arrays as they are (any integer or float dtype: every
value is widened to ``int64`` / ``float64`` on reading, as the numpy rules did with ``astype``)
and writes into arrays the caller allocates. The profile comes in as two small arrays, ``params``
(``float64``) and ``flags`` (``int64``), indexed by the ``P_*`` and ``F_*`` constants below, and
three lookup tables (``int8`` codes shifted by :data:`CODE_OFFSET`). The rules themselves are
documented in :mod:`accessibility_rules.weights`; every arithmetic step here is in the same order
as there, so the results are bit for bit those of the reference numpy code in the tests.
"""

from __future__ import annotations

import numpy as np

from accessibility_rules.attributes import (
    AcousticSignal,
    BarrierKind,
    CrossingKind,
    InclineSource,
    Sidewalk,
    Smoothness,
    SurfaceClass,
    Tri,
    Wheelchair,
)
from accessibility_rules.kernel_loading import kernel

#: Lookup tables over ``int8`` codes are indexed by ``code + CODE_OFFSET`` (size 256).
CODE_OFFSET = 128
CODE_TABLE_SIZE = 256

# --- float parameters (``params``) ------------------------------------------------------------
P_SPEED_MPS = 0
P_COMFORTABLE_INCLINE = 1
P_INCLINE_PENALTY = 2
P_STEPS_FACTOR = 3
P_SURFACE_FACTOR = 4
P_UNLIT_FACTOR = 5
P_CARRIAGEWAY_FACTOR = 6
P_UNKNOWN_FACTOR = 7
P_KERB_DELAY_S = 8
P_CROSSING_DELAY_S = 9
P_MISSING_SIGNAL_S = 10
P_MISSING_PAVING_S = 11
P_UNMARKED_S = 12
P_UNKNOWN_TRANSITION_S = 13
P_MAX_INCLINE = 14  # inf without a limit
P_MAX_INCLINE_F32 = 15  # the same rounded to float32 (attributes are compared at that precision)
P_MAX_KERB_CM = 16  # inf without a limit
P_MAX_KERB_F32 = 17
P_MIN_WIDTH_M = 18  # 0 without a limit
P_NEG_MIN_WIDTH_F32 = 19  # -min_width rounded to float32
P_SEV_CLOSED_PER_M = 20
P_SEV_STEPS = 21
P_SEV_STEPS_PER_M = 22
P_SEV_STEP_COUNT = 23
P_SEV_HANDRAIL = 24
P_SEV_INCLINE = 25
P_SEV_WIDTH = 26
P_SEV_SURFACE = 27
P_SEV_SMOOTHNESS = 28
P_SEV_UNLIT = 29
P_SEV_WHEELCHAIR_NO = 30
P_SEV_UNKNOWN_PER_M = 31
P_SEV_KERB = 32
P_SEV_BARRIER = 33
P_SEV_SIGNAL = 34
P_SEV_PAVING = 35
P_SEV_UNKNOWN = 36
P_SEV_CLOSED = 37  # per closed edge, whatever its length
P_POLLEN_FACTOR = 38  # pollen_penalty_factor
P_GREEN_PREFERENCE = 39
P_INTENSITY = 40  # first of N_TAXA pollen intensities 0-3 (POLLEN_TAXA order; 0 = not avoided)
N_TAXA = 9
N_TREE_TAXA = 6  # the first N_TREE_TAXA taxa are tree genera: the columns ``trees`` holds
P_GRASSES = P_INTENSITY + 6
P_MUGWORT = P_INTENSITY + 7
P_AMBROSIA = P_INTENSITY + 8
N_PARAMS = P_INTENSITY + N_TAXA
#: One tree of the genus per this many metres of edge is exposure 1 (as is grass along the whole
#: edge): ``exposure = trees × TREE_EXPOSURE_M / length_m``.
TREE_EXPOSURE_M = 10.0

# --- integer and boolean parameters (``flags``) -----------------------------------------------
F_ESTIMATE_BREAKS = 0
F_CARES_INCLINE = 1
F_CARES_KERB = 2
F_CARES_WIDTH = 3
F_CARES_SURFACE = 4
F_CARES_SMOOTH = 5
F_CARES_STEPS = 6
F_CARES_LIT = 7
F_CARES_SIGNALS = 8
F_CARES_TACTILE = 9
F_AVOID_STEPS = 10
F_HAS_MAX_STEPS = 11
F_MAX_STEPS = 12
F_REQUIRE_HANDRAIL = 13
F_HAS_MAX_KERB = 14
F_HAS_MIN_WIDTH = 15
F_SURFACES_HARD = 16
F_HAS_WORST = 17
F_WORST_RANK = 18  # 0 without a limit
F_REQUIRE_LIT = 19
F_RESPECT_WHEELCHAIR_NO = 20
F_REQUIRE_SIGNALS = 21
F_REQUIRE_PAVING = 22
F_WHEELS = 23  # the wheel classes' barrier rules (node wheelchair tag decides last)
F_FORBID_BITS = 24  # Unknown bits the profile forbids
F_PENAL_BITS = 25  # Unknown bits the profile penalises
F_EDGE_BITS = 26  # Unknown bits that describe the way (the others: kerbs, crossings, barriers)
F_LIGHTS_APPLY = 27  # dark (or time unknown): require_lit and unlit_penalty_factor apply
N_FLAGS = 28

# --- bits of accessibility_rules.weights.Limit and .Unknown (checked there at import) ---------
L_CLOSED = 1 << 0
L_STEPS = 1 << 1
L_STEP_COUNT = 1 << 2
L_HANDRAIL = 1 << 3
L_INCLINE = 1 << 4
L_KERB_HEIGHT = 1 << 5
L_WIDTH = 1 << 6
L_SURFACE = 1 << 7
L_SMOOTHNESS = 1 << 8
L_LIT = 1 << 9
L_BARRIER = 1 << 10
L_WHEELCHAIR_NO = 1 << 11
L_ACOUSTIC_SIGNAL = 1 << 12
L_TACTILE_PAVING = 1 << 13
L_UNKNOWN_FORBIDDEN = 1 << 14

U_INCLINE = 1 << 0
U_KERB_HEIGHT = 1 << 1
U_WIDTH = 1 << 2
U_SURFACE = 1 << 3
U_SMOOTHNESS = 1 << 4
U_STEP_COUNT = 1 << 5
U_LIT = 1 << 6
U_ACOUSTIC_SIGNAL = 1 << 7
U_TACTILE_PAVING = 1 << 8
U_BARRIER = 1 << 9
U_POLLEN = 1 << 10

VIOLATION_PENALTY_S = 1.0e6

# --- bits of the per-edge event word (:func:`edge_events`: what no profile changes) -------------
E_STEPS = 1 << 0  # the edge is steps
E_DEM = 1 << 1  # its incline is estimated from the elevation model
E_BARRIER = 1 << 2  # a barrier (of any kind, or of unknown kind) at its head
E_CLOSED = 1 << 3  # closed (an obstacle)
E_HANDRAIL_NO = 1 << 4  # handrail = no
E_LIT_NO = 1 << 5  # lit = no
E_WAY_WHEELCHAIR_NO = 1 << 6  # the way's wheelchair = no
E_NODE_WHEELCHAIR_NO = 1 << 7  # the head's wheelchair = no
E_SIGNAL_NO = 1 << 8  # a crossing with traffic signals that has no acoustic signal
E_PAVING_NO = 1 << 9  # a crossing without tactile paving
E_UNMARKED = 1 << 10  # an unmarked (or informal) crossing
E_CARRIAGEWAY = 1 << 11  # a road walked without a sidewalk (none, or mapped separately)

# --- columns of the optional ``parts`` output (seconds) -----------------------------------------
PART_TRAVEL = 0  # length ÷ speed × the soft factors
PART_TRANSITION = 1  # the head's kerbs and crossings
PART_ALONG = 2  # the price of limits broken along the edge
PART_POINT = 3  # the price of limits broken at the head
N_PARTS = 4

# --- attribute codes (plain ints: numba freezes module globals) -------------------------------
_DEM = int(InclineSource.DEM)
_SURFACE_UNKNOWN = int(SurfaceClass.UNKNOWN)
_SMOOTH_UNKNOWN = int(Smoothness.UNKNOWN)
_TRI_YES, _TRI_NO, _TRI_UNKNOWN = int(Tri.YES), int(Tri.NO), int(Tri.UNKNOWN)
_WC_YES, _WC_DESIGNATED = int(Wheelchair.YES), int(Wheelchair.DESIGNATED)
_WC_NO, _WC_LIMITED = int(Wheelchair.NO), int(Wheelchair.LIMITED)
_NO_CROSSING = int(CrossingKind.NONE)
_SIGNALS = int(CrossingKind.TRAFFIC_SIGNALS)
_UNMARKED = int(CrossingKind.UNMARKED)
_INFORMAL = int(CrossingKind.INFORMAL)
_JUNCTION = int(CrossingKind.JUNCTION)
_ACOUSTIC_UNKNOWN, _ACOUSTIC_NO = int(AcousticSignal.UNKNOWN), int(AcousticSignal.NO)
_NO_BARRIER = int(BarrierKind.NONE)
_SIDEWALK_NONE, _SIDEWALK_SEPARATE = int(Sidewalk.NONE), int(Sidewalk.SEPARATE)
_DBL_MAX = float(np.finfo(np.float64).max)


@kernel
def _finite(x: float) -> float:
    """``np.nan_to_num``: NaN → 0, ±inf → ±the largest float."""
    if x != x:
        return 0.0
    if x > _DBL_MAX:
        return _DBL_MAX
    if x < -_DBL_MAX:
        return -_DBL_MAX
    return x


@kernel
def _nonneg(x: float) -> float:
    """``np.maximum(x, 0.0)`` (NaN stays NaN)."""
    if x != x or x > 0.0:
        return x
    return 0.0


@kernel
def _f32(x: float) -> float:
    """``x`` rounded to float32 (the precision attributes are stored and compared at)."""
    return float(np.float32(x))


@kernel
def edge_events(
    is_steps: np.ndarray,
    incline_source: np.ndarray,
    incline_percent: np.ndarray,
    width_m: np.ndarray,
    surface: np.ndarray,
    smoothness: np.ndarray,
    step_count: np.ndarray,
    handrail: np.ndarray,
    lit: np.ndarray,
    way_wheelchair: np.ndarray,
    sidewalk: np.ndarray,
    kerb_unknown_count: np.ndarray,
    crossing: np.ndarray,
    acoustic_signal: np.ndarray,
    tactile_paving: np.ndarray,
    barrier: np.ndarray,
    wheelchair: np.ndarray,
    closed: np.ndarray,
    is_road: np.ndarray,
    events: np.ndarray,
    unknown_candidates: np.ndarray,
) -> None:
    """What the rules read of an edge that is the same for every profile, into ``events`` (the
    ``E_*`` bits) and ``unknown_candidates`` (the :class:`Unknown` bits of the values that are
    unknown; a profile keeps those it has a rule about, and lit only in the dark).

    Computed once per state of the attributes (a graph, an obstacle change: 0.02 ms on
    Kaiserslautern's 21,796 edges) instead of in every profile's :func:`edge_weights`, which
    then tests bits instead of deriving them from 12 more arrays: 0.28 instead of 0.44 ms there
    (warm caches, all presets). Inputs: the raw way attributes, then the effective ones; any
    integer or float dtype, read as :func:`edge_weights` read them.
    """
    for i in range(len(is_steps)):
        steps = bool(is_steps[i])
        kind = int(crossing[i])
        signal = int(acoustic_signal[i])
        paving = int(tactile_paving[i])
        lit_i = int(lit[i])
        signalised = kind == _SIGNALS
        is_crossing = kind != _NO_CROSSING
        e = 0
        if steps:
            e |= E_STEPS
        if int(incline_source[i]) == _DEM:
            e |= E_DEM
        if int(barrier[i]) != _NO_BARRIER:
            e |= E_BARRIER
        if closed[i]:
            e |= E_CLOSED
        if int(handrail[i]) == _TRI_NO:
            e |= E_HANDRAIL_NO
        if lit_i == _TRI_NO:
            e |= E_LIT_NO
        if int(way_wheelchair[i]) == _WC_NO:
            e |= E_WAY_WHEELCHAIR_NO
        if int(wheelchair[i]) == _WC_NO:
            e |= E_NODE_WHEELCHAIR_NO
        if signalised and signal == _ACOUSTIC_NO:
            e |= E_SIGNAL_NO
        if is_crossing and paving == _TRI_NO:
            e |= E_PAVING_NO
        if kind in (_UNMARKED, _INFORMAL, _JUNCTION):  # informal, junction: no markings either
            e |= E_UNMARKED
        if is_road[i] and int(sidewalk[i]) in (_SIDEWALK_NONE, _SIDEWALK_SEPARATE):
            e |= E_CARRIAGEWAY
        incline = abs(float(incline_percent[i]))
        way_width = float(width_m[i])
        u = 0
        if incline != incline and not steps:
            u |= U_INCLINE
        if int(kerb_unknown_count[i]) > 0:
            u |= U_KERB_HEIGHT
        if way_width != way_width:
            u |= U_WIDTH
        if int(surface[i]) == _SURFACE_UNKNOWN:
            u |= U_SURFACE
        if int(smoothness[i]) == _SMOOTH_UNKNOWN:
            u |= U_SMOOTHNESS
        if steps and int(step_count[i]) < 0:
            u |= U_STEP_COUNT
        if lit_i == _TRI_UNKNOWN:
            u |= U_LIT
        if signalised and signal == _ACOUSTIC_UNKNOWN:
            u |= U_ACOUSTIC_SIGNAL
        if is_crossing and paving == _TRI_UNKNOWN:
            u |= U_TACTILE_PAVING
        events[i] = e
        unknown_candidates[i] = u


@kernel
def edge_weights(
    length_m: np.ndarray,
    incline_percent: np.ndarray,
    surface: np.ndarray,
    smoothness: np.ndarray,
    width_m: np.ndarray,
    step_count: np.ndarray,
    kerb_count: np.ndarray,
    kerb_height_cm: np.ndarray,
    kerb_unknown_count: np.ndarray,
    crossing_share: np.ndarray,
    barrier: np.ndarray,
    barrier_access: np.ndarray,
    barrier_wheelchair: np.ndarray,
    passage_width_m: np.ndarray,
    events: np.ndarray,
    unknown_candidates: np.ndarray,
    trees: tuple[np.ndarray, ...],
    trees_unknown: np.ndarray,
    grass_share: np.ndarray,
    green_share: np.ndarray,
    params: np.ndarray,
    flags: np.ndarray,
    passability: np.ndarray,
    avoided_surface: np.ndarray,
    avoided_barrier: np.ndarray,
    way_s: np.ndarray,
    head_s: np.ndarray,
    violations: np.ndarray,
    unknowns: np.ndarray,
    cost_s: np.ndarray,
    violations_at_head: np.ndarray,
    min_cost_per_m: np.ndarray,
    parts: np.ndarray,
) -> None:
    """Every field of one profile's ``EdgeWeights`` for every edge, into the output arrays.

    Inputs: the edge arrays (``length_m`` … ``step_count``, the graph's raw way attributes) and
    the effective arrays (``kerb_count`` … ``passage_width_m``, :class:`EffectiveEdges`; absent
    barrier overrides are passed as unknown) whose values the rules compare with the profile's,
    the event word and the unknown candidates of every edge (:func:`edge_events`: what the
    rules read of the other attributes, the same for every profile), the context columns
    (``trees``: the :data:`N_TREE_TAXA` tree genera's count columns, the graph's own arrays,
    ``trees_unknown``, ``grass_share``, ``green_share``; NaN where not known; ``trees`` may be
    empty columns when no tree taxon is in ``params``), the profile and the day's conditions
    (``params``, ``flags``), the barrier passability of the profile's mobility class indexed by
    ``barrier + 1``, and which surface and barrier codes the profile avoids (indexed by
    ``code + CODE_OFFSET``).
    ``min_cost_per_m[0]`` receives the smallest ``cost_s / length_m`` over edges of positive
    length (0 if none).

    ``way_s`` is ``travel + violation_along`` and ``head_s`` is ``transition + violation_point``
    (what a partly walked edge is charged by the walked share, and what only passing its head
    costs); the four parts themselves go into ``parts`` (edges × :data:`N_PARTS`, in the order
    of the ``PART_*`` columns) only when it has rows: the rules' tests read them, routing does
    not need them stored.
    """
    speed = params[P_SPEED_MPS]
    max_incline = params[P_MAX_INCLINE]
    max_kerb = params[P_MAX_KERB_CM]
    min_width = params[P_MIN_WIDTH_M]
    max_steps = flags[F_MAX_STEPS]
    worst = flags[F_WORST_RANK]
    wheels = flags[F_WHEELS] != 0
    forbid_bits = flags[F_FORBID_BITS]
    penal_bits = flags[F_PENAL_BITS]
    edge_bits = flags[F_EDGE_BITS]
    lights = flags[F_LIGHTS_APPLY] != 0
    trees_flying = False
    for t in range(N_TREE_TAXA):
        if params[P_INTENSITY + t] > 0.0:
            trees_flying = True
    herbs_flying = params[P_MUGWORT] > 0.0 or params[P_AMBROSIA] > 0.0
    grass_weight = params[P_GRASSES] / 3.0
    cares = (  # Unknown bits of the attributes the profile has a rule about (lit: in the dark)
        (U_INCLINE if flags[F_CARES_INCLINE] else 0)
        | (U_KERB_HEIGHT if flags[F_CARES_KERB] else 0)
        | (U_WIDTH if flags[F_CARES_WIDTH] else 0)
        | (U_SURFACE if flags[F_CARES_SURFACE] else 0)
        | (U_SMOOTHNESS if flags[F_CARES_SMOOTH] else 0)
        | (U_STEP_COUNT if flags[F_CARES_STEPS] else 0)
        | (U_LIT if flags[F_CARES_LIT] and lights else 0)
        | (U_ACOUSTIC_SIGNAL if flags[F_CARES_SIGNALS] else 0)
        | (U_TACTILE_PAVING if flags[F_CARES_TACTILE] else 0)
    )
    smallest = np.inf
    seen_nan = False
    any_length = False
    with_parts = parts.shape[0] > 0
    for i in range(len(length_m)):
        length = float(length_m[i])
        incline = abs(float(incline_percent[i]))
        e = int(events[i])
        steps = (e & E_STEPS) != 0
        surf = int(surface[i])
        rank = int(smoothness[i])
        count = int(step_count[i])
        way_width = float(width_m[i])
        passage = float(passage_width_m[i])
        kerb_h = float(kerb_height_cm[i])
        kerb_unknown = int(kerb_unknown_count[i])
        share = float(crossing_share[i])
        surface_avoided = avoided_surface[surf + CODE_OFFSET]

        # inclines: estimated ones above the limit break it only if the profile says so
        too_steep = (not steps) and _f32(incline) > params[P_MAX_INCLINE_F32]
        steep_estimate = too_steep and (e & E_DEM) != 0 and flags[F_ESTIMATE_BREAKS] == 0
        too_steep = too_steep and not steep_estimate

        # the barrier at the head: the table's row, then the node's own tags
        code = int(barrier[i])
        state = _TRI_YES  # no barrier
        if e & E_BARRIER:
            state = int(passability[code + 1])
            access = int(barrier_access[i])
            if wheels:
                node_wc = int(barrier_wheelchair[i])
                if access == _TRI_NO:
                    state = _TRI_NO
                if node_wc in (_WC_YES, _WC_DESIGNATED):
                    state = _TRI_YES
                if node_wc == _WC_NO:
                    state = _TRI_NO
                if node_wc == _WC_LIMITED:
                    state = _TRI_UNKNOWN
            elif access == _TRI_YES:
                state = _TRI_YES
            elif access == _TRI_NO:
                state = _TRI_NO
        if avoided_barrier[code + CODE_OFFSET]:
            state = _TRI_NO

        # which values are unknown, for the attributes this profile has a rule about
        unknown = cares & (int(unknown_candidates[i]) | (U_INCLINE if steep_estimate else 0))
        if state == _TRI_UNKNOWN:
            unknown |= U_BARRIER

        # pollen: exposure to the avoided taxa in flight, each weighed by intensity / 3
        pollen_load = 0.0
        pollen_unknown = herbs_flying  # mugwort and ragweed are never mapped
        if trees_flying:
            for t in range(N_TREE_TAXA):
                weight = params[P_INTENSITY + t] / 3.0
                if weight > 0.0:
                    n = float(trees[t][i])
                    if n != n:
                        pollen_unknown = True
                    elif n > 0.0 and length > 0.0:
                        pollen_load += weight * (n * TREE_EXPOSURE_M / length)
            n_unknown = float(trees_unknown[i])
            if n_unknown != n_unknown or n_unknown > 0.0:
                pollen_unknown = True
        if grass_weight > 0.0:
            grass = float(grass_share[i])
            if grass != grass:
                pollen_unknown = True
            else:
                pollen_load += grass_weight * grass
        if pollen_unknown:
            unknown |= U_POLLEN
        forbidden = unknown & forbid_bits
        unknown_node_count = float(
            (kerb_unknown if forbidden & U_KERB_HEIGHT else 0)
            + (1 if forbidden & (U_ACOUSTIC_SIGNAL | U_TACTILE_PAVING) else 0)
            + (1 if forbidden & U_BARRIER else 0)
        )

        # hard limits along the edge, each with its severity in seconds
        along_bits = 0
        along = 0.0
        if e & E_CLOSED:
            along_bits |= L_CLOSED
            along += _nonneg(params[P_SEV_CLOSED] + params[P_SEV_CLOSED_PER_M] * length)
        if flags[F_AVOID_STEPS] and steps:
            along_bits |= L_STEPS
            along += _nonneg(params[P_SEV_STEPS] + params[P_SEV_STEPS_PER_M] * length)
        if not flags[F_AVOID_STEPS] and flags[F_HAS_MAX_STEPS] and steps and count > max_steps:
            along_bits |= L_STEP_COUNT
            along += _nonneg(params[P_SEV_STEP_COUNT] * float(count - max_steps))
        if flags[F_REQUIRE_HANDRAIL] and steps and (e & E_HANDRAIL_NO) != 0:
            along_bits |= L_HANDRAIL
            along += _nonneg(params[P_SEV_HANDRAIL] * length)
        if too_steep:
            along_bits |= L_INCLINE
            along += _nonneg(params[P_SEV_INCLINE] * length * _finite(incline - max_incline))
        narrow_way = flags[F_HAS_MIN_WIDTH] != 0 and _f32(-way_width) > params[P_NEG_MIN_WIDTH_F32]
        if narrow_way:
            along_bits |= L_WIDTH
            along += _nonneg(params[P_SEV_WIDTH] * _finite((min_width - way_width) * 100))
        if flags[F_SURFACES_HARD] and surface_avoided:
            along_bits |= L_SURFACE
            along += _nonneg(params[P_SEV_SURFACE] * length)
        if flags[F_HAS_WORST] and rank > worst:
            along_bits |= L_SMOOTHNESS
            along += _nonneg(params[P_SEV_SMOOTHNESS] * length * float(rank - worst))
        if flags[F_REQUIRE_LIT] and lights and (e & E_LIT_NO):
            along_bits |= L_LIT
            along += _nonneg(params[P_SEV_UNLIT] * length)
        wc_way = flags[F_RESPECT_WHEELCHAIR_NO] != 0 and (e & E_WAY_WHEELCHAIR_NO) != 0
        if wc_way:
            along_bits |= L_WHEELCHAIR_NO
            along += _nonneg(params[P_SEV_WHEELCHAIR_NO])
        if forbidden & edge_bits:
            along_bits |= L_UNKNOWN_FORBIDDEN
            along += _nonneg(params[P_SEV_UNKNOWN_PER_M] * length)

        # hard limits at the head
        head_bits = 0
        point = 0.0
        if flags[F_HAS_MAX_KERB] and _f32(kerb_h) > params[P_MAX_KERB_F32]:
            head_bits |= L_KERB_HEIGHT
            point += _nonneg(params[P_SEV_KERB] * _finite(kerb_h - max_kerb))
        if (
            flags[F_HAS_MIN_WIDTH]
            and _f32(-passage) > params[P_NEG_MIN_WIDTH_F32]
            and not narrow_way
        ):
            head_bits |= L_WIDTH
            point += _nonneg(params[P_SEV_WIDTH] * _finite((min_width - passage) * 100))
        if state == _TRI_NO:
            head_bits |= L_BARRIER
            point += _nonneg(params[P_SEV_BARRIER])
        if flags[F_RESPECT_WHEELCHAIR_NO] and (e & E_NODE_WHEELCHAIR_NO) != 0 and not wc_way:
            head_bits |= L_WHEELCHAIR_NO
            point += _nonneg(params[P_SEV_WHEELCHAIR_NO])
        if flags[F_REQUIRE_SIGNALS] and (e & E_SIGNAL_NO):
            head_bits |= L_ACOUSTIC_SIGNAL
            point += _nonneg(params[P_SEV_SIGNAL])
        if flags[F_REQUIRE_PAVING] and (e & E_PAVING_NO):
            head_bits |= L_TACTILE_PAVING
            point += _nonneg(params[P_SEV_PAVING])
        if unknown_node_count > 0:
            head_bits |= L_UNKNOWN_FORBIDDEN
            point += _nonneg(params[P_SEV_UNKNOWN] * unknown_node_count)
        # the flat part once per broken edge: with the along part if it breaks a limit along it
        if along_bits != 0:
            along += VIOLATION_PENALTY_S
        elif head_bits != 0:
            point += VIOLATION_PENALTY_S

        # soft costs
        factor = 1.0
        slope = params[P_INCLINE_PENALTY] * _nonneg(
            _finite(incline - params[P_COMFORTABLE_INCLINE])
        )
        factor *= 1.0 + slope * (0.0 if steps else 1.0)
        if steps:
            factor *= params[P_STEPS_FACTOR]
        if not flags[F_SURFACES_HARD] and surface_avoided:
            factor *= params[P_SURFACE_FACTOR]
        if lights and (e & E_LIT_NO):
            factor *= params[P_UNLIT_FACTOR]
        if e & E_CARRIAGEWAY:
            factor *= params[P_CARRIAGEWAY_FACTOR]
        if unknown & (penal_bits & edge_bits):
            factor *= params[P_UNKNOWN_FACTOR]
        factor *= 1.0 + params[P_POLLEN_FACTOR] * pollen_load
        green = float(green_share[i])
        if green != green:  # not known to be green: costed as not green (the wish is not served)
            green = 0.0
        factor *= 1.0 + params[P_GREEN_PREFERENCE] * (1.0 - green)
        travel = length / speed * factor

        transition = (
            float(kerb_count[i]) * params[P_KERB_DELAY_S] + share * params[P_CROSSING_DELAY_S]
        )
        transition += share * (params[P_MISSING_SIGNAL_S] if e & E_SIGNAL_NO else 0.0)
        transition += share * (params[P_MISSING_PAVING_S] if e & E_PAVING_NO else 0.0)
        transition += share * (params[P_UNMARKED_S] if e & E_UNMARKED else 0.0)
        node_penal = unknown & (penal_bits & ~edge_bits & 0xFFFF)
        penal_count = (
            float(kerb_unknown if node_penal & U_KERB_HEIGHT else 0)
            + share * (1.0 if node_penal & (U_ACOUSTIC_SIGNAL | U_TACTILE_PAVING) else 0.0)
            + (1.0 if node_penal & U_BARRIER else 0.0)
        )
        transition += penal_count * params[P_UNKNOWN_TRANSITION_S]

        cost = travel + transition + along + point
        way_s[i] = travel + along
        head_s[i] = transition + point
        violations[i] = along_bits | head_bits
        unknowns[i] = unknown
        cost_s[i] = cost
        violations_at_head[i] = head_bits & ~along_bits
        if with_parts:
            parts[i, PART_TRAVEL] = travel
            parts[i, PART_TRANSITION] = transition
            parts[i, PART_ALONG] = along
            parts[i, PART_POINT] = point
        if length > 0:
            any_length = True
            per_m = cost / length
            if per_m != per_m:
                seen_nan = True
            elif per_m < smallest:
                smallest = per_m
    if not any_length:
        min_cost_per_m[0] = 0.0
    elif seen_nan:
        min_cost_per_m[0] = np.nan
    else:
        min_cost_per_m[0] = smallest
