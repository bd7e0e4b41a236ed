"""Load-and-fault test of ``stufenlos serve``: route load, staff writes, a burst, kill -9.

Starts the real server (uvicorn, ``--workers 2``) on a free loopback port on the whole
Kaiserslautern graph, with a temporary SQLite database (or ``--database-url``, e.g. PostgreSQL)
and a staff key made with ``stufenlos keys create``. Then fixed-duration phases (``--duration``
seconds each; all traffic to 127.0.0.1, every loop bounded in count and time):

1. **c8**: routes at concurrency 8 (wrk with a Lua script when installed, else httpx; the seeded
   300–3000 m trips of ``bench_api.py``): p50/p95/p99, routes/s.
2. **c64**: the same at concurrency 64, no writes: p99/p50 (target ≤ 10).
3. **c64 + writes**: the same load, and a staff writer at 1 write/s: a closure (``POST
   /obstacles``) on a seeded route that meets no obstacle yet, then routes sent on one connection held by *each* worker
   (the worker is found from /proc) until every worker names the closure in
   ``obstacles.passed/avoided`` (every worker asked at once, each on its own connection); then
   ``DELETE``. write → live p50/p95 (target p95 ≤ 100 ms): from sending the write until a route
   *sent* to any worker is answered with it (see ``wait_live``); beside it, until such a route
   was *answered* (which adds that route's own wait in a loaded worker's queue); and route p99
   with writes / without (target ≤ 1.5), as wrk sees it and as the server does (the ``ms`` of
   its access lines in each phase: request head read to answer written). The two differ on
   this machine because the client shares the two cores with the busy workers: wrk reads an
   answer late when it waits for a core itself, and the writer's threads add to that wait.
4. **kill -9**: a writer posts closures (about 3/s) while four probe threads send routes on new
   connections; after 3 s, POSTs are sent on connections held by one worker and that worker
   gets SIGKILL a few ms later (``--kill-delay-ms``). Afterwards every write the server
   acknowledged (201 with an id) must be there (``GET /obstacles/{id}``): "acknowledged writes
   lost: N" (target 0); unacknowledged ones may be present or absent. Also: the time from the
   kill until every probe request succeeds again, and whether uvicorn started a new worker.
5. **burst**: routes at concurrency 8 (6 wrk connections, 2 probe threads whose every answer
   is checked) and after 1 s a burst of ``--burst`` requests in 2 s with far-away points or
   swapped latitude/longitude: the other users' (probes') success rate (target ≥ 99 %). It runs
   last: on today's code the burst freezes the workers for longer than the phase.

During phases 2, 3 and 5 ``/health`` is asked every 100 ms on a new connection: p99 (target
≤ 50 ms; a failure or timeout fails it). The probing process also records how late it woke
from its own 1 ms waits between probes: the delay the machine's scheduler alone adds to a
process that needs almost no CPU. Printed beside ``/health``, it tells the host's stalls from
the server's (on 2 cores shared with the client it reaches 50–110 ms in some phases). Also
printed: ``/health``'s own time in the server (the ``ms`` of its access lines, from its request
head read to its answer). On 2026-12-04 a probe that took 113 ms took 8.9 ms at most in the
server (p99 0.95 ms of 543 probes at concurrency 64): the rest of a slow probe passes before
the server reads its request (the connection's accept, the worker's turn on the 2 cores).

The client runs on the same 2-core machine as the server, so the figures are a lower bound.
Prints a table of figures with their targets (PASS/FAIL) and can write JSON. About 2–3 minutes
with the default ``--duration 15``.

Usage::

    python benchmarks/bench_load.py
    python benchmarks/bench_load.py --duration 10 --json /tmp/bench_load.json
    python benchmarks/bench_load.py --database-url postgresql+psycopg://user@localhost/stufenlos
    python benchmarks/bench_load.py --database-url postgresql+psycopg://user@localhost/stufenlos \
        --database-delay-ms 2   # the database on another host: 4 ms more per round trip
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _delay_proxy import delayed_database
from _support import (
    ACCESS_LINES_LATE_S,
    HOST,
    Server,
    connection_owner,
    cpu_seconds,
    cpu_shares,
    create_staff_key,
    database_copy,
    load_client,
    server_latency,
    worker_pids,
)
from _support import graph_dir as resolve_graph
from bench_api import Level, make_requests, run_concurrent, run_wrk
from bench_obstacles import longest_piece_middle, route_body, route_pairs

WORKERS = 2
TARGET_P99_OVER_P50 = 10.0
TARGET_WRITE_LIVE_P95_MS = 100.0
TARGET_P99_RISE = 1.5
TARGET_OTHERS_SUCCESS = 0.99
TARGET_HEALTH_P99_MS = 50.0
#: A worker with less of the CPU than this at concurrency 8 had (almost) no connection: the
#: other worker took every one of wrk's (as first-awake accepting did before api/balance.py,
#: and does with STUFENLOS_BALANCE_CONNECTIONS=false).
SKEWED_CPU_SHARE = 0.2  # a fraction (0-1) of the workers' CPU time
NO_OBSTACLES: dict[str, list[Any]] = {
    "passed": [],
    "avoided": [],
}  # a route answer's obstacles when it meets none
LIVE_LIMIT_S = 10.0  # a write not seen in every worker by then counts as not live
HTTP_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 30.0  # today one write can take 13–17 s under load
BURST_TIMEOUT_S = 20.0
RECOVERY_LIMIT_S = 30.0
JSON_HEADERS = {"content-type": "application/json"}


# ----------------------------------------------------------------------------- small helpers


def post_route(base: str, body: bytes, timeout_s: float) -> int:
    """``POST /routes`` on a new connection with a plain socket client; the status.

    Not ``httpx.post``: that builds a client (with a TLS context) per call, tens of ms of this
    process's CPU under the GIL when dozens of threads send at once, which the figures would
    count as the server's time. Raises ``OSError`` or ``http.client.HTTPException``."""
    host, port = base.rsplit("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
    try:
        conn.request("POST", "/routes", body=body, headers=JSON_HEADERS)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (NaN when empty), rounded to 0.01."""
    return round(float(np.percentile(values, q)), 2) if values else math.nan


def closure(point: list[float], reason: str) -> dict[str, Any]:
    """A ``POST /obstacles`` body closing the path at ``point``."""
    return {
        "geometry": {"type": "Point", "coordinates": point},
        "effect": {"closed": True},
        "reason": reason,
    }


class Reader:
    """One keep-alive connection, held by a known worker process (found in /proc)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT_S)
        self.conn.connect()
        self.port = port
        self.client_port = int(self.conn.sock.getsockname()[1])
        self.call("GET", "/health")  # accepted by a worker now
        self.pid: int | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one request and read the JSON answer (``None`` if it is not JSON)."""
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers=JSON_HEADERS)
        response = self.conn.getresponse()
        raw = response.read()
        if response.getheader("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, None

    def reconnect(self, server_pid: int, limit_s: float = 5.0) -> None:
        """After an error: a new connection, held by the same worker if it still lives."""
        deadline = time.monotonic() + limit_s
        for _ in range(50):
            self.conn.close()
            try:
                self.conn.connect()
                self.client_port = int(self.conn.sock.getsockname()[1])
                self.call("GET", "/health")
            except (OSError, http.client.HTTPException):
                continue
            pids = worker_pids(server_pid)
            if self.pid not in pids or time.monotonic() > deadline:
                return
            if connection_owner(pids, self.port, self.client_port) == self.pid:
                return

    def ensure_open(self, server_pid: int) -> None:
        """Reconnect (to the same worker) if the server closed this idle connection, so that a
        write's probes are not timed with a reconnection."""
        try:
            self.call("GET", "/health")
        except (OSError, http.client.HTTPException):
            self.reconnect(server_pid)

    def close(self) -> None:
        self.conn.close()


