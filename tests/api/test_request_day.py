"""A request's day (api.conditions.request_conditions): the per-day rules it caches give what the
rules give computed anew, for every profile, day, darkness and forecast."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

import pytest

from accessibility_rules.conditions import (
    BERLIN,
    avoided_pollen,
    cares_about_light,
    day_light,
    reacted_to,
)
from accessibility_rules.pollen import parse_forecast, seasons
from accessibility_rules.profile import load_preset
from api.conditions import request_conditions
from api.schemas import RouteRequest

KAISERSLAUTERN = (49.4447, 7.7690)


def _request(**day: Any) -> RouteRequest:
    lat, lon = KAISERSLAUTERN
    return RouteRequest.model_validate(
        {
            "origin": {"lat": lat, "lon": lon},
            "destination": {"lat": lat + 0.01, "lon": lon},
            "profile": {"name": "walk"},
            **day,
        }
    )


def _anew(req: RouteRequest, preset: str) -> tuple[Any, dict[str, Any]]:
    """The conditions and the response's ``conditions`` by the rules, nothing cached."""
    profile = load_preset(preset)
    assert req.departure_time is not None
    when = req.departure_time.replace(tzinfo=BERLIN)
    day = req.date if req.date is not None else when.date()
    light = day_light(*KAISERSLAUTERN, when)
    forecast = parse_forecast(cast("Mapping[str, object]", req.pollen_forecast or {}))
    avoided = avoided_pollen(profile, day, forecast)
    conditions = reacted_to(profile, avoided, light.dark)
    pollen = [
        {
            "taxon": taxon,
            "intensity": conditions.intensity(taxon),
            "source": "forecast" if taxon in forecast else "season_table",
            "season": seasons()[taxon].season(day.month),
        }
        for taxon, _ in avoided
    ]
    body = {
        "date": day.isoformat(),
        "departure_time": when.isoformat(timespec="seconds"),
        "dark": light.dark,
        "sunrise": light.sunrise,
        "sunset": light.sunset,
        "light_rules_apply": cares_about_light(profile) and light.dark,
        "pollen": pollen,
    }
    return conditions, body


@pytest.mark.parametrize("preset", ["allergy", "walk", "blind", "wheelchair"])
@pytest.mark.parametrize("forecast", [None, {"betula": 3}, {"Graeser": "1-2", "betula": 0}])
def test_the_cached_day_rules_equal_the_rules_computed_anew(
    preset: str, forecast: dict[str, Any] | None
) -> None:
    profile = load_preset(preset)
    for month, hour in ((4, 3), (4, 13), (7, 23), (12, 12), (4, 3)):  # the last: cached
        departure = dt.datetime(2026, month, 10, hour, 30)
        for date in (None, dt.date(2026, 5, 1)):
            req = _request(
                departure_time=departure.isoformat(),
                **({} if date is None else {"date": date.isoformat()}),
                **({} if forecast is None else {"pollen_forecast": forecast}),
            )
            got = request_conditions(req, profile, *KAISERSLAUTERN)
            conditions, body = _anew(req, preset)
            assert got.conditions == conditions
            assert got.body == body
            assert got.dark == body["dark"]


def test_changing_one_answers_pollen_list_leaves_the_next_answer_alone() -> None:
    profile = load_preset("allergy")
    req = _request(departure_time="2026-04-10T13:30:00")
    first = request_conditions(req, profile, *KAISERSLAUTERN)
    expected = [dict(p) for p in first.body["pollen"]]
    assert expected, "the allergy profile avoids taxa in flight in April"
    first.body["pollen"].clear()
    assert request_conditions(req, profile, *KAISERSLAUTERN).body["pollen"] == expected
