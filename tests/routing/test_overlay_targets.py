"""Where one obstacle's effect goes (the overlay's ``_targets``) against the rule written out
with set unions (hypothesis: every combination of switches and values, points on nodes, lines,
areas, elevators among the matched edges and nodes or none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.store import load_graph
from routing.engine import Router
from routing.obstacles.effect import ObstacleEffect
from routing.obstacles.matching import ObstacleMatch
from routing.obstacles.overlay import ObstacleOverlay
from routing.obstacles.patching import Targets

pytestmark = pytest.mark.realdata


def _changes_something(effect: dict[str, Any]) -> bool:
    switches = ("closed", "elevator_out_of_service")
    return any(effect[k] for k in switches) or any(
        v is not None for k, v in effect.items() if k not in switches
    )


effects: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "closed": st.booleans(),
        "elevator_out_of_service": st.booleans(),
        "width_m": st.none() | st.just(0.8),
        "kerb_height_cm": st.none() | st.just(6.0),
        "surface": st.none() | st.just("gravel"),
        "smoothness": st.none() | st.just("bad"),
        "step_count": st.none() | st.just(3),
        "wheelchair": st.none() | st.just("no"),
    }
).filter(_changes_something)


def _reference(
    match: ObstacleMatch, fx: ObstacleEffect, lift_e: np.ndarray, lift_n: np.ndarray
) -> Targets:
    """The rule as sets: closed closes the edges (the nodes too for a point on nodes); an
    elevator out of service closes the matched elevator edges and nodes, else the edges; the
    other values change the edges; a kerb goes to the nodes, else to the edges."""
    ids_e, ids_n = match.edges, match.nodes
    node_level = match.is_point and ids_n.size > 0
    closed_e = set(ids_e.tolist()) if fx.closed else set()
    closed_n = set(ids_n.tolist()) if fx.closed and node_level else set()
    if fx.elevator_out_of_service:
        le = set(ids_e[lift_e[ids_e]].tolist())
        ln = set(ids_n[lift_n[ids_n]].tolist())
        closed_e |= le if le or ln else set(ids_e.tolist())
        closed_n |= ln
    along = set(closed_e)
    values = (fx.width_m, fx.surface, fx.smoothness, fx.step_count, fx.wheelchair)
    if any(v is not None for v in values):
        along |= set(ids_e.tolist())
    kerb = fx.kerb_height_cm is not None
    none = np.zeros(0, dtype=np.int64)

    def ids(s: set[int]) -> np.ndarray:
        return np.asarray(sorted(s), dtype=np.int64)

    return Targets(
        ids(along), ids(closed_e), ids(closed_n),
        ids_n if kerb and ids_n.size else none,
        ids_e if kerb and not ids_n.size else none,
        node_level,
    )  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    effect=effects,
    kind=st.sampled_from(["Point", "LineString", "Polygon"]),
    with_nodes=st.booleans(),
)
def test_targets_are_the_rule_as_sets(
    centre_graph_dir: Path, seed: int, effect: dict[str, Any], kind: str, with_nodes: bool
) -> None:
    router = Router(load_graph(centre_graph_dir))
    overlay = ObstacleOverlay(router)
    g = router.graph
    rng = np.random.default_rng(seed)
    # elevators among the ids the match draws from, or none (the extract has few)
    lift_e = rng.random(g.edge_count) < rng.choice([0.0, 0.3])
    lift_n = rng.random(g.node_count) < rng.choice([0.0, 0.3])
    overlay._edge_is_elevator, overlay._node_is_elevator = lift_e, lift_n
    edges = rng.choice(40, size=int(rng.integers(0, 8)), replace=False)
    nodes = rng.choice(40, size=int(rng.integers(1, 4)) if with_nodes else 0, replace=False)
    match = ObstacleMatch(edges, nodes, kind)
    fx = ObstacleEffect.model_validate(effect)
    got = overlay._targets(match, fx)
    want = _reference(match, fx, lift_e, lift_n)
    assert got.node_level == want.node_level
    for name in ("along", "closed_edges", "closed_nodes", "kerb_nodes", "kerb_edges"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == np.int64, name
        assert a.tolist() == b.tolist(), name
