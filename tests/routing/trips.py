"""Trips between graph nodes for the routing tests: the (lat, lon) of two nodes drawn by a test,
and routes between drawn nodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

LatLon = tuple[float, float]


def node_trip(graph: Any, a: Any, b: Any) -> tuple[LatLon, LatLon]:
    """The positions of nodes ``a`` and ``b`` of ``graph``: a trip's origin and destination."""
    lat, lon = graph.node["lat"], graph.node["lon"]
    return (float(lat[a]), float(lon[a])), (float(lat[b]), float(lon[b]))


def seeded_points(router: Any, seed: int, k: int) -> list[LatLon]:
    """The positions of ``k`` nodes of ``router``'s graph drawn with ``seed`` (repeats allowed):
    consecutive pairs are trips."""
    g = router.graph
    nodes = np.random.default_rng(seed).integers(0, g.node_count, k)
    return [(float(g.node["lat"][v]), float(g.node["lon"][v])) for v in nodes]


def seeded_routes(router: Any, preset: str, seed: int, count: int) -> Iterator[Any]:
    """``count`` routes of ``preset`` between nodes drawn with ``seed`` (ends moved 2e-5° off
    the nodes, so that they snap onto an edge); pairs without a route are drawn again."""
    from routing.errors import NoRouteError

    g = router.graph
    rng = np.random.default_rng(seed)
    found = 0
    while found < count:
        a, b = rng.integers(0, g.node_count, 2)
        origin = (float(g.node["lat"][a]) + 2e-5, float(g.node["lon"][a]))
        destination = (float(g.node["lat"][b]), float(g.node["lon"][b]) - 2e-5)
        try:
            route = router.route(origin, destination, preset)
        except NoRouteError:  # no route between these two: draw again
            continue
        yield route
        found += 1


def node_routes(
    router: Any, seed: int, trips: int, presets: tuple[str, ...]
) -> Iterator[tuple[str, Any]]:
    """``(preset, route)`` for ``trips`` trips between nodes drawn with ``seed``
    (:func:`node_trip`), each for every preset in turn; a trip without a route for a preset
    is left out for it."""
    from routing.errors import NoRouteError

    g = router.graph
    rng = np.random.default_rng(seed)
    for _ in range(trips):
        origin, destination = node_trip(g, *rng.integers(0, g.node_count, 2))
        for preset in presets:
            try:
                yield preset, router.route(origin, destination, preset)
            except NoRouteError:
                continue
