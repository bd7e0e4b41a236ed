"""Peer comparison over HTTP: stufenlos against Valhalla and OSRM on the same seeded trips.

Issue 11 asks for the whole HTTP route (``POST /routes`` with instructions) to be

- at concurrency 1: p50 ≤ 0.5× Valhalla's HTTP route and ≤ 1.5× OSRM's ``osrm-routed``;
- at concurrency 8 and 64 on this 2-core machine: at least OSRM's routes/s; p99 ≤ 10× p50 at 64.

This script measures all of them in one run, on the same trips, on the same machine:

- **stufenlos**: ``stufenlos serve --workers 2`` (``_support.Server``), ``POST /routes`` with the
  seeded 300–3000 m trips of ``bench_api.make_requests`` (wheelchair and walk alternating, de/en;
  every answer has its spoken-style steps);
- **Valhalla** (``pyvalhalla`` wheel): ``valhalla_service`` with 2 worker threads, ``POST /route``
  with costing ``pedestrian``, once with ``type: wheelchair`` and once plain (both with their
  default maneuvers/narrative);
- **OSRM** (``osrm-bindings`` wheel): ``osrm-routed -t 2`` on a contraction hierarchy built with
  its ``foot.lua`` profile, ``GET /route/v1/foot/…?steps=true``.

Every server gets two threads of work on the 2 cores (stufenlos: 2 worker processes with one CPU
thread each; Valhalla: ``valhalla_service CONFIG 2``; OSRM: ``-t 2``); all send gzip when the
client accepts it (the same ``Accept-Encoding: gzip`` everywhere).

Concurrency 1 is a plain sequential client (``http.client``, one keep-alive connection per server)
that sends each trip to every server in turn (the order rotates per trip), so noise from other
work on the machine hits all servers alike; every answer is checked (200 and a route with steps
or legs) and the latency percentiles are over the good answers only; failures are counted, and a
peer that fails most trips is reported and left out of the comparison. Concurrency 8 and 64 use
``wrk`` (``bench_api.run_wrk``) for ``--seconds`` each, cycling the same trips; there only the
status is checked (non-2xx and socket errors are counted; osrm-routed closes a keep-alive
connection after 512 requests, which wrk counts as a socket error and reconnects, so OSRM shows
about one "error" per 500 requests; Valhalla's wheelchair costing finds no path for about 2 % of
the trips and answers 400, counted as errors too).

Beside each wrk level's routes/s the table gives ``cpu ms``: the CPU time (user + system, read
from /proc before and after the run) that the server's processes used per request answered, the
client's own CPU not counted. The routes/s of servers that share the same two cores with the
same client follow from it; it says what one answer costs each server, so a throughput ratio
reads as a per-answer budget (printed below the table for stufenlos against OSRM).

The peers need Python ≥ 3.12 (their wheels exist for nothing older). The script looks for one
(``--peer-python``, ``$STUFENLOS_PEER_PYTHON``, ``python3.13``/``python3.12`` on PATH,
``~/.pyenv/versions/3.1[2-9]*``), makes a virtual environment of its own under
``$STUFENLOS_CACHE_DIR/peers/venv`` (default ``.cache``) and pip-installs ``osrm-bindings``,
``pyvalhalla`` and ``osmium`` there (to convert the OSM XML to PBF, which Valhalla and OSRM read).
The prepared data (PBF, OSRM contraction hierarchy, Valhalla tiles) is cached under
``$STUFENLOS_CACHE_DIR/peers/<area>/`` keyed by the source's SHA-256, so a second run starts in
seconds. A peer that cannot be installed or prepared is skipped with a one-line message; nothing of
the peers is part of the project. All servers listen on free loopback ports and are stopped at the
end, also on errors.

How a session measures it (about 2 minutes with the defaults; the first run adds ~1 minute of
installing and preparing)::

    export PYTHONPATH=$PWD STUFENLOS_DATA_DIR=../shared/data STUFENLOS_CACHE_DIR=$PWD/.cache
    python benchmarks/bench_peers.py                      # --seconds 10 per wrk level, 500 trips
    python benchmarks/bench_peers.py --rounds 3 --json /tmp/peers.json   # median of 3 wrk rounds

The client runs on the same 2 cores as the servers (wrk is C and light, but not free), so the
figures are lower bounds for every server alike; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from _peer_runs import (
    Load,
    Sequential,
    Target,
    median_load,
    osrm_ok,
    osrm_paths,
    run_load,
    run_sequential,
    stufenlos_ok,
    trips_of,
    valhalla_bodies,
    valhalla_ok,
)
from _peer_setup import (
    PEER_PACKAGES,
    PEER_THREADS,
    PeerEnv,
    PeerServer,
    PeerUnavailableError,
    ensure_peer_env,
    prepare_osrm,
    prepare_pbf,
    prepare_valhalla,
    say,
    started,
    valhalla_config,
)
from _support import HOST, Server, free_port
from _support import graph_dir as resolve_graph
from bench_api import make_requests

WORKERS = 2  # stufenlos worker processes


TARGET_C1_VS_VALHALLA = 0.5  # stufenlos p50 ≤ 0.5 × Valhalla's
TARGET_C1_VS_OSRM = 1.5  # stufenlos p50 ≤ 1.5 × OSRM's
TARGET_RPS_VS_OSRM = 1.0  # stufenlos routes/s ≥ OSRM's at c8 and c64
#: the concurrencies the throughput target is set for (a c1 level measures latency: its
#: routes/s follow from the client's round trips and are printed, not checked)
THROUGHPUT_TARGET_LEVELS = (8, 64)
TARGET_P99_OVER_P50 = 10.0  # at c64


STUFENLOS = "stufenlos"
VALHALLA_WHEELCHAIR = "Valhalla wheelchair"
VALHALLA_PEDESTRIAN = "Valhalla pedestrian"
OSRM = "OSRM foot (CH)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", default=None, help="graph folder (default: the default area's)")
    p.add_argument("--trips", type=int, default=500, help="seeded trips (c1 sends each once to every server)")  # fmt: skip
    p.add_argument("--seconds", type=float, default=10.0, help="wrk duration per server and level")
    p.add_argument("--rounds", type=int, default=1, help="wrk rounds per level (median taken)")
    p.add_argument("--levels", default="8,64", help="wrk concurrency levels")
    p.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of wrk at c4 per server first"
    )
    p.add_argument("--min-m", type=float, default=300.0, help="shortest straight-line trip, m")
    p.add_argument("--max-m", type=float, default=3000.0, help="longest straight-line trip, m")
    p.add_argument("--seed", type=int, default=20130401)
    p.add_argument("--peer-python", default=None, help="a Python >= 3.12 for the peers' venv")
    p.add_argument("--skip", default="", help="comma-separated peers to leave out: valhalla,osrm")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write results here")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return p.parse_args(argv)


def source_of(graph: Path) -> tuple[Path, str]:
    """The OSM file the graph was built from and its SHA-256 (from the graph's meta.json)."""
    meta = json.loads((graph / "meta.json").read_text())
    source = Path(meta["source"])
    sha = meta.get("source_sha256")
    if not sha:
        sha = hashlib.sha256(source.read_bytes()).hexdigest()
    return source, sha


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # a SIGTERM unwinds like Ctrl-C, so the servers (in sessions of their own) are stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not shutil.which("wrk"):
        sys.exit("bench_peers: needs wrk (apt-get install wrk)")
    graph = resolve_graph(args.graph)
    cache = Path(os.environ.get("STUFENLOS_CACHE_DIR", ".cache")).resolve()
    area = graph.name
    skips = {s.strip().lower() for s in args.skip.split(",") if s.strip()}
    skipped: dict[str, str] = {}

    bodies = make_requests(graph, args.trips, args.seed, args.min_m, args.max_m)
    trips = trips_of(bodies)
    source, sha = source_of(graph)

    # -- peers: environment and data (each may be skipped with its reason)
    valhalla: tuple[Path, Path] | None = None
    osrm: tuple[Path, Path] | None = None
    env: PeerEnv | None = None
    prep_started = time.perf_counter()
    try:
        env = ensure_peer_env(cache, args.peer_python)
    except (PeerUnavailableError, OSError, subprocess.SubprocessError) as exc:
        skipped["Valhalla"] = skipped["OSRM"] = str(exc)
    if env is not None:
        area_dir = cache / "peers" / area
        try:
            pbf = prepare_pbf(env, area_dir, source, sha)
        except PeerUnavailableError as exc:
            skipped["Valhalla"] = skipped["OSRM"] = str(exc)
        else:
            for key, prepare in (("valhalla", prepare_valhalla), ("osrm", prepare_osrm)):
                label = "Valhalla" if key == "valhalla" else "OSRM"
                if key in skips:
                    skipped[label] = "left out (--skip)"
                    continue
                try:
                    prepared = prepare(env, area_dir, pbf, sha)
                except PeerUnavailableError as exc:
                    skipped[label] = str(exc)
                    continue
                if key == "valhalla":
                    valhalla = prepared
                else:
                    osrm = prepared
    prep_s = time.perf_counter() - prep_started
    for label, reason in skipped.items():
        print(f"SKIP {label}: {reason}")

    # -- servers
    servers: list[PeerServer | Server] = []
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as tmp_dir, started(servers):
        tmp = Path(tmp_dir)
        stufenlos = Server(graph, workers=WORKERS)
        servers.append(stufenlos)
        peers: list[tuple[str, PeerServer]] = []
        commands: list[tuple[str, list[str], int, str]] = []
        if valhalla is not None:
            port = free_port()
            config = valhalla_config(valhalla[1], tmp, port)
            commands.append(("Valhalla", [str(valhalla[0]), str(config), str(PEER_THREADS)], port, "/status"))  # fmt: skip
        if osrm is not None:
            port = free_port()
            command = [str(osrm[0]), "-i", HOST, "-p", str(port), "-t", str(PEER_THREADS), str(osrm[1])]  # fmt: skip
            commands.append(("OSRM", command, port, osrm_paths(trips[:1])[0]))
        for label, command, port, probe in commands:
            try:
                server = PeerServer(Path(command[0]).name, command, port, tmp / f"{label}.log", probe)  # fmt: skip
            except OSError as exc:
                skipped[label] = f"cannot start {command[0]}: {exc}"
                print(f"SKIP {label}: {skipped[label]}")
                continue
            servers.append(server)
            peers.append((label, server))
        health = stufenlos.wait_healthy()
        targets.append(Target(STUFENLOS, stufenlos.base, "POST", ["/routes"], bodies, stufenlos_ok, stufenlos.process.pid))  # fmt: skip
        for label, server in peers:
            try:
                server.wait_healthy()
            except PeerUnavailableError as exc:
                skipped[label] = str(exc)
                print(f"SKIP {label}: {exc}")
                continue
            if label == "Valhalla":
                for name, kind in (
                    (VALHALLA_WHEELCHAIR, "wheelchair"),
                    (VALHALLA_PEDESTRIAN, None),
                ):
                    targets.append(Target(name, server.base, "POST", ["/route"],
                                          valhalla_bodies(trips, kind), valhalla_ok, server.process.pid))  # fmt: skip
            else:
                targets.append(Target(OSRM, server.base, "GET", osrm_paths(trips), [], osrm_ok, server.process.pid))  # fmt: skip

        say(f"servers up: {', '.join(t.name for t in targets)}; warming up")
        for t in targets:
            run_load(t, 4, args.warmup)
        say(f"concurrency 1: {args.trips} trips × {len(targets)} servers, round robin")
        load_before = os.getloadavg()[0]
        sequential = run_sequential(targets, args.trips)
        levels = [int(x) for x in args.levels.split(",") if x.strip()]
        loads: dict[str, dict[int, list[Load]]] = {t.name: {c: [] for c in levels} for t in targets}
        for r in range(args.rounds):
            for c in levels:
                for k in range(len(targets)):
                    t = targets[(r + k) % len(targets)]
                    say(f"round {r + 1}/{args.rounds}, concurrency {c}: {t.name}")
                    loads[t.name][c].append(run_load(t, c, args.seconds))
        load_after = os.getloadavg()[0]

    load = {name: {c: median_load(runs) for c, runs in per.items()} for name, per in loads.items()}
    return report(args, health, env, prep_s, targets, sequential, load, levels, skipped,
                  (load_before, load_after))  # fmt: skip


def report(
    args: argparse.Namespace, health: dict[str, Any], env: PeerEnv | None, prep_s: float,
    targets: list[Target], sequential: dict[str, Sequential], load: dict[str, dict[int, Load]],
    levels: list[int], skipped: dict[str, str], loadavg: tuple[float, float],
) -> int:  # fmt: skip
    """Print the table and the targets; write JSON; the exit status."""
    graph = health["graph"]
    versions = ", ".join(f"{PEER_PACKAGES[k]} {v}" for k, v in (env.versions if env else {}).items())  # fmt: skip
    print(
        f"peer benchmark: {graph['nodes']} nodes / {graph['edges']} edges "
        f"({Path(graph['source'] or '?').name}); {args.trips} seeded ({args.seed}) trips "
        f"{args.min_m:.0f}–{args.max_m:.0f} m; python {platform.python_version()}; "
        f"{os.cpu_count()} cores; peer preparation {prep_s:.1f} s"
    )
    print(f"peers: {versions or 'none'}")
    print(
        f"threads: stufenlos {WORKERS} workers × 1 CPU thread; valhalla_service {PEER_THREADS}; "
        f"osrm-routed -t {PEER_THREADS}. c1: http.client, round robin; c{'/c'.join(map(str, levels))}: "
        f"wrk {args.seconds:g} s × {args.rounds} round(s). load avg 1 min before/after "
        f"{loadavg[0]:.2f}/{loadavg[1]:.2f}"
    )
    summaries = {name: seq.summary() for name, seq in sequential.items()}
    failing: dict[str, str] = {}
    for t in targets:
        s = sequential[t.name]
        if s.failures > len(s.latencies_s):
            failing[t.name] = f"failed {s.failures} of {s.failures + len(s.latencies_s)} trips"

    head = f"{'server':<22} {'c1 ok':>7} {'fail':>5} {'p50 ms':>7} {'p99 ms':>7}"
    for c in levels:
        head += f" | {f'c{c} r/s':>8} {'cpu ms':>6} {'p50 ms':>7} {'p99 ms':>7} {'p99/50':>6} {'err':>5}"
    print(head)
    for t in targets:
        seq = summaries[t.name]
        row = f"{t.name:<22} {seq['ok']:>7} {seq['failed']:>5} {_f(seq['p50_ms'])} {_f(seq['p99_ms'])}"
        for c in levels:
            lv, cpu = load[t.name][c].level, load[t.name][c].cpu_ms_per_request
            ratio = lv.p99_ms / lv.p50_ms if lv.p50_ms else float("nan")
            row += f" | {lv.requests_per_s:>8.1f} {cpu:>6.3f} {lv.p50_ms:>7.2f} {lv.p99_ms:>7.2f} {ratio:>6.1f} {lv.errors:>5}"  # fmt: skip
        print(row)
    if OSRM in load:
        for c in levels:
            own_cpu, osrm_cpu = (
                load[STUFENLOS][c].cpu_ms_per_request,
                load[OSRM][c].cpu_ms_per_request,
            )
            print(f"  c{c}: server CPU per route stufenlos {own_cpu:.3f} ms, {OSRM} {osrm_cpu:.3f} ms "
                  f"(÷ {own_cpu / osrm_cpu:.2f})")  # fmt: skip
    for t in targets:
        for example in sequential[t.name].failure_examples:
            print(f"  {t.name} failure: {example}")
    for name, why in failing.items():
        print(f"NOTE {name} {why}: left out of the comparison")

    checks: list[dict[str, Any]] = []
    own = summaries[STUFENLOS]

    def check(what: str, value: float | None, limit: float, lower_is_better: bool, peer: str | None) -> None:  # fmt: skip
        sign = "<=" if lower_is_better else ">="
        if peer is not None and (peer not in sequential or peer in failing):
            reason = skipped.get(peer.split()[0], failing.get(peer, "not measured"))
            checks.append({"target": what, "value": None, "limit": limit, "sign": sign, "pass": None, "why": reason})  # fmt: skip
            return
        ok = None if value is None else (value <= limit if lower_is_better else value >= limit)
        checks.append({"target": what, "value": value, "limit": limit, "sign": sign, "pass": ok})

    for peer in (VALHALLA_WHEELCHAIR, VALHALLA_PEDESTRIAN):
        theirs = summaries[peer]["p50_ms"] if peer in sequential else None
        value = own["p50_ms"] / theirs if theirs and own["p50_ms"] else None
        check(f"c1 p50 stufenlos / {peer}", value, TARGET_C1_VS_VALHALLA, True, peer)
    theirs = summaries[OSRM]["p50_ms"] if OSRM in sequential else None
    value = own["p50_ms"] / theirs if theirs and own["p50_ms"] else None
    check(f"c1 p50 stufenlos / {OSRM}", value, TARGET_C1_VS_OSRM, True, OSRM)
    for c in (c for c in levels if c in THROUGHPUT_TARGET_LEVELS):
        mine = load[STUFENLOS][c].level.requests_per_s
        osrm_rps = load[OSRM][c].level.requests_per_s if OSRM in load else None
        value = mine / osrm_rps if osrm_rps else None
        check(f"c{c} routes/s stufenlos / {OSRM}", value, TARGET_RPS_VS_OSRM, False, OSRM)
    if 64 in levels:
        lv = load[STUFENLOS][64].level
        check("c64 p99/p50 stufenlos", lv.p99_ms / lv.p50_ms if lv.p50_ms else None,
              TARGET_P99_OVER_P50, True, None)  # fmt: skip

    print("targets:")
    for ch in checks:
        sign = ch["sign"]
        if ch["pass"] is None:
            print(f"  {ch['target']:<44} {'–':>6}  (target {sign} {ch['limit']:g})  n/a: {ch.get('why', 'not measured')}")  # fmt: skip
            continue
        verdict = "PASS" if ch["pass"] else "MISS"
        miss = ""
        if not ch["pass"]:
            factor = ch["value"] / ch["limit"] if sign == "<=" else ch["limit"] / ch["value"]
            miss = f" by {factor:.2f}×"
        print(f"  {ch['target']:<44} {ch['value']:>6.2f}  (target {sign} {ch['limit']:g})  {verdict}{miss}")  # fmt: skip

    if args.json:
        result = {
            "benchmark": "peers",
            "graph": {k: graph.get(k) for k in ("source", "nodes", "edges")},
            "trips": args.trips, "seed": args.seed, "seconds": args.seconds, "rounds": args.rounds,
            "peer_versions": env.versions if env else {}, "skipped": skipped,
            "threads": {"stufenlos_workers": WORKERS, "peers": PEER_THREADS},
            "sequential": summaries,
            "load": {
                t.name: {
                    str(c): {**asdict(load[t.name][c].level),
                             "server_cpu_ms_per_request": load[t.name][c].cpu_ms_per_request}
                    for c in levels
                }
                for t in targets
            },
            "targets": checks,
            "load_average_1min": {"before": loadavg[0], "after": loadavg[1]},
        }  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"results written to {args.json}")
    missed = any(ch["pass"] is False for ch in checks)
    return 1 if args.check and missed else 0


def _f(value: float | None) -> str:
    return f"{value:>7.2f}" if value is not None else f"{'–':>7}"


if __name__ == "__main__":
    sys.exit(main())
