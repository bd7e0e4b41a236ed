"""Profile × edge attributes → per-edge costs in seconds, in one compiled pass over all edges.

Cost is time (Valhalla/AccessMap style), split into
- ``travel_s``: length ÷ walking speed, times soft penalty factors (incline above comfort,
  allowed steps, avoided surfaces, unlit ways, walking on the carriageway, penalised unknowns);
- ``transition_s``: what happens at the edge's end (kerbs, road crossings and their signals);
- ``violation_along_s`` and ``violation_point_s``: the price of the profile's hard limits that
  the edge breaks along its length (a slope, steps, a narrow way) and at its head (a kerb, a
  barrier, a crossing without signals: :data:`POINT_LIMITS`);
- ``violations``: a bitmask of the limits broken (:class:`Limit`), including unknown values the
  profile forbids.

The search minimises ``cost_s = travel_s + transition_s + violation_along_s + violation_point_s``.
A profile's :class:`EdgeWeights` keeps ``cost_s`` and, for edges walked only in part (a route's
first and last edge), ``way_s = travel_s + violation_along_s`` (charged by the walked share) and
``head_s = transition_s + violation_point_s`` (charged when the walk passes the head): the four
parts are not stored (:func:`weight_parts` computes them, for tests and diagnostics), which
keeps a cached profile at 30 bytes per edge instead of 46 (its bit arrays are ``uint16``:
:data:`BITS_DTYPE`).

**The day's conditions** (:class:`~accessibility_rules.conditions.Conditions`, an explicit input
beside the profile) add three rules:

- *pollen*: for the taxa the profile avoids (``avoid_pollen``) that fly that day, an edge's time
  grows by ``pollen_penalty_factor × Σ intensity/3 × exposure``; exposure is the trees of that
  genus passed per 10 m of edge (``trees_<genus> × 10 / length_m``, the trees passed as
  :mod:`graphs.features` counts them: however the way is split; one tree per 10 m, an avenue on
  one side, is exposure 1) and for grasses the edge's ``grass_share`` (grass along the
  whole edge is exposure 1). What is not known adds no time but is an *unknown* exposure
  (:attr:`Unknown.POLLEN`, treated per ``unknown.pollen`` with the other unknowns: accepted,
  penalised by ``unknown_penalty_factor`` or forbidden): trees of unknown genus
  (``trees_unknown > 0``) while any avoided tree genus flies, a column the graph lacks (NaN: built
  before the columns existed, never read as "no trees"), and mugwort and ragweed wherever they fly
  (they are not mapped). Unknown is never counted as safe;
- *green*: an edge's time grows by ``green_preference × (1 − green_share)`` (an edge whose green
  share is not known is costed as not green: the wish is not served there);
- *light*: ``require_lit`` and ``unlit_penalty_factor`` (and the unknown ``lit``) apply only when
  it is dark at the departure, or when the time is not known (``Conditions.dark`` None).

**The severity rule.** An edge that breaks any limit costs a flat :data:`VIOLATION_PENALTY_S`
(1e6 s, 11.5 days) plus, for every limit it breaks, the profile's ``severity.*`` times how badly
it is broken: per metre of steps and per flight, per percent of incline above the limit and per
metre, per cm of kerb above the limit, per cm of width below it, per barrier, per metre closed, …
(:class:`~accessibility_rules.profile.Severity`). Hence

1. a route that honours every limit always beats a route that breaks one, as long as it costs
   less than 1e6 s: the flat part of one broken edge is larger than any such route. In
   Kaiserslautern the costliest compliant metre of any preset costs 65 s (a rollator on allowed
   steps) and 99 % cost at most 16 s, so that bound is some 15 km of the very worst compliant
   ways and far beyond any walk in a city;
2. among routes that break limits, the severity-weighted badness decides: the presets price an
   *impassable* break (a flight of steps or a barrier for a wheelchair) at about 1e8 s and
   *hard work* (1 % too steep over 100 m, 1 cm of kerb too high) at about 1e6 s, so a wheelchair
   is sent 95 m up a 7 % slope rather than down three flights of steps; a piece of way closed by
   city staff at 1e10 s whatever its length (``closed_s``), so a route passes a closure only
   where nothing else leads around; travel time only decides between routes of equal badness.

The flat part is charged once per broken edge: with the ``along`` part when the edge breaks a
limit along its length, else with the ``point`` part. A walk over part of an edge pays the whole
flat part of ``violation_along_s`` (the limit is met as soon as the edge is entered; that keeps
rule 1 true for the first and last pieces) plus the walked share of the rest, and
``violation_point_s`` only if it reaches the head. The length-dependent severities make how OSM
happens to split ways matter little. An incline estimated from the elevation model
(``InclineSource.DEM``) above ``max_incline_percent`` breaks the limit only when the profile's
``estimated_incline_breaks_limit`` says so; otherwise it is an unknown incline
(:attr:`Unknown.INCLINE`), treated per ``unknown.incline``.
The rules are elementwise per edge and run as one compiled pass over the edges
(:func:`accessibility_rules._kernels.edge_weights`): a new profile's weights cost a few tenths of a
millisecond on a city graph, not the 8–15 ms of the equivalent numpy expressions (kept in the
tests as the reference the kernel must equal bit for bit).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntFlag

import numpy as np

from accessibility_rules import _kernels as _k
from accessibility_rules.attributes import BarrierKind, Mobility, Smoothness, SurfaceClass, Tri
from accessibility_rules.barriers import passability
from accessibility_rules.conditions import DEFAULT_CONDITIONS, Conditions
from accessibility_rules.effective import EffectiveEdges
from accessibility_rules.pollen import POLLEN_TAXA, TREE_TAXA
from accessibility_rules.profile import Profile, UnknownTreatment, load_preset
from accessibility_rules.profile_errors import UnknownProfileError
from accessibility_rules.registry import Where, unknown_flags

#: Added once to the cost of an edge that breaks a hard limit (about 11.5 days): larger than any
#: route that honours the limits, so violations are only used when unavoidable. The profile's
#: ``severity.*`` adds how badly each limit is broken on top of it.
VIOLATION_PENALTY_S = 1.0e6

#: The dtype of every per-edge bit array (:class:`EdgeWeights`' ``violations``, ``unknowns``,
#: ``violations_at_head``; :class:`EdgeEvents`): 15 :class:`Limit` bits, 11 :class:`Unknown`
#: bits, 12 event bits all fit in 16 (checked at import). Each profile's metric holds three
#: such arrays: uint16 instead of uint32 is 6 bytes an edge less (131 kB a metric on
#: Kaiserslautern, in every worker that holds it, and fewer fresh pages to fault in when a new
#: personal profile is weighed).
BITS_DTYPE = np.uint16


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


#: Limits broken at the edge's head (the kerb, the barrier, the crossing): charged only when a
#: walk reaches the head (``violation_point_s``). All other limits are broken along the edge
#: (``violation_along_s``, prorated by the walked share). Two along limits can also be caused
#: by the head node alone (a barrier's ``maxwidth``, a node ``wheelchair=no``), and an unknown
#: kerb or crossing the profile forbids is at the head too: their price is in
#: ``violation_point_s``, and ``violations_at_head`` has their bit.
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
    POLLEN = 1 << 10


#: Each bit is the registry's ``unknown_flag`` of an attribute, and the profile's
#: ``unknown.<flag>`` says how it is treated.
#: ``pollen`` is not one attribute's unknown but the day's exposure (trees of unknown genus, columns
#: not built, herbs never mapped): a flag of the conditions, along the edge.
_UNKNOWN_WHERE = {**unknown_flags(), "pollen": Where.EDGE}
if {f.upper() for f in _UNKNOWN_WHERE} != {m.name for m in Unknown}:  # pragma: no cover
    raise ImportError("weights.Unknown and the attribute registry's unknown flags disagree")

#: Unknown flags that describe the edge itself, along the way (penalised by a time factor); the
#: others describe kerbs and crossings (penalised by seconds per occurrence).
_EDGE_LEVEL_UNKNOWNS = Unknown(
    sum(int(Unknown[f.upper()]) for f, where in _UNKNOWN_WHERE.items() if where is Where.EDGE)
)
#: (field of ``Profile.unknown``, its Unknown bit as a plain int): a new profile's inputs read
#: these instead of building the IntFlag members (half of ``profile_inputs``' time).
_UNKNOWN_FIELD_BITS = tuple((f, int(Unknown[f.upper()])) for f in _UNKNOWN_WHERE)


@dataclass(frozen=True, slots=True)
class EdgeWeights:
    """Per-edge costs of one profile; ``cost_s`` is what the search minimises."""

    way_s: np.ndarray  # float64: travel_s + violation_along_s (charged by the walked share)
    head_s: np.ndarray  # float64: transition_s + violation_point_s (charged past the head)
    violations: np.ndarray  # BITS_DTYPE Limit bits, all (along | at the head)
    unknowns: np.ndarray  # BITS_DTYPE Unknown bits (relevant to this profile)
    cost_s: np.ndarray  # float64, contiguous, >= 0
    min_cost_per_m: float  # smallest cost_s / length_m: scales an admissible A* heuristic
    violations_at_head: np.ndarray  # BITS_DTYPE Limit bits broken only at the head, not along

    @property
    def usable(self) -> np.ndarray:
        """Edges that break no hard limit."""
        return self.violations == 0


@dataclass(frozen=True, slots=True)
class EdgeEvents:
    """What the rules read of every edge that is the same for every profile
    (:func:`accessibility_rules._kernels.edge_events`): computed once per state of the
    attributes and handed to :func:`compute_weights` for each profile."""

    events: np.ndarray  # BITS_DTYPE E_* bits (steps, closed, a crossing without signals …)
    unknown_candidates: np.ndarray  # BITS_DTYPE Unknown bits of the values that are unknown


def edge_events(edge: Mapping[str, np.ndarray], eff: EffectiveEdges) -> EdgeEvents:
    """The :class:`EdgeEvents` of a graph's raw edge arrays and its :class:`EffectiveEdges`."""
    m = len(eff.kerb_count)
    out = EdgeEvents(np.empty(m, dtype=BITS_DTYPE), np.empty(m, dtype=BITS_DTYPE))
    c = np.ascontiguousarray
    _k.edge_events(
        c(edge["is_steps"]), c(edge["incline_source"]), c(edge["incline_percent"]),
        c(edge["width_m"]), c(edge["surface"]), c(edge["smoothness"]), c(edge["step_count"]),
        c(edge["handrail"]), c(edge["lit"]), c(edge["wheelchair"]), c(edge["sidewalk"]),
        c(eff.kerb_unknown_count), c(eff.crossing), c(eff.acoustic_signal), c(eff.tactile_paving),
        c(eff.barrier), c(eff.wheelchair), c(eff.closed), c(eff.is_road),
        out.events, out.unknown_candidates,
    )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class WeightParts:
    """The four parts of every edge's cost (seconds, float64), as the rules compute them."""

    travel_s: np.ndarray  # length ÷ walking speed × the soft penalty factors
    transition_s: np.ndarray  # the head's kerbs and road crossings
    violation_along_s: np.ndarray  # price of limits broken along the edge (prorated)
    violation_point_s: np.ndarray  # price of limits broken at the head (when reached)


