"""A route's verdict: yes, unknown or no, and why.

The rule per edge (:func:`verdict_masks`: what the profile's limits break and which of their
facts are unknown, the same rule the matrix uses), what a walk meets of each piece
(:func:`piece_verdict`, :func:`route_met` with the verdict kernel), the verdict with its breaks
and the unknown facts it relies on, counted and placed (:func:`route_accessibility`), and the
unknown metres and counts a report lists (:func:`route_unknowns`). "Accessible" means *known*
to be accessible: a limit whose fact is unknown on the way is relied on, never assumed kept.
Split from :mod:`routing.report`, which builds the rest of a route's report around it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from accessibility_rules.attributes import InclineSource, Tri
from accessibility_rules.profile import Profile, UnknownTreatment
from accessibility_rules.registry import Where, unknown_flags
from accessibility_rules.weights import BITS_DTYPE, POINT_LIMITS, EdgeWeights, Limit, Unknown
from graphs.model import CompiledGraph
from routing._kernels.verdict import (
    PIECE_ESTIMATED_INCLINE,
    RELY_ALONG,
    RELY_ALONG_WALKED,
    RELY_HEADS,
    RELY_HELD_INCLINE,
    RELY_KERBS,
    RELY_NO_RAIL,
    RELY_STEP_COUNT,
    RULE_CAN_BREAK,
    RULE_CLOSED,
    RULE_FORBIDDEN,
    RULE_HANDRAIL,
    RULE_INCLINE,
    RULE_INCLINE_UNKNOWN,
    RULE_LIMITED,
    RULE_MAX_INCLINE,
    RULE_POINT_UNKNOWNS,
    RULE_SIZE,
    RULE_STEP_COUNT,
    RULE_UNKNOWN_FORBIDDEN,
    VERDICT_COLUMNS,
    reliance_pieces,
    route_verdict,
    verdict_masks_fill,
)
from routing.messages import limit_message
from routing.report_table import (
    BARRIER_NAMES,
    NARROW_REPORT_M,
    SMOOTHNESS_NAMES,
    STEEP_REPORT_PERCENT,
    SURFACE_NAMES,
    Pieces,
    ReportTable,
    code_name,
    reported_crossings,
    reported_smoothness,
    reported_surfaces,
)
from routing.rounding import round_float
from routing.route import VERDICTS, Accessibility, Break, Reliance, Verdict

__all__ = [
    "ALONG_BREAKS",
    "ALONG_RELIES",
    "BREAKS",
    "ESTIMATE_CAN_BREAK_PARAMETER",
    "FROM_TAIL_BREAKS",
    "HEAD_BREAKS",
    "HEAD_RELIES",
    "PASSED_HEAD_BREAKS",
    "RELIES",
    "VERDICT_CODE",
    "Met",
    "VerdictPlan",
    "estimate_can_break",
    "limited_unknowns",
    "piece_verdict",
    "route_accessibility",
    "route_met",
    "route_unknowns",
    "verdict_masks",
    "verdict_plan",
]

#: The OR of a whole 1-D array, without the Python wrapper of the array's method (the same ufunc
#: reduction).
_or = np.bitwise_or.reduce


def route_unknowns(
    met: Met, lengths: np.ndarray, block: np.ndarray, table: ReportTable
) -> dict[str, dict[str, float]]:
    """The route's unknown facts by name, from the unknown bits its pieces meet (``met``, where
    the verdict counts them): unknown kerb heights by count and the facts at a piece's head by
    the heads passed (every piece but the last), the others by the metres walked on pieces
    where some length is walked (a step count: met wherever walked). Counted and summed by the
    verdict's reliance kernel (:func:`routing._kernels.verdict.reliance_pieces`, as numpy sums
    them), over every unknown flag, limited or not; ``block``: the route's rows of the report
    ``table``."""
    present = met.unknown_bits
    if not present:
        return {}
    k, count = len(lengths), len(_UNKNOWN_REPORT)
    values = np.empty(count)
    reliance_pieces(
        met.unknowns, met.bits, lengths, block, table.index["incline_percent"],
        table.index["kerb_unknown_count"], _UNKNOWN_REPORT_BITS, _UNKNOWN_REPORT_KINDS, present,
        0, np.zeros(k, dtype=bool), np.empty(count * k + 1, dtype=np.int64),
        np.empty(count + 1, dtype=np.int64), values, np.zeros(k, dtype=bool),
        np.empty(k, dtype=bool), np.empty(k),
    )  # fmt: skip
    unknowns: dict[str, dict[str, float]] = {}
    for (bit, name, kind), value in zip(_UNKNOWN_REPORT, values.tolist(), strict=True):
        if not present & bit:
            continue
        if kind in (RELY_ALONG, RELY_ALONG_WALKED):
            if value > 0:
                unknowns[name] = {"length_m": round_float(value)}
        elif number := int(value):
            unknowns[name] = {"count": number}
    return unknowns


# --------------------------------------------------------------------------- the verdict

#: Incline sources whose value is an estimate rather than a measurement or a tag.
_ESTIMATED_INCLINE_SOURCES = (int(InclineSource.DEM), int(InclineSource.TAG_DIRECTION_ONLY))

#: The profile parameter (added with the severity rules) saying whether an estimated incline
#: above the limit may make the verdict "no"; read only by :func:`estimate_can_break`.
ESTIMATE_CAN_BREAK_PARAMETER = "estimated_incline_breaks_limit"

#: Unknown flags that describe a point met at an edge's head (kerbs, crossing signals).
_POINT_UNKNOWNS = sum(
    int(Unknown[f.upper()]) for f, w in unknown_flags().items() if w is not Where.EDGE
)

#: (bit, name, how it is counted: a ``RELY_*`` kind of
#: :func:`~routing._kernels.verdict.reliance_pieces`)
#: of every Unknown flag in declaration order, as plain values (IntFlag arithmetic is slow): the
#: unknown kerb heights by count, the other facts at an edge's head (:data:`_POINT_UNKNOWNS`:
#: crossing signals, tactile paving, barriers) by the heads passed, the unknown step count by the
#: metres of the pieces where some length is walked, the others by length.
_UNKNOWN_REPORT = tuple(
    (
        int(f),
        (f.name or "").lower(),
        RELY_KERBS
        if f == Unknown.KERB_HEIGHT
        else RELY_HEADS
        if int(f) & _POINT_UNKNOWNS
        else RELY_ALONG_WALKED
        if f == Unknown.STEP_COUNT
        else RELY_ALONG,
    )
    for f in Unknown
)
#: The bits of :data:`_UNKNOWN_REPORT` and their kinds, as the kernel reads them.
_UNKNOWN_REPORT_BITS = np.array([bit for bit, _, _ in _UNKNOWN_REPORT], dtype=np.int64)
_UNKNOWN_REPORT_KINDS = np.array([kind for _, _, kind in _UNKNOWN_REPORT], dtype=np.int64)


def estimate_can_break(profile: Profile) -> bool:
    """Whether an *estimated* incline above the profile's limit makes the verdict "no".

    THE one place that decides it. The profile parameter :data:`ESTIMATE_CAN_BREAK_PARAMETER`
    says so where the profile has it; without it an estimate can break a limit (the break is
    still marked ``estimated``). When it cannot, the break is reported in ``relies_on`` as an
    estimated incline and the verdict is at worst "unknown".
    """
    return bool(getattr(profile, ESTIMATE_CAN_BREAK_PARAMETER, True))


def limited_unknowns(profile: Profile) -> Unknown:
    """The :class:`Unknown` flags whose attribute a *limit* of ``profile`` reads.

    Weights flag unknowns also for soft penalties (an incline penalty, avoided surfaces that
    are only penalised); the verdict asks only about limits: an unknown value there means the
    limit is not known to hold.
    """
    return Unknown(_limited_bits(profile))


def _limited_bits(profile: Profile) -> int:
    """:func:`limited_unknowns` as a plain int (a new profile's report plan reads it)."""
    p = profile
    limited = (  # in _LIMITED_ORDER: a flag added to Unknown must be added here (checked below)
        p.max_incline_percent is not None,
        p.max_kerb_height_cm is not None,
        p.min_width_m is not None,
        p.avoid_surfaces_hard and bool(p.avoid_surfaces),
        p.worst_smoothness is not None,
        p.max_step_count is not None and not p.avoid_steps,
        p.require_lit,
        p.require_acoustic_signals,
        p.require_tactile_paving,
        # who may pass a barrier is a limit of every profile (its mobility class's column)
        True,
        # pollen exposure is weighed, never a limit (unknown.pollen = forbid is a forbidden bit)
        False,
    )
    return sum(bit for bit, limits in zip(_LIMITED_BITS, limited, strict=True) if limits)


#: The Unknown flags in the order of :func:`_limited_bits`' tuple.
_LIMITED_ORDER = (
    "INCLINE", "KERB_HEIGHT", "WIDTH", "SURFACE", "SMOOTHNESS", "STEP_COUNT", "LIT",
    "ACOUSTIC_SIGNAL", "TACTILE_PAVING", "BARRIER", "POLLEN",
)  # fmt: skip
if set(_LIMITED_ORDER) != set(Unknown.__members__):  # pragma: no cover - a new flag needs a rule
    raise ImportError(
        f"limited_unknowns does not know {set(Unknown.__members__) ^ set(_LIMITED_ORDER)}"
    )
_LIMITED_BITS = tuple(int(Unknown[name]) for name in _LIMITED_ORDER)


@dataclass(frozen=True, slots=True)
class VerdictPlan:
    """What the verdict and the report read of one profile, worked out once (IntFlag arithmetic
    and reading a profile's fields are slow)."""

    limited: int  # Unknown bits a limit reads
    forbidden: int  # Unknown bits the profile forbids
    flags: tuple[tuple[int, str, bool], ...]  # (bit, name, at the head) of each limited flag
    rule: np.ndarray  # the verdict kernels' ``rule`` argument (bits of the rule, the profile's)
    can_break: bool  # estimate_can_break(profile)
    max_incline: bool  # the profile limits inclines: estimated ones are relied on
    handrail: bool  # the profile requires handrails on the steps it allows
    steep_limit: float  # inclines at or above this are reported as steep parts
    narrow_limit: float  # passages narrower than this are reported
    reported_surfaces: np.ndarray  # reported_surfaces(profile.avoid_surfaces)
    reported_crossings: np.ndarray  # reported_crossings(profile)
    reported_smoothness: np.ndarray  # reported_smoothness(profile.worst_smoothness)
    #: What the verdict may rely on, in the order listed: (name, along (metres) or counted,
    #: placed at the piece's head, estimated), and the bit and ``RELY_*`` kind of each for
    #: :func:`~routing._kernels.verdict.reliance_pieces`.
    relies: tuple[tuple[str, bool, bool, bool], ...] = ()
    rely_bits: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    rely_kinds: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))


