"""Wiring the obstacles into the app: the database, the live overlay and the service, at start-up.

Kept out of :mod:`api.obstacles.live` (the overlay) and :mod:`api.obstacles.service` (the
transactions) so that neither imports the other: this module composes both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from api.obstacles.beacon import WriteBeacon
from api.obstacles.live import LiveObstacles, utc_now
from api.obstacles.poll_ahead import PollAhead
from api.obstacles.service import ObstacleService

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.settings import Settings

log = logging.getLogger("stufenlos.obstacles")


def start_obstacles(app: FastAPI, settings: Settings) -> Callable[[], None]:
    """At start-up, after the Router: migrate the database, load the active obstacles.

    Sets ``app.state.db`` (sessionmaker), ``app.state.live_obstacles``, ``app.state.poll_ahead``
    (its background poll), ``app.state.obstacles`` (the service) and ``app.state.clock`` (unless
    a test set it already). Returns the function that releases the database at shutdown. A stand-in router without a graph (tests) gets no
    obstacles at all: the obstacle endpoints then answer 503.
    """
    from api.db.session import make_engine, make_sessionmaker, upgrade

    router = app.state.router
    if getattr(router, "graph", None) is None or getattr(router, "index", None) is None:
        log.warning("the router has no graph: obstacles and reports are switched off")
        return lambda: None
    from api.obstacles.ratelimit import SharedRateLimiter

    engine = make_engine(settings.database_url)
    if not getattr(app.state, "schema_migrated", False):  # ``stufenlos serve`` migrated it
        upgrade(engine)
    sessions = make_sessionmaker(engine)
    if getattr(app.state, "clock", None) is None:
        app.state.clock = utc_now

    def clock() -> datetime:
        return app.state.clock()

    live = LiveObstacles(
        router, sessions, clock,
        tolerance_m=settings.obstacle_tolerance_m, poll_s=settings.obstacle_poll_s,
        beacon=WriteBeacon.for_database(engine.url.render_as_string(hide_password=False)),
    )  # fmt: skip
    live.warm_up()
    live.refresh(force=True)
    live.store_own_matches()  # what it had to match itself: the next start and workers read them
    app.state.db_engine = engine
    app.state.db = sessions
    app.state.live_obstacles = live
    app.state.poll_ahead = PollAhead(live)  # stopped by the app's lifespan (it awaits)
    app.state.obstacles = ObstacleService(sessions, live, clock)
    app.state.report_limiter = SharedRateLimiter(sessions, settings.reports_per_minute, 60)

    def stop() -> None:
        live.beacon.close()
        engine.dispose()

    return stop
