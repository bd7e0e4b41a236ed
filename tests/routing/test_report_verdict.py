"""The verdict kernels (:func:`routing._kernels.verdict.verdict_masks_fill` behind
:func:`routing.verdict.verdict_masks`, and :func:`routing._kernels.verdict.route_verdict` behind a
route's verdict) against the numpy rule they replaced, kept here as the reference: the same mask for
every edge of the real Kaiserslautern graph under every preset, and on random bits and
attributes (hypothesis); the same facts, violations and unknowns met per piece on random walks
over real edges; the unknowns a route lists, read from the unknown bits its pieces meet, equal
those worked out from the profile's unknown bits of its edges; a profile's plan looked up by
identity is the plan by equality."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import InclineSource, Tri
from accessibility_rules.profile import Profile, make_profile, preset_names
from accessibility_rules.weights import BITS_DTYPE, Limit, Unknown
from routing._kernels import verdict as verdict_kernels
from routing.route import Reliance
from routing.verdict import (
    _CLOSED_BIT,
    _CODES,
    _ESTIMATED_INCLINE_SOURCES,
    _INCLINE_BIT,
    _INCLINE_UNKNOWN_BIT,
    _KERB_HEIGHT_BIT,
    _POINT_UNKNOWNS,
    _STEP_COUNT_BIT,
    _plan_of,
    estimate_can_break,
    piece_verdict,
    route_accessibility,
    route_met,
    route_unknowns,
    verdict_masks,
    verdict_plan,
)
from tests.routing.report_pieces import walk_pieces

HYP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def verdict_masks_reference(
    profile: Profile,
    violations: np.ndarray,
    at_head: np.ndarray,
    unknowns: np.ndarray,
    c: Any,
    closed_edge: np.ndarray,
    closed_head: np.ndarray,
    closed_tail: np.ndarray,
) -> np.ndarray:
    """The numpy verdict rule per edge (the code before the kernel)."""
    plan = verdict_plan(profile)
    u32 = np.uint32
    v = np.asarray(violations, dtype=u32)
    h = np.asarray(at_head, dtype=u32)
    u = np.asarray(unknowns, dtype=u32)
    point_unknowns = _POINT_UNKNOWNS
    has_length = np.asarray(c["length_m"]) > 0
    src = np.asarray(c["incline_source"])
    estimated = (src == _ESTIMATED_INCLINE_SOURCES[0]) | (src == _ESTIMATED_INCLINE_SOURCES[1])
    incline = np.asarray(c["incline_percent"], dtype=np.float64)
    known_incline = np.isfinite(incline)
    steps = np.asarray(c["is_steps"]) > 0
    closure = (v & u32(_CLOSED_BIT)) != 0

    # --- breaks
    along = v & ~h & u32(~(int(Limit.UNKNOWN_FORBIDDEN) | _CLOSED_BIT) & 0xFFFFFFFF)
    if not estimate_can_break(profile):
        along = np.where(estimated, along & u32(~_INCLINE_BIT & 0xFFFFFFFF), along)
    forbidden = u & u32(plan.forbidden)
    breaks_along = (
        (along != 0)
        | ((forbidden & u32(_STEP_COUNT_BIT)) != 0)
        | (((forbidden & u32(~point_unknowns & 0xFFFFFFFF)) != 0) & has_length)
        | (np.asarray(closed_edge, dtype=bool) & closure)
    )
    breaks_head = ((h & u32(~int(Limit.UNKNOWN_FORBIDDEN) & 0xFFFFFFFF)) != 0) | (
        (forbidden & u32(point_unknowns)) != 0
    )

    # --- relies on unknown or estimated data
    relied = u & u32(plan.limited)
    relied_along = relied & u32(~(point_unknowns | _STEP_COUNT_BIT) & 0xFFFFFFFF)
    relied_along = np.where(
        known_incline, relied_along & u32(~_INCLINE_UNKNOWN_BIT & 0xFFFFFFFF), relied_along
    )
    relies_along = ((relied_along != 0) & has_length) | ((relied & u32(_STEP_COUNT_BIT)) != 0)
    if profile.max_incline_percent is not None:
        held = has_length & ~steps & known_incline & estimated
        relies_along |= held & ((along & u32(_INCLINE_BIT)) == 0)
    if profile.require_handrail_on_steps and not profile.avoid_steps:
        relies_along |= steps & (np.asarray(c["handrail"]) == Tri.UNKNOWN)
    relies_head = (relied & u32(point_unknowns)) != 0

    parts = (  # in the order of the bits ALONG_BREAKS … FROM_TAIL_BREAKS
        breaks_along, relies_along, breaks_head, relies_head,
        np.asarray(closed_head, dtype=bool) & closure,
        np.asarray(closed_tail, dtype=bool) & closure,
    )  # fmt: skip
    mask = np.zeros(v.shape, dtype=np.uint8)
    for bit, part in enumerate(parts):
        mask |= part.view(np.uint8) << np.uint8(bit)
    return mask


def route_facts_reference(
    profile: Profile, weights: Any, graph: Any, c: dict[str, np.ndarray], edges: np.ndarray,
    lengths: np.ndarray, start: float, end: float,
) -> tuple[int, np.ndarray, np.ndarray]:  # fmt: skip
    """Facts, violations met and unknowns met per piece, as the report computed them."""
    k = len(edges)
    starts, ends = np.zeros(k), np.ones(k)
    starts[0], ends[-1] = start, end
    walked = ends > starts
    head = np.arange(k) < k - 1
    from_tail = np.zeros(k, dtype=bool)
    from_tail[0] = start == 0.0
    closed_ends = (
        graph.edge["closed"][edges].astype(bool),
        graph.node["closed"][graph.head[edges]].astype(bool),
        graph.node["closed"][graph.tail[edges]].astype(bool),
    )
    along = walked & (lengths > 0)
    closed_edge, closed_head, closed_tail = closed_ends
    closed = walked & (closed_edge | (closed_head & head) | (closed_tail & from_tail))
    at_head = weights.violations_at_head[edges]
    masks = verdict_masks_reference(
        profile, weights.violations[edges], at_head, weights.unknowns[edges], c, *closed_ends
    )
    facts = int(np.bitwise_or.reduce(piece_verdict(masks, walked, head, from_tail), initial=0))
    point = at_head.astype(np.int64)
    vbits = weights.violations[edges].astype(np.int64) & ~np.int64(int(Limit.UNKNOWN_FORBIDDEN))
    met = np.where(walked, vbits & ~point, 0) | np.where(head, vbits & point, 0)
    met &= np.where(closed, -1, ~np.int64(_CLOSED_BIT))
    ubits = weights.unknowns[edges].astype(np.int64)
    u_met = (
        np.where(along, ubits & ~np.int64(_POINT_UNKNOWNS), 0)
        | np.where(walked, ubits & np.int64(_STEP_COUNT_BIT), 0)
        | np.where(head, ubits & np.int64(_POINT_UNKNOWNS), 0)
    )
    return facts, met, u_met


@pytest.fixture(scope="module")
def presets(ksl_router: Any) -> list[Profile]:
    return [ksl_router.profile(name) for name in preset_names()]


def test_verdict_masks_of_every_edge(ksl_router: Any, presets: list[Profile]) -> None:
    """The whole graph under every preset (what the matrix reads)."""
    g = ksl_router.graph
    node_closed = g.node["closed"].astype(bool)
    head, tail = np.asarray(g.head, dtype=np.int64), np.asarray(g.tail, dtype=np.int64)
    columns = ksl_router.customizer.report_table().columns()
    for profile in presets:
        w = ksl_router.customize(profile).weights
        args = (
            profile, w.violations, w.violations_at_head, w.unknowns, columns,
            g.edge["closed"].astype(bool), node_closed[head], node_closed[tail],
        )  # fmt: skip
        assert verdict_masks(*args).tolist() == verdict_masks_reference(*args).tolist()


_SOURCES = [float(int(s)) for s in InclineSource]
_TRI = [float(int(t)) for t in Tri]
_BITS = st.integers(0, 2**16 - 1)


@HYP
@given(data=st.data(), n=st.integers(1, 30))
def test_verdict_masks_on_random_bits(presets: list[Profile], data: Any, n: int) -> None:
    """Random violation, head and unknown bits, lengths (zero too), incline sources and values
    (NaN too), steps, handrails and closures, for every preset."""
    draw = data.draw
    u32 = np.uint32
    v = np.array(draw(st.lists(_BITS, min_size=n, max_size=n)), dtype=u32)
    h = np.array(draw(st.lists(_BITS, min_size=n, max_size=n)), dtype=u32) & v
    u = np.array(draw(st.lists(st.integers(0, 1023), min_size=n, max_size=n)), dtype=u32)
    c = {
        "length_m": np.array(draw(st.lists(st.sampled_from([0.0, 3.5]), min_size=n, max_size=n))),
        "incline_source": np.array(draw(st.lists(st.sampled_from(_SOURCES), min_size=n, max_size=n))),
        "incline_percent": np.array(draw(st.lists(st.sampled_from([np.nan, 2.0, -9.0]), min_size=n, max_size=n))),
        "is_steps": np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n))),
        "handrail": np.array(draw(st.lists(st.sampled_from(_TRI), min_size=n, max_size=n))),
    }  # fmt: skip
    closed = [np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))) for _ in range(3)]
    for profile in presets:
        want = verdict_masks_reference(profile, v, h, u, c, *closed)
        assert verdict_masks(profile, v, h, u, c, *closed).tolist() == want.tolist()


def random_walk(
    router: Any, data: Any, k: int, start: float, end: float
) -> tuple[np.ndarray, float, float, np.ndarray, np.ndarray, Any, np.ndarray]:
    """``k`` random real edges walked from fraction ``start`` of the first to ``end`` of the
    last (swapped on a single edge where ``start`` > ``end``): the edges, the two fractions,
    each piece's, their report columns and the metres walked on each."""
    m = len(router.graph.geom_first) - 1
    edges = np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k)))
    if k == 1 and start > end:
        start, end = end, start
    c = router.customizer.report_table().gather(edges)
    starts, ends = np.zeros(k), np.ones(k)
    starts[0], ends[-1] = start, end
    return edges, start, end, starts, ends, c, (ends - starts) * c["length_m"]


