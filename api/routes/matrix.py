"""``POST /matrix``: walking times, distances and verdicts from many sources to many targets.

One Dijkstra search per source (see :mod:`routing.matrix`); every cell equals what a single
route request would find for that pair. Limits: at most :data:`MAX_POINTS` sources and as many
targets, and at most ``Settings.max_matrix_cells`` cells (``STUFENLOS_MAX_MATRIX_CELLS``, default
10 000, so 100 × 100); larger requests get 422 ``matrix_too_large`` naming the limit. The cost of
a call, cells × the graph's node count, is capped by a budget: ``Settings.matrix_cost_budget``
without an API key, ``Settings.matrix_cost_budget_keyed`` with a valid one (``Authorization:
Bearer`` or ``X-API-Key``); past it, 422 ``matrix_budget_exceeded`` naming the budget.

The searches run in the worker's CPU thread (:func:`api.cpu.run_cpu`), never on the event loop,
one slice of about :data:`MATRIX_SLICE_S` per job (:func:`routing.matrix.matrix_steps`): routes
that arrive meanwhile run between the slices instead of waiting for the whole matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from accessibility_rules.attributes import OSM_ATTRIBUTION, OSM_LICENCE_URL
from accessibility_rules.profile import Profile
from api.auth import UnauthorizedError, authenticate
from api.conditions import RequestDay, request_conditions
from api.cpu import run_cpu
from api.deps import LiveObstaclesDep, RouterDep, SettingsDep
from api.errors import ApiError
from api.obstacles.live import LiveObstacles
from api.schemas import ConditionsOut, ConditionsRequest, ErrorBody, Point, ProfileChoice
from api.unique_keys import UniqueKeysRoute
from routing.engine import Router
from routing.matrix import MatrixResult, matrix_steps

router = APIRouter(prefix="/matrix", tags=["matrix"], route_class=UniqueKeysRoute)

#: Most points accepted in ``sources`` and in ``targets``.
MAX_POINTS = 1000

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "unauthorized: an API key was given and is not valid"},
    404: {"model": ErrorBody, "description": "unknown_profile"},
    413: {"model": ErrorBody, "description": "payload_too_large"},
    422: {
        "model": ErrorBody,
        "description": "invalid_request, matrix_too_large, matrix_budget_exceeded, "
        "unknown_parameter, parameter_out_of_range, out_of_area, search_budget_exceeded",
    },
}


class MatrixRequest(ConditionsRequest):
    """``POST /matrix`` (the day's conditions are resolved at the first source)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sources": [{"lat": 49.4447, "lon": 7.7690}, {"lat": 49.4420, "lon": 7.7730}],
                    "targets": [{"lat": 49.4390, "lon": 7.7640}, {"lat": 49.4432, "lon": 7.7652}],
                    "profile": {"name": "wheelchair", "parameters": {"max_kerb_height_cm": 4}},
                }
            ]
        },
    )

    sources: list[Point] = Field(min_length=1, description=f"start points (at most {MAX_POINTS})")
    targets: list[Point] = Field(min_length=1, description=f"end points (at most {MAX_POINTS})")
    profile: ProfileChoice = Field(default_factory=ProfileChoice)


class SnappedOut(BaseModel):
    """Where a point joined the path network."""

    lat: float
    lon: float
    distance_m: float


class MatrixResponse(BaseModel):
    """Matrices indexed ``[source][target]``; ``null`` where the target cannot be reached."""

    durations_s: list[list[float | None]] = Field(
        description="real walking time of the chosen route (like a route's duration_s)"
    )
    costs_s: list[list[float | None]] = Field(
        description="what the search minimises: time weighted by the profile's penalties, "
        "plus 10⁶ s per edge breaking a hard limit (for ranking, not for display); rounded "
        "to 0.1 s as a route's cost_s is"
    )
    distances_m: list[list[float | None]]
    verdicts: list[list[Literal["yes", "unknown", "no"] | None]] = Field(
        description="the verdict a single route request gives the pair (its "
        'accessibility.verdict): "yes" only when every limit of the profile is known to hold '
        'along the route, "unknown" when nothing known breaks a limit but some limit rests on '
        'unknown or estimated data, "no" when a known limit is broken'
    )
    fully_accessible: list[list[bool | None]] = Field(
        deprecated=True,
        description="Deprecated, removed in the next release: true exactly when the cell's "
        'verdict is "yes".',
    )
    sources: list[SnappedOut]
    targets: list[SnappedOut]
    profile: dict[str, Any]
    conditions: ConditionsOut
    attribution: str
    licence_url: str


def _check_size(n_sources: int, n_targets: int, max_cells: int) -> None:
    for name, count in (("sources", n_sources), ("targets", n_targets)):
        if count > MAX_POINTS:
            raise ApiError(
                422, "matrix_too_large",
                f"{name} may hold at most {MAX_POINTS} points, got {count}",
                field=name, max_points=MAX_POINTS, count=count, max_cells=max_cells,
            )  # fmt: skip
    cells = n_sources * n_targets
    if cells > max_cells:
        raise ApiError(
            422, "matrix_too_large",
            f"the matrix may have at most {max_cells} cells (sources × targets), got "
            f"{n_sources} × {n_targets} = {cells}",
            max_cells=max_cells, cells=cells, max_points=MAX_POINTS,
        )  # fmt: skip