def _reliances(
    flags: tuple[tuple[int, str, bool], ...], max_incline: bool, handrail: bool
) -> tuple[tuple[tuple[str, bool, bool, bool], ...], np.ndarray, np.ndarray]:
    """:attr:`VerdictPlan.relies`, ``rely_bits`` and ``rely_kinds``: each limited unknown flag
    (an unknown kerb height counted by kerbs at the head, the other head facts by heads, an
    unknown step count by pieces, the rest by metres along), then the estimated inclines held
    when the profile limits inclines, then the flights of unknown handrail when it requires
    handrails."""
    entries: list[tuple[tuple[str, bool, bool, bool], int, int]] = []
    for bit, name, at_head in flags:
        if bit == _KERB_HEIGHT_BIT:
            entries.append(((name, False, True, False), bit, RELY_KERBS))
        elif at_head:
            entries.append(((name, False, True, False), bit, RELY_HEADS))
        elif bit == _STEP_COUNT_BIT:
            entries.append(((name, False, False, False), bit, RELY_STEP_COUNT))
        else:
            entries.append(((name, True, False, False), bit, RELY_ALONG))
    if max_incline:
        entries.append((("incline", True, False, True), 0, RELY_HELD_INCLINE))
    if handrail:
        entries.append((("handrail", False, False, False), 0, RELY_NO_RAIL))
    return (
        tuple(e[0] for e in entries),
        np.array([e[1] for e in entries], dtype=np.int64),
        np.array([e[2] for e in entries], dtype=np.int64),
    )


