"""Which applied obstacles a walk meets (:meth:`ObstacleOverlay.obstacles_on`) against a
reference read straight off the overlay's rows, one row and one piece at a time (hypothesis:
obstacles that overlap on a few edges and nodes, walks over those edges with random
``MEETS_*`` bits, edges repeated)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.store import load_graph
from routing.engine import Router
from routing.obstacles.overlay import ObstacleOverlay
from tests.routing.test_overlay_delta import _lists

pytestmark = pytest.mark.realdata


def _reference(overlay: ObstacleOverlay, edges: list[int], meets: list[int]) -> list[str]:
    """Each row (an obstacle's edge and the bits a piece on it needs) met when some piece on
    that edge has every bit it needs (or, without ``meets``, is on it); ids in the order
    applied, each once."""
    ids, owned, owner, needs, _ = overlay._lookup
    hit = set()
    for row in range(owned.size):
        for p, edge in enumerate(edges):
            if edge == owned[row] and (not meets or meets[p] & needs[row] == needs[row]):
                hit.add(int(owner[row]))
    return list(dict.fromkeys(ids[i] for i in sorted(hit)))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_obstacles_on_a_walk_are_the_rows_it_meets(
    centre_graph_dir: Path, seed: int, data: st.DataObject
) -> None:
    router = Router(load_graph(centre_graph_dir))
    overlay = ObstacleOverlay(router)
    active = list(_lists(seed, 1, router.graph))[-1]
    overlay.apply(active)
    touched = sorted({int(e) for _, m, _ in active for e in m.edges} | {0, 1})
    edges = data.draw(st.lists(st.sampled_from(touched), max_size=12))
    meets = data.draw(st.lists(st.integers(0, 7), min_size=len(edges), max_size=len(edges)))
    with_bits = data.draw(st.booleans())
    given_meets = meets if with_bits else None
    assert overlay.obstacles_on(edges, given_meets) == _reference(
        overlay, edges, meets if with_bits else []
    )
    assert overlay.obstacles_on(np.asarray(edges, dtype=np.int64)) == _reference(overlay, edges, [])
