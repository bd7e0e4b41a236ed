"""Benchmark: what the staff's calls and the live obstacles' reads cost against a database on
another host, in round trips and milliseconds.

On a PostgreSQL server (``--database-url``, required), in process (the app on ``TestClient``,
its lifespan run, the default area's graph), each operation is timed twice: on the database as
given, and through a proxy that delays every chunk ``--delay-ms`` in each direction
(``_delay_proxy.py``: a database ``2 × delay`` further away). The operations: ``POST
/obstacles`` (a closure), ``GET /obstacles/{id}``, ``PATCH`` (its reason, with ``If-Match``),
``DELETE``, the read of the live obstacles' revision poll (``LiveObstacles.revision_now``, the read
``LiveObstacles.check_revision`` makes only when nothing else says a reload is due) and the read of
a change (``LiveObstacles.refresh(written=True)`` after a POST). The unit is one ``SELECT
1`` on a psycopg connection in autocommit (one round trip), timed the same two ways, so that

    round trips ≈ (ms delayed − ms direct) ÷ (one round trip delayed − direct)

(the proxy's own cost per round trip included in the unit). Medians over ``--writes`` rounds.
Side by side with an older commit::

    python benchmarks/compare_commits.py --base ec6d8b7 --script-here --rounds 2 -- \\
        bench_database_trips.py --database-url postgresql+psycopg://…

Run alone::

    python benchmarks/bench_database_trips.py --database-url postgresql+psycopg://… \\
        [--delay-ms 2] [--writes 20] [--json OUT]
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _delay_proxy import delayed_database
from _support import graph_dir, staff_key
from sqlalchemy.engine import make_url

#: A closure in the centre of Kaiserslautern (lon, lat).
POINT = [7.7690, 49.4447]


def unit_ms(url: str, rounds: int = 50) -> float:
    """Median ms of one ``SELECT 1`` round trip on a psycopg connection in autocommit."""
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            connection.execute("SELECT 1").fetchone()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


@contextmanager
def staff_app(url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app on ``url`` (migrated; a staff key made for the run), started, and the key's
    headers."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    headers = staff_key(url, "bench_database_trips")
    app = create_app(Settings(graph_dir=graph_dir(None), database_url=url))
    with TestClient(app) as client:
        yield client, headers


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(ms, result) of one call."""
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1e3, result


def operations(client: Any, headers: dict[str, str], writes: int) -> dict[str, float]:
    """Median ms of each operation over ``writes`` rounds (after two rounds of warming)."""
    live = client.app.state.live_obstacles
    body = {"geometry": {"type": "Point", "coordinates": POINT}, "effect": {"closed": True}}
    times: dict[str, list[float]] = {}
    for i in range(writes + 2):
        ms: dict[str, float] = {}
        post = functools.partial(
            client.post, "/obstacles", json=body | {"reason": f"bench {i}"}, headers=headers
        )
        ms["post"], created = timed(post)
        assert created.status_code == 201, created.text
        one = f"/obstacles/{created.json()['id']}"
        ms["read_of_a_change"], _ = timed(lambda: live.refresh(written=True))
        ms["revision_poll"], _ = timed(live.revision_now)  # the poll's read alone
        ms["get"], got = timed(functools.partial(client.get, one, headers=headers))
        assert got.status_code == 200, got.text
        ms["patch"], patched = timed(
            functools.partial(
                client.patch, one, json={"reason": f"bench {i}, changed"},
                headers=headers | {"If-Match": got.headers["ETag"]},
            )
        )  # fmt: skip
        assert patched.status_code == 200, patched.text
        ms["delete"], deleted = timed(functools.partial(client.delete, one, headers=headers))
        assert deleted.status_code == 200, deleted.text
        live.refresh(written=True)
        if i >= 2:
            for name, value in ms.items():
                times.setdefault(name, []).append(value)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    """Time the operations direct and delayed; print ms and round trips."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--delay-ms", type=float, default=2.0, help="the proxy's delay each way")
    parser.add_argument("--writes", type=int, default=20, help="rounds of the operations")
    parser.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url must name a PostgreSQL server (round trips over TCP)")
    logging.disable(logging.INFO)  # the access lines of the app's calls

    with delayed_database(args.database_url, args.delay_ms) as far:
        unit = {"direct": unit_ms(args.database_url), "delayed": unit_ms(far)}
        measured = {}
        for side, url in (("direct", args.database_url), ("delayed", far)):
            with staff_app(url) as (client, headers):
                measured[side] = operations(client, headers, args.writes)
    one_trip = unit["delayed"] - unit["direct"]
    out: dict[str, Any] = {
        "delay_ms_each_way": args.delay_ms,
        "one_round_trip_ms": {k: round(v, 3) for k, v in unit.items()},
    }
    print(f"one round trip: {unit['direct']:.3f} ms direct, {unit['delayed']:.3f} delayed")
    print(f"{'operation':<18}{'direct ms':>11}{'delayed ms':>12}{'round trips':>13}")
    for name, direct in measured["direct"].items():
        delayed = measured["delayed"][name]
        trips = (delayed - direct) / one_trip
        out[name] = {"direct_ms": round(direct, 2), "delayed_ms": round(delayed, 2),
                     "round_trips": round(trips, 1)}  # fmt: skip
        print(f"{name:<18}{direct:>11.2f}{delayed:>12.2f}{trips:>13.1f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
