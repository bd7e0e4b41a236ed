"""The numba kernels of :mod:`accessibility_rules.sun`: the sun's position and the time of day it
crosses the sunrise zenith, as plain float arithmetic.

Every route answer reports darkness, sunrise and sunset at its origin: three evaluations of the
sun's position (some 40 floating-point operations and a dozen trigonometric calls each), which
cost more as Python bytecode than the datetime bookkeeping around them; :func:`sun_of_day` makes
all three in one call (for :func:`accessibility_rules.conditions.day_light`). The operations are
:mod:`accessibility_rules.sun`'s, in its order (numba's ``radians`` and ``degrees`` multiply by
the same constants as Python's, ``%`` on floats follows Python's sign rule, and the
trigonometric functions are the C library's, as Python's are), so the results are astral's bit
for bit: ``tests/accessibility_rules/test_sun.py`` compares them with astral 3.2.

Units: angles in degrees unless a name ends in ``_rad``; times of day in minutes after 0 h UTC.
"""

from __future__ import annotations

import math
from math import acos, asin, cos, degrees, radians, sin, tan

from accessibility_rules.kernel_loading import kernel

_J2000 = 2451545.0  # Julian day of 2000-01-01 12:00 TT
_DAYS_PER_CENTURY = 36525.0
_MINUTES_PER_DAY = 1440
_NOON_MINUTES = 720.0  # 12:00 UTC, in minutes after 0 h
#: :func:`crossing_minutes` when the sun stays below the sunrise zenith all day (polar night).
POLAR_NIGHT = -math.inf
#: :func:`crossing_minutes` when the sun stays above it all day (polar day).
POLAR_DAY = math.inf


@kernel
def refraction_deg(zenith: float) -> float:
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


@kernel
def sun_at(julian_day: float) -> tuple[float, float]:
    """The sun's declination (degrees) and the equation of time (minutes) at ``julian_day``:
    each NOAA quantity once (mean longitude and anomaly, the equation of the centre, the
    eccentricity of Earth's orbit, the apparent longitude and the corrected obliquity)."""
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


@kernel
def elevation_deg(
    latitude: float,
    longitude: float,
    julian_day: float,
    zone_h: float,
    hour: int,
    minute: int,
    second: int,
) -> float:
    """The sun's elevation above the horizon (degrees, refraction included) at ``latitude``,
    ``longitude`` (already within astral's bounds) at the UTC moment ``julian_day``, seen on a
    clock showing ``hour:minute:second`` in a zone ``zone_h`` hours *behind* UTC (both enter
    the true solar time, as in NOAA's calculator)."""
    declination, eq_of_time = sun_at(julian_day)
    # true solar time in minutes: the clock time corrected by the equation of time, the
    # longitude (4 minutes per degree) and the zone
    solar_time_fix = eq_of_time + (4.0 * longitude) + (60 * zone_h)
    true_solar_time = hour * 60.0 + minute + second / 60.0 + solar_time_fix
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
    zenith -= refraction_deg(zenith)
    return 90.0 - zenith


@kernel
def _utc_minutes(
    sin_lat: float,
    cos_lat: float,
    longitude: float,
    declination: float,
    eq_of_time: float,
    cos_sunrise_zenith: float,
    setting: bool,
) -> float:
    """Minutes after 0 h UTC of the day when the sun, as it is at (``declination``,
    ``eq_of_time``), crosses the zenith of ``cos_sunrise_zenith`` rising or ``setting``;
    :data:`POLAR_NIGHT` or :data:`POLAR_DAY` when it does not."""
    decl_rad = radians(declination)
    cos_hour_angle = (cos_sunrise_zenith - sin_lat * sin(decl_rad)) / (cos_lat * cos(decl_rad))
    if cos_hour_angle > 1.0:
        return POLAR_NIGHT
    if cos_hour_angle < -1.0:
        return POLAR_DAY
    hour_angle = acos(cos_hour_angle)
    if setting:
        hour_angle = -hour_angle
    minutes = (-longitude - degrees(hour_angle)) * 4.0 - eq_of_time  # after 12:00 UTC
    if minutes < -_NOON_MINUTES:
        minutes += _MINUTES_PER_DAY
    return _NOON_MINUTES + minutes


@kernel
def crossing_minutes(
    sin_lat: float,
    cos_lat: float,
    longitude: float,
    julian_day: float,
    declination: float,
    eq_of_time: float,
    cos_sunrise_zenith: float,
    setting: bool,
) -> float:
    """Sunrise (or sunset, ``setting``) computed for the day starting (0 h UTC) at
    ``julian_day``, in minutes after that start: a first estimate with the sun as it is then
    (``declination``, ``eq_of_time``), then once more with the sun as at that estimate.
    :data:`POLAR_NIGHT` or :data:`POLAR_DAY` when either finds no crossing."""
    minutes = _utc_minutes(
        sin_lat, cos_lat, longitude, declination, eq_of_time, cos_sunrise_zenith, setting
    )
    if math.isinf(minutes):
        return minutes
    declination, eq_of_time = sun_at(julian_day + minutes / _MINUTES_PER_DAY)
    return _utc_minutes(
        sin_lat, cos_lat, longitude, declination, eq_of_time, cos_sunrise_zenith, setting
    )


@kernel
def sun_of_day(
    latitude: float,
    longitude: float,
    julian_day: float,
    zone_h: float,
    hour: int,
    minute: int,
    second: int,
    day_julian_day: float,
    cos_sunrise_zenith: float,
) -> tuple[float, float, float]:
    """What a route answer reports of the sun in one call: its elevation at a moment (the
    arguments of :func:`elevation_deg`) and the sunrise and sunset computed for the day starting
    (0 h UTC) at ``day_julian_day`` (:func:`crossing_minutes`, the sun then by :func:`sun_at`),
    in minutes after that start. The same operations as the three calls they replace, so the
    same bits."""
    elevation = elevation_deg(latitude, longitude, julian_day, zone_h, hour, minute, second)
    lat_rad = radians(latitude)
    sin_lat, cos_lat = sin(lat_rad), cos(lat_rad)
    declination, eq_of_time = sun_at(day_julian_day)
    rise = crossing_minutes(
        sin_lat, cos_lat, longitude, day_julian_day, declination, eq_of_time,
        cos_sunrise_zenith, False,
    )  # fmt: skip
    set_ = crossing_minutes(
        sin_lat, cos_lat, longitude, day_julian_day, declination, eq_of_time,
        cos_sunrise_zenith, True,
    )  # fmt: skip
    return elevation, rise, set_
