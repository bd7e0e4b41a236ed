"""Robustness of the obstacle and report API: what a schema-driven fuzzer and a hand-made battery
found (issue 11), each as a test, on SQLite and on PostgreSQL (the ``database_url`` fixtures of
``tests/api/conftest.py``; PostgreSQL needs ``STUFENLOS_TEST_POSTGRES_URL``).

Every bad input is a 4xx in the API's one error shape, never a 500: control characters (NUL
breaks PostgreSQL) in any text, ids a URL cannot address, versions beyond a database integer,
times outside 2000-2100; imports neither accept such ids nor overwrite without the version read;
reports outside the area are refused; the key command line and the SQLite file's permissions;
and the README's obstacle example keeps working.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.support import (
    FakeClock,
    assert_error,
    make_keys,
    obstacle_body,
)

pytestmark = pytest.mark.realdata

README = Path(__file__).resolve().parents[2] / "README.md"
NUL = "Baustelle\x00 Gehweg"


@pytest.fixture
def api(start_app: Callable[..., TestClient], database_url: str) -> TestClient:
    """An app on this test's database whose report limit does not get in the way."""
    return start_app(database_url, reports_per_minute=1000)


def field_named(body: dict[str, Any], field: str) -> None:
    """The 422 names ``field`` (in its message and in its first error)."""
    assert field in body["message"], body
    assert body["details"]["errors"][0]["field"].startswith(field), body


def create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/obstacles", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# ------------------------------------------------------------------------- control characters


