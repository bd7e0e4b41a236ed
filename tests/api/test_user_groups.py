"""Everyone the city named, through the HTTP API, on the shared extracts (issue 12, must show).

* Neukölln 2024: an ``allergy`` route avoiding *Tilia* on 2024-06-20 (lime's main season) is
  longer than the ``walk`` route and passes fewer lime trees; the same request on 2024-01-15 is
  the walk route; a forecast naming *Tilia* in January makes it avoid limes again.
* Kaiserslautern 2013: a ``dog_walk`` route with a higher green share than the walk route, and
  its cost; an ``elderly`` route with its seats and its longest stretch without one.
* Neukölln: ``low_vision`` at 22:00 on 2024-12-01 is computed for the dark, at noon for the day.

The trips are fixed (found once among seeded trips, see the constants); every request names its
date and departure, so the answers do not depend on the day the tests run. The README's user
group examples are these requests, and the figures it shows for them are checked against their
answers (Kaiserslautern as ``make run`` builds it, with its elevation model).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import KAISERSLAUTERN_OSM, SRTM_TILE

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

NEUKOELLN_OSM = "berlin-neukoelln-2024.osm.gz"
#: Neukölln, past the limes of the Körnerpark quarter (of the seeded trips of
#: tests/routing/test_conditions_routing.py, the one with most limes avoided).
LIME_TRIP = {"origin": {"lat": 52.4744102, "lon": 13.4370875},
             "destination": {"lat": 52.4741071, "lon": 13.4404438}}  # fmt: skip
#: Kaiserslautern: to the Gartenschau, where dog_walk keeps to the park.
DOG_TRIP = {"origin": {"lat": 49.4546, "lon": 7.76763},
            "destination": {"lat": 49.45405, "lon": 7.74899}}  # fmt: skip
#: Kaiserslautern: between benches in the south-west, where a route with a seat every 300 m exists.
REST_TRIP = {"origin": {"lat": 49.42313, "lon": 7.73871},
             "destination": {"lat": 49.42537, "lon": 7.74369}}  # fmt: skip
#: Neukölln: a trip whose low_vision route differs in the dark (lit ways) and by day.
NIGHT_TRIP = {"origin": {"lat": 52.47362, "lon": 13.43734},
              "destination": {"lat": 52.47410, "lon": 13.43911}}  # fmt: skip

JUNE = {"date": "2024-06-20", "departure_time": "2024-06-20T10:00"}
JANUARY = {"date": "2024-01-15", "departure_time": "2024-01-15T12:00"}
LIME_ALLERGY = {"name": "allergy", "parameters": {"avoid_pollen": ["tilia"]}}
#: The walk preset reporting its limes: the same weights as walk (nothing is weighed at factor 0).
WALK_COUNTING_LIMES = {
    "name": "walk",
    "parameters": {"avoid_pollen": ["tilia"], "pollen_penalty_factor": 0},
}


@pytest.fixture(scope="module")
def area_client(
    real_build: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., TestClient]]:
    """``area_client(osm_name, dem=None)``: a started app on that extract, with that elevation
    model (one per extract, model and module)."""
    from api.app import create_app
    from api.settings import Settings

    clients: dict[tuple[str, str | None], TestClient] = {}

    def get(osm_name: str, dem: str | None = None) -> TestClient:
        if (osm_name, dem) not in clients:
            graph_dir: Path = real_build(osm_name, dem).out_dir
            database = tmp_path_factory.mktemp("groups-db") / "stufenlos.db"
            app = create_app(Settings(graph_dir=graph_dir, database_url=f"sqlite:///{database}"))
            client = TestClient(app)
            client.__enter__()
            clients[osm_name, dem] = client
        return clients[osm_name, dem]

    yield get
    for client in clients.values():
        client.__exit__(None, None, None)


def route(client: TestClient, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first route and the conditions of ``POST /routes``."""
    response = client.post("/routes", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer["routes"][0], answer["conditions"]


def limes(r: dict[str, Any]) -> float:
    (tilia,) = [p for p in r["pollen"] if p["taxon"] == "tilia"]
    return float(tilia["trees"])


def test_allergy_avoids_limes_in_june_and_walks_in_january(
    area_client: Callable[[str], TestClient],
) -> None:
    client = area_client(NEUKOELLN_OSM)
    walk, _ = route(client, LIME_TRIP | JUNE | {"profile": WALK_COUNTING_LIMES})
    plain_walk, _ = route(client, LIME_TRIP | JUNE | {"profile": {"name": "walk"}})
    assert walk["geometry"] == plain_walk["geometry"]
    assert plain_walk["pollen"] is None  # walk avoids nothing: nothing to say
    june, june_conditions = route(client, LIME_TRIP | JUNE | {"profile": LIME_ALLERGY})
    assert june_conditions["pollen"] == [
        {"taxon": "tilia", "intensity": 3.0, "source": "season_table", "season": "main"}
    ]
    assert june["distance_m"] > walk["distance_m"]
    assert limes(june) < limes(walk)
    (tilia,) = june["pollen"]
    assert tilia["season"] == "main"
    assert tilia["label_de"] == "Linde"
    walk_tilia = walk["pollen"][0]
    assert walk_tilia["stretches"], "the walk route passes limes: where is reported"
    assert walk_tilia["stretches"][0]["trees_per_100m"] > 0
    said = [s["text"] for s in walk["steps"] if s["type"] == "pollen"]
    assert said, walk["steps"]  # "Linden auf den nächsten … m (Hauptblütezeit)"
    assert all("Linden" in text and "Hauptblütezeit" in text for text in said), said

    january, january_conditions = route(client, LIME_TRIP | JANUARY | {"profile": LIME_ALLERGY})
    assert january_conditions["pollen"] == [
        {"taxon": "tilia", "intensity": 0.0, "source": "season_table", "season": "none"}
    ]
    assert january["geometry"] == walk["geometry"]
    assert january["distance_m"] == walk["distance_m"]
    assert limes(january) == limes(walk)

    # the day's forecast overrides the season table: lime pollen in January is avoided again
    forecast = LIME_TRIP | JANUARY | {"profile": LIME_ALLERGY, "pollen_forecast": {"tilia": "2-3"}}
    forecast_route, forecast_conditions = route(client, forecast)
    assert forecast_conditions["pollen"][0]["source"] == "forecast"
    assert forecast_conditions["pollen"][0]["intensity"] == 2.5
    assert limes(forecast_route) < limes(walk)


def test_dog_walk_is_greener_than_walk_and_says_what_it_costs(
    area_client: Callable[[str], TestClient],
) -> None:
    client = area_client(KAISERSLAUTERN_OSM)
    walk, _ = route(client, DOG_TRIP | JUNE | {"profile": {"name": "walk"}})
    dog, _ = route(client, DOG_TRIP | JUNE | {"profile": {"name": "dog_walk"}})
    assert dog["green_share"] > walk["green_share"] + 0.3
    assert dog["parks"]
    assert all(p["name"] and p["length_m"] > 0 for p in dog["parks"])
    # its cost: longer and slower than the walk route, said in metres, seconds and as a detour
    assert dog["distance_m"] > walk["distance_m"]
    assert dog["duration_s"] > walk["duration_s"]
    assert dog["detour"]["walk_distance_m"] == pytest.approx(walk["distance_m"], abs=0.2)
    assert dog["cost_s"] > 0
    assert walk["cost_s"] > 0
    parks = [s["text"] for s in dog["steps"] if s["type"] == "green"]
    assert parks, dog["steps"]  # "Park-Abschnitt … m (name)"
    assert all(text.startswith("Park-Abschnitt") for text in parks), parks


def test_elderly_route_reports_its_seats_and_longest_gap(
    area_client: Callable[[str], TestClient],
) -> None:
    client = area_client(KAISERSLAUTERN_OSM)
    elderly, _ = route(client, REST_TRIP | JUNE | {"profile": {"name": "elderly"}})
    walk, _ = route(client, REST_TRIP | JUNE | {"profile": {"name": "walk"}})
    rests = elderly["rests"]
    assert rests["limit_m"] == 300.0
    assert rests["keeps_limit"] is True
    assert rests["least_bad"] is False
    assert rests["seat_count"] == len(rests["seats"]) >= 2
    assert 0 < rests["longest_gap_m"] <= 300.0
    gap = rests["longest_gap"]
    assert gap["to"]["at_m"] - gap["from"]["at_m"] == pytest.approx(rests["longest_gap_m"], abs=0.2)
    at = [s["at_m"] for s in rests["seats"]]
    assert at == sorted(at)
    assert all(0 <= a <= elderly["distance_m"] + 0.1 for a in at)
    assert {s["kind"] for s in rests["seats"]} <= {"bench", "picnic_table", "stop", "shelter"}
    assert {s["backrest"] for s in rests["seats"]} <= {"yes", "no", "unknown"}
    # the walk route has no limit and a longer stretch without a seat
    assert walk["rests"]["limit_m"] is None
    assert walk["rests"]["keeps_limit"] is None
    assert walk["rests"]["longest_gap_m"] > 300.0


def test_low_vision_says_dark_at_night_and_day_at_noon(
    area_client: Callable[[str], TestClient],
) -> None:
    client = area_client(NEUKOELLN_OSM)
    body = NIGHT_TRIP | {"profile": {"name": "low_vision"}}
    night, night_conditions = route(client, body | {"departure_time": "2024-12-01T22:00"})
    day, day_conditions = route(client, body | {"departure_time": "2024-12-01T12:00"})
    assert night_conditions["dark"] is True
    assert night_conditions["light_rules_apply"] is True
    assert day_conditions["dark"] is False
    assert day_conditions["light_rules_apply"] is False
    assert night["lit"]["light"] == "dark"
    assert day["lit"]["light"] == "day"
    assert night_conditions["sunset"] < "2024-12-01T22:00" < "2024-12-02"
    # in the dark, ways known to be unlit (and of unknown light) cost more: the route differs
    assert night["geometry"] != day["geometry"]
    assert night["lit"]["unlit_m"] + night["lit"]["unknown_m"] <= (
        day["lit"]["unlit_m"] + day["lit"]["unknown_m"]
    )


#: The figures of a README answer compared with the answer to its request: key → where it is.
README_FIGURES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "distance_m": lambda r: r["distance_m"],
    "duration_s": lambda r: r["duration_s"],
    "walk_distance_m": lambda r: r["detour"]["walk_distance_m"],
    "trees": lambda r: r["pollen"][0]["trees"],
    "longest_gap_m": lambda r: r["rests"]["longest_gap_m"],
    "green_share": lambda r: r["green_share"],
    "share": lambda r: r["lit"]["share"],
}


