"""The trips sent to every server of ``bench_peers.py`` (and ``bench_direct.py``), and how.

A :class:`Target` is one server with its requests and its check of an answer; :func:`run_sequential`
sends each trip to every server in turn at concurrency 1 (the order rotating per trip, every
answer checked), :func:`run_load` runs wrk at a fixed concurrency and reads the server's CPU per
answer from /proc (:func:`median_load` of several rounds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from _support import Connection, cpu_seconds, process_tree
from bench_api import Level, run_wrk

__all__ = [
    "Load",
    "Sequential",
    "Target",
    "median_load",
    "osrm_ok",
    "osrm_paths",
    "run_load",
    "run_sequential",
    "stufenlos_ok",
    "trips_of",
    "valhalla_bodies",
    "valhalla_ok",
]


@dataclass(frozen=True)
class Target:
    """How to ask one server for the trips: method, path per trip, body per trip, and a check
    that an answer (decoded JSON) holds a route."""

    name: str
    base: str
    method: str
    paths: list[str]
    bodies: list[bytes]
    has_route: Callable[[Any], bool]
    #: the server's process (its children are counted too): what :func:`run_load` reads the
    #: CPU time of
    pid: int = 0

    def wrk_lines(self) -> tuple[list[bytes], str]:
        """What ``run_wrk`` cycles: bodies for POST, whole paths for GET; and the POST path."""
        if self.method == "GET":
            return [p.encode() for p in self.paths], ""
        return self.bodies, self.paths[0]


def trips_of(bodies: list[bytes]) -> list[tuple[float, float, float, float]]:
    """(origin lat, lon, destination lat, lon) of stufenlos request bodies."""
    out = []
    for body in bodies:
        b = json.loads(body)
        out.append((b["origin"]["lat"], b["origin"]["lon"], b["destination"]["lat"], b["destination"]["lon"]))  # fmt: skip
    return out


def stufenlos_ok(answer: Any) -> bool:
    """A stufenlos answer with a route and its steps (the instructions)."""
    if not isinstance(answer, dict) or not answer.get("routes"):
        return False
    return bool(answer["routes"][0].get("steps"))


def valhalla_ok(answer: Any) -> bool:
    """A Valhalla answer with a trip (status 0) and its legs (maneuvers inside)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("trip"), dict):
        return False
    trip = answer["trip"]
    return trip.get("status") == 0 and bool(trip.get("legs"))


def osrm_ok(answer: Any) -> bool:
    """An OSRM answer with code Ok, a route and its steps."""
    if not isinstance(answer, dict) or answer.get("code") != "Ok" or not answer.get("routes"):
        return False
    return bool(answer["routes"][0]["legs"][0].get("steps"))


def valhalla_bodies(
    trips: list[tuple[float, float, float, float]], kind: str | None
) -> list[bytes]:
    """``POST /route`` bodies: costing pedestrian, ``type`` ``kind`` (None: Valhalla's default,
    walking)."""
    costing: dict[str, Any] = {"pedestrian": {"type": kind}} if kind else {}
    return [
        json.dumps({
            "locations": [{"lat": a, "lon": b}, {"lat": c, "lon": d}],
            "costing": "pedestrian", "costing_options": costing,
        }, separators=(",", ":")).encode()
        for a, b, c, d in trips
    ]  # fmt: skip


def osrm_paths(trips: list[tuple[float, float, float, float]]) -> list[str]:
    """``GET /route/v1/foot/…`` paths with the steps (OSRM's turn-by-turn instructions)."""
    return [f"/route/v1/foot/{b},{a};{d},{c}?steps=true" for a, b, c, d in trips]


@dataclass
class Sequential:
    """Concurrency 1 of one server: latencies of its good answers, and its failures."""

    latencies_s: list[float] = field(default_factory=list)
    failures: int = 0
    failure_examples: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ms = np.array(self.latencies_s) * 1000.0
        pct = (lambda q: round(float(np.percentile(ms, q)), 3)) if len(ms) else (lambda q: None)
        return {"ok": len(ms), "failed": self.failures, "p50_ms": pct(50), "p95_ms": pct(95),
                "p99_ms": pct(99), "examples": self.failure_examples}  # fmt: skip


def run_sequential(
    targets: list[Target], count: int, *, gap_s: float = 0.0
) -> dict[str, Sequential]:
    """Each trip to every server in turn (the starting server rotates), one connection each;
    ``gap_s``: a pause after each request (not timed), as between an app's requests."""
    results = {t.name: Sequential() for t in targets}
    connections = {t.name: Connection(t.base) for t in targets}
    try:
        for i in range(count):
            for k in range(len(targets)):
                t = targets[(i + k) % len(targets)]
                body = t.bodies[i] if t.method == "POST" else None
                path = t.paths[i] if t.method == "GET" else t.paths[0]
                result = results[t.name]
                try:
                    status, data, elapsed = connections[t.name].request(t.method, path, body)
                except OSError as exc:
                    result.failures += 1
                    _example(result, f"trip {i}: {type(exc).__name__}: {exc}")
                    continue
                answer = _json(data)
                if status == 200 and t.has_route(answer):
                    result.latencies_s.append(elapsed)
                else:
                    result.failures += 1
                    _example(result, f"trip {i}: HTTP {status} {data[:160]!r}")
                if gap_s:
                    time.sleep(gap_s)
    finally:
        for c in connections.values():
            c.close()
    return results


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _example(result: Sequential, text: str) -> None:
    if len(result.failure_examples) < 3:
        result.failure_examples.append(text)


@dataclass(frozen=True)
class Load:
    """One wrk run and the CPU time the server's processes used meanwhile, per request (ms;
    user + system, from /proc: what one answer costs the server, wrk's own CPU not counted;
    NaN when nothing was answered)."""

    level: Level
    cpu_ms_per_request: float


def run_load(target: Target, concurrency: int, seconds: float) -> Load:
    """wrk at ``concurrency`` for ``seconds``, cycling the target's trips; the server's CPU
    time around it."""
    lines, path = target.wrk_lines()
    pids = process_tree(target.pid) if target.pid else []
    before = sum(cpu_seconds(pids))
    level = run_wrk(target.base, lines, concurrency, seconds, method=target.method, path=path)
    used_s = sum(cpu_seconds(pids)) - before
    per = used_s * 1e3 / level.requested if pids and level.requested else float("nan")
    return Load(level, per)


def median_load(loads: list[Load]) -> Load:
    """The round with the median throughput (its own latencies and CPU time with it)."""
    ordered = sorted(loads, key=lambda load: load.level.requests_per_s)
    return ordered[(len(ordered) - 1) // 2]
