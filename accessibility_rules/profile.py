"""What one user needs from a route: a typed, ranged, immutable :class:`Profile`.

A profile is data. Presets live in ``accessibility_rules/profiles/<name>.toml`` and list every
parameter explicitly (``"none"`` spells "no limit", because TOML has no null); a request customises
one with :func:`make_profile`. Every numeric parameter carries its unit in its name and a
``{minimum, default, maximum}``; a value outside its range is *rejected* with
:class:`ParameterOutOfRangeError`, never clamped. :func:`parameter_table` describes all parameters
for a settings screen.

Cost semantics (applied by ``weights.py``): cost is travel time in seconds. Limits (``max_*``,
``min_*``, ``worst_*``, ``require_*``, ``avoid_*`` when hard) forbid an edge or a node; factors
multiply an edge's time; ``*_delay_s`` / ``*_penalty_s`` add seconds at kerbs and crossings.
Unknown data has its own state, and :class:`UnknownPolicy` says per attribute whether it is
accepted, penalised (``unknown_penalty_factor`` on edges, ``unknown_transition_penalty_s`` at kerbs
and crossings) or forbidden. The two numbers live on :class:`Profile`, not on the policy, so that
every numeric parameter is a flat key and the policy stays a pure choice per attribute.
:class:`Severity` (``severity.*``) prices each broken limit by how badly it is broken (seconds
per cm, per metre, per percent and metre, per barrier), so that the least-bad route is the one a
person would choose; ``estimated_incline_breaks_limit`` says whether an incline estimated from
the elevation model can break ``max_incline_percent`` or only counts as unknown.

Some parameters act only in the day's :class:`~accessibility_rules.conditions.Conditions`:
``avoid_pollen`` / ``pollen_penalty_factor`` while an avoided taxon flies (season table or
forecast), ``require_lit`` / ``unlit_penalty_factor`` in the dark; ``green_preference`` always.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from accessibility_rules.attributes import Mobility
from accessibility_rules.json_types import integral_float_as_int
from accessibility_rules.pollen import PollenTaxon
from accessibility_rules.profile_errors import (
    ParameterOutOfRangeError,
    UnknownParameterError,
    UnknownProfileError,
)

__all__ = [
    "BarrierName", "ParameterOutOfRangeError", "Profile", "Severity", "SmoothnessName", "SurfaceName",
    "UnknownParameterError", "UnknownPolicy", "UnknownProfileError", "UnknownTreatment",
    "load_preset", "make_profile", "parameter_names", "parameter_table", "parse_override_value",
    "preset_names",
]  # fmt: skip

#: Lower-case names of :class:`~accessibility_rules.attributes.SurfaceClass` except UNKNOWN.
SurfaceName = Literal[
    "asphalt", "concrete", "paving_stones", "paved", "sett", "cobblestone", "compacted",
    "fine_gravel", "gravel", "ground", "grass", "grass_paver", "wood", "metal", "unpaved", "other",
]  # fmt: skip
#: Lower-case names of :class:`~accessibility_rules.attributes.Smoothness` except UNKNOWN.
SmoothnessName = Literal[
    "excellent", "good", "intermediate", "bad", "very_bad", "horrible", "very_horrible",
    "impassable",
]  # fmt: skip
#: Lower-case names of :class:`~accessibility_rules.attributes.BarrierKind` except NONE.
BarrierName = Literal[
    "unknown", "bollard", "gate", "lift_gate", "swing_gate", "stile", "turnstile", "kissing_gate",
    "cycle_barrier", "block", "chain", "entrance", "sliding_gate", "full_height_turnstile",
    "border_control", "bump_gate", "bus_trap", "cattle_grid", "debris", "hampshire_gate",
    "height_restrictor", "horse_stile", "jersey_barrier", "log", "motorcycle_barrier", "rope",
    "sally_port", "spikes", "sump_buster", "toll_booth", "wicket_gate", "sliding_beam", "planter",
    "tank_trap", "coupure", "cable_barrier", "city_wall", "ditch", "fence", "guard_rail",
    "handrail", "hedge", "retaining_wall", "wall", "chicane", "fallen_tree", "hole", "rock",
    "stone", "collision_protection", "overgrowth", "shrub", "door",
]  # fmt: skip


class UnknownTreatment(StrEnum):
    """What to do when an attribute a profile cares about is not mapped."""

    ACCEPT = "accept"  # treat as fine (plain walking)
    PENALIZE = "penalize"  # allowed, but costs extra time
    FORBID = "forbid"  # "known data only"


_FROZEN_STRICT_KEYS = ConfigDict(extra="forbid", frozen=True)
_TREAT = UnknownTreatment.ACCEPT


class UnknownPolicy(BaseModel):
    """Treatment of unknown data, one choice per attribute (all ``accept`` by default)."""

    model_config = _FROZEN_STRICT_KEYS
    incline: UnknownTreatment = Field(_TREAT, description="Edges whose incline is unknown.")
    kerb_height: UnknownTreatment = Field(_TREAT, description="Kerbs of unknown height.")
    width: UnknownTreatment = Field(_TREAT, description="Edges whose width is unknown.")
    surface: UnknownTreatment = Field(_TREAT, description="Edges whose surface is unknown.")
    smoothness: UnknownTreatment = Field(_TREAT, description="Edges whose smoothness is unknown.")
    step_count: UnknownTreatment = Field(_TREAT, description="Flights of steps of unknown count.")
    lit: UnknownTreatment = Field(_TREAT, description="Edges not known to be lit or unlit.")
    acoustic_signal: UnknownTreatment = Field(
        _TREAT, description="Signalised crossings not known to have an acoustic signal."
    )
    tactile_paving: UnknownTreatment = Field(
        _TREAT, description="Crossings not known to have tactile paving."
    )
    barrier: UnknownTreatment = Field(
        _TREAT, description="Barriers whose passability for the profile's mobility is unknown."
    )
    pollen: UnknownTreatment = Field(
        _TREAT,
        description="Edges whose exposure to an avoided taxon in flight is unknown (trees of "
        "unknown genus, grass or trees not mapped, herbs never mapped).",
    )


#: Largest severity in seconds: far above "impassable" (1e8 s) yet small enough that sums over a
#: city stay exact in float64 (below 2**53 ≈ 9e15).
SEVERITY_MAX_S = 1.0e10


def _num(lo: float, hi: float, text: str) -> Any:
    return Field(ge=lo, le=hi, strict=True, allow_inf_nan=False, description=text)


def _flag(text: str) -> Any:
    return Field(strict=True, description=text)


def _sev(text: str) -> Any:
    return _num(0, SEVERITY_MAX_S, text)


class Severity(BaseModel):
    """How much breaking each hard limit costs, by how badly it is broken (units in the names).

    ``weights.py`` adds these seconds to the flat ``VIOLATION_PENALTY_S`` of every edge that breaks
    a limit. The presets use three scales: 1e10 s (the highest) per piece of way closed by city
    staff means *closed to everyone* (a fenced construction pit: no one passes), about 1e8 s
    per flight or barrier means *impassable* (a person has to be carried or lifted), about 1e6 s
    per cm, per percent over 100 m or per 100 m means *hard work* (possible with effort or help).
    A value of 0 leaves only the flat part: every break then weighs the same.
    """

    model_config = _FROZEN_STRICT_KEYS
    closed_s: float = _sev(
        "Per piece of way (edge) closed by an obstacle, whatever its length (Limit closed)."
    )
    closed_s_per_m: float = _sev("Per metre of way closed by an obstacle (Limit closed).")
    steps_s: float = _sev("Per forbidden flight of steps (avoid_steps), whatever its length.")
    steps_s_per_m: float = _sev("Per metre of a forbidden flight of steps (avoid_steps).")
    step_count_s_per_step: float = _sev("Per step above max_step_count in a flight.")
    handrail_s_per_m: float = _sev("Per metre of steps known to lack a required handrail.")
    incline_s_per_m_per_percent: float = _sev(
        "Per metre and per percent of |incline| above max_incline_percent."
    )
    kerb_s_per_cm: float = _sev("Per cm of kerb height above max_kerb_height_cm, per kerb.")
    width_s_per_cm: float = _sev("Per cm of width below min_width_m, per narrow way or gap.")
    surface_s_per_m: float = _sev("Per metre of an avoided surface (avoid_surfaces_hard).")
    smoothness_s_per_m_per_grade: float = _sev(
        "Per metre and per grade of smoothness worse than worst_smoothness."
    )
    unlit_s_per_m: float = _sev("Per metre known to be unlit (require_lit).")
    barrier_s: float = _sev(
        "Per barrier the mobility class cannot pass (barriers.csv) or of an avoid_barriers kind."
    )
    wheelchair_no_s: float = _sev("Per way or node tagged wheelchair=no (respect_wheelchair_no).")
    acoustic_signal_s: float = _sev(
        "Per signalised crossing without acoustic signal (require_acoustic_signals)."
    )
    tactile_paving_s: float = _sev("Per crossing without tactile paving (require_tactile_paving).")
    unknown_s_per_m: float = _sev("Per metre of way whose forbidden attribute is unknown.")
    unknown_s: float = _sev("Per kerb or crossing whose forbidden attribute is unknown.")


class Profile(BaseModel):
    """One user's needs. Immutable and hashable, so it can key a cache of weight arrays."""

    model_config = _FROZEN_STRICT_KEYS
    #: The hash, once computed (a slot: outside the fields, so it is neither compared, dumped,
    #: copied by ``model_copy`` nor pickled).
    __slots__ = ("_hash_memo",)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Preset this profile starts from.")
    label_de: str = Field(min_length=1, description="Display name in German.")
    label_en: str = Field(min_length=1, description="Display name in English.")
    customised: bool = Field(False, description="True when overrides changed the preset.")
    walking_speed_mps: float = _num(0.2, 3.0, "Speed on level, good ground.")
    max_incline_percent: float | None = _num(
        0, 100, "Hard limit on |incline| along the walked direction, uphill and downhill alike."
    )
    estimated_incline_breaks_limit: bool = _flag(
        "An incline estimated from the elevation model (90 m cells) above max_incline_percent "
        "breaks the limit; when false it only makes the incline unknown (see unknown.incline)."
    )
    comfortable_incline_percent: float = _num(
        0, 100, "Above this |incline| travel time grows. At most max_incline_percent; a request "
        "that lowers the limit below it without stating this one takes it down to the limit.",
    )  # fmt: skip
    incline_penalty_per_percent: float = _num(
        0, 5, "Extra fraction of time per percent above the comfortable incline."
    )
    max_kerb_height_cm: float | None = _num(0, 50, "Highest kerb that can be crossed.")
    kerb_delay_s: float = _num(0, 600, "Time added per kerb crossed.")
    avoid_steps: bool = _flag("Forbid all steps.")
    max_step_count: int | None = _num(
        0, 1000, "Flights with more steps are forbidden (ignored when avoid_steps)."
    )
    steps_penalty_factor: float = _num(1, 100, "Time multiplier on allowed steps.")
    require_handrail_on_steps: bool = _flag("Forbid steps without a handrail.")
    min_width_m: float | None = _num(0, 10, "Narrowest passable way.")
    avoid_surfaces: frozenset[SurfaceName] = Field(description="Surfaces to avoid.")
    surface_penalty_factor: float = _num(1, 100, "Time multiplier on avoided surfaces.")
    avoid_surfaces_hard: bool = _flag("Forbid the avoided surfaces instead of penalising them.")
    worst_smoothness: SmoothnessName | None = Field(
        description="Edges with worse smoothness are forbidden."
    )
    require_lit: bool = _flag("Forbid edges known to be unlit, in the dark.")
    unlit_penalty_factor: float = _num(1, 100, "Time multiplier on unlit edges, in the dark.")
    avoid_pollen: frozenset[PollenTaxon] = Field(
        description="Pollen taxa to avoid while they fly (season table or the day's forecast)."
    )
    pollen_penalty_factor: float = _num(
        0,
        10,
        "Extra fraction of time per unit of exposure at full intensity: an edge's time grows by "
        "factor × Σ over avoided taxa of intensity/3 × exposure (trees of the genus per 10 m, "
        "or the grass share of the edge).",
    )
    green_preference: float = _num(
        0,
        5,
        "0 = indifferent; an edge's time grows by green_preference × (1 − green share): "
        "1 walks twice as far through green as beside none.",
    )
    max_distance_between_rests_m: float | None = Field(
        ge=50, le=2000, strict=True, allow_inf_nan=False,
        description="Longest stretch walked without a seat (a constraint on the whole route, "
        "not an edge weight; a stretch with no seat mapped counts as one without a seat). "
        "Default of the elderly preset: DIN 18040-3 practice, a seat at least every 300 m.",
        json_schema_extra={"source": "DIN 18040-3"},
    )  # fmt: skip
    mobility: Mobility = Field(
        description="How the person moves: the column of the barrier passability table "
        "(accessibility_rules/barriers.csv) that applies."
    )
    avoid_barriers: frozenset[BarrierName] = Field(
        description="Barrier kinds forbidden in addition to those the mobility cannot pass."
    )
    respect_wheelchair_no: bool = _flag("Forbid ways and nodes tagged wheelchair=no.")
    crossing_delay_s: float = _num(0, 600, "Time added per road crossing.")
    require_acoustic_signals: bool = _flag("Forbid signalised crossings without acoustic signal.")
    missing_acoustic_signal_penalty_s: float = _num(
        0, 3600, "Time added at a signalised crossing without acoustic signal."
    )
    require_tactile_paving: bool = _flag("Forbid crossings without tactile paving.")
    missing_tactile_paving_penalty_s: float = _num(
        0, 3600, "Time added at a crossing without tactile paving."
    )
    unmarked_crossing_penalty_s: float = _num(
        0, 3600, "Time added at an unmarked or informal crossing (no markings, no signals)."
    )
    carriageway_penalty_factor: float = _num(
        1, 100, "Time multiplier for walking along a road without or with a separate sidewalk."
    )
    unknown: UnknownPolicy = Field(description="Treatment of unknown data per attribute.")
    severity: Severity = Field(description="Cost of breaking each hard limit, by how badly.")
    unknown_penalty_factor: float = _num(
        1, 100, "Time multiplier on an edge whose penalised attribute is unknown."
    )
    unknown_transition_penalty_s: float = _num(
        0, 3600, "Time added per kerb or crossing whose penalised attribute is unknown."
    )

    @field_validator("max_step_count", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        """``2.0`` is the whole number 2, as JSON Schema's ``integer`` and the API's other
        integer fields take it (the field is strict: ``2.5``, ``"2"`` and ``true`` stay
        refused, with the parameter's own message)."""
        return integral_float_as_int(value)

    @model_validator(mode="after")
    def _comfort_within_limit(self) -> Profile:
        limit, comfort = self.max_incline_percent, self.comfortable_incline_percent
        if limit is not None and comfort > limit:
            raise ParameterOutOfRangeError(
                f"comfortable_incline_percent must be between 0 and {_short(limit)} % because it "
                f"cannot exceed max_incline_percent ({_short(limit)} %), got {_short(comfort)}",
                parameter="comfortable_incline_percent",
                value=comfort,
                minimum=0.0,
                maximum=limit,
                unit="%",
            )
        return self

    @field_serializer("avoid_surfaces", "avoid_barriers", "avoid_pollen", when_used="json")
    def _sorted(self, value: frozenset[str]) -> list[str]:
        return sorted(value)

    def __hash__(self) -> int:
        """The hash of the fields' values, computed once per object.

        A route looks its profile up about ten times (the metric cache, its use counts, the
        verdict plan, the profile's JSON), and pydantic's frozen-model hash rebuilds a tuple of
        all 40 fields and hashes the nested tables each time (1.5 µs). A profile never changes
        after validation (``model_copy(update=...)`` makes a new object, without the memo), so
        the first hash stays true. Equal profiles have equal field values, hence equal hashes.
        """
        try:
            memo: int = object.__getattribute__(self, "_hash_memo")
        except AttributeError:
            memo = hash(tuple(self.__dict__.values()))
            object.__setattr__(self, "_hash_memo", memo)
        return memo


# --------------------------------------------------------------------------- parameter registry

#: Tables of parameters, set as ``"<table>.<key>"`` or ``{"<table>": {"<key>": value}}``.
_GROUPS: dict[str, type[BaseModel]] = {"unknown": UnknownPolicy, "severity": Severity}
_META = frozenset({"name", "label_de", "label_en", "customised", *_GROUPS})
#: Unit by name suffix, first match wins (so "_per_percent" is tested before "_percent").
_UNITS = (
    ("_s_per_m_per_percent", "s/(m·%)"), ("_s_per_m_per_grade", "s/(m·grade)"),
    ("_s_per_step", "s/step"), ("_s_per_cm", "s/cm"), ("_s_per_m", "s/m"),
    ("_per_percent", "1/%"), ("_mps", "m/s"), ("_percent", "%"), ("_cm", "cm"), ("_m", "m"),
    ("_s", "s"), ("_factor", "×"), ("_preference", "×"), ("_step_count", "steps"),
)  # fmt: skip


@dataclass(frozen=True)
class _Param:
    name: str  # "max_kerb_height_cm", "unknown.incline" or "severity.kerb_s_per_cm"
    kind: str  # number | integer | boolean | enum | set
    nullable: bool
    minimum: float | None
    maximum: float | None
    unit: str | None
    choices: tuple[str, ...] | None
    description: str

    def expectation(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind in ("number", "integer"):
            what = "a whole number between" if self.kind == "integer" else "between"
            unit = f" {self.unit}" if self.unit else ""
            text = f"{what} {self.minimum:g} and {self.maximum:g}{unit}"
        elif self.kind == "boolean":
            text = "true or false"
        elif self.kind == "enum":
            text = f"one of {', '.join(self.choices or ())}"
        else:
            text = f"a set drawn from {', '.join(self.choices or ())}"
        return text + (" (or none for no limit)" if self.nullable else "")


def _describe(path: str, info: Any) -> _Param:
    tp, nullable = info.annotation, False
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp, nullable = args[0], True
    choices: tuple[str, ...] | None = None
    if typing.get_origin(tp) is frozenset:
        kind, choices = "set", typing.get_args(typing.get_args(tp)[0])
    elif typing.get_origin(tp) is Literal:
        kind, choices = "enum", typing.get_args(tp)
    elif isinstance(tp, type) and issubclass(tp, StrEnum):
        kind, choices = "enum", tuple(m.value for m in tp)
    else:
        kind = {bool: "boolean", int: "integer", float: "number"}[tp]
    bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le") if hasattr(m, k)}
    lo, hi = bounds.get("ge"), bounds.get("le")
    if kind == "number" and lo is not None and hi is not None:
        lo, hi = float(lo), float(hi)
    unit = next((u for suffix, u in _UNITS if path.endswith(suffix)), None)
    return _Param(path, kind, nullable, lo, hi, unit, choices, info.description or "")


_PARAMS: dict[str, _Param] = {
    name: _describe(name, info) for name, info in Profile.model_fields.items() if name not in _META
}
for _group, _model in _GROUPS.items():
    _PARAMS.update(
        (f"{_group}.{n}", _describe(f"{_group}.{n}", i)) for n, i in _model.model_fields.items()
    )


def parameter_names() -> list[str]:
    """All adjustable parameter names, nested ones dotted (``unknown.incline``), in model order."""
    return list(_PARAMS)


def _param(key: object) -> _Param:
    if isinstance(key, str) and key in _PARAMS:
        return _PARAMS[key]
    close = difflib.get_close_matches(str(key), list(_PARAMS), n=3, cutoff=0.6)
    reason = f"{key!r} cannot be overridden" if key in _META else ""
    raise UnknownParameterError(key, close, reason=reason)


def _short(value: Any) -> str:
    """``value`` as an error message quotes it: as given, shortened to 60 characters (a number
    in full: "{:g}" said "got 50" for 50.0000001 where the limit is 50)."""
    if isinstance(value, set | frozenset):
        value = sorted(map(str, value))
    text = repr(value)
    if isinstance(value, float):  # whole numbers without ".0", the rest to the last digit
        text = str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(float(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _rejected(param: _Param, value: Any, message: str = "") -> ParameterOutOfRangeError:
    if not message:
        message = f"{param.name} must be {param.expectation()}, got {_short(value)}"
        if param.kind == "set" and isinstance(value, list | tuple | set | frozenset):
            bad = sorted({repr(v) for v in value if v not in (param.choices or ())})
            message += f" ({', '.join(bad)} not allowed)" if bad else ""
    return ParameterOutOfRangeError(
        message,
        parameter=param.name,
        value=value,
        minimum=param.minimum,
        maximum=param.maximum,
        unit=param.unit,
        choices=param.choices,
    )


#: German and English labels for a settings screen (``parameter_table``), by parameter name.
PARAMETER_LABELS: dict[str, tuple[str, str]] = {
    "require_lit": ("Nur beleuchtete Wege (bei Dunkelheit)", "Lit ways only (in the dark)"),
    "unlit_penalty_factor": ("Umweg-Faktor für unbeleuchtete Wege (bei Dunkelheit)", "Detour factor for unlit ways (in the dark)"),
    "avoid_pollen": ("Pollen meiden", "Avoid pollen"),
    "pollen_penalty_factor": ("Gewicht der Pollenbelastung", "Weight of pollen exposure"),
    "green_preference": ("Vorliebe für Grün", "Preference for green"),
    "unknown.pollen": ("Unbekannte Pollenbelastung", "Unknown pollen exposure"),
    "max_distance_between_rests_m": ("Höchstabstand zwischen Sitzgelegenheiten", "Maximum distance between rests"),
}  # fmt: skip

#: What each table of parameters holds, for error messages.
_GROUP_TABLES = {
    "unknown": "attribute → accept/penalize/forbid",
    "severity": "limit → seconds (see parameter_table)",
}

# ----------------------------------------------------------------------------------- presets

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def _preset_dir() -> Any:
    return resources.files("accessibility_rules").joinpath("profiles")


def preset_names() -> list[str]:
    """Names of the preset files present in ``accessibility_rules/profiles``, sorted."""
    return list(_preset_names())


@functools.cache
def _preset_names() -> tuple[str, ...]:
    # package data: listed once per process (it cannot change while the service runs)
    return tuple(sorted(p.name[:-5] for p in _preset_dir().iterdir() if p.name.endswith(".toml")))


def load_preset(name: str) -> Profile:
    """Load and validate the preset ``name`` (cached; profiles are immutable).

    Raises
    ------
    UnknownProfileError
        No such preset; the message lists the known names.
    ValueError
        The preset file is broken (misses a parameter, has an extra key, or a bad value).
    """
    known = _preset_names()
    if name not in known:
        raise UnknownProfileError(name, list(known))
    return _load_preset(name)


@functools.cache
def _load_preset(name: str) -> Profile:
    data = tomllib.loads(_preset_dir().joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    given = {k for k in data if k not in _GROUPS}
    for group in _GROUPS:
        table = data.get(group, {})
        given |= {f"{group}.{k}" for k in table} if isinstance(table, dict) else {group}
    expected = (set(_PARAMS) | _META) - {*_GROUPS, "customised"}
    if given != expected or data.get("name") != name:
        missing, extra = sorted(expected - given), sorted(given - expected)
        raise ValueError(
            f"preset {name!r} must set name = {name!r} and every parameter exactly once; "
            f"missing: {missing}, not parameters: {extra}"
        )
    for key, param in _PARAMS.items():  # TOML has no null: presets spell "no limit" as "none"
        parent, _, leaf = key.rpartition(".")
        table = data[parent] if parent else data
        if param.nullable and table[leaf] == "none":
            table[leaf] = None
    try:
        return _validate(data)
    except ParameterOutOfRangeError as exc:
        exc.add_note(f"in preset file profiles/{name}.toml")
        raise


def _validate(data: Mapping[str, Any]) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ParameterOutOfRangeError):
            raise cause from None
        loc = error["loc"]
        nested = len(loc) > 1 and loc[0] in _GROUPS
        key = f"{loc[0]}.{loc[1]}" if nested else (str(loc[0]) if loc else "")
        if key not in _PARAMS:  # a metadata field (name, label): a broken preset, not a user error
            raise
        parent, _, leaf = key.rpartition(".")
        value = data[parent][leaf] if parent else data[leaf]
        raise _rejected(_PARAMS[key], value) from None


# --------------------------------------------------------------------------------- overrides


def parse_override_value(key: str, text: str) -> Any:
    """Read a command-line value for parameter ``key``; :func:`make_profile` checks the range.

    ``"6"`` / ``"6 %"`` → ``6.0`` for a number (a trailing unit equal to the parameter's is
    allowed); ``"3"`` → ``3`` for an integer; ``true/false/yes/no/on/off/1/0`` for a boolean;
    a lower-cased name for an enum; ``"sett, cobblestone"`` → ``frozenset`` for a set (``""`` or
    ``"none"`` is the empty set); ``"none"`` or ``"null"`` → ``None`` where no limit is allowed.

    Raises
    ------
    UnknownParameterError
        ``key`` is not a parameter.
    ParameterOutOfRangeError
        ``text`` cannot be read as the parameter's type.
    """
    param = _param(key)
    if not isinstance(text, str):
        raise TypeError(f"parse_override_value expects text, got {type(text).__name__}")
    word = text.strip().lower()
    if param.nullable and word in ("none", "null"):
        return None
    if param.kind == "set":
        items = [] if word == "none" else [w.strip() for w in word.split(",")]
        return frozenset(w for w in items if w)
    if param.kind == "enum":
        return word
    if param.kind == "boolean":
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise _rejected(param, text)
    if param.unit and word.endswith(param.unit):
        word = word.removesuffix(param.unit).strip()
    try:
        number = float(word)
    except ValueError:
        raise _rejected(param, text) from None
    if param.kind != "integer":
        return number
    if not number.is_integer():  # "2.0" is 2, as in JSON; "2.5" is no whole number
        raise _rejected(param, text)
    return int(number)


def make_profile(base: str | Profile, overrides: Mapping[str, Any] | None = None) -> Profile:
    """Customise a preset (by name) or an existing profile with ``overrides``.

    Keys are parameter names; a table's parameter is set dotted, ``"unknown.incline"`` /
    ``"severity.steps_s"``, or nested, ``{"unknown": {"incline": "forbid"}}``. String values are read with
    :func:`parse_override_value`. The result keeps the base's ``name`` and has
    ``customised=True`` when any parameter differs from the base (or the base was customised).

    Raises
    ------
    UnknownProfileError
        ``base`` names no preset.
    UnknownParameterError
        A key is not a parameter; the message suggests close matches.
    ParameterOutOfRangeError
        A value is of the wrong type, out of range, not finite, contradicts another parameter
        it states, or is given twice with different values. Nothing stated is clamped; a
        lowered ``max_incline_percent`` takes the base's ``comfortable_incline_percent`` down
        with it unless that is stated too (:func:`_comfort_follows_limit`).

    Examples
    --------
    >>> make_profile("wheelchair", {"max_incline_percent": "8"}).max_incline_percent
    8.0
    """
    profile = load_preset(base) if isinstance(base, str) else base
    if not overrides:
        return profile
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if isinstance(key, str) and key in _GROUPS:
            if not isinstance(value, Mapping):
                what = _GROUP_TABLES[key]
                raise ParameterOutOfRangeError(
                    f"{key} must be a table of {what}, got {_short(value)}",
                    parameter=key,
                    value=value,
                )
            pairs = [(f"{key}.{k}" if isinstance(k, str) else k, v) for k, v in value.items()]
        else:
            pairs = [(key, value)]
        for name, item in pairs:
            param = _param(name)
            parsed = parse_override_value(name, item) if isinstance(item, str) else item
            if name in flat and flat[name] != parsed:
                twice = f"{name} is given twice, as {_short(flat[name])} and {_short(parsed)}"
                raise _rejected(param, parsed, twice)
            flat[name] = parsed
    data = profile.model_dump()
    for name, value in flat.items():
        parent, _, leaf = name.rpartition(".")
        (data[parent] if parent else data)[leaf] = value
    _comfort_follows_limit(data, flat)
    result = _validate(data)
    meta = {"customised"}
    changed = result.model_dump(exclude=meta) != profile.model_dump(exclude=meta)
    return result.model_copy(update={"customised": profile.customised or changed})


def _comfort_follows_limit(data: dict[str, Any], given: Mapping[str, Any]) -> None:
    """A lowered ``max_incline_percent`` takes the base's comfortable incline down with it when
    the request does not state that one: a power wheelchair user who sets 5 % (the preset is
    comfortable up to 6 %) means a route, not an error about a value they never sent. No value
    the request states is changed: both stated and contradictory is still refused. Where it
    follows, compliant ways cost the same as before (no compliant slope is above the limit)."""
    limit = given.get("max_incline_percent")
    if limit is None or "comfortable_incline_percent" in given:
        return
    numeric = isinstance(limit, int | float) and not isinstance(limit, bool)
    if numeric and data["comfortable_incline_percent"] > limit >= 0:
        data["comfortable_incline_percent"] = float(limit)


# ------------------------------------------------------------------------------------- table


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    return value.value if isinstance(value, StrEnum) else value


def parameter_table() -> list[dict[str, Any]]:
    """One JSON-ready row per parameter, for building a settings screen.

    Each row has ``name``, ``type`` (number, integer, boolean, enum, set), ``nullable`` (``None``
    allowed, meaning no limit), ``unit``, ``minimum``, ``maximum``, ``choices``, ``description``,
    ``label_de`` / ``label_en`` (where :data:`PARAMETER_LABELS` has them) and
    ``defaults`` (``{preset name: value}`` for every preset).
    """
    presets = {name: load_preset(name) for name in preset_names()}
    rows = []
    for key, p in _PARAMS.items():
        parent, _, leaf = key.rpartition(".")

        def value_of(profile: Profile, parent: str = parent, leaf: str = leaf) -> Any:
            return _plain(getattr(getattr(profile, parent) if parent else profile, leaf))

        rows.append(
            {
                "name": key,
                "type": p.kind,
                "nullable": p.nullable,
                "unit": p.unit,
                "minimum": p.minimum,
                "maximum": p.maximum,
                "choices": None if p.choices is None else list(p.choices),
                "description": p.description,
                "label_de": PARAMETER_LABELS.get(key, (None, None))[0],
                "label_en": PARAMETER_LABELS.get(key, (None, None))[1],
                "defaults": {n: value_of(pr) for n, pr in presets.items()},
            }
        )
    return rows
