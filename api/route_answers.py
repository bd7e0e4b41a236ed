"""Route answers: the routes of a request, their report bodies, steps and the encoded answer,
for one request or several together.

:func:`route_answer` is what ``POST /routes`` and ``GET /routes`` compute in the worker's CPU
thread (:mod:`api.routes.routing`), on the event loop (:mod:`api.fastpath`, :mod:`api.direct`)
or, for the short routes queued in one turn of the loop, :func:`route_answers` of them
together (:mod:`api.loop_routes`): every request's checks and day, every route
(:meth:`~routing.engine.Router.route_many`), every report body with its facts, every step list,
every JSON and gzip, stage by stage (:mod:`routing.route_batch` on why). :func:`plan` is the
body of one request, :func:`refuse_far_away` its O(1) refusal of an end outside the map.
Endpoints and tests reach these through this module's attributes (a test replaces ``plan`` or
``route_answer`` here to hold or count them).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from accessibility_rules.attributes import OSM_ATTRIBUTION, OSM_LICENCE_URL
from accessibility_rules.conditions import Conditions
from accessibility_rules.profile import Profile
from accessibility_rules.surroundings import SeatKind
from api.conditions import RequestDay, request_conditions
from api.errors import ApiError
from api.obstacles.live import LiveObstacles
from api.obstacles.read_ahead import Arrival
from api.responses import EncodedAnswer, exact_bytes
from api.schemas import RouteRequest
from api.settings import Settings
from routing.engine import Router
from routing.facts import route_facts
from routing.instructions import instructions, steps_json
from routing.route import Route
from routing.route_batch import Trip, each_going

__all__ = ["plan", "plans", "refuse_far_away", "route_answer", "route_answers"]

_SEAT_KINDS = {int(k): k.name.lower() for k in SeatKind}


def _rests_json(rests: dict[str, Any] | None) -> dict[str, Any] | None:
    """The route's rests with each seat's kind by name (``bench``, ``picnic_table``, …)."""
    if rests is None:
        return None
    seats = [{**s, "kind": _SEAT_KINDS.get(int(s["kind"]), "unknown")} for s in rests["seats"]]
    return {**rests, "seats": seats}


@functools.lru_cache(maxsize=64)
def _profile_json(profile: Profile) -> orjson.Fragment:
    """The profile's JSON text (profiles are frozen, so this is cached per profile: every
    answer echoes it, some 1.9 kB). Kept as a copy of exactly its length: the bytes orjson
    returns keep the buffer it wrote into (16 kB for these 1.9; :func:`exact_bytes`). As many
    profiles as the metric cache keeps about: each entry holds its profile (7.4 kB), and a
    profile whose weights were evicted is weighed again anyway (~1 ms against ~20 µs here)."""
    return orjson.Fragment(exact_bytes(orjson.dumps(profile.model_dump(mode="json"))))


def plan(
    r: Router,
    req: RouteRequest,
    max_via: int,
    max_alternatives: int,
    *,
    obstacles: LiveObstacles | None = None,
) -> dict[str, Any]:
    """Compute the routes of a request and shape the response body (with the staff obstacles
    each route passes and avoids, when ``obstacles`` is given): :func:`plans` of one."""
    (body,) = plans(r, [req], max_via, max_alternatives, obstacles=obstacles)
    if isinstance(body, Exception):
        raise body
    return body


@dataclass(slots=True, eq=False)
class _Asked:
    """One request of :func:`plans` and what is known of it so far (each stage fills its
    part)."""

    index: int
    req: RouteRequest
    points: list[tuple[float, float]]
    profile: Profile
    day: RequestDay
    routes: list[Route] = dataclasses.field(default_factory=list)
    bodies: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def plans(
    r: Router,
    reqs: Sequence[RouteRequest],
    max_via: int,
    max_alternatives: int,
    *,
    obstacles: LiveObstacles | None = None,
) -> list[dict[str, Any] | Exception]:
    """The response body of every request (or the exception it raised, in its place), computed
    stage by stage over all of them: every request's checks and day, then every route
    (:meth:`~routing.engine.Router.route_many` for the one-leg routes without alternatives),
    then every route's report body and facts, then every route's steps. Each request takes the
    steps of a request alone, in the same order; a stage run for several requests in a row finds
    its code and tables as the request before left them (:mod:`routing.route_batch`)."""
    out: list[dict[str, Any] | Exception | None] = [None] * len(reqs)
    asked = []
    for i, req in enumerate(reqs):
        try:
            asked.append(_ask(r, i, req, max_via, max_alternatives))
        except Exception as exc:  # the request's own error, in its place
            out[i] = exc
    _route_all(r, asked, out)
    going = each_going(
        (a for a in asked if out[a.index] is None), out, lambda a: _bodies(r, a, obstacles)
    )
    going = each_going(going, out, lambda a: _steps(r, a))
    for a in going:
        out[a.index] = {
            "routes": a.bodies,
            "profile": _profile_json(a.profile),
            "conditions": a.day.body,
            "language": a.req.language,
            "attribution": OSM_ATTRIBUTION,
            "licence_url": OSM_LICENCE_URL,
        }
    done = [b for b in out if b is not None]
    assert len(done) == len(reqs)  # every request has its body or its exception
    return done


def _ask(r: Router, index: int, req: RouteRequest, max_via: int, max_alternatives: int) -> _Asked:
    """The request's limits checked, its points, profile and day."""
    if len(req.via) > max_via:
        raise ApiError(422, "too_many_via_points", f"at most {max_via} via points are allowed, got {len(req.via)}", max_via_points=max_via)  # fmt: skip
    if req.alternatives > max_alternatives:
        raise ApiError(422, "parameter_out_of_range", f"alternatives must be between 0 and {max_alternatives}, got {req.alternatives}", parameter="alternatives", minimum=0, maximum=max_alternatives, unit=None, value=req.alternatives)  # fmt: skip
    if req.alternatives and req.via:  # said, not dropped (PRODUCT.md, complaint 10)
        raise ApiError(422, "alternatives_with_via", "alternatives are offered only for a route without via points: ask for alternatives 0, or without via points", field="alternatives")  # fmt: skip
    points = [(p.lat, p.lon) for p in (req.origin, *req.via, req.destination)]
    profile = r.profile(req.profile.name, req.profile.parameters)
    day = request_conditions(req, profile, req.origin.lat, req.origin.lon)
    return _Asked(index, req, points, profile, day)


