"""A served area's traffic, mixed as its users make it, for benchmarks that run for a while.

Eight kinds of request, drawn at random (seeded) in these shares:

* 70 % ``POST /routes`` of a random preset; of those, 35 % for a *personal* profile (one of
  :data:`PERSONAL_PROFILES` users, each with their own kerb or incline limit), 20 % with a
  departure on a random day of the next year (the day's light and pollen season: other
  conditions, other metrics), 10 % with a pollen forecast, 5 % asking for alternatives and 5 %
  through a via point;
* 8 % ``GET /routes``, 5 % ``POST /matrix`` (2 × 2);
* 5 % a staff closure at a node of the network (``POST /obstacles``), 5 % the deletion of the
  oldest closure this client made;
* 2 % a route request that is refused (latitude and longitude swapped);
* the rest ``GET /health``.

The trips are those of ``bench_api.py`` (seeded, 200 m – 2.5 km). Each client thread keeps one
connection, as an app does. The answers' statuses are counted; a 5xx is a failure of the run.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from bench_api import make_requests

#: How many users ask with a profile of their own (each always the same parameters).
PERSONAL_PROFILES = 200
#: The taxa a forecast names (the DWD's names and the profile's).
_TAXA = ("betula", "grasses", "alnus", "Roggen", "Hasel")


def personal_parameters(user: int) -> dict[str, Any]:
    """The parameters of personal profile ``user`` (a kerb limit, or an incline limit)."""
    if user % 2 == 0:
        return {"max_kerb_height_cm": 0.5 * (user // 2 % 40)}
    return {"max_incline_percent": 2.0 + 0.25 * (user // 2 % 40)}


class Mix:
    """The mix's requests for one client thread (its own seeded random source)."""

    def __init__(
        self, bodies: list[dict[str, Any]], nodes: list[tuple[float, float]], presets: list[str],
        staff: dict[str, str], seed: int,
    ) -> None:  # fmt: skip
        self.bodies, self.nodes, self.presets, self.staff = bodies, nodes, presets, staff
        self.rng = random.Random(seed)
        self.closures: list[str] = []

    def route_body(self) -> dict[str, Any]:
        """A ``POST /routes`` body of the mix."""
        rng = self.rng
        body = dict(rng.choice(self.bodies))
        body["profile"] = {"name": rng.choice(self.presets)}
        if rng.random() < 0.35:
            body["profile"] = {
                "name": "wheelchair", "parameters": personal_parameters(rng.randrange(PERSONAL_PROFILES))
            }  # fmt: skip
        if rng.random() < 0.2:
            day = dt.date.today() + dt.timedelta(days=rng.randrange(366))
            body["departure_time"] = f"{day.isoformat()}T{rng.randrange(24):02d}:30"
        if rng.random() < 0.1:
            body["pollen_forecast"] = {rng.choice(_TAXA): rng.choice([0, 1, 2, 3, "1-2"])}
        if rng.random() < 0.05:
            body["alternatives"] = 1
        elif rng.random() < 0.05:
            body["via"] = [rng.choice(self.bodies)["origin"]]
        return body

    def send(self, client: httpx.Client) -> httpx.Response:
        """One request of the mix, sent; its response."""
        rng, r = self.rng, self.rng.random()
        if r < 0.70:
            return client.post("/routes", json=self.route_body())
        if r < 0.78:
            b = rng.choice(self.bodies)
            o, d = b["origin"], b["destination"]
            params = {"from": f"{o['lat']},{o['lon']}", "to": f"{d['lat']},{d['lon']}"}
            return client.get("/routes", params=params | {"profile": rng.choice(self.presets)})
        if r < 0.83:
            points = [rng.choice(self.bodies)["origin"] for _ in range(4)]
            matrix = {"sources": points[:2], "targets": points[2:]}
            return client.post("/matrix", json=matrix | {"profile": {"name": rng.choice(self.presets)}})  # fmt: skip
        if r < 0.88:
            lat, lon = rng.choice(self.nodes)
            closure = {
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "effect": {"closed": True}, "reason": "construction site (benchmark)",
            }  # fmt: skip
            response = client.post("/obstacles", json=closure, headers=self.staff)
            if response.status_code == 201:
                self.closures.append(response.json()["id"])
            return response
        if r < 0.93 and self.closures:
            oid = self.closures.pop(0)
            version = client.get(f"/obstacles/{oid}", headers=self.staff).headers.get("etag", '"1"')
            return client.delete(f"/obstacles/{oid}", headers=self.staff | {"If-Match": version})
        if r < 0.95:
            b = rng.choice(self.bodies)
            swapped = {
                k: {"lat": b[k]["lon"], "lon": b[k]["lat"]} for k in ("origin", "destination")
            }
            return client.post("/routes", json=swapped)
        return client.get("/health")


def load_mix(
    graph: Path, count: int = 2000
) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    """The mix's trips (``bench_api.py``'s, seeded) and the nodes closures are put at."""
    from graphs.store import load_graph

    bodies = [json.loads(b) for b in make_requests(graph, count, 7, 200.0, 2500.0)]
    g = load_graph(graph)
    rng = random.Random(11)
    picks = [rng.randrange(g.node_count) for _ in range(count)]
    nodes = [(float(g.node["lat"][i]), float(g.node["lon"][i])) for i in picks]
    return bodies, nodes


def run_mix(
    base: str, graph: Path, staff: dict[str, str], seconds: float, threads: int = 8,
    on_tick: Callable[[float, int], None] | None = None, tick_s: float = 5.0,
) -> collections.Counter[str]:  # fmt: skip
    """The mix from ``threads`` clients for ``seconds``; the count of each ``"METHOD /path
    status"``. ``on_tick(elapsed_s, answered)`` is called every ``tick_s`` from this thread."""
    from accessibility_rules.profile import preset_names

    bodies, nodes = load_mix(graph)
    presets = list(preset_names())
    counts: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        mix = Mix(bodies, nodes, presets, staff, seed)
        with httpx.Client(base_url=base, timeout=60.0) as http:
            while time.monotonic() < stop:
                try:
                    response = mix.send(http)
                    key = f"{response.request.method} /{response.request.url.path.split('/')[1]} {response.status_code}"  # fmt: skip
                except Exception as exc:  # no answer, or not the one expected: counted
                    key = f"error {type(exc).__name__}"
                with lock:
                    counts[key] += 1

    pool = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(threads)]
    start = time.monotonic()
    for t in pool:
        t.start()
    while time.monotonic() < stop:
        time.sleep(min(tick_s, max(0.0, stop - time.monotonic())))
        if on_tick is not None:
            with lock:
                answered = sum(counts.values())
            on_tick(time.monotonic() - start, answered)
    for t in pool:
        t.join()
    return counts
