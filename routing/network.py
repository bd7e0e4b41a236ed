"""The walking network of a bounding box as GeoJSON lines, coloured by one attribute.

What the web console's map draws: one feature per undirected way piece (an edge and its
reverse are one line), found through the router's spatial grid (:class:`SpatialIndex`), never
by scanning every edge. Each feature says the attribute's ``value``, whether it is ``known`` and a
short ``label``. Kerbs are the *effective* ones (way kerb plus the kerb at either end), as the
router meets them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from accessibility_rules.attributes import InclineSource, SurfaceClass, Tri
from accessibility_rules.effective import EffectiveEdges
from routing.engine import Router
from routing.errors import BboxError

Attribute = Literal["kerb", "steps", "incline", "surface", "width", "lit", "known"]
ATTRIBUTES: tuple[str, ...] = ("kerb", "steps", "incline", "surface", "width", "lit", "known")


@dataclass(frozen=True, slots=True)
class Bbox:
    """West, south, east, north in degrees (WGS84)."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> Bbox:
        """``west,south,east,north``; 422 ``invalid_bbox`` when malformed or swapped."""
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise BboxError(
                "invalid_bbox", "bbox must be four numbers: west,south,east,north", bbox=text
            )
        west, south, east, north = values
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):  # fmt: skip
            raise BboxError("invalid_bbox", "bbox is outside -180..180, -90..90", bbox=text)
        if west >= east or south >= north:
            raise BboxError(
                "invalid_bbox",
                "bbox must have west < east and south < north (west,south,east,north)",
                bbox=text,
            )
        return cls(west, south, east, north)


