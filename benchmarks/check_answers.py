"""Random route answers, each checked against itself: what an independent reader must find true.

Seeded random requests in the middle of a graph (every preset, random limits, via points,
alternatives, ``strict``), after a few random staff obstacles of every effect on walking
routes, are answered in process by the app (``POST /routes`` on a TestClient with an empty
temporary database and a staff key). Every route of every answer is checked:

- the verdict against its breaks (``no`` exactly when something is broken; ``yes`` relies on
  nothing unknown), ``strict`` never answers ``no``;
- the geometry's length against ``distance_m`` (1 % + 2 m), a positive duration, an average
  speed a walk can have;
- steps and barriers in order of place and within the route; every step but a seat's on the
  route (a seat is where it stands); no placeholder or ``None`` in a step's text;
- unknown lengths, the longest stretch without a seat and the seats within the route; the
  green share within [0, 1]; each ``ends_short`` with its reason;
- a ``closed`` break exactly where a staff closure is listed as passed;
- every break said at or shortly before its place (:data:`SAID_WITHIN_M`), or inside a step
  that names a stretch covering it ("… auf 75 m"): the closing sentence alone is not enough.
  Left out by design: forbidden unknowns along the way (every metre without width data would
  be a step) and, unless ``--inclines``, incline breaks (an estimated slope under 50 m that the
  profile counts as broken is not said).

Prints the problems by kind with the first examples, and the breaks seen by limit; exit status
1 if any problem. Measured 2026-12-05 (500 requests, plain and ``--rich``, on Kaiserslautern,
Neukölln, Herrenberg and the Heidelberg region): 0 problems at 67ad97a; at dbfe8b1, before the
fixes such runs led to, ``--graph`` Neukölln ``--rich --seed 22`` found 26 (20
``wheelchair=no`` stretches and 6 staff closures said only in the closing sentence).

Usage::

    python benchmarks/check_answers.py [--graph DIR] [--requests 500] [--seed 5] [--rich]
        [--obstacles 25] [--inclines]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import math
import random
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _support import graph_dir, staff_database

#: A break is said when a step (not a turn nor the departure) lies this far before it at most.
SAID_WITHIN_M = 60.0
PRESETS = (
    "wheelchair", "rollator", "elderly", "walk", "blind", "stroller", "electric_wheelchair",
    "low_vision", "dog_walk", "allergy",
)  # fmt: skip
#: Effects of the random staff obstacles.
EFFECTS: tuple[dict[str, Any], ...] = (
    {"closed": True}, {"width_m": 0.6}, {"kerb_height_cm": 12.0}, {"wheelchair": "no"},
    {"surface": "gravel"},
)  # fmt: skip
#: A stretch named in a step: "auf 75 m", "for 1,2 km", "auf den nächsten 15 m".
_STRETCH = re.compile(r"(?:auf den nächsten|within the next|auf|for) (\d[\d.,]*) (m|km)\b")
#: Words of the steps that say a closure or a wheelchair=no stretch, or a flight that says it.
_STRETCH_WORDS = ("gesperrt", "closed", "Rollstühle", "wheelchairs", "Aufzug", "elevator",
                  "Treppe", "stairs")  # fmt: skip


class Checker:
    """The problems found, by kind, with the first few examples printed as they come."""

    def __init__(self, shown: int = 3) -> None:
        self.problems: collections.Counter[str] = collections.Counter()
        self.breaks: collections.Counter[str] = collections.Counter()
        self.shown = shown

    def bad(self, kind: str, info: Any) -> None:
        self.problems[kind] += 1
        if self.problems[kind] <= self.shown:
            print(f"PROBLEM {kind}: {str(info)[:1200]}")


def metres_between(a: list[float], b: list[float]) -> float:
    """Great-circle metres between two [lon, lat] points."""
    p1, p2 = math.radians(a[1]), math.radians(b[1])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    )
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def stretch_covers(step: dict[str, Any], at_m: float, lang: str) -> bool:
    """Whether ``step`` names a stretch ("auf 75 m", "for 1.2 km") that covers the place
    ``at_m``; numbers as ``lang`` writes them (German: "1,2 km")."""
    found = _STRETCH.search(step["text"])
    if not found:
        return False
    number, unit = found.group(1), found.group(2)
    value = float(number.replace(".", "").replace(",", ".") if lang == "de" else number.replace(",", ""))  # fmt: skip
    length = value * (1000.0 if unit == "km" else 1.0)
    return step["at_m"] - 0.2 <= at_m <= step["at_m"] + length * 1.1 + 5.0


def check_route(c: Checker, route: dict[str, Any], body: dict[str, Any], inclines: bool) -> None:
    """Every check of the module doc on one route of an answer to ``body``."""
    acc, distance = route["accessibility"], route["distance_m"]
    breaks = acc["breaks"]
    if (acc["verdict"] == "no") != bool(breaks):
        c.bad("verdict_vs_breaks", (acc["verdict"], breaks[:2]))
    if acc["verdict"] == "yes" and acc["relies_on"]:
        c.bad("yes_relies_on_unknowns", body)
    if body.get("strict") and acc["verdict"] == "no":
        c.bad("strict_answered_no", body)
    geometry = route["geometry"]["coordinates"]
    length = sum(metres_between(a, b) for a, b in itertools.pairwise(geometry))
    if abs(length - distance) > 0.01 * distance + 2.0:
        c.bad("geometry_length", (length, distance, body))
    if distance > 1.0 and route["duration_s"] <= 0:
        c.bad("duration", body)
    if distance > 50.0 and not 0.05 < distance / route["duration_s"] < 3.5:
        c.bad("speed", (distance, route["duration_s"], body["profile"]))
    steps = route["steps"]
    places = [s["at_m"] for s in steps]
    if any(b < a - 0.05 for a, b in itertools.pairwise(places)):
        c.bad("steps_order", places)
    if places and places[-1] > distance + 0.1 + 1e-9:
        c.bad("step_beyond_the_end", (places[-1], distance))
    barrier_places = [b["at_m"] for b in route["barriers"]]
    if any(b < a for a, b in itertools.pairwise(barrier_places)) or any(
        not 0.0 <= x <= distance + 0.1 for x in barrier_places
    ):
        c.bad("barrier_places", barrier_places)
    for step in steps:
        text = step["text"]
        if "{" in text or "}" in text or "None" in text or "  " in text:
            c.bad("step_text", text)
        off = min(metres_between([step["lon"], step["lat"]], q) for q in geometry)
        if off > 1.0 and step["type"] != "rest":
            c.bad("step_off_the_route", (off, step["type"], text))
    for name, unknown in (route.get("unknowns") or {}).items():
        if unknown.get("length_m", 0.0) > distance + 0.5:
            c.bad("unknown_longer_than_route", (name, unknown, distance))
    rests = route.get("rests")
    if rests:
        if rests["longest_gap_m"] > distance + 0.5:
            c.bad("gap_longer_than_route", (rests["longest_gap_m"], distance))
        for seat in rests["seats"]:
            if not -0.1 <= seat["at_m"] <= distance + 0.1:
                c.bad("seat_off_the_route", (seat["at_m"], distance))
    share = route.get("green_share")
    if share is not None and not 0.0 <= share <= 1.0:
        c.bad("green_share", share)
    for end in route.get("ends_short", []):
        if not end.get("reason"):
            c.bad("ends_short_without_reason", end)
    passed = [o.get("effect", {}) for o in route["obstacles"]["passed"]]
    if any(b["limit"] == "closed" for b in breaks) != any(e.get("closed") for e in passed):
        c.bad("closed_break_vs_passed", ([b["limit"] for b in breaks], passed, body))
    said = [s for s in steps if s["type"] not in ("turn", "depart")]
    for b in breaks:
        c.breaks[b["limit"]] += 1
        if b["limit"] == "unknown_forbidden" or (b["limit"] == "incline" and not inclines):
            continue
        if b["at_m"] < 1.0 and any(s["type"] == "depart" for s in steps):
            continue  # the departure says what the start breaks ("Ein Start ohne … liegt …")
        if any(stretch_covers(s, b["at_m"], body["language"]) for s in said):
            continue
        if b["limit"] in ("closed", "wheelchair_no") and any(
            s["at_m"] <= b["at_m"] + 0.2 and any(w in s["text"] for w in _STRETCH_WORDS)
            for s in said
        ):
            continue
        if not any(b["at_m"] - SAID_WITHIN_M <= s["at_m"] <= b["at_m"] + 0.2 for s in said):
            near = [(s["at_m"], s["text"]) for s in steps if abs(s["at_m"] - b["at_m"]) < 80]
            c.bad(f"break_unsaid:{b['limit']}", (b, body["profile"], near))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--obstacles", type=int, default=25, help="random staff obstacles")
    parser.add_argument("--rich", action="store_true", help="more random limits, night trips")
    parser.add_argument("--inclines", action="store_true", help="check incline breaks too")
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from graphs.store import load_graph

    folder = graph_dir(args.graph)
    rng = random.Random(args.seed)
    graph = load_graph(folder)
    lon, lat = np.asarray(graph.node["lon"]), np.asarray(graph.node["lat"])
    mid_lon, mid_lat = float(np.median(lon)), float(np.median(lat))
    middle = np.flatnonzero((np.abs(lon - mid_lon) < 0.012) & (np.abs(lat - mid_lat) < 0.008))

    def point() -> dict[str, float]:
        v = int(middle[rng.randrange(middle.size)])
        jitter = (rng.uniform(-3e-5, 3e-5), rng.uniform(-3e-5, 3e-5))
        return {"lon": float(lon[v]) + jitter[0], "lat": float(lat[v]) + jitter[1]}

    url, headers = staff_database(Path(tempfile.mkdtemp()), "check_answers")
    checker = Checker()
    answered = 0
    with TestClient(create_app(Settings(graph_dir=folder, database_url=url))) as client:
        placed = 0
        for _ in range(args.obstacles):
            walk = {"origin": point(), "destination": point(), "profile": {"name": "walk"}}
            response = client.post("/routes", json=walk)
            if response.status_code != 200:
                continue
            line = response.json()["routes"][0]["geometry"]["coordinates"]
            if len(line) < 5:
                continue
            obstacle = {
                "geometry": {"type": "Point", "coordinates": line[rng.randrange(1, len(line) - 1)]},
                "effect": rng.choice(EFFECTS),
                "reason": "Baustelle: Prüfung",
            }
            placed += client.post("/obstacles", json=obstacle, headers=headers).status_code == 201
        for _ in range(args.requests):
            body = random_request(rng, point, args.rich)
            response = client.post("/routes", json=body)
            if response.status_code >= 500:
                checker.bad("status", (response.status_code, body))
            if response.status_code != 200:
                continue
            answered += 1
            for route in response.json()["routes"]:
                check_route(checker, route, body, args.inclines)
    print(f"graph {folder}: {placed} staff obstacles; {answered} of {args.requests} requests answered")  # fmt: skip
    print(f"breaks seen by limit: {dict(checker.breaks)}")
    problems = sum(checker.problems.values())
    print(f"problems: {problems} {dict(checker.problems) if problems else ''}")
    return 1 if problems else 0


def random_request(rng: random.Random, point: Any, rich: bool) -> dict[str, Any]:
    """One random ``POST /routes`` body: a preset with random limits, sometimes via points, an
    alternative or ``strict``; ``rich``: more limits and a day or a night departure."""
    parameters: dict[str, Any] = {}
    if rng.random() < 0.4:
        parameters["max_incline_percent"] = rng.choice([3.0, 6.0, 10.0])
    if rng.random() < 0.3:
        parameters["max_kerb_height_cm"] = rng.choice([0.0, 3.0, 6.0])
    if rich:
        for name, value, share in (
            ("require_lit", True, 0.3), ("avoid_surfaces_hard", True, 0.3),
            ("worst_smoothness", rng.choice(["good", "intermediate", "bad"]), 0.3),
            ("require_acoustic_signals", True, 0.2), ("require_tactile_paving", True, 0.2),
            ("require_handrail_on_steps", True, 0.2), ("min_width_m", rng.choice([0.8, 1.2, 1.5]), 0.2),
            ("max_distance_between_rests_m", rng.choice([150.0, 300.0]), 0.2), ("avoid_steps", True, 0.2),
        ):  # fmt: skip
            if rng.random() < share:
                parameters[name] = value
    body: dict[str, Any] = {
        "origin": point(),
        "destination": point(),
        "profile": {"name": rng.choice(PRESETS), "parameters": parameters},
        "language": rng.choice(["de", "en"]),
    }
    if rich:
        body["departure_time"] = rng.choice(["2026-06-20T10:00", "2026-12-20T22:00"])
    if rng.random() < 0.3:
        body["via"] = [point() for _ in range(rng.randint(1, 2))]
    elif rng.random() < 0.5:
        body["alternatives"] = 2
    if rng.random() < 0.15:
        body["strict"] = True
    return body


if __name__ == "__main__":
    sys.exit(main())
