"""``python -m tests.routing.answer_digests GRAPH_DIR COUNT``: the digests of route answers.

Prints, as JSON, the modules of :data:`~accessibility_rules.mypyc_loading.MYPYC_MODULES` this
process imported from a mypyc build and one SHA-256 per answer body (or the error's class) of
``COUNT`` seeded requests between random nodes of the graph: every preset profile, German and
English, by day and at night (today at 12:00 and 22:00), some with an alternative or a via
point. ``tests/routing/test_mypyc_loading.py`` runs it with the build and without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from accessibility_rules.conditions import BERLIN
from accessibility_rules.mypyc_loading import compiled_modules
from accessibility_rules.profile import preset_names
from api.routes.routing import route_answer
from api.schemas import RouteRequest
from api.settings import Settings
from graphs.store import load_graph
from routing.engine import Router


def requests(graph_dir: Path, count: int) -> list[RouteRequest]:
    """``count`` seeded requests over the graph's nodes (see the module doc)."""
    graph = load_graph(graph_dir)
    lat, lon = np.asarray(graph.node["lat"]), np.asarray(graph.node["lon"])
    rng = np.random.default_rng(20261203)
    today = dt.datetime.now(BERLIN).date()
    times = [dt.datetime.combine(today, dt.time(h)).isoformat() for h in (12, 22)]
    profiles = preset_names()
    made = []
    for i in range(count):
        a, b, c = rng.integers(0, len(lat), size=3)
        body = {
            "origin": {"lat": float(lat[a]), "lon": float(lon[a])},
            "destination": {"lat": float(lat[b]), "lon": float(lon[b])},
            "profile": {"name": profiles[i % len(profiles)]},
            "language": "de" if i % 3 else "en",
            "departure_time": times[(i // len(profiles)) % 2],
            "alternatives": 1 if i % 5 == 0 else 0,
            "via": [{"lat": float(lat[c]), "lon": float(lon[c])}] if i % 7 == 0 else [],
        }
        made.append(RouteRequest.model_validate(body))
    return made


def main(argv: list[str]) -> int:
    graph_dir, count = Path(argv[0]), int(argv[1])
    router, settings = Router(load_graph(graph_dir)), Settings()
    digests = []
    for req in requests(graph_dir, count):
        try:
            body = route_answer(router, req, settings, None, False).body
            digests.append(hashlib.sha256(body).hexdigest())
        except Exception as error:  # an answer that is an error is compared by its class
            digests.append(type(error).__name__)
    print(json.dumps({"compiled": compiled_modules(), "digests": digests}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
