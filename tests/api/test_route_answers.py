"""Route answers computed together (:func:`api.route_answers.route_answers`, what a turn of the
event loop computes for several queued routes) are the bytes of each answer computed alone
(:func:`~api.route_answers.route_answer`), and a request that fails fails alone with its own
error: any mix of profiles and languages, gzip or not, via points, alternatives, a rest limit,
an unknown profile, a point outside the area, a ``strict`` route that breaks a limit, more via
points or alternatives than allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from api.route_answers import route_answer, route_answers
from api.schemas import RouteRequest

ORIGIN = {"lat": 49.4447, "lon": 7.7690}
DESTINATION = {"lat": 49.4390, "lon": 7.7640}
ELSEWHERE = {"lat": 49.4420, "lon": 7.7680}
#: Limits few routes of the city keep: a strict route with them may fail.
STRICTEST = {
    "max_kerb_height_cm": 0,
    "max_incline_percent": 0.5,
    "comfortable_incline_percent": 0.5,
}
#: A fixed departure: the answers of both ways are made at different instants.
WHEN = "2026-06-21T21:30:00"


def _req(**fields: Any) -> RouteRequest:
    body = {"origin": ORIGIN, "destination": DESTINATION, "departure_time": WHEN} | fields
    return RouteRequest.model_validate(body)


def _alone(app: Any, req: RouteRequest, gzip_ok: bool) -> Any:
    state = app.state
    try:
        return route_answer(state.router, req, state.settings, None, gzip_ok)
    except Exception as exc:  # compared with the batch's
        return exc


def test_answers_together_are_the_answers_alone(make_client: Callable[..., TestClient]) -> None:
    reqs = [
        _req(profile={"name": "wheelchair"}),
        _req(profile={"name": "walk"}, language="en"),
        _req(profile={"name": "no-such-profile"}),
        _req(profile={"name": "blind"}, via=[ELSEWHERE]),
        _req(origin={"lat": ORIGIN["lon"], "lon": ORIGIN["lat"]}),  # swapped: out of the area
        _req(profile={"name": "rollator"}, alternatives=1),
        _req(profile={"name": "elderly"}),  # a rest limit
        _req(profile={"name": "wheelchair", "parameters": STRICTEST}, strict=True),
        _req(via=[ELSEWHERE] * 30),  # more than allowed
        _req(alternatives=3),  # more than allowed (max_alternatives 2 below)
        _req(profile={"name": "wheelchair"}, destination=ELSEWHERE, language="en"),
    ]
    gzips = [i % 3 != 1 for i in range(len(reqs))]
    with make_client(max_alternatives=2) as client:
        app = client.app
        state = app.state  # type: ignore[attr-defined]
        together = route_answers(state.router, reqs, state.settings, None, gzips)
        alone = [_alone(app, req, ok) for req, ok in zip(reqs, gzips, strict=True)]
    assert len(together) == len(reqs)
    kinds = {type(a).__name__ for a in together}
    assert {"EncodedAnswer", "UnknownProfileError", "OutOfAreaError", "ApiError"} <= kinds
    for got, want in zip(together, alone, strict=True):
        if isinstance(want, Exception):
            assert type(got) is type(want)
            assert str(got) == str(want)
        else:
            assert not isinstance(got, Exception), got
            assert got.body == want.body
            assert got.raw_headers == want.raw_headers


def test_a_failed_refresh_is_each_requests_error(make_client: Callable[..., TestClient]) -> None:
    class Broken:
        def ensure_fresh(self) -> None:
            raise OSError("database gone")

    with make_client() as client:
        state = client.app.state  # type: ignore[attr-defined]
        got = route_answers(state.router, [_req(), _req()], state.settings, Broken(), [True, True])  # type: ignore[arg-type]
    assert [str(e) for e in got] == ["database gone"] * 2