def test_nul_bytes_in_any_text_are_refused_naming_the_field(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    staff, admin = keys["staff"], keys["admin"]
    point = {"type": "Point", "coordinates": on_route}
    for field in ("description", "contact"):
        report = {"geometry": point, "description": "Aufzug defekt"} | {field: NUL}
        field_named(assert_error(api.post("/reports", json=report), 422, "invalid_request"), field)
    refused = api.post("/obstacles", json=obstacle_body(on_route, reason=NUL), headers=staff)
    field_named(assert_error(refused, 422, "invalid_request"), "reason")
    assert "U+0000" in refused.json()["message"]

    oid = create(api, staff, obstacle_body(on_route))["id"]
    patched = api.patch(f"/obstacles/{oid}", json={"version": 1, "reason": NUL}, headers=staff)
    field_named(assert_error(patched, 422, "invalid_request"), "reason")
    for path in (f"/obstacles/{oid}%00", "/obstacles/a%00b/history", "/reports/a%00b/reject"):
        call = api.post if path.startswith("/reports") else api.get
        body = assert_error(call(path, headers=staff), 422, "invalid_request")
        assert "_id" in body["message"], body

    report = api.post("/reports", json={"geometry": point, "description": "Aufzug defekt"})
    assert report.status_code == 201, report.text
    accepted = api.post(
        f"/reports/{report.json()['id']}/accept",
        json={"effect": {"closed": True}, "reason": "a\x00b"},
        headers=staff,
    )
    field_named(assert_error(accepted, 422, "invalid_request"), "reason")
    feature = {"type": "Feature", "geometry": point, "properties": {"effect": {"closed": True}, "reason": "x", "author": "a\x00"}}  # fmt: skip
    imported = api.post("/obstacles/import", json={"type": "FeatureCollection", "features": [feature]}, headers=admin)  # fmt: skip
    errors = assert_error(imported, 422, "import_failed")["details"]["errors"]
    assert [(e["code"], e["message"].split(":")[0]) for e in errors] == [("invalid_properties", "author")]  # fmt: skip

    # tabs and line breaks are text; the whole write path stores them unchanged
    text = "Aufzug defekt\nseit Montag\tbitte prüfen"
    ok = api.post("/reports", json={"geometry": point, "description": text})
    assert ok.status_code == 201, ok.text
    listed = api.get("/reports", headers=staff).json()["reports"]
    assert text in [r["description"] for r in listed]
    assert api.get(f"/obstacles/{oid}", headers=staff).status_code == 200  # nothing broke


def test_openapi_states_the_text_and_id_patterns(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    report = spec["components"]["schemas"]["ReportCreate"]["properties"]
    assert "pattern" in report["description"]
    path = spec["paths"]["/obstacles/{obstacle_id}"]["get"]["parameters"]
    assert any(p["name"] == "obstacle_id" and "pattern" in p["schema"] for p in path)


# ----------------------------------------------------------------------- versions and times


IF_MATCH_OUT_OF_RANGE = ['"3000000000"', '"2147483648"', '"0"', '"1234567890123456789012"', '"-1"']


def test_versions_beyond_a_database_integer_are_refused(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    staff = keys["staff"]
    oid = create(api, staff, obstacle_body(on_route))["id"]
    url = f"/obstacles/{oid}"
    for if_match in IF_MATCH_OUT_OF_RANGE:
        header = staff | {"If-Match": if_match}
        body = assert_error(api.patch(url, json={"reason": "z"}, headers=header), 422, "invalid_request")  # fmt: skip
        assert body["details"]["field"] == "If-Match"
        assert_error(api.delete(url, headers=header), 422, "invalid_request")
        number = int(if_match.strip('"'))
        in_body = api.patch(url, json={"version": number, "reason": "z"}, headers=staff)
        field_named(assert_error(in_body, 422, "invalid_request"), "version")
    top = api.patch(url, json={"reason": "z"}, headers=staff | {"If-Match": '"2147483647"'})
    assert_error(top, 409, "version_conflict")  # the largest version is a version
    assert api.get(url, headers=staff).json()["version"] == 1


def refused_wherever_a_time_is_written(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float], field: str, value: str
) -> str:
    """``field: value`` is refused 422 naming the field by a create, a PATCH, a report's
    acceptance and an import; the create's message."""
    staff, admin = keys["staff"], keys["admin"]
    refused = api.post("/obstacles", json=obstacle_body(on_route, **{field: value}), headers=staff)
    body = assert_error(refused, 422, "invalid_request")
    field_named(body, field)
    oid = create(api, staff, obstacle_body(on_route))["id"]
    patched = api.patch(f"/obstacles/{oid}", json={"version": 1, field: value}, headers=staff)
    field_named(assert_error(patched, 422, "invalid_request"), field)
    point = {"type": "Point", "coordinates": on_route}
    report = api.post("/reports", json={"geometry": point, "description": "Aufzug defekt"})
    accept = {"effect": {"closed": True}, field: value}
    accepted = api.post(f"/reports/{report.json()['id']}/accept", json=accept, headers=staff)
    field_named(assert_error(accepted, 422, "invalid_request"), field)
    feature = {"type": "Feature", "geometry": point, "properties": {"effect": {"closed": True}, "reason": "x", field: value}}  # fmt: skip
    imported = api.post("/obstacles/import", json={"type": "FeatureCollection", "features": [feature]}, headers=admin)  # fmt: skip
    assert assert_error(imported, 422, "import_failed")["details"]["errors"][0]["message"].startswith(field)  # fmt: skip
    return str(body["message"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("valid_from", "0001-01-01T00:00:00"),
        ("valid_from", "0001-01-01T00:00:00+14:00"),
        ("valid_until", "9999-12-31T23:59:59"),
        ("valid_until", "9999-12-31T23:59:59-12:00"),
        ("valid_from", "1999-12-31T22:59:59Z"),  # 23:59:59 in Berlin
        ("valid_until", "2101-01-01T00:00:00"),
        ("valid_until", "2100-12-31T23:00:00-12:00"),  # 2100 as written, 2101 in Berlin
    ],
)
def test_times_outside_2000_to_2100_are_refused(
    api: TestClient,
    keys: dict[str, dict[str, str]],
    on_route: list[float],
    field: str,
    value: str,
) -> None:
    staff = keys["staff"]
    message = refused_wherever_a_time_is_written(api, keys, on_route, field, value)
    assert "2000" in message
    assert "2100" in message
    edge = api.post("/obstacles", json=obstacle_body(on_route, valid_from="2000-01-01T00:00:00", valid_until="2100-12-31T22:59:59Z"), headers=staff)  # fmt: skip
    assert edge.status_code == 201, edge.text  # the ends of the range (in Berlin) are in it


def test_a_validity_that_ends_on_a_date_alone_is_refused_with_both_readings(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """ "valid_until": "2024-06-10" was stored as the midnight that starts 10 June: a closure
    staff meant to last until that day ended a day early, and routes led into it (a
    hostile-input battery, 2026-12-06). Where a validity ends a time of day is asked; the
    refusal names the start and the end of that day. Where it starts, a date is its start."""
    message = refused_wherever_a_time_is_written(api, keys, on_route, "valid_until", "2024-06-10")
    assert "2024-06-10T00:00 for its start or 2024-06-11T00:00 for its end" in message
    spelled = create(api, keys["staff"], obstacle_body(on_route, valid_from="2024-06-10", valid_until="2024-06-11T00:00"))  # fmt: skip
    assert (spelled["valid_from"], spelled["valid_until"]) == (
        "2024-06-09T22:00:00Z",
        "2024-06-10T22:00:00Z",
    )


def test_an_obstacle_at_the_ends_of_the_range_survives_its_export(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """The range is the city's (Europe/Berlin time), however a time is written: what is stored
    (UTC) and exported is in it when the export is imported again. Before, "2000-01-01T00:30"
    was stored as 1999-12-31T23:30Z and its own export refused on import, and an import is all
    or nothing (found by a hostile-input battery)."""
    staff, admin = keys["staff"], keys["admin"]
    ends = obstacle_body(on_route, valid_from="2000-01-01T00:30:00", valid_until="2100-12-31T23:59:00+01:00")  # fmt: skip
    created = create(api, staff, ends)
    exported = api.get("/obstacles/export", headers=admin).json()
    (mine,) = [f for f in exported["features"] if f["id"] == created["id"]]
    assert mine["properties"]["valid_from"] == "1999-12-31T23:30:00+00:00"
    again = api.post("/obstacles/import?mode=overwrite", json=collection(mine), headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["updated"] == 1


@pytest.mark.parametrize("value", [1718870400, "1718870400", 1718870400.5])
def test_unix_times_are_refused_where_iso_8601_is_asked(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float], value: Any
) -> None:
    """pydantic reads a number (or a string of digits) as a Unix time; the API asks for ISO 8601
    text, and says so (a hostile-input battery found them stored as 2024-06-20T08:00Z)."""
    refused = api.post("/obstacles", json=obstacle_body(on_route, valid_from=value), headers=keys["staff"])  # fmt: skip
    body = assert_error(refused, 422, "invalid_request")
    field_named(body, "valid_from")
    assert "ISO 8601" in body["message"]


def test_c1_control_characters_are_refused_in_texts(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """U+0080-U+009F are control characters as much as C0 and DEL (the README: texts hold
    none); a hostile-input battery had them stored."""
    point = {"type": "Point", "coordinates": on_route}
    for char in ("\x80", "\x85", "\x9b", "\x9f"):
        refused = api.post("/obstacles", json=obstacle_body(on_route, reason=f"Bau{char}stelle"), headers=keys["staff"])  # fmt: skip
        assert f"U+{ord(char):04X}" in assert_error(refused, 422, "invalid_request")["message"]
        report = {"geometry": point, "description": f"kaputt{char}"}
        field_named(assert_error(api.post("/reports", json=report), 422, "invalid_request"), "description")  # fmt: skip
    fine = api.post("/obstacles", json=obstacle_body(on_route, reason="Baustelle \xa0 Ü"), headers=keys["staff"])  # fmt: skip
    assert fine.status_code == 201, fine.text  # no-break space and letters beyond are text


def test_lone_surrogates_are_refused_in_every_stored_text(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """JSON may escape a lone surrogate (``"\\ud800"``), which is no character: UTF-8 cannot
    encode it, so neither database can store it. A report's ``contact`` (an optional text, which
    pydantic let through) reached the database and failed there, a 500 (a hostile-input battery,
    2026-12-06). Sent as the JSON text an app would send (escaped: httpx cannot encode it)."""
    staff, admin = keys["staff"], keys["admin"]
    point = {"type": "Point", "coordinates": on_route}

    def send(method: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        raw = json.dumps(body).encode()  # ensure_ascii: "\\ud800" as six characters
        assert b"\\ud" in raw
        return api.request(method, url, content=raw, headers=headers | {"content-type": "application/json"})  # fmt: skip

    for field, text in (("contact", "\ud800@example.org"), ("description", "Aufzug \udfff")):
        report = {"geometry": point, "description": "Aufzug defekt"} | {field: text}
        body = assert_error(send("POST", "/reports", report, {}), 422, "invalid_request")
        field_named(body, field)
        assert "lone surrogate" in body["message"] or "unicode" in body["message"], body
    refused = send("POST", "/obstacles", obstacle_body(on_route, reason="Bau\ud83dstelle"), staff)
    field_named(assert_error(refused, 422, "invalid_request"), "reason")
    oid = create(api, staff, obstacle_body(on_route))["id"]
    patched = send("PATCH", f"/obstacles/{oid}", {"version": 1, "reason": "\udc00"}, staff)
    field_named(assert_error(patched, 422, "invalid_request"), "reason")
    feature = {"type": "Feature", "geometry": point, "properties": {"effect": {"closed": True}, "reason": "x", "author": "a\ud800"}}  # fmt: skip
    imported = send("POST", "/obstacles/import", {"type": "FeatureCollection", "features": [feature]}, admin)  # fmt: skip
    errors = assert_error(imported, 422, "import_failed")["details"]["errors"]
    assert [(e["code"], e["message"].split(":")[0]) for e in errors] == [("invalid_properties", "author")]  # fmt: skip
    # a pair of surrogates is one character beyond the first plane: text like any other
    fine = send("POST", "/reports", {"geometry": point, "description": "Rampe \U0001F6A7 gesperrt"}, {})  # fmt: skip
    assert fine.status_code == 201, fine.text
    listed = api.get("/reports", headers=staff).json()["reports"]
    assert "Rampe \U0001f6a7 gesperrt" in [r["description"] for r in listed]
    assert api.get(f"/obstacles/{oid}", headers=staff).json()["version"] == 1  # nothing changed


# ------------------------------------------------------------------------------------ import


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(point: list[float], fid: Any = None, **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": point},
        "properties": {"effect": {"closed": True}, "reason": "Baustelle"} | props,
    }
    if fid is not None:
        out["id"] = fid
    return out


BAD_IDS: list[Any] = ["a/b", "", "   ", "..", "a b", "x" * 37, "a\x00b", "ä", "active", "export"]


def test_import_refuses_ids_the_api_cannot_address(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    admin = keys["admin"]
    bad = [feature(on_route, i) for i in BAD_IDS] + [feature(on_route, id=i) for i in [*BAD_IDS, 7]]
    fc = collection(feature(on_route, "gut-1"), *bad)
    errors = assert_error(api.post("/obstacles/import", json=fc, headers=admin), 422, "import_failed")["details"]["errors"]  # fmt: skip
    assert [e["index"] for e in errors] == list(range(1, len(bad) + 1))
    assert {e["code"] for e in errors} <= {"invalid_id", "invalid_properties"}
    assert api.get("/obstacles/export", headers=admin).json()["features"] == []  # all or nothing


def test_import_refuses_the_paths_own_words_as_ids(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """An obstacle imported with the id "active" could be changed and deleted, but ``GET
    /obstacles/active`` is the map's list: it could never be read (schemathesis, random
    examples: ``GET /obstacles/{obstacle_id}`` with "active" answered the list)."""
    admin = keys["admin"]
    for word in ("active", "export", "import", "preview"):
        body = api.post(
            "/obstacles/import", json=collection(feature(on_route, word)), headers=admin
        )
        (error,) = assert_error(body, 422, "import_failed")["details"]["errors"]
        assert error["code"] == "invalid_id"
        assert "path words (active, export, import, preview)" in error["message"]
    assert api.get("/obstacles/active").json()["features"] == []  # still the map's list
    fine = api.post(
        "/obstacles/import", json=collection(feature(on_route, "Active")), headers=admin
    )
    assert fine.status_code == 200, fine.text  # paths are case-sensitive: this one is addressable
    assert api.get("/obstacles/Active", headers=admin).json()["id"] == "Active"


def test_import_overwrites_only_the_version_read(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    staff, admin = keys["staff"], keys["admin"]
    first = create(api, staff, obstacle_body(on_route))
    second = create(api, staff, obstacle_body(on_route, effect={"width_m": 0.8}))
    exported = api.get("/obstacles/export", headers=admin).json()
    assert [f["properties"]["version"] for f in exported["features"]] == [1, 1]
    changed = api.patch(f"/obstacles/{first['id']}", json={"version": 1, "reason": "neu"}, headers=staff)  # fmt: skip
    assert changed.status_code == 200, changed.text

    new = feature(on_route, "neu-1")
    stale = collection(*exported["features"], new)
    body = assert_error(api.post("/obstacles/import", json=stale, headers=admin), 409, "version_conflict")  # fmt: skip
    assert body["details"]["ids"] == [first["id"]]
    assert first["id"] in body["message"]
    assert body["details"]["conflicts"][0] | {"index": 0} == {"index": 0, "id": first["id"], "your_version": 1, "current_version": 2}  # fmt: skip
    after = api.get("/obstacles/export", headers=admin).json()
    reasons = {f["id"]: f["properties"]["reason"] for f in after["features"]}
    assert reasons == {
        first["id"]: "neu",
        second["id"]: "Baustelle: Gehweg gesperrt",
    }  # nothing written

    no_version = feature(on_route, second["id"])  # an existing id without the version read
    body = assert_error(api.post("/obstacles/import", json=collection(no_version), headers=admin), 409, "version_conflict")  # fmt: skip
    assert body["details"]["ids"] == [second["id"]]

    current = api.post("/obstacles/import", json=after, headers=admin)  # the versions just read
    assert current.status_code == 200, current.text
    assert current.json()["updated"] == 2
    forced = api.post("/obstacles/import?mode=overwrite", json=stale, headers=admin)
    assert forced.status_code == 200, forced.text
    assert (forced.json()["created"], forced.json()["updated"]) == (1, 2)
    again = api.get(f"/obstacles/{first['id']}", headers=staff).json()
    assert (again["reason"], again["version"]) == ("Baustelle: Gehweg gesperrt", 4)
    assert api.get("/obstacles/neu-1", headers=staff).status_code == 200  # addressable
    assert_error(api.post("/obstacles/import?mode=sloppy", json=stale, headers=admin), 422, "invalid_request")  # fmt: skip


# --------------------------------------------------------------------------------- the area


@pytest.mark.parametrize(
    ("geometry", "where"),
    [
        ({"type": "Point", "coordinates": [49.44, 7.77]}, "geometry.coordinates"),  # swapped
        ({"type": "Point", "coordinates": [13.40, 52.52]}, "geometry.coordinates"),  # Berlin
        ({"type": "Point", "coordinates": [7.77, 49.60]}, "geometry.coordinates"),  # 17 km north
        (
            {"type": "LineString", "coordinates": [[7.765, 49.44], [7.9, 49.44]]},
            "geometry.coordinates[1]",
        ),
    ],
)
def test_reports_outside_the_area_are_refused(
    api: TestClient, keys: dict[str, dict[str, str]], geometry: dict[str, Any], where: str
) -> None:
    refused = api.post("/reports", json={"geometry": geometry, "description": "Aufzug defekt"})
    body = assert_error(refused, 422, "out_of_area")
    assert body["details"]["field"] == where
    assert api.get("/reports", headers=keys["staff"]).json()["count"] == 0


def test_reports_in_the_area_and_at_its_edge_are_taken(
    api: TestClient, on_route: list[float]
) -> None:
    from graphs.geodesy import metres_per_degree

    router = api.app.state.router  # type: ignore[attr-defined]
    box = router.snapper.area  # the Router's own area test: the box of every path + max_snap_m
    m_lon, m_lat = metres_per_degree(box.lat_max)
    d_lon, d_lat = 0.9 * router.snapper.max_snap_m / m_lon, 0.9 * router.snapper.max_snap_m / m_lat
    inside = [
        [box.lon_min - d_lon, box.lat_min + d_lat],
        on_route,
    ]  # 0.9 max_snap_m west of the box
    for point in inside:
        report = {"geometry": {"type": "Point", "coordinates": point}, "description": "Stufe"}
        assert api.post("/reports", json=report).status_code == 201
    beyond = {"type": "Point", "coordinates": [box.lon_max + 1.2 * d_lon / 0.9, box.lat_max]}
    assert_error(api.post("/reports", json={"geometry": beyond, "description": "Stufe"}), 422, "out_of_area")  # fmt: skip


# ------------------------------------------------------------------------ the command line


@pytest.mark.parametrize("name", ["  ", "", "\t", "a\x00b", "x" * 201, "ab\udcffc"])
def test_keys_create_with_a_bad_name_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    from api.cli import main

    database = tmp_path / "keys.db"
    code = main(
        [
            "keys",
            "create",
            "--name",
            name,
            "--role",
            "staff",
            "--database-url",
            f"sqlite:///{database}",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("stufenlos keys create: "), captured.err
    assert "name" in lines[0]
    assert "Traceback" not in captured.err
    assert not database.exists()  # refused before the database was opened


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_database_is_private_to_its_owner(tmp_path: Path) -> None:
    from api.auth import create_key
    from api.db.session import make_engine, make_sessionmaker, upgrade

    old = os.umask(0o022)
    try:
        database = tmp_path / "new" / "stufenlos.db"
        engine = make_engine(f"sqlite:///{database}")
        upgrade(engine)
        create_key(make_sessionmaker(engine), "Frau Weber", "staff")
        with engine.connect():  # an open connection keeps -wal and -shm
            files = [database, database.with_name("stufenlos.db-wal"), database.with_name("stufenlos.db-shm")]  # fmt: skip
            assert all(f.exists() for f in files), list(database.parent.iterdir())
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        engine.dispose()

        existing = tmp_path / "old.db"  # a file made 0644 by an earlier version
        existing.touch(mode=0o644)
        existing.chmod(0o644)
        make_engine(f"sqlite:///{existing}").dispose()
        assert _mode(existing) == 0o600
    finally:
        os.umask(old)


def test_database_connections_make_a_write_durable_and_wait_for_locks_boundedly(
    database_url: str,
) -> None:
    """What every connection of the service is set to (``api/db/session.py``): SQLite in WAL
    mode with ``synchronous=FULL`` (an acknowledged write survives a power cut; NORMAL, as
    before 2026-12-07, may lose the last commits then) and a 30 s busy timeout; PostgreSQL
    with a 30 s ``lock_timeout`` (none before 2026-12-07: a write behind a held lock waited
    without end) that a rolled-back transaction does not undo."""
    from sqlalchemy import text

    from api.db.session import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                pragmas = {
                    name: connection.execute(text(f"PRAGMA {name}")).scalar()
                    for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
                }
                assert pragmas == {
                    "journal_mode": "wal", "synchronous": 2, "busy_timeout": 30_000,
                    "foreign_keys": 1,
                }  # fmt: skip
            else:
                connection.rollback()
                assert connection.execute(text("SHOW lock_timeout")).scalar() == "30s"
    finally:
        engine.dispose()


# ----------------------------------------------------------------------- the README example


_DATE = re.compile(r"\$\(date -d '([+-]\d+) days' \+([^)]*)\)")


def readme_commands() -> list[list[str]]:
    """The curl commands of the README's obstacle example, split as a shell would (the one
    ``$(date …)`` substitution done here)."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    block = next(b for b in blocks if "curl -X POST http://127.0.0.1:8000/obstacles " in b)
    block = block.replace("\\\n", " ")
    now = datetime.now(UTC)

    def date(m: re.Match[str]) -> str:
        return (now + timedelta(days=int(m.group(1)))).strftime(m.group(2))

    texts: list[str] = []
    for line in block.splitlines():
        if line.startswith("curl"):
            texts.append(line)
        elif texts and not line.startswith(("KEY=", "ADMIN_KEY=")):
            texts[-1] += "\n" + line  # a quoted body over several lines
    return [shlex.split(_DATE.sub(date, t), comments=True) for t in texts]


def run_curl(
    client: TestClient, argv: list[str], variables: dict[str, str], files: dict[str, str], oid: str
) -> httpx.Response:
    """One curl command of the README, through the TestClient."""
    method, headers, data, out = "GET", {}, None, None
    args = iter(argv[1:])
    url = ""
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, value = next(args).split(":", 1)
            for var, key in variables.items():
                value = value.replace(f"${var}", key)
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data"):
            data = next(args)
            data = files[data[1:]] if data.startswith("@") else data
            method = "POST" if method == "GET" else method
        elif arg == ">":
            out = next(args)
        else:
            url = arg
    path = url.removeprefix("http://127.0.0.1:8000").replace("/ID", f"/{oid}")
    response = client.request(method, path, headers=headers, content=data)
    if out is not None:
        files[out] = response.text
    return response


def test_readme_obstacle_example_works(
    start_app: Callable[..., TestClient], database_url: str, clock: FakeClock
) -> None:
    clock.now = datetime.now(UTC)  # the README's dates are relative to today
    client = start_app(database_url)
    headers = make_keys(database_url)
    variables = {"KEY": headers["staff"]["Authorization"].split()[1], "ADMIN_KEY": headers["admin"]["X-API-Key"]}  # fmt: skip
    commands = readme_commands()
    assert len(commands) >= 5
    files: dict[str, str] = {}
    oid = ""
    for argv in commands:
        response = run_curl(client, argv, variables, files, oid)
        assert response.status_code < 300, (shlex.join(argv), response.text)
        if argv[1:4] == ["-X", "POST", "http://127.0.0.1:8000/obstacles"]:
            created = response.json()
            oid = created["id"]
            assert created["active"] is True
            assert created["match"]["edge_count"] >= 1
            assert json.loads(argv[argv.index("-d") + 1])["valid_until"] > clock.now.isoformat()
    assert oid
    assert "obstacles.geojson" in files


# ----------------------------------------------------------- closures at a route's endpoint


@pytest.mark.parametrize("share", [0.25, 0.75])
def test_a_closure_on_the_endpoints_edge_is_always_named(
    api: TestClient,
    keys: dict[str, dict[str, str]],
    baseline: dict[str, dict[str, Any]],
    share: float,
) -> None:
    """Issue 11 counted 17 of 186 closures missing from ``obstacles.avoided`` when an endpoint lies
    on the closed edge. Why: both ends snap to the nearest point whatever the profile, so the route
    must walk a piece of the closed edge; the closure is then *passed* (verdict ``no``, and
    ``ends_short`` names the nearest ends the closure leaves open), not avoided. This pins that
    it is named, once, and never silently missing from both lists."""
    from tests.api.support import DESTINATION, point_on

    closure = point_on(baseline["wheelchair"], 0.5)
    oid = create(api, keys["staff"], obstacle_body(closure))["id"]
    lon, lat = point_on(baseline["wheelchair"], share)
    for ends in (
        {"origin": {"lat": lat, "lon": lon}, "destination": DESTINATION},
        {"origin": DESTINATION, "destination": {"lat": lat, "lon": lon}},
    ):
        response = api.post("/routes", json=ends | {"profile": {"name": "wheelchair"}})
        assert response.status_code == 200, response.text
        first = response.json()["routes"][0]
        passed = [o["id"] for o in first["obstacles"]["passed"]]
        avoided = [o["id"] for o in first["obstacles"]["avoided"]]
        assert (passed + avoided).count(oid) == 1, first["obstacles"]
        if oid in passed:
            assert first["accessibility"]["verdict"] == "no"
            assert any("closed" in end["reason"] for end in first["ends_short"])


def test_a_bbox_across_the_antimeridian_writes_nothing_to_the_log(
    api: TestClient, on_route: list[float]
) -> None:
    """A geometry's bbox is not stored; geojson-pydantic warned on stderr for one whose west
    edge lies east of its east edge, once per distinct message: any client could fill the
    server's log (found in the schemathesis run's warnings). Such a bbox is dropped before it
    is read; one with its south edge north of its north edge is refused, as before."""
    import warnings

    def report(bbox: list[float]) -> dict[str, Any]:
        point = {"type": "Point", "coordinates": on_route, "bbox": bbox}
        return {"geometry": point, "description": "Aufzug defekt"}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        crossing = api.post("/reports", json=report([9.123457, 0.0, -9.654321, 1.0]))
        upside_down = api.post("/reports", json=report([9.1, 1.0, -9.6, 0.0]))
    assert crossing.status_code == 201, crossing.text
    assert_error(upside_down, 422, "invalid_request")
    assert not [w for w in caught if "Antimeridian" in str(w.message)]


def test_a_query_is_read_as_its_operation_declares_it(
    api: TestClient, keys: dict[str, dict[str, str]], on_route: list[float]
) -> None:
    """``?profile=wheelchair&profile=walk`` was answered with a walking route (Starlette reads
    the last value), ``POST /routes?profile=wheelchair`` too (a parameter no one declares is
    passed over), ``/obstacles/import?mode=versioned&mode=overwrite`` overwrote without the
    version check (a hostile-input battery, 2026-12-06). A parameter given twice, or one the
    operation does not take, is 422 naming it, before any body is read (api/declared_query.py)."""
    trip = "from=49.4447,7.7690&to=49.4390,7.7640"
    refused = api.get(f"/routes?{trip}&profile=wheelchair&profile=walk")
    body = assert_error(refused, 422, "invalid_request")
    assert body["message"] == "query.profile: given 2 times ('wheelchair', 'walk'); give it once"
    assert body["details"]["errors"][0]["field"] == "query.profile"
    assert api.get(f"/routes?{trip}&profile=wheelchair").status_code == 200
    route = {"origin": {"lat": 49.4447, "lon": 7.769}, "destination": {"lat": 49.439, "lon": 7.764}}
    misplaced = assert_error(api.post("/routes?profile=wheelchair", json=route), 422, "invalid_request")  # fmt: skip
    assert misplaced["message"] == (
        "query.profile: unknown query parameter 'profile'; POST /routes takes no query parameters: its "
        "parameters are in the body"
    )
    assert api.post("/routes", json=route).status_code == 200
    typo = assert_error(api.get("/priorities?profil=blind"), 422, "invalid_request")
    assert typo["message"].endswith("GET /priorities takes limit, profile, seed, trips")
    unknown = assert_error(api.get(f"/routes?{trip}&alternatives=2"), 422, "invalid_request")
    assert unknown["message"].endswith("(via points, alternatives and the rest: POST /routes)")

    point = {"type": "Point", "coordinates": on_route}
    feature = {"type": "Feature", "id": "once", "geometry": point, "properties": {"effect": {"closed": True}, "reason": "x"}}  # fmt: skip
    first = api.post("/obstacles/import", json=collection(feature), headers=keys["admin"])
    assert first.status_code == 200, first.text
    again = api.post(
        "/obstacles/import?mode=versioned&mode=overwrite",
        json=collection(feature | {"properties": {"effect": {"width_m": 0.5}, "reason": "y"}}),
        headers=keys["admin"],
    )
    assert assert_error(again, 422, "invalid_request")["message"].startswith("query.mode: given 2")
    stored = api.get("/obstacles/once", headers=keys["staff"]).json()
    assert (stored["version"], stored["reason"]) == (1, "x")
    gone = api.delete("/obstacles/once?force=1", headers=keys["staff"])
    assert assert_error(gone, 422, "invalid_request")["message"].endswith(
        "DELETE /obstacles/{obstacle_id} takes no query parameters"
    )

    many = api.get("/network?bbox=7.764,49.440,7.768,49.443&" + "&".join(["attribute=kerb"] * 7))
    assert "given 7 times ('kerb', 'kerb', 'kerb', 'kerb', 'kerb' …)" in assert_error(many, 422, "invalid_request")["message"]  # fmt: skip
    for anything in ("/health?x=1&x=2", "/profiles?cache=0", "/obstacles/active?v=3"):
        assert api.get(anything).status_code == 200, anything  # a GET that declares none


def test_the_operations_templates_match_their_paths() -> None:
    from api.app import create_app
    from api.declared_query import DeclaredQuery
    from api.settings import Settings

    middleware = DeclaredQuery(lambda *_: None, create_app(Settings(docs=False)))  # type: ignore[arg-type]
    for method, path, template in (
        ("GET", "/obstacles/active", "/obstacles/active"),
        ("GET", "/obstacles/ab-1", "/obstacles/{obstacle_id}"),
        ("HEAD", "/obstacles/ab-1/history", "/obstacles/{obstacle_id}/history"),
        ("GET", "/bench/runs/20261206T195452Z-de10bfe6/plots/latency.png", "/bench/runs/{run_id}/plots/{name}.png"),
        ("GET", "/priorities.ndjson", "/priorities.ndjson"),
    ):  # fmt: skip
        operation = middleware._operation(method, path)
        assert operation is not None, path
        assert operation.template == template, path
    assert middleware._operation("GET", "/prioritiesxndjson") is None
    assert middleware._operation("GET", "/console/") is None


def test_a_profile_given_by_its_name_alone_is_refused_with_the_object_it_stands_for(
    api: TestClient,
) -> None:
    """``"profile": "blind"`` (as ``GET /routes?profile=blind`` takes it) was answered "Input
    should be a valid dictionary or object to extract fields from" (found serving another
    city's extract, 2026-12-06); the refusal now spells out the object."""
    ends = {"origin": {"lat": 49.4447, "lon": 7.769}, "destination": {"lat": 49.439, "lon": 7.764}}
    for path, body in (
        ("/routes", ends | {"profile": "blind"}),
        ("/matrix", {"sources": [ends["origin"]], "targets": [ends["destination"]], "profile": "blind"}),
    ):  # fmt: skip
        refused = assert_error(api.post(path, json=body), 422, "invalid_request")
        assert '{"name": "blind"}, with "parameters" to change its limits' in refused["message"]
    assert api.post("/routes", json=ends | {"profile": {"name": "blind"}}).status_code == 200


def test_a_point_given_as_a_pair_or_text_is_refused_with_the_object_it_must_be(
    api: TestClient,
) -> None:
    """``"origin": [49.4036, 8.6756]`` (or GeoJSON's ``[8.6756, 49.4036]``, or ``"49.4,8.6"``
    as ``GET /routes`` takes it) was answered "Input should be a valid dictionary or object to
    extract fields from" (found serving another city's extract, 2026-12-07); the refusal now
    shows the object and says why a pair is not taken. Every point of every endpoint is a
    :class:`~api.schemas.Point`; pydantic's "Value error, " label is not said."""
    origin, destination = {"lat": 49.4447, "lon": 7.769}, {"lat": 49.439, "lon": 7.764}
    ends = {"origin": origin, "destination": destination}
    named = 'a point is an object with named keys, e.g. {"lat": 49.4447, "lon": 7.769}'
    why = ": a pair or text does not say which number is the latitude"
    for path, body, field, said in (
        ("/routes", ends | {"origin": [49.4447, 7.769]}, "origin", named + why),
        ("/routes", ends | {"destination": [7.764, 49.439]}, "destination", named + why),
        ("/routes", ends | {"origin": "49.4447,7.769"}, "origin", named + why),
        ("/routes", ends | {"via": [[49.441, 7.766]]}, "via.0", named + why),
        ("/routes", ends | {"origin": None}, "origin", named),
        ("/routes", ends | {"origin": 49.4447}, "origin", named),
        ("/matrix", {"sources": [[49.4447, 7.769]], "targets": [destination]}, "sources.0", named + why),
    ):  # fmt: skip
        refused = assert_error(api.post(path, json=body), 422, "invalid_request")
        assert {"field": field, "problem": said} in refused["details"]["errors"], refused
        assert "Value error" not in refused["message"]
    assert api.post("/routes", json=ends).status_code == 200
