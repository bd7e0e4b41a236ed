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

Units: angles in degrees unless a name ends in ``_rad``; times of day in minutes after 0 h UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
from math import acos, asin, cos, degrees, radians, sin, tan

__all__ = ["SUNSET_ELEVATION_DEG", "solar_elevation", "sunrise_sunset"]

#: Solar elevation of sunrise and sunset in degrees (the almanacs' definition: the sun's upper
#: limb on the horizon, refraction included). Below it, it is dark.
SUNSET_ELEVATION_DEG = -0.833

_UTC = dt.UTC
#: astral's latitude bound (the hour angle is undefined at the poles).
_MAX_LATITUDE = 89.8
#: The sun's apparent radius: half of 32 arc minutes.
_SUN_RADIUS_DEG = 32.0 / (60.0 * 2.0)
_J2000 = 2451545.0  # Julian day of 2000-01-01 12:00 TT
_DAYS_PER_CENTURY = 36525.0
_MINUTES_PER_DAY = 1440
_NOON_MINUTES = 720.0  # 12:00 UTC, in minutes after 0 h


def _refraction(zenith: float) -> float:
    """Atmospheric refraction in degrees for a true zenith angle ``zenith`` (NOAA's piecewise
    approximation: none above 85° elevation, the polynomial near the horizon)."""
    elevation = 90 - zenith
    if elevation >= 85.0:
        return 0.0
    te = tan(radians(elevation))
    if elevation > 5.0:
        arcsec = 58.1 / te - 0.07 / (te * te * te) + 0.000086 / (te * te * te * te * te)
    elif elevation > -0.575:
        arcsec = 1735.0 + elevation * (
            -518.2 + elevation * (103.4 + elevation * (-12.79 + elevation * 0.711))
        )
    else:
        arcsec = -20.774 / te
    return arcsec / 3600.0


_SUNRISE_ZENITH = 90.0 + _SUN_RADIUS_DEG
#: The zenith angle of the sun's centre at sunrise and sunset (radius and refraction), as cosine.
_COS_SUNRISE_ZENITH = cos(radians(_SUNRISE_ZENITH + _refraction(_SUNRISE_ZENITH)))


def _julian_day(year: int, month: int, day: int, seconds: int) -> float:
    """Julian day of a Gregorian date plus ``seconds`` (whole seconds after 0 h)."""
    if month <= 2:  # January and February count as months 13 and 14 of the year before
        year -= 1
        month += 12
    century = year // 100  # years are positive: the same as astral's int(year / 100)
    gregorian = 2 - century + century // 4
    whole = int(365.25 * (year + 4716)) + int(30.6001 * (month + 1)) + day
    return whole + seconds / 86400 + gregorian - 1524.5


def _sun_at(julian_day: float) -> tuple[float, float]:
    """The sun's declination (degrees) and the equation of time (minutes) at ``julian_day``.

    Each NOAA quantity once: mean longitude and anomaly, the equation of the centre, the
    eccentricity of Earth's orbit, the apparent longitude and the corrected obliquity.
    """
    t = (julian_day - _J2000) / _DAYS_PER_CENTURY  # Julian centuries since J2000
    mean_long = (280.46646 + t * (36000.76983 + 0.0003032 * t)) % 360.0
    anomaly_rad = radians(357.52911 + t * (35999.05029 - 0.0001537 * t))
    eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    sin_m = sin(anomaly_rad)
    sin_2m = sin(anomaly_rad + anomaly_rad)
    centre = (
        sin_m * (1.914602 - t * (0.004817 + 0.000014 * t))
        + sin_2m * (0.019993 - 0.000101 * t)
        + sin(anomaly_rad + anomaly_rad + anomaly_rad) * 0.000289
    )
    omega_rad = radians(125.04 - 1934.136 * t)  # longitude of the Moon's ascending node
    apparent_long = mean_long + centre - 0.00569 - 0.00478 * sin(omega_rad)
    arcsec = 21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))
    obliquity = 23.0 + (26.0 + (arcsec / 60.0)) / 60.0 + 0.00256 * cos(omega_rad)
    obliquity_rad = radians(obliquity)
    declination = degrees(asin(sin(obliquity_rad) * sin(radians(apparent_long))))

    y = tan(obliquity_rad / 2.0)
    y *= y
    mean_long_rad = radians(mean_long)
    e = eccentricity
    eq_of_time_rad = (
        y * sin(2.0 * mean_long_rad)
        - 2.0 * e * sin_m
        + 4.0 * e * y * sin_m * cos(2.0 * mean_long_rad)
        - 0.5 * y * y * sin(4.0 * mean_long_rad)
        - 1.25 * e * e * sin_2m
    )
    return declination, degrees(eq_of_time_rad) * 4.0


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
    latitude = _latitude(lat)
    longitude = _longitude(lon)
    offset = when.utcoffset()
    if offset is None:  # naive: UTC
        zone_h = 0.0
        utc = when
    else:
        zone_h = -offset.total_seconds() / 3600.0
        utc = when - offset  # its clock shows UTC
    seconds = utc.hour * 3600 + utc.minute * 60 + utc.second  # microseconds are dropped
    declination, eq_of_time = _sun_at(_julian_day(utc.year, utc.month, utc.day, seconds))

    # true solar time in minutes: the clock time corrected by the equation of time, the
    # longitude (4 minutes per degree) and the zone
    solar_time_fix = eq_of_time + (4.0 * longitude) + (60 * zone_h)
    true_solar_time = when.hour * 60.0 + when.minute + when.second / 60.0 + solar_time_fix
    while true_solar_time > _MINUTES_PER_DAY:
        true_solar_time = true_solar_time - _MINUTES_PER_DAY
    hour_angle = true_solar_time / 4.0 - 180.0
    if hour_angle < -180:
        hour_angle = hour_angle + 360.0

    lat_rad, decl_rad = radians(latitude), radians(declination)
    sin_lat, cos_lat = sin(lat_rad), cos(lat_rad)
    sin_decl, cos_decl = sin(decl_rad), cos(decl_rad)
    cos_zenith = cos_lat * cos_decl * cos(radians(hour_angle)) + sin_lat * sin_decl
    if cos_zenith > 1.0:  # rounding
        cos_zenith = 1.0
    elif cos_zenith < -1.0:
        cos_zenith = -1.0
    zenith = degrees(acos(cos_zenith))
    zenith -= _refraction(zenith)
    return 90.0 - zenith