def _route_all(r: Router, asked: list[_Asked], out: list[Any]) -> None:
    """Every request's routes: the one-leg ones without alternatives together
    (:meth:`~routing.engine.Router.route_many`), the others each by
    :meth:`~routing.engine.Router.route_via` (which gives a one-leg route without alternatives
    as :meth:`~routing.engine.Router.route` does)."""
    together = [a for a in asked if len(a.points) == 2 and a.req.alternatives == 0]
    trips = [_trip(a) for a in together]
    for a, found in zip(together, r.route_many(trips), strict=True):
        if isinstance(found, Exception):
            out[a.index] = found
        else:
            a.routes = [found]
    done = {a.index for a in together}
    for a in asked:
        if a.index in done:
            continue
        try:
            a.routes = r.route_via(
                a.points, a.profile, strict=a.req.strict, alternatives=a.req.alternatives,
                allow_underground=a.req.allow_underground, conditions=a.day.conditions,
            )  # fmt: skip
        except Exception as exc:  # the request's own error, in its place
            out[a.index] = exc


def _trip(a: _Asked) -> Trip:
    """The one-leg route of ``a`` as a :class:`~routing.route_batch.Trip`."""
    return Trip(
        a.points[0], a.points[1], a.profile, strict=a.req.strict,
        allow_underground=a.req.allow_underground, conditions=a.day.conditions,
    )  # fmt: skip


def _bodies(r: Router, a: _Asked, obstacles: LiveObstacles | None) -> None:
    """Each route's report as JSON, with its facts and the staff obstacles it meets."""
    # the facts report the light of the departure for every profile (the weights only for those
    # with a light rule: day.conditions keeps darkness only then)
    day = a.day
    seen = Conditions(pollen=day.conditions.pollen, dark=day.dark)
    for route in a.routes:
        body = route.as_dict()
        body["cost_s"] = round(route.cost_s, 1)
        body["rests"] = _rests_json(route.rests)
        body.update(route_facts(r.graph, route, a.profile, seen, day.day, fragments=True))
        body["obstacles"] = (
            obstacles.describe(route, a.points, a.profile, day.conditions)
            if obstacles
            else {"passed": [], "avoided": []}
        )
        a.bodies.append(body)


