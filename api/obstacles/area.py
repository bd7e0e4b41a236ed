"""Is a citizen's report inside the area this server routes in?

One small function, :func:`outside_area`, decides it: the graph's bounding box widened by the
Router's snap distance (``max_snap_m``), in O(1) after the first call per Router. A report
further away cannot be matched on the graph, so it is refused (422 ``out_of_area``) before it
is stored. When the Router offers its own area test, this is the one place to point at it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from api.obstacles.geometry import AnyGeoJson, positions
from graphs.geodesy import metres_per_degree

if TYPE_CHECKING:
    from routing.engine import Router


@dataclass(frozen=True, slots=True)
class AreaBox:
    """The graph's bounding box widened by the snap distance (degrees, WGS84)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        """Whether ``(lon, lat)`` lies in the box."""
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


_BOXES: weakref.WeakKeyDictionary[Router, AreaBox] = weakref.WeakKeyDictionary()


def area_box(router: Router) -> AreaBox:
    """The Router's area box (computed once per Router from the edge geometry)."""
    box = _BOXES.get(router)
    if box is None:
        graph = router.graph
        min_lon, max_lon = float(graph.geom_lon.min()), float(graph.geom_lon.max())
        min_lat, max_lat = float(graph.geom_lat.min()), float(graph.geom_lat.max())
        widest_lat = max(abs(min_lat), abs(max_lat))
        m_per_deg_lon, m_per_deg_lat = metres_per_degree(widest_lat)
        d_lon, d_lat = router.max_snap_m / m_per_deg_lon, router.max_snap_m / m_per_deg_lat
        box = AreaBox(min_lon - d_lon, min_lat - d_lat, max_lon + d_lon, max_lat + d_lat)
        _BOXES[router] = box
    return box


def outside_area(router: Router, geometry: AnyGeoJson) -> tuple[str, float, float] | None:
    """The first position of ``geometry`` outside the Router's area as ``(where, lon, lat)``,
    or None when every position is inside."""
    box = area_box(router)
    for where, position in positions(geometry):
        lon, lat = float(position[0]), float(position[1])
        if not box.contains(lon, lat):
            return where, lon, lat
    return None
