"""The load test's client side (``bench_load.py``): routes sent, connections held per worker.

Routes sent on a new connection with a plain socket client (:func:`post_route`) or at a fixed
concurrency (:func:`load`: wrk when installed, else httpx), a connection held by *each* worker of
the server (:class:`Reader`, :func:`readers_per_worker`: the worker found from /proc), probe
threads whose every answer is checked (:class:`Prober`), and the timeouts every phase shares.
"""

from __future__ import annotations

import gzip
import http.client
import json
import math
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
from _support import (
    HOST,
    Server,
    connection_owner,
    worker_pids,
)
from bench_api import Level, run_concurrent, run_wrk

__all__ = [
    "HTTP_TIMEOUT_S",
    "JSON_HEADERS",
    "WORKERS",
    "WRITE_TIMEOUT_S",
    "Prober",
    "Reader",
    "background",
    "closure",
    "load",
    "pct",
    "post_route",
    "readers_per_worker",
    "success_rate",
    "wait_answering",
]


WORKERS = 2


HTTP_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 30.0  # today one write can take 13–17 s under load


JSON_HEADERS = {"content-type": "application/json"}


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


def background(fn: Any, *args: Any) -> tuple[ThreadPoolExecutor, Any]:
    pool = ThreadPoolExecutor(1)
    return pool, pool.submit(fn, *args)


def load(base: str, bodies: list[bytes], concurrency: int, seconds: float, client: str) -> Level:
    """Route load for ``seconds`` at ``concurrency`` (wrk or httpx)."""
    if client == "wrk":
        return run_wrk(base, bodies, concurrency, seconds)
    return run_concurrent(base, bodies * 10, concurrency, seconds)


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
