"""Derived edge tables patched by rows equal a full recomputation (routing/edge_tables.py).

The independent reference is :func:`routing.edge_tables.edge_tables` over the whole new arrays
(the computation every row used to get on each write). Random changes of every attribute an
obstacle may patch, at random edges and nodes of the real Kaiserslautern centre graph, in
sequences (each patch starts from the one before, as writes do), through the tables alone and
through the obstacle overlay on a live router.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphs.arrays import concat_ranges
from graphs.model import CompiledGraph
from graphs.store import load_graph
from routing.edge_tables import EdgeTables, edge_tables, patch_edge_tables
from routing.engine import Router
from routing.metric import changed_edges
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import match_geojson
from routing.obstacles.overlay import (
    EDGE_PATCHED_ATTRIBUTES,
    NODE_PATCHED_ATTRIBUTES,
    ObstacleOverlay,
)

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def centre(real_build: Callable[..., Any]) -> CompiledGraph:
    return load_graph(Path(real_build("kaiserslautern-centre-2013.osm.gz").out_dir))


def assert_tables_equal(got: EdgeTables, want: EdgeTables) -> None:
    for f in dataclasses.fields(want.effective):
        a, b = getattr(got.effective, f.name), getattr(want.effective, f.name)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f.name
        assert a.dtype == b.dtype, f.name
    assert np.array_equal(got.events.events, want.events.events)
    assert np.array_equal(got.events.unknown_candidates, want.events.unknown_candidates)
    assert np.array_equal(got.report.rows, want.report.rows, equal_nan=True)
    assert got.report.index == want.report.index


def incident(g: CompiledGraph, nodes: np.ndarray) -> np.ndarray:
    """Edges entering or leaving ``nodes`` (brute force over all edges)."""
    return np.flatnonzero(np.isin(g.head, nodes) | np.isin(g.tail, nodes))


def changed_copy(
    table: dict[str, np.ndarray], names: tuple[str, ...], ids: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:  # fmt: skip
    """``table`` with ``names`` at ``ids`` changed: flags flipped, other arrays set to values
    drawn from the distinct values the array holds (NaN included where it has it): codes,
    heights and widths that occur in the map, each as likely as the others."""
    out = dict(table)
    for name in names:
        arr = np.array(table[name], copy=True)
        if arr.dtype == np.bool_:
            arr[ids] = ~arr[ids]
        else:
            arr[ids] = rng.choice(np.unique(arr), size=ids.size)
        out[name] = arr
    return out


def test_patched_rows_equal_a_full_recomputation(centre: CompiledGraph) -> None:
    rng = np.random.default_rng(11)
    g = centre
    edge, node = dict(g.edge), dict(g.node)
    tables = edge_tables(edge, node, g.head, g.tail)
    for step in range(25):
        edges = rng.choice(g.edge_count, size=int(rng.integers(0, 12)), replace=False)
        nodes = rng.choice(g.node_count, size=int(rng.integers(0, 6)), replace=False)
        names_e = tuple(rng.choice(EDGE_PATCHED_ATTRIBUTES, size=3, replace=False))
        names_n = tuple(rng.choice(NODE_PATCHED_ATTRIBUTES, size=2, replace=False))
        new_edge = changed_copy(edge, names_e, edges, rng)
        new_node = changed_copy(node, names_n, nodes, rng)
        rows = np.concatenate((edges, incident(g, nodes)))
        patched, changed = patch_edge_tables(tables, edge, new_edge, new_node, g.head, g.tail, rows)
        full = edge_tables(new_edge, new_node, g.head, g.tail)
        assert_tables_equal(patched, full)
        want = changed_edges(edge, tables.effective, new_edge, full.effective)
        assert np.array_equal(changed, want), step
        edge, node, tables = new_edge, new_node, patched


def test_patching_leaves_the_old_tables_as_they_were(centre: CompiledGraph) -> None:
    g = centre
    edge, node = dict(g.edge), dict(g.node)
    tables = edge_tables(edge, node, g.head, g.tail)
    before = edge_tables(edge, node, g.head, g.tail)
    closed = np.array(edge["closed"], copy=True)
    closed[:50] = True
    patched, changed = patch_edge_tables(
        tables, edge, edge | {"closed": closed}, node, g.head, g.tail, np.arange(50)
    )
    assert_tables_equal(tables, before)  # a query running meanwhile reads these
    assert patched.effective.closed[:50].all()
    # what a closure leaves as it was is not copied: no report column, the other effective arrays
    assert patched.report.rows is tables.report.rows
    kept = [
        f.name
        for f in dataclasses.fields(tables.effective)
        if getattr(patched.effective, f.name) is getattr(tables.effective, f.name)
    ]
    assert "closed" not in kept
    assert len(kept) == len(dataclasses.fields(tables.effective)) - 1
    assert np.array_equal(changed, np.flatnonzero(~np.asarray(g.edge["closed"][:50])))


def test_tables_without_every_array_are_refused(centre: CompiledGraph) -> None:
    g = centre
    tables = edge_tables(g.edge, g.node, g.head, g.tail)
    bare = dataclasses.replace(
        tables, effective=dataclasses.replace(tables.effective, barrier_access=None)
    )
    with pytest.raises(ValueError, match="cannot be patched"):
        patch_edge_tables(bare, g.edge, g.edge, g.node, g.head, g.tail, np.arange(3))


def test_overlay_writes_equal_a_full_recomputation(centre: CompiledGraph) -> None:
    """Obstacles applied, replaced and lifted in turn: after each, the live router's tables and
    the edges it records as changed are those of a full recomputation."""
    router = Router(dataclasses.replace(centre, edge=dict(centre.edge), node=dict(centre.node)))
    g = router.graph
    overlay = ObstacleOverlay(router)
    rng = np.random.default_rng(5)
    effects = [
        ObstacleEffect(closed=True), ObstacleEffect(width_m=0.6), ObstacleEffect(kerb_height_cm=9),
        ObstacleEffect(surface="gravel", smoothness="bad"), ObstacleEffect(step_count=3),
        ObstacleEffect(wheelchair="no"), ObstacleEffect(elevator_out_of_service=True),
    ]  # fmt: skip
    candidates = []
    for i, e in enumerate(rng.choice(router.index.canonical_edges, size=14, replace=False)):
        e = int(e)
        if i % 3 == 0:  # on a node: node-level effects
            v = int(g.tail[e])
            geometry = {"type": "Point", "coordinates": [float(g.node["lon"][v]), float(g.node["lat"][v])]}  # fmt: skip
        elif i % 3 == 1:
            geometry = {"type": "LineString", "coordinates": g.edge_coords(e).tolist()}
        else:
            mid = g.edge_coords(e)[len(g.edge_coords(e)) // 2]
            geometry = {"type": "Point", "coordinates": [float(mid[0]), float(mid[1])]}
        match = match_geojson(g, router.index, geometry)
        candidates.append((f"o{i}", match, effects[i % len(effects)]))
    for step in range(12):
        before_edge = g.edge
        before_eff = router.customizer.effective
        chosen = [c for c in candidates if rng.random() < 0.4] if step < 11 else []
        overlay.apply(chosen)
        full = edge_tables(g.edge, g.node, g.head, g.tail)
        live = EdgeTables(
            router.customizer.effective, router.customizer._events, router.customizer.report_table()
        )
        assert_tables_equal(live, full)
        revision, changed = (
            router.customizer._changes[-1] if router.customizer._changes else (0, None)
        )
        if changed is not None and revision == router.customizer.revision:
            want = changed_edges(before_edge, before_eff, g.edge, full.effective)
            assert np.array_equal(changed, want), step
    assert not g.edge["closed"].any()
    assert not g.node["closed"].any()


def test_overlay_reach_holds_every_edge_a_patch_can_change(centre: CompiledGraph) -> None:
    """:meth:`ObstacleOverlay._reach` against brute force: the matched edges and every edge
    whose head or tail is a matched node."""
    router = Router(dataclasses.replace(centre, edge=dict(centre.edge), node=dict(centre.node)))
    g = router.graph
    overlay = ObstacleOverlay(router)
    v = int(np.argmax(np.diff(g.first_out)))  # the node with most edges out
    geometry = {"type": "Point", "coordinates": [float(g.node["lon"][v]), float(g.node["lat"][v])]}
    match = match_geojson(g, router.index, geometry)
    assert match.nodes.size
    reach = overlay._reach([match])
    want = np.union1d(match.edges, incident(g, match.nodes))
    assert np.array_equal(reach, want)
    assert np.array_equal(
        np.sort(concat_ranges(g.first_out[match.nodes], g.first_out[match.nodes + 1])),
        np.sort(np.flatnonzero(np.isin(g.tail, match.nodes))),
    )