#: The plans of the profiles met last, by identity: hashing a profile (the key of
#: :func:`_plan_of`'s cache) reads every one of its fields, a few microseconds per report. Each
#: entry holds its profile, so the id stays that profile's while the entry lives.
_PLANS_BY_ID: dict[int, tuple[Profile, VerdictPlan]] = {}
_PLANS_BY_ID_MAX = 64


def verdict_plan(profile: Profile) -> VerdictPlan:
    """:func:`_plan_of` ``profile``, looked up by identity first."""
    entry = _PLANS_BY_ID.get(id(profile))
    if entry is not None and entry[0] is profile:
        return entry[1]
    plan = _plan_of(profile)
    if len(_PLANS_BY_ID) >= _PLANS_BY_ID_MAX:
        _PLANS_BY_ID.clear()
    _PLANS_BY_ID[id(profile)] = (profile, plan)
    return plan


#: (bit, name, at the head) of every Unknown flag, as plain ints.
_UNKNOWN_BITS = tuple(
    (int(f), (f.name or "").lower(), bool(int(f) & _POINT_UNKNOWNS)) for f in Unknown
)


@functools.lru_cache(maxsize=64)
def _plan_of(profile: Profile) -> VerdictPlan:
    limited = _limited_bits(profile)
    forbid = UnknownTreatment.FORBID  # plain ints below: IntFlag members are slow to iterate
    forbidden = sum(
        bit for bit, name, _ in _UNKNOWN_BITS if getattr(profile.unknown, name) == forbid
    )
    flags = tuple(entry for entry in _UNKNOWN_BITS if limited & entry[0])
    can_break = estimate_can_break(profile)
    max_incline = profile.max_incline_percent is not None
    handrail = profile.require_handrail_on_steps and not profile.avoid_steps
    rule = np.zeros(RULE_SIZE, dtype=np.int64)
    rule[RULE_UNKNOWN_FORBIDDEN] = int(Limit.UNKNOWN_FORBIDDEN)
    rule[RULE_CLOSED] = _CLOSED_BIT
    rule[RULE_INCLINE] = _INCLINE_BIT
    rule[RULE_POINT_UNKNOWNS] = _POINT_UNKNOWNS
    rule[RULE_STEP_COUNT] = _STEP_COUNT_BIT
    rule[RULE_INCLINE_UNKNOWN] = _INCLINE_UNKNOWN_BIT
    rule[RULE_FORBIDDEN] = forbidden
    rule[RULE_LIMITED] = limited
    rule[RULE_CAN_BREAK] = can_break
    rule[RULE_MAX_INCLINE] = max_incline
    rule[RULE_HANDRAIL] = handrail
    steep = min(STEEP_REPORT_PERCENT, profile.max_incline_percent or STEEP_REPORT_PERCENT)
    narrow = profile.min_width_m if profile.min_width_m is not None else NARROW_REPORT_M
    return VerdictPlan(
        limited, forbidden, flags, rule, can_break, max_incline, handrail, float(steep),
        float(narrow), reported_surfaces(profile.avoid_surfaces), reported_crossings(profile),
        reported_smoothness(profile.worst_smoothness), *_reliances(flags, max_incline, handrail),
    )  # fmt: skip


