"""The sun module against astral 3.2, its independent reference: bit for bit, error for error.

:mod:`accessibility_rules.sun` evaluates the NOAA formulas with astral's floating-point operations
in astral's order, so everything must be *equal* (``==`` on floats, datetimes to the microsecond
with their zone), not approximately so: random places (tropics to the polar circles and beyond,
both date lines), dates over the years the API admits (1900–2199, plus a year of margin), times
with seconds and microseconds, naive and aware in several zones. Hand-written cases pin the
solstices and the days the clocks change in Kaiserslautern, the rare days on which astral takes
the sunrise or sunset computed for the neighbouring day, and polar day and night.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from astral import Observer, SunDirection
from astral.sun import SUN_APPARENT_RADIUS, elevation, sunrise, sunset, time_of_transit
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accessibility_rules.conditions import BERLIN, is_dark, sun_times
from accessibility_rules.sun import SUNSET_ELEVATION_DEG, solar_elevation, sunrise_sunset

UTC = dt.UTC
KAISERSLAUTERN = (49.444, 7.769)
TROMSO = (69.65, 18.96)

SOME_ZONES = [
    BERLIN, UTC, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati"),  # UTC+14
    ZoneInfo("Etc/GMT+12"), dt.timezone(dt.timedelta(hours=5, minutes=30)),  # UTC-12, India
]  # fmt: skip
#: Mostly where the sun rises and sets every day, a quarter up to astral's polar bound and beyond.
LATITUDES = st.one_of(
    st.floats(-66.0, 66.0), st.floats(-66.0, 66.0), st.floats(-66.0, 66.0), st.floats(-89.9, 89.9)
)
LONGITUDES = st.floats(-180.0, 180.0)
TIMES = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 12, 31, 23, 59, 59, 999999))
AWARE_OR_NAIVE = st.one_of(
    TIMES, TIMES.map(lambda t: t.replace(tzinfo=BERLIN)), st.datetimes(
        dt.datetime(1900, 1, 2), dt.datetime(2200, 12, 30), timezones=st.sampled_from(SOME_ZONES)
    ),
)  # fmt: skip
EXAMPLES = settings(max_examples=1500, deadline=None)


def astral_day(lat: float, lon: float, day: dt.date) -> tuple[dt.datetime, dt.datetime] | str:
    """astral's sunrise and sunset in Europe/Berlin, or ``"ValueError"`` when either fails."""
    observer = Observer(lat, lon)
    try:
        return sunrise(observer, day, tzinfo=BERLIN), sunset(observer, day, tzinfo=BERLIN)
    except ValueError:
        return "ValueError"


def our_day(lat: float, lon: float, day: dt.date) -> tuple[dt.datetime, dt.datetime] | str:
    try:
        return sunrise_sunset(lat, lon, day, BERLIN)
    except ValueError:
        return "ValueError"


def assert_same_day(got: tuple[dt.datetime, dt.datetime] | str, want: object) -> None:
    assert got == want
    if isinstance(got, tuple) and isinstance(want, tuple):  # == ignores the zone of aware times
        assert [(t.tzinfo, t.utcoffset(), t.fold) for t in got] == [
            (t.tzinfo, t.utcoffset(), t.fold) for t in want
        ]


# ------------------------------------------------------------------------------ properties


@EXAMPLES
@given(lat=LATITUDES, lon=LONGITUDES, when=AWARE_OR_NAIVE)
@example(lat=49.444, lon=7.769, when=dt.datetime(1900, 1, 1, 0, 0, tzinfo=BERLIN))
@example(lat=-89.9, lon=180.0, when=dt.datetime(2200, 12, 31, 23, 59, 59, tzinfo=BERLIN))
@example(lat=0.0, lon=180.0, when=dt.datetime(2024, 5, 1, 23, 59, tzinfo=ZoneInfo("Etc/GMT+12")))
def test_elevation_and_darkness_equal_astrals(lat: float, lon: float, when: dt.datetime) -> None:
    want = elevation(Observer(lat, lon), when)  # a naive time is UTC to both
    assert solar_elevation(lat, lon, when) == want
    aware = when.replace(tzinfo=BERLIN) if when.tzinfo is None else when  # is_dark: naive = Berlin
    assert is_dark(lat, lon, when) is (elevation(Observer(lat, lon), aware) < SUNSET_ELEVATION_DEG)


@EXAMPLES
@given(lat=LATITUDES, lon=LONGITUDES, when=AWARE_OR_NAIVE)
@example(lat=49.444, lon=7.769, when=dt.datetime(1900, 1, 1, 0, 30))
@example(lat=49.444, lon=7.769, when=dt.datetime(2199, 12, 31, 23, 59, 59))
def test_sunrise_and_sunset_equal_astrals(lat: float, lon: float, when: dt.datetime) -> None:
    day = (when.replace(tzinfo=BERLIN) if when.tzinfo is None else when).astimezone(BERLIN).date()
    want = astral_day(lat, lon, day)
    assert_same_day(our_day(lat, lon, day), want)
    try:
        sun = sun_times(lat, lon, when)
    except ValueError:
        assert want == "ValueError"
    else:
        assert_same_day((sun.sunrise, sun.sunset), want)


