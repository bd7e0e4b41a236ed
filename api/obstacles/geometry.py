"""The one rule for GeoJSON geometry the API accepts (obstacles, reports, imports).

A geometry is a GeoJSON ``Point``, ``LineString`` or ``Polygon`` (RFC 7946, parsed with
``geojson-pydantic`` so that OpenAPI shows the three types) in WGS84 ``[longitude, latitude]``
(an altitude is accepted and dropped), every coordinate a finite number in range, at most
:data:`MAX_POSITIONS` positions, and a polygon must be valid (not self-intersecting: it is
refused, never repaired). ``Multi*`` types and geometry collections are refused. Anything else is
answered 422 ``invalid_request`` with a sentence naming the problem.

The service stores :func:`geometry_json` (the canonical ``{type, coordinates}`` dict) and matches
:func:`to_shapely` on the graph; nothing below the API parses GeoJSON again.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import shapely
from geojson_pydantic import LineString, Point, Polygon
from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic.config import JsonDict
from shapely.geometry import shape

from api.validation_message import validation_message

#: Most positions one geometry may have (a construction site is a handful).
MAX_POSITIONS = 5000
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")

EXAMPLE_GEOMETRY: JsonDict = {
    "type": "LineString",
    "coordinates": [[7.7642, 49.43939], [7.76488, 49.43966]],
}


class GeoJsonPoint(Point):
    """A GeoJSON Point: ``coordinates`` is one ``[longitude, latitude]`` position (WGS84)."""


class GeoJsonLineString(LineString):
    """A GeoJSON LineString: two or more ``[longitude, latitude]`` positions (WGS84)."""


class GeoJsonPolygon(Polygon):
    """A GeoJSON Polygon: closed rings of ``[longitude, latitude]`` positions (WGS84), the first
    the outline, the others holes; it must not intersect itself."""


AnyGeoJson = GeoJsonPoint | GeoJsonLineString | GeoJsonPolygon


def _numbers_only(value: Any) -> Any:
    """Refuse positions written as strings or booleans (pydantic would read ``"7.7"`` as 7.7)."""
    if isinstance(value, dict):
        stack = [value.get("coordinates")]
        while stack:
            item = stack.pop()
            if isinstance(item, list | tuple):
                stack.extend(item)
            elif isinstance(item, str | bool):
                raise ValueError(f"coordinates must be numbers [longitude, latitude], not {item!r}")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _without_antimeridian_bbox(value: Any) -> Any:
    """The geometry without a ``bbox`` that crosses the antimeridian (its west edge east of its
    east edge, RFC 7946 5.2). A bbox is not stored, and geojson-pydantic would warn on stderr
    for such a one, once per distinct message: any client could write those into the server's
    log at will. One whose south edge is north of its north edge is refused, as
    geojson-pydantic refuses it; other bboxes are left to geojson-pydantic's rule."""
    if not isinstance(value, dict):
        return value
    box = value.get("bbox")
    if not isinstance(box, list | tuple) or len(box) not in (4, 6) or not all(map(_number, box)):
        return value
    half = len(box) // 2
    if box[0] <= box[half]:
        return value
    if box[1] > box[1 + half]:
        raise ValueError("bbox: its south edge lies north of its north edge")
    return {k: v for k, v in value.items() if k != "bbox"}


def _before_geojson(value: Any) -> Any:
    """What is checked before geojson-pydantic reads a geometry."""
    return _without_antimeridian_bbox(_numbers_only(value))


def positions(geometry: AnyGeoJson) -> list[tuple[str, Any]]:
    """Every position with the path that names it in an error."""
    if isinstance(geometry, Point):
        return [("coordinates", geometry.coordinates)]
    if isinstance(geometry, LineString):
        return [(f"coordinates[{i}]", p) for i, p in enumerate(geometry.coordinates)]
    return [
        (f"coordinates[{r}][{i}]", p)
        for r, ring in enumerate(geometry.coordinates)
        for i, p in enumerate(ring)
    ]


