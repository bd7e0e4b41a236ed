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


class RouteOut(BaseModel):
    """One route (see the route fields in the README)."""

    model_config = ConfigDict(extra="allow")

    fully_accessible: bool
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
