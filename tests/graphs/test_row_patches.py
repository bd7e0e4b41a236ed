"""The row helpers of graphs.arrays that a write patches per-edge arrays with: ``differing``
against an element-by-element Python loop (hypothesis), ``with_rows`` copy-on-change, and
``RowsView``, and the cached ``field_names``."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility_rules.effective import EffectiveEdges
from graphs.arrays import RowsView, differing, field_names, with_rows

values = st.sampled_from([0.0, 1.0, 2.5, math.nan])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=30), st.booleans())
def test_differing_matches_a_loop(pairs: list[tuple[float, float]], as_table: bool) -> None:
    old = np.array([p[0] for p in pairs])
    new = np.array([p[1] for p in pairs])
    want = [not (a == b or (math.isnan(a) and math.isnan(b))) for a, b in pairs]
    if as_table:  # a row of a table differs when any of its values does
        zeros = np.zeros_like(old)
        old, new = np.stack((old, zeros), axis=1), np.stack((new, zeros), axis=1)
    assert differing([(old, new)], len(pairs)).tolist() == want
    codes_old = np.arange(len(pairs), dtype=np.int8)
    codes_new = codes_old.copy()
    codes_new[0] += 1
    mask = differing([(old, new), (codes_old, codes_new)], len(pairs))
    assert mask.tolist() == [True, *want[1:]]


def test_differing_of_one_array_or_a_missing_one() -> None:
    a = np.array([np.nan, 1.0])
    assert not differing([(a, a)], 2).any()
    assert differing([(None, a)], 2).all()
    assert differing([(np.zeros(3), a)], 2).all()


def test_with_rows_copies_only_on_change() -> None:
    table = np.array([1.0, np.nan, 3.0])
    table.setflags(write=False)  # as the arrays a query reads: never written
    rows = np.array([1, 2])
    assert with_rows(table, rows, np.array([np.nan, 3.0])) is table
    changed = with_rows(table, rows, np.array([np.nan, 4.0]))
    assert changed is not table
    assert np.array_equal(changed, [1.0, np.nan, 4.0], equal_nan=True)
    assert np.array_equal(table, [1.0, np.nan, 3.0], equal_nan=True)
    assert not changed.flags.writeable  # what queries read stays read-only
    # equal values in other bits (another NaN, -0.0) are no change either; another dtype of
    # equal values neither
    other_nan = np.frombuffer(np.array([0x7FF8000000000001], dtype=np.uint64).tobytes())
    assert np.isnan(other_nan[0])
    assert with_rows(table, rows, np.array([other_nan[0], 3.0])) is table
    zeros = np.array([0.0, 1.0])
    assert with_rows(zeros, np.array([0, 1]), np.array([-0.0, 1.0])) is zeros
    assert with_rows(table, rows, np.array([np.nan, 3.0], dtype=np.float32)) is table


def test_rows_view_takes_rows_when_read() -> None:
    table = {"a": np.arange(10), "b": np.arange(10) * 2.0}
    view = RowsView(table, np.array([7, 2]))
    assert list(view) == ["a", "b"]
    assert len(view) == 2
    assert view["b"].tolist() == [14.0, 4.0]
    assert view["a"].flags.c_contiguous


def test_field_names_are_the_dataclass_fields_made_once() -> None:
    names = field_names(EffectiveEdges)
    assert names == tuple(f.name for f in dataclasses.fields(EffectiveEdges))
    assert field_names(EffectiveEdges) is names