def _check(geometry: AnyGeoJson) -> AnyGeoJson:
    """Finite, in-range WGS84 positions; not too many; a valid polygon; a line with a length."""
    if isinstance(geometry, Polygon) and not geometry.coordinates:
        raise ValueError("a Polygon needs at least one ring")
    every = positions(geometry)
    if len(every) > MAX_POSITIONS:
        raise ValueError(f"geometry has more than {MAX_POSITIONS} positions")
    for where, position in every:
        lon, lat = float(position[0]), float(position[1])
        if not all(math.isfinite(float(v)) for v in position):
            raise ValueError(f"{where} has a coordinate that is not a finite number")
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(
                f"{where} [{lon}, {lat}] is not [longitude, latitude] in WGS84 (RFC 7946 order)"
            )
    if isinstance(geometry, Polygon):
        polygon = to_shapely(geometry)
        if not polygon.is_valid:
            raise ValueError(f"the Polygon is not valid: {shapely.is_valid_reason(polygon)}")
    elif isinstance(geometry, LineString) and len(set(map(_plane, geometry.coordinates))) < 2:
        # shapely calls it invalid ("Too few points"), and matching refused it as matching
        # nothing: a line needs a length, a point is sent as a Point
        raise ValueError("the LineString's positions are all one point: send a Point instead")
    return geometry


def _plane(position: Any) -> tuple[float, float]:
    """A position's longitude and latitude (an altitude is not part of the map)."""
    return float(position[0]), float(position[1])


#: A geometry in a request: validated by the one rule above.
ObstacleGeometry = Annotated[
    AnyGeoJson,
    Field(
        discriminator="type",
        description="GeoJSON Point, LineString or Polygon, WGS84 [longitude, latitude]",
        examples=[EXAMPLE_GEOMETRY],
    ),
    BeforeValidator(_before_geojson),
    AfterValidator(_check),
]
#: A geometry in a response: as stored (validated when it came in).
StoredGeometry = Annotated[
    AnyGeoJson,
    Field(
        discriminator="type",
        description="GeoJSON Point, LineString or Polygon, WGS84 [longitude, latitude]",
    ),
]

_ADAPTER: TypeAdapter[AnyGeoJson] = TypeAdapter(ObstacleGeometry)


def parse_geometry(value: Any) -> AnyGeoJson:
    """Validate a GeoJSON geometry by the one rule (raises :class:`GeometryError`)."""
    try:
        return _ADAPTER.validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in GEOMETRY_TYPES)
        message = validation_message(first, "invalid geometry")
        raise GeometryError(f"{where}: {message}" if where else message) from None


#: The WGS84 range of each coordinate of a position (degrees), in the order RFC 7946 writes them.
_POSITION_RANGES_DEG = ((-180.0, 180.0), (-90.0, 90.0))


def document_position_ranges(components: dict[str, Any]) -> None:
    """State the WGS84 ranges (:func:`_check`'s rule) on geojson-pydantic's position schemas
    (``Position2D``, ``Position3D``) of an OpenAPI document's ``components``: its positions are
    plain numbers, and a client reading the document could not know that a longitude of 200 is
    refused (the altitude stays unbounded)."""
    for name in ("Position2D", "Position3D"):
        items = components.get(name, {}).get("prefixItems", [])
        for item, (low, high) in zip(items, _POSITION_RANGES_DEG, strict=False):
            item["minimum"], item["maximum"] = low, high


class GeometryError(ValueError):
    """A geometry that breaks the rule of this module (one sentence)."""


def geometry_json(geometry: AnyGeoJson) -> dict[str, Any]:
    """The canonical stored form: ``{type, coordinates}`` with ``[lon, lat]`` float positions."""

    def position(p: Any) -> list[float]:
        return [float(p[0]), float(p[1])]

    if isinstance(geometry, Point):
        coordinates: Any = position(geometry.coordinates)
    elif isinstance(geometry, LineString):
        coordinates = [position(p) for p in geometry.coordinates]
    else:
        coordinates = [[position(p) for p in ring] for ring in geometry.coordinates]
    return {"type": geometry.type, "coordinates": coordinates}


def to_shapely(geometry: AnyGeoJson) -> shapely.Geometry:
    """The geometry as a shapely object in WGS84 ``(lon, lat)``, for matching on the graph."""
    return shape(geometry_json(geometry))
