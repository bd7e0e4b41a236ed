"""The OpenAPI document matches behaviour: schemathesis, in process on the ASGI app.

Every operation of ``/openapi.json`` is called with generated requests (valid ones and, where the
schema allows, invalid ones that must be rejected), once without a key and once as an admin
(``Authorization: Bearer …``), and every response is checked with all of schemathesis' checks:
no 5xx, every status documented, the documented content type, the body and headers valid against
the documented schema, invalid data rejected with a 4xx, valid data accepted.

The app runs on the centre extract with a database of its own, so the obstacles and reports the
fuzzer writes never reach other tests: a temporary SQLite file, and a schema of the test
PostgreSQL database when one is configured (``.ci/run`` starts one: the NUL bytes and integer
overflows found there were PostgreSQL's own). Examples are few and derandomised: the whole file
takes about a minute.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeGuard

import pytest
import schemathesis  # in the test extras: `make test` installs it, so it is never skipped
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from api.obstacles.schemas import RESERVED_IDS
from tests.api.support import drop_schemas, new_schema, skip_without_postgres

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Generated requests per operation and mode (positive/negative); small enough to stay fast.
MAX_EXAMPLES = 12


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_app(
    request: pytest.FixtureRequest,
    centre_graph_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_admin: Any,
) -> Iterator[tuple[FastAPI, str]]:
    """The started app on the centre graph, a database of its own (a temporary SQLite file,
    or a schema of the test PostgreSQL database, dropped afterwards) and an admin key."""
    from api.app import create_app
    from api.auth import create_key
    from api.settings import Settings

    folder = tmp_path_factory.mktemp("schemathesis-db")
    schema = None  # the PostgreSQL schema made for it, dropped afterwards
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'stufenlos.db'}"
    else:
        skip_without_postgres(postgres_admin)
        url, schema = new_schema(postgres_admin)
    app = create_app(
        Settings(
            graph_dir=centre_graph_dir,
            database_url=url,
            # benchmark runs the fuzzer starts stay tiny and out of the developer's cache
            bench_dir=folder / "bench",
            max_bench_pairs=3,
            max_priority_trips=20,
        )
    )
    try:
        with TestClient(app):  # runs the lifespan: graph, obstacle database, live overlay
            _, key = create_key(app.state.db, "schemathesis (admin)", "admin")
            yield app, key
    finally:
        if schema is not None:
            drop_schemas(postgres_admin, [schema])


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: tuple[FastAPI, str]) -> Any:
    """The app's own OpenAPI document, as schemathesis loads it."""
    app, _ = fuzzed_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    return schema


#: (operation, failure) pairs where a schema-valid request is rightly answered 422: rules the
#: OpenAPI document does not state (yet). No 500 and no wrong status hides here. Open: a
#: polygon's rings closed, not empty and not self-intersecting and a bbox's south edge south of
#: its north edge (geojson-pydantic's schema says none of it), the years 2000-2100 of an
#: obstacle's times in Europe/Berlin (a ``date-time`` format cannot).
#: Stated since: the WGS84 ranges of positions (:func:`api.obstacles.geometry.
#: document_position_ranges`), "an effect must change something" (an ``anyOf`` in
#: ``ObstacleEffect``'s schema) and the ``If-Match`` format (``IF_MATCH_PATTERN``).
_GEOMETRY_RULES = "ROBUST: polygon rings, bbox order not in the schema"
_WRITE_RULES = "ROBUST: polygon rings, bbox order, years 2000-2100 not in the schema"
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("POST /reports", "RejectedPositiveData"): _GEOMETRY_RULES,
    ("POST /obstacles", "RejectedPositiveData"): _WRITE_RULES,
    ("POST /obstacles/preview", "RejectedPositiveData"): _WRITE_RULES,
    ("POST /obstacles/import", "RejectedPositiveData"): _WRITE_RULES,
    ("PATCH /obstacles/{obstacle_id}", "RejectedPositiveData"): _WRITE_RULES,
    ("POST /reports/{report_id}/accept", "RejectedPositiveData"): _WRITE_RULES,
}


#: Operations that snap points. Random valid positions lie almost always far outside the area,
#: where the O(1) area test answers 422 ``out_of_area`` at once (tests/api/test_frozen.py); so
#: that the routing itself is fuzzed, valid positions are moved into the centre extract's box
#: (lat 49.436–49.446, lon 7.760–7.777). Invalid ones (out of range, not numbers) are left
#: alone, so the rejection of bad input is still fuzzed.
SNAPPING_OPERATIONS = {"POST /routes", "GET /routes", "POST /matrix"}


def _moved(lat: float, lon: float) -> tuple[float, float]:
    return 49.436 + abs(lat) % 0.01, 7.760 + abs(lon) % 0.017


def _is_number(x: object) -> TypeGuard[float]:
    """A JSON number: an int or a float, not a bool."""
    return isinstance(x, int | float) and not isinstance(x, bool)


