"""``/health`` asked every 100 ms on a new connection during the load test's phases.

The probe runs in a process of its own (:data:`_HEALTH_PROBE`), so the load's threads do not
delay it; it also records how late it woke from its own 1 ms waits between probes: the delay
the machine's scheduler alone adds to a process that needs almost no CPU, printed beside
``/health``'s times to tell the host's stalls from the server's.
"""

from __future__ import annotations

import math
import subprocess
import sys

from _support import (
    HOST,
)

__all__ = [
    "HealthProbe",
]


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