@HYP
@given(
    data=st.data(),
    k=st.integers(1, 8),
    start=st.sampled_from([0.0, 0.3, 1.0]),
    end=st.sampled_from([0.0, 0.6, 1.0]),
)
def test_route_verdict_on_random_walks(
    ksl_router: Any, presets: list[Profile], data: Any, k: int, start: float, end: float
) -> None:
    """Random real edges with random closures (edge, head, tail) and ends, every preset: the
    kernel's facts, violations and unknowns met equal the numpy computation."""
    g = ksl_router.graph
    table = ksl_router.customizer.report_table()
    edges, start, end, starts, ends, c, lengths = random_walk(ksl_router, data, k, start, end)
    edge_closed = g.edge["closed"].copy()
    node_closed = g.node["closed"].copy()
    for e in data.draw(st.lists(st.sampled_from(edges.tolist()), max_size=3)):
        which = data.draw(st.sampled_from(["edge", "head", "tail"]))
        if which == "edge":
            edge_closed[e] = True
        else:
            node_closed[(g.head if which == "head" else g.tail)[e]] = True
    graph = _Closed(g, edge_closed, node_closed)
    for profile in presets:
        w = ksl_router.customize(profile).weights
        if data.draw(st.booleans()):  # closures also need the CLOSED violation bit
            w = _Bits(
                w, np.where(edge_closed, w.violations | BITS_DTYPE(_CLOSED_BIT), w.violations)
            )
        met, u_met, bits = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k, np.int64)
        facts = verdict_kernels.route_verdict(
            edges, w.violations, w.violations_at_head, w.unknowns, table.rows,
            table.verdict_columns, edge_closed, node_closed, g.head, g.tail, lengths, start,
            end, verdict_plan(profile).rule, _CODES, met, u_met, bits,
        )  # fmt: skip
        want = route_facts_reference(profile, w, graph, c, edges, lengths, start, end)
        assert facts == want[0]
        assert met.tolist() == want[1].tolist()
        assert u_met.tolist() == want[2].tolist()
        walked = ends > starts
        along = walked & (lengths > 0)
        src = c["incline_source"]
        estimated = (src == _ESTIMATED_INCLINE_SOURCES[0]) | (src == _ESTIMATED_INCLINE_SOURCES[1])
        steps = c["is_steps"] > 0
        assert ((bits & verdict_kernels.PIECE_ALONG) != 0).tolist() == along.tolist()
        assert (
            (bits & verdict_kernels.PIECE_ESTIMATED_INCLINE) != 0
        ).tolist() == estimated.tolist()
        held = along & ~steps & np.isfinite(c["incline_percent"]) & estimated
        assert ((bits & verdict_kernels.PIECE_HELD) != 0).tolist() == held.tolist()
        no_rail = walked & steps & (c["handrail"] == Tri.UNKNOWN)
        assert ((bits & verdict_kernels.PIECE_NO_RAIL) != 0).tolist() == no_rail.tolist()


