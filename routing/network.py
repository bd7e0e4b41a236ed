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


#: The four facts a wheelchair user needs mapped, counted by ``attribute="known"``.
_KNOWN_FACTS = ("kerb", "incline", "surface", "width")


def _known(
    edge: Mapping[str, np.ndarray], eff: EffectiveEdges, e: np.ndarray, attribute: str
) -> np.ndarray:
    """Per piece ``e`` (edge ids): whether ``attribute`` is known there (one numpy pass)."""
    if attribute == "kerb":  # no kerb of unknown height either way (a junction's implied ones
        # count: accessibility_rules.effective)
        rev = edge["reverse_edge"][e]
        has_twin = rev >= 0
        twin = np.where(has_twin, rev, e)
        unknown = eff.kerb_unknown_count[e] + np.where(has_twin, eff.kerb_unknown_count[twin], 0)
        return unknown == 0
    if attribute == "steps":
        return np.ones(len(e), dtype=bool)
    if attribute == "incline":
        source = edge["incline_source"][e]
        direction_only = (source == InclineSource.UNKNOWN) | (
            source == InclineSource.TAG_DIRECTION_ONLY
        )
        return ~direction_only & ~np.isnan(edge["incline_percent"][e])
    if attribute == "surface":
        return edge["surface"][e] != SurfaceClass.UNKNOWN
    if attribute == "width":
        return ~np.isnan(edge["width_m"][e])
    if attribute == "lit":
        return edge["lit"][e] != Tri.UNKNOWN
    raise ValueError(f"no known-rule for {attribute!r}")


def _fact(
    edge: Mapping[str, np.ndarray], eff: EffectiveEdges, e: int, attribute: str, known: bool
) -> tuple[Any, str]:
    """``(value, label)`` of piece ``e`` for ``attribute`` (``known`` from :func:`_known`)."""
    if attribute == "kerb":
        rev = int(edge["reverse_edge"][e])
        pieces = [e] if rev < 0 else [e, rev]
        heights = [float(eff.kerb_height_cm[p]) for p in pieces]
        heights = [h for h in heights if not math.isnan(h)]
        top = max(heights) if heights else None
        if not known:  # a mapped one, or a road junction's implied ones (unmapped)
            return top, "kerb of unknown height"
        if max(int(eff.kerb_count[p]) for p in pieces) == 0:
            return None, "no kerb"
        return top, f"kerb {top:g} cm" if top is not None else "kerb"
    if attribute == "steps":
        count = int(edge["step_count"][e])
        if not bool(edge["is_steps"][e]):
            return False, "no steps"
        return True, f"{count} steps" if count > 0 else "steps"
    if not known:
        return None, f"{'lighting' if attribute == 'lit' else attribute} unknown"
    if attribute == "incline":
        percent = abs(float(edge["incline_percent"][e]))
        name = InclineSource(int(edge["incline_source"][e])).name.lower()
        return round(percent, 1), f"{percent:.1f} % ({name})"
    if attribute == "surface":
        code = int(edge["surface"][e])
        name = SurfaceClass(code).name.lower() if code in SurfaceClass._value2member_map_ else str(code)  # fmt: skip
        return name, name.replace("_", " ")
    if attribute == "width":
        width = float(edge["width_m"][e])
        return round(width, 2), f"{width:g} m"
    lit = int(edge["lit"][e]) == Tri.YES
    return lit, "lit" if lit else "unlit"


def piece_facts(
    edge: Mapping[str, np.ndarray], eff: EffectiveEdges, edges: np.ndarray, attribute: str
) -> list[tuple[Any, bool, str]]:
    """``(value, known, label)`` per piece of ``edges`` for ``attribute`` (``edge`` and
    ``eff``: a consistent pair from :meth:`Customizer.attributes`). Whether a fact is known is one
    vectorised rule per attribute; ``known`` counts how many of the four facts a wheelchair user
    needs (kerb, incline, surface, width) are mapped."""
    e = np.asarray(edges, dtype=np.int64)
    if attribute == "known":
        count = sum(_known(edge, eff, e, a).astype(np.int64) for a in _KNOWN_FACTS)
        return [
            (
                int(c),
                bool(c == len(_KNOWN_FACTS)),
                f"{int(c)} of 4 known (kerb, incline, surface, width)",
            )
            for c in np.asarray(count).tolist()
        ]
    known = _known(edge, eff, e, attribute)
    out = []
    for piece, ok in zip(e.tolist(), known.tolist(), strict=True):
        value, label = _fact(edge, eff, piece, attribute, ok)
        out.append((value, ok, label))
    return out


def piece_lines(graph: Any, edges: np.ndarray) -> list[list[list[float]]]:
    """The ``[lon, lat]`` points of each edge's line, rounded to 7 decimals (1 cm): every point
    of the bbox's pieces gathered, rounded and made Python lists in three numpy calls, then cut
    per piece (a round() per coordinate took most of a 5,000-piece map's 100 ms)."""
    first = np.asarray(graph.geom_first)
    starts, stops = first[edges], first[edges + 1]
    counts = stops - starts
    ends = np.cumsum(counts)
    offsets = ends - counts
    at = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(starts - offsets, counts)
    points = np.column_stack((graph.geom_lon[at], graph.geom_lat[at])).round(7).tolist()
    return [points[a:b] for a, b in zip(offsets.tolist(), ends.tolist(), strict=True)]


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
    edge, eff = router.customizer.attributes()
    facts = piece_facts(edge, eff, edges, attribute)
    features = []
    for e, coords, (value, known, label) in zip(
        edges.tolist(), piece_lines(router.graph, edges), facts, strict=True
    ):
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
