"""``GET /priorities`` and ``GET /priorities.ndjson``: where mapping helps most.

Public, like the map: the ranked unknown way pieces and nodes (crossings, junctions where no
crossing is mapped, kerbs, barriers) that most benchmark trips of a profile rely on
(:mod:`testers.priorities`, the machinery of ``stufenlos bench``), as a FeatureCollection and
as line-delimited GeoJSON tasks that MapRoulette challenges import. Answers are cached per
profile, trips, seed, limit and obstacle revision of the router.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import RouterDep, SettingsDep
from api.errors import ApiError
from api.routes.network import LineGeometry, PointGeometry
from api.schemas import ErrorBody
from api.unique_keys import UniqueKeysRoute
from routing.engine import Router
from testers.priorities import PlaceKind, mapping_priorities, priority_features, task_lines

router = APIRouter(tags=["priorities"], route_class=UniqueKeysRoute)

_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 32


class PriorityProperties(BaseModel):
    """One unknown way piece or node and how many trips rely on it."""

    rank: int = Field(ge=1)
    kind: PlaceKind = Field(
        description="way: a way piece (LineString); junction: a node where carriageways meet "
        "and no crossing is mapped; crossing: a mapped crossing node; barrier, kerb: such a "
        "node (the others are Points)"
    )
    edge: int = Field(description="the way piece; for a node, the edge a trip came along")
    node: int | None = Field(description="the node (kinds other than way), else null")
    trips: int = Field(description="benchmark trips whose route passes this piece or node")
    trips_share: float = Field(description="share of the routed trips")
    attribute: str = Field(
        description="the unknown attributes, comma-separated",
        examples=["surface,width", "acoustic_signal,tactile_paving"],
    )
    length_m: float | None = Field(description="the way piece's length; null for a node")
    name: str | None
    profile: str


class PriorityFeature(BaseModel):
    """A ranked place to map."""

    type: Literal["Feature"]
    geometry: LineGeometry | PointGeometry
    properties: PriorityProperties


class PriorityCollection(BaseModel):
    """The ranked places; ``routed`` of ``trips`` trips found a route."""

    type: Literal["FeatureCollection"]
    profile: str
    trips: int
    routed: int
    seed: int
    features: list[PriorityFeature]


Profile = Annotated[str, Query(max_length=64, description="a preset name (GET /profiles)")]
Trips = Annotated[int, Query(ge=1, description="benchmark trips routed (random pairs)")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1, description="same seed, same trips")]
Limit = Annotated[int, Query(ge=1, le=500, description="how many places (way pieces and nodes)")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown_profile"},
    422: {"model": ErrorBody, "description": "invalid_request, too_many_trips (details.limit)"},
}


def priorities(
    router_: Router, max_trips: int, profile: str, trips: int, seed: int, limit: int
) -> dict[str, Any]:
    """The FeatureCollection (cached)."""
    if trips > max_trips:
        raise ApiError(
            422, "too_many_trips", f"trips is {trips}, the limit is {max_trips}", limit=max_trips
        )
    key = (profile, trips, seed, limit, router_.customizer.revision)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    ranked, routed = mapping_priorities(router_, profile, trips, seed, limit)
    answer = {
        "type": "FeatureCollection",
        "profile": profile,
        "trips": trips,
        "routed": routed,
        "seed": seed,
        "features": priority_features(router_, ranked, profile, routed),
    }
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = answer
    return answer


def priority_answer(
    router_: RouterDep,
    settings: SettingsDep,
    profile: Profile = "wheelchair",
    trips: Trips = 200,
    seed: Seed = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    """Both endpoints' query and answer: ``trips`` random trips (as ``stufenlos bench --random
    trips --seed seed``) routed for the profile, the way pieces and nodes with an attribute
    unknown to the profile ranked by how many trips pass them (then by length)."""
    return priorities(router_, settings.max_priority_trips, profile, trips, seed, limit)


PriorityAnswer = Annotated[dict[str, Any], Depends(priority_answer)]


@router.get(
    "/priorities",
    response_model=PriorityCollection,
    responses=_ERRORS,
    summary="Mapping priorities: unknown ways and nodes most trips of a profile rely on",
)
def get_priorities(answer: PriorityAnswer) -> dict[str, Any]:
    """Routes ``trips`` random trips (as ``stufenlos bench --random trips --seed seed``) for the
    profile and ranks the places with an attribute unknown to the profile by how many trips
    pass them (then by length, ways before nodes): way pieces (LineStrings: surface, width,
    incline …, a crossing way's signals and paving) and the nodes the routes go on through
    (Points: a crossing's signals and tactile paving, a road junction where no crossing is
    mapped, a kerb's height, a barrier)."""
    return answer


@router.get(
    "/priorities.ndjson",
    response_class=StreamingResponse,
    responses=_ERRORS
    | {
        200: {
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            "description": "one GeoJSON Feature per line (a MapRoulette task)",
        }
    },
    summary="Mapping priorities as line-delimited GeoJSON tasks (MapRoulette challenge)",
)
def get_priority_tasks(answer: PriorityAnswer) -> StreamingResponse:
    """The same places, one Feature per line with ``properties.task`` (a stable id) and
    ``properties.instruction`` (what to survey)."""
    profile = answer["profile"]
    return StreamingResponse(
        iter(list(task_lines(answer["features"]))),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="stufenlos-priorities-{profile}.ndjson"'
        },
    )
