"""``GET /health``: is the graph loaded, which data and software version."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from accessibility_rules.attributes import OSM_ATTRIBUTION
from api.deps import LiveObstaclesDep, RouterDep
from api.obstacles.live import LiveObstacles
from api.schemas import HealthOut
from api.unique_keys import UniqueKeysRoute
from graphs.stamps import utc_stamp

router = APIRouter(tags=["health"], route_class=UniqueKeysRoute)

#: How long ``/health`` waits for the revision read it started: 6 × 5 ms, within its 50 ms.
CHECK_WAIT_STEPS = 6
CHECK_WAIT_STEP_S = 0.005


@router.get("/health", response_model=HealthOut, summary="Service and graph status")
async def health(r: RouterDep, live: LiveObstaclesDep) -> dict[str, Any]:
    """Graph loaded, its size, data date and software version; whether the obstacles'
    database answers this worker (``degraded`` when it does not: routes are still answered,
    with the obstacles last read).

    On the event loop (no thread-pool hop): it only reads a few fields, and so answers at once
    even while every pool thread computes routes. It reads no database either: it starts a
    read of the revision in the background when the worker's last one is more than a second
    old (:meth:`~api.obstacles.live.LiveObstacles.check_soon`), so that what it says is at
    most about a second old, on a worker that answers no routes too, and waits for that read
    at most :data:`CHECK_WAIT_STEPS` × :data:`CHECK_WAIT_STEP_S` on the loop: a database that
    answers or refuses at once is said as it is now (before, the first call after a server
    went down said ``ok``, the next one ``degraded``)."""
    meta = r.graph.meta
    if live is not None:
        reading = live.check_soon()
        for _ in range(CHECK_WAIT_STEPS):  # a database that answers (or refuses) at once
            if reading is None or reading.is_set():
                break
            await asyncio.sleep(CHECK_WAIT_STEP_S)
    database = _database(live)
    return {
        "status": "degraded" if database is not None and not database["reachable"] else "ok",
        "database": database,
        "graph": {
            "nodes": r.graph.node_count,
            "edges": r.graph.edge_count,
            "source": meta.get("source"),
            "source_sha256": meta.get("source_sha256"),
            "data_timestamp": meta.get("data_timestamp"),
            "built_at": meta.get("built_at"),
            "bbox": meta.get("bbox"),
            "revision": r.customizer.revision,
        },
        "software_version": meta.get("software_version"),
        "attribution": OSM_ATTRIBUTION,
    }


def _database(live: LiveObstacles | None) -> dict[str, Any] | None:
    """The ``database`` of ``/health`` (None without an obstacle store)."""
    if live is None:
        return None
    outage = live.outage
    since = outage.since
    return {
        "reachable": since is None,
        "unreachable_since": utc_stamp(since) if since else None,
        "obstacles_stale_since": outage.stale_since(),
    }
