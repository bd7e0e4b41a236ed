"""Benchmark runs as background jobs of the server (``POST /bench/runs``).

A job is ``stufenlos bench`` on the serving router: random pairs (seed), every profile, the
same ``results.csv``, ``summary.json`` and plots, written to ``<dir>/<id>/``. It runs in a thread
of the worker that accepted it, with its progress (routes done / routes) in ``job.json``; at
most ``max_running`` jobs at once. The folder is the record: runs are listed after a restart, and
one that was running when the server stopped is listed as ``interrupted``. A worker that stops
(the app's shutdown) stops its runs first (:meth:`BenchJobs.stop`): each ends at its next step
with that status; a run's thread left in the plotting or routing code of a C++ library when
the interpreter exits aborted the process ("terminate called without an active exception").
"""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphs.stamps import utc_stamp
from routing.engine import Router
from testers.pairs import MIN_SEPARATION_M, random_pairs, write_pairs
from testers.report import find_regressions, summarize, write_results_csv, write_summary
from testers.runner import RunOutput, _Worker

log = logging.getLogger("stufenlos.bench")

#: A run's id: a UTC stamp and a random suffix (safe in a path and a URL).
RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
#: Plot names a run may serve (the PNGs ``testers.plots.plot_all`` writes).
PLOT_NAME = re.compile(r"^[a-z0-9_]{1,40}$")
_CHUNK = 10  # pairs per progress step


#: Longest wait of :meth:`BenchJobs.stop` for the runs to end (a step is 10 pairs per profile, the
#: plots a second or two).
STOP_WAIT_S = 10.0


class JobLimitError(Exception):
    """Too many runs are going on at once."""


class RunStorageError(Exception):
    """The runs' folder cannot be written (a full disk, no permission): no run was started."""


class _StoppedError(Exception):
    """The server is stopping: the run ends at this step (:meth:`BenchJobs.stop`)."""


class UnknownRunError(KeyError):
    """No run with that id (or it has no such file)."""


