"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import Settings
from routing.engine import Router


async def get_router(request: Request) -> Router:
    """The Router loaded at start-up (async: no threadpool hop for a plain lookup)."""
    return request.app.state.router


async def get_settings(request: Request) -> Settings:
    """The service settings."""
    return request.app.state.settings


RouterDep = Annotated[Router, Depends(get_router)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
