"""The one earth model of the project: distances and local frames in metres (WGS84 degrees).

A sphere of the mean earth radius (IUGG R1). Great-circle lengths, the metres per degree of a
local flat frame and flat bearings all derive from :data:`EARTH_RADIUS_M`, so edge lengths,
snapping, obstacle matching, elevation sampling and route cutting agree with each other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "EARTH_RADIUS_M",
    "METRES_PER_DEGREE",
    "flat_bearing_deg",
    "great_circle_m",
    "haversine_m",
    "metres_per_degree",
]

EARTH_RADIUS_M = 6_371_008.8
#: Metres per degree of latitude (and of longitude at the equator) on that sphere.
METRES_PER_DEGREE = math.pi / 180.0 * EARTH_RADIUS_M


def haversine_m(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (broadcasts)."""
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2r - lat1r) / 2.0) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def great_circle_m(a: Sequence[float], b: Sequence[float]) -> float:
    """:func:`haversine_m` for two single ``[lon, lat]`` points, in plain ``math``.

    For short polylines (a route's first and last piece), where numpy's per-call cost dominates.
    """
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def metres_per_degree(lat_deg: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude near ``lat_deg`` (local flat frame)."""
    lat = np.radians(lat_deg)
    return float(np.pi / 180.0 * EARTH_RADIUS_M * np.cos(lat)), float(
        np.pi / 180.0 * EARTH_RADIUS_M
    )


def flat_bearing_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Compass bearing (0 = north, clockwise) from ``a`` to ``b`` (``(lon, lat)``) in the flat
    frame at ``a``: enough to tell a turn over a few metres."""
    dx = (b[0] - a[0]) * math.cos(math.radians(a[1]))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360.0