def readers_per_worker(server: Server, port: int, limit_s: float = 60.0) -> list[Reader]:
    """One reader connection on each worker (new connections until both are covered)."""
    deadline = time.monotonic() + limit_s
    found: dict[int, Reader] = {}
    spare: list[Reader] = []
    for _ in range(200):
        pids = worker_pids(server.process.pid)
        if len(found) >= WORKERS or time.monotonic() > deadline:
            break
        reader = Reader(port)
        owner = connection_owner(pids, port, reader.client_port)
        if owner is not None and owner not in found:
            reader.pid = owner
            found[owner] = reader
        else:
            spare.append(reader)
            time.sleep(0.05)
    for reader in spare:
        reader.close()
    if len(found) < WORKERS:
        print(f"WARNING: readers found on {len(found)} of {WORKERS} workers", file=sys.stderr)
    return list(found.values())


#: The /health prober's program: a process of its own, so that the benchmark's other Python
#: threads (writer, probes, burst) never hold its GIL while a probe is timed. It asks every
#: ``interval`` seconds on a new connection until its standard input closes, and prints one line
#: per probe: the milliseconds, or ``fail``.
_HEALTH_PROBE = r"""
import http.client, select, sys, time
host, port, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
stall_ms = 0.0  # how late this process woke from its 1 ms waits: the machine's own delay
for _ in range(1_000_000):
    due, stop = time.perf_counter() + interval, False
    while not stop:
        step = min(due - time.perf_counter(), 0.001)
        if step <= 0:
            break
        t = time.perf_counter()
        stop = bool(select.select([sys.stdin], [], [], step)[0])  # stdin closed: stop
        stall_ms = max(stall_ms, (time.perf_counter() - t - step) * 1000.0)
    if stop:
        break
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=5.0)
    try:
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        ok = response.status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    finally:
        conn.close()
    print(f"{(time.perf_counter() - t0) * 1000.0:.3f}" if ok else "fail", flush=True)
print(f"stall {stall_ms:.3f}", flush=True)
"""