def _is_keyed(request: Request) -> bool:
    """Whether the caller sent a valid API key (401 for an unknown or revoked one)."""
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else request.headers.get("x-api-key")
    if not key:
        return False
    db = getattr(request.app.state, "db", None)
    if db is None or authenticate(db, key.strip()) is None:
        raise UnauthorizedError("the API key is unknown or has been revoked")
    return True


def _check_budget(cells: int, node_count: int, budget: int, *, keyed: bool) -> None:
    cost = cells * node_count
    if cost > budget:
        who = "with an API key" if keyed else "without an API key"
        raise ApiError(
            422, "matrix_budget_exceeded",
            f"the matrix costs {cells} cells × {node_count} graph nodes = {cost}, more than the "
            f"budget of a call {who} ({budget} cells × nodes)",
            cost=cost, budget=budget, cells=cells, node_count=node_count, keyed=keyed,
            max_cells=budget // max(1, node_count),
        )  # fmt: skip


@router.post(
    "",
    response_model=MatrixResponse,
    responses=_ERRORS,
    summary="Durations, distances and accessibility from many sources to many targets",
)
async def post_matrix(
    req: MatrixRequest,
    r: RouterDep,
    settings: SettingsDep,
    live: LiveObstaclesDep,
    request: Request,
) -> JSONResponse:
    """Every source to every target for one profile, one search per source.

    ``durations_s`` is the real walking time of the least-cost route (distance ÷ walking speed
    plus kerb and crossing delays, as in a route's ``duration_s``); ``costs_s`` is the cost the
    route minimises. ``verdicts`` holds each cell's verdict, the one a single route request
    gives the pair (``yes``/``unknown``/``no``); ``fully_accessible`` is deprecated (verdict
    ``yes``). ``date``, ``departure_time`` and ``pollen_forecast`` weigh the profile in the day's
    pollen and light as in ``POST /routes``, resolved at the first source (``conditions``).
    """
    _check_size(len(req.sources), len(req.targets), settings.max_matrix_cells)
    keyed = await run_in_threadpool(_is_keyed, request)  # a database read: never the CPU thread
    budget = settings.matrix_cost_budget_keyed if keyed else settings.matrix_cost_budget
    _check_budget(len(req.sources) * len(req.targets), r.graph.node_count, budget, keyed=keyed)
    job = await run_cpu(_begin, r, req, live)
    result = None
    while result is None:  # one slice per job: the routes queued meanwhile run in between
        result = await run_cpu(next, job.steps)
    return await run_cpu(_answer, job, result)


#: Seconds of matrix work per job of the worker's CPU thread (:func:`routing.matrix.matrix_steps`):
#: a route queued behind a matrix waits at most about this long (a whole 1000 × 10 matrix on
#: Kaiserslautern takes about 1.3 s).
MATRIX_SLICE_S = 0.02


@dataclass(frozen=True, slots=True)
class _MatrixJob:
    """A matrix being computed: its profile, its day and the slices still to run."""

    profile: Profile
    day: RequestDay
    steps: Iterator[MatrixResult | None]


def _begin(r: Router, req: MatrixRequest, live: LiveObstacles | None) -> _MatrixJob:
    """The matrix of a request, set up (in the CPU thread) on the obstacles of now."""
    if live is not None:
        live.ensure_fresh()
    profile = r.profile(req.profile.name, req.profile.parameters)
    day = request_conditions(req, profile, req.sources[0].lat, req.sources[0].lon)
    steps = matrix_steps(
        r,
        [(p.lat, p.lon) for p in req.sources],
        [(p.lat, p.lon) for p in req.targets],
        profile,
        conditions=day.conditions,
        slice_s=MATRIX_SLICE_S,
    )
    return _MatrixJob(profile, day, steps)


def _answer(job: _MatrixJob, result: MatrixResult) -> JSONResponse:
    """The matrix's answer, body serialised (in the CPU thread)."""
    profile, day = job.profile, job.day
    cells = result.as_lists(digits=1)

    def snapped(points: list[Any]) -> list[dict[str, float]]:
        return [{"lat": s.lat, "lon": s.lon, "distance_m": round(s.distance_m, 1)} for s in points]

    return JSONResponse(
        {
            "durations_s": cells["duration_s"],
            "costs_s": cells["cost_s"],
            "distances_m": cells["distance_m"],
            "verdicts": cells["verdict"],
            "fully_accessible": cells["fully_accessible"],
            "sources": snapped(result.sources),
            "targets": snapped(result.targets),
            "profile": profile.model_dump(mode="json"),
            "conditions": day.body,
            "attribution": OSM_ATTRIBUTION,
            "licence_url": OSM_LICENCE_URL,
        }
    )
