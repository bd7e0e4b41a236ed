"""``/obstacles``: city staff keep the map true (construction sites, broken elevators …).

Writes need a staff key (import an admin key); ``GET /obstacles/active`` is public, for the app's
map. Every write answers with what the geometry matched on the graph once it is stored; every
route that starts after the answer takes it into account, in every worker of the host
(:meth:`api.obstacles.live.LiveObstacles.written`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import AUTH_ERRORS, AdminUser, StaffUser
from api.compression import accepts_gzip
from api.cpu import run_cpu
from api.deps import LiveObstaclesDep, ServiceDep, SettingsDep, TransferDep
from api.errors import ApiError
from api.obstacles.public_map import ActiveMap, encoded_feature
from api.obstacles.schemas import (
    ID_MAX_LENGTH,
    ID_PATTERN,
    VERSION_MAX,
    FeatureCollection,
    HistoryEntry,
    ImportCollection,
    ImportResult,
    ObstacleCreate,
    ObstacleHistoryOut,
    ObstacleList,
    ObstaclePreview,
    ObstaclePublic,
    ObstacleUpdate,
    ObstacleWritten,
)
from api.obstacles.service import ObstacleService, Written
from api.piecewise_json import PiecewiseJSONRoute
from api.responses import encoded_model
from api.schemas import ErrorBody
from api.unique_keys import UniqueKeysRoute

router = APIRouter(prefix="/obstacles", tags=["obstacles"], route_class=UniqueKeysRoute)

_AUTH = AUTH_ERRORS
_WRITE: dict[int | str, dict[str, Any]] = _AUTH | {
    422: {
        "model": ErrorBody,
        "description": "invalid_request (bad geometry, effect or validity), "
        "obstacle_matches_nothing",
    }
}
_ONE: dict[int | str, dict[str, Any]] = _AUTH | {
    404: {"model": ErrorBody, "description": "not_found"}
}
#: A version 1 … 2^31 - 1 (``VERSION_MAX``) in decimal, no leading zero: digit by digit, so
#: that the OpenAPI document can state exactly what ``If-Match`` takes (the range is checked
#: by ``tests/api/test_json_types.py`` against every bound).
_VERSION_DIGITS = (
    "[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
    "|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]"
    "|214748364[0-7]"
)
#: ``If-Match``: the version read as the ``ETag`` gives it (``"3"``), weak (``W/"3"``) or bare
#: (``3``); the same text in Python and in the document (ECMA-262 and Python agree on it).
IF_MATCH_PATTERN = f'^[ \\t]*(?:W/)?"?({_VERSION_DIGITS})"?[ \\t]*$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def _if_match_schema(schema: dict[str, Any]) -> None:
    """The ``If-Match`` parameter's schema: a text of :data:`IF_MATCH_PATTERN`. FastAPI writes
    an optional header as "string or null", and a header is never null (not sent is absent):
    schemathesis sent the text ``null`` for it."""
    schema.pop("anyOf", None)
    schema["type"] = "string"
    schema["pattern"] = IF_MATCH_PATTERN


#: An obstacle id in the URL path (the pattern of every stored id).
ObstacleIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH, description="the obstacle's id")
]


def written_out(w: Written, service: ObstacleService, response: Response) -> ObstacleWritten:
    """The answer to a write (its version also as the ``ETag``)."""
    response.headers["ETag"] = f'"{w.row.version}"'
    return ObstacleWritten.read_written(w.row, service.clock(), service.match_json(w.match))


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    found = _IF_MATCH.fullmatch(value)
    if found is None:
        raise ApiError(
            422, "invalid_request", f"If-Match must be the version read (1 to {VERSION_MAX}), e.g. '\"3\"', got {value[:40]!r}",
            field="If-Match",
        )  # fmt: skip
    return int(found.group(1))


# The staff writes (create, update, delete) run in the thread pool, not as jobs of the worker's
# CPU thread (api/cpu.py): a write waits for the database as long as it takes (behind another
# writer's lock up to SQLite's busy timeout or PostgreSQL's lock_timeout, 30 s each:
# api/db/session.py), and in the CPU thread every route of the worker waited with it (found 2026-12-07: one POST behind
# a database locked by another program held a route 27.6 s). In the pool a write takes turns
# with the routes at the interpreter: from 2026-12-04 to 2026-12-07 writes ran in the CPU thread
# for their latency under load, POST p50 / p95 13.2 / 19.7 ms against 21.1 / 35.4 in the pool
# and write -> live p95 21.3 against 36.1 ms (c64, one closure a second; target 100 ms).
@router.post(
    "",
    status_code=201,
    response_model=ObstacleWritten,
    responses=_WRITE,
    summary="Create an obstacle (staff)",
)
async def create_obstacle(
    body: ObstacleCreate, user: StaffUser, service: ServiceDep, response: Response
) -> ObstacleWritten:
    """Store the obstacle, match its geometry on the graph and apply it if it is active now.

    The answer holds the stored obstacle, ``active`` (does it apply now) and ``match``: the
    paths and nodes it changes, as counts, length, street names and a MultiLineString.
    """
    return await run_in_threadpool(
        lambda: written_out(service.create(body, user.name), service, response)
    )


@router.get("", response_model=ObstacleList, responses=_AUTH, summary="List obstacles (staff)")
def list_obstacles(
    _: StaffUser,
    service: ServiceDep,
    request: Request,
    settings: SettingsDep,
    status: Annotated[
        Literal["all", "active", "scheduled", "expired"],
        Query(description="active: applies now; scheduled: starts later; expired: ended"),
    ] = "all",
) -> Response:
    """Obstacles that are not deleted, oldest first."""

    def listed() -> ObstacleList:
        now = service.clock()
        rows = service.list(status)
        return ObstacleList(count=len(rows), obstacles=[ObstaclePublic.read(r, now) for r in rows])

    return encoded_model(listed, request, settings)


@router.get(
    "/active",
    response_model=FeatureCollection,
    responses={304: {"description": "the map is the one named by If-None-Match (its ETag)"}},
    summary="Active obstacles as GeoJSON, for the app's map (public)",
)
async def active_obstacles(
    request: Request, live: LiveObstaclesDep, service: ServiceDep
) -> Response:
    """Every obstacle that applies right now: geometry, effect, reason and validity. From the
    worker's memory, as routes see them; with a weak ``ETag`` (send it as ``If-None-Match``:
    304 while the map is the same) and, while the database cannot be read, ``stale_since``
    (the map as last read)."""
    active_map: ActiveMap = request.app.state.active_map
    gzip_ok, if_none_match = (
        accepts_gzip(request.scope["headers"]),
        request.headers.get("if-none-match"),
    )
    if live is None:  # before start-up: from the database
        rows = await run_in_threadpool(service.list, "active")
        features = [encoded_feature(r) for r in rows]
        applied = tuple((r.id, r.version) for r in rows)
        return active_map.answer(
            applied, features, None, gzip_ok=gzip_ok, if_none_match=if_none_match
        )

    def current() -> Response:  # in the CPU thread, where the live obstacles are reloaded
        live.ensure_fresh()
        applied, features = live.public_view()
        return active_map.answer(
            applied,
            features,
            live.outage.stale_since(),
            gzip_ok=gzip_ok,
            if_none_match=if_none_match,
        )

    if live.fresh():  # nothing to read: the kept answer, on the loop
        applied, _ = live.public_view()
        kept = active_map.cached(
            applied, live.outage.stale_since(), gzip_ok=gzip_ok, if_none_match=if_none_match
        )
        if kept is not None:
            return kept
    return await run_cpu(current)


@router.get(
    "/export",
    response_model=FeatureCollection,
    responses=_AUTH,
    summary="Every obstacle that is not deleted, as GeoJSON (staff)",
)
def export_obstacles(
    _: StaffUser, transfer: TransferDep, request: Request, settings: SettingsDep
) -> Response:
    """All properties, so that ``POST /obstacles/import`` restores them on another server."""
    return encoded_model(
        lambda: FeatureCollection.model_validate(transfer.export()), request, settings
    )


def import_obstacles(
    body: ImportCollection,
    user: AdminUser,
    transfer: TransferDep,
    mode: Annotated[
        Literal["versioned", "overwrite"],
        Query(
            description="versioned: an existing obstacle is replaced only if the feature's "
            "version property is its current version (409 otherwise); overwrite: replace "
            "existing obstacles whatever their version"
        ),
    ] = "versioned",
) -> ImportResult:
    """Create (or overwrite, by id) one obstacle per feature; properties as in the export.

    If any feature is invalid or matches nothing, nothing is imported and the 422 answer lists
    every failing feature (``details.errors``: index, id, code, message). Ids must be usable in
    a URL (the pattern of ``/obstacles/{obstacle_id}``). A feature whose id exists replaces that
    obstacle only with the version it was read at (the export's ``version`` property) unless
    ``mode=overwrite``; otherwise nothing is imported and the 409 answer names the ids.
    """
    return transfer.import_features(body, user.name, overwrite=mode == "overwrite")


# Its body (up to 8 MB) is read in a pool thread, item by item (api/piecewise_json.py): read on
# the event loop, a 4.9 MB import held every other request of the worker ~110 ms.
router.add_api_route(
    "/import",
    import_obstacles,
    methods=["POST"],
    response_model=ImportResult,
    responses=_AUTH
    | {
        409: {"model": ErrorBody, "description": "version_conflict (details.ids)"},
        422: {"model": ErrorBody, "description": "import_failed (per feature)"},
    },
    summary="Import a FeatureCollection of obstacles, all or nothing (admin)",
    route_class_override=PiecewiseJSONRoute,
)


@router.post(
    "/preview",
    response_model=ObstaclePreview,
    responses=_WRITE,
    summary="What an obstacle would match, without saving it (staff)",
)
def preview_obstacle(body: ObstacleCreate, _: StaffUser, service: ServiceDep) -> dict[str, Any]:
    """The same body as ``POST /obstacles``; nothing is stored or applied. ``match`` is what a
    create would answer: the paths and nodes it would change (counts, length, street names, a
    MultiLineString), so that staff see them before saving. 422 ``obstacle_matches_nothing``
    when the geometry touches no path."""
    return {"match": service.preview(body)}


@router.get("/{obstacle_id}", response_model=ObstaclePublic, responses=_ONE, summary="One obstacle")
def get_obstacle(
    obstacle_id: ObstacleIdPath, _: StaffUser, service: ServiceDep, response: Response
) -> ObstaclePublic:
    """The obstacle; its version is also the ``ETag`` (send it back as ``If-Match``)."""
    row = service.get(obstacle_id)
    response.headers["ETag"] = f'"{row.version}"'
    return ObstaclePublic.read(row, service.clock())


@router.patch(
    "/{obstacle_id}",
    response_model=ObstacleWritten,
    responses=_WRITE
    | _ONE
    | {
        409: {"model": ErrorBody, "description": "version_conflict: changed since you read it"},
        428: {"model": ErrorBody, "description": "version_required"},
    },
    summary="Change an obstacle (staff; needs the version read)",
)
async def update_obstacle(
    obstacle_id: ObstacleIdPath,
    body: ObstacleUpdate,
    user: StaffUser,
    service: ServiceDep,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(
            description='the version read, e.g. "3"',
            json_schema_extra=_if_match_schema,
        ),
    ] = None,
) -> ObstacleWritten:
    """Change the fields sent. ``version`` (body) or ``If-Match`` must be the stored version;
    if someone changed the obstacle since, the answer is 409 ``version_conflict``."""
    header = _if_match(if_match)
    if header is not None and body.version is not None and header != body.version:
        raise ApiError(
            422, "invalid_request",
            f"If-Match ({header}) and the body's version ({body.version}) disagree",
        )  # fmt: skip
    version = body.version if body.version is not None else header
    return await run_in_threadpool(
        lambda: written_out(
            service.update(obstacle_id, body, version, user.name), service, response
        )
    )


@router.delete(
    "/{obstacle_id}",
    response_model=ObstaclePublic,
    responses=_ONE | {409: {"model": ErrorBody, "description": "version_conflict"}},
    summary="Delete an obstacle (staff; kept in the audit history)",
)
async def delete_obstacle(
    obstacle_id: ObstacleIdPath,
    user: StaffUser,
    service: ServiceDep,
    if_match: Annotated[
        str | None,
        Header(
            description="optional: only if still this version",
            json_schema_extra=_if_match_schema,
        ),
    ] = None,
) -> ObstaclePublic:
    """Soft delete: it stops applying at once; the history keeps who deleted it and when."""

    def delete() -> ObstaclePublic:
        row = service.delete(obstacle_id, user.name, _if_match(if_match))
        return ObstaclePublic.read(row, service.clock())

    return await run_in_threadpool(delete)


@router.get(
    "/{obstacle_id}/history",
    response_model=ObstacleHistoryOut,
    responses=_ONE,
    summary="Audit history of an obstacle (staff)",
)
def obstacle_history(
    obstacle_id: ObstacleIdPath,
    _: StaffUser,
    service: ServiceDep,
    request: Request,
    settings: SettingsDep,
) -> Response:
    """Every change, oldest first: version, action, author, time and the state afterwards."""

    def history() -> ObstacleHistoryOut:
        rows = service.history(obstacle_id)
        entries = [HistoryEntry.model_validate(h, from_attributes=True) for h in rows]
        return ObstacleHistoryOut(obstacle_id=obstacle_id, history=entries)

    return encoded_model(history, request, settings)
