"""The obstacle API against a model of it: random sequences of staff writes, checked each step.

A hypothesis state machine creates, changes (reason, end, place, effect), deletes and imports
obstacles (closures and narrowings on the route between ``ORIGIN`` and ``DESTINATION``;
scheduled, temporary and permanent ones), with the versions read and with stale ones, takes
citizens' reports and decides them (accepted, rejected, an accept that matches nothing, a
second decision), and moves the clock past starts and ends. A plain model (id → version,
reason, validity, place, effect, deleted; report → status) says what each answer must be: the
status (201, 200, 404, 409 ``version_conflict`` or ``report_already_decided``, 422, 428
``version_required``) and the version written; and after every step what staff list (all,
active, scheduled, expired; reports by status), each obstacle's history, what the public map
shows (each active obstacle, at its place, with its effect) and which obstacles a route may
name, in the app that wrote and in a second one on the same database (another worker, which
learns of writes by reading the database's revision: here before every request; once a run
it is stopped and started again, restoring every obstacle from the database). Nothing
acknowledged may be lost, nothing refused may be half-written, and the live map must follow
the clock without a write.

SQLite and PostgreSQL (``database_url``); the steps are answered in process.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.api.support import DESTINATION, ORIGIN, AppStarter, FakeClock, point_on

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Where the obstacles go: shares of the way along the wheelchair route of the map without them.
SHARES = (0.2, 0.4, 0.6, 0.8)
EFFECTS = ({"closed": True}, {"width_m": 0.7})


@dataclass(frozen=True)
class Kept:
    """What the model knows of one obstacle."""

    version: int
    reason: str
    valid_from: datetime
    valid_until: datetime | None
    at: int = 0  # which of the points (SHARES)
    effect: int = 0  # which of EFFECTS
    deleted: bool = False

    def in_force(self, now: datetime) -> bool:
        return (
            not self.deleted
            and self.valid_from <= now
            and (self.valid_until is None or now < self.valid_until)
        )


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


class ObstacleLifecycle(RuleBasedStateMachine):
    """Staff writes and the clock, against :class:`Kept` records (see the module doc)."""

    client: TestClient
    other: TestClient  # a second worker on the same database
    start_other: Callable[[], TestClient]  # that worker started anew
    stop_other: Callable[[TestClient], None]  # and stopped
    staff: dict[str, str]
    admin: dict[str, str]
    clock: FakeClock
    points: list[list[float]]
    runs = itertools.count()

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, Kept] = {}
        self.reports: dict[str, str] = {}  # this run's reports: id → open, accepted, rejected
        self.restarted = False
        self.prefix = f"run{next(self.runs)}-"
        self.made = itertools.count()
        # every run starts from an empty map: delete what an earlier run left
        for o in self._listed("all"):
            deleted = self.client.delete(f"/obstacles/{o['id']}", headers=self.staff)
            assert deleted.status_code == 200, deleted.text

    # --- helpers ------------------------------------------------------------------------------
    def _listed(self, status: str) -> list[dict[str, Any]]:
        listed = self.client.get(f"/obstacles?status={status}", headers=self.staff)
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["count"] == len(body["obstacles"])
        return list(body["obstacles"])

    def _now(self) -> datetime:
        return self.clock.now

    def _window(
        self, starts_in_h: float, lasts_h: float | None
    ) -> tuple[datetime, datetime | None]:
        start = self._now() + timedelta(hours=starts_in_h)
        return start, None if lasts_h is None else start + timedelta(hours=lasts_h)

    def _feature(self, oid: str, kept: Kept, point: list[float], version: int | None) -> dict[str, Any]:  # fmt: skip
        props: dict[str, Any] = {
            "effect": EFFECTS[0], "reason": kept.reason,
            "valid_from": _iso(kept.valid_from), "valid_until": _iso(kept.valid_until),
        }  # fmt: skip
        if version is not None:
            props["version"] = version
        return {"type": "Feature", "id": oid, "properties": props,
                "geometry": {"type": "Point", "coordinates": point}}  # fmt: skip

    # --- rules --------------------------------------------------------------------------------
    @rule(
        target=ids,
        at=st.sampled_from(SHARES),
        effect=st.sampled_from(EFFECTS),
        starts_in_h=st.sampled_from([0.0, 1.0]),
        lasts_h=st.sampled_from([None, 0.5, 5.0]),
    )
    def create(self, at: float, effect: dict[str, Any], starts_in_h: float, lasts_h: float | None) -> str:  # fmt: skip
        start, until = self._window(starts_in_h, lasts_h)
        reason = f"create {next(self.made)}"
        body = {
            "geometry": {"type": "Point", "coordinates": self.points[SHARES.index(at)]},
            "effect": effect, "reason": reason,
            "valid_from": None if starts_in_h == 0 else _iso(start), "valid_until": _iso(until),
        }  # fmt: skip
        created = self.client.post("/obstacles", json=body, headers=self.staff)
        assert created.status_code == 201, created.text
        written = created.json()
        assert written["version"] == 1
        assert written["match"]["edge_count"] + written["match"]["node_count"] > 0
        assert _when(written["valid_from"]) == start
        kept = Kept(1, reason, start, until, SHARES.index(at), EFFECTS.index(effect))
        assert written["active"] == kept.in_force(self._now())
        self.model[written["id"]] = kept
        return str(written["id"])

    @rule(
        target=ids,
        at=st.sampled_from(SHARES),
        decision=st.sampled_from(["none", "accept", "reject", "accept_nothing"]),
        again=st.sampled_from(["accept", "reject"]),
    )
    def report(self, at: float, decision: str, again: str) -> Any:
        """A citizen's report, then staff's decision: accepted, an obstacle (version 1);
        rejected; or an accept whose geometry matches no path, refused, the report still open
        and no obstacle made. A second decision on a decided report is refused."""
        point = self.points[SHARES.index(at)]
        description = f"report {next(self.made)}"
        geometry = {"type": "Point", "coordinates": point}
        sent = self.client.post("/reports", json={"geometry": geometry, "description": description})  # fmt: skip
        assert sent.status_code == 201, sent.text
        rid = sent.json()["id"]
        self.reports[rid] = "open"
        accept = {"effect": {"closed": True}}
        if decision == "none":
            return multiple()
        if decision == "accept_nothing":  # 10 km outside the centre extract
            far = {"type": "Point", "coordinates": [7.90, 49.50]}
            refused = self.client.post(f"/reports/{rid}/accept", json=accept | {"geometry": far}, headers=self.staff)  # fmt: skip
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "obstacle_matches_nothing"
            return multiple()
        decided = self.client.post(f"/reports/{rid}/{decision}", json=accept if decision == "accept" else None, headers=self.staff)  # fmt: skip
        assert decided.status_code == 200, decided.text
        body = decided.json()
        self.reports[rid] = f"{decision}ed"
        assert body["report"]["status"] == self.reports[rid]
        second = self.client.post(f"/reports/{rid}/{again}", json=accept if again == "accept" else None, headers=self.staff)  # fmt: skip
        assert second.status_code == 409, second.text
        assert second.json()["code"] == "report_already_decided"
        if decision == "reject":
            assert body["obstacle"] is None
            return multiple()
        written = body["obstacle"]
        assert (written["version"], written["reason"]) == (1, description)
        assert body["report"]["obstacle_id"] == written["id"]
        self.model[written["id"]] = Kept(1, description, self._now(), None, SHARES.index(at))
        return multiple(written["id"])

    @rule(
        oid=ids, stale=st.booleans(), header=st.booleans(), lasts_h=st.sampled_from([None, 2.0]),
        moved=st.booleans(), other_effect=st.booleans(),
    )  # fmt: skip
    def patch(
        self, oid: str, stale: bool, header: bool, lasts_h: float | None, moved: bool,
        other_effect: bool,
    ) -> None:  # fmt: skip
        """A new reason, and perhaps a new end, place (the next point) or effect."""
        kept = self.model[oid]
        version = kept.version + 1 if stale else kept.version  # (any other version is stale)
        reason = f"patch {next(self.made)}"
        body: dict[str, Any] = {"reason": reason}
        at = (kept.at + 1) % len(SHARES) if moved else kept.at
        effect = 1 - kept.effect if other_effect else kept.effect
        if moved:
            body["geometry"] = {"type": "Point", "coordinates": self.points[at]}
        if other_effect:
            body["effect"] = EFFECTS[effect]
        until = None if lasts_h is None else self._now() + timedelta(hours=lasts_h)
        if until is not None and until > kept.valid_from:
            body["valid_until"] = _iso(until)
        else:
            until = kept.valid_until
        sent = dict(self.staff)
        if header:
            sent["If-Match"] = f'"{version}"'
        else:
            body["version"] = version
        patched = self.client.patch(f"/obstacles/{oid}", json=body, headers=sent)
        if kept.deleted:
            assert patched.status_code == 404, patched.text
        elif stale:
            assert patched.status_code == 409, patched.text
            assert patched.json()["code"] == "version_conflict"
        else:
            assert patched.status_code == 200, patched.text
            assert patched.json()["version"] == kept.version + 1
            self.model[oid] = replace(
                kept, version=kept.version + 1, reason=reason, valid_until=until, at=at,
                effect=effect,
            )  # fmt: skip

    @rule(oid=ids)
    def patch_without_a_version(self, oid: str) -> None:
        patched = self.client.patch(f"/obstacles/{oid}", json={"reason": "x"}, headers=self.staff)
        assert patched.status_code == (404 if self.model[oid].deleted else 428), patched.text

    @rule(oid=ids, if_match=st.sampled_from(["none", "current", "stale"]))
    def delete(self, oid: str, if_match: str) -> None:
        kept = self.model[oid]
        sent = dict(self.staff)
        if if_match != "none":
            sent["If-Match"] = f'"{kept.version + (if_match == "stale")}"'
        deleted = self.client.delete(f"/obstacles/{oid}", headers=sent)
        if kept.deleted:
            assert deleted.status_code == 404, deleted.text
        elif if_match == "stale":
            assert deleted.status_code == 409, deleted.text
        else:
            assert deleted.status_code == 200, deleted.text
            assert deleted.json()["version"] == kept.version + 1
            self.model[oid] = replace(kept, version=kept.version + 1, deleted=True)

    @rule(oid=ids)
    def read(self, oid: str) -> None:
        kept = self.model[oid]
        got = self.client.get(f"/obstacles/{oid}", headers=self.staff)
        history = self.client.get(f"/obstacles/{oid}/history", headers=self.staff)
        assert history.status_code == 200, history.text
        entries = history.json()["history"]  # every acknowledged write, deletes too
        assert [e["version"] for e in entries] == list(range(1, kept.version + 1))
        assert (entries[-1]["action"] == "delete") == kept.deleted
        assert entries[-1]["snapshot"]["reason"] == kept.reason
        if kept.deleted:
            assert got.status_code == 404, got.text
            return
        assert got.status_code == 200, got.text
        assert got.headers["etag"] == f'"{kept.version}"'
        body = got.json()
        assert (body["version"], body["reason"]) == (kept.version, kept.reason)
        assert _when(body["valid_until"]) == kept.valid_until
        assert body["active"] == kept.in_force(self._now())

    @rule(
        target=ids,
        chosen=st.lists(
            st.tuples(st.integers(0, 10**6), st.sampled_from(["current", "stale", "none"])),
            max_size=3,
        ),
        new=st.integers(0, 2),
        overwrite=st.booleans(),
    )
    def import_(self, chosen: list[tuple[int, str]], new: int, overwrite: bool) -> Any:
        known = sorted(self.model)
        picked: dict[str, str] = {}
        for i, how in chosen:
            if known:
                picked.setdefault(known[i % len(known)], how)
        features, made = [], []
        point = self.points[0]
        start, until = self._window(0.0, 5.0)
        for oid, how in picked.items():
            kept = self.model[oid]
            version = {"current": kept.version, "stale": kept.version + 1, "none": None}[how]
            features.append(self._feature(oid, replace(kept, reason=f"import {oid}", valid_from=start, valid_until=until), point, version))  # fmt: skip
        for _ in range(new):
            oid = f"{self.prefix}{next(self.made)}"
            made.append(oid)
            features.append(self._feature(oid, Kept(1, f"import {oid}", start, until), point, None))  # fmt: skip
        mode = "?mode=overwrite" if overwrite else ""
        answer = self.client.post(
            f"/obstacles/import{mode}", json={"type": "FeatureCollection", "features": features},
            headers=self.admin,
        )  # fmt: skip
        conflicts = sorted(oid for oid, how in picked.items() if how != "current")
        if conflicts and not overwrite:
            assert answer.status_code == 409, answer.text
            assert sorted(answer.json()["details"]["ids"]) == conflicts
            return multiple()  # all or nothing: the invariants check that nothing changed
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert (result["created"], result["updated"]) == (new, len(picked))
        for oid in picked:  # replaced whole: at the first point, closed
            kept = self.model[oid]
            self.model[oid] = Kept(kept.version + 1, f"import {oid}", start, until)
        for oid in made:
            self.model[oid] = Kept(1, f"import {oid}", start, until)
        return multiple(*made)

    @precondition(lambda self: not self.restarted)
    @rule()
    def restart_the_other_worker(self) -> None:
        """The second worker stopped and started again: it must restore every obstacle from
        the database (their stored matches), as a restart of the service does (once a run)."""
        self.restarted = True
        cls = type(self)
        cls.stop_other(cls.other)
        cls.other = cls.start_other()

    @rule(minutes=st.sampled_from([20, 45, 90, 400]))
    def wait(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # --- what must hold after every step ---------------------------------------------------------
    @invariant()
    def staff_lists_are_the_model(self) -> None:
        now = self._now()
        alive = {oid: k for oid, k in self.model.items() if not k.deleted}
        listed = {o["id"]: o["version"] for o in self._listed("all")}
        assert listed == {oid: k.version for oid, k in alive.items()}
        expected = {
            "active": {oid for oid, k in alive.items() if k.in_force(now)},
            "scheduled": {oid for oid, k in alive.items() if k.valid_from > now},
            "expired": {
                oid
                for oid, k in alive.items()
                if k.valid_until is not None and k.valid_until <= now
            },
        }
        for status, ids in expected.items():
            assert {o["id"] for o in self._listed(status)} == ids, status

    @invariant()
    def the_reports_are_the_model(self) -> None:
        for status in ("open", "accepted", "rejected"):
            listed = self.client.get(f"/reports?status={status}", headers=self.staff)
            assert listed.status_code == 200, listed.text
            mine = {r["id"] for r in listed.json()["reports"] if r["id"] in self.reports}
            assert mine == {rid for rid, state in self.reports.items() if state == status}, status

    @invariant()
    def the_public_map_and_the_routes_follow_the_clock(self) -> None:
        now = self._now()
        active = {oid for oid, k in self.model.items() if k.in_force(now)}
        trip = {"origin": ORIGIN, "destination": DESTINATION, "profile": {"name": "wheelchair"}}
        for worker in (self.client, self.other):
            public = worker.get("/obstacles/active")
            assert public.status_code == 200, public.text
            shown = {
                f["id"]: (f["geometry"]["coordinates"], f["properties"]["effect"])
                for f in public.json()["features"]
            }
            assert shown == {
                oid: (self.points[self.model[oid].at], EFFECTS[self.model[oid].effect])
                for oid in active
            }
            answer = worker.post("/routes", json=trip)
            if answer.status_code == 200:
                named = answer.json()["routes"][0]["obstacles"]
                assert {o["id"] for o in named["passed"] + named["avoided"]} <= active
            else:  # closures may leave no way: an error that says so, never a 500
                assert answer.status_code == 422, answer.text


def test_the_obstacle_api_keeps_to_its_model(
    start_app: AppStarter,
    database_url: str,
    keys: dict[str, dict[str, str]],
    clock: FakeClock,
    baseline: dict[str, dict[str, Any]],
) -> None:
    client = start_app(database_url, reports_per_minute=10**6)
    route = baseline["wheelchair"]

    class Machine(ObstacleLifecycle):
        pass

    Machine.client, Machine.clock = client, clock
    Machine.other = start_app(database_url, obstacle_poll_s=0.0)
    Machine.start_other = staticmethod(lambda: start_app(database_url, obstacle_poll_s=0.0))
    Machine.stop_other = staticmethod(start_app.stop)
    Machine.staff, Machine.admin = keys["staff"], keys["admin"]
    Machine.points = [point_on(route, share) for share in SHARES]
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=25, stateful_step_count=20, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )  # fmt: skip
