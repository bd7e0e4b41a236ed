"""``incline_profile`` (runs found and rounded over whole arrays) against a plain per-edge loop.

The reference walks the route's edges one by one with Python's ``round``, joining an edge to the
stretch before it when its rounded incline and source are the same: what the route report
promises, written the obvious way. Real Kaiserslautern routes (with the DEM, so most edges have
an estimated incline) of several presets must give identical stretches, value for value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from routing.errors import NoRouteError
from routing.facts import incline_profile
from routing.route import Route

pytestmark = pytest.mark.slow

NAMES = {1: "tag", 2: "dem", 3: "tag_direction_only"}


def reference(graph: Any, route: Route) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    at = 0.0
    last: tuple[Any, Any] | None = None
    for edge, walked in zip(route.edges, route.walked_m, strict=True):
        if walked <= 0.0:
            continue
        end = at + walked
        value = float(graph.edge["incline_percent"][edge])
        percent = None if math.isnan(value) else round(value, 1)
        source = NAMES.get(int(graph.edge["incline_source"][edge])) if percent is not None else None
        if (percent, source) == last:
            out[-1]["to_m"] = round(end, 1)
        else:
            out.append(
                {"from_m": round(at, 1), "to_m": round(end, 1), "incline_percent": percent,
                 "source": source}
            )  # fmt: skip
            last = (percent, source)
        at = end
    return out


@pytest.mark.parametrize("preset", ["wheelchair", "walk", "rollator", "blind"])
def test_incline_profile_equals_the_per_edge_loop(ksl_router: Any, preset: str) -> None:
    g = ksl_router.graph
    rng = np.random.default_rng(11)
    routes = 0
    while routes < 60:
        a, b = rng.integers(0, g.node_count, 2)
        origin = (float(g.node["lat"][a]) + 2e-5, float(g.node["lon"][a]))
        destination = (float(g.node["lat"][b]), float(g.node["lon"][b]) - 2e-5)
        try:
            route = ksl_router.route(origin, destination, preset)
        except NoRouteError:  # no route between these two: draw again
            continue
        got = incline_profile(g, route)
        want = reference(g, route)
        assert [list(s.items()) for s in got] == [list(s.items()) for s in want]
        for s, w in zip(got, want, strict=True):  # -0.0 stays -0.0, as round gives it
            if s["incline_percent"] is not None:
                assert math.copysign(1, s["incline_percent"]) == math.copysign(
                    1, w["incline_percent"]
                )
        routes += 1
