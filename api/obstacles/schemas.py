"""Request and response schemas of obstacles and citizen reports (one family per resource).

Times: timezone-aware ISO 8601; a time without an offset is read as Europe/Berlin local time
(the city's clock), and every time is answered in UTC. Geometry: a GeoJSON ``Point``,
``LineString`` or ``Polygon`` in WGS84 (RFC 7946: longitude first), by the one rule of
:mod:`api.obstacles.geometry`. Responses are read from the stored rows with
``model_validate(row, from_attributes=True)``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SkipValidation,
    Strict,
    ValidationInfo,
    model_validator,
)
from pydantic.config import JsonDict

from accessibility_rules.json_types import JSON_INTEGER
from api.obstacles.geometry import (
    EXAMPLE_GEOMETRY,
    AnyGeoJson,
    ObstacleGeometry,
    StoredGeometry,
)
from api.schemas import in_berlin, iso_text
from routing.obstacles.effect import ObstacleEffect

Source = Literal["staff", "citizen_report", "import"]
ReportStatus = Literal["open", "accepted", "rejected"]

EXAMPLE_EFFECT: JsonDict = {"closed": True}


#: Times outside these years are refused (422): nothing plans obstacles in year 1 or 9999, and
#: converting such a time between zones overflows.
YEAR_MIN, YEAR_MAX = 2000, 2100
#: The largest version a database column holds (PostgreSQL ``integer``).
VERSION_MAX = 2**31 - 1
#: What an id in a URL path looks like (a UUID, or an imported id): URL-safe, at most 36 chars.
ID_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,35}$"
ID_MAX_LENGTH = 36
_ID_RE = re.compile(ID_PATTERN)
#: Text without control characters (C0, DEL and C1; NUL breaks PostgreSQL) except tab, newline and
#: carriage return, and without lone UTF-16 surrogates (JSON may escape one, ``"\ud800"``; it is
#: no character, UTF-8 cannot encode it, and neither database stores it as text).
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]*$"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def no_control_characters(value: str) -> str:
    """``value`` unless it holds a control character other than tab, newline or return."""
    found = _CONTROL_RE.search(value)
    if found is not None:
        raise ValueError(
            f"must not contain control characters (found U+{ord(found.group()):04X} "
            f"at position {found.start()})"
        )
    return value


def no_lone_surrogates(value: str) -> str:
    """``value`` unless it holds a lone UTF-16 surrogate (U+D800-U+DFFF): a text to store must
    be one UTF-8 can encode. pydantic lets one through a plain or optional ``str`` field (a
    report's ``contact`` reached the database and failed there, a 500)."""
    found = _SURROGATE_RE.search(value)
    if found is not None:
        raise ValueError(
            f"must be Unicode text (found the lone surrogate U+{ord(found.group()):04X} at "
            f"position {found.start()})"
        )
    return value


#: The fixed path words under ``/obstacles`` (``GET /obstacles/active``, ``GET
#: /obstacles/export``, ``POST /obstacles/import``, ``POST /obstacles/preview``): an obstacle
#: with one of them as its id could be changed and deleted but never read, since ``GET
#: /obstacles/active`` answers the map's list (found by schemathesis with random examples).
RESERVED_IDS = frozenset({"active", "export", "import", "preview"})


def is_valid_id(value: str) -> bool:
    """Whether ``value`` can be an obstacle's or a report's id (addressable in a URL path, and
    not one of the :data:`RESERVED_IDS`)."""
    return _ID_RE.fullmatch(value) is not None and value not in RESERVED_IDS


#: Free text of a request: no control characters except tab and line breaks, no lone surrogates
#: (OpenAPI: pattern).
Text = Annotated[
    str,
    AfterValidator(no_control_characters),
    AfterValidator(no_lone_surrogates),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),
]
#: An obstacle's or report's id, as in a URL path.
ObjectId = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=ID_MAX_LENGTH)]
#: A version as read (``1 …`` 2^31 - 1): a JSON integer (``"3"`` and ``true`` are refused).
Version = Annotated[int, Strict(), Field(ge=1, le=VERSION_MAX), JSON_INTEGER]