if (
    {m.name: int(m) for m in Limit}
    != {n[2:]: getattr(_k, n) for n in dir(_k) if n.startswith("L_")}
    or {m.name: int(m) for m in Unknown}
    != {n[2:]: getattr(_k, n) for n in dir(_k) if n.startswith("U_")}
    or _k.VIOLATION_PENALTY_S != VIOLATION_PENALTY_S
):  # pragma: no cover
    raise ImportError("weights.Limit/Unknown and the weight kernel's bits disagree")
if max(
    max(Limit), max(Unknown), max(getattr(_k, n) for n in dir(_k) if n.startswith("E_"))
) >= 1 << (8 * np.dtype(BITS_DTYPE).itemsize):  # pragma: no cover
    raise ImportError("a Limit, Unknown or event bit does not fit BITS_DTYPE")
if len(TREE_TAXA) != _k.N_TREE_TAXA:  # pragma: no cover
    raise ImportError("the weight kernel's tree genera and pollen.TREE_TAXA disagree")


def cares_about_signals(profile: Profile) -> bool:
    """Whether a crossing's acoustic signal changes the profile's weights (required or priced)."""
    return profile.require_acoustic_signals or profile.missing_acoustic_signal_penalty_s > 0


def cares_about_paving(profile: Profile) -> bool:
    """Whether a crossing's tactile paving changes the profile's weights (required or priced)."""
    return profile.require_tactile_paving or profile.missing_tactile_paving_penalty_s > 0