#: The verdict kernels' ``codes`` argument: the estimated incline sources, Tri.UNKNOWN.
_CODES = np.array([*_ESTIMATED_INCLINE_SOURCES, int(Tri.UNKNOWN)], dtype=np.float64)
#: :data:`~routing._kernels.verdict.VERDICT_COLUMNS` in a block of exactly those columns.
_VERDICT_BLOCK_COLS = np.arange(len(VERDICT_COLUMNS), dtype=np.int64)


#: Limit → (attribute it reads, unit of its values); every limit but UNKNOWN_FORBIDDEN.
_LIMIT_ATTRIBUTE: dict[Limit, tuple[str, str | None]] = {
    Limit.CLOSED: ("closed", None),
    Limit.STEPS: ("steps", "steps"),
    Limit.STEP_COUNT: ("step_count", "steps"),
    Limit.HANDRAIL: ("handrail", None),
    Limit.INCLINE: ("incline", "%"),
    Limit.KERB_HEIGHT: ("kerb_height", "cm"),
    Limit.WIDTH: ("width", "m"),
    Limit.SURFACE: ("surface", None),
    Limit.SMOOTHNESS: ("smoothness", None),
    Limit.LIT: ("lit", None),
    Limit.BARRIER: ("barrier", None),
    Limit.WHEELCHAIR_NO: ("wheelchair", None),
    Limit.ACOUSTIC_SIGNAL: ("acoustic_signal", None),
    Limit.TACTILE_PAVING: ("tactile_paving", None),
}