class _Closed:
    """A graph with other closures (what the reference reads of it)."""

    def __init__(self, g: Any, edge_closed: np.ndarray, node_closed: np.ndarray) -> None:
        self.edge = {"closed": edge_closed}
        self.node = {"closed": node_closed}
        self.head, self.tail = g.head, g.tail


class _Bits:
    """Weights with other violation bits."""

    def __init__(self, w: Any, violations: np.ndarray) -> None:
        self.violations = violations
        self.violations_at_head = w.violations_at_head
        self.unknowns = w.unknowns


def test_rule_constants_are_the_reports(presets: list[Profile]) -> None:
    """The kernel's rule carries the report's bits (one rule)."""
    profile = presets[0]
    rule = verdict_plan(profile).rule
    assert rule[verdict_kernels.RULE_CLOSED] == _CLOSED_BIT
    assert rule[verdict_kernels.RULE_INCLINE] == _INCLINE_BIT
    assert rule[verdict_kernels.RULE_INCLINE_UNKNOWN] == _INCLINE_UNKNOWN_BIT
    assert rule[verdict_kernels.RULE_POINT_UNKNOWNS] == _POINT_UNKNOWNS
    assert rule[verdict_kernels.RULE_STEP_COUNT] == _STEP_COUNT_BIT
    assert rule[verdict_kernels.RULE_CAN_BREAK] == estimate_can_break(profile)