def _float32(value: float) -> float:
    """``value`` rounded to float32: attributes are stored as float32, so a tagged 0.9 m reads
    0.8999999762; compared at float32 precision it equals a 0.9 m limit."""
    return float(np.float32(value))


def _code_table(codes: list[int]) -> np.ndarray:
    """A bool lookup over int8 attribute codes (``code + CODE_OFFSET``), true at ``codes``."""
    table = np.zeros(_k.CODE_TABLE_SIZE, dtype=np.bool_)
    table[np.asarray(codes, dtype=np.int64) + _k.CODE_OFFSET] = True
    return table


@functools.lru_cache(maxsize=64)
def _avoided_tables(surfaces: frozenset[str], barriers: frozenset[str]) -> tuple[np.ndarray, ...]:
    """The :func:`_code_table` of avoided surface and barrier names (looking the names up is
    most of their cost; profiles share a few sets). Callers get copies."""
    return (
        _code_table([int(SurfaceClass[x.upper()]) for x in surfaces]),
        _code_table([int(BarrierKind[x.upper()]) for x in barriers]),
    )


#: Profile fields that no weight reads: the rest limit (a constraint on the whole route, kept by
#: the rest-constrained search of :mod:`routing.rests` over the weights), the display names and
#: the mark of a personal profile. Profiles that differ only in them have equal weights
#: (``tests/accessibility_rules/test_weights_profile.py`` changes each and compares
#: :func:`profile_inputs`).
WEIGHTLESS_FIELDS = ("customised", "label_de", "label_en", "max_distance_between_rests_m")