def _utc_minutes(
    sin_lat: float, cos_lat: float, longitude: float, sun: tuple[float, float], setting: bool
) -> float:
    """Minutes after 0 h UTC of the day when the sun, as it is at ``sun`` (declination,
    equation of time), crosses the sunrise zenith rising or ``setting``.

    Raises ``ValueError`` when it does not: always below (polar night) or above (polar day).
    """
    declination, eq_of_time = sun
    decl_rad = radians(declination)
    cos_hour_angle = (_COS_SUNRISE_ZENITH - sin_lat * sin(decl_rad)) / (cos_lat * cos(decl_rad))
    if cos_hour_angle > 1.0:
        raise ValueError("the sun stays below the horizon all day here (polar night)")
    if cos_hour_angle < -1.0:
        raise ValueError("the sun stays above the horizon all day here (polar day)")
    hour_angle = acos(cos_hour_angle)
    if setting:
        hour_angle = -hour_angle
    minutes = (-longitude - degrees(hour_angle)) * 4.0 - eq_of_time  # after 12:00 UTC
    if minutes < -_NOON_MINUTES:
        minutes += _MINUTES_PER_DAY
    return _NOON_MINUTES + minutes


#: A day's start: the Julian day of 0 h UTC, the sun then (:func:`_sun_at`) and 0 h UTC itself.
_DayStart = tuple[float, tuple[float, float], dt.datetime]


@functools.lru_cache(maxsize=8)
def _start(day: dt.date) -> _DayStart:
    """The start of ``day`` (0 h UTC) for the sunrise and sunset computed for it. Cached: every
    request of a day needs the same one (and now and then a neighbouring day's)."""
    julian_day = _julian_day(day.year, day.month, day.day, 0)
    return julian_day, _sun_at(julian_day), dt.datetime(day.year, day.month, day.day, tzinfo=_UTC)


def _crossing_utc(
    sin_lat: float, cos_lat: float, longitude: float, start: _DayStart, setting: bool
) -> dt.datetime:
    """Sunrise (or sunset, ``setting``) computed for the day of ``start``, in UTC: a first
    estimate with the sun as at 0 h UTC, then once more with the sun as at that estimate."""
    julian_day, sun, midnight = start
    minutes = _utc_minutes(sin_lat, cos_lat, longitude, sun, setting)
    sun = _sun_at(julian_day + minutes / _MINUTES_PER_DAY)
    minutes = _utc_minutes(sin_lat, cos_lat, longitude, sun, setting)
    # truncated to whole days, seconds and microseconds, in this order (as astral does)
    days = int(minutes / _MINUTES_PER_DAY)
    seconds_f = (minutes - days * _MINUTES_PER_DAY) * 60
    seconds = int(seconds_f)
    microseconds = int((seconds_f - seconds) * 1_000_000)
    return midnight + dt.timedelta(days, seconds, microseconds)


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
