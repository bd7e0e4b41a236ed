"""The route report's kernels against the numpy/Python code they replaced (kept here as the
reference), on random edge sequences of the real Kaiserslautern graph with random end fractions
(0, 1 and repeated fractions included) and on real routes:

* :func:`routing.geometry.route_polyline` (one kernel call) must give exactly the polyline and
  point indices of the old assembly from :func:`~routing.geometry.cut_polyline` pieces;
* :func:`routing._kernels.pieces.report_piece_flags` must give exactly the old numpy lengths, starts
  and per-kind masks (steep, steps, surface, narrow, crossing, elevator, kerb, barrier, walked,
  length, known incline), for every preset;
* :func:`routing._kernels.pieces.segment_runs` behind :func:`routing.report._segments` must give
  exactly the old segments (every field);
* :func:`routing._kernels.pieces.barrier_rows` behind :func:`routing.report._barriers` must give
  exactly the barriers of :func:`routing.report._listed_barriers`, the Python it replaced."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility_rules.attributes import BarrierKind, CrossingKind, HighwayClass, Smoothness
from accessibility_rules.profile import Profile, preset_names
from graphs.arrays import concat_ranges
from graphs.model import CompiledGraph
from routing._kernels import pieces as pieces_kernels
from routing._kernels import rounding as rounding_kernels
from routing._kernels import verdict as verdict_kernels
from routing.errors import NoRouteError
from routing.geometry import cut_polyline, route_polyline
from routing.report import _barriers, _listed_barriers, _segments
from routing.report_table import NARROW_REPORT_M, STEEP_REPORT_PERCENT, reported_surfaces
from routing.route import Segment
from routing.verdict import verdict_plan
from tests.routing.report_pieces import walk_pieces

HYP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def route_polyline_reference(
    graph: CompiledGraph, edges: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The old numpy assembly (before the kernel)."""
    gf = graph.geom_first
    k = len(edges)
    first = cut_polyline(graph.edge_coords(int(edges[0])), float(starts[0]), float(ends[0]))
    if k == 1:
        return first, np.zeros(1, dtype=np.int64), np.array([len(first) - 1])
    middle = edges[1:-1]
    idx = concat_ranges(gf[middle] + 1, gf[middle + 1])
    last = cut_polyline(graph.edge_coords(int(edges[-1])), 0.0, float(ends[-1]))[1:]
    points = np.vstack((first, np.column_stack((graph.geom_lon[idx], graph.geom_lat[idx])), last))
    kept = np.concatenate(([len(first)], gf[middle + 1] - gf[middle] - 1, [len(last)]))
    last_pt = np.cumsum(kept) - 1
    first_pt = np.concatenate(([0], last_pt[:-1]))
    return points, first_pt, last_pt


def _same(graph: CompiledGraph, edges: np.ndarray, start: float, end: float) -> None:
    k = len(edges)
    starts, ends = np.zeros(k), np.ones(k)
    starts[0], ends[-1] = start, end
    got = route_polyline(graph, edges, start, end)
    want = route_polyline_reference(graph, edges, starts, ends)
    assert got[0].tolist() == want[0].tolist()  # exactly, as the response's coordinates
    assert got[1].tolist() == want[1].tolist()
    assert got[2].tolist() == want[2].tolist()


@pytest.fixture(scope="module")
def ksl_graph(ksl_router: Any) -> CompiledGraph:
    graph: CompiledGraph = ksl_router.graph
    return graph


fractions = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5, 1e-12, 1.0 - 1e-12]), st.floats(0.0, 1.0, allow_nan=False)
)


@HYP
@given(data=st.data(), k=st.integers(1, 6), start=fractions, end=fractions)
def test_polyline_kernel_matches_the_numpy_assembly(
    ksl_graph: CompiledGraph, data: Any, k: int, start: float, end: float
) -> None:
    m = len(ksl_graph.geom_first) - 1
    edges = np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k)))
    if k == 1 and start > end:
        start, end = end, start
    _same(ksl_graph, edges, start, end)