#: (limit, bit, name, at the head) of every limit with an attribute, as plain ints.
_LIMIT_BITS = tuple(
    (lim, int(lim), (lim.name or "").lower(), bool(int(lim) & int(POINT_LIMITS)))
    for lim in _LIMIT_ATTRIBUTE
)
_INCLINE_BIT = int(Limit.INCLINE)
_CLOSED_BIT = int(Limit.CLOSED)
_STEP_COUNT_BIT = int(Unknown.STEP_COUNT)
_INCLINE_UNKNOWN_BIT = int(Unknown.INCLINE)
_KERB_HEIGHT_BIT = int(Unknown.KERB_HEIGHT)


def _measure(
    limit: Limit, c: Mapping[str, np.ndarray], i: int, profile: Profile
) -> tuple[float | int | str | None, float | int | str | list[str] | None]:
    """The value met on piece ``i`` and the profile's limit for it, in the limit's unit."""
    p = profile
    if limit == Limit.INCLINE:
        return round(float(c["incline_percent"][i]), 2), p.max_incline_percent
    if limit in (Limit.STEPS, Limit.STEP_COUNT):
        count = int(c["step_count"][i])
        return (count if count >= 0 else None), (0 if limit == Limit.STEPS else p.max_step_count)
    if limit == Limit.KERB_HEIGHT:
        return round(float(c["kerb_height_cm"][i]), 1), p.max_kerb_height_cm
    if limit == Limit.WIDTH:
        return round(float(c["passage_width_m"][i]), 2), p.min_width_m
    if limit == Limit.SURFACE:
        return code_name(SURFACE_NAMES, c["surface"][i]), sorted(p.avoid_surfaces)
    if limit == Limit.SMOOTHNESS:
        return code_name(SMOOTHNESS_NAMES, c["smoothness"][i]), p.worst_smoothness
    if limit == Limit.BARRIER:
        return code_name(BARRIER_NAMES, c["barrier"][i]), None
    if limit in (Limit.HANDRAIL, Limit.LIT, Limit.ACOUSTIC_SIGNAL, Limit.TACTILE_PAVING):
        return "no", "yes"
    if limit == Limit.WHEELCHAIR_NO:
        return "no", None
    return None, None


# --- the verdict rule per edge: what walking an edge (or part of it) means for the verdict ------

