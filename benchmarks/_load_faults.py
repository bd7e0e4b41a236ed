"""The load test's faults (``bench_load.py``): kill -9 of a worker mid-write, a far-away burst.

:func:`kill_phase`: a writer posts closures while probe threads send routes; POSTs are then
sent on connections held by one worker, which gets SIGKILL a few ms later; every write the
server acknowledged must be there afterwards. :func:`burst_phase`: requests with far-away
points or swapped latitude/longitude sent at once, while probes measure the other users'
success.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import signal
import threading
import time
import uuid
from typing import Any

import httpx
from _load_http import (
    HTTP_TIMEOUT_S,
    JSON_HEADERS,
    WORKERS,
    WRITE_TIMEOUT_S,
    Prober,
    closure,
    pct,
    post_route,
)
from _support import (
    HOST,
    Server,
    connection_owner,
    worker_pids,
)

__all__ = [
    "BURST_TIMEOUT_S",
    "KillWriter",
    "burst_bodies",
    "burst_phase",
    "kill_phase",
    "post_then_kill",
]


BURST_TIMEOUT_S = 20.0


def burst_bodies(pairs: list[tuple[dict[str, float], ...]], count: int) -> list[dict[str, Any]]:
    """Requests a new user might send: points far outside the area, or lat/lon swapped."""
    far = [(52.52, 13.405), (48.137, 11.575), (0.0, 0.0), (-33.87, 151.21), (40.71, -74.0)]
    bodies = []
    for i in range(count):
        o, d = pairs[i % len(pairs)]
        if i % 2:
            lat, lon = far[(i // 2) % len(far)]
            origin, destination = {"lat": lat, "lon": lon}, d
        else:
            origin = {"lat": o["lon"], "lon": o["lat"]}
            destination = {"lat": d["lon"], "lon": d["lat"]}
        bodies.append({"origin": origin, "destination": destination, "profile": {"name": "walk"}})
    return bodies


def burst_phase(base: str, bodies: list[dict[str, Any]], within_s: float) -> dict[str, Any]:
    """Send ``bodies`` spread evenly over ``within_s`` (each on its own connection and thread)."""
    statuses: dict[str, int] = {}
    ms: list[float] = []
    lock = threading.Lock()

    def send(body: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        try:
            key = str(post_route(base, json.dumps(body).encode(), BURST_TIMEOUT_S))
        except (OSError, http.client.HTTPException) as exc:
            key = type(exc).__name__
        with lock:
            statuses[key] = statuses.get(key, 0) + 1
            ms.append((time.perf_counter() - t0) * 1000.0)

    threads = []
    start = time.monotonic()
    for i, body in enumerate(bodies):
        time.sleep(max(0.0, start + i * within_s / len(bodies) - time.monotonic()))
        thread = threading.Thread(target=send, args=(body,), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(0.1, start + BURST_TIMEOUT_S + 5.0 - time.monotonic()))
    return {
        "requests": len(bodies),
        "within_s": within_s,
        "statuses": statuses,
        "p50_ms": pct(ms, 50),
        "max_ms": round(max(ms), 2) if ms else math.nan,
    }


class KillWriter(threading.Thread):
    """Posts closures every ``interval_s`` on new connections; remembers what was acknowledged."""

    def __init__(
        self, base: str, headers: dict[str, str], points: list[list[float]], tag: str,
        stop: threading.Event, interval_s: float = 0.3,
    ) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.base, self.headers, self.points, self.tag = base, headers, points, tag
        self.stop, self.interval_s = stop, interval_s
        self.acked: list[str] = []
        self.unacked: list[str] = []

    def run(self) -> None:
        for i in range(10_000):
            if self.stop.wait(self.interval_s):
                return
            reason = f"{self.tag} writer {i}"
            body = closure(self.points[i % len(self.points)], reason)
            try:
                response = httpx.post(
                    f"{self.base}/obstacles", json=body, headers=self.headers, timeout=30.0
                )
                if response.status_code in (200, 201) and "id" in response.json():
                    self.acked.append(response.json()["id"])
                    continue
            except (httpx.HTTPError, ValueError):
                pass
            self.unacked.append(reason)


def post_then_kill(
    server: Server, port: int, key: str, points: list[list[float]], tag: str, delay_ms: float
) -> dict[str, Any]:
    """Send POSTs on every connection held by one worker, SIGKILL that worker ``delay_ms``
    later, then read what each connection got."""
    pids = worker_pids(server.process.pid)
    victim = pids[0] if pids else None
    conns: list[tuple[http.client.HTTPConnection, str]] = []
    deadline = time.monotonic() + 15.0
    for attempt in range(40):
        if victim is None or len(conns) >= 4 or time.monotonic() > deadline:
            break
        conn = http.client.HTTPConnection(HOST, port, timeout=2.0)
        try:
            conn.connect()
            conn.request("GET", "/health")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            continue
        if connection_owner(pids, port, int(conn.sock.getsockname()[1])) == victim:
            conns.append((conn, f"{tag} kill {attempt}"))
        else:
            conn.close()
    headers = JSON_HEADERS | {"authorization": f"Bearer {key}"}
    for i, (conn, reason) in enumerate(conns):
        payload = json.dumps(closure(points[-1 - i], reason)).encode()
        with contextlib.suppress(OSError, http.client.HTTPException):  # unsent: unacknowledged
            conn.request("POST", "/obstacles", body=payload, headers=headers)
    time.sleep(delay_ms / 1000.0)
    killed_at = time.monotonic()
    if victim is not None:
        os.kill(victim, signal.SIGKILL)
    acked: list[str] = []
    unacked: list[str] = []
    for conn, reason in conns:
        conn.timeout = WRITE_TIMEOUT_S
        if conn.sock is not None:
            conn.sock.settimeout(WRITE_TIMEOUT_S)
        try:
            response = conn.getresponse()
            raw = response.read()
            if response.status in (200, 201):
                acked.append(json.loads(raw)["id"])
            else:
                unacked.append(reason)
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            unacked.append(reason)
        conn.close()
    return {"victim": victim, "killed_at": killed_at, "acked": acked, "unacked": unacked}


def kill_phase(
    server: Server, port: int, key: str, route_bodies: list[bytes], points: list[list[float]],
    seconds: float, delay_ms: float,
) -> dict[str, Any]:  # fmt: skip
    """Writer + probes for ``seconds``; a worker killed mid-write after 3 s; then the check."""
    base = server.base
    headers = {"Authorization": f"Bearer {key}"}
    tag = f"load-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    probers = [Prober(base, route_bodies, stop, 211 * k) for k in range(4)]
    writer = KillWriter(base, headers, points, tag, stop)
    for thread in [*probers, writer]:
        thread.start()
    time.sleep(min(3.0, seconds / 3))
    before = worker_pids(server.process.pid)
    kill = post_then_kill(server, port, key, points, tag, delay_ms)
    killed_at = kill["killed_at"]
    respawned_s = math.nan
    end = time.monotonic() + max(seconds - 3.0, 2.0)
    while time.monotonic() < end + 30.0:  # keep probing until a new worker is up (≤ 30 s more)
        now_pids = worker_pids(server.process.pid)
        if math.isnan(respawned_s) and len(now_pids) >= WORKERS and now_pids != before:
            respawned_s = time.monotonic() - killed_at
        if time.monotonic() >= end and not math.isnan(respawned_s):
            break
        time.sleep(0.1)
    time.sleep(2.0)  # probes after the new worker is up
    stop.set()
    for thread in [*probers, writer]:
        thread.join(timeout=35.0)

    log = sorted(entry for p in probers for entry in p.log)
    after = [entry for entry in log if entry[1] >= killed_at]
    failed = [entry for entry in after if not entry[2]]
    recovered_s = (max(e[1] for e in failed) - killed_at) if failed else 0.0
    recovered = bool(after) and after[-1][2]

    # every acknowledged write must be there
    acked = writer.acked + kill["acked"]
    lost: list[str] = []
    with httpx.Client(base_url=base, headers=headers, timeout=HTTP_TIMEOUT_S) as staff:
        for oid in acked:
            status = None
            for _ in range(5):
                try:
                    status = staff.get(f"/obstacles/{oid}").status_code
                    break
                except httpx.HTTPError:
                    time.sleep(0.5)
            if status != 200:
                lost.append(oid)
        try:
            listed = staff.get("/obstacles", params={"status": "all"}).json()["obstacles"]
        except (httpx.HTTPError, ValueError, KeyError):
            listed = []
        # checked: this run's writes leave (a database given with --database-url outlives the
        # run, and the next run's closures would fall where these lie)
        for row in listed:
            if str(row.get("reason", "")).startswith(tag):
                with contextlib.suppress(httpx.HTTPError):
                    staff.delete(f"/obstacles/{row['id']}")
    reasons = {row.get("reason") for row in listed}
    unacked = writer.unacked + kill["unacked"]
    return {
        "victim_pid": kill["victim"],
        "workers_before": before,
        "workers_after": worker_pids(server.process.pid),
        "worker_respawned_after_s": round(respawned_s, 2),
        "probe_requests_after_kill": len(after),
        "probe_failures_after_kill": len(failed),
        "all_succeed_again_after_s": round(recovered_s, 3),
        "recovered": recovered,
        "acknowledged_writes": len(acked),
        "acknowledged_writes_lost": len(lost),
        "lost_ids": lost,
        "writes_in_flight_at_kill": len(kill["acked"]) + len(kill["unacked"]),
        "unacknowledged_writes": len(unacked),
        "unacknowledged_present": sum(1 for r in unacked if r in reasons),
    }
