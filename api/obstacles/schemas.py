"""Request and response schemas of obstacles and citizen reports (one family per resource).

Times: timezone-aware ISO 8601; a time without an offset is read as Europe/Berlin local time
(the city's clock), and every time is answered in UTC. Geometry: a GeoJSON ``Point``,
``LineString`` or ``Polygon`` in WGS84 (RFC 7946: longitude first).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from routing.obstacles.effect import ObstacleEffect

#: Naive times in requests are local times of this zone.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")
#: Most positions one geometry may have (a construction site is a handful).
MAX_POSITIONS = 5000
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")

Source = Literal["staff", "citizen_report", "import"]
ReportStatus = Literal["open", "accepted", "rejected"]

EXAMPLE_GEOMETRY = {
    "type": "LineString",
    "coordinates": [[7.7642, 49.43939], [7.76488, 49.43966]],
}
EXAMPLE_EFFECT = {"closed": True}


def as_aware(value: datetime) -> datetime:
    """A naive time is Europe/Berlin local time; the result is in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=LOCAL_ZONE)
    return value.astimezone(UTC)


def _position(value: Any, where: str) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ValueError(f"{where} must be a [longitude, latitude] position")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{where} must hold numbers")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"{where} has a coordinate that is not a finite number")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(
            f"{where} [{lon}, {lat}] is not [longitude, latitude] in WGS84 (RFC 7946 order)"
        )
    return [lon, lat]


def _line(value: Any, where: str, minimum: int) -> list[list[float]]:
    if not isinstance(value, list | tuple) or len(value) < minimum:
        raise ValueError(f"{where} needs at least {minimum} positions")
    return [_position(p, f"{where}[{i}]") for i, p in enumerate(value)]


def check_geometry(value: Any) -> dict[str, Any]:
    """Validate a GeoJSON Point/LineString/Polygon; return it as ``{type, coordinates}``."""
    if not isinstance(value, dict):
        raise ValueError("geometry must be a GeoJSON object")
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise ValueError(f"geometry type must be one of {', '.join(GEOMETRY_TYPES)}, got {kind!r}")
    coords = value.get("coordinates")
    if kind == "Point":
        return {"type": kind, "coordinates": _position(coords, "coordinates")}
    if kind == "LineString":
        line = _line(coords, "coordinates", 2)
        if len(line) > MAX_POSITIONS:
            raise ValueError(f"geometry has more than {MAX_POSITIONS} positions")
        return {"type": kind, "coordinates": line}
    if not isinstance(coords, list | tuple) or not coords:
        raise ValueError("a Polygon needs at least one ring")
    rings = [_line(r, f"coordinates[{i}]", 4) for i, r in enumerate(coords)]
    if sum(len(r) for r in rings) > MAX_POSITIONS:
        raise ValueError(f"geometry has more than {MAX_POSITIONS} positions")
    for i, ring in enumerate(rings):
        if ring[0] != ring[-1]:
            raise ValueError(f"coordinates[{i}]: a Polygon ring must end where it starts")
    import shapely
    from shapely.geometry import shape

    polygon = shape({"type": kind, "coordinates": rings})
    if not polygon.is_valid:
        raise ValueError(f"the Polygon is not valid: {shapely.is_valid_reason(polygon)}")
    return {"type": kind, "coordinates": rings}


Geometry = Annotated[
    dict[str, Any],
    AfterValidator(check_geometry),
    Field(
        description="GeoJSON Point, LineString or Polygon, WGS84 [longitude, latitude]",
        examples=[EXAMPLE_GEOMETRY],
    ),
]
LocalTime = Annotated[
    datetime,
    AfterValidator(as_aware),
    Field(description="ISO 8601; without an offset the time is Europe/Berlin local time"),
]


