"""The seats along a walk read by one kernel pass over the graph's seat table
(:func:`routing._kernels.rests.walk_seat_rows`, :func:`routing.rests.walk_seats`) against the
reading piece by piece.

The reference here is independent of the kernel: numpy's own float32 comparisons and
differences of a piece's seat offsets (what :func:`routing.rests.piece_seats` does), then the
walk's rule in plain Python (a seat within ``SAME_SEAT_M`` of the one kept before it is the same
place). Offsets are drawn on and next to the pieces' ends, where the float32 rounding decides.
On the real Kaiserslautern seat table the kernel's path of ``walk_seats`` must equal its reading
piece by piece (the same reader, not recognised as the table's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.features import seats_on_edge
from graphs.store import load_graph
from routing import rests
from routing._kernels import rests as rests_kernels

Seat = tuple[float, int]
#: A drawn walk: edges, start, end, piece starts, lengths, ``seat_first_m``, CSR, seat offsets.
Walk = tuple[list[int], float, float, list[float], np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def reference(
    edges: list[int],
    start: float,
    end: float,
    at_m: list[float],
    length_m: np.ndarray,
    seat_first_m: np.ndarray,
    csr: np.ndarray,
    offset_m: np.ndarray,
) -> list[Seat]:
    """``(at_m, seat row)`` of every seat along the walk, read piece by piece."""
    out: list[Seat] = []
    k = len(edges)
    for i, e in enumerate(edges):
        if not np.isfinite(seat_first_m[e]):
            continue
        length = float(length_m[e])
        a = (start if i == 0 else 0.0) * length
        b = (end if i == k - 1 else 1.0) * length
        rows = np.arange(csr[e], csr[e + 1])
        offs = offset_m[rows]
        keep = (offs >= a - 1e-6) & (offs <= b + 1e-6)  # float32 against a Python float
        for row, rel in zip(rows[keep].tolist(), (offs[keep] - a).tolist(), strict=True):
            at = float(at_m[i]) + rel
            if out and at - out[-1][0] < rests.SAME_SEAT_M:
                continue
            out.append((at, row))
    return out


def run_kernel(case: Walk, size: int) -> tuple[int, list[Seat]]:
    """The kernel's count and the seats it wrote into outputs of length ``size``."""
    edges, start, end, at_m, length_m, seat_first_m, csr, offset_m = case
    out_at_m = np.full(size, np.nan)
    out_seat = np.full(size, -1, dtype=np.int64)
    n = rests_kernels.walk_seat_rows(
        np.asarray(edges, dtype=np.int64), start, end, np.asarray(at_m, dtype=np.float64),
        length_m, seat_first_m, csr, offset_m, rests.SAME_SEAT_M, out_at_m, out_seat,
    )  # fmt: skip
    kept = min(n, size)
    return n, list(zip(out_at_m[:kept].tolist(), out_seat[:kept].tolist(), strict=True))


@st.composite
def walks(draw: st.DrawFn) -> Walk:
    m = draw(st.integers(1, 6))
    lengths = draw(
        st.lists(st.floats(0.0, 80.0, allow_nan=False, width=32), min_size=m, max_size=m)
    )
    length_m = np.asarray(lengths, dtype=np.float64)
    offsets: list[float] = []
    csr = [0]
    for e in range(m):
        length = lengths[e]
        # on, just inside and just outside the ends (the edge's, and where a walk drawn
        # below may start or end on it), and anywhere along
        near = [0.0, length, length + 1e-6, length - 1e-6, 5e-7, -5e-7, length / 3]
        near += [f * length + d for f in (0.25, 0.5) for d in (-1e-6, 0.0, 1e-6)]
        edge_offs = draw(
            st.lists(
                st.one_of(st.sampled_from(near), st.floats(0.0, max(length, 0.0), width=32)),
                max_size=4,
            )
        )
        offsets += sorted(edge_offs)
        csr.append(len(offsets))
    seat_first_m = np.asarray(
        [0.0 if csr[e + 1] > csr[e] or draw(st.booleans()) else np.nan for e in range(m)],
        dtype=np.float32,
    )  # an edge with seats has the column; one without may say 0.0 (read, finds none)
    edges = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=8))
    fraction = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.0, 1.0)
    start, end = draw(fraction), draw(fraction)
    if len(edges) == 1 and end < start:
        start, end = end, start
    walked = [
        ((end if i == len(edges) - 1 else 1.0) - (start if i == 0 else 0.0)) * length_m[e]
        for i, e in enumerate(edges)
    ]
    at_m = [0.0]
    for w in walked[:-1]:
        at_m.append(at_m[-1] + float(w))
    return (
        edges, start, end, at_m, length_m, seat_first_m, np.asarray(csr, dtype=np.int64),
        np.asarray(offsets, dtype=np.float32),
    )  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(walks(), st.integers(0, 6))
def test_the_kernel_lists_the_seats_read_piece_by_piece(case: Walk, size: int) -> None:
    """Every seat at the same place (bit for bit) and row; past the outputs' length the count
    goes on and what was written is the first seats."""
    expected = reference(*case)
    n, got = run_kernel(case, size)
    assert n == len(expected)
    assert got == expected[:size]


@pytest.mark.slow
def test_walk_seats_from_the_table_equal_the_reading_by_seated_edge(
    ksl_graph_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Kaiserslautern's seat table, ``walk_seats`` through the kernel lists exactly what its
    reading of the seated edges one by one lists, for walks over every seated edge and its
    neighbours, whole and cut, with and without the report's piece starts."""
    graph = load_graph(ksl_graph_dir)
    seated = np.flatnonzero(np.isfinite(graph.edge["seat_first_m"])).tolist()
    assert len(seated) >= 100
    nexts = graph.first_out
    cases = 0
    found = 0
    for e in seated:
        after = int(graph.head[e])
        onward = int(nexts[after]) if nexts[after + 1] > nexts[after] else e
        before = int(graph.first_out[graph.tail[e]])
        for edges, start, end in (
            ([e], 0.0, 1.0), ([e], 0.2, 0.7), ([e], 0.0, 0.0), ([before, e, onward], 0.5, 0.5),
            ([e, onward], 0.0, 1.0), ([before, e], 1.0, 0.3),
        ):  # fmt: skip
            path = np.asarray(edges, dtype=np.int64)
            got = rests.walk_seats(graph, path, start, end)
            with monkeypatch.context() as mp:
                mp.setattr(rests, "seat_reader", lambda g, x: seats_on_edge(g, x))
                expected = rests.walk_seats(graph, path, start, end)
            assert got == expected
            at_m = rests._piece_starts(graph, path, start, end)
            assert rests.walk_seats(graph, path, start, end, at_m=np.asarray(at_m)) == got
            cases += 1
            found += bool(got)
    assert found >= 100, (found, cases)
