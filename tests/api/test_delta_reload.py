"""A worker reloads the obstacle rows written since the revision it applied, and ends where a
read of every row ends (:mod:`api.obstacles.active_read`'s ``known``), on SQLite and PostgreSQL.

One app writes (create, a scheduled and an expiring one, update, imports with their own ids and
creation times, an overwrite, a deletion, a citizen's report accepted); another worker's
:class:`LiveObstacles` reloads after each write, and after its clock passes a start and an end,
and is compared with a :class:`LiveObstacles` on a fresh router that reads every row. After its
first load, the worker never reads every row again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from api.db.session import make_engine, make_sessionmaker
from api.obstacles.live import LiveObstacles
from graphs.store import load_graph
from routing.engine import Router
from routing.obstacles.overlay import EDGE_PATCHED_ATTRIBUTES, NODE_PATCHED_ATTRIBUTES
from tests.api.support import (
    FakeClock,
    obstacle_body,
    point_on,
)
from tests.routing.test_overlay_delta import assert_same


def _view(live: LiveObstacles) -> dict[str, Any]:
    """What a reload decides: the rows, what is applied and published, the next change, the
    walker arrays' ids and the router's patched arrays."""
    state = live._state
    graph = live.router.graph
    return {
        "rows": [(r.id, r.version) for r in state.rows],
        "applied": state.applied,
        "public": state.public,
        "next_change_at": state.next_change_at,
        "walkers": state.walkers.ids,
        "placed": state.placed.ids,
        "active": {oid: (a.version, a.edges.tolist()) for oid, a in state.active.items()},
        **{f"edge.{k}": graph.edge[k] for k in EDGE_PATCHED_ATTRIBUTES},
        **{f"node.{k}": graph.node[k] for k in NODE_PATCHED_ATTRIBUTES},
    }


def test_a_reload_of_the_rows_written_since_ends_where_a_full_read_ends(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    clock: FakeClock,
    baseline: dict[str, dict[str, Any]],
    on_route: list[float],
    centre_graph_dir: Path,
) -> None:
    writer = start_app(database_url)
    staff, admin = keys["staff"], keys["admin"]
    sessions = make_sessionmaker(make_engine(database_url))
    worker = LiveObstacles(Router(load_graph(centre_graph_dir)), sessions, clock)
    full_sessions = make_sessionmaker(make_engine(database_url))  # (its reads are not counted)
    statements: list[str] = []
    event.listen(
        sessions.kw["bind"], "before_cursor_execute",
        lambda _c, _r, sql, *_: statements.append(sql),
    )  # fmt: skip
    worker.refresh(force=True)
    first_load = len(statements)

    def check() -> None:
        worker.refresh()
        full = LiveObstacles(Router(load_graph(centre_graph_dir)), full_sessions, clock)
        full.refresh(force=True)
        assert_same(_view(worker), _view(full))

    wheelchair = baseline["wheelchair"]

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        answer = writer.post(path, json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    closure = post("/obstacles", obstacle_body(on_route), staff)
    check()
    soon = (clock.now + timedelta(hours=1)).isoformat()
    later = (clock.now + timedelta(hours=2)).isoformat()
    post("/obstacles", obstacle_body(point_on(wheelchair, 0.3), effect={"kerb_height_cm": 9}, valid_from=soon), staff)  # fmt: skip
    post("/obstacles", obstacle_body(point_on(wheelchair, 0.7), effect={"width_m": 0.6}, valid_until=later), staff)  # fmt: skip
    check()
    changed = writer.patch(
        f"/obstacles/{closure['id']}", json={"effect": {"width_m": 0.5}, "version": closure["version"]},
        headers=staff,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    check()
    # the same creation time for three ids, which Python and a database's locale may order
    # differently; older than every obstacle above (they go before them in the overlay's order)
    old = "2024-01-01T08:00:00"
    features: list[dict[str, Any]] = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": point_on(wheelchair, share)},
         "properties": {"id": fid, "effect": effect, "reason": "Import", "created_at": old}}
        for fid, share, effect in (
            ("b-2", 0.3, {"kerb_height_cm": 4}), ("B_1", 0.3, {"kerb_height_cm": 14}),
            ("a.3", 0.5, {"closed": True}),
        )
    ]  # fmt: skip
    post("/obstacles/import", {"type": "FeatureCollection", "features": features}, admin)
    check()
    features[1]["properties"]["effect"] = {"kerb_height_cm": 1}
    post("/obstacles/import?mode=overwrite", {"type": "FeatureCollection", "features": features[1:2]}, admin)  # fmt: skip
    check()
    deleted = writer.delete("/obstacles/a.3", headers=staff)
    assert deleted.status_code in (200, 204), deleted.text
    check()
    report = post("/reports", {"geometry": {"type": "Point", "coordinates": on_route}, "description": "Bauzaun"}, {})  # fmt: skip
    post(f"/reports/{report['id']}/accept", {"effect": {"closed": True}}, staff)
    check()
    clock.advance(hours=1, minutes=1)  # the scheduled kerb starts
    check()
    clock.advance(hours=1)  # the narrowing ends
    check()
    changed_reads = [s for s in statements[first_load:] if "obstacles.revision >" in s]
    full_reads = [
        s for s in statements[first_load:] if "deleted_at IS NULL" in s and s not in changed_reads
    ]  # (the rows written since read a deleted one's geometry as NULL: "CASE WHEN … IS NULL")
    assert not full_reads
    assert len(changed_reads) >= 8
    for made in (sessions, full_sessions):
        made.kw["bind"].dispose()


def test_the_revision_column_goes_down_and_up_with_obstacles_stored(
    start_app: Callable[..., TestClient],
    database_url: str,
    keys: dict[str, dict[str, str]],
    clock: FakeClock,
    on_route: list[float],
    centre_graph_dir: Path,
) -> None:
    """Migration 0004 down and up again on a database holding obstacles, their history and
    matches (on SQLite a copy of the table would be refused by their foreign keys); the rows
    written before it have no revision, are read at start and changed like any other."""
    from alembic import command

    from api.db.session import alembic_config, current_revision, upgrade

    writer = start_app(database_url)
    created = writer.post("/obstacles", json=obstacle_body(on_route), headers=keys["staff"])
    assert created.status_code == 201, created.text
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "0003")
    assert current_revision(engine) == "0003"
    upgrade(engine)
    assert current_revision(engine) == "0004"
    sessions = make_sessionmaker(engine)
    worker = LiveObstacles(Router(load_graph(centre_graph_dir)), sessions, clock)
    worker.refresh(force=True)
    assert list(worker.active) == [created.json()["id"]]
    deleted = writer.delete(f"/obstacles/{created.json()['id']}", headers=keys["staff"])
    assert deleted.status_code in (200, 204), deleted.text
    assert worker.refresh()
    assert worker.active == {}
    engine.dispose()
