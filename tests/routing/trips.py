"""Trips between graph nodes for the routing tests: the (lat, lon) of two nodes drawn by a test."""

from __future__ import annotations

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
