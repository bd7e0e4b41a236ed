"""Every endpoint and every error code of the HTTP API, in process (``TestClient``).

The app runs on the graph of the Kaiserslautern centre extract (lat 49.436–49.446,
lon 7.760–7.777), loaded by the lifespan exactly as ``stufenlos serve`` does.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from accessibility_rules.profile import preset_names
from api.schemas import RouteOut
from tests.api.serving import app_state
from tests.api.support import assert_error

pytestmark = pytest.mark.realdata

ORIGIN = {"lat": 49.4447, "lon": 7.7690}  # Am Altenhof, near the Stiftskirche
DESTINATION = {"lat": 49.4390, "lon": 7.7640}  # Pirmasenser Straße, south-west of the centre
VIA = {"lat": 49.4420, "lon": 7.7730}  # east of the direct way
#: Every kind of instruction step (routing/instructions.py).
STEP_TYPES = {
    "depart",
    "obstacle",
    "turn",
    "via",
    "barrier",
    "rest",
    "pollen",
    "green",
    "light",
    "arrive",
}
PRESETS = [
    "allergy", "blind", "dog_walk", "elderly", "electric_wheelchair", "low_vision", "rollator",
    "stroller", "walk", "wheelchair",
]  # fmt: skip
ATTRIBUTION = "© OpenStreetMap contributors"


# ------------------------------------------------------------------------------------ helpers


def route_body(**fields: Any) -> dict[str, Any]:
    """A POST /routes body from ORIGIN to DESTINATION with ``fields`` added or replaced."""
    return {"origin": ORIGIN, "destination": DESTINATION} | fields


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points in metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def check_route_response(body: dict[str, Any], bbox: list[float]) -> None:
    """Everything every route response must carry (attribution, GeoJSON, steps)."""
    assert ATTRIBUTION in body["attribution"]
    assert body["routes"], body
    west, south, east, north = bbox
    eps = 1e-6
    for route in body["routes"]:
        assert ATTRIBUTION in route["attribution"]
        assert route["distance_m"] > 0
        assert route["duration_s"] > 0
        verdict = RouteOut.model_validate(route).accessibility  # typed as documented
        assert route["fully_accessible"] is (verdict.verdict == "yes")  # deprecated mirror
        assert (verdict.verdict == "no") == bool(verdict.breaks)
        if verdict.verdict == "yes":
            assert not verdict.relies_on
            assert verdict.known_share == 1.0
        geometry = route["geometry"]
        assert geometry["type"] == "LineString"
        coords = geometry["coordinates"]
        assert len(coords) >= 2
        for position in coords:
            assert len(position) == 2, position  # RFC 7946: [lon, lat], no altitude here
            lon, lat = position
            assert math.isfinite(lon)
            assert math.isfinite(lat)
            assert west - eps <= lon <= east + eps, position  # [lon, lat] order, not [lat, lon]
            assert south - eps <= lat <= north + eps, position
        steps = route["steps"]
        assert steps, route
        assert steps[0]["type"] == "depart"
        assert steps[-1]["type"] == "arrive"
        for step in steps:
            assert isinstance(step["text"], str)
            assert step["text"].strip()
            assert step["type"] in STEP_TYPES
        ats = [s["at_m"] for s in steps]
        assert ats == sorted(ats)
        assert ats[-1] == pytest.approx(route["distance_m"], abs=0.2)


@pytest.fixture(scope="module")
def bbox(client: TestClient) -> list[float]:
    """The graph's bounding box [west, south, east, north] as /health reports it."""
    return client.get("/health").json()["graph"]["bbox"]


# ------------------------------------------------------------------------------------- health


