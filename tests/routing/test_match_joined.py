"""Many matches made from their joined ids (:meth:`ObstacleMatch.joined`, how a reload reads the
stored ones) against the constructor one by one (hypothesis: parts empty, sorted, unsorted,
with repeats, of any length): the same ids, read-only ``int64``, and nothing shared with the
arrays given."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.obstacles.matching import ObstacleMatch

ids = st.lists(st.integers(-3, 40), max_size=9)
sorted_ids = ids.map(lambda v: sorted(set(v)))
parts = st.lists(
    st.tuples(st.one_of(sorted_ids, ids), st.one_of(sorted_ids, ids), st.sampled_from(
        ["Point", "LineString", "Polygon"]
    )),
    max_size=8,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(parts)
def test_joined_matches_are_the_constructors(
    given_parts: list[tuple[list[int], list[int], str]],
) -> None:
    edges = np.asarray([e for p in given_parts for e in p[0]], dtype=np.int64)
    nodes = np.asarray([n for p in given_parts for n in p[1]], dtype=np.int64)
    made = ObstacleMatch.joined(
        edges, [len(p[0]) for p in given_parts], nodes, [len(p[1]) for p in given_parts],
        [p[2] for p in given_parts],
    )  # fmt: skip
    edges[:] = 99  # the caller's arrays change afterwards: the matches do not
    nodes[:] = 99
    assert len(made) == len(given_parts)
    for (e, n, kind), match in zip(given_parts, made, strict=True):
        one = ObstacleMatch(np.asarray(e, dtype=np.int64), np.asarray(n, dtype=np.int64), kind)
        for got, want in ((match.edges, one.edges), (match.nodes, one.nodes)):
            assert got.tolist() == want.tolist()
            assert got.dtype == np.int64
            assert not got.flags.writeable
        assert match.geometry_type == one.geometry_type == kind
        assert match.is_point == one.is_point


def test_counts_that_do_not_fit_the_ids_or_the_types_are_refused() -> None:
    with pytest.raises(ValueError, match="ids for parts"):
        ObstacleMatch.joined(np.arange(3), [2], np.arange(0), [0], ["Point"])
    with pytest.raises(ValueError, match="one type per match"):
        ObstacleMatch.joined(np.arange(2), [2], np.arange(0), [0], ["Point", "Point"])
