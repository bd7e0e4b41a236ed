"""``GET /health``: is the graph loaded, which data and software version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from accessibility_rules.attributes import OSM_ATTRIBUTION
from api.deps import RouterDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Service and graph status")
async def health(r: RouterDep) -> dict[str, Any]:
    """Graph loaded, its size, data date and software version.

    On the event loop (no thread-pool hop): it only reads a few fields, and so answers at once
    even while every pool thread computes routes."""
    meta = r.graph.meta
    return {
        "status": "ok",
        "graph": {
            "nodes": r.graph.node_count,
            "edges": r.graph.edge_count,
            "source": meta.get("source"),
            "source_sha256": meta.get("source_sha256"),
            "data_timestamp": meta.get("data_timestamp"),
            "built_at": meta.get("built_at"),
            "bbox": meta.get("bbox"),
            "revision": r.revision,
        },
        "software_version": meta.get("software_version"),
        "attribution": OSM_ATTRIBUTION,
    }