def test_polyline_kernel_on_real_routes(ksl_router: Any) -> None:
    """The polylines of 80 seeded routes' paths (ends inside edges) equal the old assembly."""
    router = ksl_router
    g = router.graph
    rng = np.random.default_rng(3)
    metric = router.customize(router.profile("wheelchair"))
    checked = 0
    for _ in range(80):
        a, b = rng.integers(0, g.node_count, 2)
        moved = rng.uniform(-4e-5, 4e-5, 4)
        origin = (float(g.node["lat"][a]) + moved[0], float(g.node["lon"][a]) + moved[1])
        destination = (float(g.node["lat"][b]) + moved[2], float(g.node["lon"][b]) + moved[3])
        s, _ = router.snap(origin, metric, "origin")
        t, _ = router.snap(destination, metric, "destination")
        try:
            path = router.shortest_path(s, t, metric)
        except NoRouteError:
            continue
        _same(g, np.asarray(path.edges, dtype=np.int64), path.start, path.end)
        checked += 1
    assert checked >= 60


# --------------------------------------------------------------------------- piece flags


def piece_flags_reference(
    c: dict[str, np.ndarray],
    start: float,
    end: float,
    steep_limit: float,
    narrow_limit: float,
    reported: np.ndarray,
    *,
    junctions: bool = True,
    worst_smoothness: str | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """Lengths, starts and the masks of every flag, as the report computed them in numpy
    (road junctions listed as crossings only for a profile that weighs crossings; a surface
    listed also where its smoothness is bad or worse, or worse than ``worst_smoothness``)."""
    k = len(c["length_m"])
    starts, ends = np.zeros(k), np.ones(k)
    starts[0], ends[-1] = start, end
    lengths = (ends - starts) * c["length_m"]
    at = np.concatenate(([0.0], np.cumsum(lengths)[:-1]))
    not_last = np.arange(k) < k - 1
    has_length = lengths > 0
    walked = ends > starts
    steps = c["is_steps"] > 0
    incline = c["incline_percent"].astype(np.float64)
    known_incline = has_length & np.isfinite(incline) & ~steps
    width = c["passage_width_m"].astype(np.float64)
    crossing = c["crossing"]
    smooth = c["smoothness"].astype(np.int64)
    uneven = smooth >= Smoothness.BAD
    if worst_smoothness is not None:
        uneven |= smooth > Smoothness[worst_smoothness.upper()]
    uneven &= has_length
    masks = {
        pieces_kernels.FLAG_STEEP: known_incline & (np.abs(incline) >= steep_limit),
        pieces_kernels.FLAG_STEPS: steps & walked,
        pieces_kernels.FLAG_SURFACE: (reported[c["surface"].astype(np.int64) + 1] & has_length)
        | uneven,
        pieces_kernels.FLAG_UNEVEN: uneven,
        pieces_kernels.FLAG_NARROW: has_length & np.isfinite(width) & (width < narrow_limit),
        pieces_kernels.FLAG_CROSSING: (crossing != CrossingKind.NONE)
        & (junctions | (crossing != CrossingKind.JUNCTION))
        & walked
        & np.where(c["crossing_at_head"] > 0, not_last, (ends >= 1.0) | (starts == 0.0)),
        pieces_kernels.FLAG_ELEVATOR: (c["is_elevator"] > 0) & (not_last | (ends >= 1.0)),
        pieces_kernels.FLAG_KERB: not_last & (c["kerb_count"].astype(np.int64) > 0),
        pieces_kernels.FLAG_BARRIER: not_last & (c["barrier"] != BarrierKind.NONE),
        pieces_kernels.FLAG_WALKED: walked,
        pieces_kernels.FLAG_HAS_LENGTH: has_length,
        pieces_kernels.FLAG_KNOWN_INCLINE: known_incline,
    }
    return lengths, at, masks


def _same_flags(router: Any, edges: np.ndarray, start: float, end: float, profile: Profile) -> None:
    table = router.customizer.report_table()
    block = table.rows[edges]
    c = table.split(block)
    steep = min(STEEP_REPORT_PERCENT, profile.max_incline_percent or STEEP_REPORT_PERCENT)
    narrow = profile.min_width_m if profile.min_width_m is not None else NARROW_REPORT_M
    reported = reported_surfaces(profile.avoid_surfaces)
    junctions = verdict_plan(profile).reported_crossings[int(CrossingKind.JUNCTION) + 1]
    k = len(edges)
    lengths, at, flags = np.empty(k), np.empty(k), np.empty(k, dtype=np.int64)
    pieces_kernels.report_piece_flags(
        block, table.piece_columns, start, end, float(steep), float(narrow), reported,
        verdict_plan(profile).reported_crossings, verdict_plan(profile).reported_smoothness,
        float(BarrierKind.NONE), lengths, at, flags,
    )  # fmt: skip
    want_lengths, want_at, masks = piece_flags_reference(
        c, start, end, steep, narrow, reported, junctions=bool(junctions),
        worst_smoothness=profile.worst_smoothness,
    )  # fmt: skip
    assert lengths.tolist() == want_lengths.tolist()
    assert at.tolist() == want_at.tolist()
    for bit, mask in masks.items():
        assert ((flags & bit) != 0).tolist() == mask.tolist(), bit


@pytest.fixture(scope="module")
def presets(ksl_router: Any) -> list[Profile]:
    return [ksl_router.profile(name) for name in preset_names()]


def drawn_edges(router: Any, data: Any, k: int) -> np.ndarray:
    """``k`` edges of the graph drawn at random (a route need not be connected here)."""
    m = len(router.graph.geom_first) - 1
    return np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k)))