def _steps(r: Router, a: _Asked) -> None:
    """Each route's spoken steps."""
    day = a.day
    for route, body in zip(a.routes, a.bodies, strict=True):
        steps = instructions(
            route, a.req.language, avoided=body["obstacles"]["avoided"], graph=r.graph,
            profile=a.profile, conditions=day.conditions, day=day.day,
        )  # fmt: skip
        body["steps"] = steps_json(steps)


def refuse_far_away(r: Router, req: RouteRequest, settings: Settings) -> None:
    """Raise the request's error at once, on the event loop, when its origin or destination lies
    outside the map's area (farther than the snap distance from its box: swapped latitude and
    longitude, a point in another city).

    Such a request costs no search (:meth:`~routing.snapper.Snapper.check_in_area` is O(1) and
    comes first), but sent to the CPU thread it would wait behind every route queued there
    (150–200 ms under load). Here :func:`plan` runs on the loop for it alone, so it raises the
    same error it would raise in the thread (the checks that come before the area's, such as an
    unknown profile, still win); it stops at the area test before any search. Requests with via
    points go the usual way (a far via point is found only after the legs before it)."""
    if req.via:
        return
    if r.snapper.in_area(req.origin.lat, req.origin.lon) and r.snapper.in_area(
        req.destination.lat, req.destination.lon
    ):
        return
    plan(r, req, settings.max_via_points, settings.max_alternatives)


def route_answer(
    r: Router,
    req: RouteRequest,
    settings: Settings,
    live: LiveObstacles | None,
    gzip_ok: bool,
    *,
    refresh: bool = True,
    arrived: Arrival = None,
) -> EncodedAnswer:
    """The answer to a route request, serialised and, when the client accepts it and the body
    is large enough, gzip-compressed here, in the thread that computes the route (the app's gzip
    middleware leaves an encoded body alone): no CPU work of a route is left for later. Obstacle
    writes of other workers are applied first, here (:meth:`LiveObstacles.ensure_fresh`), unless
    the caller has just found them applied (``refresh=False``: no database read); ``arrived``: the
    beacon's value when the request arrived (writes made after it are read in the background, not
    waited for: :mod:`api.obstacles.read_ahead`). The serving
    protocol writes it as it is (:mod:`api.direct`); an ASGI cycle sends its
    :meth:`~api.responses.EncodedAnswer.response`."""
    if live is not None and refresh:
        live.ensure_fresh(arrived)
    body = plan(r, req, settings.max_via_points, settings.max_alternatives, obstacles=live)
    return _encoded(body, settings, gzip_ok)


def _encoded(body: dict[str, Any], settings: Settings, gzip_ok: bool) -> EncodedAnswer:
    """A route answer's body as JSON, gzip-compressed at the settings' level when the client
    accepts it and the body is large enough."""
    return EncodedAnswer.of(
        body, gzip_level=settings.route_gzip_level if gzip_ok else None,
        min_gzip_bytes=settings.gzip_min_bytes,
    )  # fmt: skip


def route_answers(
    r: Router,
    reqs: Sequence[RouteRequest],
    settings: Settings,
    live: LiveObstacles | None,
    gzip_ok: Sequence[bool],
    *,
    refresh: bool = True,
) -> list[EncodedAnswer | Exception]:
    """:func:`route_answer` of several requests (``gzip_ok``: each one's client accepts gzip),
    computed stage by stage (:func:`plans`); each request's exception in its place. A refresh
    of the live obstacles that fails is every request's exception (as each alone would have
    raised it)."""
    if live is not None and refresh:
        try:
            live.ensure_fresh()
        except Exception as exc:  # the refresh of each request alone
            return [exc] * len(reqs)
    bodies = plans(r, reqs, settings.max_via_points, settings.max_alternatives, obstacles=live)
    out: list[EncodedAnswer | Exception] = []
    for body, ok in zip(bodies, gzip_ok, strict=True):
        if isinstance(body, Exception):
            out.append(body)
            continue
        try:
            out.append(_encoded(body, settings, ok))
        except Exception as exc:  # the request's own error, in its place
            out.append(exc)
    return out