def edges_in_bbox(router: Router, bbox: Bbox) -> np.ndarray:
    """Canonical edges (one per undirected piece) with a segment inside ``bbox``, sorted."""
    index = router.index
    xs, ys = index.frame.project(
        np.array([bbox.west, bbox.east]), np.array([bbox.south, bbox.north])
    )
    bx0, bx1 = float(min(xs)), float(max(xs))
    by0, by1 = float(min(ys)), float(max(ys))
    x0, y0, w, h = index.grid
    cx0 = max(0, int((bx0 - x0) // index.cell_m))
    cx1 = min(w - 1, int((bx1 - x0) // index.cell_m))
    cy0 = max(0, int((by0 - y0) // index.cell_m))
    cy1 = min(h - 1, int((by1 - y0) // index.cell_m))
    if cx0 > cx1 or cy0 > cy1:
        return np.zeros(0, dtype=np.int64)
    chunks = [
        index.cell_segments[index.cell_first[row * w + cx0] : index.cell_first[row * w + cx1 + 1]]
        for row in range(cy0, cy1 + 1)
    ]
    seg = np.unique(np.concatenate(chunks)) if chunks else np.zeros(0, dtype=np.int64)
    # the cells overlap the box; keep the segments whose own box does
    inside = (
        (np.maximum(index.seg_x0[seg], index.seg_x1[seg]) >= bx0)
        & (np.minimum(index.seg_x0[seg], index.seg_x1[seg]) <= bx1)
        & (np.maximum(index.seg_y0[seg], index.seg_y1[seg]) >= by0)
        & (np.minimum(index.seg_y0[seg], index.seg_y1[seg]) <= by1)
    )
    return np.unique(index.seg_edge[seg[inside]]).astype(np.int64)


def _both(values: np.ndarray, e: int, rev: int) -> list[Any]:
    return [values[e]] if rev < 0 else [values[e], values[rev]]


def edge_value(
    edge: Mapping[str, np.ndarray], eff: EffectiveEdges, e: int, attribute: str
) -> tuple[Any, bool, str]:
    """``(value, known, label)`` of the undirected piece of edge ``e`` for ``attribute``
    (``edge`` and ``eff``: a consistent pair from :meth:`Router.attributes`)."""
    rev = int(edge["reverse_edge"][e])
    if attribute == "kerb":
        counts = [int(c) for c in _both(eff.kerb_count, e, rev)]
        unknown = sum(int(c) for c in _both(eff.kerb_unknown_count, e, rev))
        heights = [float(v) for v in _both(eff.kerb_height_cm, e, rev) if not math.isnan(v)]
        if max(counts) == 0:
            return None, True, "no kerb"
        if unknown:
            return (max(heights) if heights else None), False, "kerb of unknown height"
        top = max(heights) if heights else None
        return top, True, f"kerb {top:g} cm" if top is not None else "kerb"
    if attribute == "steps":
        steps = bool(edge["is_steps"][e])
        count = int(edge["step_count"][e])
        label = (f"{count} steps" if count > 0 else "steps") if steps else "no steps"
        return steps, True, label
    if attribute == "incline":
        source = int(edge["incline_source"][e])
        percent = float(edge["incline_percent"][e])
        if source in (InclineSource.UNKNOWN, InclineSource.TAG_DIRECTION_ONLY) or math.isnan(
            percent
        ):
            return None, False, "incline unknown"
        name = InclineSource(source).name.lower()
        return round(abs(percent), 1), True, f"{abs(percent):.1f} % ({name})"
    if attribute == "surface":
        code = int(edge["surface"][e])
        if code == SurfaceClass.UNKNOWN:
            return None, False, "surface unknown"
        name = SurfaceClass(code).name.lower() if code in SurfaceClass._value2member_map_ else str(code)  # fmt: skip
        return name, True, name.replace("_", " ")
    if attribute == "width":
        width = float(edge["width_m"][e])
        if math.isnan(width):
            return None, False, "width unknown"
        return round(width, 2), True, f"{width:g} m"
    if attribute == "lit":
        lit = int(edge["lit"][e])
        if lit == Tri.UNKNOWN:
            return None, False, "lighting unknown"
        return lit == Tri.YES, True, "lit" if lit == Tri.YES else "unlit"
    # "known": how many of the four facts a wheelchair user needs are mapped
    known = sum(
        1 for a in ("kerb", "incline", "surface", "width") if edge_value(edge, eff, e, a)[1]
    )
    return known, known == 4, f"{known} of 4 known (kerb, incline, surface, width)"


def network_geojson(router: Router, bbox: Bbox, attribute: str, limit: int) -> dict[str, Any]:
    """FeatureCollection of the pieces in ``bbox``; 422 ``bbox_too_large`` beyond ``limit``."""
    edges = edges_in_bbox(router, bbox)
    if len(edges) > limit:
        raise BboxError(
            "bbox_too_large",
            f"the bbox holds {len(edges)} network pieces, more than the limit of {limit}; "
            "ask for a smaller bbox",
            limit=limit,
            count=len(edges),
        )
    graph = router.graph
    edge, eff = router.attributes()
    first, lon, lat = graph.geom_first, graph.geom_lon, graph.geom_lat
    features = []
    for e in edges.tolist():
        value, known, label = edge_value(edge, eff, e, attribute)
        a, b = int(first[e]), int(first[e + 1])
        coords = [[round(float(x), 7), round(float(y), 7)] for x, y in zip(lon[a:b], lat[a:b], strict=True)]  # fmt: skip
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"edge": e, "value": value, "known": known, "label": label},
            }
        )
    return {"type": "FeatureCollection", "features": features}


_BACKREST = {1: "yes", 0: "no", -1: "unknown"}


def stop_features(graph: Any, bbox: Bbox, limit: int) -> dict[str, Any]:
    """The public transport stops in ``bbox`` (``graph.meta["stops"]``, read at build time) as
    GeoJSON points with ``kind``, ``name``, ``wheelchair`` and ``bench``; 422
    ``bbox_too_large`` beyond ``limit``. A graph built before stops were read has none."""
    stops = graph.meta.get("stops") or []
    found = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
            "properties": {k: s.get(k) for k in ("kind", "name", "wheelchair", "bench")},
        }
        for s in stops
        if bbox.west <= s["lon"] <= bbox.east and bbox.south <= s["lat"] <= bbox.north
    ]
    if len(found) > limit:
        raise BboxError(
            "bbox_too_large",
            f"the bbox holds {len(found)} stops, more than the limit of {limit}; "
            "ask for a smaller bbox",
            limit=limit,
            count=len(found),
        )
    return {"type": "FeatureCollection", "features": found}


def seat_features(graph: Any, bbox: Bbox, kind: str, limit: int) -> dict[str, Any]:
    """Seats (``kind="seats"``) or stops with a seat (``"stops"``) in ``bbox`` as GeoJSON
    points with ``kind`` and ``backrest`` (yes/no/unknown); 422 ``bbox_too_large`` beyond
    ``limit``. A seat joined to both directions of a way is one point."""
    from accessibility_rules.surroundings import SeatKind

    seats = graph.seats
    if not seats or "seat_lat" not in seats:
        return {"type": "FeatureCollection", "features": []}
    lat, lon = np.asarray(seats["seat_lat"]), np.asarray(seats["seat_lon"])
    kinds, backrest = np.asarray(seats["seat_kind"]), np.asarray(seats["seat_backrest"])
    keep = (lon >= bbox.west) & (lon <= bbox.east) & (lat >= bbox.south) & (lat <= bbox.north)
    if kind == "stops":
        keep &= kinds == SeatKind.STOP
    found: dict[tuple[float, float], dict[str, Any]] = {}
    for i in np.flatnonzero(keep).tolist():
        where = (round(float(lon[i]), 7), round(float(lat[i]), 7))
        if where in found:
            continue
        code = int(kinds[i])
        name = SeatKind(code).name.lower() if code in SeatKind._value2member_map_ else "seat"
        found[where] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(where)},
            "properties": {"kind": name, "backrest": _BACKREST.get(int(backrest[i]), "unknown")},
        }
    if len(found) > limit:
        raise BboxError(
            "bbox_too_large",
            f"the bbox holds {len(found)} points, more than the limit of {limit}; "
            "ask for a smaller bbox",
            limit=limit,
            count=len(found),
        )
    return {"type": "FeatureCollection", "features": list(found.values())}