def as_aware(value: datetime) -> datetime:
    """A naive time is Europe/Berlin local time; the result is in UTC.

    Raises ValueError for a year outside ``YEAR_MIN … YEAR_MAX`` in Europe/Berlin time, however
    the time is written: the range is the city's, and a time stored in UTC and exported so is
    in it again when the export is imported ("2100-12-31T23:00-12:00", in its own year 2100,
    is 2101 in Berlin: refused, where it was stored and then refused by its own import). A year
    far outside is refused before converting (no overflow).
    """
    local = in_berlin(value, YEAR_MIN, YEAR_MAX)
    if local is None:
        raise ValueError(
            f"the year must be between {YEAR_MIN} and {YEAR_MAX} in Europe/Berlin time, got "
            f"{value.isoformat()}"
        )
    return local.astimezone(UTC)


LocalTime = Annotated[
    datetime,
    BeforeValidator(iso_text),
    AfterValidator(as_aware),
    Field(
        description="ISO 8601; without an offset the time is Europe/Berlin local time; "
        f"years {YEAR_MIN}-{YEAR_MAX} in Europe/Berlin time"
    ),
]


_BARE_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def time_of_day_given(value: object) -> object:
    """Refuse a date without a time of day where a validity ends (a field's ``before``
    validator). Read as a time, "2027-06-01" is the midnight that starts 1 June, so a closure
    staff mean to last "until 1 June" would end a day early and route people into it; it could
    as well mean the end of that day, and unknown is not guessed. The message names both."""
    day: date | None = None
    if isinstance(value, str) and _BARE_DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value  # not a date at all: the datetime's own error says why
    elif isinstance(value, date) and not isinstance(value, datetime):
        day = value
    if day is None:
        return value
    end = f"{day + timedelta(days=1)}T00:00" if day < date.max else "the midnight after it"
    raise ValueError(
        f"a date alone ({day}) could mean the start or the end of that day: send a time of "
        f"day, {day}T00:00 for its start or {end} for its end"
    )


