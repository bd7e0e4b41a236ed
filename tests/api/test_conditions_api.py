"""The day's parameters of ``POST /routes``, ``GET /routes`` and ``POST /matrix``: ``date``,
``departure_time`` and ``pollen_forecast`` are validated (422 naming the field, never clamped),
resolved at the origin and reported as ``conditions``; every route carries its rests, pollen,
green and light facts. Real data: the Kaiserslautern centre extract."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest
from fastapi.testclient import TestClient

from accessibility_rules.pollen import parse_forecast
from api.schemas import PollenForecastKey

pytestmark = pytest.mark.realdata

TRIP = {"origin": {"lat": 49.4447, "lon": 7.7690}, "destination": {"lat": 49.4390, "lon": 7.7640}}


def invalid(response: httpx.Response, field: str, code: str = "invalid_request") -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code, body
    if code == "invalid_request":
        assert field in {e["field"].split(".")[0] for e in body["details"]["errors"]}, body
    else:
        assert body["details"]["parameter"] == field, body
    return body


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date": "2024-13-01"}, "date"),
        ({"date": "20.06.2024"}, "date"),
        ({"date": 1718841600}, "date"),
        ({"departure_time": "tomorrow"}, "departure_time"),
        ({"departure_time": "1733086800"}, "departure_time"),
        ({"departure_time": 1733086800}, "departure_time"),
        ({"departure_time": "2024-12-01T25:00"}, "departure_time"),
        ({"pollen_forecast": {"tilia": 4}}, "pollen_forecast"),
        ({"pollen_forecast": {"tilia": -1}}, "pollen_forecast"),
        ({"pollen_forecast": {"tilia": 1.25}}, "pollen_forecast"),
        ({"pollen_forecast": {"tilia": "high"}}, "pollen_forecast"),
        ({"pollen_forecast": {"tilia": True}}, "pollen_forecast"),
        ({"pollen_forecast": {"Linde": 1}}, "pollen_forecast"),
        ({"pollen_forecast": ["tilia", 3]}, "pollen_forecast"),
    ],
)
def test_bad_day_parameters_are_rejected_naming_the_field(
    client: TestClient, fields: dict[str, Any], field: str
) -> None:
    invalid(client.post("/routes", json=TRIP | fields), field)


def test_a_departure_outside_the_years_is_out_of_range_not_clamped(client: TestClient) -> None:
    body = invalid(
        client.post("/routes", json=TRIP | {"departure_time": "1850-06-01T12:00"}),
        "departure_time",
        "parameter_out_of_range",
    )
    assert body["details"]["minimum"] == 1900
    matrix = {"sources": [TRIP["origin"]], "targets": [TRIP["destination"]]}
    invalid(
        client.post("/matrix", json=matrix | {"departure_time": "2300-01-01T00:00Z"}),
        "departure_time",
        "parameter_out_of_range",
    )


def test_every_forecast_key_is_one_the_season_table_reads() -> None:
    keys = get_args(PollenForecastKey)
    assert len(set(parse_forecast(dict.fromkeys(keys, 1)))) == 9  # every taxon named
    for key in keys:
        parse_forecast({key: "1-2"})  # no key the schema admits is unknown to the table


def test_conditions_are_reported_and_routes_carry_their_facts(client: TestClient) -> None:
    response = client.post(
        "/routes",
        json=TRIP
        | {
            "profile": {"name": "allergy"},
            "date": "2024-04-10",
            "departure_time": "2024-04-10T21:30:00+02:00",
            "pollen_forecast": {"Birke": "1-2", "Graeser": 0, "tilia": 0.5},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    conditions = body["conditions"]
    assert conditions["date"] == "2024-04-10"
    assert conditions["departure_time"] == "2024-04-10T21:30:00+02:00"
    assert conditions["dark"] is True
    assert conditions["light_rules_apply"] is False  # allergy has no light rule
    pollen = {p["taxon"]: p for p in conditions["pollen"]}
    assert pollen["betula"] == {
        "taxon": "betula", "intensity": 1.5, "source": "forecast", "season": "main",
    }  # fmt: skip
    assert pollen["grasses"]["intensity"] == 0.0
    assert pollen["grasses"]["source"] == "forecast"
    assert pollen["tilia"]["intensity"] == 0.5
    assert pollen["fraxinus"] == {
        "taxon": "fraxinus", "intensity": 3.0, "source": "season_table", "season": "main",
    }  # fmt: skip
    route = body["routes"][0]
    assert [p["taxon"] for p in route["pollen"]] == [
        "corylus", "alnus", "betula", "fraxinus", "quercus", "tilia", "grasses",
    ]  # fmt: skip
    for taxon in route["pollen"]:
        # the 2013 extract has trees without genus only: exposure unknown, never "no trees"
        if taxon["taxon"] != "grasses":
            assert taxon["trees"] == 0.0
            assert taxon["unknown_m"] > 0
    assert route["rests"]["limit_m"] is None
    assert route["lit"]["light"] == "dark"
    assert route["lit"]["lit_m"] + route["lit"]["unlit_m"] + route["lit"]["unknown_m"] == (
        pytest.approx(route["distance_m"], abs=0.5)
    )
    assert route["green_share"] is None or 0 <= route["green_share"] <= 1
    assert isinstance(route["parks"], list)
    assert route["cost_s"] >= route["duration_s"] * 0.99


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("2026-03-29T02:30", "2026-03-29T03:30:00+02:00"),  # clocks skip 02:00-03:00
        ("2026-03-29T01:30", "2026-03-29T01:30:00+01:00"),
        ("2026-10-25T02:30", "2026-10-25T02:30:00+02:00"),  # shown twice: the first
        ("2026-10-25T02:30+01:00", "2026-10-25T02:30:00+01:00"),  # the second, as asked
    ],
)
def test_a_departure_the_clocks_skip_is_said_as_they_show_it(
    client: TestClient, asked: str, said: str
) -> None:
    """A naive departure on the spring morning the clocks go forward, between 02:00 and 03:00,
    names no time a Kaiserslautern clock shows: it was answered as "02:30:00+01:00" (the
    offset before the change, an instant shown as 03:30). Now it is said as shown."""
    response = client.post("/routes", json=TRIP | {"departure_time": asked})
    assert response.status_code == 200, response.text
    assert response.json()["conditions"]["departure_time"] == said


def test_the_same_day_gives_the_same_answer_and_the_date_changes_the_pollen(
    client: TestClient,
) -> None:
    body = TRIP | {"profile": {"name": "allergy"}, "departure_time": "2024-07-01T09:00"}
    first = client.post("/routes", json=body).json()
    assert client.post("/routes", json=body).json() == first
    assert first["conditions"]["date"] == "2024-07-01"  # the departure's day
    winter = client.post("/routes", json=body | {"date": "2024-11-20"}).json()
    assert winter["conditions"]["date"] == "2024-11-20"
    assert all(p["intensity"] == 0 for p in winter["conditions"]["pollen"])


def test_get_routes_takes_date_and_departure_time(client: TestClient) -> None:
    query = "from=49.4447,7.7690&to=49.4390,7.7640&profile=low_vision"
    night = client.get(f"/routes?{query}&departure_time=2024-12-01T22:00&date=2024-06-20")
    assert night.status_code == 200, night.text
    assert night.json()["conditions"]["dark"] is True
    assert night.json()["conditions"]["date"] == "2024-06-20"
    assert night.json()["routes"][0]["lit"]["light"] == "dark"
    day = client.get(f"/routes?{query}&departure_time=2024-12-01T12:00")
    assert day.json()["routes"][0]["lit"]["light"] == "day"
    bad = client.get(f"/routes?{query}&departure_time=noon")
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_request"


def test_matrix_cells_are_weighed_in_the_day_of_the_request(client: TestClient) -> None:
    points = [TRIP["origin"], TRIP["destination"]]
    request = {"sources": points, "targets": points, "profile": {"name": "low_vision"}}
    for when, dark in (("2024-12-01T22:00", True), ("2024-12-01T12:00", False)):
        response = client.post("/matrix", json=request | {"departure_time": when})
        assert response.status_code == 200, response.text
        matrix = response.json()
        assert matrix["conditions"]["dark"] is dark
        single = client.post(
            "/routes",
            json={"origin": points[0], "destination": points[1], "profile": {"name": "low_vision"}}
            | {"departure_time": when},
        ).json()["routes"][0]
        assert matrix["distances_m"][0][1] == pytest.approx(single["distance_m"], abs=0.2)


def test_profiles_document_the_days_parameters_and_every_new_profile_parameter(
    client: TestClient,
) -> None:
    body = client.get("/profiles").json()
    days = {row["name"]: row for row in body["conditions"]}
    assert set(days) == {"date", "departure_time", "pollen_forecast"}
    for row in days.values():
        assert row["label_de"]
        assert row["label_en"]
        assert row["default"]
        assert row["description"]
    forecast = days["pollen_forecast"]
    assert (forecast["minimum"], forecast["maximum"], forecast["step"]) == (0.0, 3.0, 0.5)
    assert {"tilia", "Birke", "Graeser"} <= set(forecast["choices"])
    assert days["departure_time"]["minimum"].startswith("1900")
    rows = {row["name"]: row for row in body["parameters"]}
    new = [
        "max_distance_between_rests_m", "avoid_pollen", "pollen_penalty_factor",
        "green_preference", "require_lit", "unlit_penalty_factor", "unknown.pollen",
    ]  # fmt: skip
    for name in new:
        row = rows[name]
        assert row["label_de"], name
        assert row["label_en"], name
        assert row["description"], name
        assert set(row["defaults"]) == {p["name"] for p in body["profiles"]}, name
    rests = rows["max_distance_between_rests_m"]
    assert (rests["unit"], rests["minimum"], rests["maximum"]) == ("m", 50.0, 2000.0)
    assert rests["nullable"] is True
    assert rests["defaults"]["elderly"] == 300.0
    assert rests["defaults"]["walk"] is None


def test_the_serving_parent_customises_presets_in_the_days_requests_meet(
    centre_graph_dir: Any,
) -> None:
    """Requests are weighed in their day (dark or day, today's pollen): the metrics the forked
    workers share are those, not only the ones of no conditions."""
    from accessibility_rules.conditions import Conditions
    from accessibility_rules.profile import load_preset
    from api.preload import preset_conditions
    from graphs.store import load_graph
    from routing.engine import Router

    router = Router(load_graph(centre_graph_dir))
    low_vision = preset_conditions(router, load_preset("low_vision"))
    assert {c.dark for c in low_vision} == {True, False}
    assert preset_conditions(router, load_preset("walk")) == [Conditions()]