#: Verdict facts of a *walk* (a piece, a path): OR them along a route; :data:`BREAKS` makes the
#: verdict "no", else :data:`RELIES` makes it "unknown", else it is "yes".
BREAKS = 1
RELIES = 2
#: Verdict code of the OR of a walk's facts (``0..3``): 0 "yes", 1 "unknown", 2 "no" (the index
#: in :data:`routing.route.VERDICTS`).
VERDICT_CODE = np.array([0, 2, 1, 2], dtype=np.int8)

#: Per-edge verdict mask bits (:func:`verdict_masks`), by what the walk must do for them to count.
ALONG_BREAKS = 1 << 0  # some of the edge is walked (fraction > 0)
ALONG_RELIES = 1 << 1
HEAD_BREAKS = 1 << 2  # the walk goes on through the edge's head (every piece but the last)
HEAD_RELIES = 1 << 3
PASSED_HEAD_BREAKS = 1 << 4  # the head is passed by a walk that walks some of the edge
FROM_TAIL_BREAKS = 1 << 5  # the walk starts on the tail node and walks some of the edge


def verdict_masks(
    profile: Profile,
    violations: np.ndarray,
    at_head: np.ndarray,
    unknowns: np.ndarray,
    c: Any,
    closed_edge: np.ndarray,
    closed_head: np.ndarray,
    closed_tail: np.ndarray,
) -> np.ndarray:
    """THE verdict rule per edge: a uint8 mask of ``ALONG_*``, ``HEAD_*``, ``PASSED_HEAD_BREAKS``
    and ``FROM_TAIL_BREAKS`` bits for each of the edges given (``violations``/``unknowns`` are the
    profile's bits of those edges, ``at_head`` the violation bits broken only at the edge's head
    node — ``EdgeWeights.violations_at_head``: kerb, barrier, crossing signals, a node's
    ``wheelchair=no``, a gap's ``maxwidth`` —, ``c`` their report columns, ``closed_*`` whether the edge, its
    head node and its tail node are closed). :func:`piece_verdict` says which bits a piece meets.

    *Breaks* a known limit:

    - along (some of the edge walked): every limit broken along the edge (not those broken
      only at its head) — an incline *estimated* above the limit
      only where :func:`estimate_can_break` — and the edge's own closure; an unknown value the
      profile forbids: a step count always, the other facts along the way only where the edge
      has a length;
    - at the head (the walk goes on through it): the limits broken only there (kerb, barrier,
      crossing signals, a node's ``wheelchair=no`` or ``maxwidth``) and the forbidden unknown
      kerbs, crossings and barriers there;
    - a closed head node only when the walk also walks some of the edge, a closed tail node only
      when the walk starts on it (and walks some of the edge).

    *Relies* on unknown or estimated data (for a limit the profile sets,
    :func:`limited_unknowns`):

    - along: an unknown value along the way where the edge has a length (an incline only when
      it has no value at all), an unknown step count always; an incline estimated from the
      elevation model (or tagged by direction only) that the profile limits
      (``max_incline_percent``), where the edge has a length, is no flight of steps and the
      estimate breaks nothing; a flight of steps of unknown handrail where the profile requires
      handrails and allows steps;
    - at the head: an unknown kerb height, crossing signal, tactile paving or barrier.

    :func:`route_accessibility` lists exactly these facts as ``breaks`` and ``relies_on``.
    """
    plan = verdict_plan(profile)
    v = np.ascontiguousarray(violations, dtype=BITS_DTYPE)
    block = np.column_stack([np.asarray(c[n], dtype=np.float64) for n in VERDICT_COLUMNS])
    mask = np.empty(v.shape, dtype=np.uint8)
    verdict_masks_fill(
        v, np.ascontiguousarray(at_head, dtype=BITS_DTYPE),
        np.ascontiguousarray(unknowns, dtype=BITS_DTYPE), block, _VERDICT_BLOCK_COLS,
        np.ascontiguousarray(closed_edge, dtype=bool), np.ascontiguousarray(closed_head, dtype=bool),
        np.ascontiguousarray(closed_tail, dtype=bool), plan.rule, _CODES, mask,
    )  # fmt: skip
    return mask


