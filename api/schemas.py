"""Request and response schemas of the HTTP API (documented in OpenAPI with examples).

A request's numbers, integers and booleans are of the JSON type the document states
(``strict=True`` on each such field): pydantic's default would read ``"49.44"`` as a latitude,
``true`` as one alternative and ``"yes"`` as ``strict``, accepting what the schema says is
invalid (found by schemathesis over HTTP). A JSON integer is a number too (``"lat": 49``). The
profile's ``parameters`` are the one exception, by design: each also takes its text form
(``"4 cm"``, ``"none"``, read by :func:`accessibility_rules.profile.make_profile`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from accessibility_rules.json_types import JSON_INTEGER

_KNOWN_KEYS_ONLY = ConfigDict(extra="forbid")


class Point(BaseModel):
    """A WGS84 position."""

    model_config = _KNOWN_KEYS_ONLY

    lat: float = Field(
        ge=-90, le=90, strict=True, description="latitude in degrees", examples=[49.4447]
    )
    lon: float = Field(
        ge=-180, le=180, strict=True, description="longitude in degrees", examples=[7.769]
    )

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        """Anything but an object is refused with the object it must be, and a pair
        (``[49.4447, 7.769]``) or text (``"49.4447,7.769"``, as ``GET /routes`` takes it) with
        why: its order does not say which number is the latitude (GeoJSON writes the longitude
        first). pydantic said only "Input should be a valid dictionary or object to extract
        fields from" (found serving another city's extract, 2026-12-07)."""
        if isinstance(value, dict | Point):
            return value
        pair = isinstance(value, list | tuple | str)
        why = ": a pair or text does not say which number is the latitude" if pair else ""
        raise ValueError(
            f'a point is an object with named keys, e.g. {{"lat": 49.4447, "lon": 7.769}}{why}'
        )

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class ProfileChoice(BaseModel):
    """A preset plus any parameter overrides (see ``GET /profiles/{name}``)."""

    model_config = _KNOWN_KEYS_ONLY

    name: str = Field("walk", description="preset name", examples=["wheelchair"])
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides, e.g. {'max_kerb_height_cm': 4, 'unknown.surface': 'forbid'}",
        examples=[{"max_kerb_height_cm": 4}],
    )

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        """A preset's name alone (``"profile": "blind"``, as ``GET /routes?profile=blind``
        takes it) is refused with the object it stands for: pydantic said only "Input should
        be a valid dictionary" (found serving another city's extract, 2026-12-06)."""
        if isinstance(value, str):
            raise ValueError(
                f'the profile is an object: {{"name": {json.dumps(value)}}}, with "parameters" '
                "to change its limits"
            )
        return value