@pytest.fixture(scope="module")
def flagged_edges(ksl_router: Any) -> np.ndarray:
    """Every edge the report lists something on (steps, crossings, kerbs, barriers, elevators,
    widths, inclines of 3 % and more)."""
    c = ksl_router.customizer.report_table().columns()
    return np.flatnonzero(
        (c["is_steps"] > 0) | (c["crossing"] != CrossingKind.NONE) | (c["kerb_count"] > 0)
        | (c["barrier"] != BarrierKind.NONE) | (c["is_elevator"] > 0)
        | np.isfinite(c["passage_width_m"]) | (np.abs(c["incline_percent"]) >= 3)
        | (c["smoothness"] >= Smoothness.GOOD)
    )  # fmt: skip


@HYP
@given(data=st.data(), k=st.integers(1, 8), start=fractions, end=fractions)
def test_piece_flags_kernel_matches_the_numpy_masks(
    ksl_router: Any, presets: list[Profile], data: Any, k: int, start: float, end: float
) -> None:
    """Random edges (steps, crossings, barriers and all among them), ends and presets."""
    edges = drawn_edges(ksl_router, data, k)
    profile = data.draw(st.sampled_from(presets))
    if k == 1 and start > end:
        start, end = end, start
    _same_flags(ksl_router, edges, start, end, profile)