def unknowns_reference(
    weights: Any, edges: np.ndarray, c: Any, lengths: np.ndarray, starts: Any, ends: Any
) -> dict[str, dict[str, float]]:
    """A route's unknowns as ``build_route`` listed them from the profile's unknown bits of its
    edges (before it read them from what its pieces meet); ``starts``, ``ends``: the fractions
    walked of each."""
    k = len(edges)
    edge_level = (ends > starts) & (lengths > 0)
    not_last = np.arange(k) < k - 1
    ubits = weights.unknowns[edges]
    out: dict[str, dict[str, float]] = {}
    for f in Unknown:
        name = (f.name or "").lower()
        hit = (ubits & np.uint32(int(f))) != 0
        if f == Unknown.KERB_HEIGHT:
            count = int(c["kerb_unknown_count"][hit & not_last].sum())
            if count:
                out[name] = {"count": count}
        elif f.name in ("ACOUSTIC_SIGNAL", "TACTILE_PAVING", "BARRIER"):
            if (hit & not_last).any():
                out[name] = {"count": int((hit & not_last).sum())}
        elif float(lengths[hit & edge_level].sum()) > 0:
            out[name] = {"length_m": round(float(lengths[hit & edge_level].sum()), 1)}
    return out


@HYP
@given(
    data=st.data(),
    k=st.integers(1, 12),
    start=st.sampled_from([0.0, 0.3, 1.0]),
    end=st.sampled_from([0.0, 0.6, 1.0]),
)
def test_unknowns_read_from_what_the_pieces_meet(
    ksl_router: Any, presets: list[Profile], data: Any, k: int, start: float, end: float
) -> None:
    """Random real edges and ends, every preset: the same unknowns, counts and metres (types
    too) as from the edges' unknown bits."""
    g = ksl_router.graph
    table = ksl_router.customizer.report_table()
    edges, start, end, starts, ends, c, lengths = random_walk(ksl_router, data, k, start, end)
    for profile in presets:
        w = ksl_router.customize(profile).weights
        met = route_met(g, table, w, verdict_plan(profile), edges, lengths, start, end)
        got = route_unknowns(met, lengths, table.rows[edges], table)  # the kernel's sums
        assert repr(got) == repr(unknowns_reference(w, edges, c, lengths, starts, ends))


def test_plan_by_identity_is_the_plan_by_equality(presets: list[Profile]) -> None:
    """The identity lookup gives the plan the equality cache gives, for equal profiles that are
    not the same object too, and another plan for a changed profile; past its bound it still
    does."""
    profile = presets[0]
    twin = profile.model_copy()
    assert twin == profile
    assert twin is not profile
    assert verdict_plan(profile) is verdict_plan(profile) is _plan_of(profile)
    assert verdict_plan(twin) is _plan_of(profile)
    changed = make_profile(profile.name, {"max_kerb_height_cm": 1.5})
    assert verdict_plan(changed) is _plan_of(changed) is not verdict_plan(profile)
    many = [make_profile("walk", {"max_kerb_height_cm": 3.0 + i / 10}) for i in range(100)]
    for p in many:
        assert verdict_plan(p) is _plan_of(p)
    assert verdict_plan(profile) is _plan_of(profile)


# --------------------------------------------------------------------------- what is relied on