def piece_verdict(
    masks: np.ndarray | int,
    walked: np.ndarray | bool,
    through_head: np.ndarray | bool,
    from_tail: np.ndarray | bool,
) -> np.ndarray:
    """:data:`BREAKS` / :data:`RELIES` of pieces with :func:`verdict_masks` ``masks``: ``walked``
    (some of the edge is walked), ``through_head`` (the walk goes on through the head: every
    piece but a route's last) and ``from_tail`` (the route starts on the tail node: its first
    piece, starting at fraction 0). Inputs broadcast; OR the result along a route."""
    m = np.asarray(masks, dtype=np.uint8)
    walked = np.asarray(walked, dtype=bool)
    through_head = np.asarray(through_head, dtype=bool)
    out = np.where(walked, m & 3, 0) | np.where(through_head, (m >> 2) & 3, 0)
    out |= np.where(walked & through_head, (m >> 4) & 1, 0)
    out |= np.where(walked & np.asarray(from_tail, dtype=bool), (m >> 5) & 1, 0)
    return out.astype(np.uint8)


class Met(NamedTuple):
    """What a route's pieces meet (:func:`routing._kernels.verdict.route_verdict`): the verdict
    facts of the walk; per piece the violation bits, the unknown bits and the ``PIECE_*`` bits; and
    the unknown bits met anywhere (their OR)."""

    facts: int
    violations: np.ndarray
    unknowns: np.ndarray
    bits: np.ndarray
    unknown_bits: int


def route_met(
    graph: CompiledGraph,
    table: ReportTable,
    weights: EdgeWeights,
    plan: VerdictPlan,
    edges: np.ndarray,
    lengths: np.ndarray,
    start: float,
    end: float,
) -> Met:
    """:class:`Met` of the walk over ``edges`` (``lengths``: the metres walked on each) from
    fraction ``start`` of the first to ``end`` of the last."""
    k = len(edges)
    met = np.empty(k, dtype=np.int64)
    u_met = np.empty(k, dtype=np.int64)
    piece_bits = np.empty(k, dtype=np.int64)
    facts = route_verdict(
        edges, weights.violations, weights.violations_at_head, weights.unknowns, table.rows,
        table.verdict_columns, graph.edge["closed"], graph.node["closed"], graph.head,
        graph.tail, lengths, start, end, plan.rule, _CODES, met, u_met, piece_bits,
    )  # fmt: skip
    return Met(facts, met, u_met, piece_bits, int(_or(u_met)) if k else 0)


