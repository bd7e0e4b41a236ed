"""``incline_profile`` (runs found and rounded in one kernel pass) against a plain per-edge loop.

The reference walks the route's edges one by one with Python's ``round``, joining an edge to the
stretch before it when its rounded incline and source are the same: what the route report
promises, written the obvious way. Real Kaiserslautern routes (with the DEM, so most edges have
an estimated incline) of several presets must give identical stretches, value for value, and so
must drawn columns full of the hard cases: inclines near a half and exact ties (which only
Python's ``round`` rounds exactly: the kernel hands them back), float32 and float64 columns,
unknown inclines, source codes without a name, edges not walked.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing._kernels.facts import JSON_OUT_OF_RANGE, incline_json_fill, incline_runs
from routing._kernels.rounding import NEEDS_ROUNDING
from routing.facts import incline_profile, incline_profile_json
from routing.route import Route
from tests.routing.trips import seeded_routes

NAMES = {1: "tag", 2: "dem", 3: "tag_direction_only"}


def reference(graph: Any, route: Route | SimpleNamespace) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    at = 0.0
    last: tuple[Any, Any] | None = None
    for edge, walked in zip(route.edges, route.walked_m, strict=True):
        if walked <= 0.0:
            continue
        end = at + walked
        value = float(graph.edge["incline_percent"][edge])
        percent = None if math.isnan(value) else round(value, 1)
        source = NAMES.get(int(graph.edge["incline_source"][edge])) if percent is not None else None
        if (percent, source) == last:
            out[-1]["to_m"] = round(end, 1)
        else:
            out.append(
                {"from_m": round(at, 1), "to_m": round(end, 1), "incline_percent": percent,
                 "source": source}
            )  # fmt: skip
            last = (percent, source)
        at = end
    return out


def assert_same_stretches(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert [list(s.items()) for s in got] == [list(s.items()) for s in want]
    for s, w in zip(got, want, strict=True):  # -0.0 stays -0.0, as round gives it
        if s["incline_percent"] is not None:
            assert math.copysign(1, s["incline_percent"]) == math.copysign(1, w["incline_percent"])


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["wheelchair", "walk", "rollator", "blind"])
def test_incline_profile_equals_the_per_edge_loop(ksl_router: Any, preset: str) -> None:
    g = ksl_router.graph
    for route in seeded_routes(ksl_router, preset, seed=11, count=60):
        got = incline_profile(g, route)
        want = reference(g, route)
        assert_same_stretches(got, want)
        assert incline_profile_json(g, route) == orjson.dumps(want)


#: Inclines whose product with 10 lies at or within a few ulps of a half: exact ties (0.25),
#: values stored just below or above one (0.15, 2.675), float32 values (2.35 is stored as
#: 2.3499999…), and the zeros and small negatives that round to ``-0.0``.
HARD_INCLINES = [
    0.15, 0.25, 0.35, -0.15, -0.25, 0.05, -0.05, 7.25, 12.45, 2.675, 999.95,
    float(np.float32(2.35)), float(np.float32(-0.45)), 0.0, -0.0, -0.04, math.nan,
]  # fmt: skip
inclines = st.one_of(
    st.sampled_from(HARD_INCLINES),
    st.integers(-600, 600).map(lambda k: k / 20.0),
    st.integers(-600, 600).map(lambda k: math.nextafter(k / 20.0, math.inf)),
    st.integers(-600, 600).map(lambda k: math.nextafter(k / 20.0, -math.inf)),
    st.floats(-30.0, 30.0),
    st.just(math.nan),
)


@st.composite
def drawn_routes(draw: st.DrawFn) -> tuple[SimpleNamespace, SimpleNamespace]:
    """A graph of ``m`` edges with drawn inclines (float32 or float64 column) and source codes
    (-1 … 4: 0 and 4 have no name) and a route over it: edges repeated, metres walked 0,
    ``-0.0``, negative or positive (long runs of one incline included)."""
    m = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    edge = {
        "incline_percent": np.asarray(draw(st.lists(inclines, min_size=m, max_size=m)), dtype),
        "incline_source": np.asarray(
            draw(st.lists(st.integers(-1, 4), min_size=m, max_size=m)), dtype=np.int8
        ),
    }
    k = draw(st.integers(0, 60))
    edges = draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k))
    metres = st.one_of(
        st.floats(0.001, 400.0), st.sampled_from([0.0, -0.0, -1.0, 0.05, 0.15, 12.25])
    )
    walked = draw(st.lists(metres, min_size=k, max_size=k))
    return SimpleNamespace(edge=edge), SimpleNamespace(edges=edges, walked_m=walked)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn_routes())
def test_incline_profile_on_drawn_inclines_equals_the_per_edge_loop(
    case: tuple[SimpleNamespace, SimpleNamespace],
) -> None:
    graph, route = case
    want = reference(graph, route)
    assert_same_stretches(incline_profile(graph, route), want)  # type: ignore[arg-type]
    # the kernel's JSON text is orjson's, byte for byte (-0.0, null, 12.0, names included)
    assert incline_profile_json(graph, route) == orjson.dumps(want)  # type: ignore[arg-type]


def test_inclines_near_a_half_are_left_to_python() -> None:
    """The kernel does not round what it cannot round exactly: it hands the route back, and the
    stretches carry Python's ``round`` (0.15 → 0.1 where numpy says 0.2; the tie 0.25 → 0.2)."""
    incline = np.array([0.15, 0.25, np.float32(2.35), 1.0])
    source = np.array([2, 2, 1, 2], dtype=np.int8)
    edges = np.arange(4, dtype=np.int64)
    walked = np.full(4, 10.0)
    out = [np.empty(4), np.empty(4), np.empty(4, dtype=np.int64)]
    status = incline_runs(edges, walked, incline, source, np.zeros(0), 1, 3, *out)
    assert status == NEEDS_ROUNDING
    graph = SimpleNamespace(edge={"incline_percent": incline, "incline_source": source})
    route = SimpleNamespace(edges=edges.tolist(), walked_m=walked.tolist())
    got = incline_profile(graph, route)  # type: ignore[arg-type]
    assert [s["incline_percent"] for s in got] == [0.1, 0.2, 2.3, 1.0]
    assert_same_stretches(got, reference(graph, route))