def test_piece_flags_kernel_on_every_flagged_edge(
    ksl_router: Any, presets: list[Profile], flagged_edges: np.ndarray
) -> None:
    """Every edge the report lists something on, in chunks, for every preset."""
    for profile in presets:
        for chunk in np.array_split(flagged_edges, max(1, len(flagged_edges) // 50)):
            _same_flags(ksl_router, chunk.astype(np.int64), 0.25, 0.75, profile)


# --------------------------------------------------------------------------- segments


def segments_reference(
    graph: CompiledGraph,
    edges: np.ndarray,
    c: dict[str, np.ndarray],
    at: np.ndarray,
    lengths: np.ndarray,
    first_pt: np.ndarray,
    last_pt: np.ndarray,
) -> list[Segment]:
    """The old numpy segments (before :func:`routing._kernels.pieces.segment_runs`)."""
    g = graph
    name_ids = c["name_id"].astype(np.int64)
    sidewalk = c["is_sidewalk"] > 0
    boundary = np.ones(len(edges), dtype=bool)
    kind = c["highway"].astype(np.int64)
    same = (
        (name_ids[1:] == name_ids[:-1])
        & (sidewalk[1:] == sidewalk[:-1])
        & (kind[1:] == kind[:-1])
        & (name_ids[1:] >= 0)
    )
    boundary[1:] = ~same
    starts = np.flatnonzero(boundary)
    stops = np.append(starts[1:], len(edges)) - 1
    run_length = np.add.reduceat(lengths, starts)
    highway_names = {int(m): (m.name or "").lower() for m in HighwayClass}
    rows = zip(
        edges[starts].tolist(), name_ids[starts].tolist(), c["highway"][starts].astype(np.int64).tolist(),
        sidewalk[starts].tolist(), at[starts].tolist(), run_length.tolist(),
        first_pt[starts].tolist(), last_pt[stops].tolist(),
        g.edge["way_id"][edges[starts]].tolist(), strict=True,
    )  # fmt: skip
    return [
        Segment(e, g.names[n] if n >= 0 else None, highway_names[h], sw, a, ln, f, la, w)
        for e, n, h, sw, a, ln, f, la, w in rows
    ]


def _same_segments(router: Any, edges: np.ndarray, start: float, end: float) -> None:
    g = router.graph
    table = router.customizer.report_table()
    block = table.rows[edges]
    c = table.split(block)
    k = len(edges)
    starts, ends = np.zeros(k), np.ones(k)
    starts[0], ends[-1] = start, end
    lengths = (ends - starts) * c["length_m"]
    at = np.concatenate(([0.0], np.cumsum(lengths)[:-1]))
    _, first_pt, last_pt = route_polyline(g, edges, start, end)
    got, rows = _segments(g, edges, block, table.segment_columns, at, lengths, first_pt, last_pt)
    assert len(rows.runs) == len(rows.length_m) == len(got)
    want = segments_reference(g, edges, c, at, lengths, first_pt, last_pt)
    assert repr(got) == repr(want)  # every field, with its type


@HYP
@given(data=st.data(), k=st.integers(1, 10), start=fractions, end=fractions)
def test_segment_runs_on_random_edges(
    ksl_router: Any, data: Any, k: int, start: float, end: float
) -> None:
    """Random edges, with runs forced: an edge often repeats its predecessor's street."""
    g = ksl_router.graph
    m = len(g.geom_first) - 1
    first = data.draw(st.integers(0, m - 1))
    edges = [first]
    for _ in range(k - 1):
        edges.append(edges[-1] if data.draw(st.booleans()) else data.draw(st.integers(0, m - 1)))
    if k == 1 and start > end:
        start, end = end, start
    _same_segments(ksl_router, np.asarray(edges, dtype=np.int64), start, end)


def test_segment_runs_on_real_routes(ksl_router: Any) -> None:
    """The segments of 60 seeded walking routes equal the old numpy ones."""
    router = ksl_router
    g = router.graph
    rng = np.random.default_rng(11)
    metric = router.customize(router.profile("walk"))
    checked = 0
    for _ in range(60):
        a, b = rng.integers(0, g.node_count, 2)
        s, _ = router.snap((float(g.node["lat"][a]), float(g.node["lon"][a])), metric, "origin")
        t, _ = router.snap((float(g.node["lat"][b]), float(g.node["lon"][b])), metric, "dest")
        try:
            path = router.shortest_path(s, t, metric)
        except NoRouteError:
            continue
        _same_segments(router, np.asarray(path.edges, dtype=np.int64), path.start, path.end)
        checked += 1
    assert checked >= 40


# --------------------------------------------------------------------------- largest incline, runs


def top_incline_reference(incline: np.ndarray, flags: np.ndarray) -> int:
    """The old numpy expression of ``build_route`` (before
    :func:`routing._kernels.pieces.top_incline`)."""
    known = (flags & pieces_kernels.FLAG_KNOWN_INCLINE) != 0
    if not known.any():
        return -1
    return int(np.flatnonzero(known)[np.argmax(np.abs(incline[known]))])


#: Inclines with ties (equal and opposite values) and signed zeros among them.
inclines = st.one_of(
    st.sampled_from([0.0, -0.0, 3.0, -3.0, 6.0, -6.0, 12.5]),
    st.floats(-40.0, 40.0, allow_nan=False),
)


@HYP
@given(data=st.data(), values=st.lists(inclines, min_size=1, max_size=60))
def test_top_incline_matches_the_numpy_argmax(data: Any, values: list[float]) -> None:
    """The first piece of largest absolute known incline, as ``np.argmax``; -1 without one."""
    k = len(values)
    flags = np.asarray(data.draw(st.lists(st.integers(0, 2047), min_size=k, max_size=k)))
    column = data.draw(st.integers(0, 2))
    block = np.zeros((k, 3))
    block[:, column] = values
    block[:, (column + 1) % 3] = 99.0  # a steeper value in another column is not read
    got = pieces_kernels.top_incline(block, column, flags.astype(np.int64))
    assert got == top_incline_reference(np.asarray(values), flags)


def runs_reference(mask: np.ndarray) -> list[int]:
    """The old numpy run starts of ``build_route`` (before
    :func:`routing._kernels.verdict.mark_runs`)."""
    starts = mask.copy()
    starts[1:] &= ~mask[:-1]
    return np.flatnonzero(starts).tolist()


@HYP
@given(data=st.data(), mask=st.lists(st.booleans(), max_size=60))
def test_mark_runs_matches_the_numpy_runs(data: Any, mask: list[bool]) -> None:
    """Run starts of the mask, the mask OR'ed into what was marked before, the run count."""
    m = np.asarray(mask, dtype=bool)
    before = np.asarray(
        data.draw(st.lists(st.booleans(), min_size=len(mask), max_size=len(mask))), dtype=bool
    )
    marked = before.copy()
    starts = np.full(len(mask), -1, dtype=np.int64)
    runs = verdict_kernels.mark_runs(m, marked, starts)
    assert starts[:runs].tolist() == runs_reference(m)
    assert marked.tolist() == (before | m).tolist()


# --------------------------------------------------------------------------- barriers


def _same_barriers(
    router: Any, edges: np.ndarray, start: float, end: float, profile: Profile
) -> int:
    """:func:`routing.report._barriers` (the kernel :func:`routing._kernels.pieces.barrier_rows`)
    against :func:`routing.report._listed_barriers`, the Python it replaced: every barrier, every
    field with its type, in the same order. Returns how many."""
    table = router.customizer.report_table()
    block, lengths, at, flags, first_pt, last_pt, pieces = walk_pieces(
        router, edges, start, end, profile
    )
    got = _barriers(block, table, flags, at, lengths, first_pt, last_pt, pieces, start, end)
    want = _listed_barriers(block, table.index, pieces, start, end)
    assert repr(got) == repr(want)
    return len(want)


@HYP
@given(data=st.data(), k=st.integers(1, 12), start=fractions, end=fractions)
def test_barrier_rows_on_random_edges(
    ksl_router: Any, presets: list[Profile], data: Any, k: int, start: float, end: float
) -> None:
    """Random edges and ends, every preset: the kernel's barriers are the Python ones."""
    edges = drawn_edges(ksl_router, data, k)
    if k == 1 and start > end:
        start, end = end, start
    _same_barriers(ksl_router, edges, start, end, data.draw(st.sampled_from(presets)))


def test_barrier_rows_on_every_edge_with_a_barrier(
    ksl_router: Any, presets: list[Profile], flagged_edges: np.ndarray
) -> None:
    """Every edge the report lists something on, in chunks of 40 (many barriers at once, at
    equal places too), for every preset, with whole and partial end pieces."""
    listed = 0
    for profile in presets:
        for i, chunk in enumerate(np.array_split(flagged_edges, max(1, len(flagged_edges) // 40))):
            ends = ((0.0, 1.0), (0.3, 0.6), (1e-12, 1.0 - 1e-12))[i % 3]
            listed += _same_barriers(ksl_router, chunk.astype(np.int64), *ends, profile)
    assert listed > 1000


def test_a_place_near_a_half_is_left_to_python() -> None:
    """A barrier 0.25 m from the start (a tie at tenths: Python rounds it to even, 0.2) makes
    the kernel hand the route back; :func:`routing.report._barriers` then lists it in Python."""
    block = np.zeros((2, len(pieces_kernels.BARRIER_COLUMNS)))
    cols = np.arange(len(pieces_kernels.BARRIER_COLUMNS), dtype=np.int64)
    out = np.empty((16, pieces_kernels.BARRIER_ROW))
    flags = np.array([pieces_kernels.FLAG_KERB, 0], dtype=np.int64)
    args = (np.array([0.0, 0.25]), np.array([0.25, 1.0]), np.array([0, 1]), np.array([1, 2]))
    n = pieces_kernels.barrier_rows(flags, *args, block, cols, 0.0, 1.0, out)
    assert n == rounding_kernels.NEEDS_ROUNDING
    args = (np.array([0.0, 0.3]), np.array([0.3, 1.0]), np.array([0, 1]), np.array([1, 2]))
    assert pieces_kernels.barrier_rows(flags, *args, block, cols, 0.0, 1.0, out) == 1
    assert out[0, :4].tolist() == [6.0, 0.0, 1.0, 0.3]  # a kerb, piece 0, its head, 0.3 m