def route_accessibility(
    profile: Profile,
    plan: VerdictPlan,
    weights: EdgeWeights,
    edges: np.ndarray,
    c: Mapping[str, np.ndarray],
    block: np.ndarray,
    index: dict[str, int],
    lengths: np.ndarray,
    total: float,
    pieces: Pieces,
    met: Met,
) -> Accessibility:
    """The verdict on a route's pieces (see :class:`~routing.route.Accessibility`).

    The walk starts at fraction ``start`` of the first piece and ends at ``end`` of the last:
    a limit broken along an edge counts where some of it is walked, one at the head
    (:data:`~accessibility_rules.weights.POINT_LIMITS`, point unknowns) where the walk goes on
    through the head, so nothing beyond either end of the route counts; a closed node counts
    once, where the walk passes it (the tail of the first piece only when the walk starts on
    it). The verdict itself is the rule of :func:`verdict_masks` and :func:`piece_verdict`
    (the rule the matrix applies to its cells), applied per piece by the kernel
    :func:`routing._kernels.verdict.route_verdict` (``met``, :func:`route_met`); the breaks and reliances
    listed are exactly the facts that rule counts. ``plan`` is ``verdict_plan(profile)``; ``pieces``
    gives the places.
    """
    k = len(edges)
    v_met, u_met, piece_bits = met.violations, met.unknowns, met.bits
    place = pieces.place

    # --- what is broken ------------------------------------------------------------------
    # (numpy operations only where the profile forbids an unknown: each costs microseconds)
    forbidden = u_met & np.int64(plan.forbidden) if plan.forbidden else None
    broken = v_met if forbidden is None else v_met | forbidden
    breaks: list[Break] = []
    incline_broken: list[int] = []  # pieces with an incline break listed
    for i in broken.nonzero()[0].tolist():
        bits = int(v_met[i])
        forbid = 0 if forbidden is None else int(forbidden[i])
        point = int(weights.violations_at_head[edges[i]])  # the bits broken only at its head
        for limit, bit, name, _ in _LIMIT_BITS:
            if not bits & bit:
                continue
            at_head = bool(point & bit)
            estimated = bit == _INCLINE_BIT and bool(piece_bits[i] & PIECE_ESTIMATED_INCLINE)
            if estimated and not plan.can_break:  # relied on below instead
                continue
            if bit == _INCLINE_BIT:
                incline_broken.append(i)
            attribute, unit = _LIMIT_ATTRIBUTE[limit]
            value, limit_value = _measure(limit, c, i, profile)
            where = place(i, at_head)
            message = limit_message(limit, c, i, profile, estimated=estimated)
            breaks.append(
                Break(
                    name, attribute, where.at_m, where.lon, where.lat, _plain(value),
                    limit_value, unit, estimated, message,
                )
            )  # fmt: skip
        for bit, name, at_head in _UNKNOWN_BITS:
            if forbid & bit:
                where = place(i, at_head)
                message = limit_message(Limit.UNKNOWN_FORBIDDEN, c, i, profile, unknown_bits=bit)
                breaks.append(
                    Break(
                        "unknown_forbidden", name, where.at_m, where.lon, where.lat,
                        None, None, None, False, message,
                    )
                )  # fmt: skip
    breaks.sort(key=lambda b: b.at_m)

    # --- what rests on unknown or estimated data -------------------------------------------
    listed_broken = np.zeros(k, dtype=bool)
    if incline_broken:
        listed_broken[incline_broken] = True  # an estimate listed as broken is not relied on
    entries = plan.relies
    firsts = np.empty(len(entries) + 1, dtype=np.int64)
    hit = np.empty(len(entries) * k + 1, dtype=np.int64)
    values = np.empty(len(entries))
    unknown_m = reliance_pieces(
        u_met, piece_bits, lengths, block, index["incline_percent"], index["kerb_unknown_count"],
        plan.rely_bits, plan.rely_kinds, met.unknown_bits & plan.limited, _INCLINE_UNKNOWN_BIT,
        listed_broken, hit, firsts, values, np.zeros(k, dtype=bool), np.empty(k, dtype=bool),
        np.empty(k),
    )  # fmt: skip
    relies: list[Reliance] = []
    bounds = firsts.tolist()
    found = hit[: bounds[-1]].tolist()
    for (name, along, at_head, estimated), lo, hi, value in zip(
        entries, bounds[:-1], bounds[1:], values.tolist(), strict=True
    ):
        if lo == hi:  # on no piece: nothing to list
            continue
        places = [place(i, at_head) for i in found[lo:hi]]
        if along:  # its metres, where each run starts
            relies.append(Reliance(name, None, round_float(value), places, estimated))
        else:  # counted at each piece (or its head)
            relies.append(Reliance(name, int(value), None, places))
    known = 1.0 if total <= 0 else 1.0 - unknown_m / total
    verdict: Verdict = VERDICTS[int(VERDICT_CODE[met.facts])]
    return Accessibility(verdict, round_float(min(max(known, 0.0), 1.0), 3), breaks, relies)


def _plain(value: Any) -> Any:
    """numpy scalars → Python values for JSON."""
    return value.item() if isinstance(value, np.generic) else value
