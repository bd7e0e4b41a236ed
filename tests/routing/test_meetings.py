"""Where walks meet obstacles (:mod:`routing.obstacles.meetings`): the edges into and out of
nodes against the graph's heads and tails read one by one, one obstacle's meetings against the
rule written out per kind, and many obstacles' found together against each one's own
(hypothesis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.model import CompiledGraph
from graphs.store import load_graph
from routing.obstacles.meetings import Meetings
from routing.obstacles.patching import Targets
from routing.walking import MEETS_FROM_TAIL, MEETS_THROUGH, MEETS_WALKED

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def graph(centre_graph_dir: Path) -> CompiledGraph:
    return load_graph(centre_graph_dir)


def _into(g: CompiledGraph, nodes: np.ndarray) -> list[int]:
    return [e for v in nodes.tolist() for e in np.flatnonzero(g.head == v).tolist()]


def _out_of(g: CompiledGraph, nodes: np.ndarray) -> list[int]:
    return [e for v in nodes.tolist() for e in np.flatnonzero(g.tail == v).tolist()]


def _ids(data: st.DataObject, top: int, most: int) -> np.ndarray:
    drawn = data.draw(st.lists(st.integers(0, top - 1), max_size=most, unique=True))
    return np.asarray(sorted(drawn), dtype=np.int64)


def _targets(data: st.DataObject, g: CompiledGraph) -> Targets:
    """Targets as the overlay's make them: any part empty or not (few nodes, most empty)."""
    nodes = min(g.node_count, 60)
    return Targets(
        _ids(data, g.edge_count, 8), _ids(data, g.edge_count, 8), _ids(data, nodes, 3),
        _ids(data, nodes, 3), _ids(data, g.edge_count, 4), data.draw(st.booleans()),
    )  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_edges_into_and_out_of_nodes_are_read_off_the_graph(
    graph: CompiledGraph, data: st.DataObject
) -> None:
    """No, one or several nodes (one node: a slice, several: ranges concatenated)."""
    meet = Meetings(graph)
    nodes = np.asarray(
        data.draw(st.lists(st.integers(0, graph.node_count - 1), max_size=4, unique=True)),
        dtype=np.int64,
    )
    assert meet.entering(nodes).tolist() == _into(graph, nodes)
    assert meet.leaving(nodes).tolist() == _out_of(graph, nodes)
    assert meet.entering(nodes).dtype == meet.leaving(nodes).dtype == np.int64


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_one_obstacles_meetings_are_the_rule_per_kind(
    graph: CompiledGraph, data: st.DataObject
) -> None:
    at = _targets(data, graph)
    ids, bits = Meetings(graph).of(at)
    want = (
        [(e, MEETS_WALKED) for e in at.along.tolist()]
        + [(e, MEETS_WALKED | MEETS_THROUGH) for e in _into(graph, at.closed_nodes)]
        + [(e, MEETS_WALKED | MEETS_FROM_TAIL) for e in _out_of(graph, at.closed_nodes)]
        + [(e, MEETS_THROUGH) for e in _into(graph, at.kerb_nodes)]
        + [(e, MEETS_THROUGH) for e in at.kerb_edges.tolist()]
    )
    assert list(zip(ids.tolist(), bits.tolist(), strict=True)) == want
    assert ids.dtype == bits.dtype == np.int64


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), count=st.integers(0, 12))
def test_many_obstacles_meetings_are_each_ones_own(
    graph: CompiledGraph, data: st.DataObject, count: int
) -> None:
    meet = Meetings(graph)
    targets = [_targets(data, graph) for _ in range(count)]
    together = meet.of_many(targets)
    assert len(together) == count
    for at, (ids, bits) in zip(targets, together, strict=True):
        own_ids, own_bits = meet.of(at)
        assert ids.tolist() == own_ids.tolist()
        assert bits.tolist() == own_bits.tolist()
        assert ids.dtype == bits.dtype == np.int64
        if count > 1:  # views of the arrays all share
            assert not ids.flags.writeable
            assert not bits.flags.writeable
