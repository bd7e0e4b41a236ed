"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from api.obstacles.citizen_reports import CitizenReports
from api.obstacles.live import LiveObstacles
from api.obstacles.service import ObstacleService
from api.obstacles.transfer import ObstacleTransfer
from api.settings import Settings
from routing.engine import Router


async def get_router(request: Request) -> Router:
    """The Router loaded at start-up (async: no threadpool hop for a plain lookup)."""
    return request.app.state.router


async def get_settings(request: Request) -> Settings:
    """The service settings."""
    return request.app.state.settings


async def get_service(request: Request) -> ObstacleService:
    """The obstacle service of the app (503 when it was not started). Async: a plain lookup
    needs no round trip through the thread pool."""
    service: ObstacleService | None = getattr(request.app.state, "obstacles", None)
    if service is None:
        raise ApiError(503, "obstacles_unavailable", "obstacles are not available on this server")
    return service


async def get_reports(service: Annotated[ObstacleService, Depends(get_service)]) -> CitizenReports:
    """The citizens' reports, written through the app's obstacle service (503 as
    :func:`get_service` when it was not started; one small object a report request)."""
    return CitizenReports(service)


async def get_transfer(
    service: Annotated[ObstacleService, Depends(get_service)],
) -> ObstacleTransfer:
    """The obstacles' export and import, through the app's obstacle service (as
    :func:`get_reports`)."""
    return ObstacleTransfer(service)


async def live_obstacles(request: Request) -> LiveObstacles | None:
    """The live obstacles of the app (None before start-up).

    Not refreshed here, on the event loop: a refresh after another worker's write re-weights
    the graph for a few milliseconds, so the route's CPU job calls
    :meth:`~api.obstacles.live.LiveObstacles.ensure_fresh` first, in the CPU thread, where it
    is ordered with the routes of this worker and never delays ``/health`` (a route computed on
    an idle loop is computed only when there is nothing to refresh,
    :func:`api.fastpath.on_idle_loop`).
    """
    return getattr(request.app.state, "live_obstacles", None)


RouterDep = Annotated[Router, Depends(get_router)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[ObstacleService, Depends(get_service)]
ReportsDep = Annotated[CitizenReports, Depends(get_reports)]
TransferDep = Annotated[ObstacleTransfer, Depends(get_transfer)]
LiveObstaclesDep = Annotated[LiveObstacles | None, Depends(live_obstacles)]
