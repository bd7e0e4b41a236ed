"""A walk on a node: what lies there is met where the walk goes on through the node, not where it
starts or ends on it.

A route from a node: a point on a node snaps to the end of one of its edges, and the search
started "at the head" of an edge into the node charged what that head holds (a kerb, a
crossing), for every way but the way back along that edge. On Neukölln, 16 of 104 routes from a
raised kerb's node broke that kerb at 0 m (22 where a start 0.2 m along the way walked broke
nothing), while routes *to* such a node never did. Now the walk begins on the node.

A via point on a node: the walk goes on through the node, so what lies there is met; going back
the way it came, it is not.

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

    through = back = 0
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
            # to the kerb's node and back the way it came: the walk never crosses the kerb
            there_and_back = r.route_via([at(u), at(v), at(u)], profile)[0]
            twin = int(g.edge["reverse_edge"][e_in])
            if there_and_back.edges == [e_in, twin]:
                assert not _kerb_breaks(there_and_back), (v, u)
                back += 1
    assert through >= 6
    assert back >= 5


def test_a_route_from_a_kerbs_node_does_not_cross_that_kerb(neukoelln_router: Any) -> None:
    r = neukoelln_router
    g = r.graph
    profile = r.profile("wheelchair")
    height = np.asarray(g.node["kerb_height_cm"], dtype=float)
    kerbs = np.flatnonzero(np.isfinite(height) & (height > profile.max_kerb_height_cm))
    rng = np.random.default_rng(3)
    routed = 0
    for v in kerbs.tolist():
        here = (float(g.node["lat"][v]), float(g.node["lon"][v]))
        for far in rng.integers(0, g.node_count, size=8).tolist():
            there = (float(g.node["lat"][far]), float(g.node["lon"][far]))
            route = r.route(here, there, profile)
            assert not [b for b in _kerb_breaks(route) if b.at_m < 0.05], (v, far)
            back = r.route(there, here, profile)
            assert not [b for b in _kerb_breaks(back) if b.at_m > back.distance_m - 0.05]
            routed += 1
    assert routed >= 80