def relies_reference(
    plan: Any, met: Any, c: Any, lengths: np.ndarray, total: float, pieces: Any,
    incline_broken: list[int],
) -> tuple[list[Reliance], float]:  # fmt: skip
    """The reliances and the known share as ``route_accessibility`` listed them before
    :func:`routing._kernels.verdict.reliance_pieces` (numpy masks, one per flag)."""
    k = len(lengths)
    u_met, piece_bits, place = met.unknowns, met.bits, pieces.place
    relies: list[Reliance] = []
    unknown_along = np.zeros(k, dtype=bool)

    def along_reliance(name: str, mask: np.ndarray, *, estimated: bool = False) -> None:
        if not mask.any():
            return
        unknown_along[mask] = True
        run_start = mask & ~np.concatenate(([False], mask[:-1]))
        starts = [place(i, False) for i in np.flatnonzero(run_start).tolist()]
        relies.append(Reliance(name, None, round(float(lengths[mask].sum()), 1), starts, estimated))

    def count_reliance(name: str, mask: np.ndarray, counts: Any, at_head: bool) -> None:
        hit = np.flatnonzero(mask).tolist()
        if hit:
            count = len(hit) if counts is None else int(counts[mask].sum())
            relies.append(Reliance(name, count, None, [place(i, at_head) for i in hit]))

    along = (piece_bits & verdict_kernels.PIECE_ALONG) != 0
    present = met.unknown_bits & plan.limited
    for bit, name, at_head in plan.flags:
        if not present & bit:
            continue
        hit = (u_met & np.int64(bit)) != 0
        if bit == _INCLINE_UNKNOWN_BIT:
            hit &= ~np.isfinite(c["incline_percent"])
        if bit == _KERB_HEIGHT_BIT:
            count_reliance(name, hit, c["kerb_unknown_count"].astype(np.int64), True)
        elif at_head:
            count_reliance(name, hit, None, True)
        elif bit == _STEP_COUNT_BIT:
            count_reliance(name, hit, None, False)
            unknown_along |= hit & along
        else:
            along_reliance(name, hit)
    if plan.max_incline:
        held = (piece_bits & verdict_kernels.PIECE_HELD) != 0
        held[incline_broken] = False
        along_reliance("incline", held, estimated=True)
    if plan.handrail:
        no_rail = (piece_bits & verdict_kernels.PIECE_NO_RAIL) != 0
        if no_rail.any():
            count_reliance("handrail", no_rail, None, False)
            unknown_along |= no_rail & along
    known = 1.0 if total <= 0 else 1.0 - float(lengths[unknown_along].sum()) / total
    return relies, round(min(max(known, 0.0), 1.0), 3)


def _same_relies(router: Any, edges: np.ndarray, start: float, end: float, profile: Profile) -> int:
    """``route_accessibility``'s reliances and known share against :func:`relies_reference`, every
    field with its type; returns how many reliances."""
    g = router.graph
    table = router.customizer.report_table()
    plan = verdict_plan(profile)
    w = router.customize(profile).weights
    block, lengths, _, _, _, _, pieces = walk_pieces(router, edges, start, end, profile)
    c = table.split(block)
    total = float(lengths.sum())
    met = route_met(g, table, w, plan, edges, lengths, start, end)
    got = route_accessibility(
        profile, plan, w, edges, c, block, table.index, lengths, total, pieces, met
    )
    estimated = (met.bits & verdict_kernels.PIECE_ESTIMATED_INCLINE) != 0
    incline_broken = np.flatnonzero(
        ((met.violations & _INCLINE_BIT) != 0) & (plan.can_break | ~estimated)
    ).tolist()
    want, known = relies_reference(plan, met, c, lengths, total, pieces, incline_broken)
    assert repr(got.relies_on) == repr(want)
    assert got.known_share == known
    return len(want)


@HYP
@given(
    data=st.data(),
    k=st.integers(1, 14),
    start=st.sampled_from([0.0, 0.3, 1.0]),
    end=st.sampled_from([0.0, 0.6, 1.0]),
)
def test_reliances_on_random_walks(
    ksl_router: Any, presets: list[Profile], data: Any, k: int, start: float, end: float
) -> None:
    """Random real edges and ends, every preset: the kernel's reliances (names, counts, metres,
    places, estimated) and known share are the numpy ones."""
    edges, start, end, *_ = random_walk(ksl_router, data, k, start, end)
    for profile in presets:
        _same_relies(ksl_router, edges, start, end, profile)


def test_reliances_on_every_edge(ksl_router: Any, presets: list[Profile]) -> None:
    """Every edge of the graph, in runs of 40 consecutive ids (runs of unknowns and flights of
    steps among them), for every preset, with whole and partial ends."""
    m = len(ksl_router.graph.geom_first) - 1
    listed = 0
    for profile in presets:
        for i, chunk in enumerate(np.array_split(np.arange(m), m // 40)):
            ends = ((0.0, 1.0), (0.3, 0.6))[i % 2]
            listed += _same_relies(ksl_router, chunk.astype(np.int64), *ends, profile)
    assert listed > 5000
