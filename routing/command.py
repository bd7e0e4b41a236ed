"""What ``stufenlos route`` does: load a compiled graph folder, compute one route, format it.

Kept apart from the HTTP service so that the command imports only the graph store and the
engine (no FastAPI, SQLAlchemy, osmnx or matplotlib): answering one route from the command line
should cost the route, not the start-up of the server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

LatLon = tuple[float, float]


def route_text(
    graph_dir: Path | str,
    origin: LatLon,
    destination: LatLon,
    profile: str = "walk",
    *,
    overrides: Sequence[tuple[str, str]] = (),
    strict: bool = False,
    as_geojson: bool = False,
) -> str:
    """One route on the graph in ``graph_dir``, as its summary or as GeoJSON text.

    Parameters
    ----------
    graph_dir
        A folder written by ``stufenlos build``.
    origin, destination
        ``(lat, lon)`` in WGS84.
    profile
        A preset name (``walk``, ``wheelchair`` …).
    overrides
        ``(parameter, text)`` pairs from ``--set KEY=VALUE``, read with the parameter's type.
    strict
        Fail instead of answering the least-bad route when no route honours the limits.
    as_geojson
        GeoJSON FeatureCollection (indented) instead of the one-paragraph summary.

    Raises
    ------
    GraphNotFoundError, GraphFormatError, ProfileError, RoutingError
        With one sentence each; the command line prints it and exits with status 2.
    """
    from accessibility_rules.profile import parse_override_value
    from graphs.store import load_graph
    from routing.engine import Router

    values = {key: parse_override_value(key, text) for key, text in overrides}
    router = Router(load_graph(Path(graph_dir)))
    route = router.route(origin, destination, profile, strict=strict, **values)
    if as_geojson:
        return json.dumps(route.to_geojson(), ensure_ascii=False, indent=1)
    return route.summary()