#: The keys a pollen forecast may use: the taxa of ``avoid_pollen`` and the names of the DWD
#: forecast (``Roggen``, rye, counts for grasses); checked against the season table by the tests.
PollenForecastKey = Literal[
    "corylus", "alnus", "betula", "fraxinus", "quercus", "tilia", "grasses", "mugwort", "ambrosia",
    "Hasel", "Erle", "Birke", "Esche", "Graeser", "Roggen", "Beifuss", "Ambrosia",
]  # fmt: skip
#: A day's intensity on the DWD scale: a number 0–3 in half steps, or the DWD's own strings.
PollenIntensity = (
    Annotated[float, Field(ge=0, le=3, multiple_of=0.5, strict=True)]
    | Literal["0", "0-1", "1", "1-2", "2", "2-3", "3"]
)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Departure times are accepted within these years (the sun and the season table are computed
#: for them; a wider range only meets the calendar's overflow).
DEPARTURE_YEARS = (1900, 2199)


def condition_parameters() -> list[dict[str, Any]]:
    """The rows of ``GET /profiles``'s ``conditions``: :class:`ConditionsRequest`'s fields."""
    fields = ConditionsRequest.model_fields
    first, last = DEPARTURE_YEARS
    return [
        {
            "name": "date", "type": "date", "unit": None, "minimum": None, "maximum": None,
            "step": None, "choices": None, "default": "the departure's day (Europe/Berlin)",
            "description": fields["date"].description or "",
            "label_de": "Pollentag", "label_en": "Pollen day",
        },
        {
            "name": "departure_time", "type": "datetime", "unit": None,
            "minimum": f"{first}-01-01T00:00:00", "maximum": f"{last}-12-31T23:59:59",
            "step": None, "choices": None, "default": "now (Europe/Berlin)",
            "description": fields["departure_time"].description or "",
            "label_de": "Losgehzeit", "label_en": "Departure time",
        },
        {
            "name": "pollen_forecast", "type": "object", "unit": "DWD pollen scale 0-3",
            "minimum": 0.0, "maximum": 3.0, "step": 0.5,
            "choices": list(get_args(PollenForecastKey)),
            "default": "the season table (accessibility_rules/pollen_seasons.csv)",
            "description": fields["pollen_forecast"].description or "",
            "label_de": "Pollenflug-Vorhersage (DWD)", "label_en": "Pollen forecast (DWD)",
        },
    ]  # fmt: skip


def iso_text(value: object) -> object:
    """Only ISO 8601 text, or a date or time already parsed, or None (a field's ``before``
    validator: pydantic would also read a number, or a string of digits, as a Unix time)."""
    if value is None or isinstance(value, dt.date):  # a datetime is a date too
        return value
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        raise ValueError("must be ISO 8601 text starting with YYYY-MM-DD")
    return value


#: The city's zone, as ``accessibility_rules.conditions.BERLIN``: not imported from there, since
#: this module loads nothing of the engine (the serving protocol imports it before numba, whose
#: import hides SciPy: ``api.preload.import_numba_without_unused_probes``).
BERLIN = ZoneInfo("Europe/Berlin")


def in_berlin(when: dt.datetime, first_year: int, last_year: int) -> dt.datetime | None:
    """``when`` in Europe/Berlin time (a naive time is Berlin's: the city's), or None when its year there is
    outside ``first_year … last_year``: the range is the city's however a time is written
    ("2199-12-31T23:59-12:00" is 2200 in Berlin). A year far outside is None before converting
    (no overflow at year 1 or 9999). A naive time the clocks skip (02:30 on the spring
    morning they go forward) is the one an hour later that they show (03:30+02:00, the same
    instant as 02:30+01:00); one they show twice (autumn), the first."""
    if not first_year - 1 <= when.year <= last_year + 1:
        return None
    if when.utcoffset() is None:
        local = when.replace(tzinfo=BERLIN)
        local = local.astimezone(dt.UTC).astimezone(BERLIN)  # a skipped time: as shown
    else:
        local = when.astimezone(BERLIN)
    return local if first_year <= local.year <= last_year else None


class ConditionsRequest(BaseModel):
    """The day a route is walked on: pollen day, departure time and the day's pollen forecast.

    Every field is optional: ``departure_time`` defaults to now, ``date`` to the departure's day
    (Europe/Berlin), the forecast to the season table (``accessibility_rules/pollen_seasons.csv``).
    """

    model_config = _KNOWN_KEYS_ONLY

    date: dt.date | None = Field(
        None,
        description="the pollen day, YYYY-MM-DD (default: the departure's day in Europe/Berlin); "
        "the season table gives each avoided taxon's intensity on it",
        examples=["2024-06-20"],
    )
    departure_time: dt.datetime | None = Field(
        None,
        description="ISO 8601 departure time (default: now); without an offset it is Europe/Berlin "
        f"time. Darkness (sun below the horizon at the origin) switches the profile's light rules "
        f"on. Years {DEPARTURE_YEARS[0]}-{DEPARTURE_YEARS[1]}.",
        examples=["2024-12-01T22:00"],
    )
    pollen_forecast: dict[PollenForecastKey, PollenIntensity] | None = Field(
        None,
        description="the day's pollen intensity per taxon on the scale of the DWD forecast, 0-3 in "
        'half steps or the DWD\'s strings ("0-1" = 0.5); keys are taxa or DWD names ("Birke"); '
        "overrides the season table for the taxa it names",
        examples=[{"tilia": 3, "Birke": "1-2"}],
    )

    @field_validator("date", "departure_time", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        return iso_text(value)


class RouteRequest(ConditionsRequest):
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
                },
                {
                    "origin": {"lat": 52.47441, "lon": 13.43709},
                    "destination": {"lat": 52.47411, "lon": 13.44044},
                    "profile": {"name": "allergy", "parameters": {"avoid_pollen": ["tilia"]}},
                    "date": "2024-06-20",
                    "departure_time": "2024-06-20T10:00",
                    "pollen_forecast": {"tilia": 3, "Birke": "0-1"},
                    "language": "en",
                },
            ]
        },
    )

    origin: Point
    destination: Point
    via: list[Point] = Field(default_factory=list, description="intermediate stops in order")
    profile: ProfileChoice = Field(default_factory=ProfileChoice)
    alternatives: Annotated[int, Strict(), Field(ge=0, le=5), JSON_INTEGER] = Field(
        0,
        description="number of alternative routes wanted (only without via points: with them, "
        "422 alternatives_with_via); fewer come when no other route differs enough or the "
        "search for one exceeds its budget",
    )
    language: Literal["de", "en"] = "de"
    strict: bool = Field(
        False, strict=True, description="fail with no_route instead of a least-bad route"
    )
    allow_underground: bool = Field(
        False,
        strict=True,
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


class SeatOut(BaseModel):
    """A seat along the route (bench, picnic table, stop or shelter with a bench)."""

    at_m: float = Field(ge=0, description="metres from the start of the route")
    lon: float
    lat: float
    backrest: Literal["yes", "no", "unknown"]
    kind: Literal["bench", "picnic_table", "stop", "shelter", "unknown"]


class GapEndOut(BaseModel):
    """One end of the longest stretch without a seat (a seat, or the route's start or end)."""

    at_m: float = Field(ge=0)
    lon: float
    lat: float


class GapOut(BaseModel):
    """Where the longest stretch without a seat starts and ends."""

    model_config = ConfigDict(populate_by_name=True)

    start: GapEndOut = Field(alias="from")
    end: GapEndOut = Field(alias="to")


class RestsOut(BaseModel):
    """The seats of a route and its longest stretch without one (a stretch with no seat
    *mapped* is one without a seat: unknown is not "fine"); a via point is a stop."""

    seats: list[SeatOut]
    seat_count: int = Field(ge=0)
    longest_gap_m: float = Field(ge=0, description="the longest stretch walked without a seat")
    longest_gap: GapOut
    limit_m: float | None = Field(
        description="the profile's max_distance_between_rests_m (null: no limit)"
    )
    keeps_limit: bool | None = Field(
        description="the longest stretch is within the limit (null: no limit)"
    )
    least_bad: bool = Field(
        description=(
            "no route keeps the limit (without breaking another limit that the profile's plain "
            "route keeps): this one has the shortest longest stretch"
        )
    )


class PollenStretchOut(BaseModel):
    """A run of the route beside trees of the genus (metres from the start)."""

    start_m: float
    end_m: float
    trees: float = Field(description="trees of the genus passed along it (as the route's trees)")
    trees_per_100m: float | None


class PollenOut(BaseModel):
    """The route's exposure to one taxon the profile avoids."""

    taxon: str = Field(examples=["tilia"])
    label_de: str = Field(examples=["Linde"])
    label_en: str = Field(examples=["lime"])
    intensity: float = Field(
        ge=0, le=3, description="the day's intensity, DWD scale 0-3 (0: not flying)"
    )
    season: Literal["main", "side", "none"] | None = Field(
        description="the pollen day in the table's main or side season, or none"
    )
    trees: float | None = Field(
        description="tree genera: trees of the genus passed, per tree the route's metres within "
        "the graph's tree distance of it ÷ twice that distance (the build option "
        "tree_distance_m of `stufenlos build`, 20 m by default: 1 for a tree right beside "
        "a straight way, less farther off, 2 when passed twice), however the ways are split "
        "into edges; null for grasses and herbs"
    )
    trees_per_km: float | None
    grass_m: float | None = Field(description="grasses: metres beside grass; null otherwise")
    unknown_m: float = Field(
        ge=0,
        description="metres where the exposure is not known (trees of unknown genus, herbs "
        "never mapped)",
    )
    stretches: list[PollenStretchOut] = Field(description="densest stretches first (at most 3)")


class ParkOut(BaseModel):
    """A park the route passes and the metres walked in it."""

    name: str
    length_m: float = Field(ge=0)


class InclineStretchOut(BaseModel):
    """A stretch of the route with one incline (the route's incline profile)."""

    from_m: float = Field(ge=0)
    to_m: float = Field(ge=0)
    incline_percent: float | None = Field(
        description="signed in the walking direction (+ uphill); null: not known"
    )
    source: Literal["tag", "dem", "tag_direction_only"] | None = Field(
        description="tag, estimated from the elevation model (dem), direction only; null: unknown"
    )


class LitOut(BaseModel):
    """How much of the route is lit, and the light it was computed for."""

    share: float | None = Field(
        ge=0, le=1, description="lit share of the metres whose lighting is known (null: none is)"
    )
    lit_m: float = Field(ge=0)
    unlit_m: float = Field(ge=0)
    unknown_m: float = Field(ge=0, description="metres without a lit tag")
    light: Literal["dark", "day", "unknown"] = Field(
        description="dark or day at the origin at the departure time"
    )


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
    cost_s: float = Field(
        description="what the search minimised: time weighted by the profile's penalties (and "
        "the day's pollen, green and light rules), plus 10⁶ s per edge breaking a hard limit"
    )
    geometry: dict[str, Any]
    barriers: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    unknowns: dict[str, Any]
    max_incline: dict[str, Any] | None
    detour: dict[str, Any] | None
    rests: RestsOut | None = Field(description="seats along the route and the longest gap")
    pollen: list[PollenOut] | None = Field(
        description="exposure per taxon the profile avoids (null: it avoids none)"
    )
    green_share: float | None = Field(
        ge=0, le=1, description="share of the length beside or inside green (null: not known)"
    )
    green_unknown_m: float = Field(ge=0, description="metres whose green share is not known")
    parks: list[ParkOut] = Field(description="named parks passed, in the order met")
    incline_profile: list[InclineStretchOut] = Field(
        description="the incline along the route, stretch by stretch (for an incline chart)"
    )
    lit: LitOut
    steps: list[dict[str, Any]]


class PollenConditionOut(BaseModel):
    """The day's intensity of one taxon the profile avoids."""

    taxon: str = Field(examples=["tilia"])
    intensity: float = Field(ge=0, le=3, description="DWD scale 0-3")
    source: Literal["forecast", "season_table"]
    season: Literal["main", "side", "none"]


class ConditionsOut(BaseModel):
    """The conditions the routes were computed in (resolved at the origin)."""

    date: dt.date = Field(description="the pollen day")
    departure_time: dt.datetime = Field(description="the departure, Europe/Berlin time")
    dark: bool = Field(description="the sun is below the horizon at the origin at departure")
    sunrise: dt.datetime | None = Field(
        description="on the departure's day (null: polar day/night)"
    )
    sunset: dt.datetime | None
    light_rules_apply: bool = Field(
        description="the profile's light rules (require_lit, unlit_penalty_factor) were applied: "
        "the profile has one and it is dark"
    )
    pollen: list[PollenConditionOut] = Field(
        description="each taxon the profile avoids, with the intensity weighed"
    )


class RouteResponse(BaseModel):
    """``POST /routes`` and ``GET /routes``."""

    routes: list[RouteOut]
    profile: dict[str, Any]
    conditions: ConditionsOut
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


class DatabaseStatus(BaseModel):
    """Whether this worker reads the obstacles' database (routes never need it to answer)."""

    reachable: bool = Field(description="the worker's last read of the database succeeded")
    unreachable_since: dt.datetime | None = Field(
        description="when its reads began to fail (null: reachable); it tries again every second"
    )
    obstacles_stale_since: dt.datetime | None = Field(
        description="while unreachable: when the obstacles routes honour were last read (routes "
        "say it too, as obstacles.stale_since); null otherwise"
    )


class HealthOut(BaseModel):
    """``GET /health``."""

    status: Literal["ok", "degraded"] = Field(
        description="degraded: routes are answered, but the obstacles' database cannot be read "
        "(writes answer 503 database_unavailable)"
    )
    graph: GraphStatus
    database: DatabaseStatus | None = Field(
        description="the obstacles' database as this worker sees it (null: no obstacle store)"
    )
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


class ConditionParameterOut(BaseModel):
    """A parameter of the request's day (``POST /routes``, ``GET /routes``, ``POST /matrix``),
    not of the profile: what it is, its unit, range, default and labels."""

    name: Literal["date", "departure_time", "pollen_forecast"]
    type: Literal["date", "datetime", "object"]
    unit: str | None
    minimum: float | str | None
    maximum: float | str | None
    step: float | None = Field(description="values come in steps of this size")
    choices: list[str] | None = Field(description="the keys or values allowed")
    default: str = Field(description="what applies when the request leaves it out")
    description: str
    label_de: str
    label_en: str


class ProfileList(BaseModel):
    """``GET /profiles``."""

    profiles: list[PresetOut]
    parameters: list[ParameterDefaultsOut]
    conditions: list[ConditionParameterOut] = Field(
        description="the day's parameters of a route request (the same for every profile)"
    )


class ProfileDetail(BaseModel):
    """``GET /profiles/{name}``."""

    profile: dict[str, Any] = Field(description="every value of the preset")
    parameters: list[ParameterDefaultOut]