def readme_examples() -> list[tuple[dict[str, Any], str]]:
    """Each ``POST /routes`` example of the README: its request and the answer shown."""
    import json
    import re

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    found = re.findall(
        r"```sh\ncurl -s localhost:8000/routes [^\n]*-d '(\{.*?\})'\n```\n```json\n(.*?)```",
        text,
        flags=re.S,
    )
    return [(json.loads(body), shown) for body, shown in found]


def test_the_readme_examples_answer_what_the_readme_shows(
    area_client: Callable[..., TestClient],
) -> None:
    """The user groups' README examples are real answers: each request, sent now, answers the
    figures shown (they went stale once, when walking in a carriageway became a crossing)."""
    import re

    examples = readme_examples()
    assert len(examples) >= 4
    for body, shown in examples:
        # Kaiserslautern is the default area, built with its elevation model (``make run``)
        neukoelln = body["origin"]["lat"] > 51
        client = (
            area_client(NEUKOELLN_OSM) if neukoelln else area_client(KAISERSLAUTERN_OSM, SRTM_TILE)
        )
        answer, _ = route(client, body)
        for key, read in README_FIGURES.items():
            match = re.search(rf'"{key}": (-?[0-9.]+)', shown)
            if match is not None:
                assert read(answer) == pytest.approx(float(match.group(1))), (key, body)
