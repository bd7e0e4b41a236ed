"""A request's day: its date, departure time and pollen forecast, resolved at the origin.

:func:`request_conditions` turns the optional ``date``, ``departure_time`` and ``pollen_forecast``
of a request (:class:`api.schemas.ConditionsRequest`) into the
:class:`~accessibility_rules.conditions.Conditions` the router weighs the profile in (only what
the profile reacts to, so equal requests share a cached metric) and into the ``conditions`` of
the response: the pollen day, the departure, darkness at the origin, sunrise and sunset, whether
the light rules applied and the intensity of each avoided taxon with its source.

A naive departure time is Europe/Berlin time; none is now. Nothing is clamped: a departure
outside :data:`~api.schemas.DEPARTURE_YEARS` is 422 ``parameter_out_of_range``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from accessibility_rules.conditions import (
    BERLIN,
    Conditions,
    avoided_pollen,
    cares_about_light,
    day_light,
    reacted_to,
)
from accessibility_rules.pollen import parse_forecast, seasons
from accessibility_rules.profile import Profile
from api.errors import ApiError
from api.schemas import DEPARTURE_YEARS, ConditionsRequest, in_berlin

__all__ = ["RequestDay", "request_conditions"]


@dataclass(frozen=True, slots=True)
class RequestDay:
    """The conditions to route in, the pollen day, darkness at the origin, and the response's
    ``conditions`` (JSON-ready)."""

    conditions: Conditions
    day: dt.date
    dark: bool
    body: dict[str, Any]


def _departure(req: ConditionsRequest) -> dt.datetime:
    when = req.departure_time
    if when is None:
        return dt.datetime.now(BERLIN).replace(microsecond=0)
    first, last = DEPARTURE_YEARS
    local = in_berlin(when, first, last)  # the year where the day is
    if local is None:
        raise ApiError(
            422, "parameter_out_of_range",
            f"departure_time must be in the years {first}-{last} (Europe/Berlin time), got "
            f"{when.isoformat()}",
            parameter="departure_time", value=when.isoformat(), minimum=first, maximum=last,
            unit="year",
        )  # fmt: skip
    return local


def request_conditions(
    req: ConditionsRequest, profile: Profile, lat: float, lon: float
) -> RequestDay:
    """The day of ``req`` for ``profile`` at the origin (``lat``, ``lon``)."""
    when = _departure(req)
    day = req.date if req.date is not None else when.date()
    light = day_light(lat, lon, when)
    dark = light.dark
    try:
        forecast = parse_forecast(cast("Mapping[str, object]", req.pollen_forecast or {}))
        conditions, pollen = _day_rules(profile, day, dark, tuple(forecast.items()))
    except ValueError as exc:  # the schema admits only known keys and values: a safety net
        raise ApiError(422, "invalid_request", str(exc), field="pollen_forecast") from exc
    body = {
        "date": day.isoformat(),
        "departure_time": when.isoformat(timespec="seconds"),
        "dark": dark,
        "sunrise": light.sunrise,
        "sunset": light.sunset,
        "light_rules_apply": dark and cares_about_light(profile),
        "pollen": list(pollen),
    }
    return RequestDay(conditions, day, dark, body)


@functools.lru_cache(maxsize=64)  # each entry holds its profile (7.4 kB): _profile_json's size
def _day_rules(
    profile: Profile, day: dt.date, dark: bool, forecast: tuple[tuple[str, float], ...]
) -> tuple[Conditions, tuple[dict[str, Any], ...]]:
    """What ``profile`` reacts to on ``day`` (darkness ``dark``, the parsed ``forecast`` as
    items) and the response's pollen records: the same for every request of a profile and day
    (most name neither a date nor a forecast), so cached; the records are shared, not to be
    changed. Was 3-4 % of an answer's CPU, recomputed per request."""
    given = dict(forecast)
    avoided = avoided_pollen(profile, day, given)
    conditions = reacted_to(profile, avoided, dark)
    table = seasons()
    pollen = tuple(
        {
            "taxon": taxon,
            "intensity": conditions.intensity(taxon),
            "source": "forecast" if taxon in given else "season_table",
            "season": table[taxon].season(day.month),
        }
        for taxon, _ in avoided
    )
    return conditions, pollen
