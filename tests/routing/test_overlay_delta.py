"""A change of the active obstacles applied as a delta equals the complete list applied afresh.

:func:`routing.obstacles.delta.plan_delta` lets :meth:`ObstacleOverlay.apply` reset and rewrite
only the cells the changed obstacles wrote or write; the reference is a fresh overlay on a fresh
router given the same complete list (hypothesis: obstacles that overlap on a few edges and
nodes, each list a mix of kept, new, replaced and removed ones, sometimes reordered).
Compared: every patchable attribute array, the effective arrays and derived tables the router
reads, a cached profile's weights (re-weighted by the edges each change recorded), and which
obstacles every edge meets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.arrays import array_fields
from graphs.model import CompiledGraph
from graphs.store import load_graph
from routing.engine import Router
from routing.obstacles import delta as delta_module
from routing.obstacles.delta import Cells, plan_delta
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch
from routing.obstacles.overlay import (
    EDGE_PATCHED_ATTRIBUTES,
    NODE_PATCHED_ATTRIBUTES,
    ObstacleOverlay,
)

pytestmark = pytest.mark.realdata


#: Effects that write every patchable array, some of them the same cells in other ways.
EFFECTS = (
    {"closed": True},
    {"width_m": 0.8},
    {"width_m": 1.1},
    {"kerb_height_cm": 12},
    {"kerb_height_cm": 2},
    {"surface": "gravel", "smoothness": "bad"},
    {"surface": "asphalt"},
    {"step_count": 3},
    {"wheelchair": "no"},
    {"wheelchair": "yes"},
    {"elevator_out_of_service": True},
)


def _area(g: CompiledGraph) -> tuple[np.ndarray, np.ndarray]:
    """A few neighbouring nodes and the edges among and around them (so obstacles overlap)."""
    v = int(np.argmax(np.diff(g.first_out)))
    nodes = {v}
    for _ in range(2):
        out = np.concatenate([np.arange(g.first_out[u], g.first_out[u + 1]) for u in nodes])
        nodes |= set(g.head[out].tolist())
    node_ids = np.array(sorted(nodes), dtype=np.int64)
    edges = np.flatnonzero(np.isin(g.tail, node_ids) & np.isin(g.head, node_ids))
    return node_ids, edges


def _match(
    g: CompiledGraph, rng: np.random.Generator, nodes: np.ndarray, edges: np.ndarray
) -> ObstacleMatch:
    """A match as the matcher makes them: both directions of a few pieces; a point with a
    node and its edges, or a line or an area without nodes."""
    kind = rng.integers(3)
    if kind == 0:
        v = int(rng.choice(nodes))
        touching = np.flatnonzero((g.tail == v) | (g.head == v))
        return ObstacleMatch(touching, np.array([v]), "Point")
    chosen = rng.choice(edges, size=min(len(edges), int(rng.integers(1, 5))), replace=False)
    rev = g.edge["reverse_edge"][chosen]
    both = np.concatenate((chosen, rev[rev >= 0]))
    return ObstacleMatch(
        both, np.zeros(0, dtype=np.int64), "LineString" if kind == 1 else "Polygon"
    )


def _snapshot(router: Router, overlay: ObstacleOverlay) -> dict[str, Any]:
    g = router.graph
    out: dict[str, Any] = {f"edge.{k}": np.array(g.edge[k]) for k in EDGE_PATCHED_ATTRIBUTES}
    out |= {f"node.{k}": np.array(g.node[k]) for k in NODE_PATCHED_ATTRIBUTES}
    out |= {f"effective.{k}": v for k, v in array_fields(router.customizer.effective).items()}
    out |= {f"events.{k}": v for k, v in array_fields(router.customizer._events).items()}
    out |= {f"report.{k}": v for k, v in array_fields(router.customizer._report).items()}
    weights = router.customizer.weights(router.profile("wheelchair"))
    out |= {f"weights.{k}": v for k, v in array_fields(weights).items()}
    out["met"] = [overlay.obstacles_on([e]) for e in range(g.edge_count)]
    # what the next apply starts from: carried from one apply to the next, equal to made anew
    ids, *lookup = overlay._lookup
    out["lookup.ids"] = list(ids)
    out |= {f"lookup.{i}": np.asarray(v) for i, v in enumerate(lookup)}
    out |= {f"cells.{k}": v for k, v in array_fields(overlay._cells).items()}
    return out


def assert_same(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Two snapshots name the same things, with equal values (arrays: NaN equals NaN)."""
    assert mine.keys() == theirs.keys()
    for name, value in theirs.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(mine[name], value, equal_nan=True), name
        else:
            assert mine[name] == value, name


