"""A via point on a node: the walk goes on through the node, so what lies there is met.

Before, a route through a via point that snapped onto a raised kerb's node did not break the
kerb limit when its next leg went on along another way: the leg before ended at the node (what
lies at an end is beyond the walk) and the leg after started on it (a kerb at a walk's start is
not crossed). On Neukölln (13 kerbs above 3 cm, each between two of its ways), 4 of the 8 via
routes whose direct route crosses the kerb said nothing of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.realdata


def _kerb_breaks(route: Any) -> list[Any]:
    return [b for b in route.accessibility.breaks if b.limit == "kerb_height"]


def test_a_kerb_at_a_via_point_on_its_node_is_met_as_without_the_via_point(
    neukoelln_router: Any,
) -> None:
    r = neukoelln_router
    g = r.graph
    profile = r.profile("wheelchair")
    height = np.asarray(g.node["kerb_height_cm"], dtype=float)
    kerbs = np.flatnonzero(np.isfinite(height) & (height > profile.max_kerb_height_cm))
    assert kerbs.size >= 10, "Neukölln maps raised kerbs on crossing nodes"

    def at(v: int) -> tuple[float, float]:
        return float(g.node["lat"][v]), float(g.node["lon"][v])

    through = 0
    for v in kerbs.tolist():
        for e_in in np.flatnonzero(g.head == v)[:2].tolist():
            u = int(g.tail[e_in])
            for e_out in np.flatnonzero(g.tail == v)[:3].tolist():
                w = int(g.head[e_out])
                if w == u:
                    continue
                direct = r.route(at(u), at(w), profile)
                edges = direct.edges
                if not (e_in in edges and e_out in edges[edges.index(e_in) + 1 :][:1]):
                    continue  # the direct route goes round the node
                via = r.route_via([at(u), at(v), at(w)], profile)[0]
                want, got = _kerb_breaks(direct), _kerb_breaks(via)
                assert want, (v, "the direct route through the kerb breaks it")
                assert [(b.value, round(b.at_m)) for b in got] == [
                    (b.value, round(b.at_m)) for b in want
                ], (v, u, w)
                assert via.duration_s == pytest.approx(direct.duration_s, abs=0.05)
                through += 1
    assert through >= 6
