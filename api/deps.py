"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from api.obstacles.live import LiveObstacles
from api.obstacles.service import ObstacleService
from api.settings import Settings
from routing.engine import Router


async def get_router(request: Request) -> Router:
    """The Router loaded at start-up (async: no threadpool hop for a plain lookup)."""
    return request.app.state.router


async def get_settings(request: Request) -> Settings:
    """The service settings."""
    return request.app.state.settings


def get_service(request: Request) -> ObstacleService:
    """The obstacle service of the app (503 when it was not started)."""
    service: ObstacleService | None = getattr(request.app.state, "obstacles", None)
    if service is None:
        raise ApiError(503, "obstacles_unavailable", "obstacles are not available on this server")
    return service


async def fresh_obstacles(request: Request) -> LiveObstacles | None:
    """The live obstacles, brought up to date for a route request (None before start-up).

    Runs on the event loop: the revision check is one indexed single-row read, at most every
    ``obstacle_poll_s``; a threadpool hop would cost more than the work.
    """
    live: LiveObstacles | None = getattr(request.app.state, "live_obstacles", None)
    if live is not None:
        live.ensure_fresh()
    return live


RouterDep = Annotated[Router, Depends(get_router)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[ObstacleService, Depends(get_service)]
FreshObstaclesDep = Annotated[LiveObstacles | None, Depends(fresh_obstacles)]