def test_health_reports_graph_versions_and_attribution(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    graph = body["graph"]
    assert graph["nodes"] > 100
    assert graph["edges"] > graph["nodes"]
    assert graph["source"].endswith("kaiserslautern-centre-2013.osm.gz")
    assert len(graph["source_sha256"]) == 64
    int(graph["source_sha256"], 16)
    assert graph["built_at"]
    assert graph["revision"] == 0
    west, south, east, north = graph["bbox"]
    assert 7.75 < west < east < 7.79
    assert 49.43 < south < north < 49.45
    assert body["software_version"]
    assert ATTRIBUTION in body["attribution"]


def test_health_data_timestamp_is_plausible(client: TestClient) -> None:
    """The 2013 extract carries Osmosis placeholder timestamps: none, or not after the build."""
    graph = client.get("/health").json()["graph"]
    stamp = graph["data_timestamp"]
    assert stamp is None or stamp[:10] <= graph["built_at"][:10], stamp


# ----------------------------------------------------------------------------------- profiles


def test_profiles_lists_every_preset_with_labels(client: TestClient) -> None:
    response = client.get("/profiles")
    assert response.status_code == 200
    body = response.json()
    names = [p["name"] for p in body["profiles"]]
    assert sorted(names) == PRESETS
    assert sorted(preset_names()) == PRESETS
    for p in body["profiles"]:
        assert p["label_de"].strip()
        assert p["label_en"].strip()


def test_profiles_parameter_table_has_units_ranges_and_every_default(client: TestClient) -> None:
    table = client.get("/profiles").json()["parameters"]
    assert len(table) > 20
    names = [row["name"] for row in table]
    assert len(names) == len(set(names))
    assert {"max_kerb_height_cm", "max_incline_percent", "walking_speed_mps"} <= set(names)
    assert any(n.startswith("unknown.") for n in names)
    for row in table:
        assert {"name", "type", "nullable", "unit", "minimum", "maximum", "defaults"} <= set(row)
        assert sorted(row["defaults"]) == PRESETS, row["name"]
        if row["type"] in ("number", "integer"):
            assert row["unit"], row["name"]
            assert row["minimum"] < row["maximum"], row["name"]
            for preset, default in row["defaults"].items():
                if default is None:
                    assert row["nullable"], (row["name"], preset)
                else:
                    assert row["minimum"] <= default <= row["maximum"], (row["name"], preset)
        elif row["type"] in ("enum", "set"):
            assert row["choices"], row["name"]
    kerb = next(r for r in table if r["name"] == "max_kerb_height_cm")
    assert (kerb["unit"], kerb["minimum"], kerb["maximum"]) == ("cm", 0.0, 50.0)


def test_profiles_document_the_pollen_green_and_light_parameters(client: TestClient) -> None:
    rows = {row["name"]: row for row in client.get("/profiles").json()["parameters"]}
    expected = {
        "pollen_penalty_factor": ("×", 0, 10), "green_preference": ("×", 0, 5),
        "unlit_penalty_factor": ("×", 1, 100),
    }  # fmt: skip
    for name, (unit, lo, hi) in expected.items():
        assert (rows[name]["unit"], rows[name]["minimum"], rows[name]["maximum"]) == (unit, lo, hi)
        assert rows[name]["label_de"]
        assert rows[name]["label_en"]
    assert rows["avoid_pollen"]["type"] == "set"
    assert "tilia" in rows["avoid_pollen"]["choices"]
    assert "tilia" in rows["avoid_pollen"]["defaults"]["allergy"]
    assert rows["green_preference"]["defaults"]["dog_walk"] > 0
    assert rows["require_lit"]["type"] == "boolean"
    assert rows["unknown.pollen"]["defaults"]["allergy"] == "penalize"


@pytest.mark.parametrize("name", PRESETS)
def test_one_profile_with_its_defaults(client: TestClient, name: str) -> None:
    response = client.get(f"/profiles/{name}")
    assert response.status_code == 200
    body = response.json()
    profile = body["profile"]
    assert profile["name"] == name
    assert profile["customised"] is False
    for row in body["parameters"]:
        assert "defaults" not in row
        assert {"name", "unit", "minimum", "maximum", "default"} <= set(row)
        parent, _, leaf = row["name"].rpartition(".")
        value = profile[parent][leaf] if parent else profile[leaf]
        assert row["default"] == value, row["name"]


def test_unknown_profile_is_404(client: TestClient) -> None:
    body = assert_error(client.get("/profiles/skateboard"), 404, "unknown_profile")
    assert "skateboard" in body["message"]
    assert sorted(body["details"]["known"]) == PRESETS


# ------------------------------------------------------------------------------------- routes

OVERRIDES: dict[str, dict[str, Any]] = {
    "allergy": {"avoid_pollen": ["tilia", "betula"], "pollen_penalty_factor": 3.0},
    "dog_walk": {"green_preference": 2.0},
    "blind": {"unknown.acoustic_signal": "penalize", "walking_speed_mps": 0.9},
    "elderly": {"max_incline_percent": 8, "crossing_delay_s": 20},
    "electric_wheelchair": {"max_kerb_height_cm": 6},
    "low_vision": {"require_lit": True},
    "rollator": {"max_step_count": 0, "unknown": {"surface": "penalize"}},
    "stroller": {"avoid_surfaces": ["cobblestone", "gravel"]},
    "walk": {"walking_speed_mps": 1.5},
    "wheelchair": {"max_kerb_height_cm": 4, "min_width_m": 0.9},
}


@pytest.mark.parametrize("name", PRESETS)
def test_post_route_for_every_preset_with_overrides(
    client: TestClient, bbox: list[float], name: str
) -> None:
    overrides = OVERRIDES[name]
    response = client.post(
        "/routes", json=route_body(profile={"name": name, "parameters": overrides}, language="en")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    check_route_response(body, bbox)
    profile = body["profile"]
    assert profile["name"] == name
    assert profile["customised"] is True
    assert body["language"] == "en"
    for key, value in overrides.items():
        if key == "unknown":
            assert {k: profile["unknown"][k] for k in value} == value
        elif key.startswith("unknown."):
            assert profile["unknown"][key.removeprefix("unknown.")] == value
        elif isinstance(value, list):
            assert sorted(profile[key]) == sorted(value)
        else:
            assert profile[key] == value, key
    route = body["routes"][0]
    assert route["profile"] == name
    assert len(body["routes"]) == 1


def test_walking_speed_override_changes_duration(client: TestClient) -> None:
    def duration(speed: float) -> float:
        body = route_body(profile={"name": "walk", "parameters": {"walking_speed_mps": speed}})
        return client.post("/routes", json=body).json()["routes"][0]["duration_s"]

    assert duration(0.5) > 2 * duration(1.5)


def test_post_and_get_give_the_same_route(client: TestClient, bbox: list[float]) -> None:
    post = client.post(
        "/routes", json=route_body(profile={"name": "wheelchair"}, language="en")
    ).json()
    response = client.get(
        "/routes",
        params={
            "from": f"{ORIGIN['lat']},{ORIGIN['lon']}",
            "to": f"{DESTINATION['lat']},{DESTINATION['lon']}",
            "profile": "wheelchair",
            "language": "en",
        },
    )
    assert response.status_code == 200, response.text
    got = response.json()
    check_route_response(got, bbox)
    assert got["profile"]["name"] == "wheelchair"
    assert got["language"] == "en"
    assert got["routes"][0]["geometry"] == post["routes"][0]["geometry"]
    assert got["routes"][0]["steps"] == post["routes"][0]["steps"]


def test_get_defaults_to_walk_in_german(client: TestClient, bbox: list[float]) -> None:
    response = client.get("/routes", params={"from": "49.4447,7.7690", "to": "49.4390,7.7640"})
    assert response.status_code == 200
    body = response.json()
    check_route_response(body, bbox)
    assert body["profile"]["name"] == "walk"
    assert body["language"] == "de"


def test_via_point_is_visited(client: TestClient, bbox: list[float]) -> None:
    direct = client.post("/routes", json=route_body()).json()["routes"][0]
    response = client.post("/routes", json=route_body(via=[VIA]))
    assert response.status_code == 200, response.text
    body = response.json()
    check_route_response(body, bbox)
    assert len(body["routes"]) == 1
    route = body["routes"][0]
    assert route["distance_m"] > direct["distance_m"]
    via = (VIA["lon"], VIA["lat"])
    nearest = min(haversine_m(via, tuple(p)) for p in route["geometry"]["coordinates"])
    assert nearest < 50, nearest
    assert nearest < min(haversine_m(via, tuple(p)) for p in direct["geometry"]["coordinates"])


def test_via_points_in_order(client: TestClient, bbox: list[float]) -> None:
    """Two via points: the route passes the first before the second."""
    second = {"lat": 49.4405, "lon": 7.7700}
    body = client.post("/routes", json=route_body(via=[VIA, second])).json()
    check_route_response(body, bbox)
    coords = [tuple(p) for p in body["routes"][0]["geometry"]["coordinates"]]

    def index_near(point: dict[str, float]) -> int:
        target = (point["lon"], point["lat"])
        return min(range(len(coords)), key=lambda i: haversine_m(target, coords[i]))

    assert index_near(VIA) < index_near(second)


def test_alternatives_are_distinct_routes(client: TestClient, bbox: list[float]) -> None:
    response = client.post("/routes", json=route_body(alternatives=2))
    assert response.status_code == 200, response.text
    body = response.json()
    check_route_response(body, bbox)
    routes = body["routes"]
    assert 1 <= len(routes) <= 3
    geometries = [tuple(map(tuple, r["geometry"]["coordinates"])) for r in routes]
    assert len(set(geometries)) == len(geometries)
    for alt in routes[1:]:
        assert alt["detour"] is not None


def test_alternatives_are_not_offered_with_via_points(client: TestClient) -> None:
    """Said, not dropped: the route alone was answered as if no alternatives had been asked
    (a silent fallback, PRODUCT.md complaint 10; found by a hostile-input battery)."""
    refused = client.post("/routes", json=route_body(via=[VIA], alternatives=2))
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "alternatives_with_via"
    assert "via points" in body["message"]
    assert body["details"]["field"] == "alternatives"
    assert len(client.post("/routes", json=route_body(via=[VIA])).json()["routes"]) == 1


def test_german_and_english_step_texts_differ(client: TestClient) -> None:
    de = client.post("/routes", json=route_body(language="de")).json()["routes"][0]
    en = client.post("/routes", json=route_body(language="en")).json()["routes"][0]
    assert de["geometry"] == en["geometry"]
    assert [s["type"] for s in de["steps"]] == [s["type"] for s in en["steps"]]
    assert [s["at_m"] for s in de["steps"]] == [s["at_m"] for s in en["steps"]]
    assert all(a["text"] != b["text"] for a, b in zip(de["steps"], en["steps"], strict=True))
    assert de["steps"][0]["text"].startswith("Starten Sie")
    assert en["steps"][0]["text"].startswith("Start ")
    assert "Ziel erreicht" in de["steps"][-1]["text"]
    assert "arrived" in en["steps"][-1]["text"]


def test_german_arrival_sentence_is_grammatical(client: TestClient) -> None:
    arrive = client.post("/routes", json=route_body(language="de")).json()["routes"][0]["steps"][-1]
    assert arrive["text"].startswith("Nach ")
    assert "haben Sie Ihr Ziel erreicht" in arrive["text"]


def test_german_departure_on_a_path_is_grammatical(client: TestClient) -> None:
    body = {"origin": {"lat": 49.4444, "lon": 7.7712}, "destination": DESTINATION}
    depart = client.post("/routes", json=body).json()["routes"][0]["steps"][0]
    assert depart["street"] is None
    assert depart["text"] == "Starten Sie auf der Treppe."  # an unnamed way by its kind


def test_route_starts_at_the_snapped_origin(client: TestClient) -> None:
    route = client.post("/routes", json=route_body()).json()["routes"][0]
    start = route["snapped"]["origin"]
    assert haversine_m(tuple(route["geometry"]["coordinates"][0]), (start["lon"], start["lat"])) < 1
    depart = route["steps"][0]
    assert haversine_m((depart["lon"], depart["lat"]), (start["lon"], start["lat"])) < 1


def test_route_ends_at_the_snapped_destination(client: TestClient) -> None:
    """Regression: the exit pieces once ran from 0 to 1 - f instead of f, so routes overshot or
    stopped short of the destination by up to ~100 m."""
    route = client.post("/routes", json=route_body()).json()["routes"][0]
    end = route["snapped"]["destination"]
    target = (end["lon"], end["lat"])
    assert haversine_m(tuple(route["geometry"]["coordinates"][-1]), target) < 1
    arrive = route["steps"][-1]
    assert haversine_m((arrive["lon"], arrive["lat"]), target) < 1


def test_route_response_is_gzipped_when_asked(client: TestClient) -> None:
    # one departure for both requests: the default (now, in seconds) may tick between them
    body = route_body(
        alternatives=2, departure_time=dt.datetime.now().isoformat(timespec="seconds")
    )
    response = client.post("/routes", json=body, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) > 1024  # httpx decoded it; the raw body was compressed
    assert response.json()["routes"]
    plain = client.post("/routes", json=body, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == response.json()
    assert len(gzip.compress(plain.content)) < len(plain.content)


def test_cors_preflight_echoes_allowed_origin(make_client: Callable[..., TestClient]) -> None:
    with make_client(cors_origins=["https://app.example"]) as c:
        preflight = c.options(
            "/routes",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        simple = c.get("/health", headers={"Origin": "https://app.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example"
        other = c.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_by_default(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


def test_openapi_documents_paths_and_the_request_example(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    assert {"/health", "/profiles", "/profiles/{name}", "/routes"} <= set(paths)
    assert {"get", "post"} <= set(paths["/routes"])
    schemas = spec["components"]["schemas"]
    example = schemas["RouteRequest"]["examples"][0]
    assert example["profile"]["name"] == "wheelchair"
    assert {"origin", "destination", "language"} <= set(example)
    assert "ErrorBody" in schemas
    post = paths["/routes"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RouteRequest"
    )
    assert {"200", "404", "413", "422"} <= set(post["responses"])
    assert ATTRIBUTION in spec["info"]["description"]


def test_request_example_from_openapi_works(client: TestClient, bbox: list[float]) -> None:
    """The documented example is a valid request (its destination is just inside the map)."""
    example = client.get("/openapi.json").json()["components"]["schemas"]["RouteRequest"]
    response = client.post("/routes", json=example["examples"][0])
    assert response.status_code == 200, response.text
    check_route_response(response.json(), bbox)


# ------------------------------------------------------------------------------- error codes


@pytest.mark.parametrize(
    "params",
    [
        {"from": "nan,7.7690", "to": "49.4390,7.7640"},
        {"from": "49.4447,7.7690", "to": "49.4390,NaN"},
        {"from": "inf,7.7690", "to": "49.4390,7.7640"},
        {"from": "91,7.7690", "to": "49.4390,7.7640"},
        {"from": "49.4447,-181", "to": "49.4390,7.7640"},
        {"from": "49.4447", "to": "49.4390,7.7640"},
        {"from": "north,east", "to": "49.4390,7.7640"},
        {"to": "49.4390,7.7640"},
        {"from": "49.4447,7.7690", "to": "49.4390,7.7640", "language": "fr"},
        {"from": "49.4447,7.7690", "to": "49.4390,7.7640", "strict": "maybe"},
    ],
    ids=[
        "nan",
        "nan-lon",
        "inf",
        "lat-91",
        "lon-181",
        "one-number",
        "words",
        "missing-from",
        "language",
        "strict-type",
    ],
)
def test_get_invalid_request(client: TestClient, params: dict[str, str]) -> None:
    assert_error(client.get("/routes", params=params), 422, "invalid_request")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (route_body(origin={"lat": 91, "lon": 7.769}), "origin.lat"),
        (route_body(origin={"lat": -90.5, "lon": 7.769}), "origin.lat"),
        (route_body(destination={"lat": 49.439, "lon": -181}), "destination.lon"),
        ({"origin": ORIGIN}, "destination"),
        (route_body(origin={"lat": 49.4447}), "origin.lon"),
        (route_body(colour="red"), "colour"),
        (route_body(origin={"lat": 49.4447, "lon": 7.769, "alt": 3}), "origin.alt"),
        (route_body(origin={"lat": "north", "lon": 7.769}), "origin.lat"),
        (route_body(via={"lat": 49.44, "lon": 7.77}), "via"),
        (route_body(alternatives="two"), "alternatives"),
        (route_body(alternatives=-1), "alternatives"),
        (route_body(profile="wheelchair"), "profile"),
        (route_body(language="fr"), "language"),
    ],
    ids=[
        "lat-91",
        "lat-minus-90.5",
        "lon-181",
        "missing-field",
        "missing-lon",
        "unknown-field",
        "unknown-nested-field",
        "wrong-type",
        "via-not-list",
        "alternatives-type",
        "alternatives-negative",
        "profile-not-object",
        "language",
    ],
)
def test_post_invalid_request(client: TestClient, body: dict[str, Any], field: str) -> None:
    error = assert_error(client.post("/routes", json=body), 422, "invalid_request")
    assert field in error["message"]
    assert any(e["field"] == field for e in error["details"]["errors"]), error


@pytest.mark.parametrize(
    "raw",
    [
        b'{"origin": {"lat": NaN, "lon": 7.769}, "destination": {"lat": 49.439, "lon": 7.764}}',
        b'{"origin": {"lat": 49.4447, "lon": Infinity}, "destination": {"lat": 49.439, "lon": 7.764}}',
        b'{"origin": ',
        b"[1, 2]",
    ],
    ids=["nan", "infinity", "truncated-json", "not-an-object"],
)
def test_post_invalid_json_body(client: TestClient, raw: bytes) -> None:
    response = client.post("/routes", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_request")


def test_unknown_profile_on_routes_is_404(client: TestClient) -> None:
    body = assert_error(
        client.post("/routes", json=route_body(profile={"name": "hoverboard"})),
        404,
        "unknown_profile",
    )
    assert "hoverboard" in body["message"]
    assert "wheelchair" in body["details"]["known"]
    assert_error(
        client.get(
            "/routes", params={"from": "49.4447,7.769", "to": "49.439,7.764", "profile": "x"}
        ),
        404,
        "unknown_profile",
    )


def test_unknown_parameter_suggests_the_right_name(client: TestClient) -> None:
    body = route_body(profile={"name": "wheelchair", "parameters": {"max_kerb_hight_cm": 3}})
    error = assert_error(client.post("/routes", json=body), 422, "unknown_parameter")
    assert error["details"]["parameter"] == "max_kerb_hight_cm"
    assert "max_kerb_height_cm" in error["details"]["suggestions"]
    assert "max_kerb_hight_cm" in error["message"]


def test_an_unknown_parameter_with_no_close_name_is_told_where_the_api_lists_them(
    client: TestClient,
) -> None:
    """The message said "parameter_table() lists the parameters", a Python function's name,
    to the app's developers (found 2026-12-06)."""
    body = route_body(profile={"name": "wheelchair", "parameters": {"zzzz": 1}})
    error = assert_error(client.post("/routes", json=body), 422, "unknown_parameter")
    assert (
        error["message"] == "unknown profile parameter 'zzzz'; GET /profiles lists every parameter"
    )
    assert error["details"]["suggestions"] == []


def test_non_overridable_parameter_is_unknown_parameter(client: TestClient) -> None:
    body = route_body(profile={"name": "wheelchair", "parameters": {"label_en": "mine"}})
    assert_error(client.post("/routes", json=body), 422, "unknown_parameter")


@pytest.mark.parametrize(
    ("parameter", "value", "minimum", "maximum", "unit"),
    [
        ("max_kerb_height_cm", 99, 0.0, 50.0, "cm"),
        ("max_kerb_height_cm", -1, 0.0, 50.0, "cm"),
        ("walking_speed_mps", 10, 0.2, 3.0, "m/s"),
        ("max_incline_percent", "steep", 0.0, 100.0, "%"),
        ("max_step_count", 2.5, 0, 1000, "steps"),
    ],
)
def test_parameter_out_of_range_names_parameter_and_range(
    client: TestClient, parameter: str, value: Any, minimum: float, maximum: float, unit: str
) -> None:
    body = route_body(profile={"name": "wheelchair", "parameters": {parameter: value}})
    error = assert_error(client.post("/routes", json=body), 422, "parameter_out_of_range")
    details = error["details"]
    assert details["parameter"] == parameter
    assert (details["minimum"], details["maximum"], details["unit"]) == (minimum, maximum, unit)
    assert details["value"] == value
    assert parameter in error["message"]
    assert f"between {minimum:g} and {maximum:g}" in error["message"]


def test_a_whole_number_parameter_written_2_0_is_2(client: TestClient) -> None:
    """JSON's ``2.0`` is the integer 2 for a profile's whole-number parameter, as for the
    request's own integers (``alternatives``); the answer echoes the profile with 2."""
    body = route_body(profile={"name": "wheelchair", "parameters": {"max_step_count": 2.0}})
    response = client.post("/routes", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["profile"]["max_step_count"] == 2


def test_parameter_out_of_range_for_a_choice(client: TestClient) -> None:
    body = route_body(profile={"name": "blind", "parameters": {"unknown.incline": "ignore"}})
    error = assert_error(client.post("/routes", json=body), 422, "parameter_out_of_range")
    assert error["details"]["parameter"] == "unknown.incline"


@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_non_finite_override_is_parameter_out_of_range(
    make_client: Callable[..., TestClient], literal: str
) -> None:
    raw = (
        '{"origin": {"lat": 49.4447, "lon": 7.769}, "destination": {"lat": 49.439, "lon": 7.764}, '
        f'"profile": {{"name": "wheelchair", "parameters": {{"max_incline_percent": {literal}}}}}}}'
    )
    with make_client(raise_server_exceptions=False) as c:
        response = c.post("/routes", content=raw, headers={"content-type": "application/json"})
    error = assert_error(response, 422, "parameter_out_of_range")
    assert error["details"]["parameter"] == "max_incline_percent"


def test_too_many_alternatives_is_parameter_out_of_range(client: TestClient) -> None:
    error = assert_error(
        client.post("/routes", json=route_body(alternatives=4)), 422, "parameter_out_of_range"
    )
    assert error["details"]["parameter"] == "alternatives"
    assert "between 0 and 3" in error["message"]


def test_too_many_alternatives_details_give_the_range(client: TestClient) -> None:
    error = assert_error(
        client.post("/routes", json=route_body(alternatives=4)), 422, "parameter_out_of_range"
    )
    assert (error["details"]["minimum"], error["details"]["maximum"]) == (0, 3)


@pytest.mark.parametrize("role", ["origin", "destination"])
def test_out_of_area_says_how_far(client: TestClient, role: str) -> None:
    far = {"lat": ORIGIN["lat"] + 0.4497, "lon": ORIGIN["lon"]}  # 50 km north
    error = assert_error(client.post("/routes", json=route_body(**{role: far})), 422, "out_of_area")
    details = error["details"]
    assert details["field"] == role
    assert 40_000 < details["distance_m"] < 60_000
    assert details["max_distance_m"] == 250.0
    assert f"{details['distance_m'] / 1000:.1f} km" in error["message"]
    assert role in error["message"]


def test_out_of_area_on_get(client: TestClient) -> None:
    params = {"from": "49.4447,7.7690", "to": "48.0,7.7640"}
    error = assert_error(client.get("/routes", params=params), 422, "out_of_area")
    assert "km" in error["message"]


KNOWN_DATA_ONLY = {"name": "wheelchair", "parameters": {"unknown.surface": "forbid"}}


def test_no_route_when_strict_and_the_profile_cannot_be_honoured(client: TestClient) -> None:
    """The 2013 centre extract tags few surfaces: a known-surface-only wheelchair cannot leave."""
    error = assert_error(
        client.post("/routes", json=route_body(profile=KNOWN_DATA_ONLY, strict=True)),
        422,
        "no_route",
    )
    assert error["details"]["broken_limits"] == ["unknown_forbidden"]
    assert error["details"]["violations"]
    assert "unknown_forbidden" in error["message"]


def test_least_bad_route_without_strict(client: TestClient, bbox: list[float]) -> None:
    response = client.post("/routes", json=route_body(profile=KNOWN_DATA_ONLY))
    assert response.status_code == 200
    body = response.json()
    check_route_response(body, bbox)
    route = body["routes"][0]
    assert route["fully_accessible"] is False
    assert route["accessibility"]["verdict"] == "no"
    assert {b["limit"] for b in route["accessibility"]["breaks"]} == {"unknown_forbidden"}
    assert {v["limit"] for v in route["violations"]} == {"unknown_forbidden"}


def test_too_many_via_points(make_client: Callable[..., TestClient]) -> None:
    with make_client(max_via_points=2) as c:
        ok = c.post("/routes", json=route_body(via=[VIA, {"lat": 49.4405, "lon": 7.7700}]))
        assert ok.status_code == 200, ok.text
        three = [VIA, {"lat": 49.4405, "lon": 7.7700}, {"lat": 49.4400, "lon": 7.7660}]
        error = assert_error(
            c.post("/routes", json=route_body(via=three)), 422, "too_many_via_points"
        )
        assert error["details"]["max_via_points"] == 2
        assert "3" in error["message"]


def test_payload_too_large_with_content_length(make_client: Callable[..., TestClient]) -> None:
    with make_client(max_body_bytes=4096) as c:
        small = c.post("/routes", json=route_body())
        assert small.status_code == 200
        big = route_body(via=[VIA] * 200)
        response = c.post("/routes", json=big)
        assert int(response.request.headers["content-length"]) > 4096
        error = assert_error(response, 413, "payload_too_large")
        assert error["details"]["max_bytes"] == 4096


def test_payload_too_large_with_default_limit(client: TestClient) -> None:
    raw = b'{"origin": {"lat": 49.4447, "lon": 7.769}, "padding": "' + b"x" * 70_000 + b'"}'
    response = client.post("/routes", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")


def _chunks(data: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_chunked_body_under_the_limit_is_accepted(client: TestClient) -> None:
    raw = httpx.Request("POST", "/", json=route_body()).content
    response = client.post(
        "/routes", content=_chunks(raw, 16), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 200, response.text


def test_payload_too_large_chunked_without_content_length(client: TestClient) -> None:
    raw = b'{"origin": {"lat": 49.4447, "lon": 7.769}, "padding": "' + b"x" * 70_000 + b'"}'
    response = client.post(
        "/routes", content=_chunks(raw), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("path", ["/nowhere", "/routes/extra", "/profiles/wheelchair/x"])
def test_not_found(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/routes"), ("PUT", "/routes"), ("POST", "/health"), ("PATCH", "/profiles")],
)
def test_method_not_allowed(client: TestClient, method: str, path: str) -> None:
    assert_error(client.request(method, path), 405, "method_not_allowed")


class _ExplodingRouter:
    """A router stand-in whose search fails unexpectedly."""

    @staticmethod
    def profile(name: str, overrides: dict[str, Any] | None = None) -> Any:
        from routing.engine import Router

        return Router.profile(name, overrides)

    def route_via(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/passwd")


def test_unexpected_error_is_a_plain_500(centre_graph_dir: Any) -> None:
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(graph_dir=centre_graph_dir), router=_ExplodingRouter())
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.post("/routes", json=route_body())
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert error["details"] == {}


# ------------------------------------------------------------ OpenAPI matches behaviour (issue 11)


def _spec(client: TestClient) -> dict:
    return client.get("/openapi.json").json()


def test_openapi_alternatives_maximum_is_the_configured_one(client: TestClient) -> None:
    """The schema's maximum is ``settings.max_alternatives`` (3), not the hard cap (5): a request
    the schema allows is never refused for its size."""
    props = _spec(client)["components"]["schemas"]["RouteRequest"]["properties"]
    maximum = app_state(client).settings.max_alternatives
    assert props["alternatives"]["maximum"] == maximum
    assert props["via"]["maxItems"] == app_state(client).settings.max_via_points
    origin, destination = {"lat": 49.4425, "lon": 7.7690}, {"lat": 49.4400, "lon": 7.7660}
    body = {"origin": origin, "destination": destination, "alternatives": maximum + 1}
    too_many = client.post("/routes", json=body)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "parameter_out_of_range"


def test_openapi_documents_unknown_profile_404(client: TestClient) -> None:
    responses = _spec(client)["paths"]["/profiles/{name}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert client.get("/profiles/nope").status_code == 404


def test_every_422_is_documented_as_the_error_shape(client: TestClient) -> None:
    spec = _spec(client)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            invalid = operation["responses"].get("422")
            if invalid is not None:
                schema = invalid["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


@pytest.mark.parametrize("path", ["/routes", "/matrix", "/reports"])
def test_malformed_json_is_422_invalid_request_not_400(client: TestClient, path: str) -> None:
    """A body that is not JSON (or the wrong content) answered 400 ``http_error``, undocumented."""
    for content, content_type in [(b"{not json", "application/json"), (b"\xff\xfe", "text/plain")]:
        response = client.post(path, content=content, headers={"Content-Type": content_type})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["code"] == "invalid_request"
        assert set(response.json()) == {"code", "message", "details"}


def test_method_not_allowed_keeps_the_allow_header(client: TestClient) -> None:
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_health_and_profiles_have_response_models(client: TestClient) -> None:
    paths = _spec(client)["paths"]
    for path, name in [("/health", "HealthOut"), ("/profiles", "ProfileList"), ("/profiles/{name}", "ProfileDetail")]:  # fmt: skip
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith(f"/{name}"), path


def test_get_routes_query_is_typed(client: TestClient) -> None:
    """``from``/``to`` carry their ``lat,lon`` pattern and ``language`` its two values."""
    params = {p["name"]: p for p in _spec(client)["paths"]["/routes"]["get"]["parameters"]}
    assert "pattern" in params["from"]["schema"]
    assert params["language"]["schema"]["enum"] == ["de", "en"]
    bad = client.get("/routes", params={"from": "", "to": "49.44,7.76"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_request"
    lang = client.get("/routes", params={"from": "49.4425,7.769", "to": "49.44,7.766", "language": "fr"})  # fmt: skip
    assert lang.status_code == 422


def test_post_route_reports_rests_and_the_broken_rest_limit(client: TestClient) -> None:
    """Every route carries ``rests``; the elderly preset's 300 m limit is reported with the
    longest stretch without a seat and, when broken, as a "rests" break (few seats mapped)."""
    walk = client.post("/routes", json=route_body()).json()["routes"][0]
    assert walk["rests"]["limit_m"] is None
    assert walk["rests"]["keeps_limit"] is None
    body = route_body(
        profile={"name": "elderly", "parameters": {"max_distance_between_rests_m": 50}}
    )
    response = client.post("/routes", json=body)
    assert response.status_code == 200, response.text
    rests = response.json()["routes"][0]["rests"]
    assert rests["limit_m"] == 50.0
    # the preset's metric serves it (no weight reads the limit); the answer is the user's own
    assert response.json()["profile"]["max_distance_between_rests_m"] == 50.0
    assert response.json()["profile"]["customised"] is True
    assert {"seats", "longest_gap_m", "longest_gap", "keeps_limit"} <= set(rests)
    if not rests["keeps_limit"]:
        breaks = response.json()["routes"][0]["accessibility"]["breaks"]
        assert any(b["limit"] == "rests" and b["value"] == rests["longest_gap_m"] for b in breaks)
    bad = route_body(
        profile={"name": "elderly", "parameters": {"max_distance_between_rests_m": 10}}
    )
    assert client.post("/routes", json=bad).status_code == 422


def test_route_incline_profile_covers_the_route(client: TestClient) -> None:
    """``incline_profile``: contiguous stretches from 0 to the route's length, signed inclines
    with their source, unknown kept as null."""
    route = client.post(
        "/routes",
        json={"origin": ORIGIN, "destination": DESTINATION, "profile": {"name": "wheelchair"}},
    ).json()["routes"][0]
    profile = route["incline_profile"]
    assert profile
    assert profile[0]["from_m"] == 0.0
    assert profile[-1]["to_m"] == pytest.approx(route["distance_m"], abs=0.5)
    for before, after in itertools.pairwise(profile):
        assert after["from_m"] == pytest.approx(before["to_m"], abs=0.11)
    for stretch in profile:
        assert stretch["to_m"] >= stretch["from_m"]
        assert (stretch["incline_percent"] is None) == (stretch["source"] is None)
        assert stretch["source"] in (None, "tag", "dem", "tag_direction_only")
    known = [s for s in profile if s["incline_percent"] is not None]
    if not known:  # a graph without inclines (no elevation model, no tags): nothing steepest
        assert route["max_incline"] is None
        return
    steepest = max(known, key=lambda s: abs(s["incline_percent"]))
    assert abs(steepest["incline_percent"]) == pytest.approx(
        abs(route["max_incline"]["percent"]), abs=0.11
    )