#: Where a validity ends: a :data:`LocalTime` with a time of day (:func:`time_of_day_given`).
LocalEndTime = Annotated[LocalTime, BeforeValidator(time_of_day_given)]


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

    geometry: ObstacleGeometry
    effect: ObstacleEffect
    valid_from: LocalTime | None = Field(None, description="default: now")
    valid_until: LocalEndTime | None = Field(None, description="null: a permanent correction")
    reason: Text = Field(min_length=1, max_length=2000, examples=["Baustelle"])

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

    version: Version | None = Field(
        None, description="the version read; or send it as the If-Match header"
    )
    geometry: ObstacleGeometry | None = None
    effect: ObstacleEffect | None = None
    valid_from: LocalTime | None = None
    valid_until: LocalEndTime | None = Field(None, description="null makes the obstacle permanent")
    reason: Text | None = Field(None, min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _window(self) -> ObstacleUpdate:
        for name in ("geometry", "effect", "valid_from", "reason"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        _check_window(self.valid_from, self.valid_until)
        return self


def in_force(
    now: datetime, valid_from: datetime, valid_until: datetime | None, deleted_at: datetime | None
) -> bool:
    """Not deleted, and ``valid_from <= now < valid_until`` (no end: permanent)."""
    return deleted_at is None and valid_from <= now and (valid_until is None or now < valid_until)


class ObstacleStored(BaseModel):
    """An obstacle's stored fields, read from its row (``from_attributes``)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(examples=["6f1c2a9e-0d7b-4d8e-9a51-3e2f4c1b7a10"])
    geometry: StoredGeometry
    effect: dict[str, Any]
    valid_from: datetime
    valid_until: datetime | None
    reason: str
    source: Source
    author: str
    created_at: datetime
    updated_at: datetime
    version: int
    deleted_at: datetime | None = None

    def snapshot(self) -> dict[str, Any]:
        """The stored fields as JSON (audit history, export): times as ISO 8601 with offset."""
        out: dict[str, Any] = {}
        for name in ObstacleStored.model_fields:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        out["geometry"] = self.geometry.model_dump(mode="json")
        return out


class ObstaclePublic(ObstacleStored):
    """An obstacle as stored, and whether it applies now.

    Read a row with ``ObstaclePublic.model_validate(row, from_attributes=True,
    context={"now": now})``: ``active`` is computed for ``now``.
    """

    active: bool = Field(False, description="applies to routes right now")

    @model_validator(mode="after")
    def _active_now(self, info: ValidationInfo) -> ObstaclePublic:
        now = (info.context or {}).get("now")
        if now is not None:
            self.active = in_force(now, self.valid_from, self.valid_until, self.deleted_at)
        return self

    @classmethod
    def read(cls, row: Any, now: datetime) -> ObstaclePublic:
        """The public view of a stored row at time ``now``."""
        return cls.model_validate(row, from_attributes=True, context={"now": now})


class ObstacleWritten(ObstaclePublic):
    """The answer to a write: the obstacle and what its geometry matched on the graph."""

    match: dict[str, Any] = Field(
        description="edges and nodes of the graph the obstacle changes (what staff changed)"
    )

    @classmethod
    def read_written(cls, row: Any, now: datetime, match: dict[str, Any]) -> ObstacleWritten:
        """The public view of a row just written, with what its geometry matched."""
        return cls.model_validate(dict(ObstaclePublic.read(row, now)) | {"match": match})


class ObstaclePreview(BaseModel):
    """``POST /obstacles/preview``: what an obstacle would match, nothing saved."""

    match: dict[str, Any] = Field(
        description="edges and nodes of the graph the obstacle would change (as a write answers)"
    )


class ObstacleList(BaseModel):
    """``GET /obstacles``."""

    count: int
    obstacles: list[ObstaclePublic]


class HistoryEntry(BaseModel):
    """One audited change."""

    model_config = ConfigDict(from_attributes=True)

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
    """A GeoJSON Feature (an obstacle in the export and on the public map)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"] = "Feature"
    id: str | None = None
    geometry: StoredGeometry
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


class ImportFeature(Feature):
    """A GeoJSON Feature to import.

    Its geometry follows the rule of :mod:`api.obstacles.geometry` but is checked per feature by
    the import (``SkipValidation`` here), so that one answer can name every failing feature.
    """

    geometry: SkipValidation[AnyGeoJson] = Field(
        description="GeoJSON Point, LineString or Polygon, WGS84 [longitude, latitude]"
    )


class ImportCollection(BaseModel):
    """``POST /obstacles/import``: a GeoJSON FeatureCollection as written by the export."""

    model_config = FeatureCollection.model_config

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ImportFeature]


class ImportProperties(BaseModel):
    """Properties of one imported feature (the export's properties are accepted as they are)."""

    model_config = ConfigDict(extra="ignore")

    id: ObjectId | None = None
    version: Version | None = Field(
        None, description="the version read (the export's); needed to overwrite an obstacle"
    )
    effect: ObstacleEffect
    valid_from: LocalTime | None = None
    valid_until: LocalEndTime | None = None
    reason: Text = Field(min_length=1, max_length=2000)
    source: Source = "import"
    author: Text | None = Field(None, min_length=1, max_length=200)
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

    geometry: ObstacleGeometry
    description: Text = Field(min_length=3, max_length=2000)
    contact: Text | None = Field(None, max_length=200, description="optional; seen by staff only")


class ReportReceipt(BaseModel):
    """What a citizen gets back."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: ReportStatus
    created_at: datetime
    message: str = "Thank you: city staff will look at your report."


class ReportPublic(BaseModel):
    """A report as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    geometry: StoredGeometry
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
    geometry: ObstacleGeometry | None = Field(None, description="default: the report's geometry")
    valid_from: LocalTime | None = None
    valid_until: LocalEndTime | None = None
    reason: Text | None = Field(
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