# ------------------------------------------------------------------------------ hand-written


@pytest.mark.parametrize(
    ("day", "rise", "set_", "offset_h"),
    [
        (dt.date(2024, 12, 21), (8, 15, 8, 35), (16, 20, 16, 40), 1),  # winter solstice
        (dt.date(2024, 6, 21), (5, 10, 5, 35), (21, 30, 21, 50), 2),  # summer solstice
        (dt.date(2024, 3, 31), (7, 0, 7, 20), (19, 50, 20, 10), 2),  # clocks go forward at 2:00
        (dt.date(2024, 10, 27), (7, 0, 7, 20), (17, 5, 17, 25), 1),  # clocks go back at 3:00
    ],
)
def test_kaiserslautern_solstices_and_clock_changes(
    day: dt.date, rise: tuple[int, ...], set_: tuple[int, ...], offset_h: int
) -> None:
    got = sunrise_sunset(*KAISERSLAUTERN, day, BERLIN)
    assert_same_day(got, astral_day(*KAISERSLAUTERN, day))
    for when, (h0, m0, h1, m1) in zip(got, (rise, set_), strict=True):
        assert dt.time(h0, m0) < when.time() < dt.time(h1, m1), when
        assert when.utcoffset() == dt.timedelta(hours=offset_h)


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2024, 3, 31, 1, 59, 59),
        dt.datetime(2024, 3, 31, 2, 30),  # does not exist in Berlin: read with the winter offset
        dt.datetime(2024, 3, 31, 3, 0, 1),
        dt.datetime(2024, 10, 27, 2, 30),  # twice in Berlin: the first (summer time)
        dt.datetime(2024, 10, 27, 2, 30, fold=1),  # the second (winter time)
        dt.datetime(2024, 10, 27, 7, 21, 30),
        dt.datetime(2024, 10, 27, 7, 21, 30, tzinfo=UTC),
    ],
)
def test_darkness_around_the_clock_changes(when: dt.datetime) -> None:
    aware = when.replace(tzinfo=BERLIN) if when.tzinfo is None else when
    assert solar_elevation(*KAISERSLAUTERN, aware) == elevation(Observer(*KAISERSLAUTERN), aware)
    want = elevation(Observer(*KAISERSLAUTERN), aware) < SUNSET_ELEVATION_DEG
    assert is_dark(*KAISERSLAUTERN, when) is want
    assert sun_times(*KAISERSLAUTERN, when).dark is want


def _computed_for_the_day_falls_on(lat: float, lon: float, day: dt.date, rising: bool) -> dt.date:
    """The local day of astral's first sunrise (sunset) computation for ``day``."""
    direction = SunDirection.RISING if rising else SunDirection.SETTING
    first = time_of_transit(Observer(lat, lon), day, 90.0 + SUN_APPARENT_RADIUS, direction)
    return first.astimezone(BERLIN).date()


@pytest.mark.parametrize(
    ("lat", "lon", "day", "rising", "found"),
    [
        (63.489, 91.441, dt.date(2024, 8, 24), True, True),  # Siberia: sunrise ~ midnight Berlin
        (60.197, -151.565, dt.date(2024, 12, 8), False, True),  # Alaska: sunset ~ midnight
        (65.783, 14.93, dt.date(2024, 6, 7), False, True),  # Norway: sunset after midnight
        (61.214, 82.745, dt.date(2024, 3, 30), True, False),  # neither day's falls on the 30th
        (43.711, -78.049, dt.date(2024, 2, 29), False, False),  # Ontario: nor on the 29th
    ],
)
def test_a_sunrise_or_sunset_from_the_neighbouring_day(
    lat: float, lon: float, day: dt.date, rising: bool, found: bool
) -> None:
    """astral's rule: when the time computed for the day falls on another local day, the one
    computed for the neighbouring day is taken if it falls on the day; else there is none."""
    assert _computed_for_the_day_falls_on(lat, lon, day, rising) != day  # the rule is exercised
    want = astral_day(lat, lon, day)
    assert (want != "ValueError") is found
    assert_same_day(our_day(lat, lon, day), want)


@pytest.mark.parametrize(
    ("day", "what"),
    [(dt.date(2024, 12, 21), "below"), (dt.date(2024, 6, 21), "above")],
)
def test_polar_night_and_day_have_no_sunrise(day: dt.date, what: str) -> None:
    with pytest.raises(ValueError, match=f"always {what}"):
        sunrise(Observer(*TROMSO), day, tzinfo=BERLIN)
    with pytest.raises(ValueError, match=f"stays {what}"):
        sunrise_sunset(*TROMSO, day, BERLIN)
    with pytest.raises(ValueError, match=f"stays {what}"):
        sun_times(*TROMSO, dt.datetime.combine(day, dt.time(12)))
    noon = dt.datetime.combine(day, dt.time(12), BERLIN)
    assert is_dark(*TROMSO, noon) is (what == "below")
    assert solar_elevation(*TROMSO, noon) == elevation(Observer(*TROMSO), noon)