def _check_window(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise ValueError(
            f"valid_until ({valid_until.isoformat()}) must be after valid_from "
            f"({valid_from.isoformat()})"
        )


class ObstacleCreate(BaseModel):
    """``POST /obstacles``: what staff draw and what it does to the paths it touches."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "geometry": EXAMPLE_GEOMETRY,
                    "effect": EXAMPLE_EFFECT,
                    "valid_from": "2024-06-03T07:00:00",
                    "valid_until": "2024-06-14T18:00:00+02:00",
                    "reason": "Baustelle: Gehweg gesperrt",
                },
                {
                    "geometry": {"type": "Point", "coordinates": [7.76455, 49.43953]},
                    "effect": {"width_m": 0.8},
                    "reason": "Gerüst verengt den Gehweg auf 80 cm",
                },
            ]
        },
    )

    geometry: Geometry
    effect: ObstacleEffect
    valid_from: LocalTime | None = Field(None, description="default: now")
    valid_until: LocalTime | None = Field(None, description="null: a permanent correction")
    reason: str = Field(min_length=1, max_length=2000, examples=["Baustelle"])

    @model_validator(mode="after")
    def _window(self) -> ObstacleCreate:
        _check_window(self.valid_from, self.valid_until)
        return self


class ObstacleUpdate(BaseModel):
    """``PATCH /obstacles/{id}``: the fields to change plus the version they were read at."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"version": 1, "valid_until": "2024-06-21T18:00:00"},
                {"version": 2, "effect": {"width_m": 0.9}, "reason": "Gerüst teilweise abgebaut"},
            ]
        },
    )

    version: int | None = Field(
        None, ge=1, description="the version read; or send it as the If-Match header"
    )
    geometry: Geometry | None = None
    effect: ObstacleEffect | None = None
    valid_from: LocalTime | None = None
    valid_until: LocalTime | None = Field(None, description="null makes the obstacle permanent")
    reason: str | None = Field(None, min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _window(self) -> ObstacleUpdate:
        for name in ("geometry", "effect", "valid_from", "reason"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        _check_window(self.valid_from, self.valid_until)
        return self


class ObstaclePublic(BaseModel):
    """An obstacle as stored, and whether it applies now."""

    id: str = Field(examples=["6f1c2a9e-0d7b-4d8e-9a51-3e2f4c1b7a10"])
    geometry: dict[str, Any]
    effect: dict[str, Any]
    valid_from: datetime
    valid_until: datetime | None
    reason: str
    source: Source
    author: str
    created_at: datetime
    updated_at: datetime
    version: int
    active: bool = Field(description="applies to routes right now")
    deleted_at: datetime | None = None


class ObstacleWritten(ObstaclePublic):
    """The answer to a write: the obstacle and what its geometry matched on the graph."""

    match: dict[str, Any] = Field(
        description="edges and nodes of the graph the obstacle changes (what staff changed)"
    )


class ObstacleList(BaseModel):
    """``GET /obstacles``."""

    count: int
    obstacles: list[ObstaclePublic]


class HistoryEntry(BaseModel):
    """One audited change."""

    version: int
    action: Literal["create", "update", "delete", "accept", "import"]
    author: str
    at: datetime
    snapshot: dict[str, Any]


class ObstacleHistoryOut(BaseModel):
    """``GET /obstacles/{id}/history``, oldest first."""

    obstacle_id: str
    history: list[HistoryEntry]


class Feature(BaseModel):
    """A GeoJSON Feature."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"] = "Feature"
    id: str | None = None
    geometry: dict[str, Any]
    properties: dict[str, Any] = Field(default_factory=dict)


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (RFC 7946)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "6f1c2a9e-0d7b-4d8e-9a51-3e2f4c1b7a10",
                            "geometry": EXAMPLE_GEOMETRY,
                            "properties": {
                                "effect": EXAMPLE_EFFECT,
                                "reason": "Baustelle",
                                "valid_from": "2024-06-03T05:00:00Z",
                                "valid_until": None,
                            },
                        }
                    ],
                }
            ]
        },
    )

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class ImportProperties(BaseModel):
    """Properties of one imported feature (the export's properties are accepted as they are)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, min_length=1, max_length=36)
    effect: ObstacleEffect
    valid_from: LocalTime | None = None
    valid_until: LocalTime | None = None
    reason: str = Field(min_length=1, max_length=2000)
    source: Source = "import"
    author: str | None = Field(None, min_length=1, max_length=200)
    created_at: LocalTime | None = None

    @model_validator(mode="after")
    def _window(self) -> ImportProperties:
        _check_window(self.valid_from, self.valid_until)
        return self


class ImportResult(BaseModel):
    """``POST /obstacles/import``: everything was written (otherwise nothing was)."""

    created: int
    updated: int
    total: int
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ReportCreate(BaseModel):
    """``POST /reports``: a citizen tells the city about an obstacle (no login)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "geometry": {"type": "Point", "coordinates": [7.76455, 49.43953]},
                    "description": "Aufzug am Bahnhof seit Montag defekt",
                    "contact": "name@example.org",
                }
            ]
        },
    )

    geometry: Geometry
    description: str = Field(min_length=3, max_length=2000)
    contact: str | None = Field(None, max_length=200, description="optional; seen by staff only")


class ReportReceipt(BaseModel):
    """What a citizen gets back."""

    id: str
    status: ReportStatus
    created_at: datetime
    message: str = "Thank you: city staff will look at your report."


class ReportPublic(BaseModel):
    """A report as staff see it."""

    id: str
    geometry: dict[str, Any]
    description: str
    contact: str | None
    status: ReportStatus
    obstacle_id: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class ReportList(BaseModel):
    """``GET /reports``."""

    count: int
    reports: list[ReportPublic]


class ReportAccept(BaseModel):
    """``POST /reports/{id}/accept``: the effect staff decided on (geometry: the report's)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"effect": {"elevator_out_of_service": True}, "valid_until": "2024-06-20T18:00:00"}
            ]
        },
    )

    effect: ObstacleEffect
    geometry: Geometry | None = Field(None, description="default: the report's geometry")
    valid_from: LocalTime | None = None
    valid_until: LocalTime | None = None
    reason: str | None = Field(
        None, min_length=1, max_length=2000, description="default: the report's description"
    )

    @model_validator(mode="after")
    def _window(self) -> ReportAccept:
        _check_window(self.valid_from, self.valid_until)
        return self


class ReportDecision(BaseModel):
    """``POST /reports/{id}/accept`` and ``/reject``."""

    report: ReportPublic
    obstacle: ObstacleWritten | None = None