class HealthProbe:
    """``GET /health`` every ``interval_s`` on a new connection (so both workers are asked), from
    a child process: in a thread of this process, the probe's timing included waits for the GIL
    held by the benchmark's own threads (tens of ms in the write and burst phases), which are
    the client's delays, not the server's. ``start``, then ``stop``, which fills ``ms`` and
    ``failures``.

    Between probes the process waits in 1 ms steps and keeps ``stall_ms``, the most it woke
    late: what the machine's scheduler alone cost a process that asks for almost no CPU, in
    the same phase. On these 2 cores shared by the client, the server and this probe it reaches
    tens of ms and more; a ``/health`` time near it is the machine's, not the server's."""

    def __init__(self, base: str, interval_s: float = 0.1) -> None:
        self.base, self.interval_s = base, interval_s
        self.ms: list[float] = []
        self.failures = 0
        self.stall_ms = math.nan
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        port = self.base.rsplit(":", 1)[1]
        command = [sys.executable, "-c", _HEALTH_PROBE, HOST, port, str(self.interval_s)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def summary(self) -> str:
        """``/health p99 … max … ms of N`` of the probes so far."""
        if not self.ms:
            return f"/health: no answer, {self.failures} failed"
        ms = sorted(self.ms)
        p99 = ms[min(len(ms) - 1, math.ceil(0.99 * len(ms)) - 1)]
        return (
            f"/health p99 {p99:.1f} max {ms[-1]:.1f} ms of {len(ms)} ({self.failures} failed; "
            f"an idle process woke up to {self.stall_ms:.0f} ms late)"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the prober (closing its standard input; it finishes the probe under way) and
        collect its figures."""
        if self.process is None:
            return
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        for line in out.splitlines():
            if line == "fail":
                self.failures += 1
            elif line.startswith("stall "):
                self.stall_ms = float(line.split()[1])
            elif line.strip():
                self.ms.append(float(line))
        self.process = None


def background(fn: Any, *args: Any) -> tuple[ThreadPoolExecutor, Any]:
    pool = ThreadPoolExecutor(1)
    return pool, pool.submit(fn, *args)


def load(base: str, bodies: list[bytes], concurrency: int, seconds: float, client: str) -> Level:
    """Route load for ``seconds`` at ``concurrency`` (wrk or httpx)."""
    if client == "wrk":
        return run_wrk(base, bodies, concurrency, seconds)
    return run_concurrent(base, bodies * 10, concurrency, seconds)


# ---------------------------------------------------------------------------------- phases


def _first_naming(
    reader: Reader, body: dict[str, Any], oid: str, t0: float, stats: dict[str, int],
    server_pid: int,
) -> tuple[float, float] | None:  # fmt: skip
    """Routes on ``reader`` until one names ``oid``: (sent, answered) ms after ``t0``."""
    for _ in range(10_000):
        sent = time.perf_counter()
        if sent - t0 > LIVE_LIMIT_S:
            return None
        stats["polls"] += 1
        try:
            status, answer = reader.call("POST", "/routes", body)
        except (OSError, http.client.HTTPException):
            stats["poll_errors"] += 1
            reader.reconnect(server_pid)
            continue
        if status != 200:
            stats["poll_non_200"] += 1
            continue
        obstacles = answer["routes"][0]["obstacles"]
        if oid in [o["id"] for o in obstacles["avoided"] + obstacles["passed"]]:
            return (sent - t0) * 1000.0, (time.perf_counter() - t0) * 1000.0
    return None


def wait_live(
    readers: list[Reader], body: dict[str, Any], oid: str, t0: float, stats: dict[str, int],
    server_pid: int,
) -> tuple[float, float] | None:  # fmt: skip
    """When the write started at ``t0`` was live in every reader's worker (None: not in time).

    Every worker is asked at the same time, each on its own connection, with routes sent one
    after the other from the moment the write was acknowledged. Two figures, in ms after ``t0``:

    * **live**: the latest, over the workers, of the *sending* time of the first route that
      named the obstacle: from then on a route sent to any worker is answered with the write
      (an upper bound: the route before it was sent earlier and did not name it);
    * **answered**: the latest time such a route was *answered*, which adds that route's own
      time in the queue of a loaded worker (at concurrency 64 about one p50 of a route).
    """
    with ThreadPoolExecutor(len(readers)) as pool:
        futures = [pool.submit(_first_naming, r, body, oid, t0, stats, server_pid) for r in readers]
        found = [f.result() for f in futures]
    if not found or any(f is None for f in found):
        return None
    return max(f[0] for f in found if f), max(f[1] for f in found if f)


def writer_phase(
    server: Server, headers: dict[str, str], readers: list[Reader],
    candidates: list[tuple[dict[str, Any], list[float]]], seconds: float,
) -> dict[str, Any]:  # fmt: skip
    """One closure per second (POST, wait until live in every worker, DELETE) for ``seconds``."""
    live_ms: list[float] = []
    answered_ms: list[float] = []
    post_ms: list[float] = []
    not_live = failures = 0
    stats = {"polls": 0, "poll_errors": 0, "poll_non_200": 0}
    start = time.monotonic()
    with httpx.Client(base_url=server.base, headers=headers, timeout=WRITE_TIMEOUT_S) as staff:
        for i, (body, point) in enumerate(candidates):
            slot = start + 0.5 + i
            if slot > start + seconds - 0.5:
                break
            time.sleep(max(0.0, slot - time.monotonic()))
            for reader in readers:  # idle longer than the keep-alive: its worker closed it
                reader.ensure_open(server.process.pid)
            t0 = time.perf_counter()
            try:
                created = staff.post("/obstacles", json=closure(point, f"load writer {i}"))
            except httpx.HTTPError:
                failures += 1
                continue
            post_ms.append((time.perf_counter() - t0) * 1000.0)
            if created.status_code != 201:
                failures += 1
                continue
            oid = created.json()["id"]
            ms = wait_live(readers, body, oid, t0, stats, server.process.pid)
            if ms is None:  # counted at the limit, so that the percentiles stay honest
                not_live += 1
                live_ms.append(LIVE_LIMIT_S * 1000.0)
                answered_ms.append(LIVE_LIMIT_S * 1000.0)
            else:
                live_ms.append(ms[0])
                answered_ms.append(ms[1])
            try:
                staff.delete(f"/obstacles/{oid}")
            except httpx.HTTPError:
                failures += 1
    return {
        "writes": len(post_ms),
        "live": len(live_ms) - not_live,
        "not_live_within_s": {"count": not_live, "limit_s": LIVE_LIMIT_S},
        "failures": failures,
        "workers_polled": len(readers),
        "write_to_live_p50_ms": pct(live_ms, 50),
        "write_to_live_p95_ms": pct(live_ms, 95),
        "write_to_live_max_ms": round(max(live_ms), 2) if live_ms else math.nan,
        "write_to_answered_p50_ms": pct(answered_ms, 50),
        "write_to_answered_p95_ms": pct(answered_ms, 95),
        "post_p50_ms": pct(post_ms, 50),
        "post_p95_ms": pct(post_ms, 95),
    } | stats


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


def wait_answering(base: str, limit_s: float) -> float:
    """Seconds until ``/health`` answers 200 again (bounded by ``limit_s``; NaN if never)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        try:
            if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return math.nan


def success_rate(probers: list[Prober], since: float) -> tuple[float, int]:
    """Share of the probes sent at or after ``since`` that succeeded, and their number."""
    sent = [ok for p in probers for (t0, _, ok) in p.log if t0 >= since]
    return (sum(sent) / len(sent) if sent else 0.0), len(sent)


class Prober(threading.Thread):
    """Routes one after another, each on a new connection; records (sent, done, ok)."""

    def __init__(self, base: str, bodies: list[bytes], stop: threading.Event, offset: int) -> None:
        super().__init__(daemon=True)
        self.base, self.bodies, self.stop, self.offset = base, bodies, stop, offset
        self.log: list[tuple[float, float, bool]] = []

    def run(self) -> None:
        for i in range(100_000):
            if self.stop.is_set():
                return
            body = self.bodies[(self.offset + i) % len(self.bodies)]
            t0 = time.monotonic()
            try:
                ok = post_route(self.base, body, HTTP_TIMEOUT_S) == 200
            except (OSError, http.client.HTTPException):
                ok = False
            self.log.append((t0, time.monotonic(), ok))
            if not ok:
                time.sleep(0.02)


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


# ------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", help="compiled graph folder (default: the default area's)")
    p.add_argument("--database-url", help="database (default: a temporary SQLite file)")
    p.add_argument(
        "--database-copy", type=Path, metavar="FILE",
        help="start the temporary SQLite database as a copy of FILE (e.g. N obstacles active; "
        "its schema brought down to what the code knows, for an older commit)",
    )  # fmt: skip
    p.add_argument(
        "--database-delay-ms", type=float, default=0.0, metavar="MS",
        help="reach --database-url (PostgreSQL) through a proxy that delays each direction by "
        "MS: a database on another host (_delay_proxy.py)",
    )  # fmt: skip
    p.add_argument("--duration", type=float, default=15.0, help="seconds per phase")
    p.add_argument("--burst", type=int, default=50, help="far-away requests in the burst")
    p.add_argument("--burst-s", type=float, default=2.0, help="seconds the burst is spread over")
    p.add_argument("--kill-delay-ms", type=float, default=5.0, help="POST → SIGKILL")
    p.add_argument("--seed", type=int, default=20130401)
    p.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from graphs.store import load_graph

    graph_path = resolve_graph(args.graph)
    graph = load_graph(graph_path)
    client = load_client(args.client)
    bodies = make_requests(graph_path, 2000, args.seed, 300.0, 3000.0)
    pairs = route_pairs(graph, 200, args.seed + 1)
    seconds = args.duration
    started = time.monotonic()

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_load_"))
        url = args.database_url or f"sqlite:///{Path(tmp) / 'load.db'}"
        if args.database_copy:  # each run from the same obstacles (the run writes and kills),
            database_copy(args.database_copy, Path(tmp) / "load.db")  # an older side's schema
        key = create_staff_key(url, "bench_load")
        headers = {"Authorization": f"Bearer {key}"}
        served_url = url
        if args.database_delay_ms > 0:  # the server's, not the benchmark's own reads
            served_url = stack.enter_context(delayed_database(url, args.database_delay_ms))
        server = Server(graph_path, workers=WORKERS, env={"STUFENLOS_DATABASE_URL": served_url})
        port = int(server.base.rsplit(":", 1)[1])
        readers: list[Reader] = []
        try:
            health = server.wait_healthy()
            readers = readers_per_worker(server, port)
            # warm up every worker's weights; pick the closures' places (routes before load)
            for reader in readers:
                for body in bodies[:20]:
                    reader.call("POST", "/routes", json.loads(body))
            candidates: list[tuple[dict[str, Any], list[float]]] = []
            for pair in pairs:
                if len(candidates) >= int(seconds) + 5:
                    break
                walk = route_body(pair, "walk")
                status, answer = readers[0].call("POST", "/routes", walk)
                # a route that meets no obstacle yet is the one of the map without obstacles:
                # a closure on it is named (avoided) once live. On one that goes around others
                # it may not be (a second detour is not "avoided"): with thousands active such
                # writes counted as never live (--database-copy).
                if status == 200 and answer["routes"][0]["obstacles"] == NO_OBSTACLES:
                    candidates.append((walk, longest_piece_middle(answer["routes"][0])))
            points = [point for _, point in candidates]
            print(f"server ready, {len(readers)} workers; phases of {seconds:.0f} s", flush=True)
            present = len(
                httpx.get(f"{server.base}/obstacles", headers=headers).json()["obstacles"]
            )
            if (
                present
            ):  # a given database's own obstacles: routes and figures differ from a clean run
                print(f"note: the database holds {present} obstacle(s) before this run", flush=True)
            quiet_writes = writer_phase(server, headers, readers, candidates[-3:], 3.5)
            print(f"write → live without load: {quiet_writes}", flush=True)

            workers = worker_pids(server.process.pid)
            cpu_before = cpu_seconds(workers)
            c8 = load(server.base, bodies, 8, seconds, client)
            c8_shares = cpu_shares(cpu_before, cpu_seconds(workers))
            print(f"c8: {c8.requests_per_s} routes/s, p99 {c8.p99_ms} ms; workers' CPU shares "
                  f"{' / '.join(f'{x:.0%}' for x in c8_shares)}", flush=True)  # fmt: skip
            health_probe = HealthProbe(server.base)
            health_probe.start()
            client_cpu = time.process_time()
            log_from = server.log_offset()
            c64 = load(server.base, bodies, 64, seconds, client)
            client_cpu_s = {"c64": round(time.process_time() - client_cpu, 2)}
            time.sleep(ACCESS_LINES_LATE_S)
            c64_server = server_latency(server.route_ms(log_from, server.log_offset()))
            health_probe.stop()
            health_server_ms = server.route_ms(log_from, server.log_offset(), "/health")
            print(f"c64: {c64.requests_per_s} routes/s, p99 {c64.p99_ms} ms; "
                  f"{health_probe.summary()}", flush=True)  # fmt: skip
            writes_health = HealthProbe(server.base)
            writes_health.start()

            client_cpu = time.process_time()
            log_from = server.log_offset()
            pool, future = background(load, server.base, bodies, 64, seconds, client)
            time.sleep(0.5)
            writes = writer_phase(server, headers, readers, candidates, seconds - 0.5)
            c64w = future.result(timeout=seconds + 120)
            client_cpu_s["c64_with_writes"] = round(time.process_time() - client_cpu, 2)
            time.sleep(ACCESS_LINES_LATE_S)
            c64w_server = server_latency(server.route_ms(log_from, server.log_offset()))
            pool.shutdown()
            writes_health.stop()
            health_server_ms += server.route_ms(log_from, server.log_offset(), "/health")
            print(f"c64 + writes: p99 {c64w.p99_ms} ms, {writes_health.summary()}, "
                  f"writes {writes}", flush=True)  # fmt: skip
            health_probe.ms += writes_health.ms
            health_probe.failures += writes_health.failures

            for reader in readers:
                reader.close()
            readers = []
            kill = kill_phase(server, port, key, bodies, points, seconds, args.kill_delay_ms)
            print(f"kill: {kill['acknowledged_writes']} acknowledged, "
                  f"{kill['acknowledged_writes_lost']} lost", flush=True)  # fmt: skip
            burst_health = HealthProbe(server.base)
            log_from = server.log_offset()
            burst_health.start()
            pool, future = background(load, server.base, bodies, 6, seconds, client)
            stop = threading.Event()
            probers = [Prober(server.base, bodies, stop, 307 * k) for k in range(2)]
            for prober in probers:
                prober.start()
            time.sleep(1.0)
            burst_started = time.monotonic()
            burst = burst_phase(server.base, burst_bodies(pairs, args.burst), args.burst_s)
            c8b = future.result(timeout=seconds + 120)
            pool.shutdown()
            time.sleep(max(0.0, burst_started + seconds - 1.0 - time.monotonic()))
            stop.set()
            for prober in probers:
                prober.join(timeout=HTTP_TIMEOUT_S + 5.0)
            others, others_n = success_rate(probers, burst_started)
            burst_health.stop()
            time.sleep(ACCESS_LINES_LATE_S)
            health_server_ms += server.route_ms(log_from, server.log_offset(), "/health")
            health_probe.ms += burst_health.ms
            health_probe.failures += burst_health.failures
            burst["answering_again_after_s"] = round(
                wait_answering(server.base, RECOVERY_LIMIT_S), 2
            )
            print(f"burst: statuses {burst['statuses']}, others {others * 100:.1f} % of "
                  f"{others_n} ok, wrk {c8b.errors} errors; {burst_health.summary()}", flush=True)  # fmt: skip

        finally:
            for reader in readers:
                reader.close()
            server.stop()
    total_s = time.monotonic() - started

    p99_over_p50 = c64.p99_ms / c64.p50_ms if c64.p50_ms > 0 else math.nan
    p99_rise = c64w.p99_ms / c64.p99_ms if c64.p99_ms > 0 else math.nan
    server_rise = (
        c64w_server["p99_ms"] / c64_server["p99_ms"] if c64_server["p99_ms"] > 0 else math.nan
    )
    health_p99 = pct(health_probe.ms, 99)
    stalls = [h.stall_ms for h in (health_probe, writes_health, burst_health)]
    rows: list[tuple[str, str, str, bool | None]] = [
        ("routes/s at concurrency 8", f"{c8.requests_per_s:.0f}", "(≥ OSRM, see bench_api)", None),
        ("p50 / p95 / p99 at concurrency 8, ms",
         f"{c8.p50_ms:.1f} / {c8.p95_ms:.1f} / {c8.p99_ms:.1f}", "", None),
        ("workers' shares of the CPU at concurrency 8, %",
         " / ".join(f"{100 * x:.0f}" for x in c8_shares),
         "ALL ON ONE WORKER: it held every connection" if min(c8_shares) < SKEWED_CPU_SHARE
         else "", None),
        ("routes/s at concurrency 64", f"{c64.requests_per_s:.0f}", "", None),
        ("p50 / p95 / p99 at concurrency 64, ms",
         f"{c64.p50_ms:.1f} / {c64.p95_ms:.1f} / {c64.p99_ms:.1f}", "", None),
        ("p99 / p50 at concurrency 64", f"{p99_over_p50:.1f}", f"≤ {TARGET_P99_OVER_P50:g}",
         p99_over_p50 <= TARGET_P99_OVER_P50),
        (f"write → live in {writes['workers_polled']} workers, p50 / p95 ms (c64, 1 write/s)",
         f"{writes['write_to_live_p50_ms']:.1f} / {writes['write_to_live_p95_ms']:.1f}",
         f"p95 ≤ {TARGET_WRITE_LIVE_P95_MS:g} ms",
         writes["live"] > 0 and writes["not_live_within_s"]["count"] == 0
         and writes["write_to_live_p95_ms"] <= TARGET_WRITE_LIVE_P95_MS),
        ("write → a route naming it answered by every worker, p50 / p95 ms (c64)",
         f"{writes['write_to_answered_p50_ms']:.1f} / {writes['write_to_answered_p95_ms']:.1f}",
         "", None),
        ("write → live without load, p50 / max ms",
         f"{quiet_writes['write_to_live_p50_ms']:.1f} / {quiet_writes['write_to_live_max_ms']:.1f}",
         "", None),
        (f"writes: done / live / not live in {LIVE_LIMIT_S:g} s",
         f"{writes['writes']} / {writes['live']} / {writes['not_live_within_s']['count']}", "",
         None),
        ("route p99 with writes / without (c64)", f"{p99_rise:.2f}", f"≤ {TARGET_P99_RISE:g}",
         p99_rise <= TARGET_P99_RISE),
        ("… in the server: p99 without / with writes, ms; with / without",
         f"{c64_server['p99_ms']:.1f} / {c64w_server['p99_ms']:.1f}; {server_rise:.2f}",
         f"≤ {TARGET_P99_RISE:g}", server_rise <= TARGET_P99_RISE),
        (f"others' success during a burst of {args.burst} far-away",
         f"{others * 100:.1f} % of {others_n}", f"≥ {TARGET_OTHERS_SUCCESS * 100:g} %",
         others >= TARGET_OTHERS_SUCCESS),
        ("burst answers: p50 / max ms", f"{burst['p50_ms']:.0f} / {burst['max_ms']:.0f}", "",
         None),
        ("server answering after the burst, s", f"{burst['answering_again_after_s']:.1f}", "",
         None),
        ("/health under load, p99 / max ms",
         f"{health_p99:.1f} / {max(health_probe.ms, default=math.nan):.1f}"
         + (f" ({health_probe.failures} failed)" if health_probe.failures else ""),
         f"p99 ≤ {TARGET_HEALTH_P99_MS:g} ms",
         health_p99 <= TARGET_HEALTH_P99_MS and health_probe.failures == 0),
        ("… in the server (from its request head read to its answer), p99 / max ms",
         f"{pct(health_server_ms, 99):.1f} / {max(health_server_ms, default=math.nan):.1f}",
         "", None),
        ("… an idle process on this machine woke late, max ms (the host's own delay)",
         f"{max(stalls):.0f}", "", None),
        ("acknowledged writes lost after kill -9", str(kill["acknowledged_writes_lost"]), "0",
         kill["acknowledged_writes_lost"] == 0),
        ("all requests succeed again after kill, s",
         f"{kill['all_succeed_again_after_s']:.2f}", "recovers", kill["recovered"]),
        ("new worker process started after kill, s", f"{kill['worker_respawned_after_s']:.1f}", "", None),
    ]  # fmt: skip
    print(
        f"\nstufenlos load-and-fault test: {health['graph']['nodes']} nodes / "
        f"{health['graph']['edges']} edges, {WORKERS} workers, client {client}, "
        f"{os.cpu_count()} cores shared by server and client, python {platform.python_version()}, "
        f"database {'given URL' if args.database_url else 'temporary SQLite'}"
        f"{f' {args.database_delay_ms:g} ms away each way' if args.database_delay_ms else ''}"
        f"{f' (a copy of {args.database_copy.name})' if args.database_copy else ''}, "
        f"{seconds:.0f} s per phase, {total_s:.0f} s in all"
    )
    width = max(len(r[0]) for r in rows)
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        print(f"  {name:<{width}}  {value:>22}  {target:<20} {verdict}")
    print(
        f"kill -9 of worker {kill['victim_pid']} with {kill['writes_in_flight_at_kill']} "
        f"writes in flight: {kill['acknowledged_writes']} acknowledged, "
        f"{kill['unacknowledged_writes']} unacknowledged ({kill['unacknowledged_present']} of "
        f"them stored anyway); {kill['probe_failures_after_kill']} of "
        f"{kill['probe_requests_after_kill']} probe routes failed after the kill"
    )
    print(f"burst statuses: {burst['statuses']}; others' statuses: {c8b.statuses}")
    print(f"acknowledged writes lost: {kill['acknowledged_writes_lost']}")
    verdicts = [ok for *_, ok in rows if ok is not None]
    if args.json:
        result = {
            "benchmark": "load",
            "workers": WORKERS,
            "client": client,
            "cpu_cores": os.cpu_count(),
            "python": platform.python_version(),
            "graph": {k: health["graph"].get(k) for k in ("source", "nodes", "edges")},
            "duration_s_per_phase": seconds,
            "total_s": round(total_s, 1),
            "seed": args.seed,
            "concurrency_8": asdict(c8),
            "concurrency_8_worker_cpu_shares": [round(x, 3) for x in c8_shares],
            "concurrency_64": asdict(c64),
            "concurrency_64_with_writes": asdict(c64w),
            "p99_with_writes_over_without": round(p99_rise, 3),
            "server_route_ms": {"concurrency_64": c64_server, "concurrency_64_with_writes": c64w_server},
            "server_p99_with_writes_over_without": round(server_rise, 3),
            # this process's CPU seconds in the two phases (the probes, the writer and its
            # readers; wrk is a process of its own): what the client takes from the server's
            # two cores beside wrk
            "client_cpu_s": client_cpu_s,
            "writes_without_load": quiet_writes,
            "writes": writes,
            "burst": burst,
            "others_during_burst": {"success_rate": round(others, 4), "probes": others_n,
                                    "load": asdict(c8b)},
            "health_ms": {"p50": pct(health_probe.ms, 50), "p99": health_p99,
                          "max": max(health_probe.ms, default=math.nan),
                          "failures": health_probe.failures,
                          "idle_process_woke_late_max_ms": max(stalls),
                          "in_server_p99": pct(health_server_ms, 99),
                          "in_server_max": max(health_server_ms, default=math.nan)},
            "kill": {k: v for k, v in kill.items()},
            "targets": [
                {"figure": n, "value": v, "target": t, "pass": ok} for n, v, t, ok in rows
            ],
        }  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, allow_nan=True) + "\n")
        print(f"results written to {args.json}")
    return 1 if args.check and not all(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