def _lists(
    seed: int, steps: int, g: CompiledGraph
) -> Iterator[list[tuple[str, ObstacleMatch, ObstacleEffect]]]:
    """``steps`` lists of active obstacles, each changed from the one before: kept ones as the
    same objects, new ones, new versions (new objects of the same id), removed ones, and now
    and then the kept ones reordered."""
    rng = np.random.default_rng(seed)
    nodes, edges = _area(g)
    versions: dict[str, tuple[ObstacleMatch, ObstacleEffect]] = {}
    order: list[str] = []
    for step in range(steps):
        changes = int(rng.integers(1, 4)) if step else int(rng.integers(1, 12))
        for _ in range(changes):
            what = rng.integers(4) if order else 0
            if what == 0 or what == 1:  # new, or a new version of one
                oid = f"o{len(versions) + 100 * step}" if what == 0 else str(rng.choice(order))
                effect = ObstacleEffect(**EFFECTS[int(rng.integers(len(EFFECTS)))])
                versions[oid] = (_match(g, rng, nodes, edges), effect)
                if oid not in order:
                    order.insert(int(rng.integers(len(order) + 1)), oid)
            elif what == 2:
                order.remove(str(rng.choice(order)))
            elif len(order) > 1:
                i, j = rng.choice(len(order), size=2, replace=False)
                order[i], order[j] = order[j], order[i]
        yield [(oid, *versions[oid]) for oid in order]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(2, 6))
def test_applying_changes_equals_applying_the_list_afresh(
    centre_graph_dir: Path, seed: int, steps: int
) -> None:
    router = Router(load_graph(centre_graph_dir))
    overlay = ObstacleOverlay(router)
    router.customizer.weights(router.profile("wheelchair"))  # cached before: patched by each change
    for active in _lists(seed, steps, router.graph):
        overlay.apply(active)
        fresh_router = Router(load_graph(centre_graph_dir))
        fresh = ObstacleOverlay(fresh_router)
        fresh.apply(active)
        assert_same(_snapshot(router, overlay), _snapshot(fresh_router, fresh))
    overlay.apply([])
    pristine = Router(load_graph(centre_graph_dir))
    assert_same(_snapshot(router, overlay), _snapshot(pristine, ObstacleOverlay(pristine)))


