"""Is a citizen's report inside the area this server routes in?

The Router's own O(1) area test decides it (:meth:`routing.snapper.Snapper.check_in_area`: the
box of every path, widened by the snap distance ``max_snap_m``), the same rule routes use. A
report farther away cannot be matched on the graph, so it is refused (422 ``out_of_area``)
before it is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.obstacles.geometry import AnyGeoJson, positions

if TYPE_CHECKING:
    from routing.engine import Router


def outside_area(router: Router, geometry: AnyGeoJson) -> tuple[str, float, float] | None:
    """The first position of ``geometry`` outside the Router's area as ``(where, lon, lat)``,
    or None when every position is inside."""
    for where, position in positions(geometry):
        lon, lat = float(position[0]), float(position[1])
        if router.snapper.area.distance_m(lat, lon) > router.snapper.max_snap_m:
            return where, lon, lat
    return None
