"""Request and response schemas of the HTTP API (documented in OpenAPI with examples)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_STRICT = ConfigDict(extra="forbid")


class Point(BaseModel):
    """A WGS84 position."""

    model_config = _STRICT

    lat: float = Field(ge=-90, le=90, description="latitude in degrees", examples=[49.4447])
    lon: float = Field(ge=-180, le=180, description="longitude in degrees", examples=[7.769])

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class ProfileChoice(BaseModel):
    """A preset plus any parameter overrides (see ``GET /profiles/{name}``)."""

    model_config = _STRICT

    name: str = Field("walk", description="preset name", examples=["wheelchair"])
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides, e.g. {'max_kerb_height_cm': 4, 'unknown.surface': 'forbid'}",
        examples=[{"max_kerb_height_cm": 4}],
    )


class RouteRequest(BaseModel):
    """``POST /routes``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "origin": {"lat": 49.4447, "lon": 7.7690},
                    "destination": {"lat": 49.4390, "lon": 7.7640},
                    "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 4}},
                    "language": "de",
                }
            ]
        },
    )

    origin: Point
    destination: Point
    via: list[Point] = Field(default_factory=list, description="intermediate stops in order")
    profile: ProfileChoice = Field(default_factory=ProfileChoice)
    alternatives: int = Field(0, ge=0, le=5, description="number of alternative routes wanted")
    language: Literal["de", "en"] = "de"
    strict: bool = Field(False, description="fail with no_route instead of a least-bad route")
    allow_underground: bool = Field(
        False,
        description="snap ends onto ways below ground (tunnels, underground stations) like any "
        "other; by default a way at ground level is preferred unless 100 m farther",
    )


class ErrorBody(BaseModel):
    """The one error shape of the API."""

    code: str = Field(examples=["out_of_area"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class PlaceOut(BaseModel):
    """A place on a route: metres from its start and the position."""

    at_m: float = Field(ge=0, description="metres from the start of the route")
    lon: float
    lat: float


class BreakOut(BaseModel):
    """A limit of the profile the route is known (or estimated) to break, where and by how much."""

    limit: str = Field(
        description="the profile's limit (steps, step_count, incline, kerb_height, width, "
        "surface, smoothness, barrier, wheelchair_no, closed, unknown_forbidden, ...)",
        examples=["kerb_height"],
    )
    attribute: str = Field(
        description="the attribute the limit reads (for unknown_forbidden: the unknown one)",
        examples=["kerb_height"],
    )
    at_m: float = Field(description="metres from the start: where a stretch starts, or the point")
    lon: float
    lat: float
    value: float | int | str | None = Field(
        description="the value met on the route, in `unit` (null where nothing is measured)",
        examples=[12.0],
    )
    limit_value: float | int | str | list[str] | None = Field(
        description="the profile's limit in the same unit (a list: the forbidden values)",
        examples=[3.0],
    )
    unit: str | None = Field(description="unit of value and limit_value", examples=["cm"])
    estimated: bool = Field(
        description="the value is an estimate (an incline from the elevation model, ~90 m cells)"
    )
    message: str = Field(description="one English sentence with the values")


class RelianceOut(BaseModel):
    """An attribute a limit of the profile reads that is unknown (or only estimated) on the route."""

    attribute: str = Field(examples=["kerb_height"])
    count: int | None = Field(
        None, description="kerbs, crossings or flights of steps (point facts); absent otherwise"
    )
    length_m: float | None = Field(
        None, description="metres of the route (facts along the way); absent otherwise"
    )
    estimated: bool = Field(
        description="true: estimated (incline from the elevation model), not unknown"
    )
    places: list[PlaceOut] = Field(
        description="each kerb or crossing, or the start of each stretch"
    )


class AccessibilityOut(BaseModel):
    """The verdict on a route for the profile (see "The verdict" in the README)."""

    verdict: Literal["yes", "unknown", "no"] = Field(
        description='"yes": every limit the profile sets is known to hold along the whole route; '
        '"unknown": nothing known breaks a limit, but some limit rests on unknown or estimated '
        'data (relies_on); "no": a limit is broken (breaks)'
    )
    known_share: float = Field(
        ge=0,
        le=1,
        description="share of the route's length on which every attribute along the way that "
        "the profile limits is known (kerbs and crossings are counted in relies_on)",
    )
    breaks: list[BreakOut]
    relies_on: list[RelianceOut]


class RouteOut(BaseModel):
    """One route (see the route fields in the README)."""

    model_config = ConfigDict(extra="allow")

    accessibility: AccessibilityOut
    fully_accessible: bool = Field(
        deprecated=True,
        description="Deprecated, removed in the next release: true exactly when "
        'accessibility.verdict is "yes".',
    )
    distance_m: float
    duration_s: float
    geometry: dict[str, Any]
    barriers: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    unknowns: dict[str, Any]
    max_incline: dict[str, Any] | None
    detour: dict[str, Any] | None
    steps: list[dict[str, Any]]


class RouteResponse(BaseModel):
    """``POST /routes`` and ``GET /routes``."""

    routes: list[RouteOut]
    profile: dict[str, Any]
    attribution: str


# ------------------------------------------------------------------ GET /health, GET /profiles

ParameterValue = float | int | bool | str | list[str] | None


class GraphStatus(BaseModel):
    """The loaded graph: size, source data and the obstacle revision applied."""

    nodes: int = Field(ge=0)
    edges: int = Field(ge=0)
    source: str | None = Field(description="the OSM file the graph was built from")
    source_sha256: str | None
    data_timestamp: str | None = Field(description="timestamp of the OSM data")
    built_at: str | None
    bbox: list[float] | None = Field(description="[west, south, east, north] in degrees")
    revision: int = Field(description="obstacle revision applied to the graph")


class HealthOut(BaseModel):
    """``GET /health``."""

    status: Literal["ok"]
    graph: GraphStatus
    software_version: str | None
    attribution: str


class PresetOut(BaseModel):
    """A preset's name and labels."""

    name: str = Field(examples=["wheelchair"])
    label_de: str
    label_en: str


class ParameterOut(BaseModel):
    """One profile parameter: type, unit, range and choices."""

    name: str = Field(examples=["max_kerb_height_cm"])
    type: Literal["number", "integer", "boolean", "enum", "set"]
    nullable: bool = Field(description="null is allowed and means no limit")
    unit: str | None
    minimum: float | None
    maximum: float | None
    choices: list[str] | None
    description: str
    label_de: str | None = Field(None, description="German label for a settings screen")
    label_en: str | None = Field(None, description="English label for a settings screen")


class ParameterDefaultsOut(ParameterOut):
    """A parameter with its default in every preset."""

    defaults: dict[str, ParameterValue] = Field(description="preset name → default value")


class ParameterDefaultOut(ParameterOut):
    """A parameter with its default in one preset."""

    default: ParameterValue


class ProfileList(BaseModel):
    """``GET /profiles``."""

    profiles: list[PresetOut]
    parameters: list[ParameterDefaultsOut]


class ProfileDetail(BaseModel):
    """``GET /profiles/{name}``."""

    profile: dict[str, Any] = Field(description="every value of the preset")
    parameters: list[ParameterDefaultOut]