def _into_area(value: Any) -> Any:
    """``value`` with every valid ``{"lat", "lon"}`` position (or ``"lat,lon"`` text) moved in."""
    if isinstance(value, dict):
        lat, lon = value.get("lat"), value.get("lon")
        if (
            _is_number(lat)
            and _is_number(lon)
            and (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180)
        ):
            value = dict(value)
            value["lat"], value["lon"] = _moved(lat, lon)
            return value
        return {k: _into_area(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_into_area(v) for v in value]
    if isinstance(value, str) and value.count(",") == 1:
        try:
            lat, lon = (float(x) for x in value.split(","))
        except ValueError:
            return value
        if math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180:
            return "{:.6f},{:.6f}".format(*_moved(lat, lon))
    return value


#: 422 codes a schema-valid request can meet for reasons no schema can state: the place is not
#: in the area, no route honours the profile, the profile's values contradict each other, a bbox
#: text is not four ordered numbers or holds too much, a configured limit (trips, pairs),
#: alternatives asked with via points.
#: Also 428 ``version_required``: a write needs the version as a body field *or* If-Match.
DOMAIN_REJECTIONS = frozenset(
    {
        "out_of_area",
        "no_route",
        "parameter_out_of_range",
        "unknown_parameter",
        "invalid_profile",
        "obstacle_matches_nothing",
        "version_required",
        "invalid_bbox",
        "bbox_too_large",
        "too_many_trips",
        "too_many_pairs",
        "alternatives_with_via",
    }
)


def _domain_rejection(failure: Any, status: int, text: str) -> bool:
    """A schema-valid request answered 422 with a domain error code (not a schema mismatch), or
    a schema-violating one refused as too large before its schema is read (413: schemathesis
    does not count it among rejections)."""
    if type(failure).__name__ == "AcceptedNegativeData" and status == 413:
        return _code(text) == "payload_too_large"
    if type(failure).__name__ != "RejectedPositiveData" or status not in (422, 428):
        return False
    return _code(text) in DOMAIN_REJECTIONS


def _code(text: str) -> Any:
    """The error code of an answer's body (None when it is no error body)."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _another_operations_path(case: Any) -> bool:
    """Whether ``case`` names, as an obstacle id, a fixed path word under ``/obstacles``
    (``GET /obstacles/active`` is the map's list, not the obstacle "active"): a request of
    another operation, which no stored obstacle can be (import refuses such ids:
    ``RESERVED_IDS``)."""
    ids = (case.path_parameters or {}).get("obstacle_id")
    return isinstance(ids, str) and ids in RESERVED_IDS


def fuzz(
    api_schema: Any, mode: Any, headers: dict[str, str], base_url: str | None = None
) -> dict[tuple[str, str], str]:
    """Run every operation in ``mode`` (against ``base_url`` when given: a served app); the
    failures found, one example each."""
    found: dict[tuple[str, str], str] = {}
    for result in api_schema.get_all_operations():
        try:
            _fuzz_operation(result.ok(), mode, headers, found, base_url)
        except Unsatisfiable:  # no request of this mode exists (e.g. nothing to get wrong)
            continue
    return found


def _fuzz_operation(
    operation: Any,
    mode: Any,
    headers: dict[str, str],
    found: dict[tuple[str, str], str],
    base_url: str | None,
) -> None:
    """Call ``operation`` with generated cases, recording each (operation, check) failure once."""
    from schemathesis.core.failures import Failure, FailureGroup

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if _another_operations_path(case):
            return
        if operation.label in SNAPPING_OPERATIONS:
            case.body = _into_area(case.body)
            if case.query:
                case.query = _into_area(case.query)
        response = case.call(headers=headers, **({"base_url": base_url} if base_url else {}))
        try:
            case.validate_response(response, headers=headers)
        except (Failure, FailureGroup) as exc:
            failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            for failure in failures:
                if _domain_rejection(failure, response.status_code, response.text):
                    continue
                found.setdefault(
                    (operation.label, type(failure).__name__),
                    f"{failure.title}: {failure.message[:300]}\n"
                    f"  {case.as_curl_command()[:400]}\n"
                    f"  → {response.status_code} {response.text[:300]}",
                )

    run()


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_openapi_matches_behaviour(
    api_schema: Any, fuzzed_app: tuple[FastAPI, str], who: str, mode: str
) -> None:
    """All checks, every operation, valid and invalid requests, with and without a key."""
    from schemathesis import GenerationMode

    headers = {"Authorization": f"Bearer {fuzzed_app[1]}"} if who == "admin" else {}
    assert_no_failures(fuzz(api_schema, GenerationMode(mode), headers))


def assert_no_failures(found: dict[tuple[str, str], str]) -> None:
    """No failure but the :data:`KNOWN_FAILURES`; else each, with its example, in the message."""
    unexpected = {k: v for k, v in found.items() if k not in KNOWN_FAILURES}
    report = "\n".join(f"{op} [{check}] {text}" for (op, check), text in sorted(unexpected.items()))
    assert not unexpected, f"{len(unexpected)} failure(s):\n{report}"