def test_one_change_among_many_rewrites_only_its_cells(
    centre_graph_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One obstacle replaced among forty: applied as a delta (the complete patch is not made),
    the derived rows of its cells alone recomputed, and the outcome as a fresh apply's."""
    router = Router(load_graph(centre_graph_dir))
    g = router.graph
    rng = np.random.default_rng(11)
    pieces = rng.choice(router.index.canonical_edges, size=40, replace=False)
    active = [
        (f"o{i}", ObstacleMatch(np.array([e, g.edge["reverse_edge"][e]]), np.zeros(0), "LineString"),
         ObstacleEffect(**EFFECTS[i % len(EFFECTS)]))
        for i, e in enumerate(pieces.tolist())
    ]  # fmt: skip
    overlay = ObstacleOverlay(router)
    overlay.apply(active)
    complete: list[int] = []
    patch = overlay._patch

    def counted_patch(items: Any) -> Any:
        complete.append(len(items))
        return patch(items)

    recomputed: list[np.ndarray | None] = []
    replace = router.customizer.replace_attributes

    def recorded(edge: Any, node: Any, *, edges: np.ndarray | None = None) -> None:
        recomputed.append(edges)
        replace(edge, node, edges=edges)

    monkeypatch.setattr(overlay, "_patch", counted_patch)
    monkeypatch.setattr(router.customizer, "replace_attributes", recorded)
    replaced = (active[7][0], active[7][1], ObstacleEffect(width_m=0.5))
    again = [*active[:7], replaced, *active[8:]]
    overlay.apply(again)
    assert not complete
    assert recomputed[0] is not None
    assert np.array_equal(recomputed[0], np.unique(active[7][1].edges))
    fresh_router = Router(load_graph(centre_graph_dir))
    fresh = ObstacleOverlay(fresh_router)
    fresh.apply(again)
    assert_same(_snapshot(router, overlay), _snapshot(fresh_router, fresh))


def test_a_large_change_is_applied_whole() -> None:
    """Over a quarter of the list changed, an id listed twice, nothing applied before or now,
    the kept ones reordered: no delta (the complete list is applied)."""
    matches = [ObstacleMatch(np.array([i]), np.zeros(0), "LineString") for i in range(40)]
    effect = ObstacleEffect(closed=True)

    class Placed:
        def __init__(self, match: ObstacleMatch) -> None:
            self.match, self.effect = match, effect

    items = [(f"o{i}", m, effect) for i, m in enumerate(matches)]
    placed = {oid: Placed(m) for oid, m, _ in items}
    applied = tuple(oid for oid, _, _ in items)

    def plan(new: list[Any], fresh: tuple[int, ...] = ()) -> delta_module.Delta | None:
        return plan_delta(applied, placed, new, list(fresh), 50, 10)

    assert plan(items) is not None
    assert plan(items[: -delta_module.FEW_CHANGED]) is not None
    assert plan(items[:29]) is None  # 11 of 29 removed
    replaced = [(oid, ObstacleMatch(m.edges, m.nodes), fx) for oid, m, fx in items[:11]]
    assert plan([*replaced, *items[11:]], tuple(range(11))) is None  # 11 of 40 replaced
    assert plan([*items, items[0]]) is None
    assert plan_delta((), {}, items, [], 50, 10) is None
    assert plan([]) is None
    assert plan([items[1], items[0], *items[2:]]) is None
    one = plan([*items[:3], *items[4:]])
    assert one is not None
    assert one.dirty_edges.tolist() == [3]
    assert one.rewrite.size == 0
    assert one.gone == [matches[3]]
    assert one.gone_ids == ["o3"]
    new = (items[5][0], ObstacleMatch(np.array([5, 6]), np.zeros(0)), effect)
    two = plan([*items[:5], new, *items[6:]], (5,))
    assert two is not None
    assert two.dirty_edges.tolist() == [5, 6]
    assert two.rewrite.tolist() == [5, 6]  # itself and the one on edge 6
    assert two.changed == [new]


def _writers_one_by_one(
    items: list[Any], dirty_edges: np.ndarray, dirty_nodes: np.ndarray
) -> list[int]:
    """The positions of the items with an edge or a node among the dirty ones (the reference)."""
    edges, nodes = set(dirty_edges.tolist()), set(dirty_nodes.tolist())
    return [
        i for i, (_, m, _) in enumerate(items)
        if edges & set(m.edges.tolist()) or nodes & set(m.nodes.tolist())
    ]  # fmt: skip


cell_ids = st.lists(st.integers(0, 29), max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    before=st.lists(st.tuples(cell_ids, cell_ids), min_size=1, max_size=12),
    data=st.data(),
)
def test_the_writers_of_a_delta_are_the_obstacles_on_its_cells(
    before: list[tuple[list[int], list[int]]], data: st.DataObject
) -> None:
    """A delta's ``rewrite`` (found in the applied cells carried over, and in the changed
    obstacles' own) lists every obstacle of the new list with a cell among the dirty ones."""
    effect = ObstacleEffect(closed=True)

    class Placed:
        def __init__(self, match: ObstacleMatch) -> None:
            self.match, self.effect = match, effect

    def item(oid: str, cells: tuple[list[int], list[int]]) -> Any:
        e, n = cells
        return (oid, ObstacleMatch(np.asarray(e, np.int64), np.asarray(n, np.int64)), effect)

    applied = [item(f"o{i}", c) for i, c in enumerate(before)]
    placed = {oid: Placed(m) for oid, m, _ in applied}
    kept = [it for it in applied if data.draw(st.booleans())]
    # replaced (same id, other cells) or new, each at a drawn place among the kept ones
    new: list[Any] = list(kept)
    fresh_ids = data.draw(st.lists(st.sampled_from([*placed, "n1", "n2"]), max_size=3, unique=True))
    changed = []
    for oid in fresh_ids:
        fresh_item = item(oid, data.draw(st.tuples(cell_ids, cell_ids)))
        new = [it for it in new if it[0] != oid]
        new.insert(data.draw(st.integers(0, len(new))), fresh_item)
        changed.append(fresh_item)
    fresh = sorted(new.index(it) for it in changed)
    ids = tuple(oid for oid, _, _ in applied)
    delta = plan_delta(ids, placed, new, fresh, 30, 30, Cells.of([m for _, m, _ in applied]))
    if delta is None:
        return  # too much changed, or nothing left: the complete list is applied
    expected = _writers_one_by_one(new, delta.dirty_edges, delta.dirty_nodes)
    assert delta.rewrite.tolist() == expected
    assert [new[i] for i in delta.fresh.tolist()] == delta.changed
    assert [new[i][0] for i in delta.kept.tolist()] == [ids[i] for i in delta.kept_before.tolist()]