class BenchJobs:
    """The benchmark runs kept in ``directory``; starts, tracks and lists them."""

    def __init__(self, directory: Path, max_running: int = 1) -> None:
        self.directory = directory
        self.max_running = max_running
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}
        self._state: dict[str, dict[str, Any]] = {}
        self._stopping = threading.Event()

    # --- records ---------------------------------------------------------------------------
    def _dir(self, run_id: str) -> Path:
        if not RUN_ID.match(run_id):
            raise UnknownRunError(run_id)
        return self.directory / run_id

    def _write(self, record: dict[str, Any]) -> None:
        folder = self.directory / record["id"]
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"job.json.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        tmp.replace(folder / "job.json")

    def get(self, run_id: str) -> dict[str, Any]:
        """The run's record (status, progress, parameters, summary when done)."""
        with self._lock:
            live = self._state.get(run_id)
            if live is not None:
                return dict(live)
        path = self._dir(run_id) / "job.json"
        try:
            record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UnknownRunError(run_id) from None
        if record.get("status") in ("queued", "running") and not self._is_alive(record):
            record["status"] = "interrupted"  # the server stopped while it ran
        return record

    def _is_alive(self, record: dict[str, Any]) -> bool:
        if record.get("pid") == os.getpid():
            return record["id"] in self._running
        try:
            os.kill(int(record.get("pid") or 0), 0)  # another worker of this server runs it
        except (OSError, ValueError):
            return False
        return int(record.get("pid") or 0) > 0

    def list(self) -> list[dict[str, Any]]:
        """Every run, newest first."""
        if not self.directory.is_dir():
            return []
        runs = []
        for folder in sorted(self.directory.iterdir(), reverse=True):
            if RUN_ID.match(folder.name) and (folder / "job.json").is_file():
                try:
                    runs.append(self.get(folder.name))
                except UnknownRunError:
                    continue
        return runs

    def summary(self, run_id: str) -> dict[str, Any]:
        """The run's ``summary.json`` (UnknownRunError when it has none yet)."""
        try:
            data: dict[str, Any] = json.loads(
                (self._dir(run_id) / "summary.json").read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            raise UnknownRunError(run_id) from None
        return data

    def plot(self, run_id: str, name: str) -> Path:
        """The path of plot ``name`` (``name.png``) of a run."""
        if not PLOT_NAME.match(name):
            raise UnknownRunError(name)
        path = self._dir(run_id) / f"{name}.png"
        if not path.is_file():
            raise UnknownRunError(name)
        return path

    def compare(self, base_id: str, run_id: str) -> dict[str, Any]:
        """The regression verdict of ``run`` against ``base`` (``stufenlos bench --baseline``)."""
        regressions, notes = find_regressions(self.summary(run_id), self.summary(base_id))
        return {
            "base": base_id,
            "run": run_id,
            "verdict": "regression" if regressions else "ok",
            "regressions": regressions,
            "notes": notes,
        }

    # --- running ---------------------------------------------------------------------------
    def start(
        self, router: Router, pairs: int, seed: int, profiles: builtins.list[str]
    ) -> dict[str, Any]:
        """Start a run in a thread; JobLimitError when ``max_running`` runs are going on,
        RunStorageError when its record cannot be written (nothing of it is left)."""
        for name in profiles:
            router.profile(name)  # an unknown profile fails now, not in the thread
        stamp = datetime.now(UTC)
        run_id = f"{stamp.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"
        record: dict[str, Any] = {
            "id": run_id,
            "status": "running",
            "progress": 0.0,
            "pairs": pairs,
            "seed": seed,
            "profiles": profiles,
            "created_at": utc_stamp(),
            "finished_at": None,
            "error": None,
            "plots": [],
            "pid": os.getpid(),
        }
        with self._lock:
            if self._stopping.is_set():
                raise JobLimitError("the server is stopping: no new benchmark run")
            alive = [i for i, t in self._running.items() if t.is_alive()]
            for done in set(self._running) - set(alive):
                del self._running[done]
            if len(alive) >= self.max_running:
                raise JobLimitError(f"{len(alive)} benchmark run(s) going on; the limit is {self.max_running}")  # fmt: skip
            try:
                self._write(record)
            except OSError as exc:
                shutil.rmtree(self.directory / run_id, ignore_errors=True)
                raise RunStorageError(
                    f"the benchmark runs' folder cannot be written ({exc.strerror or exc}): "
                    "no run was started"
                ) from None
            self._state[run_id] = record
            thread = threading.Thread(
                target=self._run, args=(router, record), name=f"bench-{run_id}", daemon=True
            )
            self._running[run_id] = thread
        thread.start()
        return dict(record)

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Stop every run of this process: none starts any more, each running one ends at its
        next step as ``interrupted``; wait up to ``wait_s`` seconds for their threads."""
        self._stopping.set()
        with self._lock:
            threads = dict(self._running)
        deadline = time.monotonic() + wait_s
        for thread in threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))

    def _step(self) -> None:
        """Raise :class:`_StoppedError` when the server is stopping (between a run's steps)."""
        if self._stopping.is_set():
            raise _StoppedError

    def _update(self, record: dict[str, Any], **changes: Any) -> None:
        with self._lock:
            record.update(changes)
            self._write(record)

    def _finish(self, record: dict[str, Any], **changes: Any) -> None:
        """The run's last record (done or failed), its slot freed in the same step: a caller
        that reads the final status may start the next run at once."""
        with self._lock:
            record.update(changes)
            try:
                self._write(record)
            except OSError as exc:  # read later as interrupted: its written record says running
                log.warning(
                    "benchmark run %s ended %s, but its record could not be written: %s",
                    record["id"], record.get("status"), exc,
                )  # fmt: skip
            self._free(record)

    def _free(self, record: dict[str, Any]) -> None:
        """Forget the run's live record and thread (under the lock)."""
        self._state.pop(record["id"], None)
        self._running.pop(record["id"], None)

    def _run(self, router: Router, record: dict[str, Any]) -> None:
        from testers.plots import plot_all

        out = self.directory / record["id"]
        try:
            t0 = time.perf_counter()
            graph = router.graph
            profiles: list[str] = record["profiles"]
            pairs = random_pairs(graph, record["pairs"], record["seed"])
            pairs_csv = write_pairs(pairs, out / "pairs.csv")
            sha = hashlib.sha256(pairs_csv.read_bytes()).hexdigest()
            worker = _Worker(router, compare=False)
            results = []
            total = max(1, len(pairs) * len(profiles))
            done = 0
            t_pairs = time.perf_counter()
            for profile in profiles:
                for i in range(0, len(pairs), _CHUNK):
                    self._step()
                    chunk = pairs[i : i + _CHUNK]
                    results.extend(worker.run(profile, chunk))
                    done += len(chunk)
                    self._update(record, progress=round(0.9 * done / total, 4))
            wall = time.perf_counter() - t_pairs
            self._step()
            write_results_csv(results, out / "results.csv")
            written = plot_all(router, results, pairs, profiles, out)
            meta = graph.meta
            run_meta: dict[str, Any] = {
                "timestamp": record["created_at"],
                "command": (
                    f"POST /bench/runs pairs={record['pairs']} seed={record['seed']} "
                    f"profiles={','.join(profiles)}"
                ),
                "graph": {
                    "source": meta.get("source"),
                    "source_sha256": meta.get("source_sha256"),
                    "built_at": meta.get("built_at"),
                    "nodes": graph.node_count,
                    "edges": graph.edge_count,
                },
                "seed": record["seed"],
                "pair_count": len(pairs),
                "pairs": {
                    "source": "random",
                    "seed": record["seed"],
                    "min_separation_m": MIN_SEPARATION_M,
                    "count": len(pairs),
                    "sha256": sha,
                },
                "profiles": profiles,
                "machine": {
                    "cores": os.cpu_count(),
                    "load_average_at_start": round(os.getloadavg()[0], 2)
                    if hasattr(os, "getloadavg")
                    else None,
                },
                "seconds": {"total": round(time.perf_counter() - t0, 3)},
            }
            summary = summarize(RunOutput(results, wall, 1), profiles, run_meta)
            write_summary(summary, out / "summary.json")
            plots = sorted(name for name, path in written.items() if path.suffix == ".png")
            self._finish(
                record, status="done", progress=1.0, finished_at=utc_stamp(), plots=plots,
                summary=_brief(summary),
            )  # fmt: skip
        except _StoppedError:
            self._finish(record, status="interrupted", finished_at=utc_stamp(), error="the server stopped")  # fmt: skip
        except Exception as exc:  # the job's failure is its record, never the server's
            self._finish(record, status="failed", finished_at=utc_stamp(), error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        finally:  # freed even when the last record could not be written
            with self._lock:
                self._free(record)


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures a list shows: overall and per profile (success, verdicts, latency)."""
    return {"overall": summary.get("overall", {}), "profiles": summary.get("profiles", {})}
