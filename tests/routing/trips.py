"""Trips between graph nodes for the routing tests: the (lat, lon) of two nodes drawn by a test."""

from __future__ import annotations

from typing import Any

LatLon = tuple[float, float]


def node_trip(graph: Any, a: Any, b: Any) -> tuple[LatLon, LatLon]:
    """The positions of nodes ``a`` and ``b`` of ``graph``: a trip's origin and destination."""
    lat, lon = graph.node["lat"], graph.node["lon"]
    return (float(lat[a]), float(lon[a])), (float(lat[b]), float(lon[b]))