def weights_profile(profile: Profile) -> Profile:
    """``profile`` as its weights see it, the key its metric is cached under: a preset as it is;
    a personal profile with the :data:`WEIGHTLESS_FIELDS` of its preset, which is the preset
    itself when nothing else was changed.

    An elderly user who sets their own distance between seats walks on the preset's weights:
    the router serves them the preset's metric, with its own landmarks, instead of weighing
    every edge again into an equal copy and searching on borrowed landmarks; personal profiles
    that differ only in those fields share one metric."""
    if not profile.customised:
        return profile
    return _weights_profile(profile)


@functools.lru_cache(maxsize=1024)
def _weights_profile(profile: Profile) -> Profile:
    try:
        preset = load_preset(profile.name)
    except UnknownProfileError:  # a profile built elsewhere, without a preset of its name
        return profile
    seen = profile.model_copy(update={name: getattr(preset, name) for name in WEIGHTLESS_FIELDS})
    if seen == preset:
        return preset
    return seen.model_copy(update={"customised": True})


@functools.lru_cache(maxsize=256)
def profile_inputs(
    profile: Profile, conditions: Conditions = DEFAULT_CONDITIONS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The profile as the weight kernel reads it: ``params`` (float64), ``flags`` (int64), the
    surface codes it avoids and the barrier codes it refuses (bool lookups over int8 codes).
    ``conditions`` adds the intensity of each avoided taxon (taxa the profile does not avoid stay
    0) and whether the light rules apply.

    Cached per profile and conditions (both frozen), the arrays read-only: a staff write
    re-weights a few edges of each profile in use, where building these anew cost as much as
    the kernel pass over those edges.

    Which attributes the profile "cares" about (has a rule for) is decided here: only for those
    an unknown value is an :class:`Unknown` (walk does not report an unknown kerb height).
    """
    p, u, sev = profile, profile.unknown, profile.severity
    max_incline = p.max_incline_percent if p.max_incline_percent is not None else np.inf
    max_kerb = p.max_kerb_height_cm if p.max_kerb_height_cm is not None else np.inf
    min_width = p.min_width_m if p.min_width_m is not None else 0.0
    values = [0.0] * _k.N_PARAMS  # a list, made an array once (a numpy store per value is slower)
    for index, value in (
        (_k.P_SPEED_MPS, p.walking_speed_mps),
        (_k.P_COMFORTABLE_INCLINE, p.comfortable_incline_percent),
        (_k.P_INCLINE_PENALTY, p.incline_penalty_per_percent),
        (_k.P_STEPS_FACTOR, p.steps_penalty_factor),
        (_k.P_SURFACE_FACTOR, p.surface_penalty_factor),
        (_k.P_UNLIT_FACTOR, p.unlit_penalty_factor),
        (_k.P_CARRIAGEWAY_FACTOR, p.carriageway_penalty_factor),
        (_k.P_UNKNOWN_FACTOR, p.unknown_penalty_factor),
        (_k.P_KERB_DELAY_S, p.kerb_delay_s),
        (_k.P_CROSSING_DELAY_S, p.crossing_delay_s),
        (_k.P_MISSING_SIGNAL_S, p.missing_acoustic_signal_penalty_s),
        (_k.P_MISSING_PAVING_S, p.missing_tactile_paving_penalty_s),
        (_k.P_UNMARKED_S, p.unmarked_crossing_penalty_s),
        (_k.P_UNKNOWN_TRANSITION_S, p.unknown_transition_penalty_s),
        (_k.P_MAX_INCLINE, max_incline),
        (_k.P_MAX_INCLINE_F32, _float32(max_incline)),
        (_k.P_MAX_KERB_CM, max_kerb),
        (_k.P_MAX_KERB_F32, _float32(max_kerb)),
        (_k.P_MIN_WIDTH_M, min_width),
        (_k.P_NEG_MIN_WIDTH_F32, _float32(-min_width)),
        (_k.P_SEV_CLOSED, sev.closed_s),
        (_k.P_SEV_CLOSED_PER_M, sev.closed_s_per_m),
        (_k.P_SEV_STEPS, sev.steps_s),
        (_k.P_SEV_STEPS_PER_M, sev.steps_s_per_m),
        (_k.P_SEV_STEP_COUNT, sev.step_count_s_per_step),
        (_k.P_SEV_HANDRAIL, sev.handrail_s_per_m),
        (_k.P_SEV_INCLINE, sev.incline_s_per_m_per_percent),
        (_k.P_SEV_WIDTH, sev.width_s_per_cm),
        (_k.P_SEV_SURFACE, sev.surface_s_per_m),
        (_k.P_SEV_SMOOTHNESS, sev.smoothness_s_per_m_per_grade),
        (_k.P_SEV_UNLIT, sev.unlit_s_per_m),
        (_k.P_SEV_WHEELCHAIR_NO, sev.wheelchair_no_s),
        (_k.P_SEV_UNKNOWN_PER_M, sev.unknown_s_per_m),
        (_k.P_SEV_KERB, sev.kerb_s_per_cm),
        (_k.P_SEV_BARRIER, sev.barrier_s),
        (_k.P_SEV_SIGNAL, sev.acoustic_signal_s),
        (_k.P_SEV_PAVING, sev.tactile_paving_s),
        (_k.P_SEV_UNKNOWN, sev.unknown_s),
        (_k.P_POLLEN_FACTOR, p.pollen_penalty_factor),
        (_k.P_GREEN_PREFERENCE, p.green_preference),
    ):
        values[index] = value
    for t, taxon in enumerate(POLLEN_TAXA):
        if taxon in p.avoid_pollen:
            values[_k.P_INTENSITY + t] = conditions.intensity(taxon)
    params = np.array(values, dtype=np.float64)
    treatment = [(bit, getattr(u, f)) for f, bit in _UNKNOWN_FIELD_BITS]
    worst = Smoothness[p.worst_smoothness.upper()] if p.worst_smoothness else None
    ints = [0] * _k.N_FLAGS
    for index, flag in (
        (_k.F_ESTIMATE_BREAKS, p.estimated_incline_breaks_limit),
        (_k.F_CARES_INCLINE, p.max_incline_percent is not None or p.incline_penalty_per_percent > 0),
        (_k.F_CARES_KERB, p.max_kerb_height_cm is not None),
        (_k.F_CARES_WIDTH, p.min_width_m is not None),
        (_k.F_CARES_SURFACE, bool(p.avoid_surfaces)),
        (_k.F_CARES_SMOOTH, p.worst_smoothness is not None),
        (_k.F_CARES_STEPS, p.max_step_count is not None and not p.avoid_steps),
        (_k.F_CARES_LIT, p.require_lit or p.unlit_penalty_factor > 1),
        (_k.F_CARES_SIGNALS, cares_about_signals(p)),
        (_k.F_CARES_TACTILE, cares_about_paving(p)),
        (_k.F_AVOID_STEPS, p.avoid_steps),
        (_k.F_HAS_MAX_STEPS, p.max_step_count is not None),
        (_k.F_MAX_STEPS, p.max_step_count if p.max_step_count is not None else 0),
        (_k.F_REQUIRE_HANDRAIL, p.require_handrail_on_steps),
        (_k.F_HAS_MAX_KERB, p.max_kerb_height_cm is not None),
        (_k.F_HAS_MIN_WIDTH, p.min_width_m is not None),
        (_k.F_SURFACES_HARD, p.avoid_surfaces_hard),
        (_k.F_HAS_WORST, worst is not None),
        (_k.F_WORST_RANK, int(worst) if worst is not None else 0),
        (_k.F_REQUIRE_LIT, p.require_lit),
        (_k.F_RESPECT_WHEELCHAIR_NO, p.respect_wheelchair_no),
        (_k.F_REQUIRE_SIGNALS, p.require_acoustic_signals),
        (_k.F_REQUIRE_PAVING, p.require_tactile_paving),
        (_k.F_WHEELS, p.mobility in (Mobility.WHEELCHAIR, Mobility.WHEELED)),
        (_k.F_FORBID_BITS, sum(bit for bit, t in treatment if t == UnknownTreatment.FORBID)),
        (_k.F_PENAL_BITS, sum(bit for bit, t in treatment if t == UnknownTreatment.PENALIZE)),
        (_k.F_EDGE_BITS, int(_EDGE_LEVEL_UNKNOWNS)),
        (_k.F_LIGHTS_APPLY, conditions.lights_apply),
    ):  # fmt: skip
        ints[index] = int(flag)
    flags = np.array(ints, dtype=np.int64)
    surfaces, barriers = (t.copy() for t in _avoided_tables(p.avoid_surfaces, p.avoid_barriers))
    for array in (params, flags, surfaces, barriers):
        array.setflags(write=False)
    return params, flags, surfaces, barriers


@functools.lru_cache(maxsize=16)
def _constant(m: int, value: float, dtype: type[np.generic]) -> np.ndarray:
    """A read-only array of ``m`` times ``value``: the stand-in for a column the graph lacks, made
    once per graph size instead of per profile (fresh memory costs page faults: a new profile's
    weights are computed on the request that asks for them)."""
    out = np.full(m, value, dtype=dtype)
    out.setflags(write=False)
    return out


def _read_only(a: np.ndarray) -> np.ndarray:
    """``a`` as an array no one writes through: itself if it is one, else a read-only view."""
    if not a.flags.writeable:
        return a
    view = a.view()
    view.setflags(write=False)
    return view


#: The tree columns the weights pass is given when no avoided tree genus flies (it reads none).
_NO_TREE_COLUMNS = (_constant(0, 0.0, np.float32),) * len(TREE_TAXA)


def context_columns(
    edge: Mapping[str, np.ndarray], m: int, *, trees: bool
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, np.ndarray]:
    """The columns the conditions' rules read: the tree genera's counts (one column each, in
    :data:`~accessibility_rules.pollen.TREE_TAXA` order; empty ones unless ``trees``),
    ``trees_unknown``, ``grass_share``, ``green_share``. A column the graph lacks is NaN
    (unknown), never 0 (no trees).

    The counts are the graph's own float32 arrays, read in place: stacked into one float64
    array of edges × genera they were 1 MB of fresh memory on Kaiserslautern for every metric
    of a day when an avoided genus flies, 0.98 of the 2.35 ms an allergy preset took to weigh
    a day of other pollen. A column the graph lacks is float32 NaN, as the graph's are (a graph
    built before the columns existed still runs the build's pass, not numba's JIT); tree
    columns of another dtype (hand-built arrays) give float64 ones (every value exact either
    way). All are read-only, as a served graph's are: numba's JIT, where it runs, compiles the
    pass for one type of them."""
    nan = _constant(m, np.nan, np.float32)  # the graph's dtype: the build's pass takes it

    def column(name: str) -> np.ndarray:
        value = edge.get(name)
        return nan if value is None else np.ascontiguousarray(value)

    counts = _NO_TREE_COLUMNS
    if trees:
        columns = [column(f"trees_{t}") for t in TREE_TAXA]
        same = all(c.dtype == np.float32 for c in columns)
        counts = tuple(_read_only(c if same else c.astype(np.float64)) for c in columns)
    unknown_trees = np.ascontiguousarray(column("trees_unknown"), dtype=np.float32)
    return counts, unknown_trees, column("grass_share"), column("green_share")


def _outputs(into: Mapping[str, np.ndarray] | None, m: int) -> EdgeWeights:
    """The arrays :func:`edge_weights` writes for ``m`` edges: those of ``into`` that fit (a
    writeable array of ``m`` of the field's dtype), new ones for the others."""

    def output(name: str, dtype: type[np.generic]) -> np.ndarray:
        old = None if into is None else into.get(name)
        if old is not None and old.shape == (m,) and old.dtype == dtype and old.flags.writeable:
            return old
        return np.empty(m, dtype=dtype)

    return EdgeWeights(
        way_s=output("way_s", np.float64),
        head_s=output("head_s", np.float64),
        violations=output("violations", BITS_DTYPE),
        unknowns=output("unknowns", BITS_DTYPE),
        cost_s=output("cost_s", np.float64),
        min_cost_per_m=0.0,
        violations_at_head=output("violations_at_head", BITS_DTYPE),
    )


def compute_weights(
    profile: Profile,
    edge: Mapping[str, np.ndarray],
    eff: EffectiveEdges,
    conditions: Conditions = DEFAULT_CONDITIONS,
    events: EdgeEvents | None = None,
    into: Mapping[str, np.ndarray] | None = None,
) -> EdgeWeights:
    """Weights of ``profile`` in ``conditions`` for a graph's raw edge arrays and its
    :class:`EffectiveEdges`. ``events`` must be :func:`edge_events` of exactly these arrays (the
    router keeps them with its attributes, under the lock that swaps both); without them they
    are computed here (0.02 ms on Kaiserslautern). ``into``: arrays no one reads any more, by
    the :class:`EdgeWeights` field they were (an evicted metric's,
    :func:`routing.recycling.recyclable`), to write the new weights into instead of fresh memory,
    whose every page is a page fault when first written; one of another length or dtype, or not
    writeable, is not used.

    One pass of :func:`accessibility_rules._kernels.edge_weights` over the edges (the rules in
    the module docstring); the arrays are read as they are, without copies (the graph's own
    dtypes; :func:`context_columns`).
    """
    return _weights(profile, edge, eff, conditions, events, with_parts=False, into=into)[0]


def weight_parts(
    profile: Profile,
    edge: Mapping[str, np.ndarray],
    eff: EffectiveEdges,
    conditions: Conditions = DEFAULT_CONDITIONS,
) -> WeightParts:
    """The four parts of :func:`compute_weights`' costs, by the same kernel pass: what the rules
    charge as travel, transition and the two violation prices (not kept by a profile's metric)."""
    parts = _weights(profile, edge, eff, conditions, None, with_parts=True)[1]
    columns = (_k.PART_TRAVEL, _k.PART_TRANSITION, _k.PART_ALONG, _k.PART_POINT)
    travel, transition, along, point = (np.ascontiguousarray(parts[:, c]) for c in columns)
    return WeightParts(travel, transition, along, point)


def _weights(
    profile: Profile,
    edge: Mapping[str, np.ndarray],
    eff: EffectiveEdges,
    conditions: Conditions,
    events: EdgeEvents | None,
    *,
    with_parts: bool,
    into: Mapping[str, np.ndarray] | None = None,
) -> tuple[EdgeWeights, np.ndarray]:
    """:func:`compute_weights`, and with ``with_parts`` the parts (edges × ``N_PARTS``)."""
    if events is None:
        events = edge_events(edge, eff)
    params, flags, surfaces, barriers = profile_inputs(profile, conditions)
    m = len(eff.kerb_count)
    flying = bool(np.any(params[_k.P_INTENSITY : _k.P_INTENSITY + _k.N_TREE_TAXA] > 0))
    trees, trees_unknown, grass_share, green_share = context_columns(edge, m, trees=flying)
    unknown_tri = _constant(m, Tri.UNKNOWN, np.int8)
    out = _outputs(into, m)
    min_cost_per_m = np.zeros(1)
    parts = np.empty((m if with_parts else 0, _k.N_PARTS))
    c = np.ascontiguousarray
    _k.edge_weights(
        c(edge["length_m"]), c(edge["incline_percent"]), c(edge["surface"]),
        c(edge["smoothness"]), c(edge["width_m"]), c(edge["step_count"]),
        c(eff.kerb_count), c(eff.kerb_height_cm), c(eff.kerb_unknown_count),
        c(eff.crossing_share), c(eff.barrier),
        c(unknown_tri if eff.barrier_access is None else eff.barrier_access),
        c(unknown_tri if eff.barrier_wheelchair is None else eff.barrier_wheelchair),
        c(eff.passage_width_m), events.events, events.unknown_candidates,
        trees, trees_unknown, grass_share, green_share, params, flags, passability(profile.mobility), surfaces, barriers,
        out.way_s, out.head_s, out.violations, out.unknowns, out.cost_s, out.violations_at_head,
        min_cost_per_m, parts,
    )  # fmt: skip
    return dataclasses.replace(out, min_cost_per_m=float(min_cost_per_m[0])), parts