def test_edges_beyond_the_columns_raise_index_error() -> None:
    graph = SimpleNamespace(
        edge={"incline_percent": np.zeros(2, np.float32), "incline_source": np.ones(2, np.int8)}
    )
    with pytest.raises(IndexError):
        incline_profile(graph, SimpleNamespace(edges=[0, 2], walked_m=[1.0, 1.0]))  # type: ignore[arg-type]
    # an edge not walked is not read (as before): no error
    got = incline_profile(graph, SimpleNamespace(edges=[0, 2], walked_m=[1.0, 0.0]))  # type: ignore[arg-type]
    assert [(s["from_m"], s["to_m"]) for s in got] == [(0.0, 1.0)]


#: Tenths the JSON kernel writes, as orjson writes them: zeros of both signs, whole numbers,
#: the largest it takes, and values whose product with 10 is not exactly an integer.
TENTHS = st.one_of(
    st.integers(-(10**15) + 1, 10**15 - 1).map(lambda d: d / 10),
    st.sampled_from([0.0, -0.0, 0.1, -0.1, 12.0, 0.3, 99999999.9, 9999999999999.9]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TENTHS, TENTHS, st.integers(-1, 3)), max_size=6))
def test_the_json_kernel_writes_tenths_as_orjson(stretches: list[tuple[float, float, int]]) -> None:
    """Each number as orjson writes the same double (the shortest decimal that reads back as
    it), ends rounded to tenths where the kernel can round them; names by code, ``null`` for
    an unknown incline and code -1 (ends given already rounded: the kernel's rounding of them
    is Python's where it writes)."""
    names = [b"null", b'"tag"', b'"dem"', b'"tag_direction_only"', b"null"]
    blob = np.frombuffer(b"".join(names), dtype=np.uint8)
    first = np.cumsum([0] + [len(x) for x in names], dtype=np.int64)
    n = len(stretches)
    to_m = np.array([abs(a) for a, _, _ in stretches], dtype=np.float64)
    percent = np.array([b if c >= 0 else math.nan for _, b, c in stretches], dtype=np.float64)
    code = np.array([c for _, _, c in stretches], dtype=np.int64)
    out = np.empty(2 + n * 140, dtype=np.uint8)
    size = incline_json_fill(to_m, percent, code, n, blob, first, out)
    if size == NEEDS_ROUNDING:  # an end near a half at tenths (not one of these: x/10 is none)
        pytest.fail("a tenth was taken for a value near a half")
    ends = [round(x, 1) for x in to_m.tolist()]
    want = [
        {"from_m": a, "to_m": b, "incline_percent": None if p != p else p,
         "source": orjson.loads(names[c + 1])}
        for a, b, p, c in zip([0.0, *ends][:n], ends, percent.tolist(), code.tolist(), strict=True)
    ]  # fmt: skip
    if size == JSON_OUT_OF_RANGE:
        assert any(abs(v) >= 1e14 for v in [*ends, *percent.tolist()] if v == v)
        return
    assert out[:size].tobytes() == orjson.dumps(want)


def test_the_json_kernel_hands_back_what_it_does_not_write() -> None:
    """Values of 10^14 and more, or an infinite end, are handed back (the caller serialises the
    dictionaries); so is an end near a half (Python's ``round`` decides it)."""
    blob = np.frombuffer(b"null", dtype=np.uint8)
    first = np.zeros(6, dtype=np.int64) + np.array([0, 4, 4, 4, 4, 4])
    out = np.empty(400, dtype=np.uint8)
    code = np.array([-1])
    for to_m, percent, status in ((1e14, 1.0, JSON_OUT_OF_RANGE), (math.inf, 1.0, JSON_OUT_OF_RANGE),
                                  (1.0, -1e15, JSON_OUT_OF_RANGE), (0.25, 1.0, NEEDS_ROUNDING)):  # fmt: skip
        got = incline_json_fill(np.array([to_m]), np.array([percent]), code, 1, blob, first, out)
        assert got == status
