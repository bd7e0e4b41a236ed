"""The context a route is weighed in: the day's pollen and whether it is dark.

A profile says what a person needs; :class:`Conditions` says what the day brings. Both are inputs
of the weights (:func:`accessibility_rules.weights.compute_weights`), and both are frozen and
hashable, so a metric is cached per ``(profile, conditions)``. :func:`resolve_conditions` turns a
request's date, departure time, place and optional pollen forecast into conditions holding only
what the profile reacts to (the intensities of the taxa it avoids, darkness only if it has a light
rule), so that two requests the profile weighs alike share one cached metric.

Darkness: the sun's centre below −0.833° (the sunrise/sunset definition: refraction and the
sun's radius) at the departure time and place, computed by :mod:`accessibility_rules.sun` (the
NOAA solar calculator's formulas, bit for bit as ``astral`` 3.2 evaluates them). Time zone
Europe/Berlin.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from accessibility_rules.pollen import POLLEN_TAXA, parse_forecast, season_intensity
from accessibility_rules.profile import Profile
from accessibility_rules.sun import (
    SUNSET_ELEVATION_DEG,
    crossing_seconds,
    elevation_and_crossings,
    solar_elevation,
    sunrise_sunset,
)
from accessibility_rules.zone_day import zone_day

__all__ = [
    "BERLIN", "Conditions", "DayLight", "SunTimes", "avoided_pollen", "day_light", "is_dark",
    "reacted_to", "resolve_conditions", "sun_times",
]  # fmt: skip

BERLIN = ZoneInfo("Europe/Berlin")
_TAXON_RANK = {taxon: rank for rank, taxon in enumerate(POLLEN_TAXA)}


@dataclass(frozen=True, slots=True)
class Conditions:
    """What the day brings, as the weights read it (hashable: part of the metric cache key).

    ``pollen``: ``(taxon, intensity 0–3)`` pairs in :data:`~accessibility_rules.pollen.POLLEN_TAXA`
    order, only taxa with intensity > 0 (a taxon not listed is not flying). ``dark``: ``True`` in
    the dark, ``False`` in daylight, ``None`` when the time is not known: the light rules then apply
    as in the dark (unknown is not daylight).
    """

    pollen: tuple[tuple[str, float], ...] = ()
    dark: bool | None = None

    def __post_init__(self) -> None:
        # one pass per rule, no lists: every request builds one (0.3 µs instead of 0.8–1.5 µs)
        rank = -1
        for taxon, _ in self.pollen:
            previous, rank = rank, _TAXON_RANK.get(taxon, -1)
            if rank <= previous:  # unknown (-1), repeated or out of table order
                raise ValueError(f"pollen must list known taxa once, in table order: {self.pollen}")
        for _, intensity in self.pollen:
            if not 0 < intensity <= 3:
                raise ValueError(f"pollen intensities must be in (0, 3]: {self.pollen}")

    def intensity(self, taxon: str) -> float:
        """Intensity 0–3 of ``taxon`` (0 when not listed)."""
        return dict(self.pollen).get(taxon, 0.0)

    @property
    def lights_apply(self) -> bool:
        """Whether the light rules (``require_lit``, ``unlit_penalty_factor``) apply."""
        return self.dark is not False


#: No pollen, time unknown: the weights of a profile alone (light rules apply).
DEFAULT_CONDITIONS = Conditions()


@dataclass(frozen=True, slots=True)
class SunTimes:
    """Sunrise and sunset of one day at one place (Europe/Berlin), and darkness at a moment."""

    sunrise: dt.datetime
    sunset: dt.datetime
    dark: bool


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=BERLIN) if when.tzinfo is None else when


def is_dark(lat: float, lon: float, when: dt.datetime) -> bool:
    """Whether the sun is below the horizon (after sunset, before sunrise) at ``when``.

    A naive ``when`` is read as Europe/Berlin time.
    """
    return solar_elevation(lat, lon, _aware(when)) < SUNSET_ELEVATION_DEG


def sun_times(lat: float, lon: float, when: dt.datetime, *, dark: bool | None = None) -> SunTimes:
    """Sunrise and sunset on ``when``'s day (Europe/Berlin) at the place, and darkness at ``when``
    (``dark``, when the caller has computed :func:`is_dark` for the same place and time)."""
    local = _aware(when).astimezone(BERLIN)
    sunrise, sunset = sunrise_sunset(lat, lon, local.date(), BERLIN)
    return SunTimes(sunrise, sunset, is_dark(lat, lon, local) if dark is None else dark)


@dataclass(frozen=True, slots=True)
class DayLight:
    """Darkness at a moment and its day's sunrise and sunset as a route answer reports them:
    ISO 8601 text to the second in Europe/Berlin, ``None`` for both when the sun does not rise
    or set that day (polar day or night, or astral's rule finds none on the day)."""

    dark: bool
    sunrise: str | None
    sunset: str | None


def day_light(lat: float, lon: float, when: dt.datetime) -> DayLight:
    """:func:`is_dark` at ``when`` and :func:`sun_times`' sunrise and sunset as
    ``isoformat(timespec="seconds")`` text, from one kernel call and the day's clock
    (:func:`~accessibility_rules.zone_day.zone_day`) instead of three calls and four aware
    times: each answer reports them, and cold caches make every object and call of it count.
    A naive ``when`` is Europe/Berlin time. The rare day whose sunrise or sunset is not the one
    computed for it (none, or the neighbouring day's) takes :func:`sun_times`' way."""
    aware = _aware(when)
    day = aware.astimezone(BERLIN).date()
    elevation, rise, set_ = elevation_and_crossings(lat, lon, aware, day)
    dark = elevation < SUNSET_ELEVATION_DEG
    if math.isfinite(rise) and math.isfinite(set_):
        clock = zone_day(day, BERLIN)
        sunrise = clock.text(crossing_seconds(rise)[0])
        sunset = clock.text(crossing_seconds(set_)[0])
        if sunrise is not None and sunset is not None:
            return DayLight(dark, sunrise, sunset)
    try:
        sun = sun_times(lat, lon, aware, dark=dark)
    except ValueError:  # polar day or night, or none on the day
        return DayLight(dark, None, None)
    return DayLight(
        dark, sun.sunrise.isoformat(timespec="seconds"), sun.sunset.isoformat(timespec="seconds")
    )


def cares_about_light(profile: Profile) -> bool:
    """Whether darkness can change the profile's weights (it has a light rule)."""
    return profile.require_lit or profile.unlit_penalty_factor > 1


def avoided_pollen(
    profile: Profile, day: dt.date, forecast: Mapping[str, float]
) -> list[tuple[str, float]]:
    """``(taxon, intensity 0–3)`` on ``day`` for each taxon ``profile`` avoids, in
    :data:`~accessibility_rules.pollen.POLLEN_TAXA` order: the value of ``forecast`` (parsed by
    :func:`~accessibility_rules.pollen.parse_forecast`) for the taxa it names, the season
    table's for the others. :class:`Conditions` keep those with intensity > 0."""
    return [
        (taxon, forecast[taxon] if taxon in forecast else season_intensity(taxon, day))
        for taxon in POLLEN_TAXA
        if taxon in profile.avoid_pollen
    ]


def resolve_conditions(
    profile: Profile,
    *,
    lat: float,
    lon: float,
    departure_time: dt.datetime | None = None,
    date: dt.date | None = None,
    pollen_forecast: Mapping[str, object] | None = None,
    dark: bool | None = None,
) -> Conditions:
    """The conditions ``profile`` is weighed in for a route at (``lat``, ``lon``).

    ``departure_time`` defaults to now (a naive time is Europe/Berlin); ``date`` (the pollen day)
    defaults to the departure's date in Europe/Berlin. ``pollen_forecast`` (the day's intensity
    per taxon, :func:`~accessibility_rules.pollen.parse_forecast`) overrides the season table for
    the taxa it names. Only what the profile reacts to is kept: the avoided taxa in flight and,
    if the profile has a light rule, darkness.

    ``dark``: :func:`is_dark` at the place and departure, when the caller has computed it (the
    API reports it as well: one solar computation instead of two).

    Raises ``ValueError`` for a forecast with an unknown taxon or a value off the 0–3 scale.
    """
    when = _aware(departure_time) if departure_time is not None else dt.datetime.now(BERLIN)
    day = date if date is not None else when.astimezone(BERLIN).date()
    forecast = parse_forecast(pollen_forecast or {})
    if cares_about_light(profile) and dark is None:
        dark = is_dark(lat, lon, when)
    return reacted_to(profile, avoided_pollen(profile, day, forecast), dark)


def reacted_to(profile: Profile, avoided: list[tuple[str, float]], dark: bool | None) -> Conditions:
    """The :class:`Conditions` holding only what ``profile`` reacts to: of its ``avoided`` taxa
    (:func:`avoided_pollen`) those in flight, and ``dark`` if it has a light rule (else
    ``None``). The rule of :func:`resolve_conditions`, for a caller that has the parts."""
    pollen = tuple(p for p in avoided if p[1] > 0)
    return Conditions(pollen=pollen, dark=dark if cares_about_light(profile) else None)
