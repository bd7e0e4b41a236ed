"""The sun at one place: its elevation at a moment, and sunrise and sunset of a day.

The formulas are those of the NOAA solar calculator (NOAA Global Monitoring Laboratory,
https://gml.noaa.gov/grad/solcalc/, after Jean Meeus, *Astronomical Algorithms*): the sun's
declination and the equation of time from the Julian century, the solar hour angle, the zenith
angle and the atmospheric refraction.

They are evaluated with the same floating-point operations, in the same order, as ``astral``
3.2 evaluates them, so that every result is bit for bit astral's (``astral.sun.elevation``,
``sunrise`` and ``sunset`` for an observer at elevation 0, refraction on; the tests compare both
on random places and times). What differs is the bookkeeping: each quantity of a moment is
computed once (astral re-derives the sun's mean longitude, anomaly and the obliquity several
times per call), and sunrise and sunset share their first estimate (both start at 0 h UTC).
The arithmetic runs as kernels (:mod:`accessibility_rules._sun_kernels`: every route answer
evaluates the sun three times, in one kernel call: :func:`elevation_and_crossings`); this module
keeps the dates, zones and astral's rules around it.

Units: angles in degrees unless a name ends in ``_rad``; times of day in minutes after 0 h UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from math import cos, radians, sin

from accessibility_rules._sun_kernels import (
    POLAR_NIGHT,
    crossing_minutes,
    elevation_deg,
    refraction_deg,
    sun_at,
    sun_of_day,
)

__all__ = [
    "SUNSET_ELEVATION_DEG", "crossing_seconds", "elevation_and_crossings", "solar_elevation",
    "sunrise_sunset",
]  # fmt: skip

#: Solar elevation of sunrise and sunset in degrees (the almanacs' definition: the sun's upper
#: limb on the horizon, refraction included). Below it, it is dark.
SUNSET_ELEVATION_DEG = -0.833

_UTC = dt.UTC
#: astral's latitude bound (the hour angle is undefined at the poles).
_MAX_LATITUDE = 89.8
#: The sun's apparent radius: half of 32 arc minutes.
_SUN_RADIUS_DEG = 32.0 / (60.0 * 2.0)
_MINUTES_PER_DAY = 1440

_SUNRISE_ZENITH = 90.0 + _SUN_RADIUS_DEG
#: The zenith angle of the sun's centre at sunrise and sunset (radius and refraction), as cosine.
_COS_SUNRISE_ZENITH = cos(radians(_SUNRISE_ZENITH + refraction_deg(_SUNRISE_ZENITH)))


def _julian_day(year: int, month: int, day: int, seconds: int) -> float:
    """Julian day of a Gregorian date plus ``seconds`` (whole seconds after 0 h)."""
    if month <= 2:  # January and February count as months 13 and 14 of the year before
        year -= 1
        month += 12
    century = year // 100  # years are positive: the same as astral's int(year / 100)
    gregorian = 2 - century + century // 4
    whole = int(365.25 * (year + 4716)) + int(30.6001 * (month + 1)) + day
    return whole + seconds / 86400 + gregorian - 1524.5


def _latitude(lat: float) -> float:
    """``lat`` within ±90° (astral's observer) and then ±89.8° (its formulas)."""
    lat = float(lat)
    if lat > _MAX_LATITUDE:
        return _MAX_LATITUDE
    if lat < -_MAX_LATITUDE:
        return -_MAX_LATITUDE
    return lat


def _longitude(lon: float) -> float:
    """``lon`` within ±180° (astral's observer)."""
    lon = float(lon)
    if lon > 180.0:
        return 180.0
    if lon < -180.0:
        return -180.0
    return lon


def solar_elevation(lat: float, lon: float, when: dt.datetime) -> float:
    """The sun's elevation in degrees above the horizon at (``lat``, ``lon``) at ``when``,
    refraction included: astral's ``elevation(Observer(lat, lon), when)``.

    A naive ``when`` is UTC. The local clock time of ``when`` and its UTC offset both enter the
    true solar time, as in NOAA's calculator (the same instant in another zone may differ in the
    last bit).
    """
    julian_day, zone_h = _moment(when)
    return elevation_deg(
        _latitude(lat), _longitude(lon), julian_day, zone_h, when.hour, when.minute, when.second
    )


def _moment(when: dt.datetime) -> tuple[float, float]:
    """The Julian day of ``when`` (naive: UTC) to the second, and the hours its zone is behind
    UTC: what :func:`~accessibility_rules._sun_kernels.elevation_deg` reads besides the clock."""
    offset = when.utcoffset()
    if offset is None:  # naive: UTC
        zone_h = 0.0
        utc = when
    else:
        zone_h = -offset.total_seconds() / 3600.0
        utc = when - offset  # its clock shows UTC
    seconds = utc.hour * 3600 + utc.minute * 60 + utc.second  # microseconds are dropped
    return _julian_day(utc.year, utc.month, utc.day, seconds), zone_h


def elevation_and_crossings(
    lat: float, lon: float, when: dt.datetime, day: dt.date
) -> tuple[float, float, float]:
    """:func:`solar_elevation` at ``when`` and the sunrise and sunset *computed for* ``day``
    (before astral's rule of the neighbouring day, :func:`sunrise_sunset`) in minutes after
    ``day``'s 0 h UTC, :data:`~accessibility_rules._sun_kernels.POLAR_NIGHT` or ``POLAR_DAY``
    when the sun does not cross: one kernel call
    (:func:`~accessibility_rules._sun_kernels.sun_of_day`) where the others take three."""
    julian_day, zone_h = _moment(when)
    return sun_of_day(
        _latitude(lat), _longitude(lon), julian_day, zone_h, when.hour, when.minute, when.second,
        _start(day)[0], _COS_SUNRISE_ZENITH,
    )  # fmt: skip


def crossing_seconds(minutes: float) -> tuple[int, int]:
    """A finite time of :func:`elevation_and_crossings` as whole seconds after the day's 0 h
    UTC and the microseconds after them, truncated as :func:`sunrise_sunset` (and astral)
    truncate it."""
    days = int(minutes / _MINUTES_PER_DAY)  # whole days, seconds and microseconds, in this order
    seconds_f = (minutes - days * _MINUTES_PER_DAY) * 60
    seconds = int(seconds_f)
    return days * 86_400 + seconds, int((seconds_f - seconds) * 1_000_000)


#: A day's start: the Julian day of 0 h UTC, the sun then (declination, equation of time:
#: :func:`~accessibility_rules._sun_kernels.sun_at`) and 0 h UTC itself.
_DayStart = tuple[float, tuple[float, float], dt.datetime]


@functools.lru_cache(maxsize=8)
def _start(day: dt.date) -> _DayStart:
    """The start of ``day`` (0 h UTC) for the sunrise and sunset computed for it. Cached: every
    request of a day needs the same one (and now and then a neighbouring day's)."""
    julian_day = _julian_day(day.year, day.month, day.day, 0)
    return julian_day, sun_at(julian_day), dt.datetime(day.year, day.month, day.day, tzinfo=_UTC)


def _crossing_utc(
    sin_lat: float, cos_lat: float, longitude: float, start: _DayStart, setting: bool
) -> dt.datetime:
    """Sunrise (or sunset, ``setting``) computed for the day of ``start``, in UTC: a first
    estimate with the sun as at 0 h UTC, then once more with the sun as at that estimate
    (:func:`~accessibility_rules._sun_kernels.crossing_minutes`). Raises ``ValueError`` when the
    sun does not cross the sunrise zenith: always below (polar night) or above (polar day)."""
    julian_day, (declination, eq_of_time), midnight = start
    minutes = crossing_minutes(
        sin_lat, cos_lat, longitude, julian_day, declination, eq_of_time, _COS_SUNRISE_ZENITH,
        setting,
    )  # fmt: skip
    if math.isinf(minutes):
        if minutes == POLAR_NIGHT:
            raise ValueError("the sun stays below the horizon all day here (polar night)")
        raise ValueError("the sun stays above the horizon all day here (polar day)")
    seconds, microseconds = crossing_seconds(minutes)
    return midnight + dt.timedelta(0, seconds, microseconds)


def _on_day(
    sin_lat: float,
    cos_lat: float,
    longitude: float,
    day: dt.date,
    start: _DayStart,
    tz: dt.tzinfo,
    setting: bool,
) -> dt.datetime:
    """Sunrise (or sunset) on ``day`` (``start``: its :func:`_start`) in ``tz`` by astral's rule:
    the one computed for ``day``; if that falls on another local day, the one computed for the
    neighbouring day towards ``day``; if that does not fall on ``day`` either, ``ValueError``."""
    when = _crossing_utc(sin_lat, cos_lat, longitude, start, setting).astimezone(tz)
    if when.date() != day:
        other = _start(day + dt.timedelta(days=1 if when.date() < day else -1))
        when = _crossing_utc(sin_lat, cos_lat, longitude, other, setting).astimezone(tz)
        if when.date() != day:
            raise ValueError(f"no {'sunset' if setting else 'sunrise'} falls on {day} here")
    return when


def sunrise_sunset(
    lat: float, lon: float, day: dt.date, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """Sunrise and sunset at (``lat``, ``lon``) on ``day`` in the time zone ``tz``, as aware
    times in ``tz``: astral's ``sunrise`` and ``sunset(Observer(lat, lon), day, tzinfo=tz)``.

    The sun's centre is then 90° + its radius + the refraction there from the zenith. Raises
    ``ValueError`` when the sun neither rises nor sets (polar day or night) or none falls on
    ``day`` (astral's cases; its messages differ).
    """
    lat_rad = radians(_latitude(lat))
    sin_lat, cos_lat = sin(lat_rad), cos(lat_rad)
    longitude = _longitude(lon)
    start = _start(day)  # shared: both first estimates take the sun as at 0 h UTC
    return (
        _on_day(sin_lat, cos_lat, longitude, day, start, tz, setting=False),
        _on_day(sin_lat, cos_lat, longitude, day, start, tz, setting=True),
    )
