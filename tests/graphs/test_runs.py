"""``graphs.runs``: per-item arrays joined, and a new list's runs made from an old list's."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.runs import Relayout, joined, owners_of, runs_of

arrays = st.lists(st.lists(st.integers(-50, 50), max_size=5), max_size=10)


@settings(max_examples=300, deadline=None)
@given(before=arrays, data=st.data())
def test_a_relayout_joins_what_joining_the_new_list_anew_gives(
    before: list[list[int]], data: st.DataObject
) -> None:
    old = [np.asarray(a, dtype=np.int64) for a in before]
    values, offsets = joined(old, np.int64)
    kept_old = sorted(data.draw(st.sets(st.integers(0, len(old) - 1))) if old else set())
    fresh = [np.asarray(a, dtype=np.int64) for a in data.draw(arrays)]
    # the kept ones in a drawn order, the fresh ones between them
    order = data.draw(
        st.permutations([("old", i) for i in kept_old] + [("new", j) for j in range(len(fresh))])
    )
    new_list = [old[i] if kind == "old" else fresh[i] for kind, i in order]
    kept_at = np.asarray([p for p, (kind, _) in enumerate(order) if kind == "old"], dtype=np.int64)
    kept_from = np.asarray([i for kind, i in order if kind == "old"], dtype=np.int64)
    fresh_at = np.asarray([p for p, (kind, _) in enumerate(order) if kind == "new"], dtype=np.int64)
    made, made_offsets = joined([fresh[i] for kind, i in order if kind == "new"], np.int64)
    layout = Relayout.of(offsets, made_offsets, kept_at, kept_from, fresh_at)
    expected, expected_offsets = joined(new_list, np.int64)
    assert np.array_equal(layout.join(values, made), expected)
    assert np.array_equal(layout.offsets, expected_offsets)
    assert np.array_equal(
        owners_of(expected_offsets), np.repeat(np.arange(len(new_list)), [len(a) for a in new_list])
    )
    some = np.asarray(
        sorted(data.draw(st.sets(st.integers(0, len(new_list) - 1))) if new_list else set()),
        dtype=np.int64,
    )
    where, owner = runs_of(expected_offsets, some)
    assert expected[where].tolist() == [v for i in some.tolist() for v in new_list[i].tolist()]
    assert owner.tolist() == [i for i in some.tolist() for _ in new_list[i]]


def test_nothing_joined_is_empty() -> None:
    values, offsets = joined([], np.float64)
    assert values.dtype == np.float64
    assert values.size == 0
    assert offsets.tolist() == [0]
    assert owners_of(offsets).size == 0
