"""The day's clock and the answer's sun against their references: ``datetime`` and the sun module.

:meth:`~accessibility_rules.zone_day.ZoneDay.text` reads an instant with integer arithmetic and
offsets found once per day; ``datetime`` converts each instant with ``zoneinfo`` and formats it:
the texts must be equal for every instant a day's sunrise or sunset can take, in zones with clock
changes forward, back, by half an hour, in negative summer time and in Berlin's war years.
:func:`~accessibility_rules.conditions.day_light` must give what :func:`is_dark` and
:func:`sun_times` give (their texts), which ``test_sun.py`` holds to astral.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accessibility_rules import conditions
from accessibility_rules.conditions import BERLIN, DayLight, day_light, is_dark, sun_times
from accessibility_rules.zone_day import zone_day

from .test_sun import AWARE_OR_NAIVE, KAISERSLAUTERN, LATITUDES, LONGITUDES, TROMSO

ZONES = [
    BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"),  # DST of 30 minutes
    ZoneInfo("Europe/Dublin"),  # negative summer time in zoneinfo's data
    ZoneInfo("Pacific/Kiritimati"), dt.UTC, dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
]  # fmt: skip
DAYS = st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))
SECONDS = st.integers(0, 2 * 86_400)


def reference_text(day: dt.date, tz: dt.tzinfo, utc_seconds: int) -> str | None:
    local = (dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=utc_seconds
    )).astimezone(tz)  # fmt: skip
    return local.isoformat(timespec="seconds") if local.date() == day else None


@settings(max_examples=1500, deadline=None)
@given(day=DAYS, tz=st.sampled_from(ZONES), utc_seconds=SECONDS)
@example(day=dt.date(2024, 3, 31), tz=BERLIN, utc_seconds=3_599)  # the last second of winter time
@example(day=dt.date(2024, 3, 31), tz=BERLIN, utc_seconds=3_600)  # the first of summer time
@example(day=dt.date(2024, 10, 27), tz=BERLIN, utc_seconds=3_600)
@example(day=dt.date(1945, 5, 24), tz=BERLIN, utc_seconds=3_600)  # double summer time begins
def test_texts_equal_datetimes(day: dt.date, tz: dt.tzinfo, utc_seconds: int) -> None:
    assert zone_day(day, tz).text(utc_seconds) == reference_text(day, tz, utc_seconds)


@pytest.mark.parametrize(
    ("day", "tz"),
    [
        (dt.date(2024, 3, 31), BERLIN), (dt.date(2024, 10, 27), BERLIN),
        (dt.date(1945, 5, 24), BERLIN), (dt.date(2024, 4, 7), ZoneInfo("Australia/Lord_Howe")),
        (dt.date(2024, 3, 10), ZoneInfo("America/New_York")), (dt.date(2024, 6, 21), BERLIN),
    ],
)  # fmt: skip
def test_every_second_of_a_clock_change_day(day: dt.date, tz: dt.tzinfo) -> None:
    clock = zone_day(day, tz)
    assert [clock.text(s) for s in range(0, 2 * 86_400 + 1, 7)] == [
        reference_text(day, tz, s) for s in range(0, 2 * 86_400 + 1, 7)
    ]


def reference_light(lat: float, lon: float, when: dt.datetime) -> DayLight:
    try:
        sun = sun_times(lat, lon, when)
    except ValueError:
        return DayLight(is_dark(lat, lon, when), None, None)
    assert sun.dark is is_dark(lat, lon, when)
    return DayLight(
        sun.dark,
        sun.sunrise.isoformat(timespec="seconds"),
        sun.sunset.isoformat(timespec="seconds"),
    )


@settings(max_examples=1500, deadline=None)
@given(lat=LATITUDES, lon=LONGITUDES, when=AWARE_OR_NAIVE)
@example(lat=63.489, lon=91.441, when=dt.datetime(2024, 8, 24, 12))  # the neighbouring day's
@example(lat=61.214, lon=82.745, when=dt.datetime(2024, 3, 30, 12))  # none on the day
@example(lat=TROMSO[0], lon=TROMSO[1], when=dt.datetime(2024, 12, 21, 12))  # polar night
@example(lat=TROMSO[0], lon=TROMSO[1], when=dt.datetime(2024, 6, 21, 12))  # polar day
@example(lat=KAISERSLAUTERN[0], lon=KAISERSLAUTERN[1], when=dt.datetime(2024, 3, 31, 2, 30))
@example(
    lat=KAISERSLAUTERN[0], lon=KAISERSLAUTERN[1], when=dt.datetime(2024, 10, 27, 2, 30, fold=1)
)
def test_day_light_equals_is_dark_and_sun_times(lat: float, lon: float, when: dt.datetime) -> None:
    assert day_light(lat, lon, when) == reference_light(lat, lon, when)


def test_kaiserslautern_every_day_of_a_year_by_the_fast_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every day of a leap year at the city's centre, by day and in the evening: the texts come
    from the day's clock (no day there takes :func:`sun_times`' way) and equal the reference's."""
    times = [
        dt.datetime(2024, 1, 1, hour, 30, tzinfo=BERLIN) + dt.timedelta(days=n)
        for n in range(366) for hour in (12, 18)
    ]  # fmt: skip
    want = [reference_light(*KAISERSLAUTERN, when) for when in times]
    monkeypatch.setattr(conditions, "sun_times", None)  # the other way would fail
    assert [day_light(*KAISERSLAUTERN, when) for when in times] == want
    assert {light.dark for light in want} == {False, True}


@pytest.mark.parametrize("utc_seconds", [-1, 2 * 86_400 + 1])
def test_an_instant_outside_the_day_is_an_error(utc_seconds: int) -> None:
    with pytest.raises(ValueError, match="not within the 172800 s"):
        zone_day(dt.date(2024, 6, 21), BERLIN).text(utc_seconds)
