"""``POST /routes`` and ``GET /routes``: barrier-free routes with spoken-style instructions.

CPU work does not wait on the event loop: the endpoints parse and validate on the loop, then
compute the routes and serialise the answer in the worker's CPU thread (:func:`api.cpu.run_cpu`),
so ``/health`` and other requests keep being answered while routes are computed. Threads rather
than a process pool, because the searches and the snapping are numba kernels compiled with
``nogil=True`` (see :mod:`api.cpu` for the reasons). ``POST /matrix`` does the same
(:mod:`api.routes.matrix`). The one exception is a short one-leg route that reaches a worker
with nothing else in hand: the fast path computes it on the loop, where nothing waits
(:func:`api.fastpath.on_idle_loop`). What is computed, :mod:`api.route_answers`; the endpoints
call it through that module's attributes (tests replace them there).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BeforeValidator

from api import route_answers as answers
from api.compression import accepts_gzip
from api.cpu import run_cpu
from api.deps import LiveObstaclesDep, RouterDep, SettingsDep
from api.errors import ApiError
from api.schemas import (
    ErrorBody,
    Point,
    ProfileChoice,
    RouteRequest,
    RouteResponse,
    iso_text,
)
from api.unique_keys import UniqueKeysRoute

router = APIRouter(prefix="/routes", tags=["routes"], route_class=UniqueKeysRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown_profile"},
    413: {"model": ErrorBody, "description": "payload_too_large"},
    422: {
        "model": ErrorBody,
        "description": "invalid_request, parameter_out_of_range, out_of_area, no_route, "
        "search_budget_exceeded, too_many_via_points, alternatives_with_via, unknown_parameter",
    },
}


@router.post(
    "",
    response_model=RouteResponse,
    responses=_ERRORS,
    summary="Barrier-free route(s) for a profile",
)
async def post_route(
    req: RouteRequest,
    r: RouterDep,
    settings: SettingsDep,
    live: LiveObstaclesDep,
    request: Request,
) -> Response:
    """Route from origin to destination (through via points) for a preset with overrides.

    Every route carries its ``accessibility`` verdict: ``yes`` only when every limit of the
    profile is known to hold, ``unknown`` when some limit rests on unknown or estimated data
    (``relies_on``), ``no`` when a limit is broken (``breaks``). If no route honours the
    profile's limits, the least-bad one is returned with each broken limit located, unless
    ``strict``, which fails with ``no_route`` instead. ``fully_accessible`` is deprecated.
    """
    request.state.profile = req.profile.name  # for the access log (api.middleware)
    answers.refuse_far_away(r, req, settings)
    answer = await run_cpu(
        answers.route_answer, r, req, settings, live, accepts_gzip(request.scope["headers"])
    )
    return answer.response()


#: ``lat,lon`` in degrees, each within its range (|lat| ≤ 90, |lon| ≤ 180).
LATLON_PATTERN = (
    r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$"
)
_LATLON = re.compile(LATLON_PATTERN)


def _point(text: str, name: str) -> Point:
    """``from`` / ``to`` of ``GET /routes``: ``lat,lon`` as :data:`LATLON_PATTERN` (which the
    document states) takes it, else a 422 that shows the form. FastAPI's own check of the
    pattern answered "String should match pattern '^-?(90(\\.0+)?|[1-8]?…'" to a browser
    user who had typed a semicolon or a space."""
    if _LATLON.fullmatch(text) is None:
        raise ApiError(
            422, "invalid_request",
            f"{name} must be 'latitude,longitude' in degrees, e.g. '49.4447,7.7690', "
            f"got {text[:60]!r}",
            field=name,
        )  # fmt: skip
    lat, lon = (float(x) for x in text.split(","))
    return Point(lat=lat, lon=lon)


@router.get(
    "", response_model=RouteResponse, responses=_ERRORS, summary="Quick route for browser tests"
)
async def get_route(
    request: Request,
    r: RouterDep,
    settings: SettingsDep,
    live: LiveObstaclesDep,
    origin: Annotated[
        str,
        Query(
            alias="from",
            json_schema_extra={"pattern": LATLON_PATTERN},  # checked by _point
            examples=["49.4447,7.7690"],
        ),
    ],
    destination: Annotated[
        str,
        Query(
            alias="to",
            json_schema_extra={"pattern": LATLON_PATTERN},  # checked by _point
            examples=["49.4390,7.7640"],
        ),
    ],
    profile: str = "walk",
    language: Literal["de", "en"] = "de",
    strict: bool = False,
    date: Annotated[
        dt.date | None,
        BeforeValidator(iso_text),
        Query(
            description="the pollen day, YYYY-MM-DD (default: the departure's day)",
            examples=["2024-06-20"],
        ),
    ] = None,
    departure_time: Annotated[
        dt.datetime | None,
        BeforeValidator(iso_text),
        Query(
            description="ISO 8601 (default: now; without an offset: Europe/Berlin time)",
            examples=["2024-12-01T22:00"],
        ),
    ] = None,
) -> Response:
    """``/routes?from=lat,lon&to=lat,lon&profile=wheelchair&language=en``, optionally with
    ``date`` and ``departure_time`` (a pollen forecast needs ``POST /routes``). A query
    parameter it does not know is refused (:mod:`api.declared_query`; ``POST /routes`` refuses
    unknown fields alike)."""
    request.state.profile = profile  # for the access log (api.middleware)
    req = RouteRequest(
        origin=_point(origin, "from"), destination=_point(destination, "to"),
        profile=ProfileChoice(name=profile), language=language, strict=strict,
        date=date, departure_time=departure_time,
    )  # fmt: skip
    answers.refuse_far_away(r, req, settings)
    answer = await run_cpu(
        answers.route_answer, r, req, settings, live, accepts_gzip(request.scope["headers"])
    )
    return answer.response()
