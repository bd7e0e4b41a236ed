"""Request fields take exactly the JSON values their documented schema admits.

A request's numbers, integers and booleans were read the lenient way pydantic reads them by
default: ``"alternatives": true`` asked for one alternative, ``"strict": "yes"`` failed strictly,
``"lat": "49.44"`` was a latitude, an obstacle's ``"closed": "true"`` closed a path and
``"version": true`` was version 1 — each a request the OpenAPI document calls invalid, accepted
(schemathesis found the first over HTTP). Held here to an independent validator of JSON Schema
(``jsonschema_rs``): for every such field and any JSON value, the request validates exactly when
the field's own schema (the model's, as the OpenAPI document states it) admits the value;
``3.0`` is an integer (JSON Schema's rule), ``1`` a number, ``true`` neither. And over the API:
each wrong type is a 422 naming the field. The other rules the served document states are
held to what the code reads the same way: a GeoJSON position's WGS84 ranges, an obstacle
effect's "changes something" (``anyOf``), the ``If-Match`` pattern and the ``from``/``to``
pattern of ``GET /routes``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, Strict, ValidationError

from accessibility_rules.json_types import JSON_INTEGER
from api.obstacles.schemas import ImportProperties, ObstacleCreate, ObstacleUpdate
from api.routes.bench import BenchRequest
from api.routes.matrix import MatrixRequest
from api.schemas import Point, RouteRequest
from routing.obstacles.effect import ObstacleEffect

#: Any JSON scalar, with the values a lenient reader would take: numeric and boolean texts,
#: integral floats, 0 and 1, and values beyond every bound.
JSON_SCALARS = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=-5, max_value=5).map(float),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-100, max_value=100),
    st.booleans(),
    st.none(),
    st.sampled_from(["1", "3", "3.0", "49.44", "true", "false", "yes", "no", "on", ""]),
    st.text(max_size=4),
)


class _Bounded(BaseModel):
    count: Annotated[int, Strict(), Field(ge=-3, le=3), JSON_INTEGER]


def _admits(schema: dict[str, Any], value: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


def _read(read: Callable[[], Any], refused: type[Exception]) -> tuple[bool, Any]:
    """``(True, what read() returns)``, or ``(False, None)`` when it raises ``refused``."""
    try:
        return True, read()
    except refused:
        return False, None


def _read_as_documented(
    schemas: list[dict[str, Any]],
    text: str,
    read: Callable[[str], Any],
    refused: type[Exception],
) -> tuple[bool, Any]:
    """``read(text)`` as :func:`_read`, after checking that it is taken exactly when every one
    of the served ``schemas`` (a parameter's) admits ``text``."""
    taken, value = _read(lambda: read(text), refused)
    for schema in schemas:
        assert taken == _admits(schema, text), (schema, text)
    return taken, value


def _validates(model: type[BaseModel], body: Any) -> bool:
    return _read(lambda: model.model_validate(body), ValidationError)[0]


@settings(max_examples=300, deadline=None)
@given(value=JSON_SCALARS)
def test_json_integer_is_json_schemas_integer(value: Any) -> None:
    """``JSON_INTEGER`` with bounds: accepted exactly when JSON Schema's ``integer`` with those
    bounds admits the value, and then as that integer."""
    schema = _Bounded.model_json_schema()["properties"]["count"]
    assert (schema["minimum"], schema["maximum"]) == (-3, 3)  # stated, not lost to the validator
    assert _validates(_Bounded, {"count": value}) == _admits(schema, value)
    if _admits(schema, value):
        got = _Bounded.model_validate({"count": value}).count
        assert (type(got), got) == (int, value)


_ORIGIN = {"lat": 49.4447, "lon": 7.7690}
_TARGET = {"lat": 49.4390, "lon": 7.7640}
_POINT = {"type": "Point", "coordinates": [7.76455, 49.43953]}


def _route(**fields: Any) -> dict[str, Any]:
    return {"origin": _ORIGIN, "destination": _TARGET} | fields


def _effect(**fields: Any) -> dict[str, Any]:
    """An obstacle whose effect changes something whatever the field under test holds."""
    effect = {"kerb_height_cm": 2.0} if "kerb_height_cm" not in fields else {"closed": True}
    return {"geometry": _POINT, "effect": effect | fields, "reason": "Baustelle"}


#: (name, the model that validates the request, the model whose property it is, the property,
#: the request with the value in that property). Every number, integer and boolean of a request.
FIELDS: list[tuple[str, type[BaseModel], type[BaseModel], str, Callable[[Any], Any]]] = [
    ("route origin lat", RouteRequest, Point, "lat", lambda v: _route(origin={"lat": v, "lon": 7.769})),
    ("route destination lon", RouteRequest, Point, "lon", lambda v: _route(destination={"lat": 49.439, "lon": v})),
    ("route via lat", RouteRequest, Point, "lat", lambda v: _route(via=[{"lat": v, "lon": 7.766}])),
    ("route alternatives", RouteRequest, RouteRequest, "alternatives", lambda v: _route(alternatives=v)),
    ("route strict", RouteRequest, RouteRequest, "strict", lambda v: _route(strict=v)),
    ("route allow_underground", RouteRequest, RouteRequest, "allow_underground", lambda v: _route(allow_underground=v)),
    ("matrix source lat", MatrixRequest, Point, "lat", lambda v: {"sources": [{"lat": v, "lon": 7.769}], "targets": [_TARGET]}),
    ("obstacle closed", ObstacleCreate, ObstacleEffect, "closed", lambda v: _effect(closed=v)),
    ("obstacle out of service", ObstacleCreate, ObstacleEffect, "elevator_out_of_service", lambda v: _effect(elevator_out_of_service=v)),
    ("obstacle width_m", ObstacleCreate, ObstacleEffect, "width_m", lambda v: _effect(width_m=v)),
    ("obstacle kerb_height_cm", ObstacleCreate, ObstacleEffect, "kerb_height_cm", lambda v: _effect(kerb_height_cm=v)),
    ("obstacle step_count", ObstacleCreate, ObstacleEffect, "step_count", lambda v: _effect(step_count=v)),
    ("update version", ObstacleUpdate, ObstacleUpdate, "version", lambda v: {"version": v, "reason": "neu"}),
    ("import version", ImportProperties, ImportProperties, "version", lambda v: {"version": v, "effect": {"closed": True}, "reason": "Import"}),
    ("bench pairs", BenchRequest, BenchRequest, "pairs", lambda v: {"pairs": v}),
    ("bench seed", BenchRequest, BenchRequest, "seed", lambda v: {"seed": v}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "owner", "name", "request_with"),
    [pytest.param(*row[1:], id=row[0]) for row in FIELDS],
)
@settings(max_examples=150, deadline=None)
@given(value=JSON_SCALARS)
def test_a_request_field_admits_what_its_schema_admits(
    model: type[BaseModel],
    owner: type[BaseModel],
    name: str,
    request_with: Callable[[Any], Any],
    value: Any,
) -> None:
    """The request with ``value`` in the field validates exactly when the field's schema admits
    ``value`` (a null where the schema allows one, too)."""
    schema = owner.model_json_schema()["properties"][name]
    assert _validates(model, request_with(value)) == _admits(schema, value), schema


@pytest.fixture(scope="module")
def admin_client(
    make_client: Callable[..., TestClient], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A started app with a database of its own (the obstacles written here reach no other
    test) and an admin's headers."""
    from api.auth import create_key
    from tests.api.serving import app_state

    database = tmp_path_factory.mktemp("json-types-db") / "stufenlos.db"
    with make_client(database_url=f"sqlite:///{database}") as client:
        _, key = create_key(app_state(client).db, "json types (admin)", "admin")
        yield client, {"Authorization": f"Bearer {key}"}


#: (path, body, the field the 422 names), over the API: the types a lenient reader took.
WRONG_TYPES = [
    ("/routes", _route(alternatives=True), "alternatives"),
    ("/routes", _route(alternatives="2"), "alternatives"),
    ("/routes", _route(strict="yes"), "strict"),
    ("/routes", _route(allow_underground=0), "allow_underground"),
    ("/routes", _route(origin={"lat": "49.4447", "lon": 7.769}), "origin.lat"),
    (
        "/matrix",
        {"sources": [{"lat": 49.4447, "lon": True}], "targets": [_TARGET]},
        "sources.0.lon",
    ),
    ("/obstacles", _effect(closed="true"), "effect.closed"),
    ("/obstacles", _effect(width_m="0.8"), "effect.width_m"),
    ("/obstacles", _effect(step_count="3"), "effect.step_count"),
    ("/obstacles/preview", _effect(elevator_out_of_service=1), "effect.elevator_out_of_service"),
    ("/bench/runs", {"pairs": True}, "pairs"),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("path", "body", "field"), WRONG_TYPES)
def test_a_wrong_json_type_is_a_422_naming_the_field(
    admin_client: tuple[TestClient, dict[str, str]], path: str, body: dict[str, Any], field: str
) -> None:
    client, headers = admin_client
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == 422, r.text[:300]
    problem = r.json()
    assert problem["code"] == "invalid_request"
    assert [e["field"] for e in problem["details"]["errors"]] == [field]


@pytest.mark.realdata
def test_integral_floats_are_integers_over_the_api(
    admin_client: tuple[TestClient, dict[str, str]],
) -> None:
    """``3.0`` where an integer is asked is 3 (JSON Schema's integer): a route with
    ``"alternatives": 1.0`` is answered, an obstacle with ``"step_count": 3.0`` has 3 steps."""
    client, headers = admin_client
    assert client.post("/routes", json=_route(alternatives=1.0)).status_code == 200
    r = client.post("/obstacles", json=_effect(step_count=3.0), headers=headers)
    assert r.status_code == 201, r.text[:300]
    assert r.json()["effect"]["step_count"] == 3


@pytest.fixture(scope="module")
def position_schema(admin_client: tuple[TestClient, dict[str, str]]) -> dict[str, Any]:
    """The OpenAPI document's schema of a 2D GeoJSON position, as served."""
    components = admin_client[0].get("/openapi.json").json()["components"]["schemas"]
    return dict(components["Position2D"])


COORDINATES = st.one_of(
    st.floats(min_value=-400, max_value=400),
    st.sampled_from([-180.0, 180.0, -90.0, 90.0, 180.000001, -90.000001, 0]),
    st.integers(min_value=-400, max_value=400),
)


@pytest.mark.realdata
@settings(max_examples=300, deadline=None)
@given(lon=COORDINATES, lat=COORDINATES)
def test_a_position_is_refused_exactly_where_the_document_says(
    position_schema: dict[str, Any], lon: float, lat: float
) -> None:
    """A GeoJSON point is accepted (the one geometry rule, ``parse_geometry``) exactly when the
    served document's ``Position2D`` admits ``[lon, lat]``: the WGS84 ranges are stated there,
    where geojson-pydantic's schema had plain numbers."""
    from api.obstacles.geometry import GeometryError, parse_geometry

    point = {"type": "Point", "coordinates": [lon, lat]}
    accepted, _ = _read(lambda: parse_geometry(point), GeometryError)
    assert accepted == _admits(position_schema, [lon, lat])


#: Effects: any subset of the fields with values of every JSON kind (and the right ones).
EFFECT_VALUES = st.one_of(
    JSON_SCALARS, st.sampled_from(["sett", "asphalt", "bad", "no", "limited", 0.8, 3, 12.0])
)
EFFECT_FIELDS = [
    "closed", "elevator_out_of_service", "width_m", "kerb_height_cm", "surface", "smoothness",
    "step_count", "wheelchair",
]  # fmt: skip
EFFECTS = st.dictionaries(
    st.sampled_from(EFFECT_FIELDS), st.one_of(EFFECT_VALUES, st.booleans(), st.none()), max_size=4
)


@settings(max_examples=500, deadline=None)
@given(effect=EFFECTS)
def test_an_effect_is_accepted_exactly_when_its_schema_admits_it(effect: dict[str, Any]) -> None:
    """``ObstacleEffect`` against its own JSON schema, which states "it must change something"
    (one switch true or one value given: ``anyOf``), so that the OpenAPI document refuses
    ``{}`` and ``{"closed": false}`` as the API does."""
    assert _validates(ObstacleEffect, effect) == _admits(
        ObstacleEffect.model_json_schema(), effect
    ), effect


@pytest.fixture(scope="module")
def if_match_schemas(admin_client: tuple[TestClient, dict[str, str]]) -> list[dict[str, Any]]:
    """The served document's schemas of the ``If-Match`` header (PATCH and DELETE)."""
    paths = admin_client[0].get("/openapi.json").json()["paths"]["/obstacles/{obstacle_id}"]
    found = [
        p["schema"]
        for method in ("patch", "delete")
        for p in paths[method]["parameters"]
        if p["in"] == "header" and p["name"].lower() == "if-match"
    ]
    assert len(found) == 2
    return found


IF_MATCH_TEXTS = st.one_of(
    st.text(alphabet=' \t"W/0123456789-*+x', max_size=14),
    st.integers(min_value=-5, max_value=2**32).map(lambda n: f'"{n}"'),
    st.sampled_from(['"2147483647"', '"2147483648"', '"1000000000"', '"0"', 'W/"9"', "7"]),
)


@pytest.mark.realdata
@settings(max_examples=500, deadline=None)
@given(text=IF_MATCH_TEXTS)
def test_if_match_is_taken_exactly_where_the_document_says(
    if_match_schemas: list[dict[str, Any]], text: str
) -> None:
    """``If-Match`` is read (``_if_match``) exactly when the document's pattern admits it, and
    then as the version: 1 to 2^31 - 1, as ``"3"``, ``W/"3"`` or ``3``."""
    from api.errors import ApiError
    from api.obstacles.schemas import VERSION_MAX
    from api.routes.obstacles import _if_match

    taken, version = _read_as_documented(if_match_schemas, text, _if_match, ApiError)
    if taken:
        assert version is not None
        assert 1 <= version <= VERSION_MAX
        assert str(version) in text


def test_if_match_versions_at_every_bound_of_the_pattern() -> None:
    """Every number next to a bound of the pattern's alternatives (powers of ten, and each
    prefix of 2147483647 filled with 0s and with 9s, each ±1) is taken iff 1 ≤ it ≤ 2^31 - 1."""
    from api.errors import ApiError
    from api.obstacles.schemas import VERSION_MAX
    from api.routes.obstacles import _if_match

    top = str(VERSION_MAX)
    edges = {10**k for k in range(11)} | {
        int(top[:i] + fill * (len(top) - i)) for i in range(len(top) + 1) for fill in "09"
    }
    for n in sorted({e + d for e in edges for d in (-1, 0, 1)}):
        taken, version = _read(functools.partial(_if_match, f'"{n}"'), ApiError)
        assert (taken, version) == ((True, n) if 1 <= n <= VERSION_MAX else (False, None)), n


LATLON_TEXTS = st.one_of(
    st.text(alphabet="0123456789.,- ;e", max_size=16),
    st.tuples(st.floats(min_value=-95, max_value=95), st.floats(min_value=-185, max_value=185)).map(
        lambda p: f"{p[0]},{p[1]}"
    ),
    st.sampled_from(["90,180", "-90.0,-180.000", "90.1,0", "0,180.5", "49.4447,7.7690", "1,2,3"]),
)


@pytest.fixture(scope="module")
def latlon_schemas(admin_client: tuple[TestClient, dict[str, str]]) -> list[dict[str, Any]]:
    """The served document's schemas of ``GET /routes``' ``from`` and ``to``."""
    parameters = admin_client[0].get("/openapi.json").json()["paths"]["/routes"]["get"]
    return [p["schema"] for p in parameters["parameters"] if p["name"] in ("from", "to")]


@pytest.mark.realdata
@settings(max_examples=500, deadline=None)
@given(text=LATLON_TEXTS)
def test_a_get_route_position_is_taken_exactly_where_the_document_says(
    latlon_schemas: list[dict[str, Any]], text: str
) -> None:
    """``from``/``to`` of ``GET /routes`` (``_point``) take exactly the texts the document's
    pattern admits, as that latitude and longitude."""
    from api.errors import ApiError
    from api.routes.routing import _point

    assert len(latlon_schemas) == 2
    taken, point = _read_as_documented(
        latlon_schemas, text, functools.partial(_point, name="from"), ApiError
    )
    if taken:
        assert [point.lat, point.lon] == [float(x) for x in text.split(",")]


@pytest.mark.realdata
@pytest.mark.parametrize("text", ["49.4447;7.7690", " 49.4447,7.7690", "49.4447", "NaN,NaN"])
def test_a_get_route_position_in_another_form_is_shown_the_form(
    admin_client: tuple[TestClient, dict[str, str]], text: str
) -> None:
    """A semicolon, a space, one number: the 422 names ``from`` and shows the form, where
    FastAPI's answer quoted the pattern's regular expression."""
    client, _ = admin_client
    r = client.get("/routes", params={"from": text, "to": "49.4390,7.7640"})
    assert r.status_code == 422, r.text[:300]
    problem = r.json()
    assert problem["code"] == "invalid_request"
    assert problem["details"]["field"] == "from"
    assert problem["message"] == (
        f"from must be 'latitude,longitude' in degrees, e.g. '49.4447,7.7690', got {text!r}"
    )
